"""IFEval instruction-following checks (Zhou et al. 2023), offline and deterministic.

``evaluate(response, instruction_id_list, kwargs, prompt, mode)`` gives one
:class:`InstructionVerdict` per instruction; the ``ifeval`` verifier wraps it as a reward.
See docs/ifeval.md.
"""

from verifiers.ifeval.core import MODES, InstructionVerdict, check_instruction, evaluate, response_variants
from verifiers.ifeval.registry import INSTRUCTIONS, InstructionError
from verifiers.ifeval.verifier import IFEvalVerifier, constraints_verdict, parse_constraints

INSTRUCTION_IDS = tuple(sorted(INSTRUCTIONS))

__all__ = ["MODES", "INSTRUCTIONS", "INSTRUCTION_IDS", "IFEvalVerifier", "InstructionError",
           "InstructionVerdict", "check_instruction", "constraints_verdict", "evaluate",
           "parse_constraints", "response_variants"]
