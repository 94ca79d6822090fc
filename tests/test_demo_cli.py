"""The demo and the Hydra entry points, end to end on a tiny budget."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TINY_DEMO = ["sft.steps=30", "train.steps=2", "train.batch_size=16", "train.mini_batch_size=8", "algo.group_size=4",
             "heldout_size=8", "rollout.max_new_tokens=16", "data.train_size=64", "logger.console=false"]


def _entry(name: str, args: list[str]) -> subprocess.CompletedProcess:
    code = f"import sys; from reasoner.cli import {name}; sys.argv = ['reasoner-{name}'] + sys.argv[1:]; {name}()"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=900)


def test_demo_writes_summary(tmp_path):
    proc = _entry("demo", [f"output_dir={tmp_path}", "seed=3", *TINY_DEMO])
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert {"accuracy_before", "accuracy_after", "steps", "seconds"} <= set(summary)
    assert summary["steps"] == 2 and summary["seed"] == 3
    assert 0.0 <= summary["accuracy_before"] <= 1.0 and 0.0 <= summary["accuracy_after"] <= 1.0
    assert "accuracy" in proc.stdout and "after SFT" in proc.stdout  # the before/after table
    assert (tmp_path / "rl" / "metrics.jsonl").exists() and (tmp_path / "sft" / "model" / "config.json").exists()


def test_train_cli_tensorboard_and_bad_config(tmp_path):
    proc = _entry("train", [f"output_dir={tmp_path}", "train.steps=1", "train.batch_size=8", "algo.group_size=4",
                            "rollout.max_new_tokens=8", "data.train_size=16", "logger=tensorboard",
                            "train.eval_every=0"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))
    row = json.loads((tmp_path / "metrics.jsonl").read_text().splitlines()[0])
    for key in ("reward/mean", "accuracy", "response_len/mean", "response_len/max", "actor/clip_frac",
                "actor/entropy", "actor/grad_norm", "perf/samples_per_s", "perf/tokens_per_s", "time/generate",
                "time/reward", "time/update"):
        assert key in row, key
    bad = _entry("train", [f"output_dir={tmp_path}/bad", "train.batch_size=10", "algo.group_size=4"])
    assert bad.returncode == 2 and "train.batch_size=10 is not divisible by algo.group_size=4" in bad.stderr


def test_sft_masks_prompt(tiny):
    from reasoner.train.sft import collate

    model, tok = tiny
    ids, attn, mask = collate([([5, 6, 7], [8, 9]), ([5], [8, 9, 10])], tok.pad_token_id)
    # targets are tokens 1..T-1; only response tokens are trained on
    assert mask.tolist() == [[0, 0, 1, 1], [1, 1, 1, 0]]
    assert attn.tolist() == [[1, 1, 1, 1, 1], [1, 1, 1, 1, 0]]


def test_length_bucketed_order_is_a_permutation_with_less_padding():
    import random

    from reasoner.train.sft import length_bucketed_order

    rng = random.Random(0)
    examples = [([1] * 5, [2] * (1 if i % 2 else 30)) for i in range(256)]
    order = length_bucketed_order(examples, 16, 8, random.Random(1))
    assert sorted(order) == list(range(256))

    def padded(o):
        return sum(16 * max(len(examples[i][1]) for i in o[b : b + 16]) for b in range(0, 256, 16))

    plain = list(range(256))
    rng.shuffle(plain)
    assert padded(order) < 0.7 * padded(plain)
    assert length_bucketed_order(examples, 16, 1, random.Random(1)) != order


def test_shipped_rl_configs_validate():
    """The defaults in demo.yaml and train.yaml pass the pre-load checks (batch / mini-batch / group sizes agree)."""
    import pytest

    from reasoner.config import compose
    from reasoner.train.config import ConfigError, validate_rl

    for name in ("demo", "train"):
        validate_rl(compose(name, []))
    with pytest.raises(ConfigError, match="train.mini_batch_size=128 does not divide train.batch_size=16"):
        validate_rl(compose("demo", ["train.batch_size=16"]))
