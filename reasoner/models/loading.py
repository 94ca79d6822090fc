"""Load policy / reference models and tokenizers from a hub name, a local path or a builtin.

``model.path`` is passed to ``AutoModelForCausalLM.from_pretrained`` unchanged, so
``Qwen/Qwen2.5-0.5B-Instruct`` or ``/ckpt/step_100/policy`` work alike; ``builtin:tiny``
builds the tiny model once into the cache and then loads it through the same call.
"""

from __future__ import annotations

import os
from typing import Any

import torch

from reasoner.models.tiny import TinySpec, ensure_tiny

_DTYPES = {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16,
           "bf16": torch.bfloat16, "float16": torch.float16, "fp16": torch.float16}


def quiet_transformers() -> None:
    """Silence transformers' progress bars and info logs (our own progress is enough)."""
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def resolve_model_path(path: str, tiny: dict[str, Any] | None = None, cache_dir: str | None = None) -> str:
    """Turn ``builtin:tiny`` into a local directory; return anything else unchanged."""
    if path == "builtin:tiny":
        spec = TinySpec(**(tiny or {}))
        return str(ensure_tiny(spec, cache_dir))
    return path


def resolve_dtype(name: str) -> torch.dtype:
    if name not in _DTYPES:
        raise ValueError(f"model.dtype={name!r} is not one of {sorted(_DTYPES)}")
    return _DTYPES[name]


def _not_found(path: str, what: str, exc: OSError) -> FileNotFoundError:
    """A missing model/tokenizer named by the key the user set (transformers' message names neither)."""
    where = "a local directory" if os.path.isdir(path) else "neither a local directory nor in the hub cache / reachable"
    return FileNotFoundError(f"model.path={path!r}: could not load the {what} ({where}): {exc}")


def load_tokenizer(path: str):
    """Tokenizer with a pad token, left padding for generation."""
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(path)
    except OSError as exc:
        raise _not_found(path, "tokenizer", exc) from exc
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    tok.padding_side = "left"
    if tok.chat_template is None:
        raise ValueError(f"tokenizer at {path!r} has no chat template; set one or use a chat/instruct model")
    return tok


def load_causal_lm(path: str, dtype: str = "float32", device: str = "cpu", trainable: bool = True):
    """Load a causal LM through the Auto* path; frozen (eval, no grad) when not trainable."""
    from transformers import AutoModelForCausalLM

    try:
        model = AutoModelForCausalLM.from_pretrained(path, dtype=resolve_dtype(dtype))
    except OSError as exc:
        raise _not_found(path, "model", exc) from exc
    model.to(device)
    if not trainable:
        model.eval()
        model.requires_grad_(False)
    return model


def pick_device(name: str) -> str:
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name
