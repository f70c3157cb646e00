"""The math verifier family: answers found in reasoning, normalized, compared exactly before sympy.

Stages, in data-flow order: ``extract`` (candidates) → ``normalize``/``numbers``
(``candidate.Reading``) → ``parse`` → ``compare`` (``algebra`` inline,
``symbolic`` in a worker); ``verifier`` ties them into the protocol.
"""

from .options import MathOptions
from .verifier import MathPlan, MathVerifier

__all__ = ["MathOptions", "MathPlan", "MathVerifier"]
