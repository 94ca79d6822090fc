"""What the trainer sends to a vLLM engine at weight sync: names and tensors, no vLLM import.

``sync_tensors(model)`` yields ``(name, tensor)`` in Hugging Face checkpoint naming, which is
what vLLM's ``load_weights`` expects:

- tied embeddings: ``lm_head.weight`` is yielded explicitly (vLLM's in-place reload waits
  for every parameter it holds, and a state dict may leave the tied copy out);
- a peft model: LoRA deltas are merged into their base weights on the fly (``W + B A s``),
  into new tensors, so the trainer's model is not modified and no adapter names leak out.

``to_blob`` / ``from_blob`` pack the same stream as one safetensors blob for engines in
another process (a vLLM server).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch

PEFT_PREFIX = "base_model.model."


def _is_peft(model: Any) -> bool:
    try:
        from peft import PeftModel
    except ImportError:
        return False
    return isinstance(model, PeftModel)


def base_model(model: Any) -> Any:
    """The plain transformers model under a peft wrapper (the model itself otherwise)."""
    return model.get_base_model() if _is_peft(model) else model


def _tied(model: Any) -> bool:
    cfg = getattr(model, "config", None)
    tied = getattr(cfg, "tie_word_embeddings", False)
    text_cfg = getattr(cfg, "get_text_config", None)
    if text_cfg is not None:
        tied = tied or bool(getattr(text_cfg(), "tie_word_embeddings", False))
    return bool(tied)


def _lora_deltas(model: Any) -> dict[str, torch.Tensor]:
    """Merged-weight delta of each LoRA-wrapped module of a peft model, by module name."""
    from peft.tuners.lora import LoraLayer

    deltas: dict[str, torch.Tensor] = {}
    for name, module in base_model(model).named_modules():
        if not isinstance(module, LoraLayer) or getattr(module, "merged", False):
            continue
        delta = None
        for adapter in module.active_adapters:
            if adapter in module.lora_A:
                d = module.get_delta_weight(adapter)
                delta = d if delta is None else delta + d
        if delta is not None:
            deltas[name] = delta
    return deltas


@torch.no_grad()
def sync_tensors(model: Any, dtype: torch.dtype | None = None) -> Iterator[tuple[str, torch.Tensor]]:
    """The model's weights as an engine loads them (merged LoRA, explicit tied head).

    ``dtype``: cast floating tensors to the engine's dtype (no copy when it already matches).
    Tensors stay on the model's device; nothing in ``model`` is modified.
    """
    peft = _is_peft(model)
    base = base_model(model)
    deltas = _lora_deltas(model) if peft else {}
    seen: set[str] = set()
    for name, t in base.state_dict(keep_vars=False).items():
        if peft:
            if ".lora_" in name or ".original_module." in name:
                continue  # adapter factors are merged; modules_to_save replaces the original
            name = name.replace(".base_layer.", ".")
            name = name.replace(".modules_to_save.default.", ".")
            module_name, _, leaf = name.rpartition(".")
            if leaf == "weight" and module_name in deltas:
                t = t + deltas[module_name].to(t.dtype)
        if dtype is not None and t.is_floating_point() and t.dtype != dtype:
            t = t.to(dtype)
        seen.add(name)
        yield name, t.detach()
    if _tied(base) and "lm_head.weight" not in seen:
        emb = base.get_input_embeddings().weight
        yield "lm_head.weight", (emb.to(dtype) if dtype is not None and emb.dtype != dtype else emb).detach()


def tensor_bytes(t: torch.Tensor) -> int:
    return t.numel() * t.element_size()


def to_blob(tensors: Iterator[tuple[str, torch.Tensor]]) -> bytes:
    """One safetensors blob of the stream (CPU copies; tied tensors get storage of their own)."""
    from safetensors.torch import save

    out: dict[str, torch.Tensor] = {}
    ptrs: set[int] = set()
    for name, t in tensors:
        t = t.detach().to("cpu").contiguous()
        if t.data_ptr() in ptrs:
            t = t.clone()
        ptrs.add(t.data_ptr())
        out[name] = t
    return save(out)


def from_blob(blob: bytes) -> dict[str, torch.Tensor]:
    from safetensors.torch import load

    return load(blob)
