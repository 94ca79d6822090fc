"""Builtin task: generated arithmetic with step-by-step solutions and step labels.

Each problem is a left-to-right expression (``Compute 23 + 14 - 9.``) or a short word
problem over the same numbers. The reference solution has one step per line
(``23 + 14 = 37``), and ends with ``\\boxed{answer}``. Every step has a correctness
label; `corrupt` produces a solution whose first wrong step is marked (PRM data).

Splits cannot overlap by construction: a problem's split is a pure function of its
canonical text (a stable hash), and the generator rejects problems of the other split.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from reasoner.types import Problem

OPS = ("+", "-", "*")
INSTRUCTION = "Put the final answer in \\boxed{}."


@dataclass(frozen=True)
class ArithmeticConfig:
    """Difficulty knobs. ``difficulty`` d gives d+1 operands below ``10**digits``."""

    difficulty: int = 2
    digits: int = 2
    ops: tuple[str, ...] = ("+", "-")
    mul_max: int = 9  # multiplication operands are kept small so products stay readable
    word_problems: float = 0.0  # fraction phrased as a word problem
    answer_only: float = 0.0  # fraction whose SFT target is the bare boxed answer, without the steps
    teacher_slips: float = 0.0  # fraction whose SFT target drops every carry and borrow (`slipped`)
    heldout_fraction: float = 0.1


@dataclass
class Step:
    text: str
    correct: bool


@dataclass
class Solution:
    steps: list[Step]
    answer: int
    first_error: int | None = None  # index of the first wrong step, None when all right

    @property
    def text(self) -> str:
        return "\n".join(s.text for s in self.steps) + f"\n\\boxed{{{self.answer}}}"

    @property
    def labels(self) -> list[bool]:
        return [s.correct for s in self.steps]


@dataclass
class ArithmeticItem:
    operands: list[int]
    ops: list[str]
    question: str
    solution: Solution
    meta: dict = field(default_factory=dict)


def split_of(canonical: str, heldout_fraction: float) -> str:
    """Deterministic split of a canonical problem string: 'train' or 'test'."""
    h = int.from_bytes(hashlib.sha256(canonical.encode()).digest()[:8], "big")
    return "test" if (h % 10_000) < heldout_fraction * 10_000 else "train"


def _apply(a: int, op: str, b: int) -> int:
    return a + b if op == "+" else a - b if op == "-" else a * b


def _worked(operands: list[int], ops: list[str], written: Callable[[int, int, int], int]) -> Solution:
    """Left-to-right steps whose results are ``written(step, acc, exact)``; each step starts from
    the previous written result. Labels follow the Math-Shepherd convention: a step is correct iff
    the correct final answer is still reachable from it, so the first step whose written result is
    not exact and all later ones are False."""
    acc = operands[0]
    steps: list[Step] = []
    first: int | None = None
    for i, (op, b) in enumerate(zip(ops, operands[1:])):
        exact = _apply(acc, op, b)
        nxt = written(i, acc, exact)
        if first is None and nxt != exact:
            first = i
        steps.append(Step(f"{acc} {op} {b} = {nxt}", first is None))
        acc = nxt
    return Solution(steps, acc, first_error=first)


def solve(operands: list[int], ops: list[str]) -> Solution:
    """Left-to-right evaluation, one step per operator, every step correct."""
    return _worked(operands, ops, lambda i, acc, exact: exact)


def corrupt(operands: list[int], ops: list[str], rng: random.Random) -> Solution:
    """A solution with one arithmetic slip: step k's result is off, later steps carry it."""
    k = rng.randrange(len(ops))
    return _worked(operands, ops,
                   lambda i, acc, exact: exact + rng.choice([-10, -2, -1, 1, 2, 10]) if i == k else exact)


def _drop_carry(a: int, r: int) -> int:
    """``r`` with the tens of ``a`` kept: the carry or borrow of ``a -> r`` forgotten (9 + 9 = 8, 12 - 5 = 17)."""
    if a >= 0 and r >= 0:
        return (a // 10) * 10 + r % 10
    if a <= 0 and r <= 0:
        return -((-a // 10) * 10 + (-r) % 10)
    return r  # crossing zero: no tens digit to keep


def slipped(operands: list[int], ops: list[str]) -> Solution:
    """A sloppy teacher's solution: every addition or subtraction forgets its carry or borrow.

    Labelled like `corrupt`; equal to `solve` when no step carries or borrows.
    """
    return _worked(operands, ops, lambda i, acc, exact: _drop_carry(acc, exact) if ops[i] in "+-" else exact)


_WORDS = {"+": ("gets", "more"), "-": ("gives away", ""), "*": ("multiplies them by", "")}


def _question(operands: list[int], ops: list[str], word: bool) -> str:
    if not word:
        expr = " ".join([str(operands[0])] + [f"{o} {b}" for o, b in zip(ops, operands[1:])])
        return f"Compute {expr}."
    parts = [f"Sam has {operands[0]} apples."]
    for o, b in zip(ops, operands[1:]):
        if o == "+":
            parts.append(f"Sam gets {b} more.")
        elif o == "-":
            parts.append(f"Sam gives away {b}.")
        else:
            parts.append(f"The pile is multiplied by {b}.")
    parts.append("How many apples are there now?")
    return " ".join(parts)


class ArithmeticTask:
    """Seeded generator of arithmetic problems for one split."""

    def __init__(self, config: ArithmeticConfig | None = None, split: str = "train", seed: int = 0) -> None:
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        self.config = config or ArithmeticConfig()
        if self.config.difficulty < 1:
            raise ValueError(f"difficulty must be >= 1, got {self.config.difficulty}")
        bad = set(self.config.ops) - set(OPS)
        if bad:
            raise ValueError(f"unknown ops {sorted(bad)}; allowed {OPS}")
        self.split = split
        self.seed = seed

    def _draw(self, rng: random.Random) -> tuple[list[int], list[str], bool]:
        c = self.config
        n_ops = c.difficulty
        hi = 10**c.digits - 1
        ops = [rng.choice(c.ops) for _ in range(n_ops)]
        operands = [rng.randint(1, hi)]
        for op in ops:
            operands.append(rng.randint(1, c.mul_max) if op == "*" else rng.randint(1, hi))
        word = rng.random() < c.word_problems
        return operands, ops, word

    def item(self, index: int) -> ArithmeticItem:
        """The index-th problem of this split (deterministic in seed and index)."""
        rng = random.Random(f"{self.seed}:{self.split}:{index}")
        while True:
            operands, ops, word = self._draw(rng)
            canonical = " ".join([str(operands[0])] + [f"{o} {b}" for o, b in zip(ops, operands[1:])])
            if split_of(canonical, self.config.heldout_fraction) == self.split:
                break
        sol = solve(operands, ops)
        return ArithmeticItem(operands, ops, _question(operands, ops, word), sol,
                              {"canonical": canonical, "word": word})

    def corrupted(self, index: int) -> Solution:
        """A corrupted solution of the index-th problem (first wrong step marked)."""
        it = self.item(index)
        return corrupt(it.operands, it.ops, random.Random(f"{self.seed}:corrupt:{self.split}:{index}"))

    def problem(self, index: int) -> Problem:
        it = self.item(index)
        # The SFT target: the worked solution, or (for an `answer_only` share) just the boxed answer,
        # as in distilled data that mixes terse and worked answers to the same kind of prompt.
        terse = random.Random(f"{self.seed}:terse:{self.split}:{index}").random() < self.config.answer_only
        # A `teacher_slips` share of targets comes from a sloppy teacher (no carries): noisy SFT data whose
        # mistakes the verifier (exact ground truth) lets RL unlearn.
        sloppy = random.Random(f"{self.seed}:slip:{self.split}:{index}").random() < self.config.teacher_slips
        target = slipped(it.operands, it.ops) if sloppy else it.solution
        return Problem(
            id=f"arith-{self.split}-{self.seed}-{index}",
            prompt=[{"role": "user", "content": f"{it.question} {INSTRUCTION}"}],
            task="numeric",
            ground_truth=str(it.solution.answer),
            metadata={
                "solution": f"\\boxed{{{target.answer}}}" if terse else target.text,
                "worked_solution": it.solution.text,
                "step_labels": it.solution.labels,
                "canonical": it.meta["canonical"],
                "difficulty": self.config.difficulty,
            },
        )

    def problems(self, n: int, start: int = 0) -> list[Problem]:
        return [self.problem(i) for i in range(start, start + n)]
