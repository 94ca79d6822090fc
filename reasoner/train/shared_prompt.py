"""Log-probs of a rollout batch computing each distinct prompt once.

In GRPO every prompt has a group of responses (8 here, 16-64 in practice), and the prompt is
often longer than the response: a plain forward over ``prompt + response`` rows repeats the
prompt's computation once per sample. Here each distinct prompt runs once (left-padded), its
KV cache is indexed out to the rows that share it (a differentiable gather, so gradients from
every response flow back into the prompt's activations), and only the responses run per row.
Same function as the plain forward, fewer FLOPs: for 16 prompts x 8 samples with 29-token
prompts and ~17-token responses, the tokens processed drop from ~5.9k to ~2.6k.
"""

from __future__ import annotations

from typing import Any

import torch
from transformers.cache_utils import DynamicCache

from reasoner.rollout.decode import _cache_kwarg


def prompt_groups(input_ids: torch.Tensor, prompt_lens: torch.Tensor) -> tuple[list[list[int]], torch.Tensor]:
    """Distinct prompts (token lists) and, per row, the index of its prompt."""
    index: dict[tuple[int, ...], int] = {}
    rows = []
    for r, p in enumerate(prompt_lens.tolist()):
        key = tuple(input_ids[r, :p].tolist())
        rows.append(index.setdefault(key, len(index)))
    return [list(k) for k in index], torch.tensor(rows, dtype=torch.long)


def shared_prompt_logprobs(
    model: Any,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    prompt_lens: torch.Tensor,
    temperature: float = 1.0,
    with_entropy: bool = False,
    entropy_grad: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Same contract as ``token_logprobs`` ([B, T-1] aligned to targets, prompt columns 0)."""
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
    p_ids, p_mask, row_prompt_d = p_ids.to(device), p_mask.to(device), row_prompt.to(device)
    cache = DynamicCache(config=model.config)
    ckw = _cache_kwarg(model)
    last = model(input_ids=p_ids, attention_mask=p_mask, position_ids=(p_mask.cumsum(-1) - 1).clamp(min=0),
                 use_cache=True, logits_to_keep=1, **{ckw: cache}).logits[:, -1]
    cache.batch_select_indices(row_prompt_d)

    r_lens = lens - plens
    width_r = max(int(r_lens.max()), 1)
    cols = torch.arange(width_r)
    valid = cols[None, :] < r_lens[:, None]  # [B, R]
    src = (plens[:, None] + cols[None, :]).clamp(max=t - 1)
    r_ids = torch.where(valid, input_ids.cpu().gather(1, src), 0).to(device)
    r_mask = valid.long().to(device)
    positions = (plens[:, None] + cols[None, :]).to(device)
    logits = model(input_ids=r_ids, attention_mask=torch.cat([p_mask[row_prompt_d], r_mask], dim=1),
                   position_ids=positions, use_cache=True, **{ckw: cache}).logits
    # response token j is predicted by the prompt's last position (j = 0) or response position j-1
    pred = torch.cat([last[row_prompt_d][:, None], logits[:, :-1]], dim=1).float()
    if temperature != 1.0:
        pred = pred / temperature
    logp_all = torch.log_softmax(pred, dim=-1)
    valid_d = valid.to(device)
    logp = logp_all.gather(-1, r_ids.unsqueeze(-1)).squeeze(-1) * valid_d
    entropy = None
    if with_entropy:
        with torch.set_grad_enabled(entropy_grad and torch.is_grad_enabled()):
            entropy = -(logp_all.exp() * logp_all).sum(-1) * valid_d
    # target column of response token j is prompt_len - 1 + j; columns past a row's end are
    # distinct and sliced off or zero, so the scatter never collides with a real target
    index = (plens[:, None] - 1 + cols[None, :]).to(device)

    def place(x: torch.Tensor) -> torch.Tensor:
        out = x.new_zeros((b, t - 1 + width_r))
        return out.scatter(1, index, x)[:, : t - 1]

    return place(logp), (place(entropy) if entropy is not None else None)
