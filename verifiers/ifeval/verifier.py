"""The ``ifeval`` verifier: IFEval instruction constraints as a reward."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from verifiers.base import Verdict
from verifiers.ifeval.core import MODES, InstructionVerdict, evaluate
from verifiers.registry import register

SCORES = ("all", "fraction")


def parse_constraints(ground_truth: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """``(instruction_id_list, kwargs)`` from a ground-truth dict (or its JSON text)."""
    if isinstance(ground_truth, str):
        ground_truth = json.loads(ground_truth)
    if not isinstance(ground_truth, Mapping) or "instruction_id_list" not in ground_truth:
        raise ValueError("ground truth must be a dict with 'instruction_id_list' (and 'kwargs')")
    ids = ground_truth["instruction_id_list"]
    if isinstance(ids, str):
        ids = [ids]
    kwargs = ground_truth.get("kwargs") or [{} for _ in ids]
    if isinstance(kwargs, Mapping):
        kwargs = [kwargs]
    if len(kwargs) != len(ids):
        raise ValueError(f"{len(ids)} instructions but {len(kwargs)} kwargs")
    return list(ids), [dict(k or {}) for k in kwargs]


def constraints_verdict(verdicts: list[InstructionVerdict], score: str, mode: str) -> Verdict:
    """Fold per-instruction verdicts into one Verdict (score "all" or "fraction")."""
    followed = [v.followed for v in verdicts]
    n_ok = sum(followed)
    all_ok = bool(verdicts) and all(followed)
    value = float(all_ok) if score == "all" else (n_ok / len(verdicts) if verdicts else 0.0)
    broken = [v.id for v in verdicts if not v.followed]
    reason = None if all_ok else (
        "no instructions" if not verdicts else "not followed: " + ", ".join(broken))
    info = {"mode": mode, "followed": n_ok, "total": len(verdicts),
            "instructions": [v.to_dict() for v in verdicts]}
    return Verdict(score=value, correct=all_ok, extracted=None, reason=reason, info=info)


@register("ifeval")
class IFEvalVerifier:
    """Checks the IFEval instructions in the ground truth against the response.

    Options: ``mode`` "strict" (default) or "loose" (IFEval's 8 response variants);
    ``score`` "all" (1.0 when every instruction is followed, default) or "fraction".
    Ground truth: ``{"instruction_id_list": [...], "kwargs": [...]}``; ``meta["prompt"]``
    is used by ``combination:repeat_prompt`` when its kwargs lack ``prompt_to_repeat``.
    """

    def __init__(self, mode: str = "strict", score: str = "all") -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if score not in SCORES:
            raise ValueError(f"score must be one of {SCORES}, got {score!r}")
        self.mode = mode
        self.score = score

    def __call__(self, response: str, ground_truth: Any, **meta: Any) -> Verdict:
        try:
            ids, kwargs = parse_constraints(ground_truth)
        except (ValueError, TypeError) as exc:
            return Verdict.fail(f"bad ground truth: {exc}")
        prompt = meta.get("prompt")
        verdicts = evaluate(response or "", ids, kwargs, prompt=prompt if isinstance(prompt, str) else None,
                            mode=self.mode)
        return constraints_verdict(verdicts, self.score, self.mode)
