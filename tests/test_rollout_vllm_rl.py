"""GRPO with rollout=vllm learns as it does with rollout=hf (slow: two short runs on the CPU)."""

from __future__ import annotations

import importlib.util
import json

import pytest

if importlib.util.find_spec("vllm") is None:
    pytest.skip("vllm is not installed (see docs/vllm.md)", allow_module_level=True)

from reasoner.config import compose  # noqa: E402
from reasoner.train.rl import run_rl  # noqa: E402
from verifiers import Verdict, register  # noqa: E402

pytestmark = [pytest.mark.vllm, pytest.mark.slow]


@register("test_vllm_digit_fraction")
def digit_fraction(response, ground_truth, **meta):
    """Dense reward (share of digits): an untrained tiny model gets non-zero advantages at once."""
    score = sum(c.isdigit() for c in response) / max(1, len(response))
    return Verdict(score=score, correct=score > 0.3)


STEPS = 12
RUN = [
    "data.train_size=256", "data.test_size=8", "data.digits=1", "data.difficulty=1",
    "data.task=test_vllm_digit_fraction", "algo.group_size=8", "algo.kl_coef=0.0", "train.batch_size=64",
    f"train.steps={STEPS}", "train.save_every=0", "train.eval_every=0", "train.eval_size=0",
    "rollout.max_new_tokens=12", "optim.lr=3e-3", "logger.console=false", "device=cpu",
]


def rewards(out) -> list[dict]:
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def test_grpo_learns_with_vllm_as_with_hf(tmp_path):
    runs = {}
    for engine in ("hf", "vllm"):
        out = tmp_path / engine
        extra = ["rollout.kv_cache_memory_bytes=67108864", f"rollout.cache_root={tmp_path / 'vllm-cache'}"] \
            if engine == "vllm" else []
        run_rl(compose("train", RUN + [f"rollout={engine}", f"output_dir={out}", *extra]))
        runs[engine] = rewards(out)
    third = STEPS // 3
    for engine, rows in runs.items():
        r = [row["reward/mean"] for row in rows]
        start, end = sum(r[:third]) / third, sum(r[-third:]) / third
        assert end > start + 0.1, f"{engine}: reward {start:.3f} -> {end:.3f}"
    hf_end = sum(row["reward/mean"] for row in runs["hf"][-third:]) / third
    vl_end = sum(row["reward/mean"] for row in runs["vllm"][-third:]) / third
    assert abs(hf_end - vl_end) < 0.25, f"final reward hf {hf_end:.3f} vs vllm {vl_end:.3f}"
    v = runs["vllm"]
    assert all(row["sync/bytes"] > 0 for row in v) and all(row["sync/bytes"] == 0 for row in runs["hf"])
    # vLLM's log-probs agree with the trainer's (float32, same weights after every sync)
    assert max(row["actor/logprob_diff_max"] for row in v) < 1e-3
    print({e: [round(row["reward/mean"], 3) for row in rows] for e, rows in runs.items()})
