"""Plain-number fast path: parse and compare numbers without sympy.

Understands integers, decimals, fractions (``a/b``, ``\\frac{a}{b}``), mixed numbers
(``2\\frac{1}{2}``), percentages (``50%``), scientific notation (``1.5e3``,
``1.5\\cdot10^{3}``, ``10^{-2}``). Values are exact ``Fraction``s; a number written with
a decimal point or an exponent is flagged approximate and compared with a relative
tolerance, integers and fractions of integers compare exactly. Only ASCII digits
count (``int('٣')`` would accept Arabic-Indic digits; we do not).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

MAX_DIGITS = 1000  # longer numerals are refused (Python itself stops at 4300)
MAX_EXP10 = 400  # |k| in 1.5e{k} / 10^{k}

_D = r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+"
_SIMPLE = re.compile(rf"([+-]?)({_D})(?:[eE]([+-]?[0-9]+))?")
_SCI = re.compile(rf"([+-]?)(?:({_D})\\cdot)?10\^(?:\{{([+-]?[0-9]+)\}}|([0-9]))")
_SLASH = re.compile(rf"([+-]?)({_D})/({_D})")
_FRAC = re.compile(rf"([+-]?)([0-9]+)?\\frac\{{([+-]?)({_D})\}}\{{([+-]?)({_D})\}}")


@dataclass(frozen=True)
class Num:
    """A parsed number: exact value, whether it was written approximately, and a % sign."""

    value: Fraction
    approx: bool = False
    percent: bool = False


def _dec(s: str) -> Fraction:
    if len(s) > MAX_DIGITS:
        raise ValueError("numeral too long")
    return Fraction(s if not s.endswith(".") else s[:-1])


def parse_number(s: str) -> Num | None:
    """Parse a normalised answer string as one number, or None."""
    if not s or len(s) > MAX_DIGITS + 50:
        return None
    percent = s.endswith("%")
    if percent:
        s = s[:-1]
    try:
        value, approx = _parse(s)
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
    if value is None:
        return None
    return Num(value, approx, percent)


def _parse(s: str) -> tuple[Fraction | None, bool]:
    m = _SIMPLE.fullmatch(s)
    if m:
        sign, mant, exp = m.groups()
        v = _dec(mant)
        approx = "." in mant
        if exp is not None:
            k = int(exp)
            if abs(k) > MAX_EXP10:
                return None, False
            v *= Fraction(10) ** k
            approx = True
        return (-v if sign == "-" else v), approx
    m = _SCI.fullmatch(s)
    if m:
        sign, mant, k1, k2 = m.groups()
        k = int(k1 if k1 is not None else k2)
        if abs(k) > MAX_EXP10:
            return None, False
        v = (_dec(mant) if mant else Fraction(1)) * Fraction(10) ** k
        return (-v if sign == "-" else v), mant is not None and "." in mant
    m = _SLASH.fullmatch(s)
    if m:
        sign, a, b = m.groups()
        v = _dec(a) / _dec(b)
        return (-v if sign == "-" else v), "." in a + b
    m = _FRAC.fullmatch(s)
    if m:
        sign, whole, sa, a, sb, b = m.groups()
        v = _dec(a) / _dec(b)
        if (sa == "-") != (sb == "-"):
            v = -v
        if whole is not None:  # mixed number 2\frac{1}{2} = 5/2
            if v < 0:
                return None, False
            v = _dec(whole) + v
        return (-v if sign == "-" else v), "." in a + b
    return None, False


def _close(a: Fraction, b: Fraction, rel_tol: float) -> bool:
    if a == b:
        return True
    scale = max(abs(a), abs(b))
    return abs(a - b) <= Fraction(rel_tol) * scale


def numbers_equal(gold: Num, ans: Num, rel_tol: float = 1e-6) -> bool:
    """Equality of two numbers.

    Exact when both are exact; within ``rel_tol`` (relative) when either was written
    with a decimal point or an exponent. A percentage matches both its face value
    and its value / 100 (``50%`` equals ``50`` and ``0.5``).
    """
    approx = gold.approx or ans.approx
    golds = [gold.value] + ([gold.value / 100] if gold.percent else [])
    answers = [ans.value] + ([ans.value / 100] if ans.percent else [])
    for g in golds:
        for a in answers:
            if (a == g) if not approx else _close(g, a, rel_tol):
                return True
    return False


def is_integer_string(s: str) -> bool:
    """True for an optionally signed run of ASCII digits."""
    return re.fullmatch(r"[+-]?[0-9]+", s) is not None
