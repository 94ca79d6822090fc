"""Shared fixtures: one tiny model per test session, built into a temporary cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

import verifiers

# Register the builtins before any test swaps the registry out (tests/test_verifiers_registry.py
# monkeypatches it; builtins imported inside such a test would vanish with the patch).
verifiers.list_verifiers()

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory):
    os.environ.setdefault("REASONER_CACHE", str(tmp_path_factory.mktemp("reasoner-cache")))
    torch.set_num_threads(1)
    yield


@pytest.fixture(scope="session")
def tiny_path(_isolated_cache) -> str:
    from reasoner.models.loading import quiet_transformers, resolve_model_path

    quiet_transformers()
    return resolve_model_path("builtin:tiny")


@pytest.fixture()
def tiny(tiny_path):
    from reasoner.models.loading import load_causal_lm, load_tokenizer

    return load_causal_lm(tiny_path), load_tokenizer(tiny_path)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.skip(f"real evaluation data not found at {SHARED_DATA} (clone without ../shared)")
    return SHARED_DATA
