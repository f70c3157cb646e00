"""The qa verifier: SQuAD-style exact match or token F1 of the answer against several references.

The answer is the response's last ``<answer>…</answer>`` (verl's ``search_r1_like_qa_em``), else what
follows ``</think>``, else the whole response (``squad.final_answer``). References: the item's, where
one may be a JSON list of answers or verl's search-R1 ground truth ``{"target": [...]}``. The score is
the best over them; ``correct`` is a score of 1. The ``qa`` grader type (``graders/qa.py``) reuses these.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Iterator

from ...types import GradeResult, Status, clip
from ..base import FuzzItem, NeedsWorker, Placement, Plan, Verifier
from ..options import Options, one_of, option
from .squad import METRIC_HELP, METRICS, best, final_answer, normalize_answer, reference_answers

__all__ = ["QAVerifier", "QAOptions", "grade_qa"]

# About 1 µs a character (normalizing, counting tokens): longer responses go to a worker the budget can kill.
INLINE_MAX_CHARS = 100_000


@dataclass(frozen=True)
class QAOptions(Options):
    metric: str = option("em", one_of(*METRICS), METRIC_HELP)


class QAVerifier(Verifier):
    name = "qa"
    description = ("SQuAD-style normalized exact match or token F1 of the answer (the last <answer> tag, else the "
                   "response) against any reference (a JSON list, or verl's search-R1 {\"target\": [...]}).")
    options_type = QAOptions
    placement = Placement.WORKER  # only for responses past INLINE_MAX_CHARS

    def supports(self) -> tuple[str, ...]:
        return tuple(METRICS)

    def grade(self, plan: Plan, *, in_worker: bool) -> GradeResult:
        assert isinstance(plan.options, QAOptions)
        if not in_worker and len(plan.item.response) > INLINE_MAX_CHARS:
            raise NeedsWorker()
        return grade_qa(plan.item.response, plan.item.references, plan.options.metric)

    def fuzz_items(self, rng: random.Random) -> Iterator[FuzzItem]:
        words = ["Paris", "the", "Eiffel", "Tower", "<answer>", "</answer>", "</think>", "U.S.A.", "", "é", "a"]
        references = ["Paris", '["Paris", "City of Paris"]', '{"target": ["the Eiffel Tower"]}', "[", "the"]
        while True:
            response = " ".join(rng.choice(words) for _ in range(rng.randint(0, 10)))
            yield FuzzItem(response, rng.choice(references), {"metric": rng.choice(list(METRICS))})


def grade_qa(response: str, references: tuple[str, ...] | list[str], metric: str) -> GradeResult:
    answer = final_answer(response)
    if not answer:
        return GradeResult.failure(Status.NO_ANSWER, "The response has no answer.", method=f"qa+{metric}")
    score, matched = best(metric, answer, reference_answers(references))
    return GradeResult(score == 1.0, score, Status.OK, extracted=clip(answer),
                       normalized=clip(normalize_answer(answer)), normalized_reference=normalize_answer(matched),
                       method=f"qa+{metric}",
                       reason="" if score == 1.0 else f"{metric} {score:.3g} against the best reference")
