"""Kernel-isolated execution of untrusted programs. Imports neither torch nor reasoner.

    import sandbox
    r = sandbox.execute("print(input()[::-1])", stdin="abc", timeout_s=5)
    r.status, r.stdout   # ("ok", "cba\\n")

See docs/sandbox.md for the isolation model and what it guarantees.
"""

from __future__ import annotations

import threading
import warnings
from typing import Any

from sandbox.bwrap import BwrapConfig
from sandbox.pool import Sandbox
from sandbox.remote import RemoteBackend
from sandbox.types import STATUSES, Backend, ExecResult, Limits, SandboxUnavailable
from sandbox.unsafe import UnsafeBackend

__all__ = ["execute", "get_default", "set_default", "Sandbox", "RemoteBackend", "UnsafeBackend",
           "BwrapConfig", "ExecResult", "Limits", "Backend", "SandboxUnavailable", "STATUSES"]

_default: Any = None
_default_lock = threading.Lock()


def get_default() -> Any:
    """The process-wide backend: a warm `Sandbox` pool (created on first use)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Sandbox()
        return _default


def set_default(backend: Any) -> None:
    """Replace the process-wide backend (a `Sandbox`, `RemoteBackend`, ... or None to reset)."""
    global _default
    with _default_lock:
        old, _default = _default, backend
    if isinstance(old, Sandbox) and old is not backend:
        old.close()


def execute(code: str, *, language: str = "python", stdin: str = "",
            files: dict[str, str | bytes] | None = None, timeout_s: float = 10.0,
            memory_mb: int = 512, max_output_bytes: int = 1 << 20,
            env: dict[str, str] | None = None, backend: Any = None, allow_unsafe: bool = False,
            **limits: Any) -> ExecResult:
    """Run ``code`` in the sandbox and return an `ExecResult` (status in `STATUSES`).

    Raises `SandboxUnavailable` when no kernel isolation works here, unless
    ``allow_unsafe=True`` (then it runs with rlimits only and warns). Extra keyword
    arguments are `Limits` fields (nproc, nofile, fsize_mb, cpu_s).
    """
    lim = Limits(timeout_s=timeout_s, memory_mb=memory_mb, max_output_bytes=max_output_bytes, **limits)
    chosen = backend if backend is not None else get_default()
    try:
        return chosen.execute(code, language=language, stdin=stdin, files=files, limits=lim, env=env)
    except SandboxUnavailable as exc:
        if not allow_unsafe:
            raise
        warnings.warn(f"sandbox: no isolation available ({exc}); running UNSAFELY", stacklevel=2)
        return UnsafeBackend().execute(code, language=language, stdin=stdin, files=files, limits=lim, env=env)
