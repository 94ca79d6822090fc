"""sandbox: the execute() API, limits, warm pool, unsafe refusal and the remote backend."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import sandbox
from sandbox import BwrapConfig, ExecResult, Limits, RemoteBackend, Sandbox, SandboxUnavailable


@pytest.fixture(scope="module")
def sbx():
    pool = Sandbox(concurrency=2, config=BwrapConfig(uid_base=61000 + (os.getpid() % 500) * 4))
    try:
        pool.check()
    except SandboxUnavailable as exc:
        pytest.fail(f"kernel isolation unavailable here (CI installs bubblewrap): {exc}")
    yield pool
    pool.close()


def test_ok_with_stdin_files_and_env(sbx):
    code = "import os\nprint(input()[::-1], open('data/x.txt').read(), os.environ['GREETING'])"
    r = sbx.execute(code, stdin="abc\n", files={"data/x.txt": "hello"}, env={"GREETING": "hi"})
    assert (r.status, r.exit_code) == ("ok", 0), r
    assert r.stdout == "cba hello hi\n"
    assert r.wall_s < 5


def test_error_status_and_exit_code(sbx):
    r = sbx.execute("import sys\nprint('x', file=sys.stderr)\nsys.exit(3)")
    assert (r.status, r.exit_code, r.stderr) == ("error", 3, "x\n")
    r = sbx.execute("raise ValueError('boom')")
    assert r.status == "error" and "ValueError: boom" in r.stderr and "runner.py" not in r.stderr


def test_timeout_memory_and_output_limit(sbx):
    r = sbx.execute("while True: pass", timeout_s=1)
    assert r.status == "timeout" and r.wall_s < 3
    r = sbx.execute("x = bytearray(1 << 31)", memory_mb=256)
    assert r.status == "memory", r
    r = sbx.execute("while True: print('y' * 1000)", max_output_bytes=5000)
    assert r.status == "output_limit" and len(r.stdout) <= 5000


def test_cpu_limit_is_a_timeout(sbx):
    r = sbx.execute("while True: pass", timeout_s=5, cpu_s=1)
    assert r.status == "timeout" and r.wall_s < 4, r


def test_killed_by_signal(sbx):
    r = sbx.execute("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)")
    assert (r.status, r.exit_code) == ("killed", -11)


def test_bash_and_fresh_interpreter_modes(sbx):
    r = sbx.execute("echo $((6 * 7)); exit 4", language="bash")
    assert (r.status, r.exit_code, r.stdout) == ("error", 4, "42\n")
    fresh = Sandbox(concurrency=1, fork_server=False, config=sbx.config)
    try:
        r = fresh.execute("import sys\nprint(sys.argv[0], 'runner' in sys.modules)")
        assert r.stdout == "/tmp/main.py False\n"
    finally:
        fresh.close()
    with pytest.raises(ValueError):
        sbx.execute("x", language="cobol")
    with pytest.raises(ValueError):
        sbx.execute("x", files={"../escape": "x"})


def test_jobs_do_not_see_each_other(sbx):
    one = Sandbox(concurrency=1, config=sbx.config)
    try:
        r1 = one.execute("import os\nopen('/tmp/leak', 'w').write('x')\nos.makedirs('/tmp/d/e')\n"
                         "os.chmod('/tmp/d', 0)\nimport builtins; builtins.LEAK = 1")
        r2 = one.execute("import os, builtins\nprint(os.listdir('/tmp'), hasattr(builtins, 'LEAK'))")
        assert r1.status == "ok" and r2.stdout == "['main.py'] False\n", (r1, r2)
    finally:
        one.close()


def test_execute_many_runs_concurrently(sbx):
    reqs = [{"code": f"import time\ntime.sleep(0.5)\nprint({i})"} for i in range(4)]
    t0 = time.monotonic()
    out = sbx.execute_many(reqs)
    assert [r.stdout for r in out] == [f"{i}\n" for i in range(4)]
    assert time.monotonic() - t0 < 1.9  # 2 workers: two rounds of 0.5 s, not four
    # Workers started from the (now finished) pool threads must survive them (PDEATHSIG).
    assert len(sbx._all) == 2 and all(w.alive for w in sbx._all)


def test_many_small_programs_stay_warm(sbx):
    t0 = time.monotonic()
    out = sbx.execute_many([{"code": f"print({i} * 2)"} for i in range(40)])
    assert [r.stdout for r in out] == [f"{i * 2}\n" for i in range(40)]
    assert time.monotonic() - t0 < 20


def test_module_level_execute_and_refusal_without_isolation(monkeypatch):
    broken = Sandbox(concurrency=1, config=BwrapConfig(python="/nonexistent/python3"))
    with pytest.raises(SandboxUnavailable, match="could not start"):
        sandbox.execute("print(1)", backend=broken)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SandboxUnavailable, match="bubblewrap"):
        sandbox.execute("print(1)", backend=Sandbox(concurrency=1))
    with pytest.warns(UserWarning, match="UNSAFE"):
        r = sandbox.execute("print(6 * 7)", backend=Sandbox(concurrency=1), allow_unsafe=True)
    assert (r.status, r.stdout, r.info.get("unsafe")) == ("ok", "42\n", True)


def test_unsafe_backend_limits():
    be = sandbox.UnsafeBackend()
    assert be.execute("while True: pass", limits=Limits(timeout_s=1)).status == "timeout"
    assert be.execute("print(input())", stdin="q").stdout == "q\n"
    assert be.execute("import sys; sys.exit(2)").status == "error"


class _FakeFusion(BaseHTTPRequestHandler):
    requests: list[dict] = []

    def do_POST(self):  # noqa: N802 - http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, **body})
        code = body["code"]
        if code == "sandbox-error":
            resp = {"status": "SandboxError", "message": "pod exploded", "run_result": None}
        else:
            run = {"status": "Finished", "execution_time": 0.01, "return_code": 0,
                   "stdout": body["stdin"][::-1], "stderr": ""}
            if code == "fail":
                run.update(return_code=1, stderr="Traceback\nZeroDivisionError: x")
            if code == "tle":
                run.update(status="TimeLimitExceeded", return_code=None)
            resp = {"status": "Success" if run["return_code"] == 0 else "Failed", "message": "",
                    "run_result": run}
        data = json.dumps(resp).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture()
def fusion():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeFusion)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _FakeFusion.requests = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_remote_backend_speaks_sandboxfusion(fusion):
    be = RemoteBackend(fusion)
    r = sandbox.execute("print(1)", stdin="abc", files={"a.txt": "hi"}, timeout_s=3, memory_mb=128,
                        backend=be)
    assert isinstance(r, ExecResult) and (r.status, r.stdout) == ("ok", "cba")
    req = _FakeFusion.requests[-1]
    assert req["path"] == "/run_code" and req["language"] == "python" and req["run_timeout"] == 3
    assert req["memory_limit_MB"] == 128 and base64.b64decode(req["files"]["a.txt"]) == b"hi"
    assert be.execute("fail").status == "error"
    assert be.execute("tle").status == "timeout"
    bad = be.execute("sandbox-error")
    assert bad.status == "killed" and "pod exploded" in bad.reason


def test_remote_backend_unreachable_is_a_result():
    r = RemoteBackend("http://127.0.0.1:9").execute("print(1)", limits=Limits(timeout_s=1))
    assert r.status == "killed" and "unreachable" in r.reason


def test_host_watchdog_kills_a_hung_sandbox(sbx, monkeypatch):
    import signal

    import sandbox.pool as pool_mod

    one = Sandbox(concurrency=1, config=sbx.config)
    try:
        one.check()
        worker = one._all[0]
        ppid = lambda p: Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[1]
        supervisor = [int(p) for p in os.listdir("/proc") if p.isdigit() and ppid(p) == str(worker.proc.pid)]
        assert len(supervisor) == 1
        os.kill(supervisor[0], signal.SIGSTOP)  # the supervisor stops answering
        monkeypatch.setattr(pool_mod, "HOST_GRACE_S", 0.5)
        r = one.execute("print(1)", timeout_s=0.5)
        assert r.status == "killed" and "did not answer" in r.reason
        deadline = time.monotonic() + 5
        while Path(f"/proc/{supervisor[0]}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)  # SIGKILLed: the kernel is tearing the namespace down
        assert not Path(f"/proc/{supervisor[0]}").exists()
        assert one.execute("print(2)").stdout == "2\n"  # a fresh sandbox replaced it
    finally:
        one.close()


def test_supervisor_dies_with_bwrap_after_jobs(sbx):
    """The parent-death signal must survive the supervisor's per-job clean-up (euid switch)."""
    import signal

    one = Sandbox(concurrency=1, config=sbx.config)
    try:
        assert one.execute("open('/tmp/x', 'w').write('1')").status == "ok"
        worker = one._all[0]
        sup = worker.supervisor_pid
        assert sup and Path(f"/proc/{sup}").exists()
        os.kill(worker.proc.pid, signal.SIGKILL)  # only bwrap, not the supervisor
        deadline = time.monotonic() + 5
        while Path(f"/proc/{sup}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not Path(f"/proc/{sup}").exists()
    finally:
        one.close()
