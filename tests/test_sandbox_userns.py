"""userns mode (the host is not root): run the sandbox from an unprivileged uid.

Needs root here (to drop to ``nobody`` with setpriv) and a system interpreter readable by
that uid; skipped with the reason otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SYSTEM_PY = next((p for p in ("/usr/bin/python3", "/usr/local/bin/python3") if os.access(p, os.X_OK)), None)

SCRIPT = r"""
import json, sandbox
sb = sandbox.Sandbox(concurrency=1)
out = {"mode": sb.config.resolved_mode()}
r = sb.execute("import os\nprint(os.getuid())")
out["uid"] = r.stdout.strip()
out["net"] = sb.execute("import socket\nsocket.create_connection(('127.0.0.1', 22), 1)").stderr.splitlines()[-1]
out["bomb"] = sb.execute("import os\nwhile True:\n    try: os.fork()\n    except OSError: pass", timeout_s=2).status
out["nest"] = sb.execute("import ctypes\nprint(ctypes.CDLL(None).unshare(0x10000000))").stdout.strip()
out["init"] = sb.execute("import os\nos.kill(1, 9)\nprint('ok')").stdout.strip()
out["after"] = sb.execute("import os\nprint(sorted(os.listdir('/tmp')))").stdout.strip()
w = ("for p in ('/x', '/etc/x', '/dev/x', '/dev/shm/x', '/sandbox/x'):\n"
     "    try: open(p, 'w'); print(p)\n    except OSError: pass")
out["written"] = sb.execute(w).stdout.strip()
sb.close()
print(json.dumps(out))
"""


def test_userns_mode_from_an_unprivileged_uid():
    if os.geteuid() != 0 or not shutil.which("setpriv") or SYSTEM_PY is None:
        pytest.skip("needs root, setpriv and a system python3 to impersonate an unprivileged host user")
    proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", SYSTEM_PY, "-c", SCRIPT],
                          capture_output=True, text=True, timeout=120, cwd="/tmp",
                          env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", "PYTHONPATH": str(REPO),
                               "PYTHONDONTWRITEBYTECODE": "1"})
    if "user namespace" in proc.stderr or "Operation not permitted" in proc.stderr:
        pytest.skip(f"unprivileged user namespaces unavailable: {proc.stderr[-300:]}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.splitlines()[-1])
    assert out["mode"] == "userns" and out["uid"] == "65534"
    assert "Network is unreachable" in out["net"]
    assert out["bomb"] in ("timeout", "killed", "error")
    assert out["nest"] == "-1" and out["init"] == "ok" and out["after"] == "['main.py']"
    assert out["written"] == "", f"writable outside /tmp: {out['written']}"
    leftovers = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"/sandbox/runner.py" in cmd and Path(f"/proc/{pid}").stat().st_uid == 65534:
            leftovers.append(pid)
    assert not leftovers, "sandboxed processes outlived the unprivileged pool"
