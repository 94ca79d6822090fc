"""The fast decode step against the transformers forward it replaces (Llama and Qwen2 families)."""

import pytest
import torch
from transformers import AutoModelForCausalLM, GPT2Config, LlamaConfig, MistralConfig, Qwen2Config

from reasoner.rollout.decode import decode
from reasoner.rollout.fast_step import supported

SMALL = dict(vocab_size=97, hidden_size=64, intermediate_size=96, num_hidden_layers=2, max_position_embeddings=256,
             pad_token_id=0, eos_token_id=1, bos_token_id=2)
CONFIGS = {
    "llama-mha": LlamaConfig(**SMALL, num_attention_heads=4, num_key_value_heads=4),
    "llama-gqa-llama3-rope": LlamaConfig(**SMALL, num_attention_heads=4, num_key_value_heads=2, rope_parameters={
        "rope_type": "llama3", "rope_theta": 10000.0, "factor": 4.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
        "original_max_position_embeddings": 32}),
    "llama-bias": LlamaConfig(**SMALL, num_attention_heads=4, num_key_value_heads=4, attention_bias=True,
                              mlp_bias=True),
    "qwen2-gqa-bias": Qwen2Config(**SMALL, num_attention_heads=4, num_key_value_heads=1, use_sliding_window=False),
}


def _model(config):
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config).eval()
    with torch.no_grad():  # random biases too (they start at zero), so a dropped bias shows
        for name, p in model.named_parameters():
            if name.endswith("bias"):
                p.normal_(0, 0.02)
    return model


@pytest.mark.parametrize("name", list(CONFIGS))
def test_fast_step_equals_the_transformers_forward(name):
    model = _model(CONFIGS[name])
    assert supported(model)
    g = torch.Generator().manual_seed(1)
    contexts = [torch.randint(3, 97, (n,), generator=g).tolist() for n in (5, 17, 9, 17, 30)]
    contexts.append(contexts[1])  # a shared prompt, prefilled once
    # eos = tokens the random model emits mid-way (not in any row's first 5), so rows end at
    # different steps and finished rows are compacted out of the cache on both paths
    probe = decode(model, contexts, 40, pad_id=0, eos_ids=set(), temperature=0.0, fast_step=False)
    early = {t for d in probe for t in d.tokens[:5]}
    eos = {t for d in probe[::2] for t in d.tokens[5:] if t not in early}
    kw = dict(pad_id=0, eos_ids=eos, temperature=0.0)
    fast = decode(model, contexts, 40, fast_step=True, **kw)
    slow = decode(model, contexts, 40, fast_step=False, **kw)
    for a, b in zip(fast, slow):
        assert a.tokens == b.tokens and a.finish_reason == b.finish_reason
        assert max(abs(x - y) for x, y in zip(a.logprobs, b.logprobs)) < 1e-5
    assert len({len(d.tokens) for d in fast}) > 1


def test_fast_step_sampled_logprobs_match_the_slow_path():
    """Sampling with the same seed draws the same tokens when the logits agree."""
    model = _model(CONFIGS["qwen2-gqa-bias"])
    contexts = [[5, 6, 7, 8], [9, 10, 11], [5, 6, 7, 8]]
    runs = []
    for fast in (True, False):
        torch.manual_seed(3)
        runs.append(decode(model, contexts, 24, pad_id=0, eos_ids={1}, temperature=0.9, top_p=0.95, fast_step=fast))
    for a, b in zip(*runs):
        assert a.tokens == b.tokens
        assert max(abs(x - y) for x, y in zip(a.logprobs, b.logprobs)) < 1e-5


def test_supported_families_only():
    assert not supported(AutoModelForCausalLM.from_config(MistralConfig(**SMALL, num_attention_heads=4)))
    assert not supported(AutoModelForCausalLM.from_config(GPT2Config(vocab_size=97, n_embd=32, n_layer=1, n_head=2)))
