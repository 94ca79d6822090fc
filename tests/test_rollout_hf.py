"""The hf rollout engine: shapes, finish reasons, behaviour log-probs, prefix continuation."""

import pytest
import torch

from reasoner.data.chat import encode_prompt
from reasoner.rollout.base import GenerationRequest, SamplingParams
from reasoner.rollout.hf import HFRolloutEngine
from reasoner.train.batch import build_batch, token_logprobs


@pytest.fixture(params=["lean", "generate"])
def decoder(request):
    return request.param


PROMPTS = ["Compute 1 + 2.", "Compute 7 + 5 - 3 + 8. Put the final answer in \\boxed{}.", "Hi"]


def _requests(tok, n):
    return [GenerationRequest(encode_prompt(tok, [{"role": "user", "content": p}]), n=n, problem_id=str(i))
            for i, p in enumerate(PROMPTS)]


@pytest.mark.parametrize("temperature", [1.0, 0.7])
def test_behaviour_logprobs_match_trainer(tiny, temperature, decoder):
    model, tok = tiny
    torch.manual_seed(0)
    engine = HFRolloutEngine(model, tok, max_batch_size=4, decoder=decoder)  # several chunks, left padding
    out = engine.generate(_requests(tok, 3), SamplingParams(temperature=temperature, max_new_tokens=12))
    assert [len(g) for g in out] == [3, 3, 3]
    flat = [s for g in out for s in g]
    for s in flat:
        assert len(s.logprobs) == len(s.response_ids) <= 12
        assert s.finish_reason in ("stop", "length")
        assert (s.finish_reason == "stop") == (s.response_ids[-1] == tok.eos_token_id)
    batch = build_batch(flat, tok.pad_token_id)
    with torch.no_grad():
        lp, _ = token_logprobs(model, batch.input_ids, batch.attention_mask, temperature)
    diff = ((lp - batch.behaviour_logprobs).abs() * batch.mask).max().item()
    assert diff < 1e-4
    assert batch.mask.sum().item() == sum(len(s.response_ids) for s in flat)


def test_greedy_is_deterministic_and_batch_invariant(tiny, decoder):
    model, tok = tiny
    engine = HFRolloutEngine(model, tok, decoder=decoder)
    greedy = SamplingParams(temperature=0.0, max_new_tokens=10)
    together = engine.generate(_requests(tok, 1), greedy)
    alone = [engine.generate([r], greedy)[0] for r in _requests(tok, 1)]
    assert [g[0].response_ids for g in together] == [g[0].response_ids for g in alone]


def test_length_finish_reason(tiny, decoder):
    model, tok = tiny
    engine = HFRolloutEngine(model, tok, decoder=decoder)
    for s in engine.generate(_requests(tok, 8)[:1], SamplingParams(max_new_tokens=3))[0]:
        if s.finish_reason == "length":
            assert len(s.response_ids) == 3 and tok.eos_token_id not in s.response_ids
        else:
            assert s.finish_reason == "stop" and s.response_ids[-1] == tok.eos_token_id


def test_prefix_continuation(tiny, decoder):
    model, tok = tiny
    engine = HFRolloutEngine(model, tok, decoder=decoder)
    req = _requests(tok, 1)[1]
    prefix = tok("7 + 5 = 12\n", add_special_tokens=False)["input_ids"]
    cont = engine.generate([GenerationRequest(req.prompt_ids, n=4, prefix_ids=prefix)],
                           SamplingParams(max_new_tokens=6))[0]
    for s in cont:
        assert s.response_ids[: len(prefix)] == prefix and s.prefix_len == len(prefix)
        assert len(s.logprobs) == len(s.response_ids) - len(prefix)
        assert s.text.startswith("7 + 5 = 12")
    # The prefix is context, not a trained-on target: the mask covers sampled tokens only.
    batch = build_batch(cont, tok.pad_token_id)
    assert batch.mask.sum().item() == sum(s.num_sampled for s in cont)
    with torch.no_grad():
        lp, _ = token_logprobs(model, batch.input_ids, batch.attention_mask)
    assert ((lp - batch.behaviour_logprobs).abs() * batch.mask).max().item() < 1e-4


def test_rejects_bad_n(tiny):
    model, tok = tiny
    with pytest.raises(ValueError, match="n must be >= 1"):
        HFRolloutEngine(model, tok).generate([GenerationRequest([1, 2], n=0)], SamplingParams())
