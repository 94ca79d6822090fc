"""The per-sample JSONL of an evaluation run, appended one finished problem at a time.

Each problem's records go out in one ``write`` on an ``O_APPEND`` descriptor, followed
by ``fsync``, and each record carries ``n`` (its problem's sample count). On reopening,
a torn last line is cut off and a problem counts as finished only when all ``n`` of its
records are there, so a crash loses at most the problem being written.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any


class SampleStore:
    """``samples.jsonl`` under an output directory (see the module docstring)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def load(self) -> dict[str, list[dict[str, Any]]]:
        """Records of the finished problems, by problem id, in sample order."""
        if not self.path.exists():
            return {}
        by_id: dict[str, list[dict[str, Any]]] = defaultdict(list)
        with self.path.open(encoding="utf-8") as f:
            for line in f:
                if not line.endswith("\n"):
                    break  # torn write
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue
                by_id[str(rec["problem_id"])].append(rec)
        done = {}
        for pid, recs in by_id.items():
            recs.sort(key=lambda r: int(r.get("sample", 0)))
            n = int(recs[0].get("n", len(recs)))
            if len(recs) >= n:
                done[pid] = recs[:n]
        return done

    def repair(self) -> None:
        """Cut a torn trailing line left by a crash (before appending again)."""
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            keep = data.rfind(b"\n") + 1
            with self.path.open("r+b") as f:
                f.truncate(keep)

    def append(self, records: list[dict[str, Any]]) -> None:
        """Append one problem's records atomically enough (one write, then fsync)."""
        if not records:
            return
        blob = "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in records).encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            view = memoryview(blob)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
