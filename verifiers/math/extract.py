"""Answer extraction: pull the final answer out of a free-form response.

Extractors, tried in a configurable order (the first that finds something wins):

- ``boxed``: the last top-level ``\\boxed{...}`` or ``\\fbox{...}`` (nested braces).
- ``hash``: GSM8K's ``#### 42`` (text after the last ``####`` on its line).
- ``answer``: "The (final) answer is X", "Answer: X", "**Final Answer:** X", and a
  "# Answer" heading followed by the answer (PRM800K's format).
- ``last_number``: the last number in the text.

Everything here is linear in the length of the text (no backtracking regexes,
boxes are found in one left-to-right scan), so a 1 MB response is cheap.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

EXTRACTORS = ("boxed", "hash", "answer", "last_number")
DEFAULT_ORDER: tuple[str, ...] = EXTRACTORS
MAX_ANSWER_CHARS = 2000  # window read after "answer is" / "####"
MAX_BOX_CHARS = 100_000  # a box longer than this is not an answer (normalisation may shrink it)

_BOX_START = re.compile(r"\\(?:boxed|fbox)\b")
_ANSWER_IS = re.compile(r"(?i)\b(?:final\s+answer|answer)\s*(?:\*\*\s*)?(?:is\s*[:=]?|[:：])\s*(?:\*\*)?\s*")
_ANSWER_HEADING = re.compile(r"(?im)^[ \t]*#+[ \t]*(?:final[ \t]+)?answer[ \t]*:?[ \t]*\n\s*")
_NUMBER = re.compile(r"(?<![0-9.])-?[0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?(?:/[0-9]+)?(?![0-9])")


@dataclass(frozen=True)
class Extraction:
    """An extracted answer and the extractor that found it."""

    answer: str
    method: str


def _scan_group(text: str, i: int) -> int:
    """Index just past the brace group opening at ``text[i] == '{'``, or -1 if unbalanced."""
    depth = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] in "{}":
            i += 2  # an escaped brace \{ or \} does not nest
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return -1


def find_boxed(text: str) -> list[str]:
    """Contents of every top-level ``\\boxed{}`` / ``\\fbox{}`` in order (one linear scan).

    A box nested inside another box is part of the outer content. An unbalanced box
    (broken LaTeX) ends the scan: everything after it would be inside it.
    ``\\boxed 5`` (no braces) yields the next token.
    """
    out: list[str] = []
    pos = 0
    while True:
        m = _BOX_START.search(text, pos)
        if m is None:
            return out
        i = m.end()
        while i < len(text) and text[i] == " ":
            i += 1
        if i < len(text) and text[i] == "{":
            end = _scan_group(text, i)
            if end < 0:
                return out
            out.append(text[i + 1:end - 1])
            pos = end
        else:
            tok = re.match(r"[^\s$]+", text[i:i + MAX_ANSWER_CHARS])
            if tok:
                out.append(tok.group(0))
            pos = i + 1


def _extract_hash(text: str) -> str | None:
    idx = text.rfind("####")
    if idx < 0:
        return None
    line = text[idx + 4:idx + 4 + MAX_ANSWER_CHARS].split("\n", 1)[0].strip()
    return line or None


def _cut_sentence(s: str) -> str:
    """Cut a phrase after "answer is" at the end of its line / sentence."""
    s = s.split("\n", 1)[0].strip()
    if s.startswith("$"):
        delim = "$$" if s.startswith("$$") else "$"
        close = re.compile(r"(?<!\\)" + re.escape(delim)).search(s, len(delim))  # not an escaped \$
        if close:
            return s[:close.end()]
    # a sentence ends at ". " / "; " followed by a capital letter or at the end;
    # never cut a decimal point ("3.5").
    m = re.search(r"\.(?![0-9])|!\s+(?=[A-Z])|;\s", s)
    if m:
        s = s[:m.start()]
    return s.strip().rstrip("!").strip()


def _extract_answer_phrase(text: str) -> str | None:
    last = None
    for m in _ANSWER_IS.finditer(text):
        last = m
    for m in _ANSWER_HEADING.finditer(text):  # PRM800K style "# Answer\n\n42"
        if last is None or m.start() > last.start():
            last = m
    if last is None:
        return None
    cand = _cut_sentence(text[last.end():last.end() + MAX_ANSWER_CHARS])
    return cand or None


def _extract_last_number(text: str) -> str | None:
    # look at the tail first: the last number is nearly always near the end
    for window in (4096, len(text)):
        chunk = text[-window:]
        last = None
        for m in _NUMBER.finditer(chunk):
            last = m
        if last is not None:
            return last.group(0)
        if window >= len(text):
            break
    return None


def extract_all(text: str, method: str) -> list[str]:
    """Every candidate one extractor finds (boxes: all top-level boxes; others: at most one)."""
    if method == "boxed":
        return find_boxed(text)
    fns = {"hash": _extract_hash, "answer": _extract_answer_phrase, "last_number": _extract_last_number}
    fn = fns.get(method)
    if fn is None:
        raise ValueError(f"unknown extractor {method!r}; choose from {EXTRACTORS}")
    got = fn(text)
    return [got] if got is not None else []


def extract_answer(text: str, order: Sequence[str] = DEFAULT_ORDER,
                   multi_box: str = "last") -> Extraction | None:
    """The final answer found by the first extractor in ``order`` that finds one.

    ``multi_box`` says what to do with several boxed answers: ``"last"`` takes the last
    one (default); ``"join"`` joins the distinct boxes with commas (for "find all"
    questions whose model boxes each solution); ``"reject"`` returns an extraction with
    method ``"conflict"`` when the boxes disagree, which the verifier scores as wrong.
    """
    for method in order:
        found = extract_all(text, method)
        if not found:
            continue
        if method == "boxed" and len(found) > 1:
            distinct = list(dict.fromkeys(s.strip() for s in found))
            if multi_box == "join" and len(distinct) > 1:
                return Extraction(", ".join(distinct), "boxed")
            if multi_box == "reject" and len(distinct) > 1:
                return Extraction(found[-1], "conflict")
        answer = found[-1].strip()
        if len(answer) > MAX_BOX_CHARS:
            return Extraction(answer[:MAX_ANSWER_CHARS], "too_long")
        if answer:
            return Extraction(answer, method)
    return None


def extract_gold(ground_truth: object) -> str:
    """The gold answer as a string: a boxed or ``####`` solution is reduced to its answer."""
    s = str(ground_truth).strip()
    if "\\boxed" in s or "\\fbox" in s:
        boxes = find_boxed(s)
        if boxes:
            return boxes[-1].strip()
    if "####" in s:
        got = _extract_hash(s)
        if got:
            return got
    return s
