"""Imports every builtin verifier module so each registers itself.

Append one import line per builtin module (unsorted on purpose: appending is how
engineers coordinate here).
"""
# ruff: noqa: I001

from verifiers import numeric  # noqa: F401
import verifiers.math  # noqa: F401,E402
from verifiers import code  # noqa: F401
from verifiers import ifeval, constrained  # noqa: F401,E402
