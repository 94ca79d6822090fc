"""`reasoner-eval`: evaluate a model on a benchmark, or score responses made elsewhere.

    reasoner-eval benchmark=math500 model.path=Qwen/Qwen2.5-Math-1.5B-Instruct n=8 rollout.temperature=0.6
    reasoner-eval benchmark=gsm8k benchmark.data_dir=../shared/data responses=answers.jsonl

Generation mode samples ``n`` responses per problem with the rollout engine; responses
mode (``responses=path.jsonl``) reads them. Both score with the benchmark's verifier,
append every finished problem to ``samples.jsonl`` (a re-run skips those), and write
``results.json``, ``results.md`` and ``pass_at_k.png`` (see docs/evals.md).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from evals.benchmarks import BenchmarkError, load_benchmark
from evals.metrics import summarize
from evals.report import write_reports
from evals.responses import read_responses
from evals.scoring import Scorer
from evals.store import SampleStore
from reasoner.types import Problem

Generated = list[dict[str, Any]]  # per problem: [{"response", "finish_reason", "num_tokens"}, ...]
Produce = Callable[[list[Problem]], list[Generated]]


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _check_fingerprint(out_dir: Path, store: SampleStore, fingerprint: Mapping[str, Any],
                       overwrite: bool) -> None:
    """Refuse to mix samples from a differently configured run into ``out_dir``."""
    import json

    meta = out_dir / "run.json"
    if overwrite:
        store.clear()
    elif meta.exists() and store.path.exists():
        old = json.loads(meta.read_text())
        diff = sorted(k for k in set(old) | set(fingerprint) if old.get(k) != fingerprint.get(k))
        if diff:
            raise BenchmarkError(f"{out_dir} holds samples of a different run (differs in {diff}); "
                                 "use another output_dir or overwrite=true")
    out_dir.mkdir(parents=True, exist_ok=True)
    meta.write_text(json.dumps(dict(fingerprint), indent=2, default=str) + "\n")


def _breakdown(problems: Sequence[Problem], done: Mapping[str, list[dict]], keys: Sequence[str],
               ks: Sequence[int] | None, majority: bool) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for key in keys:
        groups: dict[str, list[list[dict]]] = {}
        for p in problems:
            if p.id in done and key in p.metadata:
                groups.setdefault(str(p.metadata[key]), []).append(done[p.id])
        out[key] = {v: {m: x for m, x in summarize(g, ks, majority).items()
                        if m == "num_problems" or m.startswith(("pass@", "maj@"))}
                    for v, g in sorted(groups.items())}
    return out


def evaluate_problems(problems: Sequence[Problem], bcfg: Mapping[str, Any], out_dir: str | Path,
                      produce: Produce, *, scorer: Scorer, fingerprint: Mapping[str, Any],
                      ks: Sequence[int] | None = None, batch_problems: int = 32, overwrite: bool = False,
                      extra: Mapping[str, Any] | None = None, with_plot: bool = True,
                      log: Callable[[str], None] | None = _stderr) -> dict[str, Any]:
    """Produce, score and store the unfinished problems in batches, then report on all of them.

    Scoring and writing of one batch overlap with producing (generating) the next.
    """
    out = Path(out_dir)
    store = SampleStore(out / "samples.jsonl")
    _check_fingerprint(out, store, fingerprint, overwrite)
    store.repair()
    ids = {p.id for p in problems}
    done = {pid: recs for pid, recs in store.load().items() if pid in ids}
    todo = [p for p in problems if p.id not in done]
    name = str(bcfg.get("name"))
    if log and done:
        log(f"[eval {name}] resuming: {len(done)} problems already scored, {len(todo)} to go")

    progress = {"next": 0}

    def score_and_write(chunk: list[Problem], gens: list[Generated]) -> None:
        scored = scorer.score([(p, [g["response"] for g in gen]) for p, gen in zip(chunk, gens, strict=True)])
        for p, gen, recs in zip(chunk, gens, scored, strict=True):
            rows = [{"problem_id": p.id, "index": p.metadata.get("index"), "sample": j, "n": len(gen),
                     "response": g["response"], "finish_reason": g.get("finish_reason"),
                     "num_tokens": g.get("num_tokens"), **rec}
                    for j, (g, rec) in enumerate(zip(gen, recs, strict=True))]
            if rows:
                store.append(rows)
                done[p.id] = rows
        if log and (len(done) >= progress["next"] or len(done) == len(problems)):
            progress["next"] = len(done) + max(1, len(problems) // 10)
            log(f"[eval {name}] {len(done)}/{len(problems)} problems scored")

    step = max(1, int(batch_problems))
    with ThreadPoolExecutor(1, thread_name_prefix="eval-score") as pool:
        pending: Future | None = None
        for c in range(0, len(todo), step):
            chunk = todo[c : c + step]
            gens = produce(chunk)
            if pending is not None:
                pending.result()
            pending = pool.submit(score_and_write, chunk, gens)
        if pending is not None:
            pending.result()
    majority = bool(bcfg.get("majority", False))
    per_problem = [done[p.id] for p in problems if p.id in done]
    metrics = summarize(per_problem, ks, majority)
    results: dict[str, Any] = {
        "benchmark": name, **dict(extra or {}), "metrics": metrics,
        "breakdown": _breakdown(problems, done, list(bcfg.get("breakdown") or []), ks, majority),
        "samples": str(store.path)}
    if not majority:
        results["maj@k"] = "not defined: responses have no comparable extracted answer"
    results["files"] = write_reports(results, out, with_plot=with_plot)
    return results


def _generator(cfg: Mapping[str, Any], n: int) -> Produce:
    """A function sampling ``n`` responses per problem; it loads the model on its first call
    (a resumed run with nothing left to do never loads it)."""
    from reasoner.rollout.groups import rollout_groups, sampling_params

    params = sampling_params(cfg["rollout"])
    if n > 1 and params.greedy:
        _stderr(f"[eval] warning: n={n} with temperature 0 (greedy) gives {n} identical samples; "
                "set rollout.temperature")
    state: dict[str, Any] = {}

    def load() -> None:
        import torch

        from reasoner.models import loading
        from reasoner.rollout.groups import build_engine

        loading.quiet_transformers()
        torch.set_num_threads(int(cfg.get("threads", 1)))
        mcfg = cfg["model"]
        path = loading.resolve_model_path(str(mcfg["path"]), mcfg.get("tiny"), mcfg.get("cache_dir"))
        state["tokenizer"] = loading.load_tokenizer(path)
        device = loading.pick_device(cfg.get("device", "auto"))
        model = loading.load_causal_lm(path, mcfg.get("dtype", "float32"), device, trainable=False)
        state["engine"] = build_engine(cfg["rollout"], model, state["tokenizer"])
        torch.manual_seed(int(cfg.get("seed", 0)))

    def produce(chunk: list[Problem]) -> list[Generated]:
        if not state:
            load()
        groups = rollout_groups(state["engine"], state["tokenizer"], chunk, n, params)
        return [[{"response": s.text, "finish_reason": s.finish_reason, "num_tokens": s.num_sampled}
                 for s in g.samples] for g in groups]

    return produce


def run_eval(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The `reasoner-eval` job (conf/eval.yaml); returns the results (also in results.json)."""
    bcfg = dict(cfg["benchmark"])
    n = int(cfg.get("n", 1))
    if n < 1:
        raise BenchmarkError(f"n must be >= 1, got {n}")
    responses_path = cfg.get("responses")
    ks = cfg.get("ks")
    rcfg = cfg.get("rollout") or {}
    fingerprint: dict[str, Any] = {k: bcfg.get(k) for k in ("name", "loader", "verifier", "verifier_options",
                                                           "prompt_template", "system_prompt", "id_split")}
    missing = 0
    if responses_path:
        # ids resolve against the whole file; responses to problems outside limit / id_split are ignored
        everything = load_benchmark({**bcfg, "limit": None, "id_split": "all" if bcfg.get("id_split") else None})
        by_id = read_responses(responses_path, everything)
        selected = load_benchmark(bcfg)
        keep = {p.id for p in selected}
        ignored = sum(len(v) for pid, v in by_id.items() if pid not in keep)
        missing = sum(p.id not in by_id for p in selected)
        problems = [p for p in selected if p.id in by_id]
        if not problems:
            raise BenchmarkError(f"{responses_path}: no responses for any problem of {bcfg.get('name')}")
        fingerprint.update(mode="responses", responses=str(Path(responses_path).resolve()))
        extra = {"mode": "responses", "responses": str(responses_path), "missing": missing,
                 "ignored_responses": ignored}

        def produce(chunk: list[Problem]) -> list[Generated]:
            return [by_id[p.id] for p in chunk]
    else:
        problems = load_benchmark(bcfg)
        produce, model = _generator(cfg, n), str(cfg["model"]["path"])
        sampling = {k: rcfg.get(k) for k in ("temperature", "top_p", "top_k", "max_new_tokens", "stop")}
        fingerprint.update(mode="generate", model=model, n=n, sampling=sampling)
        extra = {"mode": "generate", "model": model, "sampling": fingerprint["sampling"]}
    scfg = cfg.get("scoring") or {}
    with Scorer(bcfg, workers=int(scfg.get("workers", 2)), timeout_s=scfg.get("timeout_s")) as scorer:
        results = evaluate_problems(problems, bcfg, cfg.get("output_dir", "outputs/eval"), produce,
                                    scorer=scorer, fingerprint=fingerprint, ks=ks,
                                    batch_problems=int(cfg.get("batch_problems", 32)),
                                    overwrite=bool(cfg.get("overwrite", False)), extra=extra,
                                    with_plot=bool(cfg.get("plot", True)))
    return {k: results[k] for k in ("benchmark", "mode", "metrics", "files") if k in results}
