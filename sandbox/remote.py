"""Remote backend: a SandboxFusion-compatible HTTP service (``POST {url}/run_code``).

Request (SandboxFusion ``RunCodeRequest``)::

    {"code": str, "language": "python", "stdin": str, "run_timeout": float,
     "memory_limit_MB": int, "files": {path: base64}}

Response (``RunCodeResponse``)::

    {"status": "Success" | "Failed" | "SandboxError", "message": str,
     "run_result": {"status": "Finished" | "TimeLimitExceeded" | "Error",
                    "execution_time": float, "return_code": int | null,
                    "stdout": str, "stderr": str}}

Isolation is whatever the service provides. Network errors and malformed answers are
returned as ``status="killed"`` results with a reason, never raised.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request

from sandbox.types import ExecResult, Limits, classify


class RemoteBackend:
    """Client for a SandboxFusion ``run_code`` endpoint (stdlib ``urllib`` only)."""

    def __init__(self, url: str, *, headers: dict[str, str] | None = None, request_slack_s: float = 30.0,
                 language_map: dict[str, str] | None = None) -> None:
        self.url = url.rstrip("/") + "/run_code"
        self.headers = {"Content-Type": "application/json", **(headers or {})}
        self.request_slack_s = request_slack_s
        self.language_map = language_map or {}

    def execute(self, code: str, *, language: str = "python", stdin: str = "",
                files: dict[str, str | bytes] | None = None, limits: Limits | None = None,
                env: dict[str, str] | None = None) -> ExecResult:
        """Run one program on the service. ``env`` is not part of the API and must be empty."""
        lim = limits or Limits()
        if env:
            return ExecResult("killed", None, "", "", 0.0, reason="remote backend does not support env")
        body = {"code": code, "language": self.language_map.get(language, language), "stdin": stdin,
                "run_timeout": lim.timeout_s, "memory_limit_MB": lim.memory_mb,
                "files": {k: base64.b64encode(v.encode() if isinstance(v, str) else v).decode()
                          for k, v in (files or {}).items()}}
        req = urllib.request.Request(self.url, data=json.dumps(body).encode(), headers=self.headers,
                                     method="POST")
        start = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=lim.timeout_s + self.request_slack_s) as resp:
                data = json.loads(resp.read())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            return ExecResult("killed", None, "", "", time.monotonic() - start,
                              reason=f"remote sandbox unreachable: {exc}")
        return self._parse(data, lim, time.monotonic() - start)

    @staticmethod
    def _parse(data: dict, lim: Limits, elapsed: float) -> ExecResult:
        run = data.get("run_result") or {}
        if data.get("status") == "SandboxError" or not run:
            return ExecResult("killed", None, run.get("stdout") or "", run.get("stderr") or "", elapsed,
                              reason=f"remote sandbox error: {data.get('message', '')}"[:500],
                              info={"remote": data.get("status")})
        out = (run.get("stdout") or "")[: lim.max_output_bytes]
        err = (run.get("stderr") or "")[: lim.max_output_bytes]
        wall = float(run.get("execution_time") or elapsed)
        code = run.get("return_code")
        if run.get("status") == "TimeLimitExceeded":
            return ExecResult("timeout", code, out, err, wall, reason="remote time limit exceeded")
        if len(run.get("stdout") or "") > lim.max_output_bytes:
            return ExecResult("output_limit", code, out, err, wall, reason="output limit exceeded")
        status, reason = classify(code, err, 0.0, lim.cpu_limit())
        return ExecResult(status, code, out, err, wall, reason, {"remote": data.get("status")})
