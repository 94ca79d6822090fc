"""One policy update over a rollout batch: epochs x mini-batches x micro-batches.

Reads top to bottom: reference log-probs (KL), old log-probs (importance ratios),
then for each mini-batch the clipped policy loss (+ KL, - entropy bonus), aggregated
with mini-batch-global denominators so micro-batching does not change the gradient.

Rows whose advantage is zero on every token (a GRPO group whose samples all got the same
reward) add exactly nothing to the clipped loss or its gradient when there is no KL or
entropy term, so they are not run at all (``skip_zero_advantage``). The denominators still
count them, so the gradient is the one over the full batch, not a re-weighted one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from reasoner.algos import aggregate, clipped_policy_loss, kl_penalty
from reasoner.train.batch import Batch, first_target, token_logprobs
from reasoner.train.shared_prompt import prompt_groups, shared_prompt_logprobs


@dataclass
class UpdateConfig:
    epochs: int = 1
    mini_batch_size: int = 0  # 0 -> the whole batch is one mini-batch
    micro_batch_size: int = 0  # 0 -> no gradient accumulation
    clip_low: float = 0.2
    clip_high: float = 0.2
    clip_ratio_c: float | None = None
    loss_agg: str = "seq-mean-token-mean"
    norm_len: float | None = None  # for seq-mean-token-sum-norm
    kl_coef: float = 0.0
    kl_estimator: str = "k3"
    entropy_coef: float = 0.0
    max_grad_norm: float = 1.0
    temperature: float = 1.0
    tis_cap: float | None = None  # truncated importance sampling: weight min(pi_old / pi_behaviour, cap)
    share_prompts: bool = True  # run each distinct prompt once per micro-batch (reasoner/train/shared_prompt.py)
    skip_zero_advantage: bool = True  # do not run rows that cannot change the gradient (module docstring)
    reuse_first_old_logprobs: bool = True  # the first mini-batch's own forward gives its old log-probs


def active_rows(batch: Batch, cfg: UpdateConfig) -> torch.Tensor:
    """[B] bool: rows the update must run. All rows when a KL or entropy term is in the loss."""
    if not cfg.skip_zero_advantage or cfg.kl_coef > 0 or cfg.entropy_coef != 0:
        return torch.ones(batch.size, dtype=torch.bool)
    return ((batch.advantages != 0) & (batch.mask > 0)).any(-1)


def sequence_logprobs(model: torch.nn.Module, sub: Batch, temperature: float, share_prompts: bool = True,
                      with_entropy: bool = False, entropy_grad: bool = False):
    """Per-target log-probs (and entropy) of ``sub``: shared-prompt forward when rows share prompts."""
    if share_prompts and sub.prompt_lens is not None and _shares(sub):
        return shared_prompt_logprobs(model, sub.input_ids, sub.attention_mask, sub.prompt_lens, temperature,
                                      with_entropy=with_entropy, entropy_grad=entropy_grad)
    return token_logprobs(model, sub.input_ids, sub.attention_mask, temperature, with_entropy=with_entropy,
                          entropy_grad=entropy_grad, start=first_target(sub.mask))


def dropout_free(model: torch.nn.Module) -> bool:
    """No dropout anywhere: a training-mode forward gives the same log-probs as a no-grad one."""
    if any(isinstance(m, torch.nn.Dropout) and m.p > 0 for m in model.modules()):
        return False
    config = getattr(model, "config", None)
    rates = [v for k, v in (vars(config).items() if config is not None else []) if "dropout" in k or "pdrop" in k]
    return not any(isinstance(v, (int, float)) and v > 0 for v in rates)


def _shares(sub: Batch) -> bool:
    """At least two rows have the same prompt."""
    return len(prompt_groups(sub.input_ids, sub.prompt_lens)[0]) < sub.size


def _chunks(idx: torch.Tensor, size: int) -> list[torch.Tensor]:
    size = size or max(len(idx), 1)
    return [idx[i : i + size] for i in range(0, len(idx), size)]


@torch.no_grad()
def batch_logprobs(model: torch.nn.Module, batch: Batch, micro: int, temperature: float,
                   share_prompts: bool = True, rows: torch.Tensor | None = None) -> torch.Tensor:
    """Log-probs of the targets of ``batch`` (of its ``rows`` only; 0 elsewhere) under ``model``."""
    out = torch.zeros_like(batch.mask)
    device = next(model.parameters()).device
    for idx in _chunks(torch.arange(batch.size) if rows is None else rows, micro):
        sub = batch.select(idx).to(device)
        lp, _ = sequence_logprobs(model, sub, temperature, share_prompts)
        out[idx, : lp.shape[1]] = lp.cpu()
    return out


def policy_update(policy: torch.nn.Module, ref: torch.nn.Module | None, optimizer: torch.optim.Optimizer,
                  scheduler: Any, batch: Batch, cfg: UpdateConfig) -> dict[str, float]:
    """Run the update; returns mean statistics over all mini-batch steps."""
    if batch.advantages is None:
        raise ValueError("batch has no advantages")
    device = next(policy.parameters()).device
    if cfg.kl_coef > 0:
        if ref is None:
            raise ValueError("kl_coef > 0 needs a reference model")
        batch.ref_logprobs = batch_logprobs(ref, batch, cfg.micro_batch_size, cfg.temperature, cfg.share_prompts)
    mini = cfg.mini_batch_size or batch.size
    single_pass = cfg.epochs == 1 and mini >= batch.size
    active = active_rows(batch, cfg)
    perms = [torch.randperm(batch.size) if not single_pass else torch.arange(batch.size) for _ in range(cfg.epochs)]
    # Importance ratios need the pre-update policy's log-probs. The first mini-batch runs before
    # any optimizer step, so its own forward gives them (exactly, without dropout); only the
    # other rows need a separate no-grad pass.
    reuse = cfg.reuse_first_old_logprobs and dropout_free(policy)
    first = _chunks(perms[0], mini)[0] if reuse else torch.empty(0, dtype=torch.long)
    later = active.clone()
    later[first] = False
    if not single_pass:
        batch.old_logprobs = batch_logprobs(policy, batch, cfg.micro_batch_size, cfg.temperature,
                                            cfg.share_prompts, rows=later.nonzero().squeeze(-1))
    stats: dict[str, list[float]] = {}
    policy.train()
    for epoch, perm in enumerate(perms):
        for mb_num, mb_idx in enumerate(_chunks(perm, mini)):
            own_old = reuse and epoch == 0 and mb_num == 0
            optimizer.zero_grad(set_to_none=True)
            # loss denominators over the whole mini-batch; metric means over the rows that run
            n_tokens = float(batch.mask[mb_idx].sum().clamp(min=1.0))
            n_seqs = float(len(mb_idx))
            run_idx = mb_idx[active[mb_idx]]
            n_run = float(batch.mask[run_idx].sum().clamp(min=1.0))
            acc = {"loss": 0.0, "pg_loss": 0.0, "kl": 0.0, "entropy": 0.0, "clip_frac": 0.0, "ratio_max": 0.0,
                   "logprob_diff_mean": 0.0, "logprob_diff_max": 0.0}
            if len(run_idx) == 0:  # a zero gradient still moves AdamW (momentum), as the full batch would
                for p in policy.parameters():
                    if p.requires_grad:
                        p.grad = torch.zeros_like(p)
            for idx in _chunks(run_idx, cfg.micro_batch_size):
                sub = batch.select(idx).to(device)
                logp, ent = sequence_logprobs(policy, sub, cfg.temperature, cfg.share_prompts, with_entropy=True,
                                              entropy_grad=cfg.entropy_coef != 0)
                if own_old or sub.old_logprobs is None:
                    old = logp.detach()
                    if batch.old_logprobs is not None:  # later epochs revisit these rows
                        batch.old_logprobs[idx, : old.shape[1]] = old.cpu()
                else:
                    old = sub.old_logprobs
                out = clipped_policy_loss(logp, old, sub.advantages, cfg.clip_low, cfg.clip_high,
                                          cfg.clip_ratio_c)
                # Rollout-vs-trainer mismatch (e.g. vLLM kernels): |log pi_old - log pi_behaviour|.
                diff = (old - sub.behaviour_logprobs).abs() * sub.mask
                acc["logprob_diff_mean"] += float(diff.sum()) / n_run
                acc["logprob_diff_max"] = max(acc["logprob_diff_max"], float(diff.max()))
                if cfg.tis_cap is not None:
                    w = torch.exp((old - sub.behaviour_logprobs).clamp(-20.0, 20.0)).clamp(max=cfg.tis_cap)
                    out.loss_mat = out.loss_mat * w.detach()
                agg = dict(mode=cfg.loss_agg, norm_len=cfg.norm_len, num_tokens=n_tokens, num_seqs=n_seqs)
                pg = aggregate(out.loss_mat, sub.mask, **agg)
                loss = pg
                if cfg.kl_coef > 0:
                    kl = aggregate(kl_penalty(logp, sub.ref_logprobs, cfg.kl_estimator), sub.mask, **agg)
                    loss = loss + cfg.kl_coef * kl
                    acc["kl"] += float(kl.detach())
                if cfg.entropy_coef:
                    loss = loss - cfg.entropy_coef * aggregate(ent, sub.mask, **agg)
                loss.backward()
                m = sub.mask
                acc["loss"] += float(loss.detach())
                acc["pg_loss"] += float(pg.detach())
                acc["entropy"] += float((ent.detach() * m).sum()) / n_run
                acc["clip_frac"] += float((out.clipped.float() * m).sum()) / n_run
                acc["ratio_max"] = max(acc["ratio_max"], float((out.ratio.detach() * m).max()))
            gnorm = torch.nn.utils.clip_grad_norm_(policy.parameters(), cfg.max_grad_norm)
            optimizer.step()
            scheduler.step()
            acc["grad_norm"] = float(gnorm)
            acc["active_rows"] = len(run_idx) / n_seqs
            for k, v in acc.items():
                if len(run_idx) or k in ("loss", "pg_loss", "kl", "grad_norm", "active_rows"):
                    stats.setdefault(k, []).append(v)  # no entropy etc. from a mini-batch that ran nothing
    out_stats = {f"actor/{k}": sum(v) / len(v) for k, v in stats.items()}
    out_stats["actor/lr"] = float(scheduler.get_last_lr()[0])
    out_stats["actor/updates"] = float(len(stats["loss"]))
    return out_stats
