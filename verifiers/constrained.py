"""`constrained`: any verifier's reward combined with IFEval instruction constraints.

Ground truth: ``{"answer": <the base verifier's ground truth>, "instruction_id_list":
[...], "kwargs": [...]}`` (or its JSON text). Example: a math answer that must also be
in all lower case and under 50 words::

    verify = get_verifier("constrained", base="numeric", combine="and")
    verify(response, {"answer": "42",
                      "instruction_id_list": ["change_case:english_lowercase",
                                              "length_constraints:number_words"],
                      "kwargs": [{}, {"relation": "less than", "num_words": 50}]})
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from verifiers.base import Verdict, safe_call
from verifiers.ifeval.core import MODES, evaluate
from verifiers.ifeval.verifier import SCORES, constraints_verdict, parse_constraints
from verifiers.registry import get_verifier, register

COMBINES = ("and", "product", "mean")


@register("constrained")
class ConstrainedVerifier:
    """Base verifier AND / times / averaged with the instruction constraints.

    Options: ``base`` (a registered verifier name) and ``base_options`` (its options);
    ``combine``: "and" (default; score 1.0 only when the base answer is correct and every
    constraint holds), "product" (base score x constraint score) or "mean" (their
    average); ``mode`` "strict" (default) or "loose"; ``constraint_score`` "all"
    (default; 1.0 only when all hold) or "fraction" (share of constraints followed).
    ``correct`` is always: base correct and every constraint followed.
    """

    def __init__(self, base: str, base_options: Mapping[str, Any] | None = None, combine: str = "and",
                 mode: str = "strict", constraint_score: str = "all") -> None:
        if combine not in COMBINES:
            raise ValueError(f"combine must be one of {COMBINES}, got {combine!r}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if constraint_score not in SCORES:
            raise ValueError(f"constraint_score must be one of {SCORES}, got {constraint_score!r}")
        self.base_name = base
        self.base = get_verifier(base, **dict(base_options or {}))
        self.combine = combine
        self.mode = mode
        self.constraint_score = constraint_score

    def __call__(self, response: str, ground_truth: Any, **meta: Any) -> Verdict:
        try:
            if isinstance(ground_truth, str):
                ground_truth = json.loads(ground_truth)
            if not isinstance(ground_truth, Mapping) or "answer" not in ground_truth:
                raise ValueError("ground truth must be a dict with 'answer' and 'instruction_id_list'")
            ids, kwargs = parse_constraints(ground_truth)
        except (ValueError, TypeError) as exc:
            return Verdict.fail(f"bad ground truth: {exc}")
        base = safe_call(self.base, response, ground_truth["answer"], **meta)
        prompt = meta.get("prompt")
        verdicts = evaluate(response or "", ids, kwargs, prompt if isinstance(prompt, str) else None,
                            self.mode)
        constraints = constraints_verdict(verdicts, self.constraint_score, self.mode)
        correct = base.correct and constraints.correct
        if self.combine == "and":
            score = float(correct)
        elif self.combine == "product":
            score = base.score * constraints.score
        else:
            score = (base.score + constraints.score) / 2
        reasons = [f"{self.base_name}: {base.reason}" if base.reason else None, constraints.reason]
        reason = "; ".join(r for r in reasons if r) or None
        info = {"base": base.to_dict(), "constraints": constraints.info, "combine": self.combine}
        return Verdict(score=score, correct=correct, extracted=base.extracted, reason=reason, info=info)
