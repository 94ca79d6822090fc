"""A preallocated KV cache for the lean decode loop.

transformers' ``DynamicCache`` grows by ``torch.cat`` every step, copying the whole cache
(quadratic in the response length; a quarter of decode time on the tiny model), and
``StaticCache`` attends over its full capacity every step. This layer writes each step into a
buffer sized once for prompt + ``max_new_tokens`` and hands attention a view of the filled
part only. ``batch_select_indices`` (one copy) drops finished rows, which the decode loop
uses to stop spending compute on them.
"""

from __future__ import annotations

import torch
from transformers.cache_utils import Cache, DynamicLayer


class PreallocatedLayer(DynamicLayer):
    """One attention layer's keys/values in a buffer of ``capacity`` positions."""

    def __init__(self, capacity: int) -> None:
        super().__init__()
        self.capacity = capacity
        self.length = 0

    def lazy_initialization(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        self.device = key_states.device
        b, h, _, d = key_states.shape
        self.keys = key_states.new_empty((b, h, self.capacity, d))
        self.values = value_states.new_empty((b, h, self.capacity, value_states.shape[-1]))
        self.length = 0
        self.is_initialized = True

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs):
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        n = key_states.shape[-2]
        end = self.length + n
        if end > self.capacity:
            raise RuntimeError(f"KV cache capacity {self.capacity} exceeded ({end} positions)")
        self.keys[:, :, self.length : end] = key_states
        self.values[:, :, self.length : end] = value_states
        self.length = end
        return self.keys[:, :, :end], self.values[:, :, :end]

    def get_seq_length(self) -> int:
        return self.length if self.is_initialized else 0

    def get_max_length(self) -> int:
        return self.capacity

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        if self.is_initialized:  # copy only the filled positions into fresh full-capacity buffers
            for name in ("keys", "values"):
                old = getattr(self, name)
                new = old.new_empty((len(indices), *old.shape[1:]))
                new[:, :, : self.length] = old[indices, :, : self.length]
                setattr(self, name, new)

    def reset(self) -> None:
        self.length = 0
        super().reset()

    def crop(self, tokens_to_remove: int) -> None:
        raise NotImplementedError("PreallocatedLayer does not crop")

    def batch_repeat_interleave(self, repeats: int) -> None:
        raise NotImplementedError("PreallocatedLayer does not repeat rows")


def preallocated_cache(num_layers: int, capacity: int) -> Cache:
    """A Cache of ``num_layers`` preallocated attention layers holding ``capacity`` positions."""
    return Cache(layers=[PreallocatedLayer(capacity) for _ in range(num_layers)])


def supports_preallocated(config) -> bool:
    """True for plain full-attention decoders (no sliding-window, linear or hybrid layers)."""
    cfg = config.get_text_config() if hasattr(config, "get_text_config") else config
    layer_types = getattr(cfg, "layer_types", None)
    if layer_types and any(t != "full_attention" for t in layer_types):
        return False
    if hasattr(cfg, "use_sliding_window"):  # Qwen2-style: a window only when switched on
        if cfg.use_sliding_window:
            return False
    elif getattr(cfg, "sliding_window", None):  # Mistral-style: a window whenever one is set
        return False
    return getattr(cfg, "is_encoder_decoder", False) is False
