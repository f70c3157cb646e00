"""The grader verifier: OpenAI-style grader configs, one type a module (``kinds.KINDS``).

``options.grader`` is the config (a JSON object, or a string of one); ``options.item`` the
dataset item. Templates (``templates.py``) read ``{{sample.output_text}}`` (the response),
``{{sample.output_json.x}}`` (the response parsed as JSON, where it parses) and ``{{item.x}}``
(``options.item``, with the item's ``reference`` and ``prompt`` as ``item.reference`` and
``item.prompt``). The score is the grader's; ``correct`` is the score reaching
``pass_threshold`` (given, else 1). One check per sub-grader of a ``multi``.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, replace
from typing import Any, Iterator, Mapping

from ...types import GradeResult, Item, Status
from ..base import FuzzItem, InvalidItem, NeedsWorker, Placement, Plan, Verifier
from ..options import Options, option
from . import multi, string_check, text_similarity  # noqa: F401  (each registers its grader type)
from . import format, length, qa, ranked_list, sub_verifier  # noqa: F401  (rule terms and any verifier)
from .kinds import KINDS, Sample, passes, run, threshold, validate
from .sub_verifier import RULE_FUZZ_CONFIGS
from .templates import render, sample_of
from .text_similarity import METRICS, similarity

__all__ = ["GraderVerifier", "GraderOptions", "render", "similarity"]

# The rule types are linear in the text; fuzzy_match and rouge_l are bit-parallel n*m/64 (0.5 s at 100,000
# characters a side): a response up to this size is graded on the calling thread (at most about 0.1 s),
# a longer one in a worker the item's budget can kill.
INLINE_MAX_CHARS = 50_000


def _config(key: str, value: Any) -> Any:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as e:
            raise ValueError(f"option {key!r} is not JSON ({e})") from None
    if value is not None and not isinstance(value, dict):
        raise ValueError(f"option {key!r} must be a JSON object")
    return value


@dataclass(frozen=True)
class GraderOptions(Options):
    grader: Any = option(None, _config, "the grader config: a JSON object with a type (see OpenAI-style graders)")
    item: Any = option(None, _config, "the dataset item the templates read as {{item.x}}")


@dataclass(frozen=True)
class GraderPlan(Plan):
    config: Any = None
    sample: Sample | None = None


class GraderVerifier(Verifier):
    name = "grader"
    description = ("Runs an OpenAI-style grader config (string_check, text_similarity, multi; ranked_list, qa, format, "
                   "length, and any verifier as a sub-grader) on the response, with {{sample.*}} and {{item.*}} "
                   "templates; one check per sub-grader.")
    options_type = GraderOptions
    placement = Placement.WORKER  # a `verifier` sub-grader (math, code) may need a killable worker

    def supports(self) -> tuple[str, ...]:
        return (*KINDS, *(f"text_similarity:{m}" for m in METRICS))

    def fuzz_items(self, rng: random.Random) -> Iterator[FuzzItem]:
        sample = "{{sample.output_text}}"
        configs = [{"type": "string_check", "input": sample, "reference": "{{item.reference}}", "operation": op}
                   for op in ("eq", "ne", "like", "ilike")]
        configs += [{"type": "text_similarity", "input": sample, "reference": "{{item.reference}}",
                     "evaluation_metric": m, "pass_threshold": 0.5} for m in METRICS]
        configs.append({"type": "multi", "graders": {"a": configs[0], "b": configs[5]},
                        "calculate_output": "max(a, b) / (1 + abs(a - b))"})
        configs += RULE_FUZZ_CONFIGS
        words = ["the", "cat", "Paris", "{", "}", "{{", "}}", '{"x": 1}', "\n", "é", "", "1e308", "sat",
                 "<think>", "</think>", "<answer>", "</answer>", "\\boxed{", "1.", "- ", ",", "TNF-α"]
        while True:
            response = " ".join(rng.choice(words) for _ in range(rng.randint(0, 12)))
            yield FuzzItem(response, rng.choice(["Paris", "the cat sat", "{{item.reference}}", "x"]),
                           {"grader": rng.choice(configs)})

    def prepare(self, item: Item, options: Mapping[str, Any]) -> Plan:
        parsed = GraderOptions.from_mapping(options)
        if parsed.grader is None:
            raise InvalidItem("the grader verifier needs options.grader (an OpenAI grader config)")
        validate(parsed.grader)
        return GraderPlan(self.name, item, parsed, config=parsed.grader, sample=sample_of(item, parsed.item))

    def grade(self, plan: Plan, *, in_worker: bool) -> GradeResult:
        assert isinstance(plan, GraderPlan) and plan.sample is not None
        if not in_worker and len(plan.item.response) > INLINE_MAX_CHARS:
            raise NeedsWorker()
        sample = replace(plan.sample, in_worker=True) if in_worker else plan.sample
        scored = run(plan.config, sample)  # NeedsWorker from a `verifier` sub-grader: the whole plan goes to a worker
        correct = passes(plan.config, scored.score)
        return GradeResult(correct, scored.score, Status.OK, method=f"grader+{plan.config['type']}",
                           checks=scored.checks, reason="" if correct else
                           f"score {scored.score:.4g} below the pass threshold {threshold(plan.config):g}")
