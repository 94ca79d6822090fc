"""End to end through generation: the tiny model on GSM8K (in-process, via the CLI) and in training."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import evals.run as run_mod
from evals.run import run_eval
from reasoner.config import compose

ROOT = Path(__file__).resolve().parents[1]
TINY = ["model=tiny", "model.path=builtin:tiny", "device=cpu", "threads=1"]


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_tiny_model_on_gsm8k_slice(tmp_path, shared_data, tiny_path, monkeypatch):
    out = tmp_path / "eval"
    overrides = ["benchmark=gsm8k", "benchmark.limit=20", f"benchmark.data_dir={shared_data}", *TINY,
                 "n=2", "rollout.temperature=1.0", "rollout.max_new_tokens=12", "batch_problems=8",
                 f"output_dir={out}"]
    res = run_eval(compose("eval", overrides))
    m = res["metrics"]
    assert m["num_problems"] == 20 and m["num_samples"] == 40 and m["ks"] == [1, 2]
    for key in ("pass@1", "pass@2", "maj@1", "maj@2", "truncated", "response_len/mean"):
        assert isinstance(m[key], float), key
    assert 0.0 <= m["pass@1"] <= m["pass@2"] <= 1.0
    assert 0 < m["response_len/mean"] <= 12 and m["truncated"] > 0.5  # a random model rarely stops
    samples = _lines(out / "samples.jsonl")
    assert len(samples) == 40 and {s["problem_id"] for s in samples} == {str(i) for i in range(20)}
    assert all(s["num_tokens"] <= 12 and s["finish_reason"] in ("stop", "length") for s in samples)
    assert all(set(s) >= {"response", "extracted", "correct", "score", "reason", "vote"} for s in samples)
    for name in ("results.json", "results.md", "pass_at_k.png"):
        assert (out / name).stat().st_size > 0, name
    saved = json.loads((out / "results.json").read_text())
    assert saved["mode"] == "generate" and saved["model"] == "builtin:tiny" and saved["metrics"] == m

    # re-running finds every problem finished: no model load, no generation, same report
    def no_generation(*a, **k):
        raise AssertionError("resumed run loaded the model or generated again")

    monkeypatch.setattr("reasoner.rollout.groups.rollout_groups", no_generation)
    monkeypatch.setattr("reasoner.models.loading.load_causal_lm", no_generation)
    assert run_eval(compose("eval", overrides))["metrics"] == m
    # raising the limit generates only the new problems
    produced: list[str] = []
    real = run_mod.evaluate_problems

    def spy(problems, bcfg, out_dir, produce, **kw):
        def counting(chunk):
            produced.extend(p.id for p in chunk)
            return produce(chunk)
        return real(problems, bcfg, out_dir, counting, **kw)

    monkeypatch.undo()
    monkeypatch.setattr(run_mod, "evaluate_problems", spy)
    more = run_eval(compose("eval", [*overrides, "benchmark.limit=23"]))
    assert produced == ["20", "21", "22"] and more["metrics"]["num_problems"] == 23


def test_cli_entry_point(tmp_path, shared_data, tiny_path):
    out = tmp_path / "cli"
    code = ("import sys; from reasoner.cli import evaluate; sys.argv = ['reasoner-eval'] + sys.argv[1:]; "
            "evaluate()")
    args = ["benchmark=gsm8k", "benchmark.limit=3", f"benchmark.data_dir={shared_data}", *TINY,
            "rollout.max_new_tokens=6", f"output_dir={out}"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    printed = json.loads(proc.stdout[proc.stdout.index("{"):])
    assert printed["benchmark"] == "gsm8k" and printed["metrics"]["num_problems"] == 3
    assert json.loads((out / "results.json").read_text())["metrics"] == printed["metrics"]


def test_cli_reports_bad_data_as_usage_error(tmp_path, monkeypatch, capsys):
    from reasoner.cli import evaluate

    monkeypatch.setattr(sys, "argv", ["reasoner-eval", "benchmark=gsm8k", f"benchmark.path={tmp_path / 'no.jsonl'}",
                                      f"output_dir={tmp_path / 'out'}", *TINY])
    with pytest.raises(SystemExit) as exc:
        evaluate()
    assert exc.value.code == 2 and "does not exist" in capsys.readouterr().err


SMALL_RL = ["data.train_size=16", "data.test_size=4", "data.digits=1", "data.difficulty=1", "algo.group_size=2",
            "train.batch_size=4", "train.steps=2", "rollout.max_new_tokens=6", "train.eval_every=1",
            "train.eval_size=0", "train.save_every=0", "logger.console=false", "device=cpu", "algo.kl_coef=0.0"]


def test_evaluation_during_training(tmp_path, shared_data, tiny_path):
    import reasoner.train.rl as rl

    out = tmp_path / "rl"
    bench = (f"train.benchmarks=[{{benchmark:gsm8k,limit:3,n:2,temperature:1.0,max_new_tokens:6,"
             f"data_dir:'{shared_data}'}},{{benchmark:aime24,limit:2,max_new_tokens:4,data_dir:'{shared_data}'}}]")
    rl.run_rl(compose("train", [*SMALL_RL, f"output_dir={out}", bench]))
    rows = _lines(out / "metrics.jsonl")
    assert [r["step"] for r in rows] == [1, 2]
    for r in rows:
        for key in ("eval/gsm8k/pass@1", "eval/gsm8k/pass@2", "eval/gsm8k/maj@2", "eval/gsm8k/truncated",
                    "eval/gsm8k/response_len/mean", "eval/aime24/pass@1", "eval/aime24/maj@1"):
            assert isinstance(r[key], float), key
        assert "eval/aime24/pass@2" not in r  # n=1
    for step in (1, 2):
        samples = _lines(out / "evals" / f"step_{step:06d}" / "gsm8k" / "samples.jsonl")
        assert len(samples) == 6 and all(s["num_tokens"] <= 6 for s in samples)
        assert (out / "evals" / f"step_{step:06d}" / "aime24" / "results.json").exists()


def test_training_eval_does_not_touch_the_training_rng(tiny, shared_data, tmp_path):
    import torch

    from evals.training import evaluate_during_training
    from reasoner.rollout.hf import HFRolloutEngine

    model, tok = tiny
    engine = HFRolloutEngine(model, tok)
    bench = [{"benchmark": "gsm8k", "limit": 2, "n": 2, "temperature": 1.0, "max_new_tokens": 5,
              "data_dir": str(shared_data)}]
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    first = evaluate_during_training(engine, tok, bench, step=7, output_dir=tmp_path / "a")
    assert torch.equal(torch.rand(3), expected)
    second = evaluate_during_training(engine, tok, bench, step=7, output_dir=tmp_path / "b")
    assert first == second  # seeded from the step: the same samples again
    a = _lines(tmp_path / "a" / "step_000007" / "gsm8k" / "samples.jsonl")
    b = _lines(tmp_path / "b" / "step_000007" / "gsm8k" / "samples.jsonl")
    assert [s["response"] for s in a] == [s["response"] for s in b]
    with pytest.raises(ValueError, match="unknown benchmark"):
        evaluate_during_training(engine, tok, [{"benchmark": "nope"}], step=1, output_dir=tmp_path)
