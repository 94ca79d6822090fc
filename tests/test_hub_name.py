"""``model.path=<org>/<name>`` goes through the Hugging Face hub machinery, not a local path.

No network here, so the test lays out a real hub cache (``models--org--name/refs/main`` and
``snapshots/<commit>/``) holding a tiny random Qwen2 with the builtin tokenizer, and runs
``reasoner-train`` with ``HF_HUB_OFFLINE=1``: the name is resolved by huggingface_hub from the
cache exactly as a downloaded model would be, and a Qwen2-family model trains end to end.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

ROOT = Path(__file__).resolve().parents[1]
REPO = "reasoner-test/tiny-qwen2"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _hub_cache(root: Path, tokenizer_dir: str) -> Path:
    snap = root / f"models--{REPO.replace('/', '--')}" / "snapshots" / COMMIT
    tok = AutoTokenizer.from_pretrained(tokenizer_dir)
    cfg = Qwen2Config(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                      tie_word_embeddings=True, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                      pad_token_id=tok.pad_token_id)
    Qwen2ForCausalLM(cfg).save_pretrained(snap)
    tok.save_pretrained(snap)
    (snap.parents[1] / "refs").mkdir(parents=True)
    (snap.parents[1] / "refs" / "main").write_text(COMMIT)
    return root


def test_hub_name_loads_from_the_hub_cache_and_trains(tiny_path, tmp_path):
    cache = _hub_cache(tmp_path / "hub", tiny_path)
    env = {**os.environ, "HF_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    out = tmp_path / "run"
    code = "import sys; from reasoner.cli import train; sys.argv = ['reasoner-train'] + sys.argv[1:]; train()"
    proc = subprocess.run(
        [sys.executable, "-c", code, f"model.path={REPO}", f"output_dir={out}", "train.steps=1",
         "train.batch_size=8", "algo.group_size=4", "rollout.max_new_tokens=8", "data.train_size=16",
         "train.eval_every=0", "logger.console=false"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    saved = json.loads(next(out.glob("checkpoints/step_*/policy/config.json")).read_text())
    assert saved["model_type"] == "qwen2" and saved["num_key_value_heads"] == 2
    assert json.loads((out / "metrics.jsonl").read_text().splitlines()[0])["step"] == 1
    # without the cache the same name is looked up on the (unreachable) hub and fails clearly
    shutil.rmtree(cache)
    bad = subprocess.run([sys.executable, "-c", code, f"model.path={REPO}", f"output_dir={tmp_path}/bad",
                          "train.steps=1"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert bad.returncode == 2 and f"model.path={REPO!r}: could not load" in bad.stderr
