"""The exact verifier: normalized string equality of the extracted answer."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Iterator

from ...types import GradeResult, Status
from ..base import FuzzItem, Plan, Verifier
from ..math.extract import EXPR, LATEX, lazy_candidates
from ..math.normalize import normalize_answer, unwrap_text
from ..options import Options, boolean, option


@dataclass(frozen=True)
class ExactOptions(Options):
    lowercase: bool = option(True, boolean, "compare case-insensitively")


class ExactVerifier(Verifier):
    name = "exact"
    description = "Normalized string equality of the extracted answer."
    options_type = ExactOptions

    def grade(self, plan: Plan, *, in_worker: bool) -> GradeResult:
        return grade_exact(plan.item.response, plan.item.references, plan.options)

    def fuzz_items(self, rng: random.Random) -> Iterator[FuzzItem]:
        words = ["Paris", "paris", r"\text{Paris}", "42", "4 2", "50%", "$x$", "", "\u00e9t\u00e9", "Ünïcode"]
        while True:
            response = rng.choice([r"\boxed{%s}", "The answer is %s.", "%s", "**%s**"]) % rng.choice(words)
            yield FuzzItem(response, rng.choice(words) or "x", {"lowercase": rng.random() < 0.5})


def grade_exact(response: str, references: Sequence[str], options: ExactOptions) -> GradeResult:
    cand = next(iter(lazy_candidates(response, (LATEX, EXPR))), None)
    if cand is None:
        return GradeResult.failure(Status.NO_ANSWER, "No answer was found in the response.")
    got = _exact_key(cand.text, options)
    keys = [_exact_key(r, options) for r in references]
    correct = got in keys
    return GradeResult(correct, float(correct), Status.OK, extracted=cand.text, normalized=got,
                       normalized_reference=keys[0], method=f"{cand.method}+exact",
                       reason="" if correct else "The normalized answer differs from the reference.")


def _exact_key(text: str, options: ExactOptions) -> str:
    norm, percent = normalize_answer(text)
    norm = re.sub(r"\s+", " ", unwrap_text(norm)).strip()
    if percent:
        norm += "%"
    return norm.casefold() if options.lowercase else norm
