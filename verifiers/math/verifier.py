"""The ``math`` verifier and its ``gsm8k`` / ``aime`` presets.

``MathVerifier(...)(response, ground_truth) -> Verdict``: extract the final answer
(``extract.py``), normalise both sides (``normalize.py``), then compare cheapest
first (``compare.py``). The exact / numeric / numeric-probe part is ``quick()``: pure
Python, bounded in time, no sympy. Only what it cannot decide goes to sympy, which
runs in a guarded worker process killed after ``symbolic_timeout_s`` (or inline when
already inside a ``VerifierPool`` worker, whose own deadline bounds it).

Several boxed answers: by default the last box is the answer (``multi_box="last"``),
so boxing many candidates earns nothing unless the last one is right;
``multi_box="join"`` treats the distinct boxes as one comma-separated answer (for
"find all" questions) and ``multi_box="reject"`` scores disagreeing boxes as wrong.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from verifiers.base import Verdict
from verifiers.math.compare import equivalent
from verifiers.math.extract import DEFAULT_ORDER, EXTRACTORS, MAX_ANSWER_CHARS, extract_answer, extract_gold
from verifiers.math.normalize import normalize
from verifiers.math.numbers import parse_number
from verifiers.registry import register

_service_lock = threading.Lock()
_services: dict[float, Any] = {}


class SymbolicTask:
    """Picklable worker-side job: full comparison (sympy included) of two normalised answers."""

    def __init__(self, rel_tol: float = 1e-6) -> None:
        self.rel_tol = rel_tol

    def warmup(self) -> None:
        from verifiers.math.symbolic import warmup

        warmup()

    def __call__(self, response: str, ground_truth: str, **meta: Any) -> Verdict:
        from verifiers.math.symbolic import symbolic_equal

        ok, how = equivalent(ground_truth, response, self.rel_tol, symbolic_equal)
        return Verdict(score=float(bool(ok)), correct=bool(ok), extracted=response,
                       reason=None if ok else ("wrong answer" if ok is False else f"undecided: {how}"),
                       info={"method": how})


def _symbolic_service(timeout_s: float, rel_tol: float) -> Any:
    from verifiers.pool import VerifierPool

    key = rel_tol
    with _service_lock:
        pool = _services.get(key)
        if pool is None:
            # two workers: after one is killed on a timeout the other is still warm, so the
            # next call does not wait for a replacement to start
            pool = VerifierPool(SymbolicTask(rel_tol), workers=2, timeout_s=timeout_s, fast_path=False,
                                startup_timeout_s=60.0)
            _services[key] = pool
        return pool


@register("math")
class MathVerifier:
    """General math answers: numbers, expressions, sets, intervals, tuples, matrices, equations.

    Options: ``order`` (extractors to try, from ``EXTRACTORS``), ``strict`` (require a
    box), ``multi_box`` ("last" | "join" | "reject"), ``rel_tol`` (for decimals),
    ``symbolic`` (allow sympy), ``symbolic_timeout_s``, ``isolation`` ("auto" |
    "process" | "inline"), ``answer_type`` ("any" | "number" | "integer"),
    ``integer_range`` ((lo, hi) for integer answers).
    """

    name = "math"

    def __init__(self, order: Sequence[str] = DEFAULT_ORDER, strict: bool = False, multi_box: str = "last",
                 rel_tol: float = 1e-6, symbolic: bool = True, symbolic_timeout_s: float = 3.0,
                 isolation: str = "auto", answer_type: str = "any",
                 integer_range: tuple[int, int] | None = None) -> None:
        unknown = [o for o in order if o not in EXTRACTORS]
        if unknown:
            raise ValueError(f"unknown extractors {unknown}; choose from {EXTRACTORS}")
        if multi_box not in ("last", "join", "reject"):
            raise ValueError("multi_box must be 'last', 'join' or 'reject'")
        if isolation not in ("auto", "process", "inline"):
            raise ValueError("isolation must be 'auto', 'process' or 'inline'")
        if answer_type not in ("any", "number", "integer"):
            raise ValueError("answer_type must be 'any', 'number' or 'integer'")
        self.order = ("boxed",) if strict else tuple(order)
        self.strict = strict
        self.multi_box = multi_box
        self.rel_tol = rel_tol
        self.symbolic = symbolic and answer_type == "any"
        self.symbolic_timeout_s = symbolic_timeout_s
        self.isolation = isolation
        self.answer_type = answer_type
        self.integer_range = tuple(integer_range) if integer_range else None

    def warmup(self) -> None:
        """Load sympy and the LaTeX parser (pool workers call this before their first item)."""
        if self.symbolic:
            from verifiers.math.symbolic import warmup

            warmup()

    def _prepare(self, response: str, ground_truth: Any) -> Verdict | tuple[str, str, str, str]:
        if not isinstance(response, str):
            return Verdict.fail(f"response is {type(response).__name__}, not str")
        ext = extract_answer(response, self.order, self.multi_box)
        if ext is None:
            return Verdict.fail("no \\boxed{} answer" if self.strict else "no answer found")
        if ext.method == "conflict":
            return Verdict.fail("several different boxed answers", extracted=ext.answer)
        if ext.method == "too_long":
            return Verdict.fail("extracted answer too long", extracted=ext.answer[:200])
        gold = normalize(extract_gold(ground_truth))
        if not gold:
            return Verdict.fail("empty ground truth", extracted=ext.answer)
        ans = normalize(ext.answer)
        if len(ans) > MAX_ANSWER_CHARS:
            return Verdict.fail("extracted answer too long", extracted=ext.answer[:200])
        return ext.answer, ext.method, ans, gold

    def _typed(self, raw: str, method: str, ans: str, gold: str) -> Verdict:
        g, a = parse_number(gold), parse_number(ans)
        if a is None:
            return Verdict.fail(f"answer {ans[:80]!r} is not a number", extracted=raw)
        if self.answer_type == "integer":
            if a.value.denominator != 1 or a.percent:
                return Verdict.fail(f"answer {ans[:80]!r} is not an integer", extracted=raw)
            if self.integer_range and not (self.integer_range[0] <= a.value <= self.integer_range[1]):
                return Verdict.fail(f"answer {ans[:80]!r} outside {self.integer_range}", extracted=raw)
        if g is None:
            return Verdict.fail(f"ground truth {gold[:80]!r} is not a number", extracted=raw)
        ok = g.value == a.value if self.answer_type == "integer" else equivalent(gold, ans, self.rel_tol)[0]
        return self._verdict(bool(ok), raw, method, "numeric", ans, gold)

    @staticmethod
    def _verdict(ok: bool | None, raw: str, extractor: str, how: str, ans: str, gold: str) -> Verdict:
        info = {"extractor": extractor, "method": how, "normalized": ans[:200], "gold": gold[:200]}
        if ok:
            return Verdict(1.0, True, extracted=raw, info=info)
        reason = "wrong answer" if ok is False else f"could not establish equivalence ({how})"
        return Verdict(0.0, False, extracted=raw, reason=reason, info=info)

    def quick(self, response: str, ground_truth: Any, **meta: Any) -> Verdict | None:
        """The verdict from the cheap bounded checks, or None when sympy is needed."""
        try:
            return self._quick(response, ground_truth, **meta)
        except Exception as exc:  # noqa: BLE001 - a bug here must not crash training
            return Verdict.fail(f"math verifier error: {type(exc).__name__}: {exc}")

    def _quick(self, response: str, ground_truth: Any, **meta: Any) -> Verdict | None:
        if isinstance(ground_truth, (list, tuple)):
            return None if len(ground_truth) != 1 else self._quick(response, ground_truth[0], **meta)
        prep = self._prepare(response, ground_truth)
        if isinstance(prep, Verdict):
            return prep
        raw, method, ans, gold = prep
        if self.answer_type != "any":
            return self._typed(raw, method, ans, gold)
        ok, how = equivalent(gold, ans, self.rel_tol)
        if ok is None and self.symbolic:
            return None
        return self._verdict(ok, raw, method, how, ans, gold)

    def __call__(self, response: str, ground_truth: Any, **meta: Any) -> Verdict:
        if isinstance(ground_truth, (list, tuple)) and len(ground_truth) != 1:  # any accepted answer
            verdicts = [self(response, g, **meta) for g in ground_truth]
            if not verdicts:
                return Verdict.fail("no ground truth given")
            return next((v for v in verdicts if v.correct), verdicts[0])
        fast = self.quick(response, ground_truth, **meta)
        if fast is not None:
            return fast
        try:
            raw, method, ans, gold = self._prepare(response, ground_truth)  # type: ignore[misc]
            return self._symbolic(raw, method, ans, gold)
        except Exception as exc:  # noqa: BLE001 - never raise into the trainer
            return Verdict.fail(f"math verifier error: {type(exc).__name__}: {exc}")

    def _symbolic(self, raw: str, method: str, ans: str, gold: str) -> Verdict:
        from verifiers.pool import in_worker

        inline = self.isolation == "inline" or (self.isolation == "auto" and in_worker())
        if inline:
            v = SymbolicTask(self.rel_tol)(ans, gold)
        else:
            pool = _symbolic_service(self.symbolic_timeout_s, self.rel_tol)
            v = pool.map([(ans, gold, {})], timeout_s=self.symbolic_timeout_s)[0]
            if v.info.get("timeout"):
                return Verdict.fail(f"symbolic check timed out after {self.symbolic_timeout_s:g}s",
                                    extracted=raw, extractor=method, method="timeout")
        if v.reason and "method" not in v.info:  # worker crash or other failure
            return Verdict.fail(f"symbolic check failed: {v.reason}", extracted=raw, extractor=method)
        return self._verdict(v.correct if v.reason is None or v.reason == "wrong answer" else None,
                             raw, method, v.info.get("method", "sympy"), ans, gold)


@register("gsm8k")
class GSM8KVerifier(MathVerifier):
    """GSM8K: a number (integer in practice); ``####`` first, then box, "answer is", last number."""

    name = "gsm8k"

    def __init__(self, order: Sequence[str] = ("hash", "boxed", "answer", "last_number"), **kw: Any) -> None:
        kw.setdefault("answer_type", "number")
        super().__init__(order=order, **kw)


@register("aime")
class AIMEVerifier(MathVerifier):
    """AIME: an integer 0..999; box first, then "answer is", then the last number."""

    name = "aime"

    def __init__(self, order: Sequence[str] = ("boxed", "answer", "last_number"), **kw: Any) -> None:
        kw.setdefault("answer_type", "integer")
        kw.setdefault("integer_range", (0, 999))
        super().__init__(order=order, **kw)
