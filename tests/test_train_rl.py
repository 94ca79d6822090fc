"""The RL loop end to end on the tiny model: resume exactness, checkpoints, bad input."""

import json

import pytest
import torch
from safetensors.torch import load_file

import reasoner.train.rl as rl
from reasoner.config import compose
from reasoner.data.sources import DataError
from reasoner.train.config import ConfigError
from verifiers import Verdict, register


@register("test_digit_fraction")
def digit_fraction(response, ground_truth, **meta):
    """A dense test reward (share of digits) so an untrained tiny model gets non-zero advantages."""
    score = sum(c.isdigit() for c in response) / max(1, len(response))
    return Verdict(score=score, correct=score > 0.3)

SMALL = [
    "data.train_size=64", "data.test_size=8", "data.digits=1", "data.difficulty=1",
    "algo.group_size=4", "train.batch_size=16", "train.steps=4", "rollout.max_new_tokens=10",
    "train.epochs=2", "train.mini_batch_size=8", "algo.kl_coef=0.04", "train.save_every=2",
    "train.keep_checkpoints=3", "train.eval_every=2", "train.eval_size=4", "optim.lr=1e-3",
    "optim.schedule=cosine", "optim.warmup_steps=1", "logger.console=false", "device=cpu",
    "data.task=test_digit_fraction",
]


def _cfg(out, *extra):
    return compose("train", SMALL + [f"output_dir={out}", *extra])


def _weights(run_dir, step=4):
    return load_file(str(run_dir / "checkpoints" / f"step_{step:06d}" / "policy" / "model.safetensors"))


def _metrics(run_dir):
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [{k: v for k, v in r.items() if not k.startswith(("time/", "perf/"))} for r in rows]


def test_resume_is_exact(tmp_path, monkeypatch):
    straight = tmp_path / "straight"
    rl.run_rl(_cfg(straight))

    crashed = tmp_path / "crashed"
    real_update = rl.policy_update
    calls = {"n": 0}

    def crash_on_third(*a, **k):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("simulated crash in step 3")
        return real_update(*a, **k)

    monkeypatch.setattr(rl, "policy_update", crash_on_third)
    with pytest.raises(RuntimeError, match="simulated crash"):
        rl.run_rl(_cfg(crashed))
    monkeypatch.setattr(rl, "policy_update", real_update)
    assert (crashed / "checkpoints" / "latest").read_text().strip() == "step_000002"
    rl.run_rl(_cfg(crashed, "resume=true"))

    a, b = _weights(straight), _weights(crashed)
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    assert _metrics(straight) == _metrics(crashed)
    assert [r["step"] for r in _metrics(crashed)] == [1, 2, 3, 4]
    # and training really changed the model between the checkpoints
    mid = _weights(straight, 2)
    assert any(not torch.equal(a[k], mid[k]) for k in a)
    assert all(r["reward/std"] > 0 for r in _metrics(straight))


def test_resume_from_path_and_checkpoint_contents(tmp_path):
    run = tmp_path / "run"
    rl.run_rl(_cfg(run, "train.steps=2"))
    ck = run / "checkpoints" / "step_000002"
    state = torch.load(ck / "state.pt", weights_only=False)
    assert {"optimizer", "scheduler", "data", "rng", "step"} <= set(state)
    assert (ck / "policy" / "config.json").exists() and (ck / "policy" / "tokenizer.json").exists()
    assert not list((run / "checkpoints").glob(".step_*"))  # no temp dirs left behind
    other = tmp_path / "other"
    out = rl.run_rl(_cfg(other, "train.steps=3", f"resume={ck}"))
    assert out["final_checkpoint"].endswith("step_000003")
    assert [r["step"] for r in _metrics(other)] == [3]


def _no_model(*a, **k):
    raise AssertionError("a model was loaded before the input was validated")


@pytest.fixture()
def forbid_model_load(monkeypatch):
    monkeypatch.setattr(rl, "load_causal_lm", _no_model)
    monkeypatch.setattr(rl, "load_tokenizer", _no_model)


def test_batch_not_divisible_by_group(tmp_path, forbid_model_load):
    with pytest.raises(ConfigError, match=r"train\.batch_size=18 is not divisible by algo\.group_size=4"):
        rl.run_rl(_cfg(tmp_path, "train.batch_size=18"))


def test_unknown_preset_and_estimator(tmp_path, forbid_model_load):
    with pytest.raises(Exception, match=r"algo/nope"):
        _cfg(tmp_path, "algo=nope")
    with pytest.raises(ConfigError, match=r"algo\.advantage='gae2'"):
        rl.run_rl(_cfg(tmp_path, "algo.advantage=gae2"))
    with pytest.raises(ConfigError, match=r"algo\.loss_agg='mean'"):
        rl.run_rl(_cfg(tmp_path, "algo.loss_agg=mean"))


def test_row_without_ground_truth(tmp_path, forbid_model_load):
    f = tmp_path / "train.jsonl"
    f.write_text('{"prompt": "1+1?", "answer": "2"}\n{"prompt": "2+2?", "answer": ""}\n')
    with pytest.raises(DataError, match=r"train\.jsonl row 1: no ground truth"):
        rl.run_rl(compose("train", ["data=jsonl", f"data.train_path={f}", "data.task=numeric",
                                    f"output_dir={tmp_path}"]))


def test_unknown_verifier(tmp_path, forbid_model_load):
    with pytest.raises(KeyError, match="unknown verifier 'nosuch'"):
        rl.run_rl(_cfg(tmp_path, "data.task=nosuch"))
