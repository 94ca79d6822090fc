"""The in-sandbox supervisor (runs as PID 1 of the sandbox's PID namespace).

Standard library only; started by the host as ``python -I runner.py`` inside bubblewrap.
It reads length-prefixed JSON jobs on fd 0 and writes length-prefixed JSON results on
fd 1. Per job it forks a child that drops to the job uid (root mode), sets rlimits,
enables ``no_new_privs`` plus a seccomp filter that forbids new user namespaces, and
then either executes the Python program in the forked interpreter (the warm
"fork-server" path: no interpreter start-up) or ``execve``s a fresh interpreter / shell.
After every job it kills every other process in the namespace, reaps them, and wipes
the writable temp dir and System V IPC objects, so jobs cannot see each other.
"""

from __future__ import annotations

import base64
import ctypes
import gc
import json
import os
import resource
import select
import signal
import struct
import sys
import time

WORK = "/tmp"
PRELOAD = ("types", "traceback", "atexit", "typing", "re", "math", "collections", "itertools", "functools",
           "heapq", "bisect", "string", "random", "copy", "fractions", "statistics", "decimal")
_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP = 1, 4, 38, 22
CLONE_NEWUSER = 0x10000000
_ARCH = {"x86_64": (0xC000003E, 272, 56, 435), "aarch64": (0xC00000B7, 97, 220, 435)}


def _read_exact(fd: int, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def _send(obj: dict) -> None:
    data = json.dumps(obj).encode()
    view = struct.pack("<I", len(data)) + data
    while view:
        view = view[os.write(1, view):]


def _seccomp_program() -> bytes | None:
    """BPF: deny unshare/clone with CLONE_NEWUSER, clone3 (ENOSYS), foreign ABIs."""
    arch = _ARCH.get(os.uname().machine)
    if arch is None:
        return None
    audit, nr_unshare, nr_clone, nr_clone3 = arch
    ins = lambda code, jt, jf, k: struct.pack("HBBI", code, jt, jf, k)
    allow, eperm, enosys = 0x7FFF0000, 0x00050000 | 1, 0x00050000 | 38
    prog = [
        ins(0x20, 0, 0, 4),            # 0 ld arch
        ins(0x15, 1, 0, audit),        # 1 native arch? skip next
        ins(0x06, 0, 0, eperm),        # 2 foreign ABI: deny
        ins(0x20, 0, 0, 0),            # 3 ld nr
        ins(0x35, 5, 0, 0x40000000),   # 4 x32 ABI -> 10 (deny)
        ins(0x15, 5, 0, nr_unshare),   # 5 -> 11
        ins(0x15, 4, 0, nr_clone),     # 6 -> 11
        ins(0x15, 1, 0, nr_clone3),    # 7 -> 9
        ins(0x06, 0, 0, allow),        # 8
        ins(0x06, 0, 0, enosys),       # 9 clone3: make libc fall back to clone
        ins(0x06, 0, 0, eperm),        # 10
        ins(0x20, 0, 0, 16),           # 11 ld args[0] (low 32 bits)
        ins(0x45, 0, 1, CLONE_NEWUSER),  # 12 jset -> 13 else 14
        ins(0x06, 0, 0, eperm),        # 13
        ins(0x06, 0, 0, allow),        # 14
    ]
    return b"".join(prog)


def _lock_down() -> None:
    """no_new_privs + seccomp filter; the filter is inherited by every descendant."""
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(NO_NEW_PRIVS) failed")
    prog = _seccomp_program()
    if prog is None:
        return
    buf = ctypes.create_string_buffer(prog)

    class Fprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = Fprog(len(prog) // 8, ctypes.cast(buf, ctypes.c_void_p))
    if _libc.prctl(PR_SET_SECCOMP, 2, ctypes.byref(fprog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(SECCOMP) failed")


def _drop_privileges(uid: int | None) -> None:
    if uid is not None and os.getuid() == 0:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)


def _set_limits(job: dict) -> None:
    cpu = int(job["cpu_s"])
    mem = int(job["memory_mb"]) * 1024 * 1024
    fsize = int(job["fsize_mb"]) * 1024 * 1024
    for res, val in ((resource.RLIMIT_CPU, (cpu, cpu + 1)), (resource.RLIMIT_AS, (mem, mem)),
                     (resource.RLIMIT_FSIZE, (fsize, fsize)), (resource.RLIMIT_CORE, (0, 0)),
                     (resource.RLIMIT_NOFILE, (job["nofile"], job["nofile"])),
                     (resource.RLIMIT_NPROC, (job["nproc"], job["nproc"])),
                     (resource.RLIMIT_MSGQUEUE, (0, 0)), (resource.RLIMIT_MEMLOCK, (0, 0))):
        resource.setrlimit(res, val)


def _write_files(job: dict) -> str:
    for name, b64 in (job.get("files") or {}).items():
        path = os.path.normpath(os.path.join(WORK, name))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(base64.b64decode(b64))
    main = os.path.join(WORK, job["main"])
    with open(main, "w", encoding="utf-8") as fh:
        fh.write(job["code"])
    return main


def _run_in_process(main: str, code: str) -> int:
    """The fork-server path: run the program as ``__main__`` of this forked interpreter."""
    import types

    _libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
    sys.stdin = open(0, encoding="utf-8", closefd=False)
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
    sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False,
                      buffering=1)
    sys.argv = [main]
    sys.path.insert(0, WORK)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    mod = types.ModuleType("__main__")
    mod.__file__, mod.__builtins__ = main, __builtins__
    sys.modules["__main__"] = mod
    rc = 0
    try:
        exec(compile(code, main, "exec"), mod.__dict__)
    except SystemExit as exc:
        if exc.code is None:
            rc = 0
        elif isinstance(exc.code, int):
            rc = exc.code & 0xFF
        else:
            print(exc.code, file=sys.stderr)
            rc = 1
    except BaseException as exc:  # noqa: BLE001 - mirror the interpreter's top level
        import traceback

        traceback.print_exception(type(exc), exc, exc.__traceback__.tb_next)
        rc = 1
    try:
        if "threading" in sys.modules:
            sys.modules["threading"]._shutdown()
        import atexit

        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001
        rc = rc or 120
    return rc


def _child(job: dict, stdin_fd: int, out_w: int, err_w: int) -> None:
    rc = 125
    try:
        os.setsid()
        for fd, target in ((stdin_fd, 0), (out_w, 1), (err_w, 2)):
            os.dup2(fd, target)
        os.closerange(3, 65536)
        _drop_privileges(job.get("uid"))
        _lock_down()
        _set_limits(job)
        os.chdir(WORK)
        os.environ.clear()
        os.environ.update(job["env"])
        main = _write_files(job)
        if job["mode"] == "fork":
            rc = _run_in_process(main, job["code"])
        else:
            signal.signal(signal.SIGPIPE, signal.SIG_DFL)
            argv = list(job["argv"]) + [main]
            os.execve(argv[0], argv, job["env"])
    except BaseException as exc:  # noqa: BLE001 - report set-up failures as exit 125
        try:
            os.write(2, f"sandbox: job set-up failed: {type(exc).__name__}: {exc}\n".encode())
        except OSError:
            pass
    os._exit(rc)


def _kill_all() -> None:
    """SIGKILL every process in the namespace except ourselves (PID 1), then reap."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            while True:
                pid, _ = os.waitpid(-1, os.WNOHANG)
                if pid == 0:
                    break
        except ChildProcessError:
            others = [p for p in os.listdir("/proc") if p.isdigit() and p != "1"]
            if not others:
                return
        time.sleep(0.002)


def _rmtree_contents(path: str) -> None:
    for entry in os.scandir(path):
        full = entry.path
        try:
            if entry.is_dir(follow_symlinks=False):
                os.chmod(full, 0o700)
                _rmtree_contents(full)
                os.rmdir(full)
            else:
                os.unlink(full)
        except OSError:
            pass


def _clean(uid: int | None) -> bool:
    """Wipe the temp dir and SysV IPC objects as the job uid (sticky /tmp needs the owner).

    In root mode only the *effective* uid is switched (saved uid stays 0, so we can switch
    back); this is safe because `_kill_all` has already removed every process of that uid.
    """
    switched = uid is not None and os.getuid() == 0
    ok = False
    try:
        if switched:
            os.setresgid(-1, uid, -1)
            os.setresuid(-1, uid, -1)
        _rmtree_contents(WORK)
        for kind, fn in (("shm", _libc.shmctl), ("msg", _libc.msgctl), ("sem", _libc.semctl)):
            try:
                with open(f"/proc/sysvipc/{kind}") as fh:
                    rows = fh.read().splitlines()[1:]
            except OSError:
                continue
            for row in rows:
                ident = int(row.split()[1])
                fn(ident, 0, 0) if kind == "sem" else fn(ident, 0, None)
        ok = not os.listdir(WORK)
    except OSError:
        ok = False
    finally:
        if switched:
            os.setresuid(-1, 0, -1)
            os.setresgid(-1, 0, -1)
            # A euid change clears the parent-death signal bwrap armed; re-arm it.
            _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    return ok


def _collect(job: dict, pid: int, out_r: int, err_r: int) -> dict:
    """Read capped output until the child exits (or time / output limits hit)."""
    start = time.monotonic()
    deadline = start + float(job["timeout_s"])
    cap = int(job["max_output_bytes"])
    bufs = {out_r: bytearray(), err_r: bytearray()}
    open_fds = {out_r, err_r}
    pidfd = os.pidfd_open(pid)
    poller = select.poll()
    for fd in (out_r, err_r, pidfd):
        poller.register(fd, select.POLLIN)
    status, exited_at, wstatus = None, None, None
    while True:
        now = time.monotonic()
        if exited_at is not None and (not open_fds or now > exited_at + 0.05):
            break
        if now >= deadline:
            status = "timeout"
            break
        wait_ms = max(1, int((min(deadline, exited_at + 0.05 if exited_at else deadline) - now) * 1000))
        for fd, _ in poller.poll(wait_ms):
            if fd == pidfd:
                if exited_at is None:
                    _, wstatus = os.waitpid(pid, 0)
                    exited_at = time.monotonic()
                    poller.unregister(pidfd)
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                open_fds.discard(fd)
                poller.unregister(fd)
                continue
            room = cap - len(bufs[fd])
            bufs[fd] += chunk[:max(room, 0)]
            if len(chunk) > room:
                status = "output_limit"
        if status == "output_limit":
            break
    wall = time.monotonic() - start
    if wstatus is None:
        os.kill(pid, signal.SIGKILL)
        _, wstatus = os.waitpid(pid, 0)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    for fd in (out_r, err_r, pidfd):
        os.close(fd)
    code = os.waitstatus_to_exitcode(wstatus)
    return {"status": status, "exit_code": code, "wall_s": wall, "cpu_total": usage.ru_utime + usage.ru_stime,
            "stdout": bytes(bufs[out_r]).decode("utf-8", "replace"),
            "stderr": bytes(bufs[err_r]).decode("utf-8", "replace")}


def run_job(job: dict) -> dict:
    """Run one job to completion and leave the namespace empty and the temp dir clean."""
    stdin_fd = os.memfd_create("stdin")
    os.write(stdin_fd, job.get("stdin", "").encode())
    os.lseek(stdin_fd, 0, os.SEEK_SET)
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    pid = os.fork()
    if pid == 0:
        _child(job, stdin_fd, out_w, err_w)
    for fd in (stdin_fd, out_w, err_w):
        os.close(fd)
    res = _collect(job, pid, out_r, err_r)
    _kill_all()
    res["cpu_s"] = res.pop("cpu_total") - (cpu_before.ru_utime + cpu_before.ru_stime)
    res["clean"] = _clean(job.get("uid"))
    return res


def main() -> None:
    """Serve jobs until the host closes our stdin."""
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # same-uid jobs cannot ptrace or read /proc/1/mem
    for name in PRELOAD:  # warm imports every forked job would otherwise pay for
        try:
            __import__(name)
        except ImportError:
            pass
    gc.freeze()  # keep the children's GC off our pages: far fewer copy-on-write faults
    _send({"ready": True, "pid": os.getpid(), "uid": os.getuid()})
    while True:
        try:
            (n,) = struct.unpack("<I", _read_exact(0, 4))
            job = json.loads(_read_exact(0, n))
        except EOFError:
            return
        try:
            res = run_job(job)
        except Exception as exc:  # noqa: BLE001 - keep serving; the host decides
            res = {"status": "killed", "exit_code": None, "stdout": "", "stderr": "",
                   "wall_s": 0.0, "error": f"runner: {type(exc).__name__}: {exc}", "clean": False}
        _send(res)


if __name__ == "__main__":
    main()
