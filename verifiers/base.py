"""The verifier contract: `Verdict` and the `Verifier` protocol.

A verifier is a named callable ``verify(response, ground_truth, **meta) -> Verdict``.
It never raises into the caller: a failure is a zero-score Verdict with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass
class Verdict:
    """What a verifier returns for one response.

    score: the reward in [0, 1] for most verifiers (float, may be fractional).
    correct: whether the response counts as right (used for accuracy / pass@k).
    extracted: the answer the verifier pulled out of the response, if any.
    reason: why the verdict is negative or degraded (parse failure, timeout...).
    info: free-form per-verifier details (e.g. which test failed).
    """

    score: float
    correct: bool
    extracted: str | None = None
    reason: str | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def fail(cls, reason: str, extracted: str | None = None, **info: Any) -> Verdict:
        """A zero-score verdict carrying the reason it failed."""
        return cls(score=0.0, correct=False, extracted=extracted, reason=reason, info=dict(info))

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "correct": self.correct,
            "extracted": self.extracted,
            "reason": self.reason,
            "info": self.info,
        }


@runtime_checkable
class Verifier(Protocol):
    """Anything callable as ``verifier(response, ground_truth, **meta) -> Verdict``."""

    def __call__(self, response: str, ground_truth: Any, **meta: Any) -> Verdict: ...


def safe_call(verifier: Verifier, response: str, ground_truth: Any, **meta: Any) -> Verdict:
    """Call a verifier in-process, turning any exception into a zero-score Verdict."""
    try:
        verdict = verifier(response, ground_truth, **meta)
    except Exception as exc:  # noqa: BLE001 - a verifier must never crash the run
        return Verdict.fail(f"verifier raised {type(exc).__name__}: {exc}")
    if not isinstance(verdict, Verdict):
        return Verdict.fail(f"verifier returned {type(verdict).__name__}, not Verdict")
    return verdict
