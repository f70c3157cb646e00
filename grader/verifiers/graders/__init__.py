"""The grader verifier: OpenAI-style grader configs, one type a module (``kinds.KINDS``).

``options.grader`` is the config (a JSON object, or a string of one); ``options.item`` the
dataset item. Templates (``templates.py``) read ``{{sample.output_text}}`` (the response),
``{{sample.output_json.x}}`` (the response parsed as JSON, where it parses) and ``{{item.x}}``
(``options.item``, with the item's ``reference`` and ``prompt`` as ``item.reference`` and
``item.prompt``). The score is the grader's; ``correct`` is the score reaching
``pass_threshold`` (given, else 1). One check per sub-grader of a ``multi``.

``python`` graders run in the code sandbox, from a worker (``grade`` raises ``NeedsWorker``
inline). ``score_model`` and ``label_model`` graders ask the judge stage: the first verdict,
before any answer, is INVALID_ARGUMENT naming the field (what stands where no judge is
configured); ``consult`` puts every model sub-grader's question to the judge in one round, and
``follow_up`` grades the plan again with the answers. A ``verifier`` sub-grader that raises
``NeedsWorker`` (math on a leaf only sympy reads, code) sends the whole plan to a worker too, as does a
response, a reference, the ``item`` option (its JSON) or a rendered template longer than ``INLINE_MAX_CHARS``.
An ``item`` template variable the item lacks is INVALID_ARGUMENT naming it (``templates.UnresolvedVariable``).
"""

from __future__ import annotations

import dataclasses
import json
import random
import time
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from ...types import GradeResult, Item, Status
from ..base import FuzzItem, InvalidItem, ModelQuery, NeedsWorker, Placement, Plan, Verifier
from ..options import Options, megabytes, option
from . import models, multi, python, string_check, text_similarity  # noqa: F401  (each registers its grader type)
from . import format, length, qa, ranked_list, sub_verifier  # noqa: F401  (rule terms and any verifier)
from .kinds import KINDS, Sample, passes, run, threshold, validate
from .sub_verifier import RULE_FUZZ_CONFIGS
from .templates import UnresolvedVariable, render, sample_of, survey, with_reference
from .variables import template_strings
from .text_similarity import LOADING_METRICS, METRICS, similarity

__all__ = ["GraderVerifier", "GraderOptions", "render", "similarity"]

# The rule types are linear in the text; fuzzy_match and rouge_l are bit-parallel n*m/64 (0.5 s at 100,000
# characters a side): a response up to this size is graded on the calling thread (at most about 0.1 s),
# a longer one (or a longer reference: a 1 MB one took 1 to 2 s) in a worker the item's budget can kill.
INLINE_MAX_CHARS = 50_000


def _config(key: str, value: Any) -> Any:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError) as e:
            raise ValueError(f"option {key!r} is not JSON ({e})") from None
    if value is not None and not isinstance(value, dict):
        raise ValueError(f"option {key!r} must be a JSON object")
    return value


@dataclass(frozen=True)
class GraderOptions(Options):
    grader: Any = option(None, _config, "the OpenAI grader config: string_check, text_similarity, score_model, "
                                        "label_model, python or multi; ranked_list, qa, format, length, verifier")
    item: Any = option(None, _config, "the dataset item the templates read as {{item.x}}")
    python_memory_mb: int = option(512, megabytes, "address-space limit of each of a python grader's sandboxed "
                                                    "processes, in MB (64 to 4096)")


def _survey(options: GraderOptions, sample: Sample) -> tuple[int, str]:
    """What grading inline would handle beyond the response and references, the longer of the item option (its
    JSON, measured once here) and the widest rendered template (``{{item.big}}``, or ``{{sample.output_text}}``
    many times); and why an item variable does not resolve (``templates.survey``)."""
    item_chars = len(json.dumps(options.item, default=str)) if options.item else 0
    namespace = sample.namespace
    if sample.references:  # {{item.reference}} may stand for any of them: measure with the longest
        namespace = with_reference(namespace, max(sample.references, key=len))
    widest, unresolved = survey((t for _, t in template_strings(options.grader, nested=True)), namespace)
    return max(item_chars, widest), unresolved


# A worker's first meteor or cosine item loads WordNet or the sentence encoder: longer than the default budget.
LOADING_BUDGET_SECONDS = 60.0


def _loads(config: Mapping[str, Any]) -> bool:
    subs = config.get("graders") if isinstance(config.get("graders"), dict) else {}
    return config.get("evaluation_metric") in LOADING_METRICS or any(_loads(g) for g in subs.values())


@dataclass(frozen=True)
class GraderPlan(Plan):
    config: Any = None
    sample: Sample | None = None
    answers: Any = None  # the judge's answers to the model graders (models.answers), once asked
    # What the config holds, found once in prepare (the cheap types' items pay no config walks per call).
    asks_models: bool = False
    has_python: bool = False
    loads_library: bool = False  # meteor or cosine
    inline_chars: int = 0  # the item option's JSON or the widest rendered template, whichever is longer
    unresolved: str = ""  # why an {{item.x}} in the config does not resolve in this item (INVALID_ARGUMENT)

    def budget_seconds(self) -> float | None:
        if self.options.timeout is not None:
            return self.options.timeout
        if self.loads_library:
            return LOADING_BUDGET_SECONDS
        return python.DEFAULT_SECONDS if self.has_python else None


class GraderVerifier(Verifier):
    name = "grader"
    description = ("Runs an OpenAI-style grader config (string_check, text_similarity, score_model and "
                   "label_model on the judge, python in the sandbox, multi; ranked_list, qa, format, length, and "
                   "any verifier as a sub-grader) on the response, with {{sample.*}} and {{item.*}} templates; "
                   "one check per sub-grader.")
    options_type = GraderOptions
    placement = Placement.WORKER  # python graders run in the sandbox, from a worker; verifier sub-graders may

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
        sample = sample_of(item, parsed.item)
        # Not refused here: graders/validate plans a config with an empty item; grade refuses it.
        inline_chars, unresolved = _survey(parsed, sample)
        return GraderPlan(self.name, item, parsed, config=parsed.grader, sample=sample,
                          asks_models=any(models.model_graders(parsed.grader)),
                          has_python=python.has_python(parsed.grader), loads_library=_loads(parsed.grader),
                          inline_chars=inline_chars, unresolved=unresolved)

    def grade(self, plan: Plan, *, in_worker: bool) -> GradeResult:
        assert isinstance(plan, GraderPlan) and isinstance(plan.options, GraderOptions) and plan.sample is not None
        if plan.unresolved:  # a data or config error: no reward at all, rather than a free pass on ""
            return GradeResult.failure(Status.INVALID_ARGUMENT, plan.unresolved, method=f"grader+{plan.config['type']}")
        if plan.answers is None and plan.asks_models:
            return models.no_judge(plan.config)  # until the judge answers (consult)
        if (plan.has_python or len(plan.item.response) > INLINE_MAX_CHARS or plan.inline_chars > INLINE_MAX_CHARS
                or max(map(len, plan.item.references)) > INLINE_MAX_CHARS) and not in_worker:
            raise NeedsWorker()  # sources run only in the sandbox, from a killable worker
        sample = plan.sample
        if plan.answers or plan.has_python or in_worker:
            budget = plan.seconds(5.0)  # the driver's budget; 5 s, Budget's default, where none was granted
            limits = python.PythonLimits(time.monotonic() + budget - 0.5, plan.options.python_memory_mb)
            sample = dataclasses.replace(sample, answers=plan.answers or {}, limits=limits, in_worker=in_worker)
        try:
            # NeedsWorker from a `verifier` sub-grader leaves here: the pipeline runs the whole plan in a worker
            scored = run(plan.config, sample)
        except InvalidItem as e:  # the sandbox does not work here (or, as a backstop, an unresolved variable)
            return GradeResult.failure(Status.INVALID_ARGUMENT, str(e), method=f"grader+{plan.config['type']}")
        correct = passes(plan.config, scored.score)
        errors = [f"{c.name}: {c.reason}" for c in scored.checks if c.status == "error"]
        reason = "" if correct else "; ".join([f"score {scored.score:.4g} below the pass threshold "
                                               f"{threshold(plan.config):g}", *errors])
        return GradeResult(correct, scored.score, Status.OK, method=f"grader+{plan.config['type']}",
                           checks=scored.checks, reason=reason)

    def consult(self, plan: Plan, result: GradeResult) -> ModelQuery | None:
        """Every model sub-grader's question, in one round, until the judge has answered (or was passed over)."""
        assert isinstance(plan, GraderPlan) and plan.sample is not None
        if not plan.asks_models or plan.answers is not None or models.JUDGE_STAGE in plan.consulted:
            return None
        try:
            return models.query(plan.config, plan.sample)
        except UnresolvedVariable:  # grade already refused the item, naming the variable
            return None

    def follow_up(self, plan: Plan, result: GradeResult, answer: Any) -> Plan | GradeResult:
        assert isinstance(plan, GraderPlan)
        return dataclasses.replace(plan, answers=models.answers(models.asked_keys(plan.config), answer))
