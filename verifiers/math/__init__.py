"""The ``math`` verifier package: extraction, normalisation, equivalence (see verifier.py).

Importing it registers ``math``, ``gsm8k`` and ``aime``. sympy is imported only when a
comparison needs it.
"""

from verifiers.math.compare import equivalent
from verifiers.math.extract import EXTRACTORS, extract_answer, extract_gold, find_boxed
from verifiers.math.normalize import normalize
from verifiers.math.verifier import AIMEVerifier, GSM8KVerifier, MathVerifier

__all__ = ["MathVerifier", "GSM8KVerifier", "AIMEVerifier", "extract_answer", "extract_gold", "find_boxed",
           "normalize", "equivalent", "EXTRACTORS"]
