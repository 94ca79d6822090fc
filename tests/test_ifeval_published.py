"""The GPT-4 responses that accompany IFEval score as the paper reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.ifeval import IFEvalReport, score_ifeval

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ifeval"
INPUTS, RESPONSES = DATA / "input_data.jsonl", DATA / "gpt4_responses_20231107.jsonl"

pytestmark = pytest.mark.skipif(not (INPUTS.exists() and RESPONSES.exists()),
                                reason=f"IFEval data not found under {DATA}")

# keywords:letter_frequency asks for "#" (key 1122) and "!" (key 1129): the reference draws
# a random letter for those, so the published figures depend on the draw.
RANDOM_IN_REFERENCE = {1122, 1129}


@pytest.fixture(scope="module")
def report() -> IFEvalReport:
    return score_ifeval(INPUTS, RESPONSES)


def _figures(report: IFEvalReport, mode: str, failed_random: set[int]) -> tuple[float, float]:
    """Prompt- and instruction-level accuracy (percent, 2 decimals) with the letter-frequency
    instructions of ``failed_random`` keys scored as not followed (as a reference run drew)."""
    prompts = instructions = total = 0
    for r in report.results:
        verdicts = list(getattr(r, mode))
        for i, iid in enumerate(r.instruction_id_list):
            if r.key in failed_random and iid == "keywords:letter_frequency":
                verdicts[i] = False
        prompts += all(verdicts)
        instructions += sum(verdicts)
        total += len(verdicts)
    return round(100 * prompts / len(report.results), 2), round(100 * instructions / total, 2)


def test_sizes(report):
    assert (report.n_prompts, report.n_instructions, report.n_missing) == (541, 834, 0)


def test_published_strict_figures_exactly(report):
    # The published strict run drew a letter that key 1122's tweet uses fewer than 4 times.
    assert _figures(report, "strict", {1122}) == (76.89, 83.57)


def test_published_loose_figures_exactly(report):
    # The reference's loose pass draws its letters again; both draws failed there.
    assert _figures(report, "loose", {1122, 1129}) == (79.30, 85.37)


def test_own_deterministic_figures(report):
    # Counting "#" and "!" literally both random-letter instructions are followed by GPT-4.
    for r in report.results:
        if r.key in RANDOM_IN_REFERENCE:
            assert all(r.strict) and all(r.loose)
    assert round(100 * report.prompt_strict, 2) == 77.08
    assert round(100 * report.instruction_strict, 2) == 83.69
    assert abs(100 * report.prompt_loose - 79.30) < 0.5
    assert abs(100 * report.instruction_loose - 85.37) < 0.5


def test_per_instruction_breakdown(report):
    assert sum(int(v["count"]) for v in report.per_instruction.values()) == 834
    assert len(report.per_instruction) == 25
    assert report.per_instruction["length_constraints:number_sentences"]["count"] == 52
    assert report.per_group["punctuation"]["strict"] == pytest.approx(44 / 66)
    for row in report.per_instruction.values():
        assert row["strict"] <= row["loose"]
