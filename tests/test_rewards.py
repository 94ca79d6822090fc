"""The trainer's reward path: verifier sources, a pip-style plugin, pooled verification, mixing."""

import sys

import pytest

from reasoner.rewards.pipeline import RewardPipeline
from reasoner.types import Group, Problem, Sample
from tests.test_verifiers_registry import _fake_install, clean_registry  # noqa: F401


def _group(task, gt, texts):
    p = Problem(id="p0", prompt=[{"role": "user", "content": "Q?"}], task=task, ground_truth=gt)
    return Group(p, [Sample("p0", [1], [2], [0.0], "stop", t) for t in texts])


@pytest.mark.parametrize("workers", [0, 1])
def test_plugin_verifier_through_reward_pipeline(tmp_path, monkeypatch, clean_registry, workers):  # noqa: F811
    _fake_install(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "reasoner_plugin_example", raising=False)
    pipe = RewardPipeline.from_config({"sources": [{"type": "verifier", "name": "verifier"}],
                                       "workers": workers, "timeout_s": 60})
    pipe.check_tasks({"yesno"})
    g = _group("yesno", "yes", ["so: Yes", "no", "hmm"])
    try:
        pipe([g])
    finally:
        pipe.close()
    assert [s.reward for s in g.samples] == [1.0, 0.0, 0.0]
    assert [s.correct for s in g.samples] == [True, False, False]
    assert g.samples[2].verdict["reason"] == "no yes/no answer"


def test_weighted_sources_and_fixed_verifier():
    pipe = RewardPipeline.from_config({"sources": [
        {"type": "verifier", "name": "answer", "weight": 1.0},
        {"type": "verifier", "name": "math", "verifier": "math", "weight": 0.5},
    ]})
    g = _group("numeric", "12", ["\\boxed{12}", "\\boxed{\\frac{24}{2}}", "\\boxed{13}"])
    pipe([g])
    # numeric needs a plain number; math also evaluates the fraction
    assert [s.rewards["answer"] for s in g.samples] == [1.0, 0.0, 0.0]
    assert [s.rewards["math"] for s in g.samples] == [1.0, 1.0, 0.0]
    assert [s.reward for s in g.samples] == [1.5, 0.5, 0.0]


def test_crashing_verifier_is_a_zero_verdict(clean_registry):  # noqa: F811
    from verifiers import register

    @register("explodes_test")
    def explodes(response, ground_truth, **meta):
        raise RuntimeError("boom")

    pipe = RewardPipeline.from_config({"sources": [{"type": "verifier"}]})
    g = _group("explodes_test", "x", ["a"])
    pipe([g])
    assert g.samples[0].reward == 0.0 and "boom" in g.samples[0].verdict["reason"]


def test_unknown_source_type():
    with pytest.raises(ValueError, match=r"reward\.sources\[0\]\.type='prm'"):
        RewardPipeline.from_config({"sources": [{"type": "prm"}]})
