"""Checking a response against a list of IFEval instructions, strictly or loosely."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from verifiers.ifeval import checkers_content, checkers_format  # noqa: F401  (registers)
from verifiers.ifeval.registry import INSTRUCTIONS, InstructionError, clean_kwargs

MODES = ("strict", "loose")


@dataclass(frozen=True)
class InstructionVerdict:
    """Whether one instruction was followed; ``reason`` says why it could not be checked."""

    id: str
    followed: bool
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "followed": self.followed}
        if self.reason:
            out["reason"] = self.reason
        return out


def response_variants(response: str) -> list[str]:
    """The 8 responses the loose mode tries: as is, first line removed, last line removed,
    both removed, and each of those with every ``*`` deleted (order as the reference)."""
    lines = response.split("\n")
    no_first = "\n".join(lines[1:]).strip()
    no_last = "\n".join(lines[:-1]).strip()
    no_both = "\n".join(lines[1:-1]).strip()
    return [response, response.replace("*", ""), no_first, no_last, no_both,
            no_first.replace("*", ""), no_last.replace("*", ""), no_both.replace("*", "")]


def check_instruction(instruction_id: str, responses: str | Sequence[str],
                      kwargs: Mapping[str, Any] | None = None,
                      prompt: str | None = None) -> InstructionVerdict:
    """Is ``instruction_id`` followed by the response (or by any of several variants)?

    An empty (all-space) response never follows anything. Unknown ids and bad kwargs give
    ``followed=False`` with a reason instead of raising.
    """
    spec = INSTRUCTIONS.get(instruction_id)
    if spec is None:
        return InstructionVerdict(instruction_id, False, f"unknown instruction {instruction_id!r}")
    args = clean_kwargs(kwargs)
    if prompt is not None:
        args.setdefault("prompt", prompt)
    candidates = [responses] if isinstance(responses, str) else list(responses)
    try:
        for candidate in candidates:
            if candidate.strip() and spec.check(candidate, args):
                return InstructionVerdict(instruction_id, True)
    except InstructionError as exc:
        return InstructionVerdict(instruction_id, False, str(exc))
    except Exception as exc:  # noqa: BLE001 - one bad instruction must not sink the rest
        return InstructionVerdict(instruction_id, False, f"checker raised {type(exc).__name__}: {exc}")
    return InstructionVerdict(instruction_id, False)


def evaluate(response: str, instruction_id_list: Sequence[str],
             kwargs: Sequence[Mapping[str, Any] | None] | None = None,
             prompt: str | None = None, mode: str = "strict") -> list[InstructionVerdict]:
    """One verdict per instruction of ``instruction_id_list`` (``kwargs`` aligned with it)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    kwargs = list(kwargs) if kwargs is not None else []
    if len(kwargs) < len(instruction_id_list):
        kwargs += [{}] * (len(instruction_id_list) - len(kwargs))
    candidates: str | list[str] = response if mode == "strict" else response_variants(response)
    return [check_instruction(iid, candidates, kw, prompt)
            for iid, kw in zip(instruction_id_list, kwargs, strict=False)]
