"""SFT: train on prompt -> reference solution, prompt tokens masked out of the loss.

The target is the solution followed by the tokenizer's eos token, so the model learns
to stop. Used by the demo to warm-start the tiny model before RL.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from reasoner.atomic import atomic_dir
from reasoner.data.chat import encode_prompt
from reasoner.data.sources import DataError, load_problems
from reasoner.logging.metrics import MetricsLogger
from reasoner.models.loading import (
    load_causal_lm,
    load_tokenizer,
    pick_device,
    quiet_transformers,
    resolve_model_path,
)
from reasoner.train.batch import first_target, token_logprobs
from reasoner.train.optim import build_optimizer
from reasoner.types import Problem


def sft_examples(problems: list[Problem], tokenizer: Any,
                 response_key: str = "solution") -> list[tuple[list[int], list[int]]]:
    """(prompt ids, response ids + eos) per problem; the response is ``metadata[response_key]``."""
    out = []
    for i, p in enumerate(problems):
        target = p.metadata.get(response_key)
        if not target:
            raise DataError(f"SFT problem {p.id!r} (row {i}) has no {response_key!r} to train on")
        resp = tokenizer(str(target), add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        out.append((encode_prompt(tokenizer, p.prompt), resp))
    return out


def length_bucketed_order(examples: list[tuple[list[int], list[int]]], batch_size: int, bucket: int,
                          rng: random.Random) -> list[int]:
    """One epoch's order: shuffled, then sorted by length within windows of ``bucket`` batches
    so each batch pads little; the batches themselves are shuffled again. ``bucket<=1``: plain shuffle."""
    perm = list(range(len(examples)))
    rng.shuffle(perm)
    if bucket <= 1:
        return perm
    win = batch_size * bucket
    batches = []
    for w in range(0, len(perm), win):
        chunk = sorted(perm[w : w + win], key=lambda i: len(examples[i][0]) + len(examples[i][1]))
        batches += [chunk[b : b + batch_size] for b in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return [i for b in batches for i in b]


def collate(examples: list[tuple[list[int], list[int]]], pad_id: int) -> tuple[torch.Tensor, ...]:
    """Right-padded input ids, attention mask and a [B, T-1] mask over response targets."""
    width = max(len(p) + len(r) for p, r in examples)
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    attn = torch.zeros_like(ids)
    mask = torch.zeros((len(examples), width - 1))
    for i, (p, r) in enumerate(examples):
        seq = p + r
        ids[i, : len(seq)] = torch.tensor(seq)
        attn[i, : len(seq)] = 1
        mask[i, len(p) - 1 : len(seq) - 1] = 1.0
    return ids, attn, mask


def sft_loss(model: torch.nn.Module, ids: torch.Tensor, attn: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean negative log-likelihood over response tokens only."""
    logp, _ = token_logprobs(model, ids, attn, start=first_target(mask))
    return -(logp * mask).sum() / mask.sum().clamp(min=1.0)


def run_sft(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Supervised fine-tuning as configured; saves the model to ``<output_dir>/model``."""
    torch.set_num_threads(int(cfg.get("threads", 1)))
    torch.manual_seed(int(cfg["seed"]))
    out_dir = Path(cfg["output_dir"])
    problems = load_problems(cfg["data"], "train")
    quiet_transformers()
    mcfg = cfg["model"]
    path = resolve_model_path(mcfg["path"], mcfg.get("tiny"), mcfg.get("cache_dir"))
    tok = load_tokenizer(path)
    examples = sft_examples(problems, tok, cfg["sft"].get("response_key", "solution"))
    model = load_causal_lm(path, mcfg.get("dtype", "float32"), pick_device(cfg.get("device", "auto")))
    scfg = cfg["sft"]
    bs, steps = int(scfg["batch_size"]), int(scfg["steps"])
    opt, sched = build_optimizer(model, cfg["optim"], steps)
    logger = MetricsLogger(out_dir, steps, kind=cfg.get("logger", {}).get("kind", "console"),
                           console=bool(cfg.get("logger", {}).get("console", True)))
    rng = random.Random(int(cfg["seed"]))
    order: list[int] = []
    bucket = int(scfg.get("length_bucket", 1))
    device = next(model.parameters()).device
    model.train()
    t0 = time.perf_counter()
    loss_v = float("nan")
    try:
        for step in range(1, steps + 1):
            if len(order) < bs:
                order += length_bucketed_order(examples, bs, bucket, rng)
            idx, order = order[:bs], order[bs:]
            ids, attn, mask = (t.to(device) for t in collate([examples[i] for i in idx], tok.pad_token_id))
            loss = sft_loss(model, ids, attn, mask)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            gnorm = torch.nn.utils.clip_grad_norm_(model.parameters(), float(scfg.get("max_grad_norm", 1.0)))
            opt.step()
            sched.step()
            loss_v = float(loss.detach())
            log_every = int(scfg.get("log_every", 10))
            if step % log_every == 0 or step == steps:
                logger.log(step, {"sft/loss": loss_v, "actor/grad_norm": float(gnorm),
                                  "actor/lr": sched.get_last_lr()[0]})
    finally:
        logger.close()
    save_to = out_dir / "model"
    with atomic_dir(save_to) as tmp:
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
    return {"model_path": str(save_to), "final_loss": loss_v, "seconds": time.perf_counter() - t0}
