"""The RolloutEngine interface every engine (hf, vllm) implements.

One call, `generate`, covers both fresh sampling and continuation from a response
prefix (VinePPO's Monte-Carlo value estimates): a `GenerationRequest` with
``prefix_ids`` asks for ``n`` continuations of ``prompt_ids + prefix_ids``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from reasoner.types import Sample


@dataclass
class SamplingParams:
    """Sampling settings shared by all engines. temperature=0 means greedy."""

    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    max_new_tokens: int = 128
    stop: list[str] = field(default_factory=list)
    seed: int | None = None

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0.0


@dataclass
class GenerationRequest:
    """Ask for ``n`` samples of ``prompt_ids`` (optionally continuing ``prefix_ids``)."""

    prompt_ids: list[int]
    n: int = 1
    prefix_ids: list[int] = field(default_factory=list)
    problem_id: str = ""


@dataclass
class SyncStats:
    """What one weight sync cost."""

    seconds: float = 0.0
    bytes: int = 0


@runtime_checkable
class RolloutEngine(Protocol):
    """Samples completions with behaviour log-probs; receives new policy weights."""

    def generate(self, requests: list[GenerationRequest], params: SamplingParams) -> list[list[Sample]]:
        """Return, per request in order, its ``n`` Samples.

        Each Sample has ``response_ids = prefix_ids + sampled``, ``prefix_len = len(prefix_ids)``,
        one behaviour log-prob per sampled token (of the distribution actually sampled from,
        i.e. after temperature), and ``finish_reason`` "stop" (eos or a stop string) or
        "length" (hit ``max_new_tokens``).
        """
        ...

    def sync_weights(self, model: Any) -> SyncStats:
        """Load the trainer's current policy weights into the engine."""
        ...
