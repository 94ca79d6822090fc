"""The two phases of an RL step, each against its plain transformers path on the same inputs.

Generation: the hf engine's lean decode loop vs ``model.generate`` (same prompts, same
sampling settings). Update: the shared-prompt forward vs one forward over full rows (same
batch, same advantages, one AdamW step); and, as the demo runs it, two mini-batches with the
old log-probs from a separate no-grad pass over every row vs the first mini-batch reusing its
own forward. Both on an SFT warm-started tiny model (built here, so responses end at
different lengths as in training).

    python benchmarks/step_phases.py --threads 1 --repeat 3
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


DATA = ["data.ops=[+,-]"]  # the task these figures were measured on (the demo's before it went to sums only)


def warm_model(work: Path, sft_steps: int, threads: int) -> str:
    from reasoner.config import compose
    from reasoner.train.sft import run_sft

    path = work / "sft" / "model"
    if not (path / "config.json").exists():
        cfg = compose("demo", [f"output_dir={work}", f"threads={threads}", "logger.console=false", *DATA])
        cfg.update(output_dir=str(work / "sft"), optim=cfg["sft_optim"])
        cfg["sft"]["steps"] = sft_steps
        run_sft(cfg)
    return str(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--prompts", type=int, default=16)
    ap.add_argument("--group", type=int, default=8)
    ap.add_argument("--sft-steps", type=int, default=200)
    ap.add_argument("--work", default="outputs/bench_step_phases")
    args = ap.parse_args()

    import torch

    from reasoner.algos import broadcast_to_tokens
    from reasoner.config import compose
    from reasoner.data.sources import load_problems
    from reasoner.models.loading import load_causal_lm, load_tokenizer, quiet_transformers
    from reasoner.rollout.base import SamplingParams
    from reasoner.rollout.groups import rollout_groups
    from reasoner.rollout.hf import HFRolloutEngine
    from reasoner.train.batch import build_batch
    from reasoner.train.update import UpdateConfig, policy_update

    torch.set_num_threads(args.threads)
    quiet_transformers()
    path = warm_model(Path(args.work).resolve(), args.sft_steps, args.threads)
    tok, model = load_tokenizer(path), load_causal_lm(path)
    problems = load_problems(compose("demo", DATA)["data"], "train")[: args.prompts]
    params = SamplingParams(temperature=1.0, max_new_tokens=48)

    gen: dict[str, list[float]] = {"generate": [], "lean": []}
    for _ in range(args.repeat):
        for name in gen:
            engine = HFRolloutEngine(model, tok, decoder=name)
            torch.manual_seed(0)
            t = time.perf_counter()
            groups = rollout_groups(engine, tok, problems, args.group, params)
            gen[name].append(time.perf_counter() - t)
    samples = [s for g in groups for s in g.samples]
    batch = build_batch(samples, tok.pad_token_id)
    batch.advantages = broadcast_to_tokens(torch.randn(batch.size, generator=torch.Generator().manual_seed(0)),
                                           batch.mask)
    half = batch.size // 2
    configs = {  # one AdamW step over the batch; then the demo's two mini-batches, old log-probs two ways
        "full rows": UpdateConfig(share_prompts=False),
        "shared prompt": UpdateConfig(),
        "2 mini, separate old pass": UpdateConfig(mini_batch_size=half, reuse_first_old_logprobs=False),
        "2 mini, first reuses": UpdateConfig(mini_batch_size=half),
    }
    upd: dict[str, list[float]] = {name: [] for name in configs}
    for _ in range(args.repeat):
        for name, ucfg in configs.items():
            m = copy.deepcopy(model)
            opt = torch.optim.AdamW(m.parameters(), lr=1e-5)
            sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)
            torch.manual_seed(0)
            t = time.perf_counter()
            policy_update(m, None, opt, sched, copy.deepcopy(batch), ucfg)
            upd[name].append(time.perf_counter() - t)

    n = len(samples)
    resp = sum(len(s.response_ids) for s in samples) / n
    print(f"{args.prompts} prompts x {args.group} samples, prompt {len(samples[0].prompt_ids)} tokens, "
          f"mean response {resp:.1f} tokens, threads {args.threads}, best of {args.repeat}")
    g0, g1 = min(gen["generate"]), min(gen["lean"])
    u0, u1 = min(upd["full rows"]), min(upd["shared prompt"])
    print(f"generation  model.generate {g0:.3f}s   lean decode {g1:.3f}s   speed-up {g0 / g1:.2f}x")
    print(f"update      full rows      {u0:.3f}s   shared prompt {u1:.3f}s  speed-up {u0 / u1:.2f}x")
    print(f"step (gen + update)        {g0 + u0:.3f}s   {g1 + u1:.3f}s   speed-up {(g0 + u0) / (g1 + u1):.2f}x")
    m0, m1 = min(upd["2 mini, separate old pass"]), min(upd["2 mini, first reuses"])
    print(f"update, 2 mini-batches (shared prompt): separate old pass {m0:.3f}s   first reuses {m1:.3f}s   "
          f"speed-up {m0 / m1:.2f}x")


if __name__ == "__main__":
    main()
