"""``qa``: SQuAD-style exact match or token F1 of the answer against several references, the best of them
(the ``qa`` verifier's functions, ``grader/verifiers/qa/squad.py``).

``input`` (default the response) is read for its answer section: the last ``<answer>…</answer>``, else
what follows ``</think>``, else all of it. ``reference`` (default all the item's references) may render a
JSON list of answers or verl's ``{"target": [...]}``. ``metric``: ``em`` (default), ``f1`` or ``subem``.
"""

from __future__ import annotations

from typing import Any, Mapping

from ...types import Check, clip
from ..qa.squad import METRICS, best, final_answer, reference_answers
from . import field_checks
from .kinds import GraderKind, Sample, Scored, passes, register


class QA(GraderKind):
    type = "qa"
    fields = frozenset({"input", "reference", "metric"})

    def validate(self, config: Mapping[str, Any], where: str, depth: int) -> None:
        field_checks.templates(config, where, "input", "reference")
        field_checks.choice(config, where, "metric", tuple(METRICS))

    def score(self, config: Mapping[str, Any], sample: Sample) -> Scored:
        metric = config.get("metric", "em")
        answer = final_answer(field_checks.response(config, sample))
        if not answer:
            return Scored(0.0, [Check(config.get("name") or self.type, False, 0.0, "no answer")])
        score, matched = best(metric, answer, reference_answers(field_checks.reference_texts(config, sample)))
        reason = f"{metric} {score:.3g} against {clip(matched, 200)!r}" if matched else "no reference"
        return Scored(score, [Check(config.get("name") or self.type, passes(config, score), score, reason)])


register(QA())
