"""Reports of an evaluation run: ``results.json``, ``results.md`` and ``pass_at_k.png``."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def _pct(x: Any) -> str:
    return "-" if x is None else f"{100 * float(x):.2f}"


def markdown(results: Mapping[str, Any]) -> str:
    """A markdown report: headline metrics, then pass@k / maj@k against k."""
    m = results["metrics"]
    lines = [f"# {results['benchmark']} ({results['mode']})", ""]
    if results.get("model"):
        lines.append(f"model: `{results['model']}`  ")
    lines += [f"problems: {m.get('num_problems', 0)}, samples: {m.get('num_samples', 0)}, n: {m.get('n')}"
              + (f", problems without responses: {results['missing']}" if results.get("missing") else ""), ""]
    ks = m.get("ks") or []
    if ks:
        has_maj = any(f"maj@{k}" in m for k in ks)
        lines += ["| k | pass@k (%) |" + (" maj@k (%) |" if has_maj else ""),
                  "|---:|---:|" + ("---:|" if has_maj else "")]
        for k in ks:
            maj = f" {_pct(m.get(f'maj@{k}'))} |" if has_maj else ""
            lines.append(f"| {k} | {_pct(m.get(f'pass@{k}'))} |" + maj)
        if not has_maj:
            lines += ["", "maj@k is not defined for this benchmark (no comparable extracted answer)."]
        lines.append("")
    rows = [("mean score", _pct(m.get("score/mean")))]
    for key in ("prompt_strict", "instruction_strict", "prompt_loose", "instruction_loose"):
        if key in m:
            rows.append((key.replace("_", "-level ", 1), _pct(m[key])))
    if "no_answer" in m:
        rows.append(("no extracted answer (%)", _pct(m["no_answer"])))
    rows += [("mean response length (tokens)", "-" if m.get("response_len/mean") is None
              else f"{m['response_len/mean']:.1f}"),
             ("mean response length (chars)", "-" if m.get("response_chars/mean") is None
              else f"{m['response_chars/mean']:.1f}"),
             ("truncated (%)", _pct(m.get("truncated")))]
    lines += ["| metric | value |", "|---|---:|"] + [f"| {a} | {b} |" for a, b in rows]
    return "\n".join(lines) + "\n"


def plot(results: Mapping[str, Any], path: str | Path) -> Path:
    """PNG of pass@k (and maj@k where defined) against k (matplotlib, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    m = results["metrics"]
    ks = m.get("ks") or [1]
    fig, ax = plt.subplots(figsize=(5, 3.5), dpi=100)
    ax.plot(ks, [100 * float(m.get(f"pass@{k}") or 0.0) for k in ks], "o-", label="pass@k")
    if any(f"maj@{k}" in m for k in ks):
        ax.plot(ks, [100 * float(m.get(f"maj@{k}") or 0.0) for k in ks], "s--", label="maj@k")
    if len(ks) > 1:
        ax.set_xscale("log", base=2)
    ax.set_xticks(ks, [str(k) for k in ks])
    ax.set_ylim(-2, 102)
    ax.set_xlabel("k")
    ax.set_ylabel("%")
    ax.set_title(f"{results['benchmark']}: {m.get('num_problems', 0)} problems, n={m.get('n')}")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    plt.close(fig)
    return path


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_reports(results: Mapping[str, Any], out_dir: str | Path, with_plot: bool = True) -> dict[str, str]:
    """Write results.json, results.md (and the plot); returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"results": str(out / "results.json"), "report": str(out / "results.md")}
    if with_plot:
        paths["plot"] = str(out / "pass_at_k.png")
    _atomic_write(out / "results.json", json.dumps({**results, "files": paths}, indent=2, default=str) + "\n")
    _atomic_write(out / "results.md", markdown(results))
    if with_plot:
        plot(results, out / "pass_at_k.png")
    return paths
