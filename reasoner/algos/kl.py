"""KL estimators between the policy and a reference (Schulman, "Approximating KL").

With ``log_ratio = logp_ref - logp`` for tokens sampled from the policy:
- k1 = -log_ratio                      (unbiased, high variance, can be negative)
- k2 = log_ratio**2 / 2                (biased, low variance)
- k3 = exp(log_ratio) - 1 - log_ratio  (unbiased, low variance, always >= 0)
"""

from __future__ import annotations

import torch

KL_ESTIMATORS = ("k1", "k2", "k3")


def kl_penalty(logp: torch.Tensor, ref_logp: torch.Tensor, kind: str = "k3", clamp: float = 20.0) -> torch.Tensor:
    """Per-token KL estimate of KL(policy || ref); ``clamp`` bounds the log ratio for stability."""
    if kind not in KL_ESTIMATORS:
        raise ValueError(f"unknown KL estimator {kind!r}; choose one of {KL_ESTIMATORS}")
    log_ratio = (ref_logp - logp).clamp(-clamp, clamp)
    if kind == "k1":
        return -log_ratio
    if kind == "k2":
        return 0.5 * log_ratio.pow(2)
    return torch.exp(log_ratio) - 1.0 - log_ratio
