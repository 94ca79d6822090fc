"""One decode step of a Llama- or Qwen2-family model without transformers' per-call machinery.

At one new token per row, a small model's decode step is bound by overhead, not arithmetic:
transformers builds a 4-D mask, dispatches attention through its interface and calls a dozen
modules per layer, and on the CPU its flash-attention kernel costs more than the matmuls of
a one-token query. This step runs the same computation from the model's own weights and
modules (its norms, its rotary embedding, so every RoPE variant it supports is honoured):
fused q/k/v and gate/up projections, grouped-query attention as two batched matmuls over
the preallocated cache, and the LM head on the new position only. It is used only for the
architectures it was checked against (``supported``); anything else takes the transformers
forward. Equal to it within float rounding (tests compare greedy tokens and log-probs).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from transformers.models.llama.modeling_llama import rotate_half  # Qwen2's is the same function

from reasoner.rollout.kvcache import PreallocatedLayer

FAMILIES = ("llama", "qwen2")
NORMS = ("LlamaRMSNorm", "Qwen2RMSNorm")


def supported(model: Any) -> bool:
    """A Llama/Qwen2 causal LM with SiLU MLPs and the plain pre-norm layer layout."""
    cfg = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
    if getattr(cfg, "model_type", None) not in FAMILIES or getattr(cfg, "hidden_act", None) != "silu":
        return False
    base = getattr(model, "model", None)
    layers = getattr(base, "layers", None)
    if layers is None or not hasattr(base, "rotary_emb") or not hasattr(model, "lm_head"):
        return False
    attn = layers[0].self_attn
    norms = [base.norm, layers[0].input_layernorm, layers[0].post_attention_layernorm]
    return all(hasattr(attn, n) for n in ("q_proj", "k_proj", "v_proj", "o_proj", "scaling", "head_dim")) and all(
        type(n).__name__ in NORMS and hasattr(n, "variance_epsilon") for n in norms)


def _rms_norm(norm: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The families' RMSNorm (float32 statistics, weight applied in the input dtype) as one fused op."""
    return norm.weight * F.rms_norm(x.float(), (x.shape[-1],), None, norm.variance_epsilon).to(x.dtype)


def _fuse(*linears: torch.nn.Linear) -> tuple[torch.Tensor, torch.Tensor | None]:
    weight = torch.cat([lin.weight for lin in linears])
    biases = [lin.bias for lin in linears]
    bias = None if all(b is None for b in biases) else torch.cat(
        [b if b is not None else lin.weight.new_zeros(lin.out_features) for b, lin in zip(biases, linears)])
    return weight, bias


class FastStep:
    """Decode steps of one model with its current weights (build it again after an update)."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.layers = []
        for layer in model.model.layers:
            a, m = layer.self_attn, layer.mlp
            qkv = _fuse(a.q_proj, a.k_proj, a.v_proj)
            gate_up = _fuse(m.gate_proj, m.up_proj)
            self.layers.append((layer, qkv, gate_up, a.q_proj.out_features // a.head_dim,
                                a.k_proj.out_features // a.head_dim))

    @torch.no_grad()
    def __call__(self, ids: torch.Tensor, positions: torch.Tensor, mask: torch.Tensor,
                 cache_layers: list[PreallocatedLayer]) -> torch.Tensor:
        """Logits [B, V] of the next token after ``ids`` [B, 1] at ``positions`` [B, 1].

        ``mask`` [B, L] marks the cache positions (old + this one) each row may attend to.
        """
        base = self.model.model
        x = base.embed_tokens(ids)  # [B, 1, D]
        cos, sin = base.rotary_emb(x, positions)  # [B, 1, d]
        cos, sin = cos[:, None], sin[:, None]  # [B, 1, 1, d]: broadcast over heads
        bias = torch.zeros(mask.shape, dtype=x.dtype, device=x.device).masked_fill_(mask == 0, float("-inf"))
        bias = bias[:, None, None, :]  # [B, 1, 1, L]: broadcast over (kv head, group)
        b = ids.shape[0]
        for (layer, (w_qkv, b_qkv), (w_gu, b_gu), n_heads, n_kv), cache in zip(self.layers, cache_layers):
            attn = layer.self_attn
            d = attn.head_dim
            h = _rms_norm(layer.input_layernorm, x)
            qkv = F.linear(h, w_qkv, b_qkv).view(b, n_heads + 2 * n_kv, 1, d)  # one new position per row
            qk = qkv[:, : n_heads + n_kv]
            qk = qk * cos + rotate_half(qk) * sin  # RoPE on the query and key heads at once
            q, k, v = qk[:, :n_heads], qk[:, n_heads:], qkv[:, n_heads + n_kv :]
            keys, values = cache.update(k, v)  # [B, n_kv, L, d]
            groups = n_heads // n_kv  # query head kv*groups + g reads kv head kv, as repeat_kv orders them
            scores = torch.matmul(q.reshape(b, n_kv, groups, d), keys.transpose(-1, -2)) * attn.scaling + bias
            probs = torch.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
            out = torch.matmul(probs, values).reshape(b, 1, n_heads * d)
            x = x + attn.o_proj(out)
            h = _rms_norm(layer.post_attention_layernorm, x)
            gate, up = F.linear(h, w_gu, b_gu).chunk(2, dim=-1)
            x = x + layer.mlp.down_proj(F.silu(gate) * up)
        return self.model.lm_head(_rms_norm(base.norm, x))[:, -1]
