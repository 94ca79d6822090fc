"""IFEval checkers on what a response says: keywords, letters, case, language, punctuation,
placeholders, postscripts, start and end."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from verifiers.ifeval import text
from verifiers.ifeval.registry import InstructionError, arg, compare, instruction, int_arg, pattern


@instruction("keywords:existence", "keywords")
def keywords_existence(response: str, args: Mapping[str, Any]) -> bool:
    """Every keyword occurs (case-insensitive; a keyword is a regex, as in the reference)."""
    keywords = arg(args, "keywords")
    if isinstance(keywords, str):
        keywords = [keywords]
    return all(pattern(k, flags=re.IGNORECASE).search(response) for k in keywords)


@instruction("keywords:frequency", "keyword", "frequency", "relation")
def keywords_frequency(response: str, args: Mapping[str, Any]) -> bool:
    """The keyword occurs less than / at least ``frequency`` times (case-insensitive)."""
    keyword = str(arg(args, "keyword")).strip()
    count = len(pattern(keyword, flags=re.IGNORECASE).findall(response))
    return compare(count, args.get("relation"), int_arg(args, "frequency"))


@instruction("keywords:forbidden_words", "forbidden_words")
def keywords_forbidden_words(response: str, args: Mapping[str, Any]) -> bool:
    """None of the words occurs as a whole word (case-insensitive)."""
    words = arg(args, "forbidden_words")
    if isinstance(words, str):
        words = [words]
    return not any(pattern(w, r"\b", r"\b", re.IGNORECASE).search(response) for w in set(words))


@instruction("keywords:letter_frequency", "letter", "let_frequency", "let_relation")
def keywords_letter_frequency(response: str, args: Mapping[str, Any]) -> bool:
    """The letter occurs less than / at least ``let_frequency`` times (case-insensitive).

    Deterministic rule: a "letter" outside a-z (the data asks for "#" and "!") is counted
    as the character it is; the reference replaces it with a random letter.
    """
    letter = str(arg(args, "letter"))
    letter = letter.strip().lower() or letter
    count = response.lower().count(letter)
    return compare(count, args.get("let_relation"), int_arg(args, "let_frequency"))


def _detected(response: str, language: str) -> bool:
    found = text.detect_language(response)
    return True if found is None else found == language  # undetectable counts as followed


@instruction("language:response_language", "language")
def response_language(response: str, args: Mapping[str, Any]) -> bool:
    """langdetect (seeded) finds the requested ISO 639-1 language."""
    return _detected(response, str(arg(args, "language")))


@instruction("change_case:english_capital")
def english_capital(response: str, args: Mapping[str, Any]) -> bool:
    """All cased characters are upper case and the language is English."""
    return response.isupper() and _detected(response, "en")


@instruction("change_case:english_lowercase")
def english_lowercase(response: str, args: Mapping[str, Any]) -> bool:
    """All cased characters are lower case and the language is English."""
    return response.islower() and _detected(response, "en")


@instruction("change_case:capital_word_frequency", "capital_frequency", "capital_relation")
def capital_word_frequency(response: str, args: Mapping[str, Any]) -> bool:
    """Less than / at least ``capital_frequency`` all-capital word tokens (NLTK tokens)."""
    count = sum(1 for tok in text.word_tokenize(response) if tok.isupper())
    return compare(count, args.get("capital_relation"), int_arg(args, "capital_frequency"))


@instruction("punctuation:no_comma")
def no_comma(response: str, args: Mapping[str, Any]) -> bool:
    """No ASCII comma anywhere."""
    return "," not in response


_PLACEHOLDER = re.compile(r"\[.*?\]")


@instruction("detectable_content:number_placeholders", "num_placeholders")
def number_placeholders(response: str, args: Mapping[str, Any]) -> bool:
    """At least ``num_placeholders`` square-bracket placeholders such as [address]."""
    return len(_PLACEHOLDER.findall(response)) >= int_arg(args, "num_placeholders")


_POSTSCRIPT = {"P.P.S": r"\s*p\.\s?p\.\s?s.*$", "P.S.": r"\s*p\.\s?s\..*$"}


@instruction("detectable_content:postscript", "postscript_marker")
def postscript(response: str, args: Mapping[str, Any]) -> bool:
    """A line contains the postscript marker (case-insensitive; "P.S." also as "p. s.")."""
    marker = str(arg(args, "postscript_marker")).strip()
    if marker in _POSTSCRIPT:
        regex = re.compile(_POSTSCRIPT[marker], re.MULTILINE)
    else:
        regex = pattern(marker.lower(), r"\s*", r".*$", re.MULTILINE)
    return regex.search(response.lower()) is not None


@instruction("startend:end_checker", "end_phrase")
def end_checker(response: str, args: Mapping[str, Any]) -> bool:
    """Ends with the phrase (case-insensitive, ignoring surrounding space and double quotes)."""
    phrase = str(arg(args, "end_phrase")).strip().lower()
    return response.strip().strip('"').lower().endswith(phrase)


@instruction("startend:quotation")
def quotation(response: str, args: Mapping[str, Any]) -> bool:
    """Wrapped in double quotation marks (after stripping surrounding space)."""
    stripped = response.strip()
    return len(stripped) > 1 and stripped[0] == '"' and stripped[-1] == '"'


@instruction("combination:repeat_prompt", "prompt_to_repeat")
def repeat_prompt(response: str, args: Mapping[str, Any]) -> bool:
    """Starts with the request, repeated word for word (case-insensitive).

    The request is the ``prompt_to_repeat`` argument, else the prompt passed to the verifier.
    """
    request = args.get("prompt_to_repeat") or args.get("prompt")
    if not request:
        raise InstructionError("missing argument 'prompt_to_repeat' and no prompt given")
    return response.strip().lower().startswith(str(request).strip().lower())
