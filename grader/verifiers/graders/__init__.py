"""The grader verifier: OpenAI-style grader configs (``string_check``, ``text_similarity``, ``multi``).

``options.grader`` is the config (a JSON object, or a string of one); ``options.item`` the
dataset item. Templates read ``{{sample.output_text}}`` (the response), ``{{sample.output_json.x}}``
(the response parsed as JSON, where it parses) and ``{{item.x}}`` (``options.item``, with the
item's ``reference`` and ``prompt`` as ``item.reference`` and ``item.prompt``). The score is
the grader's; ``correct`` is the score reaching ``pass_threshold`` (given, else 1). One check
per sub-grader of a ``multi``.

Metrics (``text_similarity``): ``fuzzy_match`` rapidfuzz ``fuzz.ratio`` / 100; ``bleu``
sacrebleu ``sentence_bleu`` / 100 (its defaults: 13a tokenizer, exponential smoothing);
``gleu`` NLTK ``sentence_gleu`` on whitespace tokens; ``rouge_1``..``rouge_5``, ``rouge_l``
rouge-score's F-measure without stemming. Not done yet: ``meteor`` (WordNet data), ``cosine``,
``score_model`` / ``label_model`` (the judge backends) and ``python`` (the code sandbox).
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from ...types import Check, GradeResult, Item, Status
from ..base import FuzzItem, InvalidItem, Plan, Verifier
from ..options import Options, option
from . import formula

METRICS = ("fuzzy_match", "bleu", "gleu", "rouge_1", "rouge_2", "rouge_3", "rouge_4", "rouge_5", "rouge_l")
NOT_YET = {"meteor": "needs WordNet data", "cosine": "needs a sentence encoder",
           "score_model": "needs the judge backends", "label_model": "needs the judge backends",
           "python": "needs the code sandbox's grader runner"}
_TEMPLATE = re.compile(r"\{\{\s*(sample|item)((?:\.[A-Za-z0-9_]+)*)\s*\}\}")
MAX_GRADERS = 32


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


@dataclass(frozen=True)
class GraderPlan(Plan):
    config: Any = None
    namespace: Any = None


class GraderVerifier(Verifier):
    name = "grader"
    description = ("Runs an OpenAI-style grader config (string_check, text_similarity, multi) on the response, "
                   "with {{sample.*}} and {{item.*}} templates; one check per sub-grader.")
    options_type = GraderOptions

    def supports(self) -> tuple[str, ...]:
        return ("string_check", "text_similarity", "multi", *(f"text_similarity:{m}" for m in METRICS))

    def fuzz_items(self, rng: random.Random) -> Iterator[FuzzItem]:
        sample = "{{sample.output_text}}"
        configs = [{"type": "string_check", "input": sample, "reference": "{{item.reference}}", "operation": op}
                   for op in ("eq", "ne", "like", "ilike")]
        configs += [{"type": "text_similarity", "input": sample, "reference": "{{item.reference}}",
                     "evaluation_metric": m, "pass_threshold": 0.5} for m in METRICS]
        configs.append({"type": "multi", "graders": {"a": configs[0], "b": configs[5]},
                        "calculate_output": "max(a, b) / (1 + abs(a - b))"})
        words = ["the", "cat", "Paris", "{", "}", "{{", "}}", '{"x": 1}', "\n", "é", "", "1e308", "sat"]
        while True:
            response = " ".join(rng.choice(words) for _ in range(rng.randint(0, 12)))
            yield FuzzItem(response, rng.choice(["Paris", "the cat sat", "{{item.reference}}", "x"]),
                           {"grader": rng.choice(configs)})

    def prepare(self, item: Item, options: Mapping[str, Any]) -> Plan:
        parsed = GraderOptions.from_mapping(options)
        config = parsed.grader
        if config is None:
            raise InvalidItem("the grader verifier needs options.grader (an OpenAI grader config)")
        _validate(config, depth=0)
        try:
            output_json = json.loads(item.response)
        except (ValueError, RecursionError):
            output_json = None
        fields = {**(parsed.item or {}), "reference": item.references[0], "prompt": item.prompt}
        namespace = {"sample": {"output_text": item.response, "output_json": output_json}, "item": fields}
        return GraderPlan(self.name, item, parsed, config=config, namespace=namespace)

    def grade(self, plan: Plan, *, in_worker: bool) -> GradeResult:
        assert isinstance(plan, GraderPlan)
        score, checks = _run(plan.config, plan.namespace)
        threshold = plan.config.get("pass_threshold", 1.0)
        correct = score >= threshold
        return GradeResult(correct, score, Status.OK, method=f"grader+{plan.config['type']}", checks=checks,
                           reason="" if correct else f"score {score:.4g} below the pass threshold {threshold:g}")


def _validate(config: Any, depth: int) -> None:
    if not isinstance(config, dict) or not isinstance(config.get("type"), str):
        raise InvalidItem("a grader config is a JSON object with a 'type'")
    kind = config["type"]
    if kind in NOT_YET:
        raise InvalidItem(f"grader type {kind!r} is not supported yet ({NOT_YET[kind]})")
    threshold = config.get("pass_threshold", 1.0)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        raise InvalidItem("pass_threshold must be a number")
    if kind == "string_check":
        _strings(config, "input", "reference")
        if config.get("operation") not in ("eq", "ne", "like", "ilike"):
            raise InvalidItem("string_check operation must be eq, ne, like or ilike")
    elif kind == "text_similarity":
        _strings(config, "input", "reference")
        metric = config.get("evaluation_metric")
        if metric in NOT_YET:
            raise InvalidItem(f"evaluation_metric {metric!r} is not supported yet ({NOT_YET[metric]})")
        if metric not in METRICS:
            raise InvalidItem(f"evaluation_metric must be one of {', '.join(METRICS)}, not {metric!r}")
    elif kind == "multi":
        graders = config.get("graders")
        if depth > 0 or not isinstance(graders, dict) or not graders or len(graders) > MAX_GRADERS:
            raise InvalidItem(f"a multi grader needs 'graders': 1 to {MAX_GRADERS} named sub-graders (not nested)")
        for sub in graders.values():
            _validate(sub, depth + 1)
        try:
            formula.parse(config.get("calculate_output"), set(graders))
        except formula.FormulaError as e:
            raise InvalidItem(str(e)) from None
    else:
        raise InvalidItem(f"unknown grader type {kind!r}; known: string_check, text_similarity, multi")


def _strings(config: Mapping[str, Any], *keys: str) -> None:
    for key in keys:
        if not isinstance(config.get(key), str):
            raise InvalidItem(f"a {config['type']} grader needs '{key}' (a string, templates allowed)")


def render(template: str, namespace: Mapping[str, Any]) -> str:
    """``{{sample.output_text}}`` and ``{{item.x.y}}`` filled in; a missing field is empty."""
    def value(match: re.Match) -> str:
        current: Any = namespace[match.group(1)]
        for part in match.group(2).split(".")[1:]:
            current = current.get(part) if isinstance(current, dict) else None
        if current is None:
            return ""
        return current if isinstance(current, str) else json.dumps(current)
    return _TEMPLATE.sub(value, template)


def _run(config: Mapping[str, Any], namespace: Mapping[str, Any]) -> tuple[float, list[Check]]:
    kind = config["type"]
    if kind == "multi":
        checks, values = [], {}
        for name, sub in config["graders"].items():
            values[name], _ = _run(sub, namespace)
            checks.append(Check(name, values[name] >= sub.get("pass_threshold", 1.0), values[name], sub["type"]))
        try:
            score = formula.evaluate(formula.parse(config["calculate_output"], set(values)), values)
        except formula.FormulaError as e:
            return 0.0, [*checks, Check("calculate_output", False, 0.0, str(e))]
        return score, checks
    text, reference = render(config["input"], namespace), render(config["reference"], namespace)
    score = _string_check(config["operation"], text, reference) if kind == "string_check" else \
        similarity(config["evaluation_metric"], text, reference)
    name = config.get("name") or kind
    return score, [Check(name, score >= config.get("pass_threshold", 1.0), score, kind)]


def _string_check(operation: str, text: str, reference: str) -> float:
    return float({"eq": text == reference, "ne": text != reference, "like": reference in text,
                  "ilike": reference.lower() in text.lower()}[operation])


def similarity(metric: str, text: str, reference: str) -> float:
    if metric == "fuzzy_match":
        from rapidfuzz import fuzz
        return fuzz.ratio(text, reference) / 100
    if metric == "bleu":
        import sacrebleu
        return sacrebleu.sentence_bleu(text, [reference]).score / 100
    if metric == "gleu":
        from nltk.translate.gleu_score import sentence_gleu
        return float(sentence_gleu([reference.split()], text.split())) if text.split() else 0.0
    from rouge_score import rouge_scorer
    kind = "rougeL" if metric == "rouge_l" else f"rouge{metric[-1]}"
    return rouge_scorer.RougeScorer([kind], use_stemmer=False).score(reference, text)[kind].fmeasure
