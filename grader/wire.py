"""Conversions between the protobuf messages (grader.v1) and the core types.

Shared by the server and the client so that both read the wire format the
same way. No grading logic lives here.
"""

from __future__ import annotations

from typing import Any, Mapping

from google.protobuf import json_format, struct_pb2

from .rewards import Rewards
from .types import Check, GradeResult, Status
from .v1 import grader_pb2 as pb


def struct_to_dict(value: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(value) if value.fields else {}


def dict_to_struct(value: Mapping[str, Any] | None) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    if value:
        s.update(dict(value))
    return s


def item_fields(item: pb.GradeItem) -> dict[str, Any]:
    """An item's fields as the pipeline reads them (``grader.pipeline.plan_item``)."""
    return {"response": item.response, "reference": list(item.reference), "verifier": item.verifier,
            "options": struct_to_dict(item.options), "prompt": item.prompt}


def rewards_from_proto(shaping: pb.RewardShaping | None) -> Rewards:
    if shaping is None:
        return Rewards()
    return Rewards.from_mapping({f.name: value for f, value in shaping.ListFields()})


def result_to_proto(item_id: str, result: GradeResult) -> pb.GradeResult:
    return pb.GradeResult(
        id=item_id, reward=result.reward, score=result.score, correct=result.correct,
        status=pb.Status.Value(result.status.value), extracted=result.extracted, normalized=result.normalized,
        normalized_reference=result.normalized_reference, method=result.method, reason=result.reason,
        latency_ms=result.latency_ms,
        checks=[pb.Check(name=c.name, passed=c.passed, score=c.score, reason=c.reason, status=c.status)
                for c in result.checks],
    )


def result_from_proto(msg: pb.GradeResult) -> GradeResult:
    status = Status(pb.Status.Name(msg.status)) if msg.status else Status.INVALID_ARGUMENT
    return GradeResult(
        correct=msg.correct, score=msg.score, status=status, extracted=msg.extracted, normalized=msg.normalized,
        normalized_reference=msg.normalized_reference, method=msg.method, reason=msg.reason,
        latency_ms=msg.latency_ms, reward=msg.reward,
        checks=[Check(c.name, c.passed, c.score, c.reason, c.status) for c in msg.checks],
        extra={"id": msg.id, "reward": msg.reward},  # extra["reward"]: for callers from before result.reward
    )


def item_to_proto(response: str, reference: str | list[str], *, id: str = "", verifier: str = "",
                  options: Mapping[str, Any] | None = None, prompt: str = "") -> pb.GradeItem:
    refs = [reference] if isinstance(reference, str) else list(reference)
    return pb.GradeItem(id=id, response=response, reference=refs, verifier=verifier,
                        options=dict_to_struct(options), prompt=prompt)


def response_too_large(response: Any, limit: int) -> GradeResult | None:
    """INVALID_ARGUMENT for a response over ``limit`` UTF-8 bytes (every transport's check), else None."""
    if isinstance(response, str) and _utf8_size_over(response, limit):
        return GradeResult.failure(Status.INVALID_ARGUMENT, f"The response is over {limit} bytes")
    return None


def _utf8_size_over(text: str, limit: int) -> bool:
    """Whether ``text`` encodes to more than ``limit`` bytes, without encoding it when length decides."""
    if len(text) > limit:
        return True
    if len(text) * 4 <= limit:
        return False
    return len(text.encode("utf-8", "surrogatepass")) > limit
