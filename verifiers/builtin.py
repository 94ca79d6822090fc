"""Imports every builtin verifier module so each registers itself."""

from verifiers import numeric  # noqa: F401
