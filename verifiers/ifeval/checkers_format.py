"""IFEval checkers on how a response is laid out: length, paragraphs, sections, lists,
highlights, titles, JSON, fixed answers and paired responses."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from verifiers.ifeval import text
from verifiers.ifeval.registry import arg, compare, instruction, int_arg, pattern


@instruction("length_constraints:number_words", "num_words", "relation")
def number_words(response: str, args: Mapping[str, Any]) -> bool:
    """Less than / at least ``num_words`` words (``\\w+`` runs)."""
    return compare(text.count_words(response), args.get("relation"), int_arg(args, "num_words"))


@instruction("length_constraints:number_sentences", "num_sentences", "relation")
def number_sentences(response: str, args: Mapping[str, Any]) -> bool:
    """Less than / at least ``num_sentences`` sentences (Punkt)."""
    return compare(text.count_sentences(response), args.get("relation"), int_arg(args, "num_sentences"))


_DIVIDER = re.compile(r"\s?\*\*\*\s?")


@instruction("length_constraints:number_paragraphs", "num_paragraphs")
def number_paragraphs(response: str, args: Mapping[str, Any]) -> bool:
    """Exactly ``num_paragraphs`` paragraphs separated by the markdown divider ``***``.

    An empty piece before the first or after the last divider is not a paragraph; an empty
    piece between two dividers fails the instruction.
    """
    pieces = _DIVIDER.split(response)
    count = len(pieces)
    for i, piece in enumerate(pieces):
        if not piece.strip():
            if i in (0, len(pieces) - 1):
                count -= 1
            else:
                return False
    return count == int_arg(args, "num_paragraphs")


_FIRST_WORD_STOP = frozenset(".,?!'\"")


@instruction("length_constraints:nth_paragraph_first_word", "num_paragraphs", "nth_paragraph",
             "first_word")
def nth_paragraph_first_word(response: str, args: Mapping[str, Any]) -> bool:
    """Exactly ``num_paragraphs`` non-empty paragraphs split on "\\n\\n", and paragraph
    ``nth_paragraph`` (1-based, counted over all pieces) starts with ``first_word``."""
    pieces = response.split("\n\n")
    count = sum(1 for p in pieces if p.strip())
    nth = int_arg(args, "nth_paragraph")
    if not 1 <= nth <= count:
        return False
    paragraph = pieces[nth - 1].strip()
    if not paragraph:
        return False
    word = paragraph.split()[0].strip().lstrip("'").lstrip('"')
    first = ""
    for ch in word:
        if ch in _FIRST_WORD_STOP:
            break
        first += ch.lower()
    return count == int_arg(args, "num_paragraphs") and first == str(arg(args, "first_word")).lower()


@instruction("detectable_format:multiple_sections", "section_spliter", "num_sections")
def multiple_sections(response: str, args: Mapping[str, Any]) -> bool:
    """At least ``num_sections`` sections, each opened by "<splitter> <number>"."""
    splitter = str(arg(args, "section_spliter")).strip()
    sections = pattern(splitter, r"\s?", r"\s?\d+\s?").split(response)
    return len(sections) - 1 >= int_arg(args, "num_sections")


_STAR_BULLET = re.compile(r"^\s*\*[^\*].*$", re.MULTILINE)
_DASH_BULLET = re.compile(r"^\s*-.*$", re.MULTILINE)


@instruction("detectable_format:number_bullet_lists", "num_bullets")
def number_bullet_lists(response: str, args: Mapping[str, Any]) -> bool:
    """Exactly ``num_bullets`` markdown bullet lines ("* " or "- ")."""
    count = len(_STAR_BULLET.findall(response)) + len(_DASH_BULLET.findall(response))
    return count == int_arg(args, "num_bullets")


_HIGHLIGHT = re.compile(r"\*[^\n\*]*\*")
_BOLD = re.compile(r"\*\*[^\n\*]*\*\*")


@instruction("detectable_format:number_highlighted_sections", "num_highlights")
def number_highlighted_sections(response: str, args: Mapping[str, Any]) -> bool:
    """At least ``num_highlights`` non-empty *highlighted* or **bold** spans."""
    count = sum(1 for h in _HIGHLIGHT.findall(response) if h.strip("*").strip())
    count += sum(1 for h in _BOLD.findall(response) if h[2:-2].strip())
    return count >= int_arg(args, "num_highlights")


_TITLE = re.compile(r"<<[^\n]+>>")


@instruction("detectable_format:title")
def title(response: str, args: Mapping[str, Any]) -> bool:
    """Contains a non-empty title in double angular brackets, such as <<poem of joy>>."""
    return any(t.lstrip("<").rstrip(">").strip() for t in _TITLE.findall(response))


_JSON_FENCES = ("```json", "```Json", "```JSON", "```")


@instruction("detectable_format:json_format")
def json_format(response: str, args: Mapping[str, Any]) -> bool:
    """The whole response parses as JSON, optionally inside one markdown code fence."""
    value = response.strip()
    for fence in _JSON_FENCES:
        value = value.removeprefix(fence)
    value = value.removesuffix("```").strip()
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


_CONSTRAINED = ("My answer is yes.", "My answer is no.", "My answer is maybe.")


@instruction("detectable_format:constrained_response")
def constrained_response(response: str, args: Mapping[str, Any]) -> bool:
    """Contains one of "My answer is yes.", "My answer is no.", "My answer is maybe."."""
    stripped = response.strip()
    return any(option in stripped for option in _CONSTRAINED)


@instruction("combination:two_responses")
def two_responses(response: str, args: Mapping[str, Any]) -> bool:
    """Exactly two different non-empty responses separated by "******"."""
    pieces = response.split("******")
    kept = []
    for i, piece in enumerate(pieces):
        if piece.strip():
            kept.append(piece.strip())
        elif i not in (0, len(pieces) - 1):
            return False
    return len(kept) == 2 and kept[0] != kept[1]
