"""Atomic checkpoints: the policy in HF format plus optimizer, scheduler, RNG and data state.

A checkpoint is written into a temporary sibling directory and renamed into place, then
the ``latest`` pointer is replaced atomically, so a crash mid-write leaves the last good
checkpoint untouched. Layout: ``<output_dir>/checkpoints/step_000010/{policy/,state.pt}``.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import torch

from reasoner.atomic import atomic_dir, write_text_atomic

CKPT_DIR = "checkpoints"


def rng_state() -> dict[str, Any]:
    state = {"python": random.getstate(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    try:
        import numpy as np

        state["numpy"] = np.random.get_state()
    except ImportError:
        pass
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    if "numpy" in state:
        import numpy as np

        np.random.set_state(state["numpy"])


def save_checkpoint(output_dir: str | Path, step: int, model: Any, tokenizer: Any,
                    state: dict[str, Any], keep: int | None = None) -> Path:
    """Write checkpoint ``step`` atomically; prune to the newest ``keep`` when set."""
    root = Path(output_dir) / CKPT_DIR
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"step_{step:06d}"
    with atomic_dir(final) as tmp:
        model.save_pretrained(tmp / "policy", safe_serialization=True)
        tokenizer.save_pretrained(tmp / "policy")
        torch.save({**state, "step": step, "rng": rng_state()}, tmp / "state.pt")
    write_text_atomic(root / "latest", final.name + "\n")
    if keep:
        steps = sorted(p for p in root.glob("step_*") if p.is_dir())
        for old in steps[:-keep]:
            shutil.rmtree(old, ignore_errors=True)
    return final


def find_checkpoint(resume: Any, output_dir: str | Path) -> Path | None:
    """``resume``: false/None -> None; true -> the latest in output_dir; a path -> that one."""
    if resume in (None, False, "false", "False", ""):
        return None
    if resume in (True, "true", "True", "latest"):
        root = Path(output_dir) / CKPT_DIR
        pointer = root / "latest"
        if not pointer.exists():
            return None
        path = root / pointer.read_text().strip()
    else:
        path = Path(str(resume))
    if not (path / "state.pt").exists() or not (path / "policy").exists():
        raise FileNotFoundError(f"resume={resume!r}: {path} is not a complete checkpoint (state.pt, policy/)")
    return path


def load_state(path: Path) -> dict[str, Any]:
    return torch.load(path / "state.pt", weights_only=False)
