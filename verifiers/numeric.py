"""`numeric`: exact numeric-answer check for the builtin arithmetic task.

Extracts the last ``\\boxed{...}`` (or the last number when no box is present and
``require_box`` is false) and compares it to the integer / decimal ground truth.
The `math` verifier supersedes this for general answers.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from verifiers.base import Verdict
from verifiers.math.extract import find_boxed
from verifiers.registry import register

_NUM = re.compile(r"-?\d+(?:\.\d+)?(?:/\d+)?")


def _to_fraction(s: str) -> Fraction | None:
    s = s.strip().replace(",", "").replace(" ", "")
    if not _NUM.fullmatch(s):
        return None
    try:
        return Fraction(s)
    except (ValueError, ZeroDivisionError):
        return None


@register("numeric")
class NumericVerifier:
    """Exact equality of the final numeric answer with the ground truth."""

    def __init__(self, require_box: bool = True) -> None:
        self.require_box = require_box

    def __call__(self, response: str, ground_truth: Any, **meta: Any) -> Verdict:
        boxes = find_boxed(response)
        answer = boxes[-1] if boxes else None
        if answer is None:
            if self.require_box:
                return Verdict.fail("no \\boxed{} answer")
            nums = _NUM.findall(response)
            if not nums:
                return Verdict.fail("no number in response")
            answer = nums[-1]
        got = _to_fraction(answer)
        want = _to_fraction(str(ground_truth))
        if want is None:
            return Verdict.fail(f"ground truth {ground_truth!r} is not a number", extracted=answer)
        if got is None:
            return Verdict.fail(f"answer {answer!r} is not a number", extracted=answer)
        ok = got == want
        return Verdict(score=1.0 if ok else 0.0, correct=ok, extracted=answer,
                       reason=None if ok else "wrong answer")

    def quick(self, response: str, ground_truth: Any, **meta: Any) -> Verdict:
        """The whole check is cheap and bounded, so a VerifierPool runs it in-process."""
        return self(response, ground_truth, **meta)
