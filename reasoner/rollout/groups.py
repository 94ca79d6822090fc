"""Problems -> Groups through any RolloutEngine, plus the engine factory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reasoner.data.chat import encode_prompt
from reasoner.rollout.base import GenerationRequest, RolloutEngine, SamplingParams
from reasoner.types import Group, Problem


def sampling_params(cfg: Mapping[str, Any], greedy: bool = False) -> SamplingParams:
    """SamplingParams from a ``rollout`` config (greedy forces temperature 0)."""
    return SamplingParams(
        temperature=0.0 if greedy else float(cfg.get("temperature", 1.0)),
        top_p=float(cfg.get("top_p", 1.0)),
        top_k=int(cfg.get("top_k", 0) or 0),
        max_new_tokens=int(cfg.get("max_new_tokens", 128)),
        stop=list(cfg.get("stop") or []),
    )


def rollout_groups(engine: RolloutEngine, tokenizer: Any, problems: list[Problem], n: int,
                   params: SamplingParams) -> list[Group]:
    """Sample ``n`` responses per problem; one Group per problem, in order."""
    requests = [GenerationRequest(prompt_ids=encode_prompt(tokenizer, p.prompt), n=n, problem_id=p.id)
                for p in problems]
    results = engine.generate(requests, params)
    return [Group(p, samples) for p, samples in zip(problems, results)]


def build_engine(cfg: Mapping[str, Any], model: Any, tokenizer: Any) -> RolloutEngine:
    """The engine named by ``rollout.engine`` (hf; vllm when installed)."""
    name = cfg.get("engine", "hf")
    if name == "hf":
        from reasoner.rollout.hf import HFRolloutEngine

        return HFRolloutEngine(model, tokenizer, max_batch_size=int(cfg.get("max_batch_size", 256)),
                               decoder=str(cfg.get("decoder", "auto")))
    if name == "vllm":
        from reasoner.rollout.vllm import VLLMRolloutEngine  # type: ignore[import-not-found]

        return VLLMRolloutEngine.from_config(cfg, model, tokenizer)
    raise ValueError(f"rollout.engine={name!r} is unknown; choose hf or vllm")


def close_engine(engine: RolloutEngine) -> None:
    """Release an engine's resources (vLLM holds memory and threads; hf holds nothing)."""
    close = getattr(engine, "close", None)
    if callable(close):
        close()
