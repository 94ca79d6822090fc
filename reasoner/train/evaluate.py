"""Held-out accuracy of a policy: greedy (or sampled) decoding scored by the reward verifiers."""

from __future__ import annotations

from typing import Any

from reasoner.rewards.pipeline import RewardPipeline
from reasoner.rollout.base import RolloutEngine, SamplingParams
from reasoner.rollout.groups import rollout_groups
from reasoner.types import Problem


def heldout_accuracy(engine: RolloutEngine, tokenizer: Any, problems: list[Problem], reward: RewardPipeline,
                     params: SamplingParams, n: int = 1) -> dict[str, float]:
    """Mean correctness, reward and response length over ``problems`` (n samples each)."""
    groups = rollout_groups(engine, tokenizer, problems, n, params)
    reward(groups)
    samples = [s for g in groups for s in g.samples]
    k = max(1, len(samples))
    return {
        "accuracy": sum(bool(s.correct) for s in samples) / k,
        "reward": sum(float(s.reward or 0.0) for s in samples) / k,
        "response_len": sum(s.num_sampled for s in samples) / k,
        "truncated": sum(s.truncated for s in samples) / k,
    }
