"""Rule-based verifiers and the plugin registry. Imports neither torch nor reasoner."""

from verifiers.base import Verdict, Verifier, safe_call
from verifiers.pool import VerifierPool, verify_batch
from verifiers.registry import ENTRY_POINT_GROUP, get_verifier, list_verifiers, register

__all__ = ["Verdict", "Verifier", "safe_call", "get_verifier", "list_verifiers", "register",
           "ENTRY_POINT_GROUP", "VerifierPool", "verify_batch"]
