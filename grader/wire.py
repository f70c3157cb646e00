"""Conversions between the protobuf messages (grader.v1) and the core API types.

Shared by the server and the client so that both read the wire format the
same way. No grading logic lives here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from google.protobuf import json_format, struct_pb2

from .types import GradeResult, Status
from .v1 import grader_pb2 as pb

DEFAULT_REWARDS = {"correct": 1.0, "incorrect": 0.0, "no_answer": 0.0, "timeout": 0.0}


@dataclass(frozen=True)
class ItemPlan:
    """A request item made ready for grading: arguments for ``grade_inline`` and its budget."""

    id: str
    args: tuple
    timeout: float


def struct_to_dict(value: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(value) if value.fields else {}


def dict_to_struct(value: Mapping[str, Any] | None) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    if value:
        s.update(dict(value))
    return s


def plan_item(item: pb.GradeItem, default_verifier: str, default_options: Mapping[str, Any],
              item_timeout: float, max_timeout: float) -> ItemPlan:
    """Merge request defaults into an item; the per-item budget comes from options or the server."""
    options = {**default_options, **struct_to_dict(item.options)}
    timeout = options.get("timeout", item_timeout)
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
        timeout = item_timeout  # grade_inline reports the bad value as INVALID_ARGUMENT
    timeout = min(float(timeout), max_timeout)
    verifier = item.verifier or default_verifier or "math"
    return ItemPlan(item.id, (item.response, list(item.reference), verifier, options), timeout)


def shaped_reward(result: GradeResult, shaping: pb.RewardShaping | None) -> float:
    rewards = dict(DEFAULT_REWARDS)
    if shaping is not None:
        for key in rewards:
            if shaping.HasField(key):
                rewards[key] = getattr(shaping, key)
    if result.status == Status.OK:
        return rewards["correct"] if result.correct else rewards["incorrect"]
    if result.status == Status.TIMEOUT:
        return rewards["timeout"]
    if result.status in (Status.NO_ANSWER, Status.PARSE_ERROR):
        return rewards["no_answer"]
    return rewards["incorrect"]


def result_to_proto(item_id: str, result: GradeResult, shaping: pb.RewardShaping | None) -> pb.GradeResult:
    return pb.GradeResult(
        id=item_id, reward=shaped_reward(result, shaping), score=result.score, correct=result.correct,
        status=pb.Status.Value(result.status.value), extracted=result.extracted, normalized=result.normalized,
        normalized_reference=result.normalized_reference, method=result.method, reason=result.reason,
        latency_ms=result.latency_ms,
    )


def result_from_proto(msg: pb.GradeResult) -> GradeResult:
    status = Status(pb.Status.Name(msg.status)) if msg.status else Status.INVALID_ARGUMENT
    return GradeResult(
        correct=msg.correct, score=msg.score, status=status, extracted=msg.extracted, normalized=msg.normalized,
        normalized_reference=msg.normalized_reference, method=msg.method, reason=msg.reason,
        latency_ms=msg.latency_ms, extra={"id": msg.id, "reward": msg.reward},
    )


def item_to_proto(response: str, reference: str | list[str], *, id: str = "", verifier: str = "",
                  options: Mapping[str, Any] | None = None, prompt: str = "") -> pb.GradeItem:
    refs = [reference] if isinstance(reference, str) else list(reference)
    return pb.GradeItem(id=id, response=response, reference=refs, verifier=verifier,
                        options=dict_to_struct(options), prompt=prompt)
