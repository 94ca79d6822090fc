"""Split a normalised answer into its structure: sets, tuples, intervals, matrices, lists.

Working on strings (bracket depth) rather than sympy objects lets each element be
compared with the cheap paths; sympy is only needed for the leaves that are neither
equal strings nor plain numbers. Node kinds:

- ``("atom", s)``
- ``("seq", open, close, items)``: ``(a, b)``, ``[a, b)``, ``\\langle a, b\\rangle``:
  tuples, ordered pairs, vectors and intervals (compared in order, brackets must agree)
- ``("set", items)``: ``\\{a, b\\}`` (order-insensitive)
- ``("list", items)``: a bare comma-separated answer ``1, -2`` (order-insensitive)
- ``("union", items)``: ``A \\cup B`` (order-insensitive)
- ``("matrix", rows)``: ``\\begin{pmatrix} ... \\end{pmatrix}``
- ``("rel", lhs, op, rhs)``: an equation or a single inequality
"""

from __future__ import annotations

import re
from typing import Any

Node = tuple[Any, ...]
MAX_ITEMS = 64
_OPEN = {"(": ")", "[": "]", "{": "}", "\\{": "\\}", "\\langle": "\\rangle"}
_CLOSE = {v: k for k, v in _OPEN.items()}
_BRACKET_TOKEN = re.compile(r"\\\{|\\\}|\\langle|\\rangle|\\begin\{[a-z]*\}|\\end\{[a-z]*\}|[()\[\]{}]")
_MATRIX = re.compile(r"\\begin\{([pbvBV]?matrix|array)\}(?:\{[lcr|]*\})?(.*)\\end\{\1\}", re.DOTALL)
_RELS = ("\\leq", "\\geq", "\\neq", "<", ">", "=")
_INF = "\\infty"


def _depth_map(s: str) -> list[int]:
    """Bracket depth before each character (any bracket kind counts, so [a,b) balances)."""
    depth = [0] * (len(s) + 1)
    d = 0
    i = 0
    marks = {m.start(): m.group(0) for m in _BRACKET_TOKEN.finditer(s)}
    while i < len(s):
        tok = marks.get(i)
        depth[i] = d
        if tok is None:
            i += 1
            continue
        if tok in _OPEN or tok.startswith("\\begin"):
            d += 1
        else:
            d -= 1
        for k in range(i + 1, min(i + len(tok), len(s))):
            depth[k] = d if tok in _CLOSE or tok.startswith("\\end") else d
        i += len(tok)
    depth[len(s)] = d
    return depth


def split_top(s: str, sep: str) -> list[str]:
    """Split ``s`` on ``sep`` where it occurs outside every bracket."""
    if sep not in s:
        return [s]
    depth = _depth_map(s)
    parts, start, i = [], 0, 0
    while True:
        j = s.find(sep, i)
        if j < 0:
            break
        if depth[j] == 0 and not (sep == "," and s[j - 1:j] == "{" and s[j + 1:j + 2] == "}"):
            parts.append(s[start:j])
            start = j + len(sep)
        i = j + len(sep)
    parts.append(s[start:])
    return parts


def _enclosed(s: str) -> tuple[str, str, str] | None:
    """``(open, inner, close)`` when the first bracket of ``s`` closes at its very end."""
    for op in ("\\{", "\\langle", "(", "["):
        if s.startswith(op):
            break
    else:
        return None
    depth = _depth_map(s)
    for cl in ("\\}", "\\rangle", ")", "]"):
        if s.endswith(cl):
            inner_end = len(s) - len(cl)
            if inner_end < len(op):
                return None
            # the opening bracket must stay open until the final one
            if all(depth[k] > 0 for k in range(len(op), inner_end)) and depth[len(s)] == 0:
                return op, s[len(op):inner_end], cl
            return None
    return None


def _rel_split(s: str) -> tuple[str, str, str] | None:
    for op in _RELS:
        parts = split_top(s, op)
        if len(parts) == 2 and parts[0] and parts[1]:
            if op == "=" and (parts[0].endswith(("<", ">", "!")) or parts[1].startswith("=")):
                continue
            return parts[0], op, parts[1]
    return None


def _var_like(s: str) -> bool:
    return re.fullmatch(r"[a-zA-Z](?:_\{?[0-9a-zA-Z]+\}?)?", s) is not None


def inequality_to_interval(s: str) -> Node | None:
    """``a < x \\leq b`` / ``x > a`` / ``x \\geq a`` as a ``seq`` interval node, else None."""
    pieces = [p.strip() for p in re.split(r"(\\leq|\\geq|<|>)", s)]
    if len(pieces) not in (3, 5) or any(not p for p in pieces[::2]):
        return None
    if len(pieces) == 5:
        lo, op1, var, op2, hi = pieces
        if not _var_like(var) or {op1, op2} - {"<", "\\leq"}:
            if {op1, op2} <= {">", "\\geq"} and _var_like(var):
                lo, hi, op1, op2 = hi, lo, op2, op1
                op1 = "<" if op1 == ">" else "\\leq"
                op2 = "<" if op2 == ">" else "\\leq"
            else:
                return None
        lb, rb = "[" if op1 == "\\leq" else "(", "]" if op2 == "\\leq" else ")"
        return ("seq", lb, rb, [("atom", lo), ("atom", hi)])
    left, op, right = pieces
    if _var_like(left) and not _var_like(right):
        bound = right
    elif _var_like(right) and not _var_like(left):
        bound = left
        op = {"<": ">", ">": "<", "\\leq": "\\geq", "\\geq": "\\leq"}[op]
    else:
        return None
    inf = ("atom", _INF)
    if op in ("<", "\\leq"):
        return ("seq", "(", "]" if op == "\\leq" else ")", [("atom", "-" + _INF), ("atom", bound)])
    return ("seq", "[" if op == "\\geq" else "(", ")", [("atom", bound), inf])


def parse_structure(s: str) -> Node:
    """The structure tree of a normalised answer string."""
    if len(s) > 5000:
        return ("atom", s)
    m = _MATRIX.fullmatch(s)
    if m:
        rows = [r for r in split_top(m.group(2), "\\\\") if r.strip()]
        cells = [[parse_structure(c) for c in split_top(r, "&")] for r in rows]
        if cells and len(cells) <= MAX_ITEMS:
            return ("matrix", cells)
    if s == "\\emptyset":
        return ("set", [])
    if s == "\\mathbb{R}":
        return ("seq", "(", ")", [("atom", "-" + _INF), ("atom", _INF)])
    union = split_top(s, "\\cup")
    if len(union) > 1:
        parts = [parse_structure(u) for u in union[:MAX_ITEMS]]
        if all(p[0] == "set" for p in parts):  # {1} \cup {2} is the set {1, 2}
            return ("set", [x for p in parts for x in p[1]])
        return ("union", parts)
    enc = _enclosed(s)
    if enc is not None:
        op, inner, cl = enc
        items = split_top(inner, ",")
        if op == "\\{" and cl == "\\}":
            return ("set", [parse_structure(x) for x in items[:MAX_ITEMS]])
        if len(items) > 1 and (op, cl) != ("\\{", "\\}"):
            if op == "\\langle":
                op, cl = "(", ")"
            return ("seq", op, cl, [parse_structure(x) for x in items[:MAX_ITEMS]])
    items = split_top(s, ",")
    if len(items) == 1:
        items = split_top(s, ";")
    if len(items) > 1:
        return ("list", [parse_structure(x) for x in items[:MAX_ITEMS] if x])
    if any(op in s for op in ("<", ">", "\\leq", "\\geq")):
        interval = inequality_to_interval(s)  # also chains: a < x \leq b
        if interval is not None:
            return interval
    rel = _rel_split(s)
    if rel is not None:
        interval = inequality_to_interval(s) if rel[1] in ("<", ">", "\\leq", "\\geq") else None
        if interval is not None:
            return interval
        return ("rel", rel[0], rel[1], rel[2])
    pm = split_top(s, "\\pm")
    if len(pm) == 2 and pm[1]:  # a \pm b is the two answers a + b, a - b
        left, right = pm
        return ("list", [("atom", f"{left}+({right})" if left else right),
                         ("atom", f"{left}-({right})")])
    if s.startswith("(") and _enclosed(s) is not None and s.endswith(")"):
        return parse_structure(s[1:-1]) if len(s) > 2 else ("atom", s)
    return ("atom", s)
