"""``score_model`` and ``label_model``: templated chat messages put to the judge model stage.

A config's ``input`` messages are templated like any other field and sent as one
``grader.lm.model_graders.ModelGraderRequest``; the judge (``grader serve --judge-model`` or
``--judge-url``, or ``grade(..., judge_service=)``) answers every model sub-grader of an item in
one consult round (``GraderQuery``), and the answers come back to the plan by config
(``answer_key``) for scoring. score_model: the number, in ``range`` (default [0, 1]). label_model:
1 when the label is one of ``passing_labels``, else 0. An answer the judge could not give is a
failed check with its reason. ``model`` is recorded in the check, and sent as the endpoint's model
name unless the service pins one (``--judge-endpoint-model``); a local judge is what it is.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from ...lm.model_graders import SAMPLING_PARAMS, ModelGraderAnswer, ModelGraderRequest
from ...types import Check, GradeResult, Status
from ..base import ModelQuery
from .kinds import GraderKind, Sample, Scored, field_error, passes, register
from .templates import render

JUDGE_STAGE = "judge"
ROLES = frozenset({"system", "developer", "user", "assistant"})
MAX_MESSAGES = 64
MAX_LABELS = 64
REASONING_EFFORTS = ("minimal", "low", "medium", "high")


@dataclass(frozen=True)
class GraderQuery(ModelQuery):
    """One consult round for an item's model sub-graders: their requests, answered in order."""

    requests: tuple[ModelGraderRequest, ...] = ()


class ModelKind(GraderKind):
    fields = frozenset({"model", "input", "sampling_params"})

    def validate(self, config: Mapping[str, Any], where: str, depth: int) -> None:
        if not isinstance(config.get("model"), str) or not config["model"].strip():
            raise field_error(f"{where}.model", f"a {self.type} grader needs 'model' (a model name)")
        messages = config.get("input")
        if not isinstance(messages, list) or not messages or len(messages) > MAX_MESSAGES:
            raise field_error(f"{where}.input", f"must be a list of 1 to {MAX_MESSAGES} messages "
                              "({\"role\": ..., \"content\": ...})")
        for i, message in enumerate(messages):
            _check_message(message, f"{where}.input.{i}")
        _check_sampling(config.get("sampling_params", {}), f"{where}.sampling_params")

    def request(self, config: Mapping[str, Any], sample: Sample) -> ModelGraderRequest:
        messages = tuple((m["role"], render(_text(m["content"]), sample.namespace)) for m in config["input"])
        sampling = {k: _integer(v) if k in ("seed", "max_completions_tokens") else v
                    for k, v in config.get("sampling_params", {}).items()}
        return ModelGraderRequest(messages, config["model"], sampling=tuple(sorted(sampling.items())))

    def score(self, config: Mapping[str, Any], sample: Sample) -> Scored:
        name = config.get("name") or self.type
        answer = sample.answers.get(answer_key(config))
        if not isinstance(answer, ModelGraderAnswer):
            return Scored(0.0, [Check(name, False, 0.0, "the judge gave no answer for this grader", "error")])
        if answer.error:
            return Scored(0.0, [Check(name, False, 0.0, f"{config['model']}: {answer.error}", "error")])
        score = self.value(config, answer)
        return Scored(score, [Check(name, passes(config, score), score,
                                    f"{config['model']} ({answer.backend}): {self.described(answer)}")])

    def value(self, config: Mapping[str, Any], answer: ModelGraderAnswer) -> float:
        raise NotImplementedError

    def described(self, answer: ModelGraderAnswer) -> str:
        raise NotImplementedError


class ScoreModel(ModelKind):
    type = "score_model"
    fields = ModelKind.fields | {"range"}

    def validate(self, config: Mapping[str, Any], where: str, depth: int) -> None:
        super().validate(config, where, depth)
        bounds = config.get("range", [0, 1])
        if not (isinstance(bounds, list) and len(bounds) == 2 and all(_finite(b) for b in bounds)
                and bounds[0] < bounds[1]):
            raise field_error(f"{where}.range", "must be [low, high], two numbers with low < high")

    def request(self, config: Mapping[str, Any], sample: Sample) -> ModelGraderRequest:
        lo, hi = config.get("range", [0, 1])
        return _with(super().request(config, sample), range=(float(lo), float(hi)))

    def value(self, config: Mapping[str, Any], answer: ModelGraderAnswer) -> float:
        return answer.score

    def described(self, answer: ModelGraderAnswer) -> str:
        return f"score {answer.score:.4g}" + (f" from {answer.reply!r}" if answer.reply else " (expected value)")


class LabelModel(ModelKind):
    type = "label_model"
    fields = ModelKind.fields | {"labels", "passing_labels"}

    def validate(self, config: Mapping[str, Any], where: str, depth: int) -> None:
        super().validate(config, where, depth)
        labels = config.get("labels")
        if not (isinstance(labels, list) and 2 <= len(labels) <= MAX_LABELS and len(set(map(str, labels))) == len(labels)
                and all(isinstance(label, str) and label.strip() for label in labels)):
            raise field_error(f"{where}.labels", f"must be a list of 2 to {MAX_LABELS} distinct, non-empty strings")
        passing = config.get("passing_labels")
        if not (isinstance(passing, list) and passing and all(label in labels for label in passing)):
            raise field_error(f"{where}.passing_labels", "must be a non-empty list of some of the labels")

    def request(self, config: Mapping[str, Any], sample: Sample) -> ModelGraderRequest:
        return _with(super().request(config, sample), labels=tuple(config["labels"]))

    def value(self, config: Mapping[str, Any], answer: ModelGraderAnswer) -> float:
        return float(answer.label in config["passing_labels"])

    def described(self, answer: ModelGraderAnswer) -> str:
        p = f" (p = {answer.probability:.3f})" if answer.probability is not None else ""
        return f"label {answer.label!r}{p}"


KINDS_ASKING = {kind.type: kind for kind in (register(ScoreModel()), register(LabelModel()))}


def model_graders(config: Mapping[str, Any], where: str = "options.grader") -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(field path, config) of each model grader in a config: itself, or a multi's sub-graders."""
    if config.get("type") in KINDS_ASKING:
        yield where, config
    graders = config.get("graders")
    if config.get("type") == "multi" and isinstance(graders, dict):
        for name, sub in graders.items():
            yield from model_graders(sub, f"{where}.graders.{name}")


def answer_key(config: Mapping[str, Any]) -> str:
    """What an answer is filed under: the config itself, so identical sub-graders share one question."""
    return json.dumps(config, sort_keys=True, default=str)


def asked_keys(config: Mapping[str, Any]) -> list[str]:
    """The answer keys of a config's distinct model graders, in the order ``query`` asks them."""
    return list(dict.fromkeys(answer_key(sub) for _, sub in model_graders(config)))


def query(config: Mapping[str, Any], sample: Sample) -> GraderQuery | None:
    """The judge query for a config's distinct model graders, in ``asked_keys`` order; None without any."""
    distinct = {answer_key(sub): sub for _, sub in reversed(list(model_graders(config)))}
    requests = [KINDS_ASKING[distinct[key]["type"]].request(distinct[key], sample) for key in asked_keys(config)]
    return GraderQuery(JUDGE_STAGE, "", requests=tuple(requests)) if requests else None


def no_judge(config: Mapping[str, Any]) -> GradeResult:
    """The verdict before the judge answers: what stands where no judge is configured."""
    where, first = next(model_graders(config))
    return GradeResult.failure(
        Status.INVALID_ARGUMENT, f"a {first['type']} grader needs a judge model (grader serve --judge-model or "
        f"--judge-url; in-process, grade(..., judge_service=load_judge(...))), and none is configured here "
        f"({where}.model)", method=f"grader+{config['type']}")


def answers(keys: list[str], answer: Any) -> dict[str, Any]:
    """The judge's answers filed by key; a reply of the wrong shape answers nothing (each check says so)."""
    if not isinstance(answer, list) or len(answer) != len(keys):
        return {}
    return dict(zip(keys, answer))


def _check_message(message: Any, where: str) -> None:
    if not isinstance(message, dict) or message.get("role") not in ROLES:
        raise field_error(f"{where}.role", f"a message needs a role: {', '.join(sorted(ROLES))}")
    unknown = sorted(set(message) - {"role", "content", "type"})
    if unknown:
        raise field_error(f"{where}.{unknown[0]}", "unknown field of a message (role, content, type)")
    if message.get("type", "message") != "message":
        raise field_error(f"{where}.type", "must be 'message'")
    if _text(message.get("content")) is None:
        raise field_error(f"{where}.content", "must be a string (templates allowed) or a list of "
                          "{\"type\": \"input_text\", \"text\": ...} parts")


def _text(content: Any) -> Any:
    """A message's text: a string, or its input_text parts joined; None when it is neither."""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and content and all(
            isinstance(p, dict) and p.get("type") in ("input_text", "text") and isinstance(p.get("text"), str)
            for p in content):
        return "".join(p["text"] for p in content)
    return None


def _check_sampling(params: Any, where: str) -> None:
    if not isinstance(params, dict):
        raise field_error(where, "must be an object")
    for key, value in params.items():
        if key not in SAMPLING_PARAMS:
            raise field_error(f"{where}.{key}", f"unknown sampling parameter (known: {', '.join(SAMPLING_PARAMS)})")
        if key == "reasoning_effort":
            ok = value in REASONING_EFFORTS
        elif key in ("seed", "max_completions_tokens"):
            ok = _integer(value) is not None and (key == "seed" or value > 0)
        else:
            ok = _finite(value) and 0 <= value <= (2 if key == "temperature" else 1)
        if not ok:
            raise field_error(f"{where}.{key}", "is out of range or of the wrong type")


def _integer(value: Any) -> int | None:
    """An integer, also as an integral float (JSON through gRPC's Struct carries every number as a double)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _with(request: ModelGraderRequest, **changes: Any) -> ModelGraderRequest:
    return dataclasses.replace(request, **changes)
