"""Clipped importance-ratio policy loss (PPO / GRPO / DAPO family), per token.

Returns the per-token loss matrix and statistics; `aggregation.aggregate` reduces it.
Separate ``clip_low`` / ``clip_high`` give DAPO's clip-higher; ``clip_ratio_c`` enables
dual-clip for negative advantages (Ye et al. 2020), off when None.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class PolicyLossOut:
    loss_mat: torch.Tensor  # [B, T] per-token loss (unmasked)
    clipped: torch.Tensor  # [B, T] bool: the clipped branch was taken
    ratio: torch.Tensor  # [B, T]


def clipped_policy_loss(
    logp: torch.Tensor,
    old_logp: torch.Tensor,
    advantages: torch.Tensor,
    clip_low: float = 0.2,
    clip_high: float = 0.2,
    clip_ratio_c: float | None = None,
) -> PolicyLossOut:
    """Per-token ``max(-A * r, -A * clip(r, 1 - clip_low, 1 + clip_high))``, r = exp(logp - old)."""
    log_ratio = (logp - old_logp).clamp(-20.0, 20.0)
    ratio = torch.exp(log_ratio)
    unclipped = -advantages * ratio
    clipped_v = -advantages * ratio.clamp(1.0 - clip_low, 1.0 + clip_high)
    loss = torch.maximum(unclipped, clipped_v)
    was_clipped = clipped_v > unclipped
    if clip_ratio_c is not None:
        if clip_ratio_c <= 1.0:
            raise ValueError(f"clip_ratio_c must be > 1, got {clip_ratio_c}")
        dual = -advantages * clip_ratio_c
        neg = advantages < 0
        loss = torch.where(neg, torch.minimum(loss, dual), loss)
        was_clipped = was_clipped | (neg & (dual < torch.maximum(unclipped, clipped_v)))
    return PolicyLossOut(loss, was_clipped, ratio)
