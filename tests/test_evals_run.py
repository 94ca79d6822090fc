"""run_eval without a model: responses-file matching, metrics, reports, resume, data loading."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

import evals.run as run_mod
from evals.benchmarks import BenchmarkError, benchmark_config, load_benchmark, render
from evals.run import run_eval
from evals.store import SampleStore
from reasoner.config import compose

ANSWERS = [3, 10, 7, 42, 5, 8]


def _mini_gsm8k(tmp: Path) -> Path:
    """A GSM8K-format file of six problems."""
    rows = [{"question": f"What is {a - 1} + 1?", "answer": f"{a - 1} + 1 = {a}\n#### {a}"} for a in ANSWERS]
    path = tmp / "mini.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _cfg(tmp: Path, responses: list[dict], *extra: str, out: str = "out") -> dict:
    resp = tmp / "responses.jsonl"
    resp.write_text("".join(json.dumps(r) + "\n" for r in responses))
    return compose("eval", ["benchmark=gsm8k", f"benchmark.path={_mini_gsm8k(tmp)}", f"responses={resp}",
                            f"output_dir={tmp / out}", *extra])


def _boxed(x: object) -> str:
    return f"The answer is \\boxed{{{x}}}."


def test_responses_mode_metrics_and_reports(tmp_path):
    responses = [
        # problem 0 (answer 3): 2 correct of 4, one wrong, one without an answer
        {"index": 0, "responses": [_boxed(3), _boxed(4), "no idea", _boxed("3.0")], "truncated": False},
        # problem 1 (answer 10), named by id, four rows: majority wrong (9 x2, 10 x1, 11 x1)
        *[{"problem_id": "1", "response": _boxed(x), "finish_reason": "length", "num_tokens": 7}
          for x in (9, 10, 9, 11)],
        # problem 2, by its question text: all wrong
        {"prompt": "What is 6 + 1?", "responses": [_boxed(1)] * 4},
    ]
    res = run_eval(_cfg(tmp_path, responses))
    m = res["metrics"]
    assert m["num_problems"] == 3 and m["num_samples"] == 12 and m["n"] == 4 and m["ks"] == [1, 2, 4]
    assert m["pass@1"] == pytest.approx((2 / 4 + 1 / 4 + 0) / 3)
    assert m["pass@2"] == pytest.approx(((1 - 1 / 6) + (1 - 3 / 6) + 0) / 3)
    assert m["pass@4"] == pytest.approx(2 / 3)
    assert m["maj@4"] == pytest.approx(1 / 3)  # problem 0: 3 (x2, as 3 and 3.0) beats 4 (x1)
    assert m["maj@1"] == pytest.approx(m["pass@1"])
    assert m["no_answer"] == pytest.approx(1 / 12)
    assert m["truncated"] is None  # problem 2's rows do not say
    out = Path(res["files"]["results"]).parent
    saved = json.loads((out / "results.json").read_text())
    assert saved["metrics"] == m and saved["mode"] == "responses" and saved["missing"] == 3
    md = (out / "results.md").read_text()
    assert "| 4 | 66.67 | 33.33 |" in md and "maj@k" in md
    assert (out / "pass_at_k.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    samples = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert len(samples) == 12
    first = samples[0]
    assert first["problem_id"] == "0" and first["extracted"] == "3" and first["correct"] is True
    assert first["vote"] == "num:3" and samples[3]["vote"] == "num:3"  # 3.0 and 3 vote together
    assert samples[2]["vote"] is None and samples[2]["reason"]
    assert samples[4]["finish_reason"] == "length" and samples[4]["num_tokens"] == 7


def test_truncation_and_length_when_known(tmp_path):
    responses = [{"index": i, "response": _boxed(a), "finish_reason": "length" if i < 2 else "stop",
                  "num_tokens": 10 * (i + 1)} for i, a in enumerate(ANSWERS)]
    m = run_eval(_cfg(tmp_path, responses, "plot=false"))["metrics"]
    assert m["pass@1"] == 1.0 and m["truncated"] == pytest.approx(2 / 6)
    assert m["response_len/mean"] == pytest.approx(35.0)


def test_bad_response_files_name_the_line(tmp_path):
    with pytest.raises(BenchmarkError, match=r"responses.jsonl:2: problem_id='99' is not a problem"):
        run_eval(_cfg(tmp_path, [{"index": 0, "response": "x"}, {"problem_id": 99, "response": "x"}]))
    with pytest.raises(BenchmarkError, match="index 6 out of range"):
        run_eval(_cfg(tmp_path, [{"index": 6, "response": "x"}]))
    with pytest.raises(BenchmarkError, match="no 'response'"):
        run_eval(_cfg(tmp_path, [{"index": 0, "text": "x"}]))


def test_limit_keeps_the_first_problems(tmp_path):
    responses = [{"index": i, "response": _boxed(a)} for i, a in enumerate(ANSWERS)]
    res = run_eval(_cfg(tmp_path, responses, "benchmark.limit=2", "plot=false"))
    assert res["metrics"]["num_problems"] == 2
    saved = json.loads(Path(res["files"]["results"]).read_text())
    assert saved["ignored_responses"] == 4 and saved["missing"] == 0


def test_resume_after_a_crash_skips_finished_problems(tmp_path, monkeypatch):
    responses = [{"index": i, "responses": [_boxed(a), _boxed(a + 1)]} for i, a in enumerate(ANSWERS)]
    straight = run_eval(_cfg(tmp_path, responses, "batch_problems=2", "plot=false", out="straight"))

    scored: list[str] = []
    real_score = run_mod.Scorer.score

    def crash_on_second_batch(self, items):
        if len(scored) >= 2:
            raise RuntimeError("simulated crash")
        scored.extend(p.id for p, _ in items)
        return real_score(self, items)

    monkeypatch.setattr(run_mod.Scorer, "score", crash_on_second_batch)
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_eval(_cfg(tmp_path, responses, "batch_problems=2", "plot=false", out="crashed"))
    path = tmp_path / "crashed" / "samples.jsonl"
    assert set(SampleStore(path).load()) == {"0", "1"}
    with path.open("a") as f:  # a torn write of the in-flight problem
        f.write('{"problem_id": "2", "sample": 0, "n": 2, "respo')

    def count(self, items):
        scored.extend(p.id for p, _ in items)
        return real_score(self, items)

    scored.clear()
    monkeypatch.setattr(run_mod.Scorer, "score", count)
    resumed = run_eval(_cfg(tmp_path, responses, "batch_problems=2", "plot=false", out="crashed"))
    assert scored == ["2", "3", "4", "5"]
    assert resumed["metrics"] == straight["metrics"]
    lines = path.read_text().splitlines()
    assert len(lines) == 12 and all(json.loads(line) for line in lines)
    scored.clear()
    again = run_eval(_cfg(tmp_path, responses, "batch_problems=2", "plot=false", out="crashed"))
    assert scored == [] and again["metrics"] == straight["metrics"]


def test_store_counts_only_complete_problems(tmp_path):
    store = SampleStore(tmp_path / "s.jsonl")
    store.append([{"problem_id": "a", "sample": 0, "n": 2}, {"problem_id": "a", "sample": 1, "n": 2}])
    with store.path.open("a") as f:
        f.write(json.dumps({"problem_id": "b", "sample": 0, "n": 2}) + "\n")  # half of problem b
    assert set(store.load()) == {"a"}


def test_other_run_in_output_dir_is_refused(tmp_path):
    responses = [{"index": 0, "response": _boxed(3)}]
    run_eval(_cfg(tmp_path, responses, "plot=false"))
    other = _cfg(tmp_path, responses, "plot=false", "benchmark.prompt_template='Q: {question}'")
    with pytest.raises(BenchmarkError, match="different run.*prompt_template"):
        run_eval(other)
    assert run_eval({**other, "overwrite": True})["metrics"]["num_problems"] == 1


def test_render_leaves_other_braces():
    assert render("{question}\n\\boxed{} {x} {{y}}", {"question": "Q?"}) == "Q?\n\\boxed{} {x} {{y}}"
    cfg = benchmark_config("math500")
    assert cfg["prompt_template"].endswith("within \\boxed{}.") and "{problem}" in cfg["prompt_template"]


def test_hub_names_load_lazily_through_datasets(monkeypatch):
    calls = []
    rows = {"openai/gsm8k": [{"question": "1+1?", "answer": "1+1=2\n#### 2"}],
            "HuggingFaceH4/MATH-500": [{"problem": "P", "answer": "\\frac12", "unique_id": "test/a/1.json",
                                        "subject": "Algebra", "level": 2, "solution": "\\boxed{\\frac12}"}],
            "openai/openai_humaneval": [{"task_id": "HumanEval/0", "prompt": "def f():\n", "test": "def check(c): pass",
                                         "entry_point": "f", "canonical_solution": "    return 1\n"}],
            "google-research-datasets/mbpp": [{"task_id": 11, "prompt": "Do it.", "code": "x=1",
                                               "test_list": ["assert x == 1"], "test_imports": []}],
            "google/IFEval": [{"key": 1, "prompt": "Say hi.", "instruction_id_list": ["punctuation:no_comma"],
                               "kwargs": [{"num_words": None}]}]}

    def load_dataset(path, name=None, split=None):
        calls.append((path, name, split))
        return rows[path]

    monkeypatch.setitem(sys.modules, "datasets", types.SimpleNamespace(load_dataset=load_dataset))
    monkeypatch.delenv("REASONER_DATA_DIR", raising=False)
    got = {b: load_benchmark(benchmark_config(b)) for b in ("gsm8k", "math500", "humaneval", "mbpp", "ifeval")}
    assert calls[:4] == [("openai/gsm8k", "main", "test"), ("HuggingFaceH4/MATH-500", None, "test"),
                         ("openai/openai_humaneval", None, "test"), ("google-research-datasets/mbpp", "sanitized",
                                                                     "test")]
    assert calls[4][0] == "google/IFEval"
    assert got["gsm8k"][0].ground_truth == "2" and got["gsm8k"][0].task == "gsm8k"
    assert "1+1?" in got["gsm8k"][0].prompt[0]["content"] and "\\boxed{}" in got["gsm8k"][0].prompt[0]["content"]
    assert got["math500"][0].id == "test/a/1.json" and got["math500"][0].metadata["subject"] == "Algebra"
    assert got["humaneval"][0].ground_truth["prefix"] == "def f():\n" and got["humaneval"][0].task == "code"
    assert "assert x == 1" in got["mbpp"][0].prompt[0]["content"]
    assert got["ifeval"][0].ground_truth == {"instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}


def test_local_paths_and_errors(tmp_path, shared_data, monkeypatch):
    monkeypatch.delenv("REASONER_DATA_DIR", raising=False)
    by_dir = load_benchmark(benchmark_config("aime25", {"data_dir": str(shared_data)}))
    by_folder = load_benchmark(benchmark_config("aime25", {"path": str(shared_data / "aime2025")}))
    by_file = load_benchmark(benchmark_config("aime25", {"path": str(shared_data / "aime2025/test.jsonl")}))
    assert [p.id for p in by_dir] == [p.id for p in by_folder] == [p.id for p in by_file]
    assert len(by_dir) == 30 and by_dir[0].id == "2025-I-1" and by_dir[0].ground_truth == "70"
    mbpp = load_benchmark(benchmark_config("mbpp", {"data_dir": str(shared_data)}))
    assert len(mbpp) == 257 and all(11 <= int(p.id) <= 510 for p in mbpp)
    with pytest.raises(BenchmarkError, match="does not exist"):
        load_benchmark(benchmark_config("gsm8k", {"path": str(tmp_path / "nope.jsonl")}))
    with pytest.raises(BenchmarkError, match="not found"):
        load_benchmark(benchmark_config("gsm8k", {"data_dir": str(tmp_path)}))
    with pytest.raises(BenchmarkError, match="unknown benchmark"):
        benchmark_config("nope")
    monkeypatch.setitem(sys.modules, "datasets", None)  # not installed
    with pytest.raises(BenchmarkError, match="reasoner\\[hub\\]"):
        load_benchmark(benchmark_config("gsm8k"))
