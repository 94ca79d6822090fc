"""pass@k and maj@k: hand-computed cases, the closed form, brute force over subsets."""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from fractions import Fraction

import pytest

from evals.metrics import default_ks, ifeval_levels, maj_at_k, pass_at_k, summarize


def _brute_pass(n: int, c: int, k: int) -> float:
    correct = [True] * c + [False] * (n - c)
    subsets = list(itertools.combinations(range(n), k))
    return sum(any(correct[i] for i in s) for s in subsets) / len(subsets)


def _brute_maj(votes, correct, k) -> float:
    """Majority vote over every k-subset; a tie for first place between t keys, one of them
    gold, earns 1/t; all-abstaining subsets earn 0."""
    total = Fraction(0)
    subsets = list(itertools.combinations(range(len(votes)), k))
    for sub in subsets:
        keys = Counter("GOLD" if correct[i] else votes[i] for i in sub if correct[i] or votes[i] is not None)
        if not keys:
            continue
        top = max(keys.values())
        leaders = [key for key, c in keys.items() if c == top]
        if "GOLD" in leaders:
            total += Fraction(1, len(leaders))
    return float(total / len(subsets))


def test_pass_at_k_hand_computed():
    assert pass_at_k(1, 1, 1) == 1.0 and pass_at_k(1, 0, 1) == 0.0
    assert pass_at_k(4, 1, 1) == pytest.approx(0.25)
    assert pass_at_k(4, 1, 2) == pytest.approx(0.5)  # 3 of the 6 pairs contain the correct one
    assert pass_at_k(5, 2, 2) == pytest.approx(1 - 3 / 10)  # C(3,2)/C(5,2)
    assert pass_at_k(3, 2, 2) == 1.0  # n - c < k: every pair has a correct sample
    assert pass_at_k(10, 0, 5) == 0.0


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 20, 100, 1000])
def test_pass_at_k_matches_closed_form(n):
    for c in sorted({0, 1, n // 3, n // 2, n - 1, n} - {-1}):
        for k in sorted({1, 2, n // 2, n} - {0}):
            if k > n:
                continue
            closed = 1 - math.comb(n - c, k) / math.comb(n, k)
            assert pass_at_k(n, c, k) == pytest.approx(closed, abs=1e-12), (n, c, k)


def test_pass_at_k_brute_force_small_n():
    for n in range(1, 8):
        for c in range(n + 1):
            for k in range(1, n + 1):
                assert pass_at_k(n, c, k) == pytest.approx(_brute_pass(n, c, k), abs=1e-12)


def test_pass_at_k_large_n_stable():
    # C(2000, 1000) overflows a float; the product form does not
    assert pass_at_k(2000, 1, 1000) == pytest.approx(0.5)
    assert pass_at_k(2000, 3, 1) == pytest.approx(3 / 2000)
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 4)


def test_maj_at_k_hand_computed():
    a, b = "num:1", "num:2"
    # all samples voted: gold x3 vs b x2 -> majority is gold
    assert maj_at_k([a, a, a, b, b], [True, True, True, False, False], 5) == 1.0
    assert maj_at_k([a, a, b, b, b], [True, True, False, False, False], 5) == 0.0
    # tie gold 2 vs b 2: 1/2
    assert maj_at_k([a, a, b, b], [True, True, False, False], 4) == 0.5
    # three-way tie at 1: 1/3
    assert maj_at_k([a, b, "num:3"], [True, False, False], 3) == pytest.approx(1 / 3)
    # abstentions do not vote: gold 1 beats nothing
    assert maj_at_k([a, None, None], [True, False, False], 3) == 1.0
    # k=1: the share of correct samples (abstaining or wrong samples lose)
    assert maj_at_k([a, None, b, b], [True, False, False, False], 1) == 0.25
    # k=2 over {g, b, b}: pairs (g,b) tie -> 1/2 twice, (b,b) -> 0: (1/2+1/2+0)/3
    assert maj_at_k([a, b, b], [True, False, False], 2) == pytest.approx(1 / 3)
    assert maj_at_k([None, None], [False, False], 2) == 0.0


def test_maj_at_k_merges_correct_answers():
    # differently written correct answers ("1/2" and "0.5") are one gold vote
    assert maj_at_k(["str:\\frac{1}{2}", "num:1/2", "num:3", "num:7"], [True, True, False, False], 4) == 1.0


def test_maj_at_k_brute_force_random():
    rng = random.Random(0)
    for _ in range(150):
        n = rng.randint(1, 8)
        keys = ["g", "x", "y", "z", None]
        votes, correct = [], []
        for _ in range(n):
            v = rng.choice(keys)
            votes.append(None if v is None else f"str:{v}")
            correct.append(v == "g")
        for k in range(1, n + 1):
            assert maj_at_k(votes, correct, k) == pytest.approx(_brute_maj(votes, correct, k), abs=1e-12), (
                votes, correct, k)


def test_maj_at_k_many_samples_is_fast_and_sane():
    votes = ["num:1"] * 30 + ["num:2"] * 20 + [f"num:{i}" for i in range(3, 17)]
    correct = [v == "num:1" for v in votes]
    m = [maj_at_k(votes, correct, k) for k in (1, 8, 32, 64)]
    assert m[0] == pytest.approx(30 / 64)
    assert m == sorted(m) and m[-1] == 1.0  # more votes -> more often the plurality answer wins


def test_default_ks():
    assert default_ks(1) == [1]
    assert default_ks(8) == [1, 2, 4, 8]
    assert default_ks(10) == [1, 2, 4, 8, 10]


def _rec(correct, vote=None, tokens=None, finish=None, response="r"):
    return {"correct": correct, "score": float(correct), "vote": vote, "num_tokens": tokens,
            "finish_reason": finish, "response": response}


def test_summarize_hand_computed():
    p1 = [_rec(True, "num:1", 10, "stop"), _rec(False, "num:2", 20, "length"),
          _rec(True, "num:1", 30, "stop"), _rec(False, None, 40, "length")]
    p2 = [_rec(False, "num:5", 5, "stop"), _rec(False, "num:5", 5, "stop"), _rec(False, "num:6", 5, "stop"),
          _rec(True, "num:7", 5, "stop")]
    m = summarize([p1, p2], ks=[1, 2, 4], majority=True)
    assert m["num_problems"] == 2 and m["num_samples"] == 8 and m["n"] == 4 and m["ks"] == [1, 2, 4]
    assert m["pass@1"] == pytest.approx((2 / 4 + 1 / 4) / 2)
    assert m["pass@2"] == pytest.approx(((1 - 1 / 6) + (1 - 3 / 6)) / 2)
    assert m["pass@4"] == 1.0
    assert m["maj@1"] == pytest.approx(m["pass@1"])
    assert m["maj@4"] == pytest.approx((1.0 + 0.0) / 2)  # p1: gold 2 vs 1; p2: num:5 wins
    assert m["response_len/mean"] == pytest.approx(15.0)
    assert m["truncated"] == pytest.approx(2 / 8)
    assert m["no_answer"] == pytest.approx(1 / 8)
    code = summarize([p1], majority=False)
    assert not any(k.startswith("maj@") for k in code) and "no_answer" not in code
    unknown = summarize([[_rec(True)]])
    assert unknown["truncated"] is None and unknown["response_len/mean"] is None


def test_ifeval_levels():
    s = [{"strict": [True, False], "loose": [True, True]}, {"strict": [True], "loose": [True]}]
    out = ifeval_levels(s)
    assert out == {"prompt_strict": 0.5, "instruction_strict": pytest.approx(2 / 3), "prompt_loose": 1.0,
                   "instruction_loose": 1.0}
