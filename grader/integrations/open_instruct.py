"""open-instruct: ``GraderVerifier``, a ``VerifierFunction`` that asks the grader.

open-instruct is imported only when ``GraderVerifier`` is first used (it is a training
framework, not a dependency). ``GraderVerifier(verifier="math")(tokenized_prediction,
prediction, label, query=None)`` returns open-instruct's ``VerificationResult`` with the
grader's reward as its score.
"""

from __future__ import annotations

from typing import Any

from .backend import Backend

__all__ = ["GraderVerifier"]


def _build() -> type:
    try:
        from open_instruct.ground_truth_utils import VerificationResult, VerifierFunction
    except ImportError as e:
        raise ImportError("grader.integrations.open_instruct needs open-instruct installed "
                          "(its ground_truth_utils.VerifierFunction)") from e

    class GraderVerifier(VerifierFunction):  # type: ignore[misc, valid-type]
        def __init__(self, verifier: str = "math", *, target: str | None = None, weight: float = 1.0,
                     verifier_config: Any = None) -> None:
            super().__init__(f"grader_{verifier}", weight=weight, verifier_config=verifier_config)
            self.verifier, self.backend = verifier, Backend(target)

        def __call__(self, tokenized_prediction: Any, prediction: str, label: Any, query: str | None = None) -> Any:
            result = self.backend.grade([{"response": prediction, "reference": label, "verifier": self.verifier,
                                          "prompt": query or ""}])[0]
            return VerificationResult(score=result.reward)

    return GraderVerifier


def __getattr__(name: str) -> Any:
    if name == "GraderVerifier":
        cls = _build()
        globals()[name] = cls
        return cls
    raise AttributeError(name)
