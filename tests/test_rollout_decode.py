"""The lean decode loop against transformers: generate, the top-k/top-p warpers, DynamicCache."""

import pytest
import torch
from transformers import LlamaConfig, MistralConfig, Qwen2Config
from transformers.cache_utils import DynamicLayer
from transformers.generation.logits_process import TopKLogitsWarper, TopPLogitsWarper

from reasoner.data.chat import encode_prompt
from reasoner.rollout.base import GenerationRequest, SamplingParams
from reasoner.rollout.decode import decode, filter_logits, sample_token
from reasoner.rollout.hf import HFRolloutEngine
from reasoner.rollout.kvcache import PreallocatedLayer, supports_preallocated

PROMPTS = ["Compute 1 + 2.", "Compute 7 + 5 - 3 + 8. Put the final answer in \\boxed{}.", "Hi", "What is 12 * 3?"]


def _contexts(tok):
    return [encode_prompt(tok, [{"role": "user", "content": p}]) for p in PROMPTS]


def _frequent_tokens(model, tok, k=3):
    """Tokens the random tiny model emits often, used as extra eos ids so rows end at different steps."""
    out = decode(model, _contexts(tok), 20, pad_id=tok.pad_token_id, eos_ids=set(), temperature=0.0)
    counts = torch.bincount(torch.tensor([t for d in out for t in d.tokens]))
    return set(counts.argsort(descending=True)[:k].tolist())


def test_greedy_equals_generate_with_early_stops(tiny):
    model, tok = tiny
    eos = _frequent_tokens(model, tok) | {tok.eos_token_id}
    engines = {d: HFRolloutEngine(model, tok, decoder=d) for d in ("lean", "generate")}
    for e in engines.values():
        e.eos_ids = eos
    reqs = [GenerationRequest(c, problem_id=str(i)) for i, c in enumerate(_contexts(tok))]
    reqs.append(GenerationRequest(reqs[1].prompt_ids, prefix_ids=tok("7 + 5", add_special_tokens=False)["input_ids"]))
    greedy = SamplingParams(temperature=0.0, max_new_tokens=16)
    lean, ref = (engines[d].generate(reqs, greedy) for d in ("lean", "generate"))
    lengths = set()
    for (a,), (b,) in zip(lean, ref):
        assert a.response_ids == b.response_ids and a.finish_reason == b.finish_reason and a.text == b.text
        assert max(abs(x - y) for x, y in zip(a.logprobs, b.logprobs)) < 1e-5
        lengths.add(len(a.response_ids))
    assert len(lengths) > 1  # rows really ended at different steps (compaction ran)


@pytest.mark.parametrize("temperature", [0.0, 1.0])
def test_compaction_changes_nothing(tiny, temperature):
    model, tok = tiny
    eos = _frequent_tokens(model, tok, k=2)
    runs = []
    for compact in (0.0, 1.01):  # never compact / compact at every finished row
        torch.manual_seed(3)
        runs.append(decode(model, _contexts(tok) * 4, 14, pad_id=tok.pad_token_id, eos_ids=eos,
                           temperature=temperature, compact_below=compact))
    never, always = runs
    for a, b in zip(never, always):
        for d in (a, b):  # each row ends at its first eos, or runs to the length limit
            assert (d.finish_reason == "stop") == (d.tokens[-1] in eos) and not set(d.tokens[:-1]) & eos
            assert len(d.tokens) == 14 or d.finish_reason == "stop"
        if temperature == 0.0:  # sampling draws differ once the batch shrinks; greedy must not
            assert a.tokens == b.tokens and a.finish_reason == b.finish_reason
            assert max(abs(x - y) for x, y in zip(a.logprobs, b.logprobs)) < 1e-5


def test_shared_prompts_are_prefilled_once(tiny):
    """n samples of a prompt: one prefill row per distinct context, the same tokens as one row each."""
    model, tok = tiny
    contexts = _contexts(tok)
    rows = [contexts[i] for i in (0, 1, 0, 2, 1, 0, 3, 3)]
    seen = []
    hook = model.register_forward_pre_hook(lambda m, a, kw: seen.append(kw["input_ids"].shape), with_kwargs=True)
    try:
        shared = decode(model, rows, 12, pad_id=tok.pad_token_id, eos_ids={tok.eos_token_id}, temperature=0.0,
                        fast_step=False)  # the transformers forward every step, so the hook sees each
    finally:
        hook.remove()
    assert seen[0][0] == len(contexts) and seen[0][1] == max(len(c) for c in contexts)  # prefill: 4 rows
    assert seen[1] == (len(rows), 1)  # then every row decodes
    alone = [decode(model, [c], 12, pad_id=tok.pad_token_id, eos_ids={tok.eos_token_id}, temperature=0.0)[0]
             for c in rows]
    for a, b in zip(shared, alone):
        assert a.tokens == b.tokens and a.finish_reason == b.finish_reason
        assert max(abs(x - y) for x, y in zip(a.logprobs, b.logprobs)) < 1e-5


def test_filter_logits_matches_transformers_warpers():
    torch.manual_seed(0)
    logits = torch.randn(6, 50) * 3
    ids = torch.zeros(6, 1, dtype=torch.long)
    for k in (1, 5, 49):
        ref = TopKLogitsWarper(k)(ids, logits.clone())
        assert torch.equal(filter_logits(logits, top_k=k), ref)
    for p in (0.1, 0.5, 0.9, 0.99):
        ref = TopPLogitsWarper(p)(ids, logits.clone())
        assert torch.equal(filter_logits(logits, top_p=p), ref)
    ref = TopPLogitsWarper(0.8)(ids, TopKLogitsWarper(10)(ids, logits.clone()))
    assert torch.equal(filter_logits(logits, top_k=10, top_p=0.8), ref)


def test_sampling_follows_the_filtered_distribution(tiny):
    """Empirical first-token frequencies under top-k match softmax of the filtered logits."""
    model, tok = tiny
    ctx = _contexts(tok)[:1]
    with torch.no_grad():
        logits = model(torch.tensor(ctx)).logits[0, -1] / 0.8
    want = filter_logits(logits[None], top_k=4).softmax(-1)[0]
    torch.manual_seed(0)
    out = decode(model, ctx * 4000, 1, pad_id=tok.pad_token_id, eos_ids=set(), temperature=0.8, top_k=4)
    freq = torch.bincount(torch.tensor([d.tokens[0] for d in out]), minlength=want.numel()).float() / 4000
    assert (freq - want).abs().max().item() < 0.03
    assert set(torch.nonzero(freq).flatten().tolist()) <= set(torch.nonzero(want).flatten().tolist())
    # behaviour log-probs are of the temperature-scaled, untruncated distribution
    full = torch.log_softmax(logits, -1)
    assert max(abs(d.logprobs[0] - full[d.tokens[0]].item()) for d in out[:50]) < 1e-5


def test_sample_token_draws_each_row_from_its_distribution():
    """Inverse-CDF draws: frequencies match each row's probabilities; zero-probability tokens never appear."""
    rows = torch.tensor([[0.0, 0.1, 0.0, 0.6, 0.3, 0.0], [0.25, 0.25, 0.25, 0.25, 0.0, 0.0], [0, 0, 0, 0, 0, 1.0]])
    torch.manual_seed(0)
    n = 100_000
    draws = sample_token(rows.repeat(n, 1)).view(n, 3)
    for r in range(3):
        freq = torch.bincount(draws[:, r], minlength=6).float() / n
        assert (freq - rows[r]).abs().max().item() < 0.006  # ~4 standard errors at n = 1e5
        assert (freq[rows[r] == 0] == 0).all()


def test_stop_strings_end_rows(tiny):
    model, tok = tiny
    engine = HFRolloutEngine(model, tok, decoder="lean")
    reqs = [GenerationRequest(c) for c in _contexts(tok)]
    free = engine.generate(reqs, SamplingParams(temperature=0.0, max_new_tokens=12))
    stop = free[0][0].text[3:5]  # a string that appears in the first row's greedy text
    stopped = engine.generate(reqs, SamplingParams(temperature=0.0, max_new_tokens=12, stop=[stop]))
    s = stopped[0][0]
    assert s.finish_reason == "stop" and stop in s.text
    assert stop not in tok.decode(s.response_ids[:-1], skip_special_tokens=True)
    assert free[0][0].response_ids[: len(s.response_ids)] == s.response_ids


def test_preallocated_layer_equals_dynamic_layer():
    torch.manual_seed(0)
    pre, dyn = PreallocatedLayer(capacity=9), DynamicLayer()
    for n in (5, 1, 1, 2):
        k, v = torch.randn(3, 2, n, 4), torch.randn(3, 2, n, 4)
        (pk, pv), (dk, dv) = pre.update(k, v), dyn.update(k, v)
        assert torch.equal(pk, dk) and torch.equal(pv, dv)
    assert pre.get_seq_length() == dyn.get_seq_length() == 9
    idx = torch.tensor([2, 0])
    pre.batch_select_indices(idx)
    dyn.batch_select_indices(idx)
    assert torch.equal(pre.keys[:, :, :9], dyn.keys)
    with pytest.raises(RuntimeError, match="capacity 9 exceeded"):
        pre.update(torch.randn(2, 2, 1, 4), torch.randn(2, 2, 1, 4))


def test_supports_preallocated():
    assert supports_preallocated(LlamaConfig())
    assert supports_preallocated(Qwen2Config(use_sliding_window=False))
    assert not supports_preallocated(Qwen2Config(use_sliding_window=True, sliding_window=64, max_window_layers=0))
    assert not supports_preallocated(MistralConfig(sliding_window=64))


def test_unknown_decoder_is_refused(tiny):
    model, tok = tiny
    with pytest.raises(ValueError, match="rollout.decoder='fast'"):
        HFRolloutEngine(model, tok, decoder="fast")
