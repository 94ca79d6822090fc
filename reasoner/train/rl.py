"""The RL recipe: rollout -> reward -> advantages -> policy update -> weight sync, per step.

A plain function composed from config-built components (no trainer class to subclass).
Everything that can be wrong in the config or data is checked before a model is loaded.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from reasoner.algos import ADVANTAGE_ESTIMATORS, broadcast_to_tokens
from reasoner.data.sources import load_problems
from reasoner.data.stream import ProblemStream
from reasoner.logging.metrics import MetricsLogger
from reasoner.models.loading import (
    load_causal_lm,
    load_tokenizer,
    pick_device,
    quiet_transformers,
    resolve_model_path,
)
from reasoner.rewards.pipeline import RewardPipeline
from reasoner.rollout.groups import build_engine, close_engine, rollout_groups, sampling_params
from reasoner.train import checkpoint as ckpt
from reasoner.train.batch import build_batch
from reasoner.train.config import update_config, validate_rl
from reasoner.train.evaluate import heldout_accuracy
from reasoner.train.optim import build_optimizer
from reasoner.train.update import policy_update
from reasoner.types import Group


def group_advantages(groups: list[Group], algo: Mapping[str, Any]) -> torch.Tensor:
    """Per-sequence advantages for all samples (group-major) from the configured estimator."""
    rewards = torch.tensor([r for g in groups for r in g.rewards], dtype=torch.float32)
    fn = ADVANTAGE_ESTIMATORS[algo["advantage"]]
    return fn(rewards, int(algo["group_size"]), normalize_std=bool(algo.get("normalize_std", True)),
              eps=float(algo.get("std_eps", 1e-6)))


def rollout_metrics(groups: list[Group]) -> dict[str, float]:
    samples = [s for g in groups for s in g.samples]
    lens = [s.num_sampled for s in samples]
    rewards = [float(s.reward or 0.0) for s in samples]
    n = len(samples)
    mean_r = sum(rewards) / n
    return {
        "reward/mean": mean_r,
        "reward/std": (sum((r - mean_r) ** 2 for r in rewards) / n) ** 0.5,
        "accuracy": sum(bool(s.correct) for s in samples) / n,
        "response_len/mean": sum(lens) / n,
        "response_len/max": float(max(lens)),
        "response_len/truncated": sum(s.truncated for s in samples) / n,
        "groups/all_correct": sum(all(s.correct for s in g.samples) for g in groups) / len(groups),
        "groups/none_correct": sum(not any(s.correct for s in g.samples) for g in groups) / len(groups),
    }


def _truncate_metrics(path: Path, last_step: int) -> None:
    """Drop metric rows written after the checkpoint we resume from."""
    if not path.exists():
        return
    rows = [ln for ln in path.read_text().splitlines() if ln.strip() and json.loads(ln)["step"] <= last_step]
    path.write_text("".join(r + "\n" for r in rows))


def run_rl(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Train with RL as configured; returns a summary (final metrics, eval accuracy, paths)."""
    validate_rl(cfg)
    torch.set_num_threads(int(cfg.get("threads", 1)))
    torch.manual_seed(int(cfg["seed"]))
    out_dir = Path(cfg["output_dir"])
    algo, train, rcfg = cfg["algo"], cfg["train"], cfg["rollout"]
    group_size = int(algo["group_size"])
    prompts_per_step = int(train["batch_size"]) // group_size

    # Data and rewards first: bad rows and unknown verifiers fail before any model loads.
    train_problems = load_problems(cfg["data"], "train")
    eval_size = int(train.get("eval_size") or 0)
    eval_problems = load_problems(cfg["data"], "test")[:eval_size] if eval_size else []
    reward = RewardPipeline.from_config(cfg["reward"])
    reward.check_tasks({p.task for p in train_problems + eval_problems})

    quiet_transformers()
    device = pick_device(cfg.get("device", "auto"))
    mcfg = cfg["model"]
    base_path = resolve_model_path(mcfg["path"], mcfg.get("tiny"), mcfg.get("cache_dir"))
    resume_from = ckpt.find_checkpoint(cfg.get("resume"), out_dir)
    policy_path = str(resume_from / "policy") if resume_from else base_path
    tokenizer = load_tokenizer(policy_path)
    policy = load_causal_lm(policy_path, mcfg.get("dtype", "float32"), device)
    ucfg = update_config(cfg)
    ref = load_causal_lm(base_path, mcfg.get("dtype", "float32"), device, trainable=False) if ucfg.kl_coef > 0 else None
    engine = build_engine(rcfg, policy, tokenizer)
    steps = int(train["steps"])
    updates_per_step = ucfg.epochs * (int(train["batch_size"]) // (ucfg.mini_batch_size or int(train["batch_size"])))
    optimizer, scheduler = build_optimizer(policy, cfg["optim"], steps * updates_per_step)
    stream = ProblemStream(train_problems, seed=int(cfg["seed"]), shuffle=bool(cfg["data"].get("shuffle", True)))

    start = 0
    if resume_from:
        state = ckpt.load_state(resume_from)
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        stream.load_state_dict(state["data"])
        ckpt.set_rng_state(state["rng"])
        start = int(state["step"])
        _truncate_metrics(out_dir / "metrics.jsonl", start)
    engine.sync_weights(policy)
    if not resume_from:
        torch.manual_seed(int(cfg["seed"]))  # after model building/loading, which may draw random numbers

    logger = MetricsLogger(out_dir, steps, kind=cfg.get("logger", {}).get("kind", "console"),
                           console=bool(cfg.get("logger", {}).get("console", True)), append=start > 0)
    params = sampling_params(rcfg)
    greedy = sampling_params(rcfg, greedy=True)
    save_every = int(train.get("save_every") or 0)
    eval_every = int(train.get("eval_every") or 0)
    benchmarks = train.get("benchmarks") or []
    last: dict[str, Any] = {}

    def save(step: int) -> Path:
        state = {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                 "data": stream.state_dict(), "config": dict(cfg)}
        return ckpt.save_checkpoint(out_dir, step, policy, tokenizer, state, keep=train.get("keep_checkpoints"))

    try:
        for step in range(start + 1, steps + 1):
            t0 = time.perf_counter()
            problems = stream.next_batch(prompts_per_step)
            groups = rollout_groups(engine, tokenizer, problems, group_size, params)
            t1 = time.perf_counter()
            reward(groups)
            t2 = time.perf_counter()
            samples = [s for g in groups for s in g.samples]
            batch = build_batch(samples, tokenizer.pad_token_id)
            batch.advantages = broadcast_to_tokens(group_advantages(groups, algo), batch.mask)
            stats = policy_update(policy, ref, optimizer, scheduler, batch, ucfg)
            t3 = time.perf_counter()
            sync = engine.sync_weights(policy)
            t4 = time.perf_counter()
            n_tokens = sum(s.num_sampled for s in samples)
            metrics = {**rollout_metrics(groups), **stats,
                       "time/generate": t1 - t0, "time/reward": t2 - t1, "time/update": t3 - t2,
                       "time/sync": t4 - t3, "time/step": t4 - t0, "sync/bytes": float(sync.bytes),
                       "perf/samples_per_s": len(samples) / (t4 - t0),
                       "perf/tokens_per_s": n_tokens / (t4 - t0)}
            if eval_problems and eval_every and (step % eval_every == 0 or step == steps):
                ev = heldout_accuracy(engine, tokenizer, eval_problems, reward, greedy)
                metrics.update({f"eval/{k}": v for k, v in ev.items()})
            if benchmarks and eval_every and (step % eval_every == 0 or step == steps):
                from evals.training import evaluate_during_training

                metrics.update(evaluate_during_training(engine, tokenizer, benchmarks, step=step,
                                                        output_dir=out_dir / "evals"))
            logger.log(step, metrics)
            last = metrics
            if save_every and step % save_every == 0 and step != steps:
                save(step)
        final = save(steps) if steps > start else resume_from
    finally:
        logger.close()
        reward.close()
        close_engine(engine)
    return {"steps": steps, "final_checkpoint": str(final) if final else None,
            "policy_path": str(Path(final) / "policy") if final else policy_path, "last_metrics": last}
