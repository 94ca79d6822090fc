"""`vllm` rollout engine: vLLM in the trainer process (colocated) or behind a server URL.

Colocated (``rollout.mode=colocated``, the default): a ``vllm.LLM`` whose engine core runs in
this process (``VLLM_ENABLE_V1_MULTIPROCESSING=0``, one worker), so weight sync hands
tensors over by reference (``collective_rpc`` -> in-place ``reload_weights``), then resets
the prefix cache (cached KV blocks were computed with the old weights). On CUDA it can sleep
between generation and training (``rollout.sleep``) to give the trainer its memory back.

Server (``rollout.mode=server``, ``rollout.server_url``): see ``reasoner.rollout.vllm_server``.

Behaviour log-probs follow the RolloutEngine contract: ``logprobs_mode="processed_logprobs"``
(after temperature; greedy: temperature 1) with the worker extension taking them before the
top-k/top-p renormalisation. Prompts go in as token ids (``TokensPrompt``), so a response
prefix is just more prompt tokens and hits the prefix cache (VinePPO's continuations).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from reasoner.rollout.base import GenerationRequest, SamplingParams, SyncStats
from reasoner.rollout.vllm_env import configure_env, require_vllm
from reasoner.rollout.vllm_sync import base_model, sync_tensors, tensor_bytes, to_blob
from reasoner.types import Sample

WORKER_EXTENSION = "reasoner.rollout.vllm_worker.ReasonerWorkerExtension"
_DTYPE_NAMES = {torch.float32: "float32", torch.bfloat16: "bfloat16", torch.float16: "float16"}
_SEED_STRIDE = 1_000_003  # request i samples with seed + i * stride (+ j for its j-th sample, by vLLM)


@dataclass
class Completion:
    """One raw completion from a backend: sampled ids, their log-probs, vLLM's finish reason."""

    token_ids: list[int]
    logprobs: list[float]
    finish_reason: str | None


def eos_ids(model: Any, tokenizer: Any) -> list[int]:
    """End-of-sequence ids, the same set the hf engine stops on."""
    ids = {tokenizer.eos_token_id}
    gen = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    if isinstance(gen, int):
        ids.add(gen)
    elif gen:
        ids.update(gen)
    return sorted(i for i in ids if i is not None)


def model_dtype(model: Any) -> str:
    return _DTYPE_NAMES.get(next(model.parameters()).dtype, "auto")


def model_path(cfg: Mapping[str, Any], model: Any, tokenizer: Any) -> str:
    """Where vLLM loads the architecture from: ``rollout.model_path``, else the model's own path.

    A model with no local path (built in memory) is saved to a temporary directory once; its
    weights are then replaced at every sync anyway.
    """
    if cfg.get("model_path"):
        return str(cfg["model_path"])
    base = base_model(model)
    path = getattr(base, "name_or_path", "") or getattr(base.config, "_name_or_path", "")
    if path and (Path(path) / "config.json").exists():
        return str(path)
    out = tempfile.mkdtemp(prefix="reasoner-vllm-model-")
    base.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def to_samples(req: GenerationRequest, completions: list[Completion], tokenizer: Any) -> list[Sample]:
    """Samples of one request from its backend completions (prefix prepended, contract checked)."""
    out = []
    for c in completions:
        if c.finish_reason not in ("stop", "length"):
            raise RuntimeError(f"vLLM request {req.problem_id!r} ended with finish_reason={c.finish_reason!r}")
        if len(c.logprobs) != len(c.token_ids):
            raise RuntimeError(f"vLLM returned {len(c.logprobs)} log-probs for {len(c.token_ids)} tokens")
        response = list(req.prefix_ids) + list(c.token_ids)
        out.append(Sample(
            problem_id=req.problem_id,
            prompt_ids=list(req.prompt_ids),
            response_ids=response,
            logprobs=[float(x) for x in c.logprobs],
            finish_reason=c.finish_reason,  # type: ignore[arg-type]
            text=tokenizer.decode(response, skip_special_tokens=True),
            prefix_len=len(req.prefix_ids),
        ))
    return out


def request_seed(params: SamplingParams, index: int) -> int | None:
    return None if params.seed is None else int(params.seed) + index * _SEED_STRIDE


class LocalBackend:
    """``vllm.LLM`` in this process: generation, in-place weight reload, sleep/wake."""

    def __init__(self, cfg: Mapping[str, Any], path: str, dtype: str, stop_ids: list[int]) -> None:
        configure_env(in_process=True, cache_root=cfg.get("cache_root"))
        from vllm import LLM

        self.on_cuda = torch.cuda.is_available()
        sleep = cfg.get("sleep", "auto")
        self.sleep_enabled = self.on_cuda if sleep in ("auto", None) else bool(sleep)
        self.sleep_level = int(cfg.get("sleep_level", 1))
        self.stop_ids = stop_ids
        eager = cfg.get("enforce_eager")
        self.executor = cfg.get("distributed_executor_backend") or "uni"
        kwargs: dict[str, Any] = dict(
            model=path,
            tokenizer=cfg.get("tokenizer_path") or path,
            dtype=dtype,
            seed=int(cfg.get("seed") or 0),
            enable_prefix_caching=bool(cfg.get("enable_prefix_caching", True)),
            logprobs_mode="processed_logprobs",
            max_num_seqs=int(cfg.get("max_num_seqs", 256)),
            enforce_eager=(not self.on_cuda) if eager is None else bool(eager),
            tensor_parallel_size=int(cfg.get("tensor_parallel_size") or 1),
            distributed_executor_backend=self.executor,
            worker_extension_cls=WORKER_EXTENSION,
            enable_sleep_mode=self.sleep_enabled,
        )
        if cfg.get("max_model_len"):
            kwargs["max_model_len"] = int(cfg["max_model_len"])
        if cfg.get("kv_cache_memory_bytes"):
            kwargs["kv_cache_memory_bytes"] = int(cfg["kv_cache_memory_bytes"])
        elif not self.on_cuda:
            kwargs["kv_cache_memory_bytes"] = 512 << 20  # CPU: a fraction of RAM is too much to reserve
        if cfg.get("max_num_batched_tokens"):
            kwargs["max_num_batched_tokens"] = int(cfg["max_num_batched_tokens"])
        elif not self.on_cuda:  # CPU: seeded requests crash when their prefill is chunked; chunk less
            kwargs["max_num_batched_tokens"] = 16384
        if self.on_cuda:
            kwargs["gpu_memory_utilization"] = float(cfg.get("gpu_memory_utilization", 0.3))
        kwargs.update(dict(cfg.get("engine_kwargs") or {}))
        set_threads = torch.set_num_threads  # vLLM's CPU worker replaces it with a no-op; keep ours
        try:
            self.llm = LLM(**kwargs)
        finally:
            torch.set_num_threads = set_threads
        self.untruncated = all(self.llm.collective_rpc("reasoner_untruncated_logprobs"))
        self.asleep: set[str] = set()  # sleeping parts: "weights", "kv_cache"

    def _wake(self, tags: list[str]) -> None:
        tags = [t for t in tags if t in self.asleep]
        if tags:
            self.llm.wake_up(tags=tags)
            self.asleep.difference_update(tags)

    def generate(self, prompts: list[list[int]], params: list[Any]) -> list[list[Completion]]:
        from vllm import TokensPrompt

        self._wake(["weights", "kv_cache"])
        outs = self.llm.generate([TokensPrompt(prompt_token_ids=p) for p in prompts], params, use_tqdm=False)
        if self.sleep_enabled:  # level 1: weights to host memory; level 2: dropped (a sync refills them)
            self.llm.sleep(level=self.sleep_level)
            self.asleep = {"weights", "kv_cache"}
        return [[Completion(list(c.token_ids), [_sampled_logprob(d, t) for d, t in zip(c.logprobs or [], c.token_ids)],
                            c.finish_reason) for c in o.outputs] for o in outs]

    def sampling_params(self, params: SamplingParams, n: int, seed: int | None) -> Any:
        from vllm import SamplingParams as VSP

        greedy = params.greedy
        return VSP(
            n=n,
            temperature=0.0 if greedy else float(params.temperature),
            top_p=1.0 if greedy else float(params.top_p),
            top_k=0 if greedy else int(params.top_k or 0),
            max_tokens=int(params.max_new_tokens),
            stop=list(params.stop) or None,
            stop_token_ids=self.stop_ids,
            seed=seed,
            logprobs=0,
            skip_special_tokens=True,
        )

    def load(self, weights: Any) -> int:
        """Reload weights from an iterable of (name, tensor); returns bytes loaded."""
        self._wake(["weights"])
        if self.executor == "uni":  # same process: tensors by reference
            loaded = sum(self.llm.collective_rpc("reasoner_load_weights", args=(weights,)))
        else:  # worker processes (tensor parallel): one serialised blob each
            loaded = max(self.llm.collective_rpc("reasoner_load_blob", args=(to_blob(iter(weights)),)))
        self.llm.reset_prefix_cache()
        return loaded

    def close(self) -> None:
        """Shut the engine down and free its memory, so another engine can start in this process."""
        llm, self.llm = getattr(self, "llm", None), None
        if llm is None:
            return
        import gc

        from vllm.distributed.parallel_state import destroy_distributed_environment, destroy_model_parallel

        llm.llm_engine.engine_core.shutdown()
        del llm
        destroy_model_parallel()
        destroy_distributed_environment()
        gc.collect()
        if self.on_cuda:
            torch.cuda.empty_cache()


def _sampled_logprob(d: Mapping[int, Any], token: int) -> float:
    return float(d[token].logprob)


class VLLMRolloutEngine:
    """RolloutEngine on vLLM; ``backend`` is a LocalBackend or a ServerBackend."""

    def __init__(self, backend: Any, tokenizer: Any, sync_dtype: torch.dtype | None = None) -> None:
        self.backend = backend
        self.tokenizer = tokenizer
        self.sync_dtype = sync_dtype
        self.last_sync = SyncStats()

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], model: Any, tokenizer: Any) -> VLLMRolloutEngine:
        """Build from a ``rollout`` config (conf/rollout/vllm.yaml); clear error if vLLM is unusable."""
        mode = cfg.get("mode", "colocated")
        if mode not in ("colocated", "server"):
            raise ValueError(f"rollout.mode={mode!r} is unknown; choose colocated or server")
        stop_ids = eos_ids(base_model(model), tokenizer)
        if mode == "server":
            from reasoner.rollout.vllm_server import ServerBackend

            return cls(ServerBackend.from_config(cfg, stop_ids), tokenizer)
        require_vllm()
        dtype = cfg.get("dtype") or "auto"
        dtype = model_dtype(model) if dtype == "auto" else dtype
        backend = LocalBackend(cfg, model_path(cfg, model, tokenizer), dtype, stop_ids)
        return cls(backend, tokenizer, sync_dtype={v: k for k, v in _DTYPE_NAMES.items()}.get(dtype))

    def generate(self, requests: list[GenerationRequest], params: SamplingParams) -> list[list[Sample]]:
        for ri, req in enumerate(requests):
            if req.n < 1:
                raise ValueError(f"request {ri}: n must be >= 1, got {req.n}")
        if not requests:
            return []
        prompts = [list(r.prompt_ids) + list(r.prefix_ids) for r in requests]
        n_asked = [1 if params.greedy else r.n for r in requests]  # vLLM refuses greedy n > 1
        vparams = [self.backend.sampling_params(params, n, request_seed(params, i)) for i, n in enumerate(n_asked)]
        results = self.backend.generate(prompts, vparams)
        if params.greedy:  # greedy samples of one request are identical: copy the one completion
            results = [[c] * r.n for r, (c,) in zip(requests, results)]
        return [to_samples(req, comps, self.tokenizer) for req, comps in zip(requests, results)]

    def sync_weights(self, model: Any) -> SyncStats:
        """Send the trainer's current weights (merged LoRA, tied head) and drop the prefix cache."""
        t = time.perf_counter()
        sent = 0

        def counted() -> Any:  # streamed: a dtype cast or LoRA merge never holds two full copies
            nonlocal sent
            for name, w in sync_tensors(model, self.sync_dtype):
                sent += tensor_bytes(w)
                yield name, w

        self.backend.load(counted())
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        self.last_sync = SyncStats(seconds=time.perf_counter() - t, bytes=sent)
        return self.last_sync

    def close(self) -> None:
        """Release the engine (its memory, and in server mode nothing but the connection)."""
        self.backend.close()
