"""Benchmarks: load GSM8K, MATH-500, AIME 2024/2025, HumanEval, MBPP, IFEval as `Problem`s.

A benchmark is described by a config dict (``conf/benchmark/<name>.yaml``): where its rows
come from (``path``: a local file or folder; else ``data_dir``/``local``: a folder laid out
like ``../shared/data``; else ``hub``: a Hugging Face dataset, loaded lazily with
``datasets``), which ``loader`` turns a row into template fields and a ground truth, the
``verifier`` that scores responses, and the ``prompt_template`` (``{field}`` placeholders
are filled from the row; every other brace, as in ``\\boxed{}``, is left alone).
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from reasoner.data.sources import DataError
from reasoner.types import Problem

Row = Mapping[str, Any]
# loader: row, index -> (id, template fields, ground truth, metadata)
Loaded = tuple[str, dict[str, str], Any, dict[str, Any]]

MBPP_SPLITS = {"prompt": (1, 10), "test": (11, 510), "validation": (511, 600), "train": (601, 1000)}


class BenchmarkError(DataError):
    """A benchmark config or its data is unusable; the message says which and how to fix it."""


def _first(row: Row, *keys: str) -> Any:
    for k in keys:
        if k in row and row[k] is not None:
            return row[k]
    raise BenchmarkError(f"row has none of the fields {keys} (fields: {sorted(row)})")


def _gsm8k(row: Row, i: int) -> Loaded:
    solution = str(_first(row, "answer"))
    gold = solution.split("####")[-1].strip().replace(",", "") if "####" in solution else solution.strip()
    return str(i), {"question": str(_first(row, "question"))}, gold, {"solution": solution}


def _math(row: Row, i: int) -> Loaded:
    pid = row.get("unique_id") or row.get("id") or row.get("ID") or i
    meta = {k: row[k] for k in ("subject", "level", "solution", "url", "contest") if k in row}
    return (str(pid), {"problem": str(_first(row, "problem", "question", "Problem"))},
            str(_first(row, "answer", "Answer")).strip(), meta)


def _humaneval(row: Row, i: int) -> Loaded:
    prompt = str(row["prompt"])
    gt = {"tests": row["test"], "entry_point": row["entry_point"], "prefix": prompt}
    meta = {"entry_point": row["entry_point"], "canonical_solution": row.get("canonical_solution")}
    return str(row.get("task_id", i)), {"prompt": prompt}, gt, meta


def _mbpp(row: Row, i: int) -> Loaded:
    tests = list(row["test_list"])
    gt = {"tests": tests, "setup": list(row.get("test_imports") or [])}
    fields = {"prompt": str(_first(row, "prompt", "text")), "tests": "\n".join(tests)}
    return str(row.get("task_id", i)), fields, gt, {"code": row.get("code")}


def _ifeval(row: Row, i: int) -> Loaded:
    gt = {"instruction_id_list": list(row["instruction_id_list"]), "kwargs": list(row.get("kwargs") or [])}
    return str(row.get("key", i)), {"prompt": str(row["prompt"])}, gt, {"key": row.get("key")}


LOADERS: dict[str, Callable[[Row, int], Loaded]] = {
    "gsm8k": _gsm8k, "math": _math, "humaneval": _humaneval, "mbpp": _mbpp, "ifeval": _ifeval}

_FIELD = re.compile(r"\{(\w+)\}")


def render(template: str, fields: Mapping[str, str]) -> str:
    """Fill ``{name}`` for names in ``fields``; leave every other brace untouched."""
    return _FIELD.sub(lambda m: fields[m.group(1)] if m.group(1) in fields else m.group(0), template)


def read_rows(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a ``.jsonl``, ``.jsonl.gz`` or ``.json`` (array) file."""
    p = Path(path)
    opener = gzip.open if p.suffix == ".gz" else open
    with opener(p, "rt", encoding="utf-8") as f:  # type: ignore[operator]
        if p.name.endswith((".json", ".json.gz")):
            data = json.load(f)
            return list(data if isinstance(data, list) else data.get("rows", []))
        return [json.loads(line) for line in f if line.strip()]


def local_file(bcfg: Mapping[str, Any]) -> Path | None:
    """The local data file the config points at, or None to use the hub."""
    local = bcfg.get("local")
    if bcfg.get("path"):
        p = Path(str(bcfg["path"])).expanduser()
        if p.is_dir():
            if not local:
                raise BenchmarkError(f"benchmark.path={p} is a folder; give the data file itself")
            for cand in (p / Path(local).name, p / local):
                if cand.exists():
                    return cand
            raise BenchmarkError(f"benchmark.path={p} has no {Path(local).name}")
        if not p.exists():
            raise BenchmarkError(f"benchmark.path={str(p)!r} does not exist")
        return p
    if bcfg.get("data_dir"):
        p = Path(str(bcfg["data_dir"])).expanduser() / str(local)
        if not p.exists():
            raise BenchmarkError(f"{p} not found (benchmark.data_dir={bcfg['data_dir']!r}, "
                                 f"benchmark.local={local!r})")
        return p
    return None


def _hub_rows(hub: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    if not hub or not hub.get("path"):
        raise BenchmarkError(f"benchmark {name!r} has no hub dataset; "
                             "set benchmark.path or benchmark.data_dir")
    try:
        import datasets
    except ImportError as exc:
        raise BenchmarkError(f"loading {hub['path']} from the hub needs `pip install 'reasoner[hub]'`; "
                             "or point benchmark.data_dir at local files (e.g. ../shared/data)") from exc
    ds = datasets.load_dataset(hub["path"], hub.get("name"), split=hub.get("split", "test"))
    return [dict(r) for r in ds]


def load_rows(bcfg: Mapping[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """The benchmark's raw rows and a description of where they came from."""
    name = str(bcfg.get("name", "?"))
    path = local_file(bcfg)
    if bcfg.get("loader") == "ifeval":  # evals.ifeval normalises the hub's null kwargs
        from evals.ifeval import HUB_DATASET, load_inputs

        src = str(path) if path else str((bcfg.get("hub") or {}).get("path") or HUB_DATASET)
        return load_inputs(src), src
    if path is not None:
        rows, src = read_rows(path), str(path)
    else:
        rows, src = _hub_rows(bcfg.get("hub") or {}, name), str(bcfg["hub"]["path"])
    split = bcfg.get("id_split")  # MBPP: the official split by task id (local files hold all 427)
    if split and path is not None:
        if split not in MBPP_SPLITS and split != "all":
            raise BenchmarkError(f"benchmark.id_split={split!r}: choose all or one of {sorted(MBPP_SPLITS)}")
        if split != "all":
            lo, hi = MBPP_SPLITS[split]
            rows = [r for r in rows if lo <= int(r["task_id"]) <= hi]
    return rows, src


def load_benchmark(bcfg: Mapping[str, Any]) -> list[Problem]:
    """Problems of the configured benchmark (first ``limit`` of them), prompts rendered."""
    loader = LOADERS.get(str(bcfg.get("loader")))
    if loader is None:
        raise BenchmarkError(f"benchmark.loader={bcfg.get('loader')!r}: choose one of {sorted(LOADERS)}")
    rows, src = load_rows(bcfg)
    limit = bcfg.get("limit")
    if limit is not None:
        rows = rows[: int(limit)]
    template = str(bcfg.get("prompt_template") or "{prompt}")
    system = bcfg.get("system_prompt")
    problems, seen = [], set()
    for i, row in enumerate(rows):
        try:
            pid, fields, gt, meta = loader(row, i)
        except (KeyError, TypeError, BenchmarkError) as exc:
            raise BenchmarkError(f"{src} row {i}: {exc}") from exc
        if pid in seen:
            raise BenchmarkError(f"{src} row {i}: duplicate problem id {pid!r}")
        seen.add(pid)
        messages = [{"role": "user", "content": render(template, fields)}]
        if system:
            messages.insert(0, {"role": "system", "content": str(system)})
        meta.update(index=i, fields=fields)
        problems.append(Problem(id=pid, prompt=messages, task=str(bcfg["verifier"]), ground_truth=gt,
                                metadata=meta))
    if not problems:
        raise BenchmarkError(f"benchmark {bcfg.get('name')!r}: no problems in {src}")
    return problems


def benchmark_config(name: str, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``conf/benchmark/<name>.yaml`` merged with ``overrides`` (no Hydra needed)."""
    from omegaconf import OmegaConf

    from reasoner.config import config_dir

    path = Path(config_dir()) / "benchmark" / f"{name}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in path.parent.glob("*.yaml"))
        raise BenchmarkError(f"unknown benchmark {name!r}; choose one of {known}")
    cfg = OmegaConf.merge(OmegaConf.load(path), OmegaConf.create(dict(overrides or {})))
    out = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(out, dict)
    return out  # type: ignore[return-value]
