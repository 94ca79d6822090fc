"""The vllm rollout engine against the hf engine and the trainer, on the tiny model (CPU, float32).

Needs vLLM (``pytest -m vllm`` in the vllm venv, see .ci/vllm); skipped where it is not importable.
One engine serves the whole module (starting one costs ~20 s here); tests that change its
weights put the fixture's weights back before they end.
"""

from __future__ import annotations

import importlib.util

import pytest
import torch

if importlib.util.find_spec("vllm") is None:
    pytest.skip("vllm is not installed (see docs/vllm.md)", allow_module_level=True)

from reasoner.data.chat import encode_prompt  # noqa: E402
from reasoner.rollout.base import GenerationRequest, SamplingParams  # noqa: E402
from reasoner.rollout.hf import HFRolloutEngine  # noqa: E402
from reasoner.train.batch import build_batch, token_logprobs  # noqa: E402

pytestmark = pytest.mark.vllm

# The last prompt is longer than one KV block (128 tokens on CPU), so the prefix cache holds it:
# a sync that forgot to reset the cache would then reuse KV computed with the old weights.
LONG = "Compute " + " + ".join(str(i) for i in range(60)) + "."
PROMPTS = ["Compute 1 + 2.", "Compute 7 + 5 - 3 + 8.", "What is 4 * 6?", "Hi", "Sum 12 and 30.", "9 - 4 = ?", LONG]


def perturb(model: torch.nn.Module, seed: int, scale: float) -> None:
    """Add seeded noise to every weight: a random tiny model then says different things per prompt."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=g) * scale)


def snapshot(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.state_dict().items()}


@pytest.fixture(scope="module")
def setup(tiny_path, tmp_path_factory):
    from reasoner.models.loading import load_causal_lm, load_tokenizer
    from reasoner.rollout.vllm import VLLMRolloutEngine

    model, tok = load_causal_lm(tiny_path), load_tokenizer(tiny_path)
    perturb(model, seed=0, scale=0.3)
    cfg = {"engine": "vllm", "kv_cache_memory_bytes": 64 << 20, "max_num_seqs": 64,
           "engine_kwargs": {"disable_log_stats": False},  # prefix-cache hit counters
           "cache_root": str(tmp_path_factory.mktemp("vllm-cache"))}
    engine = VLLMRolloutEngine.from_config(cfg, model, tok)
    stats = engine.sync_weights(model)  # the engine started from the unperturbed checkpoint
    assert stats.bytes > 0
    yield model, tok, engine, snapshot(model)
    engine.close()


def requests(tok, n: int = 1) -> list[GenerationRequest]:
    return [GenerationRequest(encode_prompt(tok, [{"role": "user", "content": p}]), n=n, problem_id=str(i))
            for i, p in enumerate(PROMPTS)]


GREEDY = SamplingParams(temperature=0.0, max_new_tokens=24)


def assert_same_as_hf(engine, model, tok) -> list[list[int]]:
    """Greedy vLLM output == greedy hf output (tokens, finish reasons, log-probs within 1e-4)."""
    got = engine.generate(requests(tok), GREEDY)
    want = HFRolloutEngine(model, tok).generate(requests(tok), GREEDY)
    for g, w in zip(got, want):
        assert g[0].response_ids == w[0].response_ids
        assert g[0].finish_reason == w[0].finish_reason
        assert g[0].text == w[0].text
        assert max(abs(a - b) for a, b in zip(g[0].logprobs, w[0].logprobs)) < 1e-4
    return [g[0].response_ids for g in got]


def test_greedy_matches_hf(setup):
    model, tok, engine, _ = setup
    outs = assert_same_as_hf(engine, model, tok)
    assert len({tuple(o) for o in outs}) >= 3, "degenerate model: outputs do not depend on the prompt"


@pytest.mark.parametrize("temperature,top_p,top_k", [(1.0, 1.0, 0), (0.7, 1.0, 0), (0.8, 0.9, 20)])
def test_sampled_logprobs_match_trainer(setup, temperature, top_p, top_k):
    """Behaviour log-probs = the trainer's log_softmax(logits / T), also under top-p/top-k (no renormalising)."""
    model, tok, engine, _ = setup
    params = SamplingParams(temperature=temperature, top_p=top_p, top_k=top_k, max_new_tokens=16, seed=3)
    out = engine.generate(requests(tok, n=3), params)
    assert [len(g) for g in out] == [3] * len(PROMPTS)
    flat = [s for g in out for s in g]
    assert len({tuple(s.response_ids) for s in flat}) > len(PROMPTS), "samples of a prompt should differ"
    for s in flat:
        assert len(s.logprobs) == len(s.response_ids) <= 16 and s.prefix_len == 0
        assert (s.finish_reason == "stop") == (s.response_ids[-1] == tok.eos_token_id)
    batch = build_batch(flat, tok.pad_token_id)
    with torch.no_grad():
        lp, _ = token_logprobs(model, batch.input_ids, batch.attention_mask, temperature)
    assert ((lp - batch.behaviour_logprobs).abs() * batch.mask).max().item() < 1e-4
    again = engine.generate(requests(tok, n=3), params)  # a seed makes sampling reproducible
    assert [[s.response_ids for s in g] for g in again] == [[s.response_ids for s in g] for g in out]


def test_weight_update_then_restore(setup):
    """After a sync the engine follows the new weights (stale prefix cache dropped); syncing back restores."""
    model, tok, engine, base = setup
    before = assert_same_as_hf(engine, model, tok)
    try:
        perturb(model, seed=1, scale=0.3)
        stats = engine.sync_weights(model)
        params = sum(p.numel() * p.element_size() for p in model.parameters())
        assert stats.bytes == params + model.lm_head.weight.numel() * 4  # + the tied head, sent explicitly
        assert stats.seconds > 0
        after = assert_same_as_hf(engine, model, tok)
        assert after != before
    finally:
        model.load_state_dict(base)
        engine.sync_weights(model)
    assert assert_same_as_hf(engine, model, tok) == before


def test_prefix_continuation(setup):
    """Continuations keep the given prefix, carry log-probs only for sampled tokens, match a full rollout."""
    model, tok, engine, _ = setup
    full = engine.generate(requests(tok), GREEDY)
    reqs = []
    for r, g in zip(requests(tok), full):
        k = max(1, len(g[0].response_ids) // 2)
        reqs.append(GenerationRequest(r.prompt_ids, n=3, prefix_ids=g[0].response_ids[:k], problem_id=r.problem_id))
    cont = engine.generate(reqs, SamplingParams(temperature=1.0, max_new_tokens=8, seed=1))
    for r, g in zip(reqs, cont):
        for s in g:
            k = len(r.prefix_ids)
            assert s.response_ids[:k] == r.prefix_ids and s.prefix_len == k
            assert len(s.logprobs) == s.num_sampled == len(s.response_ids) - k
            assert s.text == tok.decode(s.response_ids, skip_special_tokens=True)
    flat = [s for g in cont for s in g]
    batch = build_batch(flat, tok.pad_token_id)
    with torch.no_grad():
        lp, _ = token_logprobs(model, batch.input_ids, batch.attention_mask, 1.0)
    assert ((lp - batch.behaviour_logprobs).abs() * batch.mask).max().item() < 1e-4
    greedy = engine.generate(reqs, SamplingParams(temperature=0.0, max_new_tokens=24))
    for r, g, f in zip(reqs, greedy, full):  # greedy from the prefix = the rest of the greedy rollout
        k = len(r.prefix_ids)
        n = len(f[0].response_ids) - k
        assert g[0].response_ids[: k + n] == f[0].response_ids
        assert max(abs(a - b) for a, b in zip(g[0].logprobs[:n], f[0].logprobs[k:]) or [0.0]) < 1e-4

def prefix_cache_hits(engine) -> float:
    return sum(m.value for m in engine.backend.llm.get_metrics() if m.name == "vllm:prefix_cache_hits")


def test_prefix_continuation_hits_the_cache(setup):
    """K continuations of a long prompt + prefix reuse its cached KV blocks (VinePPO's speed)."""
    _, tok, engine, _ = setup
    long_req = requests(tok)[-1]
    first = engine.generate([long_req], GREEDY)[0][0]
    hits = prefix_cache_hits(engine)
    req = GenerationRequest(long_req.prompt_ids, n=4, prefix_ids=first.response_ids[:4], problem_id="long")
    engine.generate([req], SamplingParams(temperature=1.0, max_new_tokens=4, seed=0))
    block = engine.backend.llm.llm_engine.vllm_config.cache_config.block_size
    assert prefix_cache_hits(engine) - hits >= block * (len(long_req.prompt_ids) // block)


def test_tied_head_sent_even_if_state_dict_omits_it(setup, monkeypatch):
    """vLLM's in-place reload leaves a tied model broken without lm_head.weight: it is always sent."""
    model, tok, engine, base = setup
    real = type(model).state_dict

    def without_head(self, *a, **k):
        return {n: t for n, t in real(self, *a, **k).items() if n != "lm_head.weight"}

    try:
        perturb(model, seed=2, scale=0.3)
        monkeypatch.setattr(type(model), "state_dict", without_head)
        engine.sync_weights(model)
        monkeypatch.undo()
        assert_same_as_hf(engine, model, tok)
    finally:
        monkeypatch.undo()
        model.load_state_dict(base)
        engine.sync_weights(model)


def test_stop_strings_and_length(setup):
    model, tok, engine, _ = setup
    ids = engine.generate(requests(tok)[:1], GREEDY)[0][0].response_ids
    words = [tok.decode([t]).strip() for t in ids[1:]]  # a plain-ASCII token after the first one
    stop = next((w for w in words if len(w) >= 2 and w.isascii() and w.isalpha()), None)
    if stop is None:
        pytest.skip("no ASCII word in the greedy output to stop at")
    params = SamplingParams(temperature=0.0, max_new_tokens=24, stop=[stop])
    got = engine.generate(requests(tok)[:1], params)[0][0]
    want = HFRolloutEngine(model, tok).generate(requests(tok)[:1], params)[0][0]
    assert got.finish_reason == "stop" and got.text.endswith(stop) and len(got.response_ids) < len(ids)
    assert got.response_ids == want.response_ids and len(got.logprobs) == len(got.response_ids)
    short = engine.generate(requests(tok)[:1], SamplingParams(temperature=0.0, max_new_tokens=1))[0][0]
    assert len(short.response_ids) == 1 and len(short.logprobs) == 1 and short.finish_reason == "length"


def test_peft_lora_sync(setup):
    """A LoRA policy is merged for the engine; the trainer's peft model is left untouched."""
    peft = pytest.importorskip("peft")
    model, tok, engine, base = setup
    before = [g[0].response_ids for g in engine.generate(requests(tok), GREEDY)]
    lora = peft.get_peft_model(model, peft.LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]))
    try:
        g = torch.Generator().manual_seed(5)
        with torch.no_grad():
            for n, p in lora.named_parameters():
                if "lora_B" in n:
                    p.copy_(torch.randn(p.shape, generator=g) * 0.5)
        own = {k: v.clone() for k, v in lora.state_dict().items()}
        engine.sync_weights(lora)
        assert all(torch.equal(own[k], v) for k, v in lora.state_dict().items())
        got = engine.generate(requests(tok), GREEDY)
        want = HFRolloutEngine(lora, tok).generate(requests(tok), GREEDY)
        assert [g[0].response_ids for g in got] == [w[0].response_ids for w in want]
        assert [g[0].response_ids for g in got] != before, "the LoRA delta did not reach the engine"
    finally:
        model = lora.unload() if hasattr(lora, "unload") else lora.get_base_model()
        model.load_state_dict(base)
        engine.sync_weights(model)
    assert_same_as_hf(engine, model, tok)

