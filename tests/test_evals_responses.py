"""Responses mode on the real benchmarks: gold solutions score 100%, shuffled ones ~0%.

Default runs use the full AIME sets and slices of the larger or slower
ones; the ``slow`` tests run every problem of GSM8K, MATH-500, HumanEval, MBPP and IFEval.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.run import run_eval
from reasoner.config import compose


def _rows(data: Path, rel: str) -> list[dict]:
    return [json.loads(line) for line in (data / rel).read_text().splitlines() if line.strip()]


def gold_responses(data: Path, bench: str) -> list[dict]:
    """One reference response per problem, named the ways real response files name them."""
    if bench == "gsm8k":  # index + the worked solution with its final answer boxed
        out = []
        for i, r in enumerate(_rows(data, "gsm8k/test.jsonl")):
            body, ans = r["answer"].rsplit("####", 1)
            out.append({"index": i, "response": f"{body.strip()}\nSo the answer is $\\boxed{{{ans.strip()}}}$."})
        return out
    if bench == "math500":  # the MATH reference solutions, which box their answers
        return [{"problem_id": r["unique_id"], "response": r["solution"]} for r in _rows(data, "math500/test.jsonl")]
    if bench in ("aime24", "aime25"):
        rel = "aime2024/test.jsonl" if bench == "aime24" else "aime2025/test.jsonl"
        return [{"id": r["id"], "response": f"Putting it together, the answer is $\\boxed{{{r['answer']}}}$."}
                for r in _rows(data, rel)]
    if bench == "humaneval":  # the canonical solution as a full fenced function
        return [{"task_id": r["task_id"], "response": f"```python\n{r['prompt']}{r['canonical_solution']}\n```"}
                for r in _rows(data, "humaneval/HumanEval.jsonl")]
    if bench == "mbpp":
        return [{"task_id": r["task_id"], "response": f"Here it is:\n```python\n{r['code']}\n```"}
                for r in _rows(data, "mbpp/sanitized-mbpp.jsonl")]
    raise ValueError(bench)


def shuffled(rows: list[dict]) -> list[dict]:
    """Each problem gets the next problem's response."""
    texts = [r["response"] for r in rows]
    return [{**r, "response": texts[(i + 1) % len(texts)]} for i, r in enumerate(rows)]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def score(tmp: Path, data: Path, bench: str, rows: list[dict], *extra: str, tag: str = "run") -> dict:
    resp = write_jsonl(tmp / f"{bench}-{tag}.jsonl", rows)
    cfg = compose("eval", [f"benchmark={bench}", f"benchmark.data_dir={data}", f"responses={resp}",
                           f"output_dir={tmp / (bench + '-' + tag)}", "plot=false", *extra])
    return run_eval(cfg)["metrics"]


# (benchmark, slice of the gold responses in the default run, extra overrides)
DEFAULT = [("gsm8k", slice(None, None, 3), ()), ("aime24", slice(None), ()), ("aime25", slice(None), ()),
           ("math500", slice(None, None, 10), ()), ("humaneval", slice(None, None, 6), ()),
           ("mbpp", slice(None, None, 16), ("benchmark.id_split=all",))]


@pytest.mark.parametrize(("bench", "part", "extra"), DEFAULT, ids=[d[0] for d in DEFAULT])
def test_gold_scores_100_and_shuffled_near_0(tmp_path, shared_data, bench, part, extra):
    rows = gold_responses(shared_data, bench)[part]
    gold = score(tmp_path, shared_data, bench, rows, *extra, tag="gold")
    assert gold["num_problems"] == len(rows) and gold["pass@1"] == 1.0 and gold["score/mean"] == 1.0
    if "maj@1" in gold:
        assert gold["maj@1"] == 1.0 and gold["no_answer"] == 0.0
    else:
        assert bench in ("humaneval", "mbpp")
    bad = score(tmp_path, shared_data, bench, shuffled(rows), *extra, tag="shuffled")
    assert bad["num_problems"] == len(rows) and bad["pass@1"] <= 0.05


@pytest.mark.slow
@pytest.mark.parametrize("bench", ["gsm8k", "math500", "humaneval", "mbpp"])
def test_gold_full_sets(tmp_path, shared_data, bench):
    rows = gold_responses(shared_data, bench)
    extra = ["benchmark.id_split=all"] if bench == "mbpp" else []
    full = score(tmp_path, shared_data, bench, rows, *extra, tag="gold")
    assert full["num_problems"] == {"gsm8k": 1319, "math500": 500, "humaneval": 164, "mbpp": 427}[bench]
    assert full["pass@1"] == 1.0
    if bench == "mbpp":  # the published test split: task ids 11..510
        test_split = score(tmp_path, shared_data, bench, rows, tag="test-split")
        assert test_split["num_problems"] == 257 and test_split["pass@1"] == 1.0


def _ifeval_check(tmp_path: Path, data: Path, limit: int | None) -> None:
    from evals.ifeval import score_ifeval

    inputs = _rows(data, "ifeval/input_data.jsonl")[:limit]
    by_prompt = {r["prompt"]: r["response"] for r in _rows(data, "ifeval/gpt4_responses_20231107.jsonl")}
    rows = [{"prompt": r["prompt"], "response": by_prompt[r["prompt"]]} for r in inputs]
    extra = [f"benchmark.limit={limit}"] if limit else []
    got = score(tmp_path, data, "ifeval", rows, *extra)
    want = score_ifeval(inputs, [r["response"] for r in rows])
    assert got["num_problems"] == len(inputs) and "maj@1" not in got
    for key in ("prompt_strict", "instruction_strict", "prompt_loose", "instruction_loose"):
        assert got[key] == pytest.approx(getattr(want, key)), key
    assert got["pass@1"] == pytest.approx(want.prompt_strict)
    assert 0.6 < got["prompt_strict"] < 0.9  # GPT-4 follows most instructions, not all


def test_ifeval_matches_evals_ifeval_on_a_slice(tmp_path, shared_data):
    _ifeval_check(tmp_path, shared_data, 120)


@pytest.mark.slow
def test_ifeval_full_matches_evals_ifeval(tmp_path, shared_data):
    _ifeval_check(tmp_path, shared_data, None)


def test_humaneval_completion_format(tmp_path, shared_data):
    """The official HumanEval sample format: task_id + a completion that continues the prompt."""
    rows = [{"task_id": r["task_id"], "completion": r["canonical_solution"]}
            for r in _rows(shared_data, "humaneval/HumanEval.jsonl")[:12]]
    got = score(tmp_path, shared_data, "humaneval", rows)
    assert got["num_problems"] == 12 and got["pass@1"] == 1.0
    broken = [{**r, "completion": r["completion"].replace("return", "return None and", 1)} for r in rows]
    assert score(tmp_path, shared_data, "humaneval", broken, tag="broken")["pass@1"] < 0.5
