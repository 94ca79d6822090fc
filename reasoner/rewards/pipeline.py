"""RewardPipeline: combine reward sources into each sample's scalar reward.

A source returns one score per sample (the verifier also says whether it was correct).
The sample's ``reward`` is the weighted sum of source scores; ``rewards`` keeps each
source's score for logging; ``correct`` comes from the verifier source when present.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reasoner.rewards.verifier import VerifierReward
from reasoner.types import Group


@dataclass
class Source:
    name: str
    weight: float
    impl: Any


class RewardPipeline:
    """Weighted mix of reward sources, applied in place to groups of samples."""

    def __init__(self, sources: list[Source]) -> None:
        if not sources:
            raise ValueError("reward.sources is empty: configure at least one reward source")
        self.sources = sources

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> RewardPipeline:
        sources = []
        for i, s in enumerate(cfg.get("sources", [])):
            kind = s.get("type")
            name = s.get("name", kind)
            if kind == "verifier":
                impl = VerifierReward(verifier=s.get("verifier"), options=dict(s.get("options") or {}),
                                      workers=int(cfg.get("workers", 0)),
                                      timeout_s=float(cfg.get("timeout_s", 10.0)))
            else:
                raise ValueError(f"reward.sources[{i}].type={kind!r} is unknown; choose verifier")
            sources.append(Source(name, float(s.get("weight", 1.0)), impl))
        return cls(sources)

    def check_tasks(self, tasks: set[str]) -> None:
        for s in self.sources:
            if hasattr(s.impl, "check_tasks"):
                s.impl.check_tasks(tasks)

    def close(self) -> None:
        """Stop worker processes held by the sources."""
        for s in self.sources:
            if hasattr(s.impl, "close"):
                s.impl.close()

    def __call__(self, groups: list[Group]) -> None:
        samples = [s for g in groups for s in g.samples]
        for s in samples:
            s.reward = 0.0
        for src in self.sources:
            verdicts = src.impl.verdicts(groups)
            for s, v in zip(samples, verdicts):
                s.rewards[src.name] = float(v.score)
                s.reward += src.weight * float(v.score)
                if s.correct is None:
                    s.correct = bool(v.correct)
                    s.verdict = v.to_dict()
