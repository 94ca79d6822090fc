"""A small LaTeX expression evaluator (no sympy, always bounded); probing is in probe.py.

It parses the common answer grammar (``+ - * / ^``, implicit products, ``\\frac``,
``\\sqrt``, ``\\sqrt[n]``, ``\\binom``, ``!``, ``|x|``, floor/ceil, trig/log/exp, ``\\pi``,
``e``, ``i``, variables with subscripts) into closures over complex floats.

Bounded by construction: floats overflow instead of growing (``9^{9^{9^9}}`` raises
``OverflowError`` at once), factorials are limited to n <= 170, the input length and
brace depth are capped before parsing.
"""

from __future__ import annotations

import cmath
import math
import re
from collections.abc import Callable

Env = dict
Fn = Callable[[Env], complex]
MAX_LEN = 600
MAX_DEPTH = 40


class Unsupported(Exception):
    """The expression uses something this evaluator does not handle."""


_TOKEN = re.compile(r"\\[a-zA-Z]+|\\[{}|]|[0-9]+(?:\.[0-9]*)?|\.[0-9]+|[a-zA-Z]|[+\-*/^_()\[\]{}!|%,'<>=]| ")
_FUNCS: dict[str, Callable[[complex], complex]] = {
    "sin": cmath.sin, "cos": cmath.cos, "tan": cmath.tan, "arcsin": cmath.asin, "arccos": cmath.acos,
    "arctan": cmath.atan, "sinh": cmath.sinh, "cosh": cmath.cosh, "tanh": cmath.tanh, "exp": cmath.exp,
    "ln": cmath.log, "log": cmath.log, "cot": lambda z: 1 / cmath.tan(z), "sec": lambda z: 1 / cmath.cos(z),
    "csc": lambda z: 1 / cmath.sin(z),
}
_STOP = {")", "]", "}", "|", ",", "=", "<", ">", "\\rfloor", "\\rceil", "\\right", "&"}


def _real(z: complex) -> float:
    if abs(z.imag) > 1e-9 * max(1.0, abs(z.real)):
        raise ValueError("not real")
    return z.real


def _fact(z: complex) -> complex:
    x = _real(z)
    n = round(x)
    if abs(x - n) > 1e-9 or n < 0:
        raise ValueError("factorial of a non-integer")
    if n > 170:
        raise OverflowError("factorial too large")
    return complex(math.factorial(n))


def _pow(a: complex, b: complex) -> complex:
    if a == 0 and b == 0:
        raise ValueError("0^0")
    if abs(b) > 1e6 and abs(a) != 1:
        raise OverflowError("exponent too large")
    if b.imag == 0 and a.imag == 0 and b.real == int(b.real) and abs(b.real) < 1e6:
        return complex(a.real ** int(b.real))  # exact-ish integer power, raises on overflow
    return a ** b


class _Parser:
    def __init__(self, text: str) -> None:
        if len(text) > MAX_LEN:
            raise Unsupported("too long")
        toks = []
        pos = 0
        for m in _TOKEN.finditer(text):
            if m.start() != pos:
                raise Unsupported(f"unexpected {text[pos:m.start()]!r}")
            pos = m.end()
            if m.group(0) != " ":
                toks.append(m.group(0))
        if pos != len(text):
            raise Unsupported(f"unexpected {text[pos:]!r}")
        self.toks = toks
        self.i = 0
        self.depth = 0
        self.abs_depth = 0
        self.variables: set[str] = set()

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, want: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (want is not None and tok != want):
            raise Unsupported(f"expected {want!r}, got {tok!r}")
        self.i += 1
        return tok

    def parse(self) -> Fn:
        fn = self.expr()
        if self.peek() is not None:
            raise Unsupported(f"trailing {self.peek()!r}")
        return fn

    def expr(self) -> Fn:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Unsupported("nested too deeply")
        left = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()
            right = self.term()
            left = (lambda a, b: lambda e: a(e) + b(e))(left, right) if op == "+" else \
                (lambda a, b: lambda e: a(e) - b(e))(left, right)
        self.depth -= 1
        return left

    def _starts_atom(self, tok: str | None) -> bool:
        if tok is None or tok in _STOP or tok in ("+", "-", "*", "/", "^", "_", "!", "%", "'"):
            return tok == "|" and self.abs_depth == 0
        return tok not in ("\\cdot", "\\div", "\\leq", "\\geq", "\\neq", "\\cup", "\\cap", "\\pm", "\\mp")

    def term(self) -> Fn:
        left = self.unary()
        while True:
            tok = self.peek()
            if tok in ("*", "\\cdot"):
                self.take()
                right = self.unary()
            elif tok in ("/", "\\div"):
                self.take()
                right = self.unary()
                left = (lambda a, b: lambda e: a(e) / b(e))(left, right)
                continue
            elif self._starts_atom(tok):
                right = self.power()
            else:
                return left
            left = (lambda a, b: lambda e: a(e) * b(e))(left, right)

    def unary(self) -> Fn:
        if self.peek() == "-":
            self.take()
            inner = self.unary()
            return lambda e: 0j - inner(e)  # not -z: -(4+0j) has imag -0.0, the wrong side of sqrt's cut
        if self.peek() == "+":
            self.take()
            return self.unary()
        return self.power()

    def power(self) -> Fn:
        base = self.postfix(self.atom())
        if self.peek() == "^":
            self.take()
            tok = self.peek()
            if tok is not None and re.fullmatch(r"[0-9]{2,}", tok):  # x^23 is x^2 * 3 in LaTeX
                self.toks[self.i] = tok[1:]
                exp_val = complex(int(tok[0]))
                return self.postfix((lambda b: lambda e: _pow(b(e), exp_val))(base))
            expo = self.unary() if tok == "-" else self.group_or_atom()
            return self.postfix((lambda b, x: lambda e: _pow(b(e), x(e)))(base, expo))
        return base

    def postfix(self, fn: Fn) -> Fn:
        while self.peek() in ("!", "%"):
            if self.take() == "!":
                fn = (lambda f: lambda e: _fact(f(e)))(fn)
            else:
                fn = (lambda f: lambda e: f(e) / 100)(fn)
        return fn

    def group(self) -> Fn:
        self.take("{")
        inner = self.expr()
        self.take("}")
        return inner

    def group_or_atom(self) -> Fn:
        if self.peek() == "{":
            return self.group()
        tok = self.peek()
        if tok is not None and re.fullmatch(r"[0-9]{2,}", tok):  # \frac12 style single digits
            self.toks[self.i] = tok[1:]
            v = complex(int(tok[0]))
            return lambda e: v
        return self.atom()

    def atom(self) -> Fn:
        tok = self.take()
        if tok[0].isdigit() or tok[0] == ".":
            if self.peek() == "_":
                raise Unsupported("number with a base subscript")
            v = complex(float(tok))
            if self.peek() == "\\frac" and re.fullmatch(r"[0-9]+", tok):  # mixed number 2\frac{1}{2}
                save = self.i
                self.take()
                num, den = self.toks[self.i:self.i + 3], self.toks[self.i + 3:self.i + 6]
                if (len(num) == 3 and len(den) == 3 and num[0] == den[0] == "{" and num[2] == den[2] == "}"
                        and re.fullmatch(r"[0-9]+", num[1]) and re.fullmatch(r"[0-9]+", den[1])):
                    self.i += 6
                    val = v + complex(int(num[1]) / int(den[1]))
                    return lambda e: val
                self.i = save
            return lambda e: v
        if tok in ("(", "["):
            self.depth += 1
            inner = self.expr()
            self.take(")" if tok == "(" else "]")
            self.depth -= 1
            return inner
        if tok == "{":
            self.i -= 1
            return self.group()
        if tok == "|":
            self.abs_depth += 1
            inner = self.expr()
            self.take("|")
            self.abs_depth -= 1
            return lambda e: complex(abs(inner(e)))
        if len(tok) == 1 and tok.isalpha():
            return self.variable(tok)
        if tok.startswith("\\"):
            return self.command(tok[1:])
        raise Unsupported(f"unexpected {tok!r}")

    def variable(self, name: str) -> Fn:
        if self.peek() == "_":
            self.take()
            sub = self.take()
            if sub == "{":
                parts = []
                while self.peek() not in ("}", None):
                    parts.append(self.take())
                self.take("}")
                sub = "".join(parts)
            name = f"{name}_{sub}"
        elif name == "e":
            return lambda e: complex(math.e)
        elif name == "i":
            return lambda e: 1j
        self.variables.add(name)
        return lambda env: env[name]

    def command(self, name: str) -> Fn:
        if name == "pi":
            return lambda e: complex(math.pi)
        if name == "frac":
            num, den = self.group_or_atom(), self.group_or_atom()
            return lambda e: num(e) / den(e)
        if name == "sqrt":
            if self.peek() == "[":
                self.take()
                n = self.expr()
                self.take("]")
                x = self.group_or_atom()
                return lambda e: _pow(x(e), 1 / n(e))
            x = self.group_or_atom()
            return lambda e: cmath.sqrt(x(e))
        if name == "binom":
            n, k = self.group_or_atom(), self.group_or_atom()
            return lambda e: _fact(n(e)) / (_fact(k(e)) * _fact(n(e) - k(e)))
        if name in ("lfloor", "lceil"):
            inner = self.expr()
            self.take("\\rfloor" if name == "lfloor" else "\\rceil")
            rnd = math.floor if name == "lfloor" else math.ceil
            return lambda e: complex(rnd(_real(inner(e))))
        if name in _FUNCS:
            fn = _FUNCS[name]
            base = None
            if name == "log" and self.peek() == "_":
                self.take()
                base = self.group_or_atom()
            power = None
            if self.peek() == "^":
                self.take()
                power = self.group_or_atom()
            arg = self.group() if self.peek() == "{" else self.power()
            f = (lambda a: lambda e: fn(a(e)))(arg)
            if base is not None:
                f = (lambda g, b: lambda e: g(e) / cmath.log(b(e)))(f, base)
            if power is not None:
                f = (lambda g, p: lambda e: _pow(g(e), p(e)))(f, power)
            return f
        raise Unsupported(f"command \\{name}")


def compile_expr(text: str) -> tuple[Fn, frozenset[str]]:
    """Compile ``text`` into ``fn(env) -> complex`` and its set of free variables."""
    depth = best = 0
    for c in text:
        if c in "({[":
            depth += 1
            best = max(best, depth)
        elif c in ")}]":
            depth -= 1
    if best > MAX_DEPTH:
        raise Unsupported("nested too deeply")
    p = _Parser(text)
    try:
        fn = p.parse()
    except RecursionError as exc:
        raise Unsupported("nested too deeply") from exc
    except (ArithmeticError, ValueError, IndexError, TypeError) as exc:  # e.g. 2\frac{1}{0}
        raise Unsupported(f"cannot compile: {type(exc).__name__}") from exc
    return fn, frozenset(p.variables)
