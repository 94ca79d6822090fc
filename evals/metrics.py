"""Evaluation metrics: unbiased pass@k, exact maj@k, and the per-benchmark summary.

pass@k (Chen et al. 2021): with ``n`` samples of which ``c`` are correct, the chance that a
uniformly random size-``k`` subset holds at least one correct sample,
``1 - C(n-c, k) / C(n, k)``, computed as ``1 - prod_{i=n-c+1..n} (1 - k/i)`` (no huge
binomials).

maj@k: the chance that the majority answer of a uniformly random size-``k`` subset of the
``n`` samples is correct, computed exactly over all ``C(n, k)`` subsets (with ``k = n`` it
is the plain majority vote of all samples). Votes are the samples' answer keys (see
`vote_key`); samples without an extracted answer abstain. Every sample the verifier judged
correct votes for one shared "gold" key (they all equal the reference answer). Ties: when
the gold key is tied with ``t - 1`` other keys for the most votes, the subset scores
``1/t`` -- the expected accuracy of breaking the tie uniformly at random. A subset in
which every sample abstains scores 0.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

GOLD = "\x00gold"


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k estimate from ``n`` samples with ``c`` correct (needs ``k <= n``)."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    prod = 1.0
    for i in range(n - c + 1, n + 1):
        prod *= 1.0 - k / i
    return 1.0 - prod


def vote_classes(votes: Sequence[str | None], correct: Sequence[bool]) -> tuple[int, list[int], int]:
    """``(gold count, sizes of the wrong-answer classes, abstentions)`` for maj@k."""
    gold, abstain = 0, 0
    wrong: Counter[str] = Counter()
    for v, ok in zip(votes, correct, strict=True):
        if ok:
            gold += 1
        elif v is None:
            abstain += 1
        else:
            wrong[v] += 1
    wrong.pop(GOLD, None)
    return gold, sorted(wrong.values(), reverse=True), abstain


def maj_at_k(votes: Sequence[str | None], correct: Sequence[bool], k: int) -> float:
    """Exact expected majority-vote accuracy of a random size-``k`` subset (module docstring)."""
    n = len(votes)
    if not 1 <= k <= n:
        raise ValueError(f"need 1 <= k <= n, got n={n}, k={k}")
    g, others, u = vote_classes(votes, correct)
    if g == 0:
        return 0.0
    total = Fraction(0)
    for j in range(1, min(g, k) + 1):  # j gold samples drawn; the rest r = k - j from others/abstain
        r = k - j
        # dp[t][drawn] = ways to draw `drawn` wrong samples with every class <= j and t classes == j
        dp: list[list[int]] = [[0] * (r + 1)]
        dp[0][0] = 1
        for s in others:
            new = [[0] * (r + 1) for _ in range(len(dp) + 1)]
            for t, row in enumerate(dp):
                for drawn, ways in enumerate(row):
                    if not ways:
                        continue
                    for x in range(0, min(s, j, r - drawn) + 1):
                        new[t + (x == j)][drawn + x] += ways * math.comb(s, x)
            dp = new
        ways_j = Fraction(0)
        for t, row in enumerate(dp):
            w = sum(row[drawn] * math.comb(u, r - drawn) for drawn in range(r + 1))
            ways_j += Fraction(w, t + 1)
        total += math.comb(g, j) * ways_j
    return float(total / math.comb(n, k))


def default_ks(n: int) -> list[int]:
    """Powers of two up to ``n``, and ``n`` itself."""
    ks = [1]
    while ks[-1] * 2 <= n:
        ks.append(ks[-1] * 2)
    if ks[-1] != n:
        ks.append(n)
    return ks


def _mean(xs: Sequence[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def summarize(per_problem: Sequence[Sequence[dict[str, Any]]], ks: Sequence[int] | None = None,
              majority: bool = True) -> dict[str, Any]:
    """Metrics over problems, each a list of per-sample records (``correct``, ``score``, ``vote``,
    ``response``, optional ``num_tokens``, ``finish_reason``, IFEval ``strict``/``loose``).

    pass@k and maj@k are averaged over problems for each ``k <= min n``; pass@1 is the
    mean over each problem's samples, averaged over problems. maj@k only when ``majority``.
    """
    groups = [list(g) for g in per_problem if g]
    out: dict[str, Any] = {"num_problems": len(groups), "num_samples": sum(len(g) for g in groups)}
    if not groups:
        return out
    n_min = min(len(g) for g in groups)
    out["n"] = n_min if n_min == max(len(g) for g in groups) else [n_min, max(len(g) for g in groups)]
    ks = sorted({int(k) for k in (ks or default_ks(n_min)) if 1 <= int(k) <= n_min}) or [1]
    out["ks"] = ks
    for k in ks:
        out[f"pass@{k}"] = _mean([pass_at_k(len(g), sum(bool(s["correct"]) for s in g), k) for g in groups])
    if majority:
        for k in ks:
            out[f"maj@{k}"] = _mean([maj_at_k([s.get("vote") for s in g], [bool(s["correct"]) for s in g], k)
                                     for g in groups])
    samples = [s for g in groups for s in g]
    out["score/mean"] = _mean([float(s.get("score") or 0.0) for s in samples])
    if majority:
        out["no_answer"] = _mean([float(s.get("vote") is None and not s["correct"]) for s in samples])
    tokens = [s["num_tokens"] for s in samples if s.get("num_tokens") is not None]
    out["response_len/mean"] = _mean(tokens) if len(tokens) == len(samples) else None
    out["response_chars/mean"] = _mean([len(s.get("response") or "") for s in samples])
    finishes = [s["finish_reason"] for s in samples if s.get("finish_reason")]
    known = len(finishes) == len(samples)
    out["truncated"] = _mean([float(f == "length") for f in finishes]) if known else None
    if all("strict" in s and "loose" in s for s in samples):
        out.update(ifeval_levels(samples))
    return out


def ifeval_levels(samples: Sequence[dict[str, Any]]) -> dict[str, float]:
    """IFEval prompt- and instruction-level accuracy (strict, loose) over samples.

    Each sample counts as one prompt; with one sample per prompt this is exactly
    `evals.ifeval.score_ifeval`'s report.
    """
    out: dict[str, float] = {}
    for mode in ("strict", "loose"):
        flags = [list(s[mode]) for s in samples]
        n_instr = sum(len(f) for f in flags)
        out[f"prompt_{mode}"] = sum(all(f) for f in flags) / len(flags)
        out[f"instruction_{mode}"] = sum(sum(f) for f in flags) / n_instr if n_instr else 0.0
    return out
