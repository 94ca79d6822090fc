"""Chat-template rendering: Problem messages -> prompt token ids."""

from __future__ import annotations

from typing import Any

from reasoner.types import Message


def encode_prompt(tokenizer: Any, messages: list[Message]) -> list[int]:
    """Token ids of ``messages`` rendered with the tokenizer's chat template + generation prompt."""
    text = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    return tokenizer(text, add_special_tokens=False)["input_ids"]
