"""Config checks that run before any model is loaded, and typed views of config groups."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reasoner.algos import ADVANTAGE_ESTIMATORS, AGG_MODES, KL_ESTIMATORS
from reasoner.train.update import UpdateConfig


class ConfigError(ValueError):
    """A config value is invalid; the message names the key."""


def _require(cond: bool, msg: str) -> None:
    if not cond:
        raise ConfigError(msg)


def validate_rl(cfg: Mapping[str, Any]) -> None:
    """Raise ConfigError naming the key for an unusable RL config."""
    algo, train = cfg["algo"], cfg["train"]
    g = int(algo["group_size"])
    bs = int(train["batch_size"])
    _require(g >= 1, f"algo.group_size must be >= 1, got {g}")
    _require(bs % g == 0, f"train.batch_size={bs} is not divisible by algo.group_size={g}")
    mini = int(train.get("mini_batch_size") or 0)
    _require(mini == 0 or bs % mini == 0, f"train.mini_batch_size={mini} does not divide train.batch_size={bs}")
    micro = int(train.get("micro_batch_size") or 0)
    _require(micro == 0 or (mini or bs) % micro == 0,
             f"train.micro_batch_size={micro} does not divide the mini-batch size {mini or bs}")
    _require(algo.get("advantage") in ADVANTAGE_ESTIMATORS,
             f"algo.advantage={algo.get('advantage')!r} is unknown; choose one of {sorted(ADVANTAGE_ESTIMATORS)}")
    _require(algo.get("loss_agg") in AGG_MODES,
             f"algo.loss_agg={algo.get('loss_agg')!r} is unknown; choose one of {AGG_MODES}")
    _require(algo.get("kl_estimator", "k3") in KL_ESTIMATORS,
             f"algo.kl_estimator={algo.get('kl_estimator')!r} is unknown; choose one of {KL_ESTIMATORS}")
    _require(float(algo.get("clip_low", 0.2)) >= 0 and float(algo.get("clip_high", 0.2)) >= 0,
             "algo.clip_low / algo.clip_high must be >= 0")
    _require(int(train["steps"]) >= 1, f"train.steps must be >= 1, got {train['steps']}")
    if algo.get("loss_agg") == "seq-mean-token-sum-norm":
        _require(norm_len(cfg) > 0, "algo.norm_len (or rollout.max_new_tokens) must be > 0")


def norm_len(cfg: Mapping[str, Any]) -> float:
    """Dr. GRPO's constant normaliser: algo.norm_len, else rollout.max_new_tokens."""
    return float(cfg["algo"].get("norm_len") or cfg["rollout"]["max_new_tokens"])


def update_config(cfg: Mapping[str, Any]) -> UpdateConfig:
    algo, train = cfg["algo"], cfg["train"]
    return UpdateConfig(
        epochs=int(train.get("epochs", 1)),
        mini_batch_size=int(train.get("mini_batch_size") or 0),
        micro_batch_size=int(train.get("micro_batch_size") or 0),
        clip_low=float(algo.get("clip_low", 0.2)),
        clip_high=float(algo.get("clip_high", 0.2)),
        clip_ratio_c=algo.get("clip_ratio_c"),
        loss_agg=str(algo["loss_agg"]),
        norm_len=norm_len(cfg),
        kl_coef=float(algo.get("kl_coef", 0.0)),
        kl_estimator=str(algo.get("kl_estimator", "k3")),
        entropy_coef=float(algo.get("entropy_coef", 0.0)),
        max_grad_norm=float(train.get("max_grad_norm", 1.0)),
        temperature=float(cfg["rollout"].get("temperature", 1.0)),
        tis_cap=(float(algo["tis_cap"]) if algo.get("tis_cap") is not None else None),
        share_prompts=bool(train.get("share_prompts", True)),
        skip_zero_advantage=bool(train.get("skip_zero_advantage", True)),
        reuse_first_old_logprobs=bool(train.get("reuse_first_old_logprobs", True)),
    )
