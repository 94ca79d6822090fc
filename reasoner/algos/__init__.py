"""Pure functions for the RL math: advantages, policy losses, KL, loss aggregation."""

from reasoner.algos.advantages import ADVANTAGE_ESTIMATORS, broadcast_to_tokens, group_relative
from reasoner.algos.aggregation import AGG_MODES, aggregate
from reasoner.algos.kl import KL_ESTIMATORS, kl_penalty
from reasoner.algos.policy_loss import PolicyLossOut, clipped_policy_loss

__all__ = ["ADVANTAGE_ESTIMATORS", "AGG_MODES", "KL_ESTIMATORS", "PolicyLossOut", "aggregate",
           "broadcast_to_tokens", "clipped_policy_loss", "group_relative", "kl_penalty"]
