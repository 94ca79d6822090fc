"""IFEval scoring: prompt- and instruction-level accuracy, strict and loose, per instruction.

    from evals.ifeval import score_ifeval
    report = score_ifeval("input_data.jsonl", "responses.jsonl")
    print(report.format())

    python -m evals.ifeval --inputs input_data.jsonl --responses responses.jsonl [--json out.json]

``inputs``: a JSONL path with IFEval rows (``key``, ``prompt``, ``instruction_id_list``,
``kwargs``), a list of such dicts, or ``"google/IFEval"`` (the Hugging Face hub, needs
the ``datasets`` package and network). ``responses``: a JSONL path or list of dicts with
``prompt`` and ``response`` (matched to inputs by prompt, as the reference does), or a
list of strings aligned with the inputs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from verifiers.ifeval import evaluate

HUB_DATASET = "google/IFEval"


@dataclass
class PromptResult:
    """The verdicts for one prompt."""

    key: Any
    prompt: str
    response: str
    instruction_id_list: list[str]
    strict: list[bool]
    loose: list[bool]
    missing: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "prompt": self.prompt, "response": self.response,
                "instruction_id_list": self.instruction_id_list, "follow_strict": self.strict,
                "follow_loose": self.loose, "missing_response": self.missing}


@dataclass
class IFEvalReport:
    """Accuracies in [0, 1]; ``per_instruction`` and ``per_group`` map an id (or its
    group, e.g. "keywords") to ``{"count", "strict", "loose"}``."""

    prompt_strict: float
    instruction_strict: float
    prompt_loose: float
    instruction_loose: float
    n_prompts: int
    n_instructions: int
    n_missing: int
    per_instruction: dict[str, dict[str, float]] = field(default_factory=dict)
    per_group: dict[str, dict[str, float]] = field(default_factory=dict)
    results: list[PromptResult] = field(default_factory=list, repr=False)

    def to_dict(self, with_results: bool = False) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in (
            "prompt_strict", "instruction_strict", "prompt_loose", "instruction_loose",
            "n_prompts", "n_instructions", "n_missing", "per_instruction", "per_group")}
        if with_results:
            out["results"] = [r.to_dict() for r in self.results]
        return out

    def format(self) -> str:
        """A plain-text report (percentages)."""
        lines = [
            f"IFEval: {self.n_prompts} prompts, {self.n_instructions} instructions"
            + (f", {self.n_missing} without a response" if self.n_missing else ""),
            f"{'':28}{'strict':>8}{'loose':>8}",
            f"{'prompt-level':28}{100 * self.prompt_strict:8.2f}{100 * self.prompt_loose:8.2f}",
            f"{'instruction-level':28}{100 * self.instruction_strict:8.2f}"
            f"{100 * self.instruction_loose:8.2f}",
            "",
        ]
        width = max((len(k) for k in self.per_instruction), default=10) + 2
        for table in (self.per_group, self.per_instruction):
            lines.append(f"{'':{width}}{'n':>5}{'strict':>8}{'loose':>8}")
            for name, row in sorted(table.items()):
                lines.append(f"{name:{width}}{int(row['count']):5d}{100 * row['strict']:8.2f}"
                             f"{100 * row['loose']:8.2f}")
            lines.append("")
        return "\n".join(lines).rstrip() + "\n"


def _read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_inputs(inputs: str | Path | Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """IFEval rows from a JSONL path, a list of dicts, or the hub name ``google/IFEval``."""
    if isinstance(inputs, (str, Path)):
        path = Path(inputs)
        if path.exists():
            return _read_jsonl(path)
        if str(inputs) == HUB_DATASET:
            return _load_hub()
        raise FileNotFoundError(f"no such inputs file: {inputs}")
    return [dict(row) for row in inputs]


def _load_hub() -> list[dict[str, Any]]:
    try:
        import datasets  # lazy: only users who fetch from the hub need it
    except ImportError as exc:
        raise ImportError("loading google/IFEval needs `pip install datasets` "
                          "(or pass a local input_data.jsonl)") from exc
    rows = datasets.load_dataset(HUB_DATASET, split="train")
    return [{"key": r["key"], "prompt": r["prompt"], "instruction_id_list": list(r["instruction_id_list"]),
             "kwargs": [{k: v for k, v in kw.items() if v is not None} for kw in r["kwargs"]]}
            for r in rows]


def load_responses(responses: str | Path | Sequence[Any]) -> list[Any]:
    """Response rows from a JSONL path (fields ``prompt``, ``response``) or a list."""
    if isinstance(responses, (str, Path)):
        return _read_jsonl(responses)
    return list(responses)


def _match(inputs: list[dict[str, Any]], responses: list[Any]) -> list[str | None]:
    if all(isinstance(r, str) for r in responses):
        if len(responses) != len(inputs):
            raise ValueError(f"{len(responses)} responses for {len(inputs)} inputs")
        return list(responses)
    by_prompt: dict[str, str] = {}
    for row in responses:
        if not isinstance(row, Mapping) or "prompt" not in row or "response" not in row:
            raise ValueError("each response row needs 'prompt' and 'response'")
        by_prompt[row["prompt"]] = row["response"] or ""
    return [by_prompt.get(row["prompt"]) for row in inputs]


def _accuracy(groups: dict[str, list[tuple[bool, bool]]]) -> dict[str, dict[str, float]]:
    return {k: {"count": len(v), "strict": sum(s for s, _ in v) / len(v),
                "loose": sum(x for _, x in v) / len(v)} for k, v in groups.items()}


def score_ifeval(inputs: str | Path | Sequence[Mapping[str, Any]],
                 responses: str | Path | Sequence[Any]) -> IFEvalReport:
    """Score responses on IFEval prompts (a prompt without a response counts as failed)."""
    rows = load_inputs(inputs)
    matched = _match(rows, load_responses(responses))
    results: list[PromptResult] = []
    for row, response in zip(rows, matched, strict=True):
        ids, kwargs = list(row["instruction_id_list"]), list(row.get("kwargs") or [])
        text = response or ""
        strict = [v.followed for v in evaluate(text, ids, kwargs, row["prompt"], "strict")]
        loose = [v.followed for v in evaluate(text, ids, kwargs, row["prompt"], "loose")]
        results.append(PromptResult(row.get("key"), row["prompt"], text, ids, strict, loose,
                                    missing=response is None))
    per_id: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    per_group: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for r in results:
        for iid, s, x in zip(r.instruction_id_list, r.strict, r.loose, strict=True):
            per_id[iid].append((s, x))
            per_group[iid.split(":")[0]].append((s, x))
    n_prompts = len(results)
    n_instr = sum(len(r.strict) for r in results)

    def frac(num: int, den: int) -> float:
        return num / den if den else 0.0

    return IFEvalReport(
        prompt_strict=frac(sum(all(r.strict) for r in results), n_prompts),
        instruction_strict=frac(sum(sum(r.strict) for r in results), n_instr),
        prompt_loose=frac(sum(all(r.loose) for r in results), n_prompts),
        instruction_loose=frac(sum(sum(r.loose) for r in results), n_instr),
        n_prompts=n_prompts, n_instructions=n_instr, n_missing=sum(r.missing for r in results),
        per_instruction=_accuracy(per_id), per_group=_accuracy(per_group),
        results=results,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m evals.ifeval``: print the report (optionally write JSON)."""
    parser = argparse.ArgumentParser(prog="python -m evals.ifeval", description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", required=True,
                        help=f"IFEval input JSONL, or {HUB_DATASET} to load from the hub")
    parser.add_argument("--responses", required=True, help="JSONL with fields prompt, response")
    parser.add_argument("--json", help="write the report (with per-prompt results) as JSON here")
    args = parser.parse_args(argv)
    report = score_ifeval(args.inputs, args.responses)
    sys.stdout.write(report.format())
    if args.json:
        Path(args.json).write_text(json.dumps(report.to_dict(with_results=True), indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
