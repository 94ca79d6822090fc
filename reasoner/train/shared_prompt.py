"""Log-probs of a rollout batch computing each distinct prompt once.

In GRPO every prompt has a group of responses (8 here, 16-64 in practice), and the prompt is
often longer than the response: a plain forward over ``prompt + response`` rows repeats the
prompt's computation once per sample. Here each distinct prompt runs once (left-padded), its
KV cache is indexed out to the rows that share it (a differentiable gather, so gradients from
every response flow back into the prompt's activations), and only the responses run per row,
in a few forwards of similar-length responses so that short ones are not padded to the longest.
Same function as the plain forward, fewer FLOPs: for 16 prompts x 8 samples with 29-token
prompts and ~17-token responses, the tokens processed drop from ~5.9k to ~2.6k.
"""

from __future__ import annotations

from typing import Any

import torch
from transformers.cache_utils import Cache, DynamicCache, DynamicLayer

from reasoner.rollout.decode import _cache_kwarg


def prompt_groups(input_ids: torch.Tensor, prompt_lens: torch.Tensor) -> tuple[list[list[int]], torch.Tensor]:
    """Distinct prompts (token lists) and, per row, the index of its prompt."""
    index: dict[tuple[int, ...], int] = {}
    rows = []
    for r, p in enumerate(prompt_lens.tolist()):
        key = tuple(input_ids[r, :p].tolist())
        rows.append(index.setdefault(key, len(index)))
    return [list(k) for k in index], torch.tensor(rows, dtype=torch.long)


def _place(x: torch.Tensor, index: torch.Tensor, valid: torch.Tensor, width: int) -> torch.Tensor:
    """Scatter per-response-token values [n, R] to target columns [n, width] (zeros elsewhere)."""
    return x.new_zeros((x.shape[0], width + x.shape[1])).scatter(1, index, x * valid)[:, :width]


def length_chunks(lengths: list[int], max_chunks: int = 4) -> list[list[int]]:
    """Row indices sorted by length, cut into up to ``max_chunks`` runs of similar length.

    Responses in an RL batch vary from a few tokens to ``max_new_tokens``; padding them all to
    the longest wastes most of the response forward. Cuts are placed greedily where they save
    the most padded tokens.
    """
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    cuts = [0, len(order)]
    for _ in range(max_chunks - 1):
        best, best_gain = None, 0
        for c in range(1, len(order)):
            if c in cuts:
                continue
            lo = max(x for x in cuts if x < c)
            hi = min(x for x in cuts if x > c)
            top = lengths[order[hi - 1]]
            gain = (c - lo) * (top - lengths[order[c - 1]])  # rows lo..c-1 no longer padded to top
            if gain > best_gain:
                best, best_gain = c, gain
        if best is None:
            break
        cuts = sorted([*cuts, best])
    return [order[a:b] for a, b in zip(cuts, cuts[1:])]


def shared_prompt_logprobs(
    model: Any,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    prompt_lens: torch.Tensor,
    temperature: float = 1.0,
    with_entropy: bool = False,
    entropy_grad: bool = False,
    max_chunks: int = 4,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Same contract as ``token_logprobs`` ([B, T-1] aligned to targets, prompt columns 0).

    The responses run in up to ``max_chunks`` forwards of similar-length rows, each on the
    gathered KV of its rows' prompts.
    """
    device = input_ids.device
    b, t = input_ids.shape
    lens = attention_mask.sum(-1).cpu()
    plens = prompt_lens.cpu()
    prompts, row_prompt = prompt_groups(input_ids.cpu(), plens)
    width = max(len(p) for p in prompts)
    p_ids = torch.zeros((len(prompts), width), dtype=torch.long)
    p_mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for i, p in enumerate(prompts):  # left padding: every prompt ends at column width-1
        p_ids[i, width - len(p) :] = torch.tensor(p)
        p_mask[i, width - len(p) :] = 1
    p_ids, p_mask = p_ids.to(device), p_mask.to(device)
    prompt_cache = DynamicCache(config=model.config)
    ckw = _cache_kwarg(model)
    last = model(input_ids=p_ids, attention_mask=p_mask, position_ids=(p_mask.cumsum(-1) - 1).clamp(min=0),
                 use_cache=True, logits_to_keep=1, **{ckw: prompt_cache}).logits[:, -1]
    kv = [(layer.keys, layer.values) for layer in prompt_cache.layers]

    r_lens = lens - plens
    ids_cpu = input_ids.cpu()
    logp_rows: list[torch.Tensor] = []
    ent_rows: list[torch.Tensor] = []
    order: list[int] = []
    for rows in length_chunks(r_lens.tolist(), max_chunks):
        rows_t = torch.tensor(rows, dtype=torch.long)
        rp = row_prompt[rows_t].to(device)
        cache = Cache(layers=[DynamicLayer() for _ in kv])
        for layer, (k, v) in zip(cache.layers, kv):
            layer.update(k[rp], v[rp])  # differentiable gather: gradients reach the prompt forward
        rl, pl = r_lens[rows_t], plens[rows_t]
        width_r = max(int(rl.max()), 1)
        cols = torch.arange(width_r)
        valid = cols[None, :] < rl[:, None]
        src = (pl[:, None] + cols[None, :]).clamp(max=t - 1)
        r_ids = torch.where(valid, ids_cpu[rows_t].gather(1, src), 0).to(device)
        logits = model(input_ids=r_ids, attention_mask=torch.cat([p_mask[rp], valid.long().to(device)], dim=1),
                       position_ids=(pl[:, None] + cols[None, :]).to(device), use_cache=True,
                       **{ckw: cache}).logits
        # response token j is predicted by the prompt's last position (j = 0) or response position j-1
        pred = torch.cat([last[rp][:, None], logits[:, :-1]], dim=1).float()
        if temperature != 1.0:
            pred = pred / temperature
        logp_all = torch.log_softmax(pred, dim=-1)
        valid_d = valid.to(device)
        # target column of response token j is prompt_len - 1 + j; columns past a row's end are
        # distinct and sliced off or zero, so the scatter never collides with a real target
        index = (pl[:, None] - 1 + cols[None, :]).to(device)

        logp_rows.append(_place(logp_all.gather(-1, r_ids.unsqueeze(-1)).squeeze(-1), index, valid_d, t - 1))
        if with_entropy:
            with torch.set_grad_enabled(entropy_grad and torch.is_grad_enabled()):
                ent_rows.append(_place(-(logp_all.exp() * logp_all).sum(-1), index, valid_d, t - 1))
        order.extend(rows)
    inverse = torch.empty(b, dtype=torch.long)
    inverse[torch.tensor(order)] = torch.arange(b)
    inverse = inverse.to(device)
    logp = torch.cat(logp_rows)[inverse]
    entropy = torch.cat(ent_rows)[inverse] if with_entropy else None
    return logp, entropy
