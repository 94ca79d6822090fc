"""A resumable, seeded stream of problems: epoch-wise permutations with a saved position."""

from __future__ import annotations

import random
from typing import Any

from reasoner.types import Problem


class ProblemStream:
    """Yields batches of problems in a seeded order; `state_dict` captures the position."""

    def __init__(self, problems: list[Problem], seed: int, shuffle: bool = True) -> None:
        if not problems:
            raise ValueError("the training set is empty")
        self.problems = problems
        self.seed = seed
        self.shuffle = shuffle
        self.epoch = 0
        self.index = 0
        self._order = self._permutation(0)

    def _permutation(self, epoch: int) -> list[int]:
        order = list(range(len(self.problems)))
        if self.shuffle:
            random.Random(f"{self.seed}:{epoch}").shuffle(order)
        return order

    def next_batch(self, n: int) -> list[Problem]:
        out = []
        while len(out) < n:
            if self.index >= len(self._order):
                self.epoch += 1
                self.index = 0
                self._order = self._permutation(self.epoch)
            out.append(self.problems[self._order[self.index]])
            self.index += 1
        return out

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "index": self.index, "seed": self.seed, "size": len(self.problems)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("size") != len(self.problems):
            raise ValueError(
                f"checkpoint data position is for {state.get('size')} problems, dataset has {len(self.problems)}"
            )
        self.epoch, self.index = int(state["epoch"]), int(state["index"])
        self._order = self._permutation(self.epoch)
