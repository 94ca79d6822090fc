"""Responses mode: read a JSONL of responses produced elsewhere and match them to problems.

One row per response, or several per row. A row names its problem by ``problem_id``
(or ``id`` / ``task_id`` / ``key``, compared as strings), by ``index`` (0-based position
in the benchmark file), or by ``prompt`` (the problem's raw question/prompt text, as
IFEval response files do). The text is ``response`` (or HumanEval's ``completion``), or a
list under ``responses``. Optional: ``finish_reason`` ("stop" / "length") or
``truncated`` (bool), and ``num_tokens``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from evals.benchmarks import BenchmarkError
from reasoner.types import Problem

ID_KEYS = ("problem_id", "id", "task_id", "key")


def _problem_of(row: Mapping[str, Any], by_id: Mapping[str, Problem], by_prompt: Mapping[str, Problem],
                problems: Sequence[Problem], where: str) -> Problem:
    for k in ID_KEYS:
        if k in row and row[k] is not None:
            pid = str(row[k])
            if pid not in by_id:
                raise BenchmarkError(f"{where}: {k}={pid!r} is not a problem of this benchmark")
            return by_id[pid]
    if "index" in row:
        i = int(row["index"])
        if not 0 <= i < len(problems):
            raise BenchmarkError(f"{where}: index {i} out of range (0..{len(problems) - 1})")
        return problems[i]
    if "prompt" in row and str(row["prompt"]) in by_prompt:
        return by_prompt[str(row["prompt"])]
    raise BenchmarkError(f"{where}: needs one of {ID_KEYS + ('index', 'prompt')} naming a problem")


def _texts(row: Mapping[str, Any], where: str) -> list[str]:
    if "responses" in row:
        texts = row["responses"]
        if not isinstance(texts, list):
            raise BenchmarkError(f"{where}: 'responses' must be a list of strings")
        return [str(t) for t in texts]
    for k in ("response", "completion"):
        if k in row:
            return [str(row[k] or "")]
    raise BenchmarkError(f"{where}: no 'response', 'completion' or 'responses' field")


def read_responses(path: str | Path, problems: Sequence[Problem]) -> dict[str, list[dict[str, Any]]]:
    """``{problem id: [{"response", "finish_reason", "num_tokens"}, ...]}`` in file order."""
    p = Path(path)
    if not p.exists():
        raise BenchmarkError(f"responses file {str(p)!r} does not exist")
    by_id = {q.id: q for q in problems}
    by_prompt = {}
    for q in problems:
        fields = q.metadata.get("fields") or {}
        for text in fields.values():
            by_prompt.setdefault(str(text), q)
    out: dict[str, list[dict[str, Any]]] = {}
    with p.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            where = f"{p}:{n}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise BenchmarkError(f"{where}: invalid JSON ({exc.msg})") from exc
            if not isinstance(row, Mapping):
                raise BenchmarkError(f"{where}: expected an object")
            prob = _problem_of(row, by_id, by_prompt, problems, where)
            finish = row.get("finish_reason")
            if finish is None and "truncated" in row:
                finish = "length" if row["truncated"] else "stop"
            for text in _texts(row, where):
                out.setdefault(prob.id, []).append(
                    {"response": text, "finish_reason": finish, "num_tokens": row.get("num_tokens")})
    return out
