"""Punkt-style sentence splitting without NLTK or downloaded model files.

The IFEval reference counts sentences with NLTK's pretrained English Punkt model
(Kiss & Strunk 2006). This module re-implements the Punkt *decision procedure* (the
word segmentation, the candidate-boundary contexts, the first and second annotation
passes and the boundary realignment of NLTK 3.8, the version the published IFEval
numbers were computed with) and drives it with small built-in parameter lists
(see :mod:`verifiers.ifeval.lexicon`) instead of the 20k-entry orthographic table
learned from newswire. Where that table would be consulted, :func:`builtin_ortho_class` uses
a documented rule; docs/ifeval.md lists the consequences.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from verifiers.ifeval import lexicon

_NON_WORD = r"(?:[)\";}\]\*:@\'\({\[?!])"
_MULTI_CHAR = r"(?:\-{2,}|\.{2,}|(?:\.\s){2,}\.)"
_WORD_START = r"[^\(\"\`{\[:;&\#\*@\)}\]\-,]"
_WORD_RE = re.compile(
    rf"""(
        {_MULTI_CHAR}
        |
        (?={_WORD_START})\S+?
        (?=\s|$|{_NON_WORD}|{_MULTI_CHAR}|,(?=$|\s|{_NON_WORD}|{_MULTI_CHAR}))
        |
        \S
    )""",
    re.UNICODE | re.VERBOSE,
)
_PERIOD_CONTEXT_RE = re.compile(
    rf"[.?!](?=(?P<after_tok>{_NON_WORD}|\s+(?P<next_tok>\S+)))", re.UNICODE
)
_REALIGN_RE = re.compile(r'["\')\]}]+?(?:\s+|(?=--)|$)', re.MULTILINE)
_NUMERIC_RE = re.compile(r"^-?[\.,]?\d[\d,\.-]*\.?$")
_INITIAL_RE = re.compile(r"[^\W\d]\.$", re.UNICODE)
_ELLIPSIS_RE = re.compile(r"\.\.+$")
_PUNCTUATION = frozenset(";:,.!?")
_WHITESPACE = frozenset(" \t\n\r\x0b\x0c")

# Orthographic classes of a word type (what Punkt's learned table would say).
STARTER = "starter"  # seen lower-case, never capitalised mid-sentence: a capital means a new sentence
MIXED = "mixed"  # seen both ways: a capital is no evidence either way
PROPER = "proper"  # never seen lower-case (names): a capital after an initial continues the sentence


@dataclass(frozen=True)
class Orthography:
    """What the splitter knows about how a word type is capitalised.

    ``classify(type)`` gives STARTER, MIXED or PROPER; ``lower_starters`` are types seen
    starting a sentence in lower case and never capitalised (no evidence either way).
    """

    classify: Callable[[str], str]
    lower_starters: frozenset[str] = lexicon.LOWER_STARTERS


def builtin_ortho_class(word_type: str) -> str:
    """Orthographic class of a lower-cased word type, by rule (replaces Punkt's learned table).

    Words in :data:`lexicon.STARTER_WORDS` are STARTER; single letters (the chain of
    initials in "J. K.") and hyphenated words (compounds such as "hands-on", rare in
    the newswire Punkt learned from) are PROPER; every other word is MIXED.
    """
    if word_type in lexicon.STARTER_WORDS:
        return STARTER
    if len(word_type.rstrip(".")) == 1 or "-" in word_type.strip("-"):
        return PROPER
    return MIXED


BUILTIN = Orthography(builtin_ortho_class)


def load_punkt_tab(directory: str | Path) -> Orthography:
    """Orthography from an NLTK ``punkt_tab/english`` folder (its ``ortho_context.tab``).

    With it the splitter reproduces NLTK 3.8's pretrained English Punkt exactly (the
    other three parameter files of that folder equal the built-in lists).
    """
    table: dict[str, int] = {}
    with open(Path(directory) / "ortho_context.tab", encoding="utf-8") as f:
        for line in f:
            word, _, flags = line.rstrip("\n").rpartition("\t")
            if word:
                table[word] = int(flags)
    upper, lower, mid_upper, beg_lower = 2 | 4 | 8, 16 | 32 | 64, 4, 16

    def classify(word_type: str) -> str:
        flags = table.get(word_type, 0)
        if not flags & lower:
            return PROPER
        return MIXED if flags & mid_upper else STARTER

    lower_starters = frozenset(w for w, f in table.items() if f & beg_lower and not f & upper)
    return Orthography(classify, lower_starters)


@dataclass
class _Token:
    tok: str
    sentbreak: bool = False
    abbr: bool = False
    ellipsis: bool = False

    @property
    def type(self) -> str:
        return _NUMERIC_RE.sub("##number##", self.tok.lower())

    @property
    def type_no_period(self) -> str:
        t = self.type
        return t[:-1] if len(t) > 1 and t[-1] == "." else t

    @property
    def type_no_sentperiod(self) -> str:
        return self.type_no_period if self.sentbreak else self.type


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    for line in text.split("\n"):
        if line.strip():
            out.extend(_Token(t) for t in _WORD_RE.findall(line))
    return out


def _first_pass(tok: _Token) -> None:
    t = tok.tok
    if t in (".", "?", "!"):
        tok.sentbreak = True
    elif _ELLIPSIS_RE.match(t):
        tok.ellipsis = True
    elif t.endswith(".") and not t.endswith(".."):
        stem = t[:-1].lower()
        if stem in lexicon.ABBREVIATIONS or stem.split("-")[-1] in lexicon.ABBREVIATIONS:
            tok.abbr = True
        else:
            tok.sentbreak = True


def _starts_sentence(tok: _Token, ortho: Orthography) -> bool | None:
    """Orthographic evidence that ``tok`` starts a sentence: True, False or None (unknown)."""
    if tok.tok in _PUNCTUATION:
        return False
    first = tok.tok[0]
    if first.isupper():
        return True if ortho.classify(tok.type_no_sentperiod) == STARTER else None
    if first.islower():
        return None if tok.type_no_sentperiod in ortho.lower_starters else False
    return None


def _second_pass(tok1: _Token, tok2: _Token, ortho: Orthography) -> None:
    if not tok1.tok.endswith("."):
        return
    typ = tok1.type_no_period
    next_typ = tok2.type_no_sentperiod
    initial = bool(_INITIAL_RE.match(tok1.tok))
    if (typ, next_typ) in lexicon.COLLOCATIONS:
        tok1.sentbreak, tok1.abbr = False, True
        return
    if (tok1.abbr or tok1.ellipsis) and not initial:
        if _starts_sentence(tok2, ortho) is True:
            tok1.sentbreak = True
            return
        if tok2.tok[0].isupper() and next_typ in lexicon.SENT_STARTERS:
            tok1.sentbreak = True
            return
    if initial or typ == "##number##":
        evidence = _starts_sentence(tok2, ortho)
        if evidence is False:
            tok1.sentbreak, tok1.abbr = False, True
            return
        if (evidence is None and initial and tok2.tok[0].isupper()
                and ortho.classify(next_typ) == PROPER):
            tok1.sentbreak, tok1.abbr = False, True


def _context_has_break(context: str, ortho: Orthography) -> bool:
    """True when a token other than the last one of ``context`` ends a sentence."""
    toks = _tokens(context)
    for tok in toks:
        _first_pass(tok)
    for a, b in zip(toks, toks[1:], strict=False):
        _second_pass(a, b, ortho)
    return any(t.sentbreak for t in toks[:-1])


def _last_whitespace(text: str) -> int:
    for i in range(len(text) - 1, -1, -1):
        if text[i] in _WHITESPACE:
            return i
    return 0


def _end_contexts(text: str) -> Iterator[tuple[re.Match[str], str]]:
    """Candidate boundaries with their context (previous word, mark, following token)."""
    prev_start, prev_stop = 0, 0
    prev_match: re.Match[str] | None = None
    for match in _PERIOD_CONTEXT_RE.finditer(text):
        before = text[prev_stop:match.start()]
        idx = _last_whitespace(before)
        start = idx + prev_stop + 1 if idx else prev_start
        if prev_match is not None and prev_stop <= start:
            yield prev_match, text[prev_start:prev_stop] + prev_match.group() + prev_match.group("after_tok")
        prev_match, prev_start, prev_stop = match, start, match.start()
    if prev_match is not None:
        yield prev_match, text[prev_start:prev_stop] + prev_match.group() + prev_match.group("after_tok")


def _raw_spans(text: str, ortho: Orthography) -> Iterator[tuple[int, int]]:
    last = 0
    for match, context in _end_contexts(text):
        if _context_has_break(context, ortho):
            yield last, match.end()
            last = match.start("next_tok") if match.group("next_tok") else match.end()
    yield last, len(text.rstrip())


def sentence_spans(text: str, ortho: Orthography = BUILTIN) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of ``text``, closing quotes/brackets realigned."""
    spans = list(_raw_spans(text, ortho))
    out: list[tuple[int, int]] = []
    shift = 0
    for i, (start, stop) in enumerate(spans):
        start += shift
        if i + 1 == len(spans):
            if text[start:stop]:
                out.append((start, stop))
            continue
        nxt_start, nxt_stop = spans[i + 1]
        m = _REALIGN_RE.match(text[nxt_start:nxt_stop])
        if m:
            out.append((start, nxt_start + len(m.group(0).rstrip())))
            shift = m.end()
        else:
            shift = 0
            if text[start:stop]:
                out.append((start, stop))
    return out


def split_sentences(text: str, ortho: Orthography = BUILTIN) -> list[str]:
    """The sentences of ``text`` (Punkt decision procedure, English parameters)."""
    return [text[a:b] for a, b in sentence_spans(text, ortho)]


def count_sentences(text: str, ortho: Orthography = BUILTIN) -> int:
    """Number of sentences in ``text``, as the IFEval reference counts them."""
    return len(sentence_spans(text, ortho))
