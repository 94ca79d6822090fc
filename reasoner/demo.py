"""The demo: SFT warm start of the tiny model, held-out accuracy, GRPO, held-out accuracy again.

Prints a before/after table and writes ``summary.json`` (accuracy_before, accuracy_after,
steps, seconds) into ``output_dir``. Both evaluations use the same held-out problems
(disjoint from training by construction) and greedy decoding.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from rich.console import Console
from rich.table import Table

from reasoner.data.sources import load_problems
from reasoner.models.loading import load_causal_lm, load_tokenizer, pick_device
from reasoner.rewards.pipeline import RewardPipeline
from reasoner.rollout.groups import build_engine, close_engine, sampling_params
from reasoner.train.config import validate_rl
from reasoner.train.evaluate import heldout_accuracy
from reasoner.train.rl import run_rl
from reasoner.train.sft import run_sft


def evaluate_path(path: str, cfg: Mapping[str, Any], problems: list, reward: RewardPipeline) -> dict[str, float]:
    """Greedy held-out metrics of the model saved at ``path``."""
    tok = load_tokenizer(path)
    model = load_causal_lm(path, cfg["model"].get("dtype", "float32"), pick_device(cfg.get("device", "auto")),
                           trainable=False)
    engine = build_engine(cfg["rollout"], model, tok)
    try:
        return heldout_accuracy(engine, tok, problems, reward, sampling_params(cfg["rollout"], greedy=True))
    finally:
        close_engine(engine)


def run_demo(cfg: Mapping[str, Any]) -> dict[str, Any]:
    t0 = time.perf_counter()
    validate_rl(cfg)
    torch.set_num_threads(int(cfg.get("threads", 1)))
    out = Path(cfg["output_dir"])
    console = Console(stderr=True)
    heldout = load_problems(cfg["data"], "test")[: int(cfg["heldout_size"])]
    reward = RewardPipeline.from_config(cfg["reward"])
    reward.check_tasks({p.task for p in heldout})

    console.rule("[bold]1/4 SFT warm start")
    sft_cfg = copy.deepcopy(dict(cfg))
    sft_cfg.update(output_dir=str(out / "sft"), optim=cfg["sft_optim"])
    sft = run_sft(sft_cfg)

    console.rule("[bold]2/4 held-out accuracy after SFT")
    before = evaluate_path(sft["model_path"], cfg, heldout, reward)
    console.print(f"accuracy {before['accuracy']:.3f} on {len(heldout)} held-out problems (greedy)")

    console.rule("[bold]3/4 GRPO with the verifier reward")
    rl_cfg = copy.deepcopy(dict(cfg))
    rl_cfg["model"] = {**cfg["model"], "path": sft["model_path"]}
    rl_cfg["output_dir"] = str(out / "rl")
    rl = run_rl(rl_cfg)

    console.rule("[bold]4/4 held-out accuracy after RL")
    after = evaluate_path(rl["policy_path"], cfg, heldout, reward)

    seconds = time.perf_counter() - t0
    table = Table(title=f"reasoner demo: {len(heldout)} held-out problems, greedy")
    for col in ("", "accuracy", "mean reward", "response length", "truncated"):
        table.add_column(col)
    for name, m in (("after SFT", before), (f"after {cfg['algo']['name']}", after)):
        table.add_row(name, f"{m['accuracy']:.3f}", f"{m['reward']:.3f}", f"{m['response_len']:.1f}",
                      f"{m['truncated']:.3f}")
    Console().print(table)
    summary = {
        "accuracy_before": before["accuracy"],
        "accuracy_after": after["accuracy"],
        "steps": int(cfg["train"]["steps"]),
        "seconds": round(seconds, 1),
        "sft_steps": int(cfg["sft"]["steps"]),
        "heldout_size": len(heldout),
        "algo": cfg["algo"]["name"],
        "seed": int(cfg["seed"]),
        "policy_path": rl["policy_path"],
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    Console().print(f"gain: {100 * (after['accuracy'] - before['accuracy']):+.1f} points "
                    f"in {seconds:.0f} s; summary in {out / 'summary.json'}")
    return summary
