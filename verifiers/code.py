"""The ``code`` verifier: run a response's program against tests inside `sandbox`.

Ground-truth formats (a dict, or the same dict as a JSON string):

* assert style (HumanEval, MBPP)::

      {"tests": str | list[str], "entry_point": str | None, "setup": str, "prefix": str}

  ``tests`` as a string is one test (HumanEval: it defines ``check(candidate)``; with an
  ``entry_point`` the harness then calls ``check(<entry_point>)``); as a list, each item is
  one test (MBPP: one ``assert`` each). ``setup`` runs before the program (MBPP
  ``test_imports``); ``prefix`` is prepended to it (HumanEval completion-only responses).
  A test passes when it raises nothing; AssertionError is a wrong answer.
* stdin/stdout (APPS, CodeContests, LiveCodeBench)::

      {"inputs": [str, ...], "outputs": [str, ...]}

  Each case runs the program with the input on stdin; stdout is compared *outside* the
  sandbox (expected outputs never enter it), ignoring trailing whitespace on lines and
  trailing blank lines, then (fallback) as whitespace-separated tokens, with optional
  ``float_tol`` on numeric tokens.

Score is 1.0 when every test passes (``scoring="all"``, default) or the fraction passed
(``scoring="fraction"``). ``info["tests"]`` lists each test's status: pass, wrong_answer,
error, timeout, memory, output_limit, not_run. Failures never raise.
"""

from __future__ import annotations

import json
import math
import re
import secrets
from typing import Any

import sandbox
from verifiers.base import Verdict
from verifiers.registry import register

_FENCES = {"python": ("python", "python3", "py"), "bash": ("bash", "sh", "shell"),
           "sh": ("sh", "bash", "shell")}
_BLOCK = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)```", re.S)

_HARNESS = r'''
import json as _json, os as _os, signal as _signal, sys as _sys, traceback as _tb
_W, _NONCE = _os.write, {nonce!r}
_TESTS, _LIMIT, _STOP = {tests!r}, {per_test!r}, {stop!r}
def _rep(i, st, msg=""):
    _W(1, ("\n" + _NONCE + " " + _json.dumps([i, st, msg[-400:]]) + "\n").encode())
class _TestTimeout(BaseException):
    pass
def _alarm(*_):
    raise _TestTimeout()
def _why(e):
    return "".join(_tb.format_exception_only(type(e), e)).strip()
_g = {{"__name__": "solution", "__builtins__": __builtins__}}
_signal.signal(_signal.SIGALRM, _alarm)
_signal.setitimer(_signal.ITIMER_REAL, _LIMIT)
try:
    with open("solution.py") as _f:
        _src = _f.read()
    exec(compile(_src, "solution.py", "exec"), _g)
    _signal.setitimer(_signal.ITIMER_REAL, 0)
except BaseException as _e:
    _signal.setitimer(_signal.ITIMER_REAL, 0)
    _st = "timeout" if isinstance(_e, _TestTimeout) else "memory" if isinstance(_e, MemoryError) else "error"
    _rep(-1, _st, "loading exceeded %ss" % _LIMIT if _st == "timeout" else _why(_e))
    _os._exit(0)
for _i, _t in enumerate(_TESTS):
    _signal.signal(_signal.SIGALRM, _alarm)
    _signal.setitimer(_signal.ITIMER_REAL, _LIMIT)
    try:
        exec(compile(_t, "test_%d" % _i, "exec"), _g)
        _st, _msg = "pass", ""
    except _TestTimeout:
        _st, _msg = "timeout", "test exceeded %ss" % _LIMIT
    except AssertionError as _e:
        _st, _msg = "wrong_answer", _why(_e)
    except MemoryError as _e:
        _st, _msg = "memory", "MemoryError"
    except BaseException as _e:
        _st, _msg = "error", _why(_e)
    finally:
        _signal.setitimer(_signal.ITIMER_REAL, 0)
    _rep(_i, _st, _msg)
    if _st != "pass" and _STOP:
        break
_rep("done", "done")
'''


def extract_program(response: str, language: str = "python") -> str:
    """The last fenced block in ``language`` (or an untagged one), else the whole text."""
    blocks = _BLOCK.findall(response)
    tags = _FENCES.get(language, (language,))
    for want in (tags, ("",)):
        picked = [body for tag, body in blocks if tag.lower() in want]
        if picked:
            return picked[-1]
    return response


def outputs_match(actual: str, expected: str, float_tol: float | None = None) -> bool:
    """Whitespace-tolerant comparison of a program's stdout with the expected output."""
    norm = lambda s: "\n".join(ln.rstrip() for ln in s.replace("\r\n", "\n").rstrip().split("\n"))
    if norm(actual) == norm(expected):
        return True
    a, e = actual.split(), expected.split()
    if a == e:
        return True
    if float_tol is None or len(a) != len(e):
        return False
    for x, y in zip(a, e, strict=True):
        if x == y:
            continue
        try:
            fx, fy = float(x), float(y)
        except ValueError:
            return False
        if not math.isclose(fx, fy, rel_tol=float_tol, abs_tol=float_tol):
            return False
    return True


def _status_of(res: sandbox.ExecResult) -> str:
    return {"ok": "pass", "error": "error", "timeout": "timeout", "memory": "memory",
            "output_limit": "output_limit"}.get(res.status, "error")


@register("code")
class CodeVerifier:
    """Runs the extracted program against the ground truth's tests in the sandbox."""

    def __init__(self, language: str = "python", scoring: str = "all", stop_on_first_failure: bool = False,
                 timeout_s: float = 6.0, memory_mb: int = 512, max_output_bytes: int = 1 << 20,
                 float_tol: float | None = None, backend: Any = None, remote_url: str | None = None) -> None:
        if scoring not in ("all", "fraction"):
            raise ValueError("scoring must be 'all' or 'fraction'")
        self.language, self.scoring, self.stop = language, scoring, stop_on_first_failure
        self.timeout_s, self.memory_mb, self.max_output_bytes = timeout_s, memory_mb, max_output_bytes
        self.float_tol = float_tol
        self.backend = backend if backend is not None else (
            sandbox.RemoteBackend(remote_url) if remote_url else None)

    def _run(self, code: str, stdin: str = "", files: dict[str, str] | None = None,
             timeout_s: float | None = None) -> sandbox.ExecResult:
        try:
            return sandbox.execute(code, language=self.language, stdin=stdin, files=files,
                                   timeout_s=timeout_s or self.timeout_s, memory_mb=self.memory_mb,
                                   max_output_bytes=self.max_output_bytes, backend=self.backend)
        except Exception as exc:  # noqa: BLE001 - a broken sandbox is a zero verdict, not a crash
            return sandbox.ExecResult("killed", None, "", "", 0.0, reason=f"sandbox unavailable: {exc}")

    def __call__(self, response: str, ground_truth: Any, **meta: Any) -> Verdict:
        try:
            gt = json.loads(ground_truth) if isinstance(ground_truth, str) else dict(ground_truth)
            program = extract_program(response, self.language)
            if "tests" in gt:
                results = self._asserts(program, gt)
            elif "inputs" in gt and "outputs" in gt:
                results = self._stdio(program, list(gt["inputs"]), list(gt["outputs"]))
            else:
                return Verdict.fail("ground truth needs 'tests' or 'inputs'/'outputs'", extracted=program)
        except Exception as exc:  # noqa: BLE001
            return Verdict.fail(f"code verifier error: {type(exc).__name__}: {exc}")
        return self._verdict(program, results)

    def _verdict(self, program: str, results: list[dict[str, Any]]) -> Verdict:
        total = len(results)
        passed = sum(r["status"] == "pass" for r in results)
        failed = next((r for r in results if r["status"] != "pass"), None)
        score = (passed / total if total else 0.0) if self.scoring == "fraction" else float(
            total > 0 and passed == total)
        reason = None
        if failed is not None:
            reason = f"test {failed['index']}: {failed['status']}" + (
                f" ({failed['detail']})" if failed.get("detail") else "")
        elif not total:
            reason = "no tests"
        return Verdict(score=score, correct=total > 0 and passed == total, extracted=program, reason=reason,
                       info={"passed": passed, "total": total, "tests": results, "first_failure": failed})

    def _asserts(self, program: str, gt: dict[str, Any]) -> list[dict[str, Any]]:
        tests = gt["tests"]
        if isinstance(tests, str):
            entry = gt.get("entry_point")
            tests = [tests + (f"\ncheck({entry})\n" if entry and "def check" in tests else "")]
        tests = [str(t) for t in tests]
        code = (gt.get("prefix") or "") + program
        setup = gt.get("setup") or ""
        if isinstance(setup, list):
            setup = "\n".join(setup)
        nonce = secrets.token_hex(16)
        harness = _HARNESS.format(nonce=nonce, tests=tests, per_test=float(self.timeout_s), stop=self.stop)
        budget = self.timeout_s * (len(tests) + 1) + 2.0
        res = self._run(harness, files={"solution.py": setup + "\n" + code}, timeout_s=budget)
        reports: dict[Any, tuple[str, str]] = {}
        for line in res.stdout.splitlines():
            if line.startswith(nonce + " "):
                try:
                    idx, st, msg = json.loads(line[len(nonce) + 1:])
                except ValueError:
                    continue
                reports.setdefault(idx, (st, msg))
        crash_st = _status_of(res) if res.status != "ok" else "error"
        crash_msg = res.reason or "program exited before the test reported"
        if res.stderr.strip():
            crash_msg += ": " + res.stderr.strip().splitlines()[-1][-300:]
        load, blamed, failed_before = reports.get(-1), False, False
        out: list[dict[str, Any]] = []
        for i in range(len(tests)):
            if load is not None:
                st, msg = load[0], f"program failed to load: {load[1]}"
            elif i in reports:
                st, msg = reports[i]
            elif self.stop and failed_before:
                st, msg = "not_run", "stopped after an earlier failure"
            elif not blamed:  # the test that was running when the program died
                st, msg, blamed = crash_st, crash_msg, True
            else:
                st, msg = "not_run", "the program ended before this test ran"
            failed_before = failed_before or st != "pass"
            out.append({"index": i, "status": st, "detail": msg})
        return out

    def _stdio(self, program: str, inputs: list[Any], outputs: list[Any]) -> list[dict[str, Any]]:
        if len(inputs) != len(outputs):
            raise ValueError(f"{len(inputs)} inputs but {len(outputs)} outputs")
        out: list[dict[str, Any]] = []
        stopped = False
        for i, (inp, exp) in enumerate(zip(inputs, outputs, strict=True)):
            if stopped:
                out.append({"index": i, "status": "not_run", "detail": "stopped after an earlier failure"})
                continue
            res = self._run(program, stdin=str(inp))
            if res.status == "ok":
                ok = outputs_match(res.stdout, str(exp), self.float_tol)
                st, msg = ("pass", "") if ok else ("wrong_answer", f"got {res.stdout[:200]!r}")
            else:
                st = _status_of(res)
                msg = res.reason or ""
                if res.stderr.strip():
                    msg += ": " + res.stderr.strip().splitlines()[-1][-300:]
            out.append({"index": i, "status": st, "detail": msg})
            stopped = self.stop and st != "pass"
        return out
