"""Reward source backed by the verifier registry.

Each sample is scored by the verifier named by its problem's ``task`` (or a fixed one
from config) through `verifiers.get_verifier`. Verification never raises into the loop:
a crash is a zero-score Verdict with the reason. With ``workers > 0`` items are checked
in a `verifiers.VerifierPool` per verifier (kept alive across steps, so worker start-up is
paid once) with a hard per-item timeout; cheap items take the pool's in-process fast path.
"""

from __future__ import annotations

from typing import Any

from reasoner.types import Group
from verifiers import Verdict, get_verifier, safe_call


class VerifierReward:
    """Scores samples with rule-based verifiers; returns one Verdict per sample."""

    def __init__(self, verifier: str | None = None, options: dict[str, Any] | None = None,
                 workers: int = 0, timeout_s: float = 10.0) -> None:
        self.fixed = verifier
        self.options = dict(options or {})
        self.workers = workers
        self.timeout_s = timeout_s
        self._cache: dict[str, Any] = {}
        self._pools: dict[str, Any] = {}

    def _verifier(self, name: str) -> Any:
        if name not in self._cache:
            self._cache[name] = get_verifier(name, **self.options)
        return self._cache[name]

    def check_tasks(self, tasks: set[str]) -> None:
        """Fail fast (before models load) when a task names no registered verifier."""
        for t in sorted({self.fixed} if self.fixed else tasks):
            self._verifier(t)

    def verdicts(self, groups: list[Group]) -> list[Verdict]:
        items = [(g.problem, s) for g in groups for s in g.samples]
        if self.workers > 0:
            return self._pooled(items)
        out = []
        for problem, s in items:
            v = self._verifier(self.fixed or problem.task)
            out.append(safe_call(v, s.text, problem.ground_truth, **_meta(problem)))
        return out

    def _pool(self, name: str) -> Any:
        if name not in self._pools:
            from verifiers.pool import VerifierPool

            self._pools[name] = VerifierPool(name, workers=self.workers, timeout_s=self.timeout_s, **self.options)
        return self._pools[name]

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()

    def _pooled(self, items: list) -> list[Verdict]:
        out: list[Verdict | None] = [None] * len(items)
        by_task: dict[str, list[int]] = {}
        for i, (problem, _) in enumerate(items):
            by_task.setdefault(self.fixed or problem.task, []).append(i)
        for name, idx in by_task.items():
            batch = [(items[i][1].text, items[i][0].ground_truth, _meta(items[i][0])) for i in idx]
            res = self._pool(name).map(batch)
            for i, v in zip(idx, res):
                out[i] = v
        return [v for v in out if v is not None]


def _meta(problem: Any) -> dict[str, Any]:
    prompt = problem.prompt[-1]["content"] if problem.prompt else ""
    return {"prompt": prompt, "problem_id": problem.id}
