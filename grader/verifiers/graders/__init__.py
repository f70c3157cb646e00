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
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from ...types import GradeResult, Item, Status
from ..base import FuzzItem, InvalidItem, Plan, Verifier
from ..options import Options, option
from . import multi, string_check, text_similarity  # noqa: F401  (each registers its grader type)
from .kinds import KINDS, Sample, passes, run, validate
from .templates import render, sample_of
from .text_similarity import LOADING_METRICS, METRICS, similarity

__all__ = ["GraderVerifier", "GraderOptions", "render", "similarity"]


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
    grader: Any = option(None, _config, "the OpenAI grader config: string_check, text_similarity or multi")
    item: Any = option(None, _config, "the dataset item the templates read as {{item.x}}")


# A worker's first meteor or cosine item loads WordNet or the sentence encoder: longer than the default budget.
LOADING_BUDGET_SECONDS = 60.0


def _loads(config: Mapping[str, Any]) -> bool:
    subs = config.get("graders") if isinstance(config.get("graders"), dict) else {}
    return config.get("evaluation_metric") in LOADING_METRICS or any(_loads(g) for g in subs.values())


@dataclass(frozen=True)
class GraderPlan(Plan):
    config: Any = None
    sample: Sample | None = None

    def budget_seconds(self) -> float | None:
        if self.options.timeout is None and _loads(self.config):
            return LOADING_BUDGET_SECONDS
        return self.options.timeout


class GraderVerifier(Verifier):
    name = "grader"
    description = ("Runs an OpenAI-style grader config (string_check, text_similarity, multi) on the response, "
                   "with {{sample.*}} and {{item.*}} templates; one check per sub-grader.")
    options_type = GraderOptions

    def supports(self) -> tuple[str, ...]:
        return (*KINDS, *(f"text_similarity:{m}" for m in METRICS))

    def fuzz_items(self, rng: random.Random) -> Iterator[FuzzItem]:
        sample = "{{sample.output_text}}"
        configs = [{"type": "string_check", "input": sample, "reference": "{{item.reference}}", "operation": op}
                   for op in ("eq", "ne", "like", "ilike")]
        # Not cosine: loading its encoder in every fuzz and property run costs seconds (tests/model has it).
        configs += [{"type": "text_similarity", "input": sample, "reference": "{{item.reference}}",
                     "evaluation_metric": m, "pass_threshold": 0.5} for m in METRICS if m != "cosine"]
        configs.append({"type": "multi", "graders": {"a": configs[0], "b": configs[5]},
                        "calculate_output": "max(a, b) / (1 + abs(a - b))"})
        words = ["the", "cat", "Paris", "{", "}", "{{", "}}", '{"x": 1}', "\n", "é", "", "1e308", "sat"]
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
        scored = run(plan.config, plan.sample)
        correct = passes(plan.config, scored.score)
        threshold = plan.config.get("pass_threshold", 1.0)
        return GradeResult(correct, scored.score, Status.OK, method=f"grader+{plan.config['type']}",
                           checks=scored.checks,
                           reason="" if correct else f"score {scored.score:.4g} below the pass threshold {threshold:g}")
