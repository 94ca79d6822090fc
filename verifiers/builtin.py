"""Imports every builtin verifier module so each registers itself."""

from verifiers import numeric  # noqa: F401
from verifiers import ifeval, constrained  # noqa: F401,E402
