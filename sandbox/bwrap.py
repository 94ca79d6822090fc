"""The bubblewrap backend: one long-lived sandbox per worker, serving jobs one at a time.

Two modes, chosen by who we are:

* ``root``: the host is root. ``unshare --net`` gives a network namespace whose loopback
  is down, bwrap (privileged, all capabilities dropped except SETUID/SETGID/KILL for the
  supervisor) adds PID/IPC/UTS/mount(/cgroup) namespaces, and every job runs as an
  unprivileged uid of its own (``uid_base + worker index``), so RLIMIT_NPROC holds.
* ``userns``: the host is not root. bwrap makes an unprivileged user namespace (plus
  net/PID/IPC/UTS/mount), ``--disable-userns`` forbids nesting; the job keeps the
  caller's (non-root) uid, so RLIMIT_NPROC is enforced per sandbox user namespace.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.types import SandboxUnavailable

RUNNER = Path(__file__).with_name("runner.py")
MAX_FRAME = 256 << 20  # a result frame is at most ~2x max_output_bytes, JSON-escaped
_ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "alternatives")


@dataclass
class BwrapConfig:
    """How workers are built. ``python`` runs both the supervisor and Python jobs."""

    python: str = field(default_factory=lambda: os.path.realpath(sys.executable))
    mode: str = "auto"  # auto | root | userns
    uid_base: int = 60000
    tmp_mb: int = 64
    extra_ro_binds: tuple[str, ...] = ()
    # Every worker built from this config gets its own uid (uid_base, uid_base + 1, ...), so
    # pools sharing a config never share a process-count budget. Configs with overlapping
    # uid ranges would.
    _uids: itertools.count = field(default_factory=itertools.count, init=False, repr=False, compare=False)

    def resolved_mode(self) -> str:
        if self.mode != "auto":
            return self.mode
        return "root" if os.geteuid() == 0 else "userns"


def _python_roots(python: str) -> list[str]:
    """Directories the interpreter needs: its prefixes (a venv and its base)."""
    roots = {os.path.dirname(os.path.dirname(python)), sys.prefix, sys.base_prefix}
    if os.path.realpath(python) != os.path.realpath(sys.executable):
        roots = {os.path.dirname(os.path.dirname(python))}
    return sorted(r for r in roots if r and not r.startswith("/usr") and os.path.isdir(r))


def build_command(cfg: BwrapConfig) -> list[str]:
    """The argv that starts one sandboxed supervisor."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed: apt-get install -y bubblewrap")
    mode = cfg.resolved_mode()
    args: list[str] = []
    if mode == "root":
        unshare = shutil.which("unshare")
        if unshare is None:
            raise SandboxUnavailable("util-linux `unshare` is not installed")
        args += [unshare, "--net", "--", bwrap, "--cap-drop", "ALL"]
        args += [x for cap in ("CAP_SETUID", "CAP_SETGID", "CAP_KILL") for x in ("--cap-add", cap)]
    else:
        unshare = shutil.which("unshare")
        if unshare:  # a netns whose loopback is down (bwrap's own --unshare-net brings lo up)
            args += [unshare, "--user", "--map-current-user", "--net", "--", bwrap]
        else:
            args += [bwrap, "--unshare-net"]
        args += ["--unshare-user", "--disable-userns"]
    args += ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
             "--die-with-parent", "--new-session", "--as-pid-1", "--clearenv",
             "--hostname", "sandbox", "--setenv", "PATH", "/usr/bin:/bin"]
    args += ["--ro-bind", "/usr", "/usr"]
    for top in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = f"/{top}"
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    args += ["--perms", "0755", "--dir", "/etc"]
    for name in _ETC:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    made: set[str] = {"/", "/etc", "/usr", "/tmp"}
    for root in [*_python_roots(cfg.python), *cfg.extra_ro_binds]:
        parts = Path(root).parts
        for i in range(2, len(parts)):
            parent = str(Path(*parts[:i]))
            if parent not in made:
                made.add(parent)
                args += ["--perms", "0755", "--dir", parent]
        args += ["--ro-bind", root, root]
    args += ["--perms", "0755", "--dir", "/sandbox", "--ro-bind", str(RUNNER), "/sandbox/runner.py",
             "--proc", "/proc", "--dev", "/dev",
             "--perms", "1777", "--size", str(cfg.tmp_mb << 20), "--tmpfs", "/tmp",
             # bwrap's own root and /dev tmpfs are owned by the sandbox user in userns mode:
             # make them read-only so that /tmp (size-limited, wiped per job) is the only writable place.
             "--remount-ro", "/dev", "--remount-ro", "/", "--chdir", "/tmp",
             "--", cfg.python, "-I", "/sandbox/runner.py"]
    return args


class _Spawner:
    """Starts every sandbox from one long-lived thread.

    bwrap's ``--die-with-parent`` uses PR_SET_PDEATHSIG, which fires when the *thread*
    that forked it exits; sandboxes started from short-lived pool threads would be
    killed with them. This thread lives until the process exits.
    """

    def __init__(self) -> None:
        self._jobs: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _loop(self) -> None:
        while True:
            fn, fut = self._jobs.get()
            try:
                fut.set_result(fn())
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                fut.set_exception(exc)

    def call(self, fn: Callable[[], Any]) -> Any:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="sandbox-spawner", daemon=True)
                self._thread.start()
        fut: Future = Future()
        self._jobs.put((fn, fut))
        return fut.result()


_SPAWNER = _Spawner()


def _child_of(pid: int) -> int | None:
    """The host pid of bwrap's child (the supervisor, PID 1 inside)."""
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return int(kids[0]) if len(kids) == 1 else None
    except (OSError, ValueError):
        return None


class WorkerDied(RuntimeError):
    """The sandbox process ended or stopped answering."""


class Worker:
    """One sandbox (bwrap + supervisor). Not thread-safe: the pool hands it to one thread at a time."""

    def __init__(self, cfg: BwrapConfig, index: int) -> None:
        self.cfg = cfg
        self.index = index
        self.uid = cfg.uid_base + next(cfg._uids) if cfg.resolved_mode() == "root" else None
        self.proc: subprocess.Popen[bytes] | None = None
        self.supervisor_pid: int | None = None
        self.jobs = 0
        self._err = tempfile.TemporaryFile()

    def start(self, timeout_s: float = 30.0) -> None:
        """Start the sandbox and wait for the supervisor's ready message."""
        cmd = build_command(self.cfg)
        self._err.seek(0)
        self._err.truncate()
        self.proc = _SPAWNER.call(lambda: subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._err, bufsize=0, close_fds=True,
            start_new_session=True, env={"PATH": "/usr/bin:/bin"}))
        self.jobs = 0
        try:
            hello = self._recv(time.monotonic() + timeout_s)
        except WorkerDied as exc:
            self._err.seek(0)
            detail = self._err.read().decode(errors="replace").strip()
            self.kill()
            mode = self.cfg.resolved_mode()
            msg = f"could not start a bubblewrap sandbox ({mode} mode): {detail or exc}"
            raise SandboxUnavailable(msg) from None
        if not hello.get("ready"):
            self.kill()
            raise SandboxUnavailable(f"sandbox supervisor sent {hello!r}")
        self.supervisor_pid = _child_of(self.proc.pid)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _read(self, n: int, deadline: float) -> bytes:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        buf = bytearray()
        while len(buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WorkerDied("sandbox did not answer in time")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, n - len(buf))
                if not chunk:
                    raise WorkerDied("sandbox exited")
                buf += chunk
        return bytes(buf)

    def _recv(self, deadline: float) -> dict:
        (length,) = struct.unpack("<I", self._read(4, deadline))
        if length > MAX_FRAME:
            raise WorkerDied(f"sandbox sent an oversized frame ({length} bytes)")
        return json.loads(self._read(length, deadline))

    def run(self, job: dict, host_timeout_s: float) -> dict:
        """Send one job and wait for its result; on any failure the worker is killed."""
        if not self.alive:
            self.start()
        assert self.proc is not None and self.proc.stdin is not None
        data = json.dumps(job).encode()
        try:
            self.proc.stdin.write(struct.pack("<I", len(data)) + data)
            self.proc.stdin.flush()
            res = self._recv(time.monotonic() + host_timeout_s)
        except (OSError, WorkerDied, ValueError) as exc:
            self.kill()
            self._err.seek(0)
            tail = self._err.read()[-400:].decode(errors="replace").strip()
            raise WorkerDied(f"{exc}" + (f" ({tail})" if tail else "")) from None
        self.jobs += 1
        return res

    def kill(self) -> None:
        """Kill the sandbox; the kernel then kills everything left in its PID namespace."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            if self.supervisor_pid:  # still bwrap's unreaped child, so the pid cannot be reused yet
                try:
                    os.kill(self.supervisor_pid, signal.SIGKILL)
                except OSError:
                    pass
            self.proc.kill()
        self.supervisor_pid = None
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()
        self.proc = None
