"""String normalisation of an extracted answer (no sympy, linear time).

The result is a canonical LaTeX-ish string: no ``$``, no ``\\left``/``\\right``, no
spacing commands, ``\\frac`` for ``\\dfrac``/``\\tfrac``, ``\\text{}`` unwrapped, units,
currency and degree signs dropped, thousands separators removed from plain numbers,
``%`` kept as a bare ``%`` suffix, no trailing punctuation and no whitespace (except
one space between a command and a following letter, as in ``\\pi r``).
"""

from __future__ import annotations

import re
import unicodedata

# characters NFKC would mangle or that have a LaTeX meaning: map them first
_UNICODE = {
    "²": "^2", "³": "^3", "¹": "^1", "⁴": "^4", "√": "\\sqrt", "π": "\\pi", "∞": "\\infty",
    "−": "-", "–": "-", "—": "-", "×": "\\times", "÷": "/", "·": "\\cdot", "≤": "\\leq",
    "≥": "\\geq", "≠": "\\neq", "°": "^\\circ", "∪": "\\cup", "∩": "\\cap", "∅": "\\emptyset",
    "½": "1/2", "¼": "1/4", "¾": "3/4", "€": "", "£": "", "¥": "", "₹": "", "⟨": "\\langle",
    "⟩": "\\rangle", "\u00a0": " ", "\u2009": " ", "\u202f": " ",
}
_UNICODE_RE = re.compile("|".join(map(re.escape, _UNICODE)))

_TEXT_CMDS = re.compile(r"\\(?:text|textbf|textit|textrm|textnormal|mathrm|mathbf|mathit|mbox|hbox|"
                        r"operatorname|mathnormal|boldsymbol|bm)\s*\{([^{}]*)\}")
_SIZING = re.compile(r"\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|Biggl|Biggr|big|Big|bigg|Bigg)"
                     r"(?![a-zA-Z])\s*\.?")
_SPACES = re.compile(r"(?<!\\)\\[,:;!> ]|\\(?:quad|qquad|displaystyle|textstyle|scriptstyle|limits|nolimits)"
                     r"(?![a-zA-Z])|\\hspace\*?\{[^{}]*\}|~")
_DEGREES = re.compile(r"\^\s*\{?\s*\\circ\s*\}?|\\circ(?![a-zA-Z])|\\degree(?![a-zA-Z])|\^\s*\{\s*o\s*\}")
_UNIT_WORDS = (
    "square units|square feet|square inches|square meters|square centimeters|square miles|square yards|"
    "sq units|sq ft|sq in|cubic feet|cubic inches|cubic meters|cubic centimeters|cubic units|"
    "units|unit|centimeters|centimetres|centimeter|meters|metres|meter|kilometers|kilometer|millimeters|"
    "inches|inch|feet|foot|ft|yards|yard|miles|mile|cm|mm|km|kg|grams|gram|pounds|pound|lbs|lb|ounces|"
    "ounce|oz|liters|liter|litres|ml|gallons|gallon|hours|hour|hrs|hr|minutes|minute|mins|min|seconds|"
    "second|sec|days|day|weeks|week|months|month|years|year|mph|kmh|dollars|dollar|cents|cent|usd|"
    "degrees|degree|radians|people|students|points|ways"
)
_UNIT_TAIL = re.compile(r"(?<=[0-9}).\s])\s*(?:" + _UNIT_WORDS + r")(?:\s*\^\s*\{?[23]\}?)?\s*$",
                        re.IGNORECASE)
_UNIT_TAIL_NUM = re.compile(r"(?<=[0-9])\s+(?:m|g|s|l|h)\s*(?:\^\s*\{?[23]\}?)?$")
_THOUSANDS = re.compile(r"-?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
_PREFIX_WORDS = re.compile(r"^(?:the\s+answer\s+is|answer\s*:|final\s+answer\s*:|therefore|thus|so|hence)\s*",
                           re.IGNORECASE)
_BARE_FUNCS = re.compile(r"(?<![a-zA-Z\\])(sqrt|pi|sin|cos|tan|cot|sec|csc|ln|log|exp|infty)(?![a-zA-Z])")
_FRAC_SHORT = re.compile(r"\\frac\s*([0-9a-zA-Z])\s*([0-9a-zA-Z])")
_FRAC_HALF_SHORT = re.compile(r"\\frac\s*(\{[^{}]*\})\s*([0-9a-zA-Z])")
_SQRT_SHORT = re.compile(r"\\sqrt\s*([0-9a-zA-Z])")
_LIST_WORDS = re.compile(r"\s+(?:or|and)\s+|\\text\{\s*(?:or|and)\s*\}|,\s*(?:or|and)\s+", re.IGNORECASE)
_TRAILING = re.compile(r"(?:[\s.,;:?]|\\\.)+$")  # not "!": 5! is a factorial


def strip_math_delimiters(s: str) -> str:
    """Drop ``$``, ``\\(``/``\\)``, ``\\[``/``\\]`` math delimiters."""
    s = s.replace("\\$", "\x01")  # an escaped dollar is currency, not a delimiter
    s = s.replace("$", "")
    s = s.replace("\\(", "").replace("\\)", "").replace("\\[", "").replace("\\]", "")
    return s.replace("\x01", "")


def _unwrap_text(s: str) -> str:
    for _ in range(4):  # nested \text{\textbf{...}}; bounded
        new = _TEXT_CMDS.sub(lambda m: " " + m.group(1) + " ", s)
        if new == s:
            break
        s = new
    return s


def normalize(s: str) -> str:
    """Canonical form of an answer string (see the module docstring)."""
    if not s:
        return ""
    s = _UNICODE_RE.sub(lambda m: _UNICODE[m.group(0)], s)
    s = unicodedata.normalize("NFKC", s)  # fullwidth / math-bold digits -> ASCII
    s = strip_math_delimiters(s).strip()
    s = _PREFIX_WORDS.sub("", s)
    s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").replace("\\cfrac", "\\frac")
    s = s.replace("\\dbinom", "\\binom").replace("\\tbinom", "\\binom")
    s = _SIZING.sub("", s)
    s = _SPACES.sub(" ", s)
    s = s.replace("{,}", ",")
    s = _DEGREES.sub("", s)
    s = s.replace("\\%", "%").replace("\\percent", "%")
    s = _unwrap_text(s)
    s = _LIST_WORDS.sub(",", s)
    s = s.strip()
    s = _TRAILING.sub("", s)
    s = re.sub(r"(?i)\s*percent$", "%", s)
    for _ in range(2):  # "5 cm^2 ." then units nested like "5 square units"
        s = _UNIT_TAIL.sub("", s).strip()
    s = _UNIT_TAIL_NUM.sub("", s)
    s = re.sub(r"^\s*\\?[$]\s*", "", s)
    s = _BARE_FUNCS.sub(r"\\\1", s)
    s = re.sub(r"\\(?:infinity|inf)(?![a-zA-Z])", r"\\infty", s)
    s = re.sub(r"\\(?:le|leqslant)(?![a-zA-Z])", r"\\leq", s)
    s = re.sub(r"\\(?:ge|geqslant)(?![a-zA-Z])", r"\\geq", s)
    s = re.sub(r"\\ne(?![a-zA-Z])", r"\\neq", s)
    s = s.replace("<=", "\\leq").replace(">=", "\\geq").replace("!=", "\\neq")
    s = re.sub(r"\\(?:varnothing)(?![a-zA-Z])", r"\\emptyset", s).replace("\\{\\}", "\\emptyset")
    s = re.sub(r"\\times(?![a-zA-Z])", r"\\cdot", s)
    s = s.replace("\\lbrace", "\\{").replace("\\rbrace", "\\}")
    s = s.replace("\\lvert", "|").replace("\\rvert", "|")
    s = re.sub(r"\\(?:mid|vert)(?![a-zA-Z])", "|", s)
    s = _FRAC_SHORT.sub(r"\\frac{\1}{\2}", s)
    s = _FRAC_HALF_SHORT.sub(r"\\frac\1{\2}", s)
    s = _SQRT_SHORT.sub(r"\\sqrt{\1}", s)
    s = collapse_spaces(s)
    s = _TRAILING.sub("", s)
    s = strip_wrappers(s)
    if s.startswith("+") and len(s) > 1:
        s = s[1:]
    if _THOUSANDS.fullmatch(s):
        s = s.replace(",", "")
    return s


def _balanced(s: str, op: str, cl: str) -> bool:
    depth = 0
    for c in s:
        if c == op:
            depth += 1
        elif c == cl:
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def strip_wrappers(s: str) -> str:
    """Drop redundant wrapping: all outer ``{...}`` pairs, and ``((...))`` down to one pair.

    Linear time: the number of wrapping pairs is counted once and checked once (a naive
    strip-and-rescan loop would be quadratic on 10,000 nested braces).
    """
    for op, cl, keep in (("{", "}", 0), ("(", ")", 1)):
        k = len(s) - len(s.lstrip(op))
        m = len(s) - len(s.rstrip(cl))
        j = min(k, m) - keep
        if j > 0 and _balanced(s[j:len(s) - j], op, cl):
            s = s[j:len(s) - j]
    return s


def collapse_spaces(s: str) -> str:
    """Remove whitespace, keeping one space before a letter that follows a letter or command
    (``\\pi r``, ``x dx``: the space separates tokens there)."""
    s = re.sub(r"\s+", " ", s).strip()
    s = re.sub(r"(?<=[a-zA-Z]) (?=[a-zA-Z])", "\x00", s)
    return s.replace(" ", "").replace("\x00", " ")


_VAR_PREFIX = re.compile(r"^(?:[a-zA-Z](?:_\{?[0-9a-zA-Z]+\}?)?|\\[a-zA-Z]+|[a-zA-Z]\([a-zA-Z]\))=(?!=)")


def strip_var_prefix(s: str) -> str:
    """``x=5`` -> ``5``; ``f(x)=...`` -> ``...``; left alone if a second ``=`` follows."""
    m = _VAR_PREFIX.match(s)
    if m and "=" not in s[m.end():]:
        return s[m.end():]
    return s


def is_wordy(s: str) -> bool:
    """True for a textual answer (a run of 3+ letters that is not a LaTeX command)."""
    return re.search(r"(?<![\\a-zA-Z])[a-zA-Z]{3,}", s) is not None
