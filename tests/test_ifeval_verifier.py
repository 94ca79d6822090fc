"""The `ifeval` verifier (strict / loose, all / fraction) and the evals.ifeval API and CLI."""

from __future__ import annotations

import json

import pytest

from evals.ifeval import main, score_ifeval
from verifiers import get_verifier, safe_call
from verifiers.ifeval import evaluate, response_variants

QUOTED = {"instruction_id_list": ["startend:quotation"], "kwargs": [{}]}


def test_strict_and_loose_modes():
    response = 'Sure, here it is:\n"Wrapped answer."'
    strict = get_verifier("ifeval")(response, QUOTED)
    loose = get_verifier("ifeval", mode="loose")(response, QUOTED)
    assert (strict.score, strict.correct) == (0.0, False)
    assert strict.reason == "not followed: startend:quotation"
    assert (loose.score, loose.correct) == (1.0, True)
    assert loose.info["instructions"] == [{"id": "startend:quotation", "followed": True}]


def test_loose_strips_asterisks():
    gt = {"instruction_id_list": ["startend:end_checker"], "kwargs": [{"end_phrase": "Is that all?"}]}
    assert not get_verifier("ifeval")("Text. **Is that all?**", gt).correct
    assert get_verifier("ifeval", mode="loose")("Text. **Is that all?**", gt).correct


def test_response_variants_are_the_eight_of_the_reference():
    variants = response_variants("Intro\n*body*\nOutro")
    assert variants == ["Intro\n*body*\nOutro", "Intro\nbody\nOutro", "*body*\nOutro", "Intro\n*body*",
                        "*body*", "body\nOutro", "Intro\nbody", "body"]


def test_score_all_versus_fraction():
    gt = {"instruction_id_list": ["punctuation:no_comma", "detectable_format:title",
                                  "keywords:existence"],
          "kwargs": [{}, {}, {"keywords": ["sea"]}]}
    response = "<<Ode>>\nThe sea, the sea."
    all_ = get_verifier("ifeval")(response, gt)
    frac = get_verifier("ifeval", score="fraction")(response, gt)
    assert (all_.score, all_.correct) == (0.0, False)
    assert frac.score == pytest.approx(2 / 3) and not frac.correct
    assert [i["followed"] for i in frac.info["instructions"]] == [False, True, True]
    assert frac.info["followed"] == 2 and frac.info["total"] == 3
    assert get_verifier("ifeval")("<<Ode>>\nThe sea.", gt).score == 1.0


def test_ground_truth_forms():
    verify = get_verifier("ifeval")
    hf_style = {"instruction_id_list": ["detectable_format:number_highlighted_sections"],
                "kwargs": [{"num_highlights": 1, "relation": None, "num_words": None}]}
    assert verify("An *important* point", hf_style).correct
    assert verify("An *important* point", json.dumps(hf_style)).correct
    assert verify('"quoted"', {"instruction_id_list": ["startend:quotation"]}).correct  # kwargs optional
    bad = verify("x", {"kwargs": []})
    assert not bad.correct and bad.reason.startswith("bad ground truth")
    assert safe_call(verify, "x", "not json").reason.startswith("bad ground truth")


def test_unknown_instruction_and_bad_kwargs_fail_with_reason():
    verdict = get_verifier("ifeval")("text", {"instruction_id_list": ["no:such"], "kwargs": [{}]})
    assert not verdict.correct and "unknown instruction" in verdict.info["instructions"][0]["reason"]
    bad_rel = evaluate("one two", ["length_constraints:number_words"], [{"num_words": 1, "relation": "most"}])
    assert not bad_rel[0].followed and "relation" in bad_rel[0].reason


def test_empty_response_follows_nothing():
    gt = {"instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}
    assert not get_verifier("ifeval")("   \n", gt).correct
    assert not get_verifier("ifeval", mode="loose")("", gt).correct


def test_repeat_prompt_uses_meta_prompt():
    gt = {"instruction_id_list": ["combination:repeat_prompt"], "kwargs": [{}]}
    assert get_verifier("ifeval")("Say hi. Hi!", gt, prompt="Say hi.").correct
    assert not get_verifier("ifeval")("Hi!", gt, prompt="Say hi.").correct


def test_bad_options_are_rejected():
    with pytest.raises(ValueError):
        get_verifier("ifeval", mode="lenient")
    with pytest.raises(ValueError):
        get_verifier("ifeval", score="sum")


INPUTS = [
    {"key": 1, "prompt": "Write without commas.", "instruction_id_list": ["punctuation:no_comma"],
     "kwargs": [{}]},
    {"key": 2, "prompt": "Title it and quote it.",
     "instruction_id_list": ["detectable_format:title", "startend:quotation"], "kwargs": [{}, {}]},
    {"key": 3, "prompt": "Unanswered.", "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]},
]


def test_score_ifeval_lists_and_missing_responses():
    responses = [{"prompt": "Write without commas.", "response": "No commas here"},
                 {"prompt": "Title it and quote it.", "response": "Here:\n\"<<T>> text\""}]
    report = score_ifeval(INPUTS, responses)
    assert report.n_missing == 1
    assert (report.prompt_strict, report.prompt_loose) == (pytest.approx(1 / 3), pytest.approx(2 / 3))
    assert (report.instruction_strict, report.instruction_loose) == (0.5, 0.75)
    assert report.per_instruction["startend:quotation"] == {"count": 1, "strict": 0.0, "loose": 1.0}
    aligned = score_ifeval(INPUTS, ["a, b", '"<<T>>"', "fine"])
    assert aligned.prompt_strict == pytest.approx(2 / 3) and aligned.n_missing == 0
    with pytest.raises(ValueError):
        score_ifeval(INPUTS, ["too few"])


def test_cli_prints_report_and_writes_json(tmp_path, capsys):
    inputs, responses, out = tmp_path / "in.jsonl", tmp_path / "resp.jsonl", tmp_path / "r.json"
    inputs.write_text("".join(json.dumps(r) + "\n" for r in INPUTS[:2]))
    responses.write_text(json.dumps({"prompt": "Write without commas.", "response": "Fine"}) + "\n")
    assert main(["--inputs", str(inputs), "--responses", str(responses), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "prompt-level" in printed and "50.00" in printed and "1 without a response" in printed
    saved = json.loads(out.read_text())
    assert saved["prompt_strict"] == 0.5 and len(saved["results"]) == 2
    with pytest.raises(FileNotFoundError):
        score_ifeval(tmp_path / "absent.jsonl", [])


def test_hub_loader_drops_none_kwargs(monkeypatch):
    import sys
    import types

    row = {"key": 7, "prompt": "No commas please.", "instruction_id_list": ["punctuation:no_comma",
           "length_constraints:number_words"],
           "kwargs": [{"num_words": None, "relation": None},
                      {"num_words": 3, "relation": "at least"}]}
    fake = types.ModuleType("datasets")
    fake.load_dataset = lambda name, split: [row] if (name, split) == ("google/IFEval", "train") else None
    monkeypatch.setitem(sys.modules, "datasets", fake)
    report = score_ifeval("google/IFEval", [{"prompt": "No commas please.", "response": "one two three"}])
    assert report.results[0].key == 7 and report.results[0].strict == [True, True]
