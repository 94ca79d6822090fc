"""The `constrained` verifier: a base verifier combined with instruction constraints."""

from __future__ import annotations

import pytest

from verifiers import get_verifier

GT = {"answer": "42",
      "instruction_id_list": ["change_case:english_lowercase", "length_constraints:number_words"],
      "kwargs": [{}, {"relation": "less than", "num_words": 12}]}
GOOD = "the answer is \\boxed{42} and that is all."  # lower case, 9 words
WRONG = "the answer is \\boxed{41} and that is all."
LOUD = "The answer is \\boxed{42} and that is all."  # capital T breaks lowercase


def test_and_needs_both():
    verify = get_verifier("constrained", base="numeric")
    good = verify(GOOD, GT)
    assert (good.score, good.correct, good.extracted) == (1.0, True, "42")
    wrong = verify(WRONG, GT)
    assert (wrong.score, wrong.correct) == (0.0, False) and "numeric: wrong answer" in wrong.reason
    loud = verify(LOUD, GT)
    assert (loud.score, loud.correct) == (0.0, False)
    assert "change_case:english_lowercase" in loud.reason
    assert loud.info["base"]["correct"] is True
    assert [i["followed"] for i in loud.info["constraints"]["instructions"]] == [False, True]


def test_product_and_mean_with_fraction():
    product = get_verifier("constrained", base="numeric", combine="product", constraint_score="fraction")
    mean = get_verifier("constrained", base="numeric", combine="mean", constraint_score="fraction")
    assert product(LOUD, GT).score == pytest.approx(0.5)
    assert mean(LOUD, GT).score == pytest.approx(0.75)
    assert product(WRONG, GT).score == 0.0
    assert mean(WRONG, GT).score == pytest.approx(0.5)
    assert not mean(LOUD, GT).correct and mean(GOOD, GT).correct
    all_or_nothing = get_verifier("constrained", base="numeric", combine="mean")
    assert all_or_nothing(LOUD, GT).score == pytest.approx(0.5)


def test_base_options_and_loose_mode():
    gt = {"answer": "7", "instruction_id_list": ["startend:quotation"], "kwargs": [{}]}
    response = 'Answer:\n"it is 7"'
    no_box = get_verifier("constrained", base="numeric", base_options={"require_box": False})
    assert not no_box(response, gt).correct  # strict: not wrapped in quotes
    loose = get_verifier("constrained", base="numeric", base_options={"require_box": False}, mode="loose")
    assert loose(response, gt).correct
    assert not get_verifier("constrained", base="numeric", mode="loose")(response, gt).correct  # needs a box


def test_bad_ground_truth_and_options():
    verify = get_verifier("constrained", base="numeric")
    assert verify(GOOD, {"instruction_id_list": []}).reason.startswith("bad ground truth")
    assert verify(GOOD, "[1, 2]").reason.startswith("bad ground truth")
    assert verify(GOOD, '{"answer": "42", "instruction_id_list": ["punctuation:no_comma"]}').correct
    with pytest.raises(ValueError):
        get_verifier("constrained", base="numeric", combine="or")
    with pytest.raises(KeyError):
        get_verifier("constrained", base="no-such-verifier")
