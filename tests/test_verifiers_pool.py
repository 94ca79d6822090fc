"""VerifierPool / verify_batch: order, hard timeouts that kill stuck workers, crashes, reuse."""

from __future__ import annotations

import operator
import os
import threading
import time

import pytest

from verifiers import Verdict, VerifierPool, verify_batch
from verifiers.math import MathVerifier


class Misbehaving:
    """A picklable test verifier: 'hang' spins in C code, 'crash' kills its process."""

    def __call__(self, response, ground_truth, **meta):
        if response == "hang":
            sum(range(10**12))  # one C call: signal.alarm could not interrupt it
        if response == "crash":
            os._exit(3)
        if response == "raise":
            raise ValueError("bad input")
        ok = response == ground_truth
        return Verdict(float(ok), ok, extracted=response, info={"pid": os.getpid()})


@pytest.fixture(scope="module")
def pool():
    with VerifierPool(Misbehaving(), workers=2, timeout_s=1.5) as p:
        yield p


def test_results_in_input_order(pool):
    items = [(str(i), str(i if i % 3 else -1)) for i in range(20)]
    out = pool.map(items)
    assert [v.extracted for v in out] == [str(i) for i in range(20)]
    assert [v.correct for v in out] == [bool(i % 3) for i in range(20)]


def test_timeout_kills_and_replaces_worker(pool):
    before = pool.stats["restarts"]
    t = time.monotonic()
    out = pool.map([("a", "a"), ("hang", "x"), ("b", "b"), ("c", "z")])
    assert time.monotonic() - t < 30  # bounded (generous: the deadline itself is 1.5 s)
    assert out[1].score == 0.0 and not out[1].correct and "timed out" in out[1].reason
    assert [v.correct for v in (out[0], out[2], out[3])] == [True, True, False]
    assert pool.stats["restarts"] > before
    assert pool.map([("d", "d")])[0].correct  # the replacement worker serves


def test_crash_and_exception_become_verdicts(pool):
    out = pool.map([("crash", "x"), ("raise", "x"), ("e", "e")])
    assert out[0].score == 0.0 and "crashed" in out[0].reason
    assert out[1].score == 0.0 and "ValueError" in out[1].reason
    assert out[2].correct


def test_workers_are_reused_between_batches(pool):
    pids1 = {v.info["pid"] for v in pool.map([(str(i), str(i)) for i in range(8)])}
    pids2 = {v.info["pid"] for v in pool.map([(str(i), str(i)) for i in range(8)])}
    assert pids1 & pids2 and os.getpid() not in pids1


def test_map_from_a_background_thread(pool):
    got = []
    th = threading.Thread(target=lambda: got.extend(pool.map([("hang", "x"), ("f", "f")], timeout_s=1.0)))
    th.start()
    th.join(60)
    assert not th.is_alive()
    assert "timed out" in got[0].reason and got[1].correct


def test_verify_batch_by_name_with_meta():
    items = [("#### 5", "5", {}), (r"\boxed{7}", "8", {"id": 1}), ("no number", "1")]
    out = verify_batch("math", items, timeout_s=20, workers=1)
    assert [v.correct for v in out] == [True, False, False]


def test_cheap_items_never_start_workers():
    pool = VerifierPool("math", workers=2, timeout_s=5)
    try:
        out = pool.map([(rf"\boxed{{{i}}}", str(i if i % 2 else i + 1)) for i in range(50)])
        assert [v.correct for v in out] == [bool(i % 2) for i in range(50)]
        assert pool.stats["fast"] == 50 and not pool._pool  # all in-process
    finally:
        pool.close()


def test_symbolic_items_go_to_workers_and_are_right():
    with VerifierPool(MathVerifier(), workers=1, timeout_s=30) as pool:
        out = pool.map([(r"\boxed{x^2 \le 9}", "[-3, 3]"), (r"\boxed{x^2 \le 4}", "[-2, 2]"),
                        (r"\boxed{x^2 \le 9}", "[-2, 2]"), (r"\boxed{3}", "3")])
        assert [v.correct for v in out] == [True, True, False, True]
        assert pool.stats["fast"] == 1 and pool._pool


def test_closed_pool_refuses_work():
    pool = VerifierPool(Misbehaving(), workers=1, fast_path=False)
    pool.close()
    with pytest.raises(RuntimeError):
        pool.map([("a", "a")])


def test_unpicklable_verifier_is_refused_up_front():
    class Local:  # a local class cannot be pickled into a worker
        def __call__(self, response, ground_truth, **meta):
            return Verdict(1.0, True)

    with pytest.raises(TypeError, match="picklable"):
        VerifierPool(Local())


class FailsInWorker:
    """Pickles in the parent but cannot be rebuilt in a worker."""

    def __reduce__(self):
        return (operator.truediv, (1, 0))

    def __call__(self, response, ground_truth, **meta):
        return Verdict(1.0, True)


def test_worker_that_cannot_start_fails_items_without_hanging():
    out = verify_batch(FailsInWorker(), [("a", "a"), ("b", "b")], timeout_s=5, workers=1)
    assert all(v.score == 0.0 and "failed to start" in v.reason for v in out)
