"""Result and limit types shared by every sandbox backend."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Protocol

STATUSES = ("ok", "error", "timeout", "memory", "output_limit", "killed")


class SandboxUnavailable(RuntimeError):
    """No kernel isolation is available here (and the caller did not opt into unsafe mode)."""


@dataclass
class ExecResult:
    """What one execution produced.

    status: ok (exit 0) | error (non-zero exit) | timeout (wall clock or CPU limit) |
      memory (address-space limit hit) | output_limit (stdout/stderr cap hit, process killed) |
      killed (ended by a signal, or the sandbox itself failed; see ``reason``).
    exit_code: the exit status, negative signal number when killed by a signal, None if unknown.
    """

    status: str
    exit_code: int | None
    stdout: str
    stderr: str
    wall_s: float
    reason: str | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class Limits:
    """Resource limits of one execution (per job; the process-count limit covers all of its processes)."""

    timeout_s: float = 10.0
    memory_mb: int = 512
    max_output_bytes: int = 1 << 20
    cpu_s: float | None = None  # RLIMIT_CPU per process; default ceil(timeout_s) + 1
    nproc: int = 64
    nofile: int = 64
    fsize_mb: int = 16
    tmp_mb: int = 64  # size of the private writable temp dir (tmpfs); fixed per worker

    def cpu_limit(self) -> int:
        return int(self.cpu_s) if self.cpu_s else math.ceil(self.timeout_s) + 1


class Backend(Protocol):
    """Anything that can run a program under limits."""

    def execute(self, code: str, *, language: str = "python", stdin: str = "",
                files: dict[str, str | bytes] | None = None, limits: Limits | None = None,
                env: dict[str, str] | None = None) -> ExecResult: ...


def classify(exit_code: int | None, stderr: str, cpu_s: float, cpu_limit: int) -> tuple[str, str | None]:
    """Map a finished process to (status, reason)."""
    if exit_code == 0:
        return "ok", None
    if exit_code is None:
        return "killed", "no exit status"
    if exit_code < 0:
        sig = -exit_code
        if sig == 24 or (sig == 9 and cpu_s >= cpu_limit - 0.05):  # SIGXCPU / hard CPU limit
            return "timeout", f"CPU time limit ({cpu_limit}s) exceeded"
        return "killed", f"terminated by signal {sig}"
    tail = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    if tail and tail[-1].startswith("MemoryError"):
        return "memory", "MemoryError (address-space limit)"
    return "error", f"exit code {exit_code}"
