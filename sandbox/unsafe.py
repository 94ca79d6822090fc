"""The UNSAFE local backend: rlimits and a process-group kill, no kernel isolation.

Only for machines where no namespace isolation exists and the caller opted in
explicitly (``execute(..., allow_unsafe=True)`` or ``UnsafeBackend()``). The program can
use the network, read every file the host user can, and leave processes that escape
its process group. Never use it on model output you do not trust.
"""

from __future__ import annotations

import os
import resource
import select
import signal
import subprocess
import sys
import tempfile
import time

from sandbox.pool import BASE_ENV, LANGUAGES
from sandbox.types import ExecResult, Limits, classify


class UnsafeBackend:
    """Runs a fresh interpreter in a temp dir with rlimits; see the module warning."""

    def __init__(self, python: str = sys.executable) -> None:
        self.python = python

    def execute(self, code: str, *, language: str = "python", stdin: str = "",
                files: dict[str, str | bytes] | None = None, limits: Limits | None = None,
                env: dict[str, str] | None = None) -> ExecResult:
        """Run one program (no isolation)."""
        lim = limits or Limits()
        if language not in LANGUAGES:
            raise ValueError(f"unsupported language {language!r}")
        with tempfile.TemporaryDirectory(prefix="unsafe-sbx-") as work:
            for name, data in (files or {}).items():
                path = os.path.join(work, name)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as fh:
                    fh.write(data.encode() if isinstance(data, str) else data)
            main = os.path.join(work, LANGUAGES[language])
            with open(main, "w") as fh:
                fh.write(code)
            argv = [self.python, main] if language == "python" else ["/bin/sh", main]

            def limit() -> None:
                mem = lim.memory_mb << 20
                resource.setrlimit(resource.RLIMIT_CPU, (lim.cpu_limit(), lim.cpu_limit() + 1))
                resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
                resource.setrlimit(resource.RLIMIT_FSIZE, (lim.fsize_mb << 20, lim.fsize_mb << 20))
                resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

            start = time.monotonic()
            proc = subprocess.Popen(argv, cwd=work, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, env={**BASE_ENV, "HOME": work, "TMPDIR": work,
                                                                 **(env or {})},
                                    preexec_fn=limit, start_new_session=True)
            assert proc.stdin and proc.stdout and proc.stderr
            try:
                proc.stdin.write(stdin.encode())
                proc.stdin.close()
            except BrokenPipeError:
                pass
            bufs = {proc.stdout.fileno(): bytearray(), proc.stderr.fileno(): bytearray()}
            open_fds = set(bufs)
            status = None
            deadline = start + lim.timeout_s
            while open_fds and status is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    status = "timeout"
                    break
                ready, _, _ = select.select(list(open_fds), [], [], left)
                for fd in ready:
                    chunk = os.read(fd, 65536)
                    if not chunk:
                        open_fds.discard(fd)
                    bufs[fd] += chunk
                    if len(bufs[fd]) > lim.max_output_bytes:
                        status = "output_limit"
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()) if status is None else 0)
            except subprocess.TimeoutExpired:
                status = status or "timeout"
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()
            wall = time.monotonic() - start
            out, err = (bytes(bufs[f.fileno()][: lim.max_output_bytes]).decode("utf-8", "replace")
                        for f in (proc.stdout, proc.stderr))
            proc.stdout.close()
            proc.stderr.close()
        if status is None:
            status, reason = classify(proc.returncode, err, 0.0, lim.cpu_limit())
        else:
            reason = "wall-clock limit exceeded" if status == "timeout" else "output limit exceeded"
        return ExecResult(status, proc.returncode, out, err, wall, reason, {"unsafe": True})
