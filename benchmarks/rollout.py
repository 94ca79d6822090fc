"""Rollout engines: generated tokens/s of hf and vllm on the same model and prompts, and weight sync time.

Run in the vllm venv (docs/vllm.md):

    python benchmarks/rollout.py                      # CPU: builtin tiny model
    python benchmarks/rollout.py --model-size 0.5b    # GPU: a random Qwen2-0.5B-shaped model

The 0.5b path also times the rollout phase of an RL step (wake up, sync the updated weights,
generate, sleep) against standalone vLLM generation of the same batch, which is the overhead
colocation costs. Both engines sample the same prompts (arithmetic problems, chat template)
with temperature 1; tokens/s counts sampled tokens only. Prints a JSON line per measurement
and a markdown table at the end (figures go in docs/benchmarks.md, ``## Rollout engines``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from typing import Any

import torch

from reasoner.data.arithmetic import ArithmeticConfig, ArithmeticTask
from reasoner.data.chat import encode_prompt
from reasoner.models.loading import load_causal_lm, load_tokenizer, quiet_transformers, resolve_model_path
from reasoner.rollout.base import GenerationRequest, SamplingParams
from reasoner.rollout.hf import HFRolloutEngine

QWEN2_05B = dict(hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
                 num_key_value_heads=2, vocab_size=151936, max_position_embeddings=4096, tie_word_embeddings=True,
                 rms_norm_eps=1e-6, rope_theta=1_000_000.0)


def make_model(size: str, device: str, dtype: str) -> tuple[Any, Any, str]:
    """(model, tokenizer, path): the builtin tiny model, or a random Qwen2-0.5B saved to a temp dir.

    The 0.5b model reuses the tiny tokenizer (its ids are a subset of the 151936-entry vocabulary),
    so no hub download is needed; output text is meaningless, throughput is what is measured.
    """
    tiny = resolve_model_path("builtin:tiny")
    tok = load_tokenizer(tiny)
    if size == "tiny":
        return load_causal_lm(tiny, dtype, device), tok, tiny
    from transformers import Qwen2Config, Qwen2ForCausalLM

    cfg = Qwen2Config(**QWEN2_05B, pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
                      bos_token_id=tok.convert_tokens_to_ids("<|im_start|>"))
    torch.manual_seed(0)
    model = Qwen2ForCausalLM(cfg)
    path = tempfile.mkdtemp(prefix="reasoner-bench-qwen2-05b-")
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return load_causal_lm(path, dtype, device), tok, path


def make_requests(tok: Any, prompts: int, n: int) -> list[GenerationRequest]:
    task = ArithmeticTask(ArithmeticConfig(difficulty=2, digits=2), "test", seed=0)
    return [GenerationRequest(encode_prompt(tok, task.problem(i).prompt), n=n, problem_id=str(i))
            for i in range(prompts)]


def timed_generate(engine: Any, reqs: list[GenerationRequest], params: SamplingParams) -> dict[str, float]:
    t = time.perf_counter()
    out = engine.generate(reqs, params)
    sec = time.perf_counter() - t
    tokens = sum(s.num_sampled for g in out for s in g)
    return {"seconds": sec, "tokens": tokens, "tokens_per_s": tokens / sec}


def fake_update(model: Any, scale: float = 1e-4) -> None:
    """Stand-in for an optimizer step: every weight changes a little, in place."""
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * scale)


def emit(rows: list[dict[str, Any]], **row: Any) -> None:
    rows.append(row)
    print(json.dumps(row), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-size", choices=["tiny", "0.5b"], default="tiny")
    ap.add_argument("--prompts", type=int, default=None, help="default: 32 (tiny), 128 (0.5b)")
    ap.add_argument("--n", type=int, default=8, help="samples per prompt")
    ap.add_argument("--max-new-tokens", type=int, default=None, help="default: 48 (tiny), 512 (0.5b)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--skip-hf", action="store_true", help="vLLM only (HF generate is slow at 0.5b scale)")
    ap.add_argument("--gpu-memory-utilization", type=float, default=0.3)
    args = ap.parse_args()
    quiet_transformers()
    torch.set_num_threads(1)
    big = args.model_size == "0.5b"
    cuda = torch.cuda.is_available()
    if big and not cuda:
        print("note: --model-size 0.5b is meant for a GPU; running it on the CPU is very slow")
    device, dtype = ("cuda", "bfloat16") if cuda else ("cpu", "float32")
    prompts = args.prompts or (128 if big else 32)
    max_new = args.max_new_tokens or (512 if big else 48)
    model, tok, path = make_model(args.model_size, device, dtype)
    reqs = make_requests(tok, prompts, args.n)
    params = SamplingParams(temperature=1.0, max_new_tokens=max_new)  # unseeded, as in the RL loop
    rows: list[dict[str, Any]] = []
    common = dict(model=args.model_size, device=device, dtype=dtype, prompts=prompts, n=args.n, max_new=max_new)

    if not args.skip_hf:
        hf = HFRolloutEngine(model, tok)
        timed_generate(hf, reqs[:2], SamplingParams(temperature=1.0, max_new_tokens=4))  # warm-up
        runs = [timed_generate(hf, reqs, params) for _ in range(args.repeats)]
        emit(rows, engine="hf", **common, tokens_per_s=statistics.median(r["tokens_per_s"] for r in runs),
             seconds=statistics.median(r["seconds"] for r in runs), tokens=runs[0]["tokens"])

    from reasoner.rollout.vllm import VLLMRolloutEngine

    cfg = {"engine": "vllm", "gpu_memory_utilization": args.gpu_memory_utilization, "sleep": False,
           "max_num_seqs": 256, "max_model_len": 1024 if big else 512}
    if not cuda:
        cfg["kv_cache_memory_bytes"] = 256 << 20
    t = time.perf_counter()
    engine = VLLMRolloutEngine.from_config(cfg, model, tok)
    startup = time.perf_counter() - t
    engine.sync_weights(model)
    timed_generate(engine, reqs[:2], SamplingParams(temperature=1.0, max_new_tokens=4))  # warm-up
    runs = [timed_generate(engine, reqs, params) for _ in range(args.repeats)]
    syncs = []
    for _ in range(args.repeats):
        fake_update(model)
        syncs.append(engine.sync_weights(model))
    emit(rows, engine="vllm", **common, tokens_per_s=statistics.median(r["tokens_per_s"] for r in runs),
         seconds=statistics.median(r["seconds"] for r in runs), tokens=runs[0]["tokens"], startup_s=startup,
         sync_s=statistics.median(s.seconds for s in syncs), sync_bytes=syncs[0].bytes)

    if big and cuda:  # the rollout phase of an RL step: sleep/wake + sync + generate, vs generate alone
        engine.close()
        engine = VLLMRolloutEngine.from_config({**cfg, "sleep": True}, model, tok)
        phase = []
        for _ in range(args.repeats):
            fake_update(model)
            torch.cuda.synchronize()
            t = time.perf_counter()
            sync = engine.sync_weights(model)  # wakes the weights up
            gen = timed_generate(engine, reqs, params)  # wakes the KV cache, sleeps afterwards
            torch.cuda.synchronize()
            phase.append({"total": time.perf_counter() - t, "sync": sync.seconds, **gen})
        emit(rows, engine="vllm-rl-step", **common, seconds=statistics.median(p["total"] for p in phase),
             sync_s=statistics.median(p["sync"] for p in phase),
             tokens_per_s=statistics.median(p["tokens"] / p["total"] for p in phase), tokens=phase[0]["tokens"])
    engine.close()

    print("\n| engine | model | device | prompts x n | max new | tokens/s | batch s | sync s | sync MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        sync = f"{r['sync_s']:.3f}" if "sync_s" in r else "0 (shared)"
        mb = f"{r['sync_bytes'] / 2**20:.1f}" if "sync_bytes" in r else "-"
        print(f"| {r['engine']} | {r['model']} | {r['device']} {r['dtype']} | {r['prompts']} x {r['n']} | "
              f"{r['max_new']} | {r['tokens_per_s']:.0f} | {r['seconds']:.2f} | {sync} | {mb} |")


if __name__ == "__main__":
    main()
