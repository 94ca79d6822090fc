"""Server mode: a real ``vllm serve`` subprocess on 127.0.0.1, weight sync over HTTP and via a file.

Slow (the server takes a minute to start on a 2-core CPU); needs vLLM.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess

import pytest
import torch

if importlib.util.find_spec("vllm") is None:
    pytest.skip("vllm is not installed (see docs/vllm.md)", allow_module_level=True)

from reasoner.rollout.base import SamplingParams  # noqa: E402
from reasoner.rollout.hf import HFRolloutEngine  # noqa: E402
from reasoner.train.batch import build_batch, token_logprobs  # noqa: E402
from tests.test_rollout_vllm import GREEDY, perturb, requests  # noqa: E402

pytestmark = [pytest.mark.vllm, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tiny_path, tmp_path_factory):
    from reasoner.rollout.vllm_server import serve_command, wait_ready

    port = free_port()
    cmd, env = serve_command(tiny_path, port, ["--dtype", "float32", "--enforce-eager",
                                               "--kv-cache-memory-bytes", str(64 << 20), "--max-num-seqs", "32"])
    env.update(VLLM_CACHE_ROOT=str(tmp_path_factory.mktemp("vllm-server-cache")), VLLM_CPU_OMP_THREADS_BIND="nobind")
    log = open(tmp_path_factory.mktemp("vllm-server-log") / "server.log", "w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_ready(f"http://127.0.0.1:{port}", timeout=400, proc=proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.mark.parametrize("sync", ["http", "file"])
def test_server_follows_synced_weights(server, tiny, tmp_path, sync):
    from reasoner.rollout.vllm import VLLMRolloutEngine

    model, tok = tiny
    engine = VLLMRolloutEngine.from_config({"engine": "vllm", "mode": "server", "server_url": server,
                                            "sync": sync, "sync_dir": str(tmp_path)}, model, tok)
    assert engine.backend.untruncated
    perturb(model, seed=7 if sync == "http" else 8, scale=0.3)
    stats = engine.sync_weights(model)
    assert stats.bytes > 0 and not list(tmp_path.iterdir())  # the sync file is removed again
    got = engine.generate(requests(tok), GREEDY)
    want = HFRolloutEngine(model, tok).generate(requests(tok), GREEDY)
    assert [g[0].response_ids for g in got] == [w[0].response_ids for w in want]
    assert [g[0].finish_reason for g in got] == [w[0].finish_reason for w in want]
    out = engine.generate(requests(tok, n=2), SamplingParams(temperature=0.8, top_p=0.9, max_new_tokens=12, seed=1))
    flat = [s for g in out for s in g]
    assert all(len(s.logprobs) == len(s.response_ids) for s in flat) and len(flat) == 2 * len(got)
    batch = build_batch(flat, tok.pad_token_id)
    with torch.no_grad():
        lp, _ = token_logprobs(model, batch.input_ids, batch.attention_mask, 0.8)
    diff = (lp - batch.behaviour_logprobs).abs() * batch.mask
    # The 1e-4 contract is pinned in-process (test_rollout_vllm.py). The server is another
    # process with its own OpenMP thread count, so float32 reductions run in another order,
    # and the 0.3-scale perturbation makes logits of magnitude ~20 over 200+-token prompts:
    # CI once measured a 1.05e-4 maximum here. A missed sync is caught by the greedy-token
    # comparison above; this bound still catches a wrong temperature or truncated log-probs.
    assert diff.max().item() < 5e-4 and (diff.sum() / batch.mask.sum()).item() < 2e-5
    engine.close()
