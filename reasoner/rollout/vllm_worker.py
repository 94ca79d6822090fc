"""vLLM worker extension: weight loading and log-prob semantics, reached through ``collective_rpc``.

vLLM mixes this class into its worker class when started with
``worker_extension_cls="reasoner.rollout.vllm_worker.ReasonerWorkerExtension"`` (engine
argument, or ``--worker-extension-cls`` for ``vllm serve``), so ``self`` is the worker.
Every method is prefixed ``reasoner_`` to stay clear of vLLM's own names. Arguments that
cross a process boundary (server mode) are strings, as vLLM's ``/collective_rpc`` requires.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

import torch


def _model_runner(worker: Any) -> Any:
    return getattr(worker, "model_runner", None)


def _untruncated(sampler: Any) -> bool:
    """Wrap vLLM's top-k/top-p sampler so processed log-probs skip the truncation renormalisation.

    With ``logprobs_mode="processed_logprobs"`` vLLM returns log-probs after temperature *and*
    after top-k/top-p masking. The trainer recomputes ``log_softmax(logits / T)`` over the full
    vocabulary, so the log-prob is taken from the logits as they enter the top-k/top-p step
    (temperature applied, nothing masked). Sampling itself is unchanged.
    """
    if getattr(sampler, "_reasoner_untruncated", False):
        return True
    original = sampler.forward

    def forward(logits: torch.Tensor, generators: Any, k: Any, p: Any) -> tuple[Any, Any]:
        full = logits.log_softmax(dim=-1, dtype=torch.float32) if (k is not None or p is not None) else None
        sampled, processed = original(logits, generators, k, p)
        if full is not None and processed is not None:
            processed = full
        return sampled, processed

    sampler.forward = forward
    sampler._reasoner_untruncated = True
    return True


class ReasonerWorkerExtension:
    """Methods the trainer calls on every vLLM worker."""

    def reasoner_load_weights(self, weights: Iterable[tuple[str, torch.Tensor]]) -> int:
        """Reload weights in place from ``(name, tensor)`` pairs (same process only); bytes loaded."""
        total = 0

        def counted() -> Iterable[tuple[str, torch.Tensor]]:
            nonlocal total
            for name, t in weights:
                total += t.numel() * t.element_size()
                yield name, t

        self.reload_weights(weights_iterator=counted(), is_checkpoint_format=True)  # type: ignore[attr-defined]
        return total

    def reasoner_load_blob(self, blob: str | bytes) -> int:
        """Reload weights from a safetensors blob (base64 text when it came over HTTP)."""
        from safetensors.torch import load

        raw = base64.b64decode(blob) if isinstance(blob, str) else blob
        return self.reasoner_load_weights(load(raw).items())

    def reasoner_load_file(self, path: str) -> int:
        """Reload weights from a safetensors file the trainer wrote (shared file system)."""
        from safetensors.torch import load_file

        return self.reasoner_load_weights(load_file(path).items())

    def reasoner_untruncated_logprobs(self) -> bool:
        """Make behaviour log-probs ignore top-k/top-p renormalisation; False if not possible."""
        runner = _model_runner(self)
        sampler = getattr(getattr(runner, "sampler", None), "topk_topp_sampler", None)
        if sampler is None:
            return False
        return _untruncated(sampler)

    def reasoner_weights_digest(self) -> float:
        """Sum of every parameter (float64): a cheap check that a sync changed the weights."""
        model = _model_runner(self).get_model()
        return float(sum(p.detach().double().sum().item() for p in model.parameters()))
