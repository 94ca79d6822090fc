"""Advantage estimators: pure functions from rewards to per-sequence / per-token advantages.

Registered by name in `ADVANTAGE_ESTIMATORS` so presets pick one by config.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


def group_relative(
    rewards: torch.Tensor,
    group_size: int,
    normalize_std: bool = True,
    eps: float = 1e-6,
    unbiased_std: bool = True,
) -> torch.Tensor:
    """GRPO advantages: (r - mean_group) / (std_group + eps); Dr. GRPO with ``normalize_std=False``.

    ``rewards`` is [num_groups * group_size] in group-major order. Returns the same shape.
    The std is the unbiased sample std by default (as torch.std, TRL and verl).
    """
    if rewards.dim() != 1 or rewards.numel() % group_size:
        raise ValueError(f"rewards of shape {tuple(rewards.shape)} do not split into groups of {group_size}")
    g = rewards.view(-1, group_size).to(torch.float32)
    centred = g - g.mean(dim=1, keepdim=True)
    if normalize_std:
        if group_size == 1:
            std = torch.zeros_like(g[:, :1])
        else:
            std = g.std(dim=1, keepdim=True, unbiased=unbiased_std)
        centred = centred / (std + eps)
    return centred.view(-1)


def broadcast_to_tokens(seq_adv: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Give every valid token of sequence i the advantage ``seq_adv[i]``."""
    return seq_adv.to(mask.device, torch.float32).unsqueeze(-1) * mask.to(torch.float32)


ADVANTAGE_ESTIMATORS: dict[str, Callable[..., torch.Tensor]] = {
    "group": group_relative,
}
