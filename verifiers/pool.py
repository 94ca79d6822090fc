"""Batch verification in reusable worker processes with a hard per-item timeout.

``VerifierPool(verifier, workers=2, timeout_s=10)`` keeps worker processes alive
between batches (fresh interpreters, as with multiprocessing's ``spawn`` context but
without re-importing the caller's ``__main__``; never ``fork``, which is unsafe in a
threaded trainer). Each item runs in
one worker under a wall-clock deadline; a worker that passes it is killed (SIGKILL:
this also stops sympy stuck inside C code, which ``signal.alarm`` cannot) and
replaced, and the item gets a zero-score Verdict saying so. A worker that crashes
yields the same. Results come back in input order and nothing raises.

Fast path: a verifier may define ``quick(response, ground_truth, **meta)`` returning a
Verdict when it can decide cheaply and in bounded time (for the math verifier: exact,
plain-number and numeric-probe checks), or None. Those items are answered in the
calling process and never pay inter-process cost; only the rest go to workers.
"""

from __future__ import annotations

import atexit
import pickle
import socket
import subprocess
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterable, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any

from verifiers.base import Verdict, Verifier, safe_call

Item = Sequence[Any]  # (response, ground_truth) or (response, ground_truth, meta)
_IN_WORKER = False
_POOLS: weakref.WeakSet[VerifierPool] = weakref.WeakSet()


def in_worker() -> bool:
    """True inside a VerifierPool worker process (its deadline bounds every call)."""
    return _IN_WORKER


def _build(spec: tuple[str, Any, Any]) -> Verifier:
    kind, a, b = spec
    if kind == "name":
        import importlib

        from verifiers.registry import get_verifier

        name, module = a
        if module:
            importlib.import_module(module)  # registers decorator-defined verifiers
        return get_verifier(name, **b)
    return a


def _worker_main(conn: Any, spec: tuple[str, Any, Any]) -> None:
    global _IN_WORKER
    _IN_WORKER = True
    try:
        verifier = _build(spec)
        warm = getattr(verifier, "warmup", None)
        if callable(warm):
            warm()
    except BaseException as exc:  # noqa: BLE001 - report and exit
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", None))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        idx, response, gt, meta = msg
        conn.send((idx, safe_call(verifier, response, gt, **meta)))


_BOOT = ("import sys; sys.path[:0] = {path!r}; from verifiers.pool import _subprocess_main; "
         "_subprocess_main({fd})")


def _subprocess_main(fd: int) -> None:
    """Entry point of a worker interpreter: read the spec, then serve items on ``fd``."""
    conn = Connection(fd)
    try:
        spec = pickle.loads(conn.recv_bytes())
    except (EOFError, OSError):
        return
    except BaseException as exc:  # noqa: BLE001 - e.g. the verifier's class is not importable here
        conn.send(("error", f"could not load the verifier: {type(exc).__name__}: {exc}"))
        return
    _worker_main(conn, spec)


class _Worker:
    """One worker: a fresh interpreter (like multiprocessing's spawn, without re-importing the
    caller's ``__main__``, which would drag torch into every worker and re-run unguarded scripts)."""

    def __init__(self, spec: bytes) -> None:
        parent, child = socket.socketpair()
        boot = _BOOT.format(path=[p for p in sys.path if p], fd=child.fileno())
        self.proc = subprocess.Popen([sys.executable, "-c", boot], pass_fds=[child.fileno()],
                                     stdin=subprocess.DEVNULL, close_fds=True)
        child.close()
        self.conn = Connection(parent.detach())
        self.ready = False
        self.started = time.monotonic()
        self.job: tuple[int, float] | None = None  # (item index, deadline)
        try:
            self.conn.send_bytes(spec)
        except (OSError, ValueError):
            pass  # the worker died at once; seen as EOF by the dispatcher

    @property
    def exitcode(self) -> int | None:
        return self.proc.poll()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=10)  # SIGKILL cannot be caught: this only waits for the reaper
        except subprocess.TimeoutExpired:
            pass
        self.conn.close()


def _split(item: Item) -> tuple[str, Any, dict]:
    if len(item) == 2:
        return item[0], item[1], {}
    response, gt, meta = item[0], item[1], item[2]
    return response, gt, dict(meta or {})


class VerifierPool:
    """A reusable pool of verifier worker processes (see the module docstring).

    ``verifier`` is a registered name (built in each worker with ``get_verifier(name,
    **options)``) or a picklable verifier object. Thread-safe: concurrent ``map`` calls
    are serialised.
    """

    def __init__(self, verifier: str | Verifier, *, workers: int = 2, timeout_s: float = 10.0,
                 fast_path: bool = True, startup_timeout_s: float = 120.0,
                 **options: Any) -> None:
        from verifiers.registry import get_verifier, origin_module

        if isinstance(verifier, str):
            local = get_verifier(verifier, **options)
            self._spec: tuple[str, Any, Any] = ("name", (verifier, origin_module(verifier)), options)
            self.name = verifier
        else:
            if options:
                raise TypeError("options are only for a verifier given by name")
            local = verifier
            self._spec = ("object", verifier, None)
            self.name = getattr(verifier, "name", type(verifier).__name__)
        try:
            self._spec_bytes = pickle.dumps(self._spec)
        except Exception as exc:  # noqa: BLE001 - pickling errors come in several types
            raise TypeError(f"verifier must be picklable or given by registered name: {exc}") from exc
        self._local = local
        self._quick = getattr(local, "quick", None) if fast_path else None
        self.workers = max(1, int(workers))
        self.timeout_s = float(timeout_s)
        self.startup_timeout_s = startup_timeout_s
        self._pool: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False
        self.stats = {"items": 0, "fast": 0, "timeouts": 0, "crashes": 0, "restarts": 0}
        _POOLS.add(self)

    def _spawn(self) -> _Worker:
        return _Worker(self._spec_bytes)

    def start(self) -> VerifierPool:
        """Start the workers now (otherwise they start on the first batch that needs them)."""
        with self._lock:
            while len(self._pool) < self.workers:
                self._pool.append(self._spawn())
        return self

    def map(self, items: Iterable[Item], timeout_s: float | None = None) -> list[Verdict]:
        """Verify ``items`` ((response, ground_truth[, meta]) each); verdicts in input order."""
        items = [_split(it) for it in items]
        timeout = self.timeout_s if timeout_s is None else float(timeout_s)
        results: list[Verdict | None] = [None] * len(items)
        todo: deque[int] = deque()
        for i, (resp, gt, meta) in enumerate(items):
            if self._quick is not None:
                try:
                    v = self._quick(resp, gt, **meta)
                except Exception:  # noqa: BLE001 - fall through to the full check
                    v = None
                if isinstance(v, Verdict):
                    results[i] = v
                    continue
            todo.append(i)
        with self._lock:
            self.stats["items"] += len(items)
            self.stats["fast"] += len(items) - len(todo)
            if todo:
                if self._closed:
                    raise RuntimeError("VerifierPool is closed")
                self._run(items, todo, results, timeout)
        return [r if r is not None else Verdict.fail("internal error: no verdict") for r in results]

    def _replace(self, w: _Worker) -> None:
        w.kill()
        self._pool.remove(w)
        self.stats["restarts"] += 1
        self._pool.append(self._spawn())

    def _run(self, items: list, todo: deque, results: list, timeout: float) -> None:
        while len(self._pool) < self.workers:
            self._pool.append(self._spawn())
        startup_failures = 0
        while todo or any(w.job for w in self._pool):
            for w in self._pool:
                if w.ready and w.job is None and todo:
                    i = todo.popleft()
                    resp, gt, meta = items[i]
                    try:
                        w.conn.send((i, resp, gt, meta))
                        w.job = (i, time.monotonic() + timeout)
                    except (OSError, ValueError) as exc:
                        results[i] = Verdict.fail(f"could not send item to worker: {exc}")
            now = time.monotonic()
            deadlines = [w.job[1] for w in self._pool if w.job]
            deadlines += [w.started + self.startup_timeout_s for w in self._pool if not w.ready]
            wait_s = max(0.0, min(deadlines) - now) if deadlines else 0.05
            ready = wait([w.conn for w in self._pool], timeout=min(wait_s, 1.0))
            for w in list(self._pool):
                if w.conn in ready:
                    try:
                        msg = w.conn.recv()
                    except (EOFError, OSError):
                        msg = ("dead", None)
                    tag = msg[0]
                    if tag == "ready":
                        w.ready = True
                        continue
                    if tag in ("error", "dead"):
                        if w.job is not None:
                            code = w.exitcode
                            results[w.job[0]] = Verdict.fail(f"verifier worker crashed (exit code {code})")
                            self.stats["crashes"] += 1
                        elif not w.ready:
                            startup_failures += 1
                            if startup_failures >= 3:
                                reason = f"verifier worker failed to start: {msg[1] or 'exited'}"
                                while todo:
                                    results[todo.popleft()] = Verdict.fail(reason)
                        self._replace(w)
                        continue
                    idx, verdict = msg
                    results[idx] = verdict
                    w.job = None
            now = time.monotonic()
            for w in list(self._pool):
                if w.job is not None and now > w.job[1]:
                    reason = f"verification timed out after {timeout:g}s (worker killed)"
                    results[w.job[0]] = Verdict.fail(reason, timeout=True)
                    self.stats["timeouts"] += 1
                    self._replace(w)
                elif not w.ready and now > w.started + self.startup_timeout_s:
                    while todo:
                        results[todo.popleft()] = Verdict.fail("verifier worker did not start in time")
                    self._replace(w)

    def close(self) -> None:
        """Stop every worker (idempotent)."""
        with self._lock:
            self._closed = True
            for w in self._pool:
                try:
                    w.conn.send(None)
                except (OSError, ValueError):
                    pass
            for w in self._pool:
                try:
                    w.proc.wait(timeout=1)
                except subprocess.TimeoutExpired:
                    pass
                w.kill()
            self._pool.clear()

    def __enter__(self) -> VerifierPool:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if not self._closed:
                self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


def verify_batch(verifier_or_name: str | Verifier | VerifierPool, items: Iterable[Item], *,
                 timeout_s: float = 10.0, workers: int = 2, **options: Any) -> list[Verdict]:
    """Verify ``items`` in worker processes with a hard per-item ``timeout_s``.

    Given a ``VerifierPool`` it is reused; otherwise a temporary pool is made (workers
    start only if some item needs more than the verifier's in-process fast path).
    """
    if isinstance(verifier_or_name, VerifierPool):
        return verifier_or_name.map(items, timeout_s=timeout_s)
    with VerifierPool(verifier_or_name, workers=workers, timeout_s=timeout_s, **options) as pool:
        return pool.map(items)


@atexit.register
def _close_all() -> None:
    for pool in list(_POOLS):
        try:
            pool.close()
        except Exception:  # noqa: BLE001
            pass
