"""Batch: padded tensors built from Samples for the policy update.

Sequences are ``prompt_ids + response_ids``, right-padded. Everything per-token is aligned
to *targets*: column j holds the quantity for predicting token j+1 from tokens <= j, so
the matrices are [B, T-1]. ``mask`` is 1 exactly on sampled response tokens (a given
response prefix and the prompt are context, not trained on).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import torch

from reasoner.types import Sample


@dataclass
class Batch:
    input_ids: torch.Tensor  # [B, T] long
    attention_mask: torch.Tensor  # [B, T] long
    mask: torch.Tensor  # [B, T-1] float: sampled response tokens
    behaviour_logprobs: torch.Tensor  # [B, T-1] from the rollout engine
    advantages: torch.Tensor | None = None  # [B, T-1]
    old_logprobs: torch.Tensor | None = None  # [B, T-1] policy before this update
    ref_logprobs: torch.Tensor | None = None  # [B, T-1] frozen reference policy
    prompt_lens: torch.Tensor | None = None  # [B] long: prompt tokens per row (shared-prompt forward)

    @property
    def size(self) -> int:
        return self.input_ids.shape[0]

    def select(self, idx: torch.Tensor | list[int]) -> Batch:
        """Rows ``idx``, with trailing all-padding columns trimmed (less compute)."""
        idx_t = torch.as_tensor(idx, dtype=torch.long)
        rows = {f.name: (getattr(self, f.name)[idx_t] if getattr(self, f.name) is not None else None)
                for f in fields(self)}
        width = int(rows["attention_mask"].sum(-1).max().item())
        width = max(width, 2)
        out = {}
        for k, v in rows.items():
            if v is None or v.dim() == 1:
                out[k] = v
            elif k in ("input_ids", "attention_mask"):
                out[k] = v[:, :width]
            else:
                out[k] = v[:, : width - 1]
        return Batch(**out)

    def to(self, device: str | torch.device) -> Batch:
        return replace(self, **{f.name: getattr(self, f.name).to(device)
                                for f in fields(self) if getattr(self, f.name) is not None})


def build_batch(samples: list[Sample], pad_id: int) -> Batch:
    """Right-padded Batch from samples (behaviour log-probs placed on their target columns)."""
    seqs = [s.prompt_ids + s.response_ids for s in samples]
    width = max(len(s) for s in seqs)
    b = len(samples)
    input_ids = torch.full((b, width), pad_id, dtype=torch.long)
    attn = torch.zeros((b, width), dtype=torch.long)
    mask = torch.zeros((b, width - 1), dtype=torch.float32)
    blp = torch.zeros((b, width - 1), dtype=torch.float32)
    for i, (s, seq) in enumerate(zip(samples, seqs)):
        input_ids[i, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        attn[i, : len(seq)] = 1
        start = len(s.prompt_ids) + s.prefix_len - 1  # target column of the first sampled token
        n = s.num_sampled
        if len(s.logprobs) != n:
            raise ValueError(f"sample of {s.problem_id!r}: {len(s.logprobs)} log-probs for {n} sampled tokens")
        mask[i, start : start + n] = 1.0
        blp[i, start : start + n] = torch.tensor(s.logprobs, dtype=torch.float32)
    prompt_lens = torch.tensor([len(s.prompt_ids) for s in samples], dtype=torch.long)
    return Batch(input_ids, attn, mask, blp, prompt_lens=prompt_lens)


def first_target(mask: torch.Tensor) -> int:
    """The first target column any row trains on (0 for an empty mask)."""
    cols = mask.any(0).nonzero()
    return int(cols[0]) if len(cols) else 0


def token_logprobs(
    model: torch.nn.Module,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    temperature: float = 1.0,
    with_entropy: bool = False,
    entropy_grad: bool = False,
    start: int = 0,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Log-prob of each next token under softmax(logits / T), and optionally its entropy.

    Returns ([B, T-1], [B, T-1] or None). Computed in float32 whatever the model dtype.
    The entropy carries a graph only with ``entropy_grad`` (an entropy bonus in the loss).
    ``start`` > 0 computes the LM head and softmax only for target columns >= start (the
    prompt is context: in RL most positions are prompt); earlier columns are returned as 0.
    """
    width = input_ids.shape[1] - 1
    start = min(max(start, 0), width)
    kwargs = {"logits_to_keep": width + 1 - start} if start > 0 else {}
    logits = model(input_ids=input_ids, attention_mask=attention_mask, use_cache=False, **kwargs).logits
    logits = logits[:, :-1].float()
    if temperature != 1.0:
        logits = logits / temperature
    logp_all = torch.log_softmax(logits, dim=-1)
    logp = logp_all.gather(-1, input_ids[:, 1 + start :].unsqueeze(-1)).squeeze(-1)
    entropy = None
    if with_entropy:
        with torch.set_grad_enabled(entropy_grad and torch.is_grad_enabled()):
            entropy = -(logp_all.exp() * logp_all).sum(-1)
    if start > 0:
        logp = torch.nn.functional.pad(logp, (start, 0))
        entropy = torch.nn.functional.pad(entropy, (start, 0)) if entropy is not None else None
    return logp, entropy
