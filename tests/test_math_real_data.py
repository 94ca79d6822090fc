"""The math verifiers on the real evaluation data in ../shared/data (skipped when absent)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from verifiers import get_verifier

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _rows(rel: str) -> list[dict]:
    path = DATA / rel
    if not path.exists():
        pytest.skip(f"real data not found: {path} (expected ../shared/data beside the repository)")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _derangement(n: int, seed: int = 0) -> list[int]:
    rng = random.Random(seed)
    perm = list(range(n))
    while any(i == p for i, p in enumerate(perm)):
        rng.shuffle(perm)
    return perm


def test_math500_reference_solutions_verify():
    rows = _rows("math500/test.jsonl")
    assert len(rows) == 500
    v = get_verifier("math")
    bad = [(r["unique_id"], r["answer"], v(r["solution"], r["answer"]).reason) for r in rows
           if not v(r["solution"], r["answer"]).correct]
    assert not bad, bad


def test_math500_answers_restated_verify():
    """Each answer given back in prose ("The answer is $...$.") matches itself."""
    rows = _rows("math500/test.jsonl")
    v = get_verifier("math")
    bad = [r["answer"] for r in rows if not v(f"The answer is ${r['answer']}$.", r["answer"]).correct]
    assert not bad, bad


def test_math500_shuffled_pairs_are_rejected():
    rows = _rows("math500/test.jsonl")
    v = get_verifier("math")
    perm = _derangement(len(rows))
    false_pos = []
    for i, j in enumerate(perm):
        if rows[i]["answer"].replace(" ", "") == rows[j]["answer"].replace(" ", ""):
            continue  # genuinely the same answer
        out = v(rows[i]["solution"], rows[j]["answer"])
        if out.correct:
            false_pos.append((rows[i]["answer"], rows[j]["answer"], out.info.get("method")))
    assert not false_pos, false_pos


def _gsm8k_gold(row: dict) -> str:
    return row["answer"].split("####")[-1].strip().replace(",", "")


@pytest.mark.parametrize("name", ["gsm8k", "math"])
def test_gsm8k_answers_verify_and_shuffles_do_not(name):
    rows = _rows("gsm8k/test.jsonl")
    assert len(rows) == 1319
    v = get_verifier(name)
    gold = [_gsm8k_gold(r) for r in rows]
    bad = [g for r, g in zip(rows, gold, strict=True) if not v(r["answer"], g).correct]
    assert not bad, bad[:10]
    perm = _derangement(len(rows), seed=1)
    false_pos = [i for i, j in enumerate(perm)
                 if gold[i] != gold[j] and v(rows[i]["answer"], gold[j]).correct]
    assert not false_pos, false_pos[:10]


@pytest.mark.parametrize("year", ["aime2024", "aime2025"])
def test_aime_answers_verify_as_integers(year):
    rows = _rows(f"{year}/test.jsonl")
    assert len(rows) == 30
    v = get_verifier("aime")
    for r in rows:
        ans = r["answer"]
        assert int(ans) == int(ans.strip()) and 0 <= int(ans) <= 999
        assert v(f"so the result is \\boxed{{{int(ans)}}}", ans).correct
        assert v(f"The answer is {int(ans):03d}.", ans).correct
        assert not v(f"\\boxed{{{int(ans) + 1}}}", ans).correct
        assert not v(f"\\boxed{{{int(ans)}.5}}", ans).correct
    perm = _derangement(len(rows), seed=2)
    false_pos = [i for i, j in enumerate(perm) if rows[i]["answer"] != rows[j]["answer"]
                 and v(f"\\boxed{{{rows[i]['answer']}}}", rows[j]["answer"]).correct]
    assert not false_pos


def test_prm800k_answer_headings_are_extracted():
    """PRM800K solutions end with "# Answer\\n\\n<answer>": that is what gets compared."""
    rows = _rows("prm800k_samples/phase2_train_sample.jsonl")
    v = get_verifier("math")
    for r in rows:
        q = r["question"]
        text = "\n\n".join(q["pre_generated_steps"])
        assert v(text, q["pre_generated_answer"]).correct
        out = v(text, q["ground_truth_answer"])
        assert out.extracted == q["pre_generated_answer"]
        assert out.correct == (q["pre_generated_answer"] == q["ground_truth_answer"])
