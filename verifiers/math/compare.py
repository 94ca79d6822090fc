"""Equivalence of two normalised answers, cheapest check first.

1. exact string equality after normalisation;
2. textual answers (words) compare case-insensitively and stop there;
3. plain numbers (exact ``Fraction``s, relative tolerance for decimals, percentages);
4. numeric probing of expressions (``probe.py`` over the evaluator in ``light.py``);
5. sympy (``symbolic.py``), only when a ``symbolic`` callback is given.

Structured answers (sets, tuples, intervals, matrices, lists, equations) are split
first (``structure.py``) and compared element-wise through the same ladder.
Each check returns ``(equal, method)`` with ``equal`` None when undecided.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from verifiers.math.normalize import is_wordy, strip_var_prefix
from verifiers.math.numbers import numbers_equal, parse_number
from verifiers.math.probe import light_equal, light_equations_equal
from verifiers.math.structure import Node, parse_structure

Symbolic = Callable[[str, str], "tuple[bool | None, str]"]
Result = tuple["bool | None", str]
_UNORDERED = ("set", "list", "union")
_INFINITY = re.compile(r"[+-]?\\infty")
_IN_PREFIX = re.compile(r"^[a-zA-Z]\\in(?![a-zA-Z])\s*")


def atom_equal(g: str, a: str, rel_tol: float, symbolic: Symbolic | None) -> Result:
    """Compare two leaf expressions."""
    if g == a:
        return True, "exact"
    if _INFINITY.fullmatch(g) or _INFINITY.fullmatch(a):  # +-infinity equals only itself
        return g.lstrip("+") == a.lstrip("+"), "infinity"
    if is_wordy(g) or is_wordy(a):
        return g.replace(" ", "").lower() == a.replace(" ", "").lower(), "text"
    ng, na = parse_number(g), parse_number(a)
    if ng is not None and na is not None:
        return numbers_equal(ng, na, rel_tol), "numeric"
    probe = light_equal(g, a)
    if probe is not None:
        return probe, "probe"
    if symbolic is not None:
        return symbolic(g, a)
    return None, "undecided"


def _all(results: list[Result], method: str) -> Result:
    if any(r[0] is False for r in results):
        return False, method
    if all(r[0] is True for r in results):
        return True, method
    return None, "undecided"


def _multiset(gs: list[Node], as_: list[Node], rel_tol: float, symbolic: Symbolic | None) -> Result:
    if len(gs) != len(as_):
        return False, "count"
    remaining = list(range(len(as_)))
    undecided = False
    for g in gs:
        hit = None
        maybe = False
        for j in remaining:
            eq, _ = node_equal(g, as_[j], rel_tol, symbolic)
            if eq is True:
                hit = j
                break
            maybe = maybe or eq is None
        if hit is None:
            if not maybe:
                return False, "set"
            undecided = True
        else:
            remaining.remove(hit)
    return (None, "undecided") if undecided else (True, "set")


def _is_number_atom(n: Node) -> bool:
    return n[0] == "atom" and parse_number(n[1]) is not None


def node_equal(g: Node, a: Node, rel_tol: float, symbolic: Symbolic | None) -> Result:
    """Compare two structure nodes (see ``structure.py`` for the kinds)."""
    gk, ak = g[0], a[0]
    if gk == "atom" and ak == "atom":
        return atom_equal(g[1], a[1], rel_tol, symbolic)
    if gk == "atom" and ak == "rel" and a[2] == "=" and strip_var_prefix(f"{a[1]}={a[3]}") == a[3]:
        return node_equal(g, parse_structure(a[3]), rel_tol, symbolic)  # gold 5, answer x=5
    if gk == "rel" and ak == "atom" and g[2] == "=" and strip_var_prefix(f"{g[1]}={g[3]}") == g[3]:
        return node_equal(parse_structure(g[3]), a, rel_tol, symbolic)  # gold x=5, answer 5
    if gk == "rel" and ak == "rel":
        return _rel_equal(g, a, rel_tol, symbolic)
    if gk in _UNORDERED and ak in _UNORDERED and (gk == "union") == (ak == "union"):
        return _multiset(g[1], a[1], rel_tol, symbolic)
    if gk == "seq" and ak == "seq":
        if (g[1], g[2]) != (a[1], a[2]) or len(g[3]) != len(a[3]):
            return False, "tuple"
        return _all([node_equal(x, y, rel_tol, symbolic) for x, y in zip(g[3], a[3], strict=True)], "tuple")
    if gk == "matrix" or ak == "matrix":
        return _matrix_equal(g, a, rel_tol, symbolic)
    if _is_number_atom(g) or _is_number_atom(a):
        return False, "structure"  # a number never equals a tuple / set / list
    return None, "undecided"


def _flat(n: Node) -> list[Node] | None:
    if n[0] == "matrix":
        rows = n[1]
        if len(rows) == 1:
            return rows[0]
        if all(len(r) == 1 for r in rows):
            return [r[0] for r in rows]
        return None
    if n[0] == "seq" and n[1] == "(":
        return n[3]
    return None


def _matrix_equal(g: Node, a: Node, rel_tol: float, symbolic: Symbolic | None) -> Result:
    if g[0] == "matrix" and a[0] == "matrix":
        if [len(r) for r in g[1]] != [len(r) for r in a[1]]:
            return False, "matrix"
        cells = [node_equal(x, y, rel_tol, symbolic)
                 for rg, ra in zip(g[1], a[1], strict=True) for x, y in zip(rg, ra, strict=True)]
        return _all(cells, "matrix")
    fg, fa = _flat(g), _flat(a)  # a vector written as a tuple (1, 2) vs a pmatrix column
    if fg is None or fa is None:
        return False, "matrix"
    if len(fg) != len(fa):
        return False, "matrix"
    return _all([node_equal(x, y, rel_tol, symbolic) for x, y in zip(fg, fa, strict=True)], "matrix")


_FLIP = {"<": ">", ">": "<", "\\leq": "\\geq", "\\geq": "\\leq", "=": "=", "\\neq": "\\neq"}


def _rel_equal(g: Node, a: Node, rel_tol: float, symbolic: Symbolic | None) -> Result:
    _, gl, gop, gr = g
    _, al, aop, ar = a
    if aop != gop and _FLIP[aop] == gop:
        al, aop, ar = ar, gop, al
    if aop != gop:
        return False, "relation"
    if gl == al:
        res = node_equal(parse_structure(gr), parse_structure(ar), rel_tol, symbolic)
        if res[0] is not None or gop != "=":
            return res
    if gop == "=":
        if gl == ar and gr == al:
            return True, "equation"
        res = light_equations_equal(gl, gr, al, ar)
        if res is not None:
            return res, "equation"
    if symbolic is not None:
        return symbolic(f"{gl}{gop}{gr}", f"{al}{aop}{ar}")
    return None, "undecided"


def equivalent(gold: str, answer: str, rel_tol: float = 1e-6, symbolic: Symbolic | None = None) -> Result:
    """``(equal, method)`` for two normalised answer strings."""
    if gold == answer:
        return True, "exact"
    gold, answer = _IN_PREFIX.sub("", gold), _IN_PREFIX.sub("", answer)
    if "=" not in gold:
        answer = strip_var_prefix(answer)
    res = node_equal(parse_structure(gold), parse_structure(answer), rel_tol, symbolic)
    if res[0] is None and symbolic is not None and not res[1].startswith(("gold", "answer", "sympy")):
        return symbolic(gold, answer)
    return res
