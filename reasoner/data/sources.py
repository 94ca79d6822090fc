"""Problem sources from config: the builtin arithmetic task, a JSONL file, a HF dataset.

Every source yields `Problem`s and is validated up front: a row without a ground truth
raises an error naming the file (or dataset) and row, before any model is loaded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reasoner.data.arithmetic import ArithmeticConfig, ArithmeticTask
from reasoner.types import Problem


class DataError(ValueError):
    """A dataset row or data config is unusable; the message names the source and row."""


def _prompt_from_row(row: Mapping[str, Any], key: str, where: str, system: str | None,
                     template: str | None) -> list[dict[str, str]]:
    if key not in row or row[key] in (None, ""):
        raise DataError(f"{where}: missing prompt key {key!r} (keys: {sorted(row)})")
    value = row[key]
    if isinstance(value, list):  # already chat messages
        msgs = [dict(m) for m in value]
    else:
        text = template.format(prompt=value) if template else str(value)
        msgs = [{"role": "user", "content": text}]
    if system:
        msgs = [{"role": "system", "content": system}] + msgs
    return msgs


def problems_from_rows(
    rows: list[Mapping[str, Any]],
    source: str,
    task: str,
    prompt_key: str = "prompt",
    answer_key: str = "answer",
    id_key: str | None = None,
    system_prompt: str | None = None,
    prompt_template: str | None = None,
    task_key: str | None = None,
) -> list[Problem]:
    """Convert generic rows into Problems; ``source`` names the file/dataset in errors."""
    problems = []
    for i, row in enumerate(rows):
        where = f"{source} row {i}"
        if not isinstance(row, Mapping):
            raise DataError(f"{where}: expected an object, got {type(row).__name__}")
        gt = row.get(answer_key)
        if gt is None or (isinstance(gt, str) and not gt.strip()):
            raise DataError(f"{where}: no ground truth under key {answer_key!r} (keys: {sorted(row)})")
        pid = str(row[id_key]) if id_key and id_key in row else f"{Path(source).stem}-{i}"
        problems.append(
            Problem(
                id=pid,
                prompt=_prompt_from_row(row, prompt_key, where, system_prompt, prompt_template),
                task=str(row.get(task_key, task)) if task_key else task,
                ground_truth=gt,
                metadata={k: v for k, v in row.items() if k not in (prompt_key, answer_key)},
            )
        )
    return problems


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Read a JSONL file; a malformed line raises naming the file and line number."""
    rows = []
    p = Path(path)
    if not p.exists():
        raise DataError(f"data file {str(p)!r} does not exist")
    with p.open() as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise DataError(f"{p}:{n}: invalid JSON ({exc.msg})") from exc
    return rows


def load_problems(cfg: Mapping[str, Any], split: str) -> list[Problem]:
    """Build the problems of ``split`` ('train' or 'test') from a data config group."""
    kind = cfg.get("source")
    common = dict(
        task=cfg.get("task", "math"),
        prompt_key=cfg.get("prompt_key", "prompt"),
        answer_key=cfg.get("answer_key", "answer"),
        id_key=cfg.get("id_key"),
        system_prompt=cfg.get("system_prompt"),
        prompt_template=cfg.get("prompt_template"),
        task_key=cfg.get("task_key"),
    )
    if kind == "arithmetic":
        acfg = ArithmeticConfig(
            difficulty=int(cfg.get("difficulty", 2)),
            digits=int(cfg.get("digits", 2)),
            ops=tuple(cfg.get("ops", ("+", "-"))),
            word_problems=float(cfg.get("word_problems", 0.0)),
            answer_only=float(cfg.get("answer_only", 0.0)),
            teacher_slips=float(cfg.get("teacher_slips", 0.0)),
            heldout_fraction=float(cfg.get("heldout_fraction", 0.1)),
        )
        n = int(cfg.get("train_size" if split == "train" else "test_size", 1000))
        problems = ArithmeticTask(acfg, split, seed=int(cfg.get("seed", 0))).problems(n)
        for p in problems:
            p.task = str(cfg.get("task") or p.task)
        return problems
    if kind == "jsonl":
        path = cfg.get(f"{split}_path") or (cfg.get("path") if split == "train" else None)
        if not path:
            raise DataError(f"data.source=jsonl needs data.{split}_path")
        rows = read_jsonl(path)
        limit = cfg.get(f"{split}_size")
        return problems_from_rows(rows[: int(limit)] if limit else rows, str(path), **common)
    if kind == "hf":
        try:
            import datasets
        except ImportError as exc:
            raise DataError("data.source=hf needs the `datasets` package: pip install 'reasoner[hub]'") from exc
        name = cfg.get("path")
        hf_split = cfg.get(f"{split}_split", split)
        ds = datasets.load_dataset(name, cfg.get("config_name"), split=hf_split)
        limit = cfg.get(f"{split}_size")
        if limit:
            ds = ds.select(range(min(int(limit), len(ds))))
        return problems_from_rows(list(ds), f"{name}[{hf_split}]", **common)
    raise DataError(f"unknown data.source {kind!r}; choose arithmetic, jsonl or hf")
