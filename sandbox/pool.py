"""`Sandbox`: a warm pool of bubblewrap workers with configurable concurrency."""

from __future__ import annotations

import base64
import queue
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sandbox.bwrap import BwrapConfig, Worker, WorkerDied
from sandbox.types import ExecResult, Limits, SandboxUnavailable, classify

LANGUAGES = {"python": "main.py", "bash": "main.sh", "sh": "main.sh"}
BASE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1"}
HOST_GRACE_S = 10.0  # beyond the job's own timeout before the host kills the whole sandbox


def _check_files(files: dict[str, str | bytes] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, data in (files or {}).items():
        parts = name.split("/")
        if not name or name.startswith("/") or ".." in parts or name in LANGUAGES.values():
            raise ValueError(f"file name {name!r} must be relative, without '..', and not a main file")
        raw = data.encode() if isinstance(data, str) else bytes(data)
        out[name] = base64.b64encode(raw).decode()
    return out


def make_job(code: str, *, language: str, stdin: str, files: dict[str, str | bytes] | None,
             limits: Limits, env: dict[str, str] | None, python: str, fork_server: bool) -> dict[str, Any]:
    """The JSON job the in-sandbox supervisor understands."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; supported: {sorted(LANGUAGES)}")
    if language == "python":
        mode, argv = ("fork" if fork_server else "exec"), [python]
    else:
        mode, argv = "exec", ["/bin/bash" if language == "bash" else "/bin/sh"]
    return {"code": code, "main": LANGUAGES[language], "mode": mode, "argv": argv, "stdin": stdin,
            "files": _check_files(files), "env": {**BASE_ENV, **(env or {})},
            "timeout_s": limits.timeout_s, "cpu_s": limits.cpu_limit(), "memory_mb": limits.memory_mb,
            "max_output_bytes": limits.max_output_bytes, "nproc": limits.nproc, "nofile": limits.nofile,
            "fsize_mb": limits.fsize_mb}


def to_result(res: dict[str, Any], limits: Limits) -> ExecResult:
    """Turn the supervisor's answer into an ExecResult."""
    info = {"cpu_s": res.get("cpu_s"), "clean": res.get("clean")}
    if res.get("error"):
        return ExecResult("killed", None, res.get("stdout", ""), res.get("stderr", ""),
                          res.get("wall_s", 0.0), reason=res["error"], info=info)
    status, reason = res.get("status"), None
    if status == "timeout":
        reason = f"wall-clock limit ({limits.timeout_s}s) exceeded"
    elif status == "output_limit":
        reason = f"output exceeded {limits.max_output_bytes} bytes"
    else:
        cpu = res.get("cpu_s") or 0.0
        status, reason = classify(res["exit_code"], res["stderr"], cpu, limits.cpu_limit())
    return ExecResult(status, res["exit_code"], res["stdout"], res["stderr"], res["wall_s"], reason, info)


class Sandbox:
    """A pool of ``concurrency`` warm sandboxes. Thread-safe; reuse one instance.

    ``fork_server=True`` runs Python programs in a fork of the warm supervisor (no
    interpreter start-up); ``False`` starts a fresh interpreter per job, still inside a warm
    sandbox. Either way each job gets an empty temp dir and no surviving processes.
    """

    def __init__(self, concurrency: int = 4, *, fork_server: bool = True, limits: Limits | None = None,
                 config: BwrapConfig | None = None, max_jobs_per_worker: int = 1000) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        self.concurrency = concurrency
        self.fork_server = fork_server
        self.limits = limits or Limits()
        self.config = config or BwrapConfig(tmp_mb=self.limits.tmp_mb)
        self.max_jobs_per_worker = max_jobs_per_worker
        self._idle: queue.LifoQueue[Worker] = queue.LifoQueue()
        self._all: list[Worker] = []
        self._lock = threading.Lock()
        self._closed = False

    def _acquire(self) -> Worker:
        with self._lock:
            if self._closed:
                raise RuntimeError("sandbox pool is closed")
            if self._idle.empty() and len(self._all) < self.concurrency:
                worker = Worker(self.config, len(self._all))
                self._all.append(worker)
                try:
                    worker.start()
                except BaseException:
                    self._all.remove(worker)
                    raise
                return worker
        return self._idle.get()

    def _release(self, worker: Worker) -> None:
        if worker.jobs >= self.max_jobs_per_worker:
            worker.kill()  # restarted lazily on next use
        self._idle.put(worker)

    def check(self) -> None:
        """Start one worker now; raises SandboxUnavailable with the reason if isolation fails."""
        self._release(self._acquire())

    def execute(self, code: str, *, language: str = "python", stdin: str = "",
                files: dict[str, str | bytes] | None = None, limits: Limits | None = None,
                env: dict[str, str] | None = None, **limit_overrides: Any) -> ExecResult:
        """Run one program; ``limit_overrides`` are Limits fields (timeout_s, memory_mb, ...)."""
        lim = limits or self.limits
        if limit_overrides:
            lim = Limits(**{**lim.__dict__, **limit_overrides})
        job = make_job(code, language=language, stdin=stdin, files=files, limits=lim, env=env,
                       python=self.config.python, fork_server=self.fork_server)
        worker = self._acquire()
        try:
            if not worker.alive:
                worker.start()
            job["uid"] = worker.uid
            res = worker.run(job, lim.timeout_s + HOST_GRACE_S)
            if not res.get("clean", False):
                worker.kill()  # something survived the clean-up: never reuse this sandbox
        except WorkerDied as exc:
            return ExecResult("killed", None, "", "", 0.0, reason=f"sandbox died: {exc}")
        except SandboxUnavailable as exc:
            return ExecResult("killed", None, "", "", 0.0, reason=str(exc))
        finally:
            self._release(worker)
        return to_result(res, lim)

    def execute_many(self, requests: Iterable[dict[str, Any]]) -> list[ExecResult]:
        """Run many programs (each a dict of `execute` keyword arguments) over the pool, in order."""
        reqs = list(requests)
        with ThreadPoolExecutor(max_workers=self.concurrency) as ex:
            return list(ex.map(lambda r: self.execute(**r), reqs))

    def close(self) -> None:
        """Kill every worker."""
        with self._lock:
            self._closed = True
            for worker in self._all:
                worker.kill()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
