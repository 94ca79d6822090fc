"""Text measurements the IFEval checkers share: words, sentences, word tokens, language.

All offline: no NLTK, no downloads. Word counting and word tokenization follow the
reference implementation's NLTK calls (``RegexpTokenizer(r"\\w+")`` and
``word_tokenize``, i.e. Punkt sentences then the NLTK 3.8 Treebank-style rules);
sentences come from :mod:`verifiers.ifeval.punkt`.
"""

from __future__ import annotations

import functools
import re
import threading
from typing import Any

from verifiers.ifeval import punkt

_WORD_RE = re.compile(r"\w+")

# The NLTK 3.8 word tokenizer as ordered substitutions on one sentence.
_Rule = tuple[re.Pattern[str], str]
_QUOTES_OPEN: list[_Rule] = [
    (re.compile(r"([«“‘„]|[`]+)"), r" \1 "),
    (re.compile(r'^"'), "``"),
    (re.compile(r"(``)"), r" \1 "),
    (re.compile(r"([ \(\[{<])(\"|\'{2})"), r"\1 `` "),
    (re.compile(r"(?i)(\')(?!re|ve|ll|m|t|s|d|n)(\w)\b"), r"\1 \2"),
]
_PUNCT: list[_Rule] = [
    (re.compile(r'([^\.])(\.)([\]\)}>"\'»”’ ]*)\s*$'), r"\1 \2 \3 "),
    (re.compile(r"([:,])([^\d])"), r" \1 \2"),
    (re.compile(r"([:,])$"), r" \1 "),
    (re.compile(r"\.{2,}"), r" \g<0> "),
    (re.compile(r"[;@#$%&]"), r" \g<0> "),
    (re.compile(r'([^\.])(\.)([\]\)}>"\']*)\s*$'), r"\1 \2\3 "),
    (re.compile(r"[?!]"), r" \g<0> "),
    (re.compile(r"([^'])' "), r"\1 ' "),
    (re.compile(r"[*]"), r" \g<0> "),
    (re.compile(r"[\]\[\(\)\{\}\<\>]"), r" \g<0> "),
    (re.compile(r"--"), r" -- "),
]
_QUOTES_CLOSE: list[_Rule] = [
    (re.compile(r"([»”’])"), r" \1 "),
    (re.compile(r"''"), " '' "),
    (re.compile(r'"'), " '' "),
    (re.compile(r"([^' ])('[sS]|'[mM]|'[dD]|') "), r"\1 \2 "),
    (re.compile(r"([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) "), r"\1 \2 "),
]
_SPLIT_WORDS = [re.compile(p) for p in (
    r"(?i)\b(can)(not)\b", r"(?i)\b(d)('ye)\b", r"(?i)\b(gim)(me)\b", r"(?i)\b(gon)(na)\b",
    r"(?i)\b(got)(ta)\b", r"(?i)\b(lem)(me)\b", r"(?i)\b(more)('n)\b", r"(?i)\b(wan)(na)(?=\s)",
    r"(?i) ('t)(is)\b", r"(?i) ('t)(was)\b",
)]


def count_words(text: str) -> int:
    """Number of ``\\w+`` runs (the reference's word count)."""
    return len(_WORD_RE.findall(text))


def count_sentences(text: str) -> int:
    """Number of Punkt sentences (the reference's sentence count)."""
    return punkt.count_sentences(text)


def _tokenize_sentence(text: str) -> list[str]:
    for pattern, repl in _QUOTES_OPEN + _PUNCT:
        text = pattern.sub(repl, text)
    text = f" {text} "
    for pattern, repl in _QUOTES_CLOSE:
        text = pattern.sub(repl, text)
    for pattern in _SPLIT_WORDS:
        text = pattern.sub(r" \1 \2 ", text)
    return text.split()


def word_tokenize(text: str) -> list[str]:
    """Word tokens as NLTK 3.8 ``word_tokenize`` makes them (sentences, then Treebank rules)."""
    return [tok for sent in punkt.split_sentences(text) for tok in _tokenize_sentence(sent)]


class _LanguageDetector:
    """langdetect with a fixed seed: the same text always gets the same language."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._factory: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._factory is None:
                from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

                factory = DetectorFactory()
                factory.load_profile(PROFILES_DIRECTORY)
                factory.seed = self.seed
                self._factory = factory
        return self._factory

    def detect(self, text: str) -> str | None:
        """ISO 639-1 code of ``text``'s language, or None when langdetect finds no features."""
        from langdetect.lang_detect_exception import LangDetectException

        detector = self._load().create()
        detector.append(text)
        try:
            return detector.detect()
        except LangDetectException:
            return None


_DETECTOR = _LanguageDetector()


@functools.lru_cache(maxsize=4096)
def detect_language(text: str) -> str | None:
    """Language of ``text`` by seeded langdetect; None when undetectable (e.g. no letters).

    Deterministic, hence cached: strict and loose checks of a response share the work.
    """
    return _DETECTOR.detect(text)
