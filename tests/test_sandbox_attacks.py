"""The attack corpus: hostile programs, each contained, with the host checked clean afterwards.

Every test runs one attack in a module-wide pool, asserts the attack failed in the way the
isolation model promises, then `_assert_host_clean` checks that each worker's namespace
holds only its supervisor, no process runs under the sandbox uids, the host listeners saw
no traffic and no sentinel file appeared on the host. Module teardown closes the pool and
asserts nothing at all is left.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
from collections import defaultdict
from pathlib import Path

import pytest

from sandbox import BwrapConfig, Sandbox, SandboxUnavailable
from verifiers.code import CodeVerifier

UID_BASE = 62000 + (os.getpid() % 500) * 4
SECRET = "s3cr3t-" + secrets.token_hex(8)
HOST_SENTINEL = Path("/tmp") / f"sandbox-escape-{secrets.token_hex(6)}"
HOME_SECRET = Path.home() / f".sandbox-test-secret-{secrets.token_hex(6)}"


def _ppids() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = defaultdict(list)
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = Path(f"/proc/{name}/stat").read_text()
            except OSError:
                continue
            kids[int(stat.rsplit(")", 1)[1].split()[1])].append(int(name))
    return kids


def _descendants(pid: int) -> list[int]:
    kids, out, todo = _ppids(), [], [pid]
    while todo:
        for child in kids.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _sandbox_uid_procs() -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        try:
            status = Path(f"/proc/{name}/status").read_text()
        except OSError:
            continue
        uid = int(status.split("Uid:")[1].split()[0])
        if UID_BASE <= uid < UID_BASE + 4:
            found.append(int(name))
    return found


class _Listeners:
    """A TCP and a UDP socket on the host's 127.0.0.1; counts anything that reaches them."""

    def __init__(self) -> None:
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.hits = 0
        self._stop = False
        self.tcp.settimeout(0.2)
        self.udp.settimeout(0.2)
        self._threads = [threading.Thread(target=self._loop, args=(s,), daemon=True)
                         for s in (self.tcp, self.udp)]
        for t in self._threads:
            t.start()

    def _loop(self, sock: socket.socket) -> None:
        while not self._stop:
            try:
                if sock.type == socket.SOCK_STREAM:
                    conn, _ = sock.accept()
                    conn.close()
                else:
                    sock.recv(100)
                self.hits += 1
            except OSError:
                continue

    def close(self) -> None:
        self._stop = True
        for t in self._threads:
            t.join()
        self.tcp.close()
        self.udp.close()


@pytest.fixture(scope="module")
def env():
    os.environ["REASONER_SANDBOX_TEST_SECRET"] = SECRET
    HOME_SECRET.write_text(SECRET)
    listeners = _Listeners()
    pool = Sandbox(concurrency=2, config=BwrapConfig(uid_base=UID_BASE))
    try:
        pool.check()
    except SandboxUnavailable as exc:
        pytest.fail(f"kernel isolation unavailable here (CI installs bubblewrap): {exc}")
    yield pool, listeners
    workers = list(pool._all)
    pool.close()
    listeners.close()
    del os.environ["REASONER_SANDBOX_TEST_SECRET"]
    HOME_SECRET.unlink()
    assert all(w.proc is None for w in workers)
    assert not _sandbox_uid_procs(), "a sandboxed process outlived the pool"
    assert listeners.hits == 0 and not HOST_SENTINEL.exists()


def _assert_host_clean(pool: Sandbox, listeners: _Listeners) -> None:
    for w in pool._all:
        if w.alive:
            inside = _descendants(w.proc.pid)
            assert len(inside) <= 1, f"worker namespace still holds {inside}"  # only the supervisor
    assert not _sandbox_uid_procs(), "a sandboxed process survived its job"
    assert listeners.hits == 0, "something reached the host's loopback"
    assert not HOST_SENTINEL.exists()


def run(env, code, **kw):
    pool, listeners = env
    res = pool.execute(code, **{"timeout_s": 3, **kw})
    _assert_host_clean(pool, listeners)
    assert SECRET not in res.stdout + res.stderr
    return res


TRY = "def t(label, f):\n    try:\n        f(); print(label, 'ESCAPED')\n    except Exception as e:\n" \
      "        print(label, 'blocked', type(e).__name__)\n"


def test_connect_out(env):
    r = run(env, TRY + "import socket\nfor h in ('1.1.1.1', '8.8.8.8', '10.0.0.1'):\n"
            "    t(h, lambda: socket.create_connection((h, 53), timeout=1))\n")
    assert r.stdout.count("blocked") == 3 and "ESCAPED" not in r.stdout


def test_connect_host_loopback_listener(env):
    _, listeners = env
    port, uport = listeners.tcp.getsockname()[1], listeners.udp.getsockname()[1]
    r = run(env, TRY + "import socket\n"
            f"t('tcp', lambda: socket.create_connection(('127.0.0.1', {port}), 1))\n"
            "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            f"t('udp', lambda: u.sendto(b'x', ('127.0.0.1', {uport})))\n")
    assert "tcp blocked" in r.stdout and "udp blocked" in r.stdout and "ESCAPED" not in r.stdout


def test_dns(env):
    r = run(env, TRY + "import socket\nt('dns', lambda: socket.getaddrinfo('example.com', 80))\n")
    assert "dns blocked" in r.stdout


def test_write_outside_temp_dir(env):
    targets = [str(HOST_SENTINEL).replace("/tmp", "/usr"), "/etc/evil", "/sandbox/evil", "/root/evil",
               "/usr/lib/evil", str(Path(__file__).parent / "evil"), "/proc/evil", "/dev/shm/evil", "/evil",
               "/dev/evil"]
    r = run(env, TRY + f"for p in {targets!r}:\n    t(p, lambda: open(p, 'w').write('x'))\n"
            "open('/tmp/fine', 'w').write('ok')\nprint('tmp ok')\n")
    assert r.stdout.count("blocked") == len(targets) and "tmp ok" in r.stdout
    assert not (Path(__file__).parent / "evil").exists()


def test_no_view_of_host_home_or_root(env):
    r = run(env, TRY + f"t('home', lambda: print(open({str(HOME_SECRET)!r}).read()))\n"
            "import os\nprint(os.listdir('/root'), os.path.exists('/home'), os.path.exists('/work'))\n")
    assert "home blocked" in r.stdout and "True" not in r.stdout


def test_etc_shadow(env):
    r = run(env, TRY + "t('shadow', lambda: print(open('/etc/shadow').read()))\n"
            "t('passwd', lambda: print(open('/etc/passwd').read()))\n")
    assert "shadow blocked" in r.stdout and "root:" not in r.stdout


def test_parent_environment_is_invisible(env):
    r = run(env, "import os\nprint(dict(os.environ))\nfor p in ('/proc/1/environ', '/proc/self/environ'):\n"
            "    try: print(open(p, 'rb').read())\n    except Exception as e: print(p, e)\n")
    assert r.status == "ok" and "REASONER_SANDBOX_TEST_SECRET" not in r.stdout


def test_fork_bomb(env):
    r = run(env, "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
            timeout_s=2)
    assert r.status in ("timeout", "killed", "error")
    assert run(env, "print('alive')").stdout == "alive\n"


def test_memory_bomb(env):
    r = run(env, "xs = []\nwhile True:\n    xs.append(bytearray(50 << 20))\n", memory_mb=256)
    assert r.status == "memory"


def test_cpu_spin(env):
    r = run(env, "while True:\n    pass\n", timeout_s=1)
    assert r.status == "timeout" and r.wall_s < 2.5


def test_sleep_forever(env):
    r = run(env, "import time\ntime.sleep(10 ** 6)\n", timeout_s=1)
    assert r.status == "timeout" and r.wall_s < 2.5


def test_daemonised_grandchild_is_killed(env):
    r = run(env, "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
            "        os.close(1); os.close(2)\n        time.sleep(0.3)\n"
            "        open('/tmp/late', 'w').write('x')\n"
            "        time.sleep(10 ** 6)\n    os._exit(0)\nprint('parent done')\n")
    assert r.status == "ok" and r.wall_s < 2
    pool, _ = env
    later = pool.execute_many([{"code": "import os, time\ntime.sleep(0.5)\nprint(os.listdir('/tmp'), "
                                "sorted(p for p in os.listdir('/proc') if p.isdigit()))"}] * 2)
    for res in later:
        files, pids = res.stdout.split("] [")
        assert "late" not in files and len(pids.split(",")) == 2, res.stdout  # supervisor + this job


def test_output_flood(env):
    r = run(env, "import os\nwhile True:\n    os.write(1, b'x' * 65536)\n    os.write(2, b'y' * 65536)\n",
            max_output_bytes=100_000)
    assert r.status == "output_limit", (r.status, r.reason, r.stderr[-300:])
    assert len(r.stdout) <= 100_000 and len(r.stderr) <= 100_000


def test_close_stdout_then_spin(env):
    r = run(env, "import os\nos.close(1)\nos.close(2)\nwhile True:\n    pass\n", timeout_s=1)
    assert r.status == "timeout"


def test_raise_rlimits(env):
    r = run(env, TRY + "import resource as R\nfor n in ('RLIMIT_AS', 'RLIMIT_NPROC', 'RLIMIT_CPU', "
            "'RLIMIT_NOFILE', 'RLIMIT_FSIZE'):\n"
            "    t(n, lambda: R.setrlimit(getattr(R, n), (R.RLIM_INFINITY,) * 2))\n")
    assert r.stdout.count("blocked") == 5


def test_signal_the_parent_and_everyone(env):
    r = run(env, TRY + "import os, signal\nt('ppid', lambda: os.kill(os.getppid(), signal.SIGKILL))\n"
            "t('init', lambda: os.kill(1, signal.SIGKILL))\nt('all', lambda: os.kill(-1, signal.SIGKILL))\n"
            "print('still here')\n")
    assert "still here" in r.stdout
    pool, _ = env
    assert [x.stdout for x in pool.execute_many([{"code": "print(1)"}] * 4)] == ["1\n"] * 4


def test_fill_temp_dir(env):
    r = run(env, "n = 0\ntry:\n    while True:\n        open(f'/tmp/f{n}', 'wb').write(b'x' * (4 << 20))\n"
            "        n += 1\nexcept OSError as e:\n    print('stopped', n, e.errno)\n", timeout_s=5)
    assert "stopped" in r.stdout
    assert "main.py" in run(env, "import os\nprint(os.listdir('/tmp'))").stdout


def test_symlink_escape(env):
    r = run(env, TRY + "import os\nos.symlink('/etc/passwd', '/tmp/l')\nos.symlink('/', '/tmp/r')\n"
            "t('link', lambda: open('/tmp/l', 'a').write('x'))\n"
            "t('root', lambda: open('/tmp/r/usr/evil', 'w').write('x'))\n"
            "t('hardlink', lambda: os.link('/usr/bin/env', '/tmp/h'))\n")
    assert r.stdout.count("blocked") == 3


def test_proc_1_and_ptrace(env):
    r = run(env, TRY + "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
            "for f in ('environ', 'mem', 'fd/0'):\n    t(f, lambda: open('/proc/1/' + f, 'rb').read(10))\n"
            "print('ptrace', libc.ptrace(16, 1, 0, 0))\n"
            "print('pids', sorted(p for p in os.listdir('/proc') if p.isdigit()))\n")
    assert r.stdout.count("blocked") == 3 and "ptrace -1" in r.stdout
    assert r.stdout.split("pids ")[1].count(",") == 1  # only the supervisor and this job


def test_ctypes_libc_privilege_calls(env):
    r = run(env, "import ctypes, subprocess\nlibc = ctypes.CDLL(None, use_errno=True)\n"
            "print('unshare', libc.unshare(0x10000000))\nprint('setuid', libc.setuid(0))\n"
            "print('mount', libc.mount(b'none', b'/tmp', b'tmpfs', 0, None))\n"
            "print('chroot', libc.chroot(b'/tmp'))\n"
            "p = subprocess.run(['unshare', '-r', 'id'], capture_output=True, text=True)\n"
            "print('cli', p.returncode)\n")
    assert "unshare -1" in r.stdout and "setuid -1" in r.stdout and "mount -1" in r.stdout
    assert "chroot -1" in r.stdout and "cli 0" not in r.stdout


def test_cannot_read_expected_outputs(env):
    pool, listeners = env
    thief = ("import os\nneedle, found = 'EXPE' + 'CTED-', []\nfor root, _, files in os.walk('/'):\n"
             "    if root.startswith(('/proc', '/usr', '/sys', '/dev', '/root')):\n        continue\n"
             "    for f in files:\n        try:\n            p = os.path.join(root, f)\n"
             "            if not os.path.islink(p) and needle in open(p, errors='ignore').read():\n"
             "                found.append(f)\n        except OSError:\n            pass\n"
             "blob = open('/proc/self/cmdline').read() + str(os.environ) + open('/proc/1/cmdline').read()\n"
             "print(needle in blob or bool(found), input())\n")
    truth = {"inputs": ["1\n"], "outputs": ["EXPECTED-9f2c"]}
    verdict = CodeVerifier(backend=pool, timeout_s=20)(thief, truth)
    _assert_host_clean(pool, listeners)
    assert verdict.score == 0.0 and "got 'False 1" in verdict.reason


def test_host_pids_invisible(env):
    r = run(env, f"import os\nprint(sorted(p for p in os.listdir('/proc') if p.isdigit()), {os.getpid()})")
    inside = r.stdout.split("]")[0]
    assert inside.startswith("['1', ") and inside.count(",") == 1 and str(os.getpid()) not in inside
