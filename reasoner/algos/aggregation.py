"""Loss aggregation: how a [batch, tokens] loss matrix becomes one scalar.

Modes (names as in verl, so configs translate):
- ``token-mean``: sum over all valid tokens / number of valid tokens (DAPO, PPO).
- ``seq-mean-token-mean``: mean over sequences of each sequence's token mean (GRPO paper).
- ``seq-mean-token-sum``: mean over sequences of each sequence's token sum.
- ``seq-mean-token-sum-norm``: total token sum / (num sequences * ``norm_len``), with
  ``norm_len`` a constant such as max new tokens (Dr. GRPO: no length bias).

For gradient accumulation over micro-batches pass the global ``num_tokens`` /
``num_seqs`` of the mini-batch, so the sum of micro-batch losses equals the mini-batch loss.
"""

from __future__ import annotations

import torch

AGG_MODES = ("token-mean", "seq-mean-token-mean", "seq-mean-token-sum", "seq-mean-token-sum-norm")


def aggregate(
    loss_mat: torch.Tensor,
    mask: torch.Tensor,
    mode: str,
    norm_len: float | None = None,
    num_tokens: float | None = None,
    num_seqs: float | None = None,
) -> torch.Tensor:
    """Reduce ``loss_mat`` ([B, T]) under ``mask`` ([B, T], 1 = valid token) to a scalar."""
    if mode not in AGG_MODES:
        raise ValueError(f"unknown loss aggregation {mode!r}; choose one of {AGG_MODES}")
    mask = mask.to(loss_mat.dtype)
    masked = loss_mat * mask
    n_seqs = float(num_seqs) if num_seqs is not None else float(loss_mat.shape[0])
    if mode == "token-mean":
        denom = float(num_tokens) if num_tokens is not None else mask.sum().clamp(min=1.0)
        return masked.sum() / denom
    if mode == "seq-mean-token-mean":
        per_seq = masked.sum(-1) / mask.sum(-1).clamp(min=1.0)
        return per_seq.sum() / n_seqs
    if mode == "seq-mean-token-sum":
        return masked.sum() / n_seqs
    if norm_len is None or norm_len <= 0:
        raise ValueError("seq-mean-token-sum-norm needs a positive norm_len (e.g. max_new_tokens)")
    return masked.sum() / (n_seqs * float(norm_len))
