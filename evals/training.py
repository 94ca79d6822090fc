"""Benchmark evaluation during RL training (``train.benchmarks`` in conf/train.yaml).

Each benchmark entry is a dict: ``benchmark`` (a conf/benchmark name) plus optional
``n`` (1), ``temperature`` (0.0), ``top_p`` (1.0), ``max_new_tokens`` (512), ``ks``,
``seed`` (0), ``workers`` (2) and any benchmark config key (``limit``, ``data_dir``,
``path``, ``prompt_template``, ...). Samples and reports go to
``<output_dir>/step_<step>/<benchmark>/``. Sampling runs under a forked torch RNG seeded
from ``seed`` and the step, so evaluation never perturbs the training run's randomness.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from evals.benchmarks import BenchmarkError, benchmark_config, load_benchmark
from evals.run import Generated, evaluate_problems
from evals.scoring import Scorer
from reasoner.rollout.base import SamplingParams
from reasoner.rollout.groups import rollout_groups
from reasoner.types import Problem

RUN_KEYS = ("benchmark", "n", "temperature", "top_p", "top_k", "max_new_tokens", "ks", "seed", "workers",
            "batch_problems")
_PROBLEMS: dict[str, list[Problem]] = {}


def _problems(bcfg: Mapping[str, Any]) -> list[Problem]:
    """Benchmark problems, loaded once per configuration for the whole training run."""
    key = json.dumps(bcfg, sort_keys=True, default=str)
    if key not in _PROBLEMS:
        _PROBLEMS[key] = load_benchmark(bcfg)
    return _PROBLEMS[key]


def headline(name: str, metrics: Mapping[str, Any]) -> dict[str, float]:
    """The numeric metrics worth logging, as ``eval/<name>/<metric>``."""
    keep = ("pass@", "maj@", "score/mean", "response_len/mean", "truncated", "no_answer", "prompt_",
            "instruction_")
    return {f"eval/{name}/{k}": float(v) for k, v in metrics.items()
            if k.startswith(keep) and isinstance(v, (int, float)) and not isinstance(v, bool)}


def evaluate_during_training(engine: Any, tokenizer: Any, benchmarks: Sequence[Mapping[str, Any]], step: int,
                             output_dir: str | Path) -> dict[str, float]:
    """Evaluate the engine's current policy on each benchmark; flat metrics for the step's log."""
    import torch

    metrics: dict[str, float] = {}
    for entry in benchmarks:
        entry = dict(entry)
        if "benchmark" not in entry:
            raise BenchmarkError(f"train.benchmarks entry {entry} needs a 'benchmark' name")
        name = str(entry["benchmark"])
        bcfg = benchmark_config(name, {k: v for k, v in entry.items() if k not in RUN_KEYS})
        problems = _problems(bcfg)
        n = int(entry.get("n", 1))
        params = SamplingParams(temperature=float(entry.get("temperature", 0.0)),
                                top_p=float(entry.get("top_p", 1.0)), top_k=int(entry.get("top_k", 0) or 0),
                                max_new_tokens=int(entry.get("max_new_tokens", 512)))

        def produce(chunk: list[Problem], params: SamplingParams = params, n: int = n) -> list[Generated]:
            groups = rollout_groups(engine, tokenizer, chunk, n, params)
            return [[{"response": s.text, "finish_reason": s.finish_reason, "num_tokens": s.num_sampled}
                     for s in g.samples] for g in groups]

        out = Path(output_dir) / f"step_{step:06d}" / str(bcfg["name"])
        fingerprint = {"step": step, "benchmark": bcfg, "n": n, "sampling": vars(params)}
        with torch.random.fork_rng(), Scorer(bcfg, workers=int(entry.get("workers", 2))) as scorer:
            torch.manual_seed(int(entry.get("seed", 0)) * 1_000_003 + step)
            results = evaluate_problems(problems, bcfg, out, produce, scorer=scorer, fingerprint=fingerprint,
                                        ks=entry.get("ks"), batch_problems=int(entry.get("batch_problems", 64)),
                                        extra={"mode": "training", "step": step}, with_plot=False,
                                        log=None)
        metrics.update(headline(str(bcfg["name"]), results["metrics"]))
    return metrics
