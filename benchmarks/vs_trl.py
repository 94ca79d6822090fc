"""Our GRPO against TRL's GRPOTrainer on the identical tiny model, prompts and settings.

Both start from the same SFT warm-started tiny model (built here), use the same prompts
(builtin arithmetic train split), group size, batch, response length, learning rate,
loss (per-sequence token mean, group std-normalised advantages, no KL) and steps. Each
trainer runs in its own subprocess (clean peak RSS, same thread count); held-out greedy
accuracy of both final models is measured with the same evaluation code.

    python benchmarks/vs_trl.py --steps 30 --threads 1 --repeat 3    (needs `pip install trl`)
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COMMON = dict(group_size=8, batch_size=64, max_new_tokens=48, lr=3e-5, temperature=1.0)  # lr: --lr
DATA = ["data.digits=1", "data.difficulty=3"]


def _cfg(name: str, out: Path, extra: list[str]) -> dict:
    from reasoner.config import compose

    return compose(name, [f"output_dir={out}", "device=cpu", "logger.console=false", *DATA, *extra])


def prepare(work: Path, sft_steps: int, threads: int) -> str:
    """SFT warm start shared by both trainers."""
    from reasoner.train.sft import run_sft

    model = work / "sft" / "model"
    if not (model / "config.json").exists():
        cfg = _cfg("sft", work / "sft", [f"sft.steps={sft_steps}", "optim.lr=3e-3", f"threads={threads}"])
        run_sft(cfg)
    return str(model)


def run_ours(model: str, work: Path, steps: int, threads: int) -> dict:
    from reasoner.train.rl import run_rl

    c = COMMON
    cfg = _cfg("train", work / "ours", [
        f"model.path={model}", f"train.steps={steps}", f"train.batch_size={c['batch_size']}",
        f"algo.group_size={c['group_size']}", f"rollout.max_new_tokens={c['max_new_tokens']}",
        f"optim.lr={c['lr']}", "algo.kl_coef=0", "algo.loss_agg=seq-mean-token-mean", "train.save_every=0",
        "train.eval_every=0", f"threads={threads}", "optim.betas=[0.9,0.999]", "train.max_grad_norm=1.0",
    ])
    out = run_rl(cfg)
    # The training loop's own time (sum of step times): excludes building the datasets, loading the
    # model and writing the final checkpoint, like trainer.train() for TRL.
    rows = [json.loads(ln) for ln in (work / "ours" / "metrics.jsonl").read_text().splitlines()]
    return {"seconds": sum(r["time/step"] for r in rows), "policy_path": out["policy_path"]}


def run_trl(model: str, work: Path, steps: int, threads: int) -> dict:
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    from reasoner.data.sources import load_problems
    from verifiers import get_verifier

    torch.set_num_threads(threads)
    c = COMMON
    data_cfg = _cfg("train", work / "trl", [])["data"]
    problems = load_problems(data_cfg, "train")
    ds = Dataset.from_list([{"prompt": p.prompt, "answer": p.ground_truth} for p in problems])
    verifier = get_verifier("numeric")

    def reward(prompts, completions, answer, **_):
        texts = [cm[0]["content"] if isinstance(cm, list) else cm for cm in completions]
        return [verifier(t, a).score for t, a in zip(texts, answer)]

    tok = AutoTokenizer.from_pretrained(model)
    tok.padding_side = "left"
    args = GRPOConfig(
        output_dir=str(work / "trl"), max_steps=steps, per_device_train_batch_size=c["batch_size"],
        num_generations=c["group_size"], max_completion_length=c["max_new_tokens"], learning_rate=c["lr"],
        temperature=c["temperature"], beta=0.0, loss_type="grpo", scale_rewards="group", epsilon=0.2,
        lr_scheduler_type="constant", warmup_steps=0, weight_decay=0.0, max_grad_norm=1.0, use_cpu=True,
        bf16=False, fp16=False, logging_steps=max(1, steps // 5), save_strategy="no", report_to="none",
        seed=0, dataloader_num_workers=0, disable_dropout=True,
    )
    trainer = GRPOTrainer(model=AutoModelForCausalLM.from_pretrained(model), reward_funcs=reward, args=args,
                          train_dataset=ds, processing_class=tok)
    t = time.perf_counter()
    trainer.train()
    secs = time.perf_counter() - t
    path = work / "trl" / "final"
    trainer.save_model(str(path))
    tok.save_pretrained(str(path))
    return {"seconds": secs, "policy_path": str(path)}


def accuracy(path: str, work: Path, n: int) -> float:
    from reasoner.data.sources import load_problems
    from reasoner.demo import evaluate_path
    from reasoner.rewards.pipeline import RewardPipeline

    cfg = _cfg("demo", work / "eval", [])
    held = load_problems(cfg["data"], "test")[:n]
    return evaluate_path(path, cfg, held, RewardPipeline.from_config(cfg["reward"]))["accuracy"]


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM; unlike ru_maxrss it is not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(args: argparse.Namespace) -> None:
    import torch

    from reasoner.models.loading import quiet_transformers

    torch.set_num_threads(args.threads)
    quiet_transformers()
    fn = run_ours if args.child == "ours" else run_trl
    res = fn(args.model, Path(args.work), args.steps, args.threads)
    res["peak_rss_mb"] = peak_rss_mb()
    print("RESULT " + json.dumps(res))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--sft-steps", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--heldout", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=1, help="runs of each trainer, interleaved; the fastest counts")
    ap.add_argument("--lr", type=float, default=COMMON["lr"], help="learning rate of both trainers")
    ap.add_argument("--work", default="outputs/bench_vs_trl")
    ap.add_argument("--child", choices=["ours", "trl"])
    ap.add_argument("--model")
    args = ap.parse_args()
    COMMON["lr"] = args.lr
    if args.child:
        return child(args)
    import torch

    torch.set_num_threads(args.threads)
    work = Path(args.work).resolve()
    model = prepare(work, args.sft_steps, args.threads)
    results: dict[str, dict] = {}
    runs: dict[str, list[float]] = {"ours": [], "trl": []}
    for rep in range(args.repeat):  # interleaved, so slow phases of a shared machine hit both
        for name in ("ours", "trl"):
            cmd = [sys.executable, __file__, "--child", name, "--model", model, "--work", str(work / f"rep{rep}"),
                   "--steps", str(args.steps), "--threads", str(args.threads), "--lr", str(args.lr)]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
            if proc.returncode or not line:
                sys.exit(f"{name} failed:\n{proc.stderr[-4000:]}")
            res = json.loads(line[-1][7:])
            runs[name].append(res["seconds"])
            if name not in results or res["seconds"] < results[name]["seconds"]:
                results[name] = res
    print("training-loop seconds per run: " + ", ".join(f"{k} {[round(x, 1) for x in v]}" for k, v in runs.items()))
    samples = args.steps * COMMON["batch_size"]
    base = accuracy(model, work, args.heldout)
    for r in results.values():
        r["samples_per_s"] = samples / r["seconds"]
        r["heldout_accuracy"] = accuracy(r["policy_path"], work, args.heldout)
    print(f"setting: {args.steps} steps x {COMMON['batch_size']} samples (group {COMMON['group_size']}), "
          f"max_new_tokens {COMMON['max_new_tokens']}, lr {COMMON['lr']}, threads {args.threads}")
    print(f"held-out accuracy of the shared SFT start: {base:.3f}")
    print(f"{'trainer':8} {'samples/s':>10} {'peak RSS MB':>12} {'held-out acc':>13} {'seconds':>8}")
    for name, r in results.items():
        print(f"{name:8} {r['samples_per_s']:10.2f} {r['peak_rss_mb']:12.0f} {r['heldout_accuracy']:13.3f} "
              f"{r['seconds']:8.1f}")
    ratio = results["ours"]["samples_per_s"] / results["trl"]["samples_per_s"]
    print(f"samples/s ratio ours/TRL: {ratio:.2f}x (fastest of {args.repeat} run(s) each)")
    (work / "results.json").write_text(json.dumps({"results": results, "ratio": ratio, "sft_acc": base}, indent=2))


if __name__ == "__main__":
    main()
