"""``verifier``: a registered verifier as a sub-grader, so ``multi`` combines correctness (math, ifeval,
code, qa...) with format and length terms and one request returns the whole shaped reward::

    {"type": "multi", "calculate_output": "correctness + 0.1 * format + overlong",
     "graders": {"correctness": {"type": "verifier", "verifier": "math", "options": {"precision": 3}},
                 "format": {"type": "format", "think": true, "boxed": true},
                 "overlong": {"type": "length", "max_length": 4096, "cache_length": 512}}}

Fields: ``verifier`` (a registered name; not ``grader``), ``options`` (its options, checked with the
config), ``input`` (default the response), ``reference`` (a template giving one reference; default all the
item's references) and ``prompt`` (default the item's). The score is the verifier's on an ``OK`` verdict,
else 0 (no answer, an answer that is no value, an item the verifier refuses), its check saying which.

The verifier's ``prepare`` and ``grade`` run inside the grader's plan. Where ``grade`` raises
``NeedsWorker`` on the caller's thread (math on a leaf only sympy reads; code, always), the exception
leaves the grader's ``grade`` and the pipeline runs the whole grader plan again in a killable worker, under
the grader item's ``timeout`` option (so a sub-verifier's own ``timeout`` is refused: it would bound
nothing). Model stages (math's LM extractor and the judge) are never asked for a sub-grader: its verdict
is the rules'.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, Mapping

from ...types import Check, Item, Status, clip
from ..base import Verifier
from . import field_checks
from .kinds import GraderKind, Sample, Scored, field_error, passes, register
from .templates import render


def _registered(name: Any, options: Mapping[str, Any]) -> Verifier | None:
    from .. import get  # the registry (grader.verifiers), which imports this package

    verifier = get(name) if isinstance(name, str) else None
    return None if verifier is None else get(verifier.route(options)) or verifier


class SubVerifier(GraderKind):
    type = "verifier"
    fields = frozenset({"verifier", "options", "input", "reference", "prompt"})

    def validate(self, config: Mapping[str, Any], where: str, depth: int) -> None:
        from .. import names

        field_checks.templates(config, where, "input", "reference", "prompt")
        options = config.get("options", {})
        if not isinstance(options, dict):
            raise field_error(f"{where}.options", "must be a JSON object (the verifier's options)")
        name = config.get("verifier")
        if name == "grader":
            raise field_error(f"{where}.verifier", "the grader verifier cannot nest itself: put its graders in "
                              "this config instead")
        verifier = _registered(name, options)
        if verifier is None:
            known = ", ".join(n for n in names() if n != "grader")
            raise field_error(f"{where}.verifier", f"must name a registered verifier ({known}), not {name!r}")
        for key in options:
            if verifier.options_type.canonical(key) == "timeout":
                raise field_error(f"{where}.options.{key}", "a sub-verifier takes no timeout: the grader item's "
                                  "own timeout option bounds the whole plan")
        try:
            verifier.options_type.from_mapping(options)
        except (ValueError, TypeError) as e:
            raise field_error(f"{where}.options", str(e)) from None

    def score(self, config: Mapping[str, Any], sample: Sample) -> Scored:
        options = config.get("options") or {}
        verifier = _registered(config["verifier"], options)
        assert verifier is not None  # validated
        name = config.get("name") or verifier.name
        references = tuple(field_checks.reference_texts(config, sample))
        if not any(r.strip() for r in references):
            return Scored(0.0, [Check(name, False, 0.0, "the reference is empty", Status.INVALID_ARGUMENT.value)])
        prompt = render(config["prompt"], sample.namespace) if "prompt" in config else \
            sample.graded.prompt if sample.graded is not None else ""
        try:
            plan = verifier.prepare(Item(field_checks.response(config, sample), references, prompt), options)
        except (ValueError, TypeError) as e:  # InvalidItem: a reference this verifier cannot read, say
            return Scored(0.0, [Check(name, False, 0.0, clip(f"{verifier.name} refused the item: {e}", 300),
                                      Status.INVALID_ARGUMENT.value)])
        if sample.limits is not None:  # what is left of the grader item's budget, not the verifier's own
            plan = dataclasses.replace(plan, granted_seconds=max(0.0, sample.limits.deadline - time.monotonic()))
        result = verifier.grade(plan, in_worker=sample.in_worker)  # NeedsWorker: the grader plan goes to a worker
        score = result.score if result.status is Status.OK else 0.0
        reason = f"{verifier.name} {result.method}" + (f": {result.reason}" if result.reason else "")
        return Scored(score, [Check(name, passes(config, score), score, clip(reason, 300), result.status.value)])


register(SubVerifier())

# The rule types and the shaped reward, for the grader verifier's fuzz items.
RULE_FUZZ_CONFIGS: list[dict[str, Any]] = [
    {"type": "ranked_list"}, {"type": "ranked_list", "scoring": "top_k", "k": 3, "match": "fuzzy"},
    {"type": "qa", "metric": "f1"}, {"type": "format", "think": True, "answer_tag": "answer", "nothing_after": True},
    {"type": "length", "max_length": 8, "cache_length": 4},
    {"type": "multi", "calculate_output": "c + 0.1 * f + o",
     "graders": {"c": {"type": "verifier", "verifier": "math"}, "f": {"type": "format", "boxed": True},
                 "o": {"type": "length", "unit": "characters", "max_length": 40, "cache_length": 10}}},
]
