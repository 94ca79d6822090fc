"""`hf` rollout engine: batched sampling with the trainer's own transformers model.

Works on CPU and GPU, shares the trainer's model object (so `sync_weights` is free),
and returns behaviour log-probs of the distribution sampled from: log_softmax(logits / T)
at each sampled token (top-p / top-k truncation is not renormalised into the log-prob,
matching what the trainer recomputes).

Two decoders: ``lean`` (reasoner/rollout/decode.py: preallocated KV cache, finished rows
dropped from the batch; the default for plain full-attention models) and ``generate``
(``model.generate``, for every other architecture and as the reference the lean loop is
tested against).
"""

from __future__ import annotations

import time
from typing import Any

import torch

from reasoner.rollout.base import GenerationRequest, SamplingParams, SyncStats
from reasoner.rollout.decode import decode
from reasoner.rollout.kvcache import supports_preallocated
from reasoner.types import Sample

DECODERS = ("auto", "lean", "generate")


class HFRolloutEngine:
    """Rollouts with the trainer's model; ``max_batch_size`` bounds sequences per call.

    ``decoder``: "lean", "generate", or "auto" (lean where the architecture allows).
    """

    def __init__(self, model: Any, tokenizer: Any, max_batch_size: int = 256, decoder: str = "auto") -> None:
        if decoder not in DECODERS:
            raise ValueError(f"rollout.decoder={decoder!r} is unknown; choose one of {', '.join(DECODERS)}")
        if decoder == "lean" and not supports_preallocated(model.config):
            raise ValueError(f"rollout.decoder=lean needs a plain full-attention decoder; "
                             f"{type(model).__name__} is not one (use decoder=generate or auto)")
        self.model = model
        self.tokenizer = tokenizer
        self.max_batch_size = max_batch_size
        self.decoder = decoder if decoder != "auto" else (
            "lean" if supports_preallocated(model.config) else "generate")
        self.eos_ids = self._eos_ids()
        self.pad_id = tokenizer.pad_token_id

    def _eos_ids(self) -> set[int]:
        ids = {self.tokenizer.eos_token_id}
        gen_eos = getattr(self.model.generation_config, "eos_token_id", None)
        if isinstance(gen_eos, int):
            ids.add(gen_eos)
        elif gen_eos:
            ids.update(gen_eos)
        return {i for i in ids if i is not None}

    def sync_weights(self, model: Any) -> SyncStats:
        """The engine holds the trainer's own module: nothing to copy unless it changed."""
        t = time.perf_counter()
        self.model = model
        return SyncStats(seconds=time.perf_counter() - t, bytes=0)

    def generate(self, requests: list[GenerationRequest], params: SamplingParams) -> list[list[Sample]]:
        flat: list[tuple[int, GenerationRequest]] = []
        for ri, req in enumerate(requests):
            if req.n < 1:
                raise ValueError(f"request {ri}: n must be >= 1, got {req.n}")
            flat.extend((ri, req) for _ in range(req.n))
        out: list[list[Sample]] = [[] for _ in requests]
        # Sort by length so each chunk pads little; results are put back per request in order.
        order = sorted(range(len(flat)), key=lambda i: len(flat[i][1].prompt_ids) + len(flat[i][1].prefix_ids))
        results: dict[int, Sample] = {}
        for c in range(0, len(order), self.max_batch_size):
            chunk = order[c : c + self.max_batch_size]
            samples = self._generate_chunk([flat[i][1] for i in chunk], params)
            results.update(zip(chunk, samples))
        for i, (ri, _) in enumerate(flat):
            out[ri].append(results[i])
        return out

    def _generate_chunk(self, reqs: list[GenerationRequest], params: SamplingParams) -> list[Sample]:
        if self.decoder == "lean":
            return self._lean_chunk(reqs, params)
        return self._generate_call(reqs, params)

    def _stop_hit(self, stop: list[str]):
        """A per-row check that the decoded tail of the response contains a stop string."""
        if not stop:
            return None
        window = max(len(s) for s in stop) + 2  # every token decodes to >= 1 character, bar specials
        tok = self.tokenizer

        def hit(tokens: list[int]) -> bool:
            tail = tok.decode(tokens[-window:], skip_special_tokens=True)
            return any(s in tail for s in stop)

        return hit

    def _lean_chunk(self, reqs: list[GenerationRequest], params: SamplingParams) -> list[Sample]:
        decoded = decode(
            self.model, [r.prompt_ids + r.prefix_ids for r in reqs], params.max_new_tokens,
            pad_id=self.pad_id, eos_ids=self.eos_ids,
            temperature=0.0 if params.greedy else params.temperature,
            top_p=params.top_p, top_k=params.top_k, stop_hit=self._stop_hit(list(params.stop)),
        )
        return [self._sample(req, d.tokens, d.logprobs, d.finish_reason) for req, d in zip(reqs, decoded)]

    def _sample(self, req: GenerationRequest, sampled: list[int], logprobs: list[float], finish: str) -> Sample:
        response = list(req.prefix_ids) + sampled
        return Sample(
            problem_id=req.problem_id,
            prompt_ids=list(req.prompt_ids),
            response_ids=response,
            logprobs=logprobs,
            finish_reason=finish,
            text=self.tokenizer.decode(response, skip_special_tokens=True),
            prefix_len=len(req.prefix_ids),
        )

    @torch.no_grad()
    def _generate_call(self, reqs: list[GenerationRequest], params: SamplingParams) -> list[Sample]:
        model = self.model
        device = next(model.parameters()).device
        contexts = [r.prompt_ids + r.prefix_ids for r in reqs]
        width = max(len(c) for c in contexts)
        input_ids = torch.full((len(reqs), width), self.pad_id, dtype=torch.long)
        attn = torch.zeros((len(reqs), width), dtype=torch.long)
        for i, c in enumerate(contexts):  # left padding
            input_ids[i, width - len(c) :] = torch.tensor(c, dtype=torch.long)
            attn[i, width - len(c) :] = 1
        kwargs: dict[str, Any] = dict(
            max_new_tokens=params.max_new_tokens,
            do_sample=not params.greedy,
            return_dict_in_generate=True,
            output_logits=True,
            pad_token_id=self.pad_id,
            eos_token_id=sorted(self.eos_ids),
        )
        if not params.greedy:
            kwargs.update(temperature=params.temperature, top_p=params.top_p, top_k=params.top_k or None)
        else:
            kwargs.update(temperature=None, top_p=None, top_k=None)
        if params.stop:
            kwargs.update(stop_strings=list(params.stop), tokenizer=self.tokenizer)
        was_training = model.training
        model.eval()
        try:
            gen = model.generate(input_ids=input_ids.to(device), attention_mask=attn.to(device), **kwargs)
        finally:
            model.train(was_training)
        new_tokens = gen.sequences[:, width:].cpu()
        temp = params.temperature if not params.greedy else 1.0
        steps = new_tokens.shape[1]
        lp = torch.zeros(new_tokens.shape, dtype=torch.float32)
        for t in range(steps):
            logits = gen.logits[t].float()
            lp[:, t] = torch.log_softmax(logits / temp, dim=-1).gather(
                -1, new_tokens[:, t : t + 1].to(logits.device)
            ).squeeze(-1).cpu()
        samples = []
        for i, req in enumerate(reqs):
            toks = new_tokens[i].tolist()
            n, finish = len(toks), "length"
            for j, tok in enumerate(toks):
                if tok in self.eos_ids:
                    n, finish = j + 1, "stop"
                    break
            sampled = toks[:n]
            if finish == "length" and params.stop:
                tail = self.tokenizer.decode(sampled, skip_special_tokens=True)
                if any(s in tail for s in params.stop):
                    finish = "stop"
            samples.append(self._sample(req, sampled, lp[i, :n].tolist(), finish))
        return samples
