"""The `code` verifier: extraction, assert-style and stdin/stdout tests, HumanEval and MBPP."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sandbox import BwrapConfig, Sandbox
from verifiers import get_verifier, list_verifiers
from verifiers.code import CodeVerifier, extract_program, outputs_match

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _jsonl(rel: str) -> list[dict]:
    path = DATA / rel
    if not path.exists():
        pytest.skip(f"dataset not found at {path} (the shared eval data folder is absent)")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _he_truth(p: dict) -> dict:
    return {"tests": p["test"], "entry_point": p["entry_point"]}


def _mbpp_truth(m: dict) -> dict:
    return {"tests": m["test_list"], "setup": m["test_imports"]}


def test_registered_and_extraction():
    assert "code" in list_verifiers() and isinstance(get_verifier("code"), CodeVerifier)
    text = "blah\n```python\nx = 1\n```\nmore\n```py\nx = 2\n```\n```text\nnope\n```"
    assert extract_program(text) == "x = 2\n"
    assert extract_program("```\nprint(3)\n```") == "print(3)\n"
    assert extract_program("print(4)") == "print(4)"
    assert extract_program("```bash\necho\n```\n```python\nz\n```", "bash") == "echo\n"


def test_outputs_match_is_whitespace_tolerant():
    assert outputs_match("1 2\n3  \n\n\n", "1 2\n3")
    assert outputs_match("1\r\n2\r\n", "1\n2\n")
    assert outputs_match("1   2\n3", "1 2 3")
    assert not outputs_match("1 2 4", "1 2 3")
    assert not outputs_match("0.3333", "0.33333333")
    assert outputs_match("0.3333", "0.33333333", float_tol=1e-3)
    assert not outputs_match("abc", "abd", float_tol=1e-3)


def test_assert_tests_report_which_failed_and_how():
    v = CodeVerifier(scoring="fraction", timeout_s=1)
    code = ("def f(x):\n    if x == 3:\n        while True: pass\n    if x == 4:\n        raise KeyError(x)\n"
            "    return x * 2")
    tests = [f"assert f({i}) == {i * 2 + (i == 2)}" for i in range(1, 6)]
    out = v(f"Here you go:\n```python\n{code}\n```", {"tests": tests})
    assert [t["status"] for t in out.info["tests"]] == ["pass", "wrong_answer", "timeout", "error", "pass"]
    assert out.score == pytest.approx(0.4) and not out.correct
    assert out.reason.startswith("test 1: wrong_answer") and "KeyError" in out.info["tests"][3]["detail"]
    assert CodeVerifier(timeout_s=1)(code, {"tests": tests}).score == 0.0  # default: all must pass
    stop = CodeVerifier(stop_on_first_failure=True)(code, {"tests": tests})
    assert [t["status"] for t in stop.info["tests"]] == ["pass", "wrong_answer"] + ["not_run"] * 3


def test_setup_prefix_and_entry_point():
    v = get_verifier("code")
    truth = {"prefix": "def add(a, b):\n", "entry_point": "add", "setup": ["import math"],
             "tests": "def check(candidate):\n    assert candidate(2, 3) == 5\n"}
    assert v("    return int(math.fsum([a, b]))\n", truth).correct
    assert not v("    return a - b\n", truth).correct


@pytest.mark.parametrize("hack", [
    "import os\nos._exit(0)",
    "import sys\nsys.exit(0)",
    "raise SystemExit",
    "import signal, os\nos.kill(os.getpid(), signal.SIGKILL)",
    "print('\\n' + 'a' * 32 + ' [0, \"pass\", \"\"]')",
])
def test_early_exit_and_forged_reports_do_not_pass(hack):
    verdict = get_verifier("code")(hack, {"tests": ["assert f() == 1"]})
    assert verdict.score == 0.0 and verdict.reason


def test_stdin_stdout_cases():
    v = CodeVerifier(scoring="fraction", timeout_s=2)
    truth = {"inputs": ["1 2\n", "3 4\n", "5 6\n", "x\n"], "outputs": ["3\n", "7  \n\n", "12", "0"]}
    out = v("a, b = map(int, input().split())\nprint(a + b)", truth)
    assert [t["status"] for t in out.info["tests"]] == ["pass", "pass", "wrong_answer", "error"]
    assert out.score == pytest.approx(0.5) and "got '11\\n'" in out.info["tests"][2]["detail"]
    slow = v("import time\ntime.sleep(60)", {"inputs": ["1"], "outputs": ["1"]})
    assert slow.info["tests"][0]["status"] == "timeout" and slow.score == 0.0
    first = CodeVerifier(stop_on_first_failure=True)("print(1)", {"inputs": ["", ""], "outputs": ["2", "1"]})
    assert [t["status"] for t in first.info["tests"]] == ["wrong_answer", "not_run"]
    assert get_verifier("code")("print(input())", json.dumps({"inputs": ["hi"], "outputs": ["hi"]})).correct


def test_failures_are_verdicts_never_exceptions():
    v = get_verifier("code")
    assert v("print(1)", {"nothing": 1}).score == 0.0
    assert v("print(1)", {"inputs": ["1"], "outputs": []}).reason.startswith("code verifier error")
    assert v("print(1)", "not json").score == 0.0
    broken = CodeVerifier(backend=Sandbox(concurrency=1, config=BwrapConfig(python="/nonexistent/py")))
    out = broken("print(1)", {"inputs": [""], "outputs": ["1"]})
    assert out.score == 0.0 and "sandbox unavailable" in out.info["tests"][0]["detail"]
    remote = CodeVerifier(remote_url="http://127.0.0.1:9")("print(1)", {"tests": ["assert True"]})
    assert remote.score == 0.0 and "unreachable" in remote.reason


def _verify_all(v: CodeVerifier, pairs: list[tuple[str, dict]]) -> list:
    with ThreadPoolExecutor(4) as ex:
        return list(ex.map(lambda pr: v(*pr), pairs))


def test_humaneval_canonical_solutions_all_pass():
    problems = _jsonl("humaneval/HumanEval.jsonl")
    assert len(problems) == 164
    verdicts = _verify_all(CodeVerifier(timeout_s=10), [(p["prompt"] + p["canonical_solution"], _he_truth(p))
                                                        for p in problems])
    failed = [(p["task_id"], v.reason) for p, v in zip(problems, verdicts, strict=True) if not v.correct]
    assert not failed


# One-character changes to the logic of canonical solutions: each must fail.
MUTATIONS = [("HumanEval/2", "% 1.0", "% 2.0"), ("HumanEval/0", "<", ">"), ("HumanEval/13", "a % b", "a % a"),
             ("HumanEval/55", "n - 1", "n - 2"), ("HumanEval/100", "2*i", "3*i"),
             ("HumanEval/53", "x + y", "x - y")]


@pytest.mark.parametrize(("task_id", "old", "new"), MUTATIONS)
def test_humaneval_one_character_mutation_fails(task_id, old, new):
    p = next(p for p in _jsonl("humaneval/HumanEval.jsonl") if p["task_id"] == task_id)
    assert sum(a != b for a, b in zip(old, new, strict=True)) == 1
    verdict = get_verifier("code")(p["prompt"] + p["canonical_solution"].replace(old, new, 1), _he_truth(p))
    assert not verdict.correct and verdict.reason.startswith("test 0: wrong_answer")


def _mbpp_check(rows: list[dict]) -> None:
    # Task 123's reference is O(n^2) (amicable numbers below 9999): ~7 s on one core.
    verdicts = _verify_all(CodeVerifier(timeout_s=30), [(m["code"], _mbpp_truth(m)) for m in rows])
    failed = [(m["task_id"], v.reason) for m, v in zip(rows, verdicts, strict=True) if not v.correct]
    assert not failed


def test_mbpp_reference_solutions_subset_pass():
    rows = _jsonl("mbpp/sanitized-mbpp.jsonl")
    assert len(rows) == 427
    _mbpp_check(rows[::5])  # 86 tasks; the full set is the slow test below


@pytest.mark.slow
def test_mbpp_reference_solutions_all_pass():
    rows = _jsonl("mbpp/sanitized-mbpp.jsonl")
    assert len(rows) == 427
    _mbpp_check(rows)


def test_mbpp_mutation_fails_with_fraction():
    m = next(m for m in _jsonl("mbpp/sanitized-mbpp.jsonl") if m["task_id"] == 2)
    bad = m["code"].replace("&", "|")
    verdict = CodeVerifier(scoring="fraction")(bad, _mbpp_truth(m))
    assert verdict.score < 1.0 and verdict.info["first_failure"]["status"] == "wrong_answer"
