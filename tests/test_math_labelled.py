"""The math verifier on the hand-labelled set tests/data/math_labelled.jsonl (346 pairs)."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path

import pytest

from verifiers import Verdict, VerifierPool, get_verifier

DATA = Path(__file__).resolve().parent / "data" / "math_labelled.jsonl"


def response_text(row: dict) -> str:
    """The response of a row (large adversarial ones are stored as prefix + piece * n + suffix)."""
    r = row["response"]
    return r if isinstance(r, str) else r["prefix"] + r["piece"] * r["times"] + r["suffix"]


def load_rows() -> list[dict]:
    return [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]


ROWS = load_rows()
BY_CAT: dict[str, list[dict]] = defaultdict(list)
for _row in ROWS:
    BY_CAT[_row["category"]].append(_row)


def test_the_set_is_big_and_balanced():
    assert len(ROWS) >= 300
    assert DATA.stat().st_size < 200_000
    assert sum(r["expected"] for r in ROWS) > 100 and sum(not r["expected"] for r in ROWS) > 100
    assert len(BY_CAT["adversarial"]) >= 30


@pytest.fixture(scope="module", autouse=True)
def warm():
    """Start the guarded sympy worker once, so per-item times below do not include it."""
    assert get_verifier("math")(r"\boxed{x^2 \le 4}", "[-2, 2]").correct


@pytest.mark.parametrize("category", sorted(set(BY_CAT) - {"adversarial"}))
def test_category(category):
    wrong = []
    for row in BY_CAT[category]:
        v = get_verifier(row["verifier"], **row["options"])
        out = v(response_text(row), row["gold"])  # called directly: must never raise
        assert isinstance(out, Verdict)
        assert out.score == (1.0 if out.correct else 0.0)
        if out.correct != row["expected"]:
            wrong.append((row["id"], response_text(row)[-60:], row["gold"], row["expected"], out.reason))
    assert not wrong, wrong


def test_adversarial_inputs_return_promptly_and_right():
    v = get_verifier("math")
    wrong, slow = [], []
    for row in BY_CAT["adversarial"]:
        text = response_text(row)
        t = time.monotonic()
        out = v(text, row["gold"])
        dt = time.monotonic() - t
        assert isinstance(out, Verdict)
        if dt > 5.0:  # the target is < 1 s (see benchmarks/verify_math.py); generous here for loaded CI
            slow.append((row["id"], round(dt, 2)))
        if out.correct != row["expected"]:
            wrong.append((row["id"], text[-60:], row["gold"], out.reason))
        if not out.correct:
            assert out.score == 0.0 and out.reason
    assert not wrong, wrong
    assert not slow, slow


def test_adversarial_inputs_under_a_one_second_pool_deadline():
    """Through a VerifierPool with a 1 s hard deadline per item: every verdict is still right."""
    rows = BY_CAT["adversarial"]
    items = [(response_text(r), r["gold"]) for r in rows]
    with VerifierPool("math", workers=1, timeout_s=1.0) as pool:
        pool.start()
        out = pool.map(items)
        retry = [i for i, v in enumerate(out) if v.info.get("timeout")]
        if retry:  # one retry absorbs a load spike; a real hang times out again
            for i, v in zip(retry, pool.map([items[i] for i in retry]), strict=True):
                out[i] = v
    assert [v.correct for v in out] == [r["expected"] for r in rows]
