"""Hydra entry points: reasoner-train, reasoner-sft, reasoner-eval, reasoner-demo.

Each takes Hydra overrides (``key=value``, ``group=option``), e.g.
``reasoner-train algo=dr_grpo model.path=Qwen/Qwen2.5-0.5B-Instruct output_dir=runs/x seed=1``.
"""

from __future__ import annotations

import json
import sys

import hydra
from omegaconf import DictConfig

from reasoner.config import config_dir, to_plain

CONF = config_dir()


def _run(fn, cfg: DictConfig) -> None:
    from reasoner.data.sources import DataError
    from reasoner.train.config import ConfigError

    try:
        result = fn(to_plain(cfg))
    except (ConfigError, DataError, KeyError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    if result is not None:
        print(json.dumps(result, indent=2, default=str))


@hydra.main(version_base=None, config_path=CONF, config_name="train")
def train(cfg: DictConfig) -> None:
    """RL training (GRPO and friends) on verifiable rewards."""
    from reasoner.train.rl import run_rl

    _run(lambda c: {k: v for k, v in run_rl(c).items() if k != "last_metrics"}, cfg)


@hydra.main(version_base=None, config_path=CONF, config_name="sft")
def sft(cfg: DictConfig) -> None:
    """Supervised fine-tuning on reference solutions."""
    from reasoner.train.sft import run_sft

    _run(run_sft, cfg)


@hydra.main(version_base=None, config_path=CONF, config_name="demo")
def demo(cfg: DictConfig) -> None:
    """SFT warm start -> held-out accuracy -> GRPO -> held-out accuracy, with a summary."""
    from reasoner.demo import run_demo

    _run(lambda c: run_demo(c) and None, cfg)


@hydra.main(version_base=None, config_path=CONF, config_name="eval")
def evaluate(cfg: DictConfig) -> None:
    """Benchmark evaluation (GSM8K, MATH-500, AIME, HumanEval, MBPP, IFEval)."""
    from evals.run import run_eval  # type: ignore[import-not-found]

    _run(run_eval, cfg)
