"""The objects that flow through one RL step: Problem -> Sample -> Group -> (Batch).

Plain dataclasses, no torch: they cross process boundaries (rollout servers, reward
workers) and are serialised to JSONL for evaluation and debugging.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Message = dict[str, str]
FinishReason = Literal["stop", "length"]


@dataclass
class Problem:
    """One task instance.

    id: stable identifier (unique within a dataset split).
    prompt: chat messages, e.g. ``[{"role": "user", "content": "..."}]``.
    task: the verifier name that scores responses (``numeric``, ``math``, ``code``...).
    ground_truth: whatever that verifier expects (an answer string, tests, constraints).
    metadata: anything else (difficulty, reference solution, step labels, source row).
    """

    id: str
    prompt: list[Message]
    task: str
    ground_truth: Any
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Sample:
    """One completion of one prompt.

    ``response_ids`` holds every response token. When the engine was asked to continue
    from a response prefix (VinePPO), the first ``prefix_len`` of them are that given
    prefix and have no behaviour log-probs of their own: ``logprobs`` has exactly
    ``len(response_ids) - prefix_len`` entries, one per sampled token.
    """

    problem_id: str
    prompt_ids: list[int]
    response_ids: list[int]
    logprobs: list[float]
    finish_reason: FinishReason
    text: str
    prefix_len: int = 0
    reward: float | None = None
    rewards: dict[str, float] = field(default_factory=dict)
    correct: bool | None = None
    verdict: dict[str, Any] | None = None
    step_rewards: list[float] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def num_sampled(self) -> int:
        return len(self.response_ids) - self.prefix_len

    @property
    def truncated(self) -> bool:
        return self.finish_reason == "length"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Group:
    """The n samples of one problem (group-relative methods normalise within it)."""

    problem: Problem
    samples: list[Sample]

    @property
    def rewards(self) -> list[float]:
        return [float(s.reward if s.reward is not None else 0.0) for s in self.samples]
