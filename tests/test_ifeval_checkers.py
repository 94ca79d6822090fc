"""Each IFEval instruction type: responses that follow it and that break it, at and one off
each threshold."""

from __future__ import annotations

import pytest

from verifiers.ifeval import INSTRUCTION_IDS, check_instruction


def ok(iid: str, response: str, prompt: str | None = None, **kwargs) -> bool:
    verdict = check_instruction(iid, response, kwargs, prompt)
    assert verdict.reason is None, verdict.reason
    return verdict.followed


def test_all_25_types_registered():
    assert len(INSTRUCTION_IDS) == 25
    assert "keywords:letter_frequency" in INSTRUCTION_IDS


@pytest.mark.parametrize("relation,n,words,expected", [
    ("at least", 5, 5, True), ("at least", 5, 4, False), ("at least", 5, 6, True),
    ("less than", 5, 4, True), ("less than", 5, 5, False),
])
def test_number_words(relation, n, words, expected):
    response = " ".join(["word"] * words)
    assert ok("length_constraints:number_words", response, num_words=n, relation=relation) is expected


def test_number_words_counts_word_runs():
    # "don't" is two \w+ runs, "e-mail" two, "3.5" two
    assert ok("length_constraints:number_words", "don't e-mail 3.5", num_words=6, relation="at least")
    assert not ok("length_constraints:number_words", "don't e-mail 3.5", num_words=7, relation="at least")


@pytest.mark.parametrize("relation,n,sentences,expected", [
    ("at least", 3, 3, True), ("at least", 3, 2, False),
    ("less than", 3, 2, True), ("less than", 3, 3, False),
])
def test_number_sentences(relation, n, sentences, expected):
    response = " ".join(["The cat sat on Mr. Smith's mat."] * sentences)
    assert ok("length_constraints:number_sentences", response, num_sentences=n, relation=relation) is expected


@pytest.mark.parametrize("response,n,expected", [
    ("one\n***\ntwo\n***\nthree", 3, True),
    ("one\n***\ntwo\n***\nthree", 2, False),
    ("one\n***\ntwo\n***\nthree", 4, False),
    ("***\none\n***\ntwo\n***\nthree\n***", 3, True),  # empty first/last pieces do not count
    ("one\n***\n\n***\nthree", 2, False),  # an empty paragraph in the middle fails
])
def test_number_paragraphs(response, n, expected):
    assert ok("length_constraints:number_paragraphs", response, num_paragraphs=n) is expected


@pytest.mark.parametrize("response,num,nth,word,expected", [
    ("Intro here.\n\nThen more.\n\nEnd.", 3, 2, "then", True),
    ("Intro here.\n\n\"Then, more.\n\nEnd.", 3, 2, "then", True),  # quote and comma stripped
    ("Intro here.\n\nNext more.\n\nEnd.", 3, 2, "then", False),
    ("Intro here.\n\nThen more.", 3, 2, "then", False),  # 2 paragraphs, not 3
    ("Intro here.\n\nThen more.\n\nEnd.\n\nMore.", 3, 2, "then", False),  # 4 paragraphs
    ("Intro here.\n\nThen more.\n\nEnd.", 3, 4, "then", False),  # nth beyond the count
])
def test_nth_paragraph_first_word(response, num, nth, word, expected):
    assert ok("length_constraints:nth_paragraph_first_word", response, num_paragraphs=num,
              nth_paragraph=nth, first_word=word) is expected


@pytest.mark.parametrize("n,expected", [(2, True), (3, False), (1, True)])
def test_multiple_sections(n, expected):
    response = "SECTION 1\nfirst part\nSECTION 2\nsecond part"
    assert ok("detectable_format:multiple_sections", response, section_spliter="SECTION",
              num_sections=n) is expected


def test_multiple_sections_needs_a_number():
    assert not ok("detectable_format:multiple_sections", "SECTION one\nSECTION two",
                  section_spliter="SECTION", num_sections=1)


@pytest.mark.parametrize("response,n,expected", [
    ("* a\n* b\n* c", 3, True),
    ("* a\n* b\n* c", 2, False),
    ("* a\n* b\n* c", 4, False),
    ("- a\n  * b\n- c", 3, True),
    ("**bold** line\n* a\n* b", 2, True),  # "**" does not open a bullet
])
def test_number_bullet_lists(response, n, expected):
    assert ok("detectable_format:number_bullet_lists", response, num_bullets=n) is expected


@pytest.mark.parametrize("response,n,expected", [
    ("*one* and *two*", 2, True),
    ("*one* and *two*", 3, False),
    ("*one* only", 2, False),
    ("**bold** and *it*", 2, True),
    ("* * and ** **", 1, False),  # empty highlights do not count
    ("*across\nlines*", 1, False),
])
def test_number_highlighted_sections(response, n, expected):
    assert ok("detectable_format:number_highlighted_sections", response, num_highlights=n) is expected


@pytest.mark.parametrize("response,expected", [
    ("<<Poem of joy>>\nverse", True), ("no title", False), ("<<  >> empty", False),
    ("<<split\ntitle>>", False),
])
def test_title(response, expected):
    assert ok("detectable_format:title", response) is expected


@pytest.mark.parametrize("response,expected", [
    ('{"a": 1}', True), ('```json\n{"a": [1, 2]}\n```', True), ("```\n[1]\n```", True),
    ("Here it is: {\"a\": 1}", False), ("{'a': 1}", False),
])
def test_json_format(response, expected):
    assert ok("detectable_format:json_format", response) is expected


@pytest.mark.parametrize("response,expected", [
    ("My answer is yes.", True), ("Well... My answer is maybe. Because.", True),
    ("My answer is yes", False), ("my answer is no.", False),
])
def test_constrained_response(response, expected):
    assert ok("detectable_format:constrained_response", response) is expected


@pytest.mark.parametrize("response,expected", [
    ("first\n******\nsecond", True), ("first\n******\nfirst", False),
    ("a\n******\nb\n******\nc", False), ("a\n******\n\n******\nb", False),
    ("******\na\n******\nb\n******", True), ("only one", False),
])
def test_two_responses(response, expected):
    assert ok("combination:two_responses", response) is expected


def test_repeat_prompt_from_kwargs_and_from_meta():
    request = "Write a poem about the sea."
    assert ok("combination:repeat_prompt", "write a poem about the SEA. Waves...", prompt_to_repeat=request)
    assert not ok("combination:repeat_prompt", "Sure! Write a poem about the sea.", prompt_to_repeat=request)
    assert ok("combination:repeat_prompt", "Write a poem about the sea. Waves", prompt=request)
    verdict = check_instruction("combination:repeat_prompt", "anything", {})
    assert not verdict.followed and "prompt" in verdict.reason


def test_keywords_existence():
    kw = {"keywords": ["Ocean", "salt"]}
    assert ok("keywords:existence", "The ocean tastes of SALT.", **kw)
    assert not ok("keywords:existence", "The ocean is blue.", **kw)
    assert ok("keywords:existence", "I like C++ a lot", keywords=["C++"])  # invalid regex: literal


@pytest.mark.parametrize("relation,n,count,expected", [
    ("at least", 2, 2, True), ("at least", 2, 1, False),
    ("less than", 2, 1, True), ("less than", 2, 2, False),
])
def test_keywords_frequency(relation, n, count, expected):
    response = "start " + " ".join(["Dog"] * count) + " end"
    assert ok("keywords:frequency", response, keyword="dog", frequency=n, relation=relation) is expected


def test_forbidden_words_are_whole_words():
    assert not ok("keywords:forbidden_words", "My Cat sleeps.", forbidden_words=["cat"])
    assert ok("keywords:forbidden_words", "Cats and concatenation.", forbidden_words=["cat"])


@pytest.mark.parametrize("relation,n,count,expected", [
    ("at least", 3, 3, True), ("at least", 3, 2, False),
    ("less than", 3, 2, True), ("less than", 3, 3, False),
])
def test_letter_frequency(relation, n, count, expected):
    response = "x" + "zA" * count  # 'a' counted case-insensitively, once per pair
    assert ok("keywords:letter_frequency", response, letter="a", let_frequency=n,
              let_relation=relation) is expected


def test_letter_frequency_non_letter_is_counted_literally():
    kw = {"letter": "#", "let_frequency": 4, "let_relation": "at least"}
    assert ok("keywords:letter_frequency", "#a #b #c #d", **kw)
    assert not ok("keywords:letter_frequency", "#a #b #c and many letters", **kw)


def test_response_language():
    french = "Bonjour, je m'appelle Marie et j'habite à Paris depuis dix ans avec ma famille."
    english = "Hello, my name is Mary and I have lived in London for ten years with my family."
    assert ok("language:response_language", french, language="fr")
    assert not ok("language:response_language", english, language="fr")
    assert ok("language:response_language", "12345 !!!", language="fr")  # undetectable: followed


def test_english_capital_and_lowercase():
    upper = "THIS ANSWER IS WRITTEN IN CAPITAL LETTERS FROM THE FIRST WORD TO THE LAST ONE."
    assert ok("change_case:english_capital", upper)
    assert not ok("change_case:english_capital", upper[:-2] + "e.")
    assert not ok("change_case:english_capital",
                  "DIES IST EINE ANTWORT AUF DEUTSCH, GESCHRIEBEN MIT GROSSBUCHSTABEN UND ÜBERALL.")
    assert ok("change_case:english_lowercase", upper.lower())
    assert not ok("change_case:english_lowercase", "this is all lower case except I.")
    assert not ok("change_case:english_lowercase",
                  "c'est une réponse écrite en français avec des minuscules partout.")


@pytest.mark.parametrize("relation,n,caps,expected", [
    ("at least", 3, 3, True), ("at least", 3, 2, False),
    ("less than", 3, 2, True), ("less than", 3, 3, False),
])
def test_capital_word_frequency(relation, n, caps, expected):
    response = " ".join(["LOUD"] * caps + ["quiet"] * 4) + "."
    assert ok("change_case:capital_word_frequency", response, capital_frequency=n,
              capital_relation=relation) is expected


def test_capital_word_frequency_uses_treebank_tokens():
    # DON'T -> DO + N'T (two capital tokens); CANNOT -> CAN + NOT; "A.I." one token
    kw = {"capital_frequency": 5, "capital_relation": "at least"}
    assert ok("change_case:capital_word_frequency", "I DON'T know, we CANNOT tell.", **kw)
    assert not ok("change_case:capital_word_frequency", "I DON'T know, we cannot tell.", **kw)


def test_no_comma():
    assert ok("punctuation:no_comma", "No commas here.")
    assert not ok("punctuation:no_comma", "One, here.")


@pytest.mark.parametrize("response,n,expected", [
    ("Dear [name], at [address].", 2, True), ("Dear [name].", 2, False), ("[a][b][c]", 3, True),
])
def test_number_placeholders(response, n, expected):
    assert ok("detectable_content:number_placeholders", response, num_placeholders=n) is expected


@pytest.mark.parametrize("marker,response,expected", [
    ("P.S.", "Body.\nP.S. Call me.", True),
    ("P.S.", "Body.\np. s. call me.", True),
    ("P.S.", "Body without one.", False),
    ("P.P.S", "Body.\nP.P.S. More.", True),
    ("P.P.S", "Body.\nP.S. More.", False),
    ("Note:", "Body.\nnote: more", True),
])
def test_postscript(marker, response, expected):
    assert ok("detectable_content:postscript", response, postscript_marker=marker) is expected


@pytest.mark.parametrize("response,expected", [
    ("Text. Any other questions?", True), ('"Text. any other questions?"\n', True),
    ("Text. Any other questions? Bye.", False),
])
def test_end_checker(response, expected):
    assert ok("startend:end_checker", response, end_phrase="Any other questions?") is expected


@pytest.mark.parametrize("response,expected", [
    ('"wrapped"', True), ('  "wrapped"\n', True), ("not wrapped", False), ('"', False),
    ('"half', False),
])
def test_quotation(response, expected):
    assert ok("startend:quotation", response) is expected
