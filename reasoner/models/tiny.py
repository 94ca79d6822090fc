"""The builtin tiny model: a small Llama built from a config, with a locally trained tokenizer.

It is saved with ``save_pretrained`` and loaded back through ``AutoModelForCausalLM`` /
``AutoTokenizer``, exactly the path a hub model takes, so nothing downstream knows the
difference. The tokenizer is a byte-level BPE trained with `tokenizers` on text from the
builtin task (digits split one per token), with a ChatML-style chat template.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from reasoner.atomic import atomic_dir
from reasoner.data.arithmetic import ArithmeticConfig, ArithmeticTask

FORMAT_VERSION = 2  # bump when the tokenizer corpus or model layout changes
PAD, BOS, EOS = "<|pad|>", "<|im_start|>", "<|im_end|>"
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@dataclass(frozen=True)
class TinySpec:
    """Shape of the builtin model (defaults: about 1 M parameters)."""

    hidden_size: int = 128
    num_layers: int = 4
    num_heads: int = 4
    intermediate_size: int = 384
    vocab_size: int = 512
    max_position_embeddings: int = 512
    tie_word_embeddings: bool = True
    seed: int = 0

    def key(self) -> str:
        blob = json.dumps({**asdict(self), "format": FORMAT_VERSION}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


def _corpus(n: int = 4000) -> list[str]:
    texts = []
    for d in (1, 2, 3, 4):
        cfg = ArithmeticConfig(difficulty=d, ops=("+", "-", "*"), word_problems=0.3)
        for split in ("train", "test"):
            task = ArithmeticTask(cfg, split, seed=12345)
            for i in range(n // 8):
                p = task.problem(i)
                texts.append(p.prompt[0]["content"])
                texts.append(p.metadata["solution"])
    texts += ["Answer: The answer is #### Problem Solution Question"]
    texts += ["<|im_start|>system\n", "<|im_start|>user\n", "<|im_start|>assistant\n"] * 200
    return texts


def train_tokenizer(vocab_size: int, out_dir: Path) -> None:
    """Train a byte-level BPE tokenizer and save it as a transformers fast tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[PAD, BOS, EOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_corpus(), trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token=PAD, eos_token=EOS, bos_token=None, unk_token=None
    )
    fast.chat_template = CHAT_TEMPLATE
    fast.padding_side = "left"
    fast.save_pretrained(out_dir)


def build_tiny(spec: TinySpec, out_dir: str | os.PathLike) -> Path:
    """Create the tiny model and tokenizer in ``out_dir`` (atomically) and return the path."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from reasoner.models.loading import quiet_transformers

    quiet_transformers()
    out = Path(out_dir)
    with atomic_dir(out) as tmp:
        train_tokenizer(spec.vocab_size, tmp)
        tok = AutoTokenizer.from_pretrained(tmp)
        cfg = LlamaConfig(
            vocab_size=len(tok),
            hidden_size=spec.hidden_size,
            intermediate_size=spec.intermediate_size,
            num_hidden_layers=spec.num_layers,
            num_attention_heads=spec.num_heads,
            num_key_value_heads=spec.num_heads,
            max_position_embeddings=spec.max_position_embeddings,
            tie_word_embeddings=spec.tie_word_embeddings,
            pad_token_id=tok.pad_token_id,
            eos_token_id=tok.eos_token_id,
            bos_token_id=tok.convert_tokens_to_ids(BOS),
            rms_norm_eps=1e-6,
            attention_dropout=0.0,
        )
        torch.manual_seed(spec.seed)
        model = LlamaForCausalLM(cfg)
        model.generation_config.pad_token_id = tok.pad_token_id
        model.generation_config.eos_token_id = tok.eos_token_id
        model.save_pretrained(tmp)
        (tmp / "tiny_spec.json").write_text(json.dumps(asdict(spec), indent=2))
    return out


def default_cache_dir() -> Path:
    return Path(os.environ.get("REASONER_CACHE", Path.home() / ".cache" / "reasoner"))


def ensure_tiny(spec: TinySpec | None = None, cache_dir: str | os.PathLike | None = None) -> Path:
    """Path of the tiny model for ``spec``, building it once into the cache."""
    spec = spec or TinySpec()
    root = Path(cache_dir) if cache_dir else default_cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"tiny-{spec.key()}"
    if not (path / "config.json").exists():
        build_tiny(spec, path)
    return path
