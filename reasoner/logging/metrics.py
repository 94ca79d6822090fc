"""Metrics sinks: console (rich progress + one line per step), metrics.jsonl, TensorBoard."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

# The per-step console line: (metric key, label, format).
STEP_LINE = [
    ("sft/loss", "loss", "{:.4f}"),
    ("reward/mean", "reward", "{:.3f}"),
    ("accuracy", "acc", "{:.3f}"),
    ("response_len/mean", "len", "{:.1f}"),
    ("response_len/max", "max", "{:.0f}"),
    ("actor/clip_frac", "clip", "{:.3f}"),
    ("actor/kl", "kl", "{:.4f}"),
    ("actor/entropy", "ent", "{:.3f}"),
    ("actor/grad_norm", "gnorm", "{:.3f}"),
    ("perf/samples_per_s", "samp/s", "{:.1f}"),
    ("perf/tokens_per_s", "tok/s", "{:.0f}"),
    ("time/generate", "gen", "{:.2f}s"),
    ("time/reward", "rew", "{:.2f}s"),
    ("time/update", "upd", "{:.2f}s"),
    ("eval/accuracy", "eval_acc", "{:.3f}"),
]


def _clean(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


class MetricsLogger:
    """Writes every step to metrics.jsonl, optionally TensorBoard, and prints a line."""

    def __init__(self, output_dir: str | Path, total_steps: int, kind: str = "console",
                 console: bool = True, append: bool = False) -> None:
        self.dir = Path(output_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.jsonl = (self.dir / "metrics.jsonl").open("a" if append else "w")
        self.console = Console(stderr=True) if console else None
        self.tb = None
        if kind == "tensorboard":
            from torch.utils.tensorboard import SummaryWriter

            self.tb = SummaryWriter(log_dir=str(self.dir / "tensorboard"))
        elif kind not in ("console", "jsonl", "none"):
            raise ValueError(f"logger={kind!r} is unknown; choose console, jsonl, tensorboard or none")
        self.progress = None
        if self.console is not None and self.console.is_terminal:
            self.progress = Progress(TextColumn("[bold]RL"), BarColumn(), MofNCompleteColumn(),
                                     TimeElapsedColumn(), TimeRemainingColumn(), console=self.console,
                                     transient=True)
            self.task = self.progress.add_task("train", total=total_steps)
            self.progress.start()

    def log(self, step: int, metrics: Mapping[str, Any]) -> None:
        row = {"step": step, **{k: _clean(v) for k, v in metrics.items()}}
        self.jsonl.write(json.dumps(row) + "\n")
        self.jsonl.flush()
        if self.tb is not None:
            for k, v in metrics.items():
                if isinstance(v, (int, float)) and math.isfinite(float(v)):
                    self.tb.add_scalar(k, float(v), step)
        if self.console is not None:
            parts = [f"step {step}"]
            for key, label, fmt in STEP_LINE:
                if key in metrics and metrics[key] is not None:
                    parts.append(f"{label} " + fmt.format(metrics[key]))
            self.console.print(" | ".join(parts), highlight=False)
        if self.progress is not None:
            self.progress.update(self.task, completed=step)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
        if self.tb is not None:
            self.tb.close()
        self.jsonl.close()
