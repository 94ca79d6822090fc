"""The table of IFEval instruction checkers and the helpers they share.

A checker is ``fn(response, args) -> bool`` where ``args`` is the instruction's kwargs
dict (keys with value None already dropped; the prompt under ``"prompt"`` when the
caller has one). Checkers are registered with :func:`instruction`; a missing or
malformed argument raises :class:`InstructionError`, which the caller turns into a
"not followed" verdict carrying the reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Checker = Callable[[str, Mapping[str, Any]], bool]

RELATIONS = ("less than", "at least")


class InstructionError(ValueError):
    """An instruction cannot be checked: unknown id, missing or malformed arguments."""


@dataclass(frozen=True)
class Instruction:
    """One registered instruction type."""

    id: str
    check: Checker
    args: tuple[str, ...]


INSTRUCTIONS: dict[str, Instruction] = {}


def instruction(instruction_id: str, *args: str) -> Callable[[Checker], Checker]:
    """Register ``fn`` as the checker of ``instruction_id`` taking kwargs ``args``."""

    def deco(fn: Checker) -> Checker:
        INSTRUCTIONS[instruction_id] = Instruction(instruction_id, fn, args)
        return fn

    return deco


def arg(args: Mapping[str, Any], name: str) -> Any:
    """The required argument ``name``."""
    value = args.get(name)
    if value is None or value == "":
        raise InstructionError(f"missing argument {name!r}")
    return value


def int_arg(args: Mapping[str, Any], name: str) -> int:
    """The required integer argument ``name`` (ints given as floats or strings accepted)."""
    value = arg(args, name)
    try:
        as_float = float(value)
    except (TypeError, ValueError):
        raise InstructionError(f"argument {name!r} is not a number: {value!r}") from None
    if as_float != int(as_float):
        raise InstructionError(f"argument {name!r} is not an integer: {value!r}")
    return int(as_float)


def compare(count: int, relation: Any, threshold: int) -> bool:
    """``count < threshold`` for "less than", ``count >= threshold`` for "at least"."""
    if relation == RELATIONS[0]:
        return count < threshold
    if relation == RELATIONS[1]:
        return count >= threshold
    raise InstructionError(f"relation must be one of {RELATIONS}, got {relation!r}")


def pattern(text: str, prefix: str = "", suffix: str = "", flags: int = 0) -> re.Pattern[str]:
    """``prefix + text + suffix`` compiled; ``text`` is a regex as in the reference, or
    taken literally when it is not a valid one (the reference would crash)."""
    try:
        return re.compile(prefix + text + suffix, flags)
    except re.error:
        return re.compile(prefix + re.escape(text) + suffix, flags)


def clean_kwargs(kwargs: Mapping[str, Any] | None) -> dict[str, Any]:
    """Drop None-valued keys (the Hugging Face copy of IFEval fills absent ones with None)."""
    return {k: v for k, v in (kwargs or {}).items() if v is not None}
