"""Numeric probing: are two expressions equal? Evaluate them at a few fixed points.

One value per free variable, mixed signs (so ``|x|`` and ``x`` differ): equal at every
point -> equal; clearly different at some point -> different (a counterexample, which
sympy could not prove equal either); otherwise (differences between 1e-9 and 1e-6)
undecided and the caller falls back to sympy. Uses the bounded evaluator of light.py.
"""

from __future__ import annotations

import math

from verifiers.math.light import Env, Fn, Unsupported, compile_expr

EQ_TOL = 1e-9
DIFF_TOL = 1e-6
POINTS = ((0.7391, -1.3247, 2.2056, 0.4142, -0.5772, 1.6180),
          (-1.1892, 0.6931, -2.4142, 1.4142, 0.3679, -0.8862),
          (1.9021, 2.7183, 0.5403, -1.7321, 1.2599, 0.9117),
          (-0.3183, 1.0986, 1.5708, -0.6180, 2.2361, -1.4427))


def _close(a: complex, b: complex, tol: float) -> bool:
    scale = max(abs(a), abs(b))
    return abs(a - b) <= tol * scale or scale < 1e-12


def _envs(names: frozenset[str]) -> list[Env]:
    ordered = sorted(names)
    if not ordered:
        return [{}]
    if len(ordered) > len(POINTS[0]):
        raise Unsupported("too many variables")
    return [{n: complex(pt[k]) for k, n in enumerate(ordered)} for pt in POINTS]


def _values(fn: Fn, env: Env) -> complex | None:
    try:
        v = fn(env)
    except (ValueError, ZeroDivisionError, OverflowError, TypeError):
        return None
    if not (math.isfinite(v.real) and math.isfinite(v.imag)):
        return None
    return v


def _divides_by_zero(fn: Fn) -> bool:
    try:
        fn({})
    except ZeroDivisionError:
        return True
    except (ValueError, OverflowError, TypeError):
        return False
    return False


def _verdict(pairs: list[tuple[complex, complex]]) -> bool | None:
    if not pairs:
        return None
    if all(_close(a, b, EQ_TOL) for a, b in pairs):
        return True
    # one point where they clearly differ is a counterexample: sympy could not prove them
    # equal either (|x| vs x, sqrt(x)sqrt(y) vs sqrt(xy) agree on some points only)
    if any(not _close(a, b, DIFF_TOL) for a, b in pairs):
        return False
    return None


def light_equal(gold: str, answer: str) -> bool | None:
    """True / False when numeric probing decides, None when it cannot."""
    try:
        fg, vg = compile_expr(gold)
        fa, va = compile_expr(answer)
        envs = _envs(vg | va)
    except Unsupported:
        return None
    if not (vg | va):  # constants: one side dividing by zero is undefined, so not equal
        zero_div = [_divides_by_zero(f) for f in (fg, fa)]
        if zero_div[0] != zero_div[1]:
            return False
    pairs = []
    for env in envs:
        a, b = _values(fg, env), _values(fa, env)
        if a is not None and b is not None:
            pairs.append((a, b))
        elif (a is None) != (b is None) and not (vg | va):
            return None  # one side is undefined / overflows: let sympy look
    if (vg | va) and len(pairs) < 2:
        return None
    return _verdict(pairs)


def light_equations_equal(gl: str, gr: str, al: str, ar: str) -> bool | None:
    """Whether ``gl = gr`` and ``al = ar`` are the same equation up to a nonzero factor."""
    try:
        parts = [compile_expr(s) for s in (gl, gr, al, ar)]
        names = frozenset().union(*(v for _, v in parts))
        envs = _envs(names)
    except Unsupported:
        return None
    ratios = []
    for env in envs:
        vals = [_values(f, env) for f, _ in parts]
        if any(v is None for v in vals):
            continue
        dg, da = vals[0] - vals[1], vals[2] - vals[3]
        if abs(da) < 1e-12 or abs(dg) < 1e-12:
            if abs(da) < 1e-12 and abs(dg) < 1e-12:
                continue
            return False if names else None
        ratios.append(dg / da)
    if len(ratios) < 2:
        return None
    if all(_close(r, ratios[0], EQ_TOL) for r in ratios):
        return True
    return False
