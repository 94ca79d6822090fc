"""Symbolic equivalence with sympy behind the latex2sympy2_extended LaTeX parser.

The last resort: only leaves that the exact, numeric and numeric-probing paths could
not decide get here. sympy is imported lazily (the fast paths never load it).

Bounded before evaluation: the parser builds unevaluated trees, which are checked
(size, nesting, every power's exponent and every factorial's argument estimated with
floats, which overflow instead of hanging) before sympy is allowed to evaluate
anything. As a hard backstop the verifier runs this module in a guarded worker
process that is killed on timeout (see ``verifiers.math.verifier``).
"""

from __future__ import annotations

import math
import re
from typing import Any

MAX_CHARS = 400
MAX_NODES = 400
MAX_EXPONENT = 1000.0
MAX_FACTORIAL = 500.0
MAX_TERMS = 1000.0
_sympy: Any = None


_EAGER = re.compile(r"\\binom|!|\\choose")
_BIG_LITERAL = re.compile(r"[0-9]{5,}|\^")
_I: Any = None


class Refused(Exception):
    """The expression is too large or too dangerous to evaluate."""


def _lazy() -> Any:
    global _sympy, _I
    if _sympy is None:
        import sympy

        _sympy = sympy
        _I = sympy.Symbol("i")
    return _sympy


def warmup() -> None:
    """Import sympy and the parser and exercise the heavy code paths once (simplify,
    integrals, inequality solving), so a worker's first real item is not charged for
    loading them (pool deadlines count from when a worker is ready)."""
    symbolic_equal("\\frac{1}{2}", "\\int_0^1x dx")
    symbolic_equal("[-1,1]", "x^2\\leq1")
    symbolic_equal("\\sqrt{2}", "\\frac{2}{\\sqrt{2}}")


def _approx(e: Any) -> float | None:
    """Float estimate of a numeric subtree (inf when huge), None if it has symbols."""
    sp = _lazy()
    try:
        if e.is_Number:
            if e.is_Integer and e.p.bit_length() > 20000:
                return math.inf
            return float(e)
        if e in (sp.pi, sp.E):
            return float(e)
        if e is sp.I or e == _I:  # the imaginary unit: magnitude 1
            return 1.0
        if e.is_Add or e.is_Mul:
            vals = [_approx(a) for a in e.args]
            if any(v is None for v in vals):
                return None
            return math.fsum(vals) if e.is_Add else math.prod(vals)
        if e.is_Pow:
            b, x = _approx(e.args[0]), _approx(e.args[1])
            if b is None or x is None:
                return None
            try:
                return float(abs(b) ** x)
            except (OverflowError, ZeroDivisionError):
                return math.inf
        if isinstance(e, sp.factorial):
            n = _approx(e.args[0])
            return None if n is None else (math.inf if n > 170 else math.gamma(max(n, 0) + 1))
    except (TypeError, ValueError, OverflowError):
        return math.inf
    return None


def check_safe(expr: Any) -> None:
    """Raise ``Refused`` if evaluating ``expr`` could blow up (huge powers, factorials)."""
    sp = _lazy()
    count = 0
    for node in sp.preorder_traversal(expr):
        count += 1
        if count > MAX_NODES:
            raise Refused("expression too large")
        if getattr(node, "is_Pow", False):
            x = _approx(node.args[1])
            b = _approx(node.args[0])
            if x is not None and abs(x) > MAX_EXPONENT and (b is None or abs(b) not in (0.0, 1.0)):
                raise Refused("exponent too large")
        elif isinstance(node, (sp.Sum, sp.Product)):
            for lim in node.limits:
                lo, hi = (_approx(x) for x in lim[1:3]) if len(lim) == 3 else (None, None)
                if lo is None or hi is None or abs(hi - lo) > MAX_TERMS:
                    raise Refused("sum/product range too large or symbolic")
        elif isinstance(node, (sp.factorial, sp.gamma, sp.binomial, sp.factorial2)):
            n = _approx(node.args[0])
            if n is None or n > MAX_FACTORIAL:
                raise Refused("factorial argument too large or symbolic")


def _parse(s: str) -> Any:
    if len(s) > MAX_CHARS:
        raise Refused("too long for symbolic parsing")
    if _EAGER.search(s) and _BIG_LITERAL.search(s):
        # the parser itself evaluates binomials / factorials of numbers: refuse before it does
        raise Refused("binomial or factorial of a large number")
    sp = _lazy()
    from latex2sympy2_extended import latex2sympy

    expr = latex2sympy(s)
    if isinstance(expr, (list, tuple)):
        expr = sp.Tuple(*expr)
    check_safe(expr)
    i = sp.Symbol("i")
    if hasattr(expr, "free_symbols") and i in expr.free_symbols:
        expr = expr.subs(i, sp.I)
    return expr


def _expr_equal(g: Any, a: Any, rel_tol: float) -> bool | None:
    sp = _lazy()
    if g == a:
        return True
    try:
        d = sp.simplify(g - a)
    except Exception:  # noqa: BLE001 - sympy raises many kinds
        return None
    if d == 0:
        return True
    if not d.free_symbols:
        # compare in 30-digit sympy floats: no float overflow (1e1000 stays finite)
        dv = sp.N(sp.Abs(d), 30)
        scale = sp.N(sp.Max(sp.Abs(g), sp.Abs(a)), 30)
        if not (dv.is_finite and scale.is_finite):
            return None
        return bool(dv <= rel_tol * scale) or bool(scale < 1e-15)
    return False


def _as_set(x: Any) -> Any:
    """A one-variable (in)equality or a conjunction of them as a real set, else ``x``."""
    sp = _lazy()
    if isinstance(x, (sp.core.relational.Relational, sp.And, sp.Or)) and len(x.free_symbols) == 1:
        try:
            return x.as_set()
        except Exception:  # noqa: BLE001 - not solvable: keep the relation
            return x
    return x


def sym_equal(g: Any, a: Any, rel_tol: float = 1e-9) -> bool | None:
    """Equivalence of two sympy objects (numbers, sets, tuples, matrices, relations)."""
    sp = _lazy()
    if isinstance(g, sp.Set) != isinstance(a, sp.Set) or (isinstance(g, (sp.And, sp.Or))
                                                           or isinstance(a, (sp.And, sp.Or))):
        g, a = _as_set(g), _as_set(a)
    if isinstance(g, sp.MatrixBase) or isinstance(a, sp.MatrixBase):
        ga, aa = sp.Matrix(g), sp.Matrix(a)
        if ga.shape != aa.shape and ga.shape != aa.T.shape:
            return False
        aa = aa if ga.shape == aa.shape else aa.T
        return all(sym_equal(x, y, rel_tol) for x, y in zip(ga, aa, strict=True))
    if isinstance(g, sp.Tuple) or isinstance(a, sp.Tuple):
        if not (isinstance(g, sp.Tuple) and isinstance(a, sp.Tuple)) or len(g) != len(a):
            return False
        return all(sym_equal(x, y, rel_tol) for x, y in zip(g, a, strict=True))
    if isinstance(g, sp.Set) or isinstance(a, sp.Set):
        if not (isinstance(g, sp.Set) and isinstance(a, sp.Set)):
            return False
        if g == a:
            return True
        if isinstance(g, sp.FiniteSet) and isinstance(a, sp.FiniteSet):
            if len(g) != len(a):
                return False
            rest = list(a.args)
            for x in g.args:
                hit = next((y for y in rest if sym_equal(x, y, rel_tol)), None)
                if hit is None:
                    return False
                rest.remove(hit)
            return True
        empty = g.symmetric_difference(a).is_empty
        return bool(empty) if empty is not None else None
    if isinstance(g, sp.Equality) and isinstance(a, sp.Equality):
        dg, da = g.lhs - g.rhs, a.lhs - a.rhs
        if da == 0:
            return dg == 0
        ratio = sp.simplify(dg / da)
        return bool(not ratio.free_symbols and ratio != 0)
    rel = sp.core.relational.Relational
    if isinstance(g, rel) or isinstance(a, rel):
        if not (isinstance(g, rel) and isinstance(a, rel)):
            return False
        g, a = g.canonical, a.canonical
        if type(g) is type(a) and _expr_equal(g.lhs - g.rhs, a.lhs - a.rhs, rel_tol):
            return True
        gs, as_ = _as_set(g), _as_set(a)
        if isinstance(gs, sp.Set) and isinstance(as_, sp.Set):
            return sym_equal(gs, as_, rel_tol)
        return False
    if isinstance(g, sp.Expr) and isinstance(a, sp.Expr):
        return _expr_equal(g, a, rel_tol)
    return None


def symbolic_equal(gold: str, answer: str, rel_tol: float = 1e-9) -> tuple[bool | None, str]:
    """``(equal, how)``: equal is None when sympy could not decide; ``how`` says why."""
    try:
        g = _parse(gold)
    except Refused as exc:
        return None, f"gold refused: {exc}"
    except Exception as exc:  # noqa: BLE001 - parser errors come in many types
        return None, f"gold unparseable ({type(exc).__name__})"
    try:
        a = _parse(answer)
    except Refused as exc:
        return None, f"answer refused: {exc}"
    except Exception as exc:  # noqa: BLE001
        return None, f"answer unparseable ({type(exc).__name__})"
    try:
        res = sym_equal(g, a, rel_tol)
    except Exception as exc:  # noqa: BLE001
        return None, f"sympy error ({type(exc).__name__})"
    return res, "sympy"
