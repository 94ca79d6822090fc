"""AdamW and learning-rate schedules (warmup then constant or cosine)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

SCHEDULES = ("constant", "warmup", "cosine")


def lr_lambda(step: int, schedule: str, warmup_steps: int, total_steps: int, min_lr_ratio: float = 0.0) -> float:
    """Multiplier of the base LR at optimizer step ``step`` (0-based).

    constant: 1. warmup: linear 0 -> 1 over ``warmup_steps`` then 1. cosine: the same
    warmup, then cosine decay from 1 to ``min_lr_ratio`` at ``total_steps``.
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown lr schedule {schedule!r}; choose one of {SCHEDULES}")
    if schedule == "constant":
        return 1.0
    if warmup_steps > 0 and step < warmup_steps:
        return (step + 1) / warmup_steps
    if schedule == "warmup":
        return 1.0
    span = max(1, total_steps - warmup_steps)
    progress = min(1.0, (step - warmup_steps) / span)
    return min_lr_ratio + (1.0 - min_lr_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))


def build_optimizer(model: torch.nn.Module, cfg: Mapping[str, Any], total_steps: int):
    """AdamW over trainable parameters + a LambdaLR schedule, from an ``optim`` config."""
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(
        params,
        lr=float(cfg.get("lr", 1e-6)),
        betas=tuple(cfg.get("betas", (0.9, 0.999))),
        eps=float(cfg.get("eps", 1e-8)),
        weight_decay=float(cfg.get("weight_decay", 0.0)),
    )
    schedule = str(cfg.get("schedule", "constant"))
    warmup = int(cfg.get("warmup_steps", 0))
    min_ratio = float(cfg.get("min_lr_ratio", 0.0))
    lr_lambda(0, schedule, warmup, total_steps)  # validate the name now
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: lr_lambda(s, schedule, warmup, total_steps, min_ratio)
    )
    return opt, sched
