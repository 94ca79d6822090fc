"""Benchmark: our `math` verifier against math-verify on tests/data/math_labelled.jsonl.

Accuracy (agreement with the hand labels), throughput (pairs/s, one thread, in-process
calls, after a short warm-up of both), per-pair latency p50 / p99 / max, and the slowest
adversarial item. math-verify is only needed here: ``pip install math-verify``.

    python benchmarks/verify_math.py [--repeat 3] [--batch]

Rows that use options math-verify has no counterpart for (strict mode, box policies,
extractor order, the gsm8k / aime presets) are scored for both with the same labels;
the "plain" figures restrict to rows that use the default `math` verifier.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from verifiers import get_verifier, verify_batch  # noqa: E402

DATA = ROOT / "tests" / "data" / "math_labelled.jsonl"


def response_text(row: dict) -> str:
    r = row["response"]
    return r if isinstance(r, str) else r["prefix"] + r["piece"] * r["times"] + r["suffix"]


def ours(rows: list[dict]):
    cache: dict = {}
    # start and warm the guarded sympy helper processes before timing (a trainer keeps them)
    assert get_verifier("math")(r"\boxed{x^2 \le 4}", "[-2, 2]").correct

    def run(row: dict) -> bool:
        key = (row["verifier"], json.dumps(row["options"], sort_keys=True))
        if key not in cache:
            cache[key] = get_verifier(row["verifier"], **row["options"])
        return cache[key](response_text(row), row["gold"]).correct

    return run


def math_verify():
    import logging

    from math_verify import parse, verify

    logging.getLogger("math_verify").setLevel(logging.CRITICAL)  # it logs whole inputs on timeouts

    def run(row: dict) -> bool:
        try:
            gold = parse("$" + row["gold"] + "$")
            return bool(verify(gold, parse(response_text(row))))
        except Exception:  # noqa: BLE001 - count as "not verified", like a 0 reward
            return False

    return run


def measure(name: str, fn, rows: list[dict], repeat: int) -> dict:
    for row in rows[::25]:  # warm-up: imports, parser construction, first sympy calls
        fn(row)
    lat = [0.0] * len(rows)
    spent = [0.0] * len(rows)
    got = [False] * len(rows)
    t0 = time.perf_counter()
    for _ in range(repeat):
        for i, row in enumerate(rows):
            t = time.perf_counter()
            got[i] = fn(row)
            dt = time.perf_counter() - t
            lat[i] = max(lat[i], dt)  # latency: the worst of the passes
            spent[i] += dt
    total = time.perf_counter() - t0
    right = [g == r["expected"] for g, r in zip(got, rows, strict=True)]
    plain = [ok for ok, r in zip(right, rows, strict=True) if r["verifier"] == "math" and not r["options"]]
    adv = [(lat[i], rows[i]["id"]) for i in range(len(rows)) if rows[i]["category"] == "adversarial"]
    q = statistics.quantiles(lat, n=100)
    normal = [i for i, r in enumerate(rows) if r["category"] != "adversarial"]
    normal_s = sum(spent[i] for i in normal) / repeat
    errors = [r["id"] for ok, r in zip(right, rows, strict=True) if not ok]
    return {
        "name": name, "accuracy": sum(right) / len(rows), "plain_accuracy": sum(plain) / len(plain),
        "pairs_per_s": repeat * len(rows) / total, "non_adversarial_pairs_per_s": len(normal) / normal_s,
        "p50_ms": q[49] * 1e3, "p99_ms": q[98] * 1e3, "max_ms": max(lat) * 1e3,
        "adversarial_max_ms": max(adv)[0] * 1e3, "adversarial_max_id": max(adv)[1], "errors": errors,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="timed passes over the set (latency: worst)")
    ap.add_argument("--batch", action="store_true", help="also time verify_batch with 2 workers")
    args = ap.parse_args()
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{len(rows)} pairs; cpus={os.cpu_count()} loadavg1={load:.2f}; python {sys.version.split()[0]}")
    results = [measure("ours", ours(rows), rows, args.repeat),
               measure("math-verify", math_verify(), rows, 1)]
    for r in results:
        print(f"{r['name']:12s} acc={r['accuracy']:.3f} plain_acc={r['plain_accuracy']:.3f} "
              f"{r['pairs_per_s']:7.1f} pairs/s (non-adversarial {r['non_adversarial_pairs_per_s']:6.1f}) "
              f"p50={r['p50_ms']:.2f}ms p99={r['p99_ms']:.1f}ms max={r['max_ms']:.0f}ms "
              f"adversarial_max={r['adversarial_max_ms']:.0f}ms (id {r['adversarial_max_id']}) "
              f"errors={r['errors']}")
    print(f"speed-up: {results[0]['pairs_per_s'] / results[1]['pairs_per_s']:.1f}x over the whole set, "
          f"{results[0]['non_adversarial_pairs_per_s'] / results[1]['non_adversarial_pairs_per_s']:.1f}x "
          "without the adversarial rows")
    if args.batch:
        items = [(response_text(r), r["gold"]) for r in rows if r["verifier"] == "math" and not r["options"]]
        t = time.perf_counter()
        verify_batch("math", items, workers=2, timeout_s=5)
        print(f"verify_batch(workers=2, fresh pool) over {len(items)} plain pairs: "
              f"{time.perf_counter() - t:.2f}s including worker start-up")


if __name__ == "__main__":
    main()
