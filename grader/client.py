"""Python clients for the grader gRPC service.

``GraderClient`` (blocking) and ``AsyncGraderClient`` (asyncio) return the
same ``GradeResult`` objects as the in-process ``grader.grade`` (the shaped
reward in ``result.reward``, the item's id in ``result.extra["id"]``). Calls that fail with UNAVAILABLE are
retried with exponential backoff; several targets are used round-robin. A batch goes as requests of at most
``max_batch_items`` items; an item the wire cannot carry fails alone, with INVALID_ARGUMENT.
``token`` sends ``authorization: Bearer``; ``tls_ca`` (and ``tls_cert``/
``tls_key`` for mTLS) switch to TLS. ``lb_policy="round_robin"`` spreads one
target's calls over every address it resolves to (a Kubernetes headless
Service: ``dns:///grader.NAMESPACE.svc.cluster.local:50051``); gRPC's default,
``pick_first``, sends them all to one. Callers without flags of their own
(``grader grade --server``, the trainer adapters) take these from the
environment: ``settings_from_env()``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import math
import os
import random
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

import grpc

from .rewards import Rewards
from .types import GradeResult, Status
from .v1 import grader_pb2 as pb
from .v1 import grader_pb2_grpc as pb_grpc
from .wire import dict_to_struct, item_to_proto, result_from_proto

_RETRYABLE = (grpc.StatusCode.UNAVAILABLE,)
_MESSAGE_LIMIT = [("grpc.max_receive_message_length", 256 * 1024 * 1024),
                  ("grpc.max_send_message_length", 256 * 1024 * 1024)]
LB_POLICIES = ("pick_first", "round_robin")
TOKEN_ENV, TLS_CA_ENV, LB_POLICY_ENV = "GRADER_AUTH_TOKEN", "GRADER_TLS_CA", "GRADER_LB_POLICY"


def settings_from_env() -> dict[str, str | None]:
    """``token``, ``tls_ca`` and ``lb_policy`` for a client, from ``GRADER_AUTH_TOKEN``, ``GRADER_TLS_CA``
    and ``GRADER_LB_POLICY`` (None where unset); a policy that is not one of ``LB_POLICIES`` is a ValueError."""
    lb_policy = os.environ.get(LB_POLICY_ENV) or None
    if lb_policy is not None and lb_policy not in LB_POLICIES:
        raise ValueError(f"{LB_POLICY_ENV} must be one of {', '.join(LB_POLICIES)}, not {lb_policy!r}")
    return {"token": os.environ.get(TOKEN_ENV) or None, "tls_ca": os.environ.get(TLS_CA_ENV) or None,
            "lb_policy": lb_policy}


def _read(path: str | None) -> bytes | None:
    if not path:
        return None
    with open(path, "rb") as f:
        return f.read()


def _credentials(tls_ca: str | None, tls_cert: str | None, tls_key: str | None) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(root_certificates=_read(tls_ca), private_key=_read(tls_key),
                                        certificate_chain=_read(tls_cert))


def channel_options(lb_policy: str | None = None) -> list[tuple[str, Any]]:
    """Message ceilings, and the load-balancing policy over the target's addresses when given."""
    if lb_policy is None:
        return list(_MESSAGE_LIMIT)
    if lb_policy not in LB_POLICIES:
        raise ValueError(f"lb_policy must be one of {', '.join(LB_POLICIES)}, not {lb_policy!r}")
    return [*_MESSAGE_LIMIT, ("grpc.service_config", json.dumps({"loadBalancingConfig": [{lb_policy: {}}]}))]


def open_channel(target: str, *, tls_ca: str | None = None, tls_cert: str | None = None,
                 tls_key: str | None = None, lb_policy: str | None = None) -> grpc.Channel:
    """A blocking channel: TLS when a CA (or a client certificate for mTLS) is given, else plaintext."""
    options = channel_options(lb_policy)
    if tls_ca or tls_cert:
        return grpc.secure_channel(target, _credentials(tls_ca, tls_cert, tls_key), options=options)
    return grpc.insecure_channel(target, options=options)


def open_aio_channel(target: str, *, tls_ca: str | None = None, tls_cert: str | None = None,
                     tls_key: str | None = None, lb_policy: str | None = None) -> grpc.aio.Channel:
    options = channel_options(lb_policy)
    if tls_ca or tls_cert:
        return grpc.aio.secure_channel(target, _credentials(tls_ca, tls_cert, tls_key), options=options)
    return grpc.aio.insecure_channel(target, options=options)


def _metadata(token: str | None) -> tuple[tuple[str, str], ...] | None:
    return (("authorization", f"Bearer {token}"),) if token else None


def _targets(target: str | Sequence[str]) -> list[str]:
    targets = [target] if isinstance(target, str) else list(target)
    if not targets:
        raise ValueError("at least one target is needed")
    return targets


def build_request(items: Iterable[Mapping[str, Any]], *, verifier: str = "", options: Mapping[str, Any] | None = None,
                  rewards: Mapping[str, float] | None = None) -> pb.GradeRequest:
    """A GradeRequest from item mappings (``response``, ``reference``, optional ``id``,
    ``verifier``, ``options``, ``prompt``) and request-level defaults."""
    return _request([_item_proto(i) for i in items], verifier, options, rewards)


def _item_proto(item: Mapping[str, Any]) -> pb.GradeItem:
    return item_to_proto(item["response"], item["reference"], id=str(item.get("id", "")),
                         verifier=item.get("verifier") or "", options=item.get("options"), prompt=item.get("prompt", ""))


def _request(protos: list[pb.GradeItem], verifier: str, options: Mapping[str, Any] | None,
             rewards: Mapping[str, float] | None) -> pb.GradeRequest:
    request = pb.GradeRequest(items=protos, default_verifier=verifier, default_options=dict_to_struct(options))
    if rewards:
        request.reward_shaping.CopyFrom(pb.RewardShaping(**rewards))
    return request


# Items per request: a trainer's batch (verl: 1,024 prompts x 16 samples) is sent as several requests, each under the
# server's --max-items (4,096 by default).
MAX_BATCH_ITEMS = 1024


@dataclass
class _Batch:
    """A batch split for the wire: each request and where its items' results go; items that cannot be put on the
    wire (a reference that is a number, a missing field) already hold their INVALID_ARGUMENT result."""

    results: list[GradeResult | None]
    requests: list[tuple[list[int], pb.GradeRequest]]

    def fill(self, slots: list[int], reply: pb.GradeResponse) -> None:
        for slot, result in zip(slots, reply.results):
            self.results[slot] = result_from_proto(result)

    def done(self) -> list[GradeResult]:
        return [r for r in self.results if r is not None]


def split_batch(items: Iterable[Mapping[str, Any]], max_items: int = MAX_BATCH_ITEMS, *, verifier: str = "",
                options: Mapping[str, Any] | None = None, rewards: Mapping[str, float] | None = None) -> _Batch:
    """``items`` as requests of at most ``max_items`` each, one item's bad fields failing that item alone."""
    shaping = Rewards.from_mapping(rewards)  # a bad reward is the caller's ValueError, before anything is sent
    results: list[GradeResult | None] = []
    sendable: list[tuple[int, pb.GradeItem]] = []
    for slot, item in enumerate(items):
        try:
            sendable.append((slot, _item_proto(item)))
            results.append(None)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:  # what protobuf refuses, or no mapping
            failed = GradeResult.failure(Status.INVALID_ARGUMENT, f"the item cannot be sent: {_describe(exc)}")
            id_ = item.get("id", "") if isinstance(item, Mapping) else ""
            results.append(dataclasses.replace(failed, reward=shaping.of(failed), extra={"id": str(id_)}))
    requests = [([slot for slot, _ in chunk], _request([proto for _, proto in chunk], verifier, options, rewards))
                for chunk in (sendable[i:i + max_items] for i in range(0, len(sendable), max_items))]
    return _Batch(results, requests)


def _describe(exc: Exception) -> str:
    return f"missing field {exc}" if isinstance(exc, KeyError) else f"{type(exc).__name__}: {exc}"


def _backoff(attempt: int, base: float) -> float:
    return base * (2 ** attempt) * (0.5 + random.random() / 2)


class _BaseClient:
    """What the blocking and the asyncio client share: settings checked once, channels, stubs, metadata."""

    _open_channel: Callable[..., Any] = staticmethod(open_channel)

    def __init__(self, target: str | Sequence[str] = "127.0.0.1:50051", *, timeout: float | None = 60.0,
                 retries: int = 4, backoff: float = 0.1, token: str | None = None, tls_ca: str | None = None,
                 tls_cert: str | None = None, tls_key: str | None = None, lb_policy: str | None = None,
                 max_batch_items: int = MAX_BATCH_ITEMS) -> None:
        _check_call_settings(timeout, retries, backoff, max_batch_items)
        self.max_batch_items = max_batch_items
        self._channels = [self._open_channel(t, tls_ca=tls_ca, tls_cert=tls_cert, tls_key=tls_key,
                                             lb_policy=lb_policy) for t in _targets(target)]
        self._stubs = itertools.cycle([pb_grpc.GraderStub(c) for c in self._channels])
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self._metadata = _metadata(token)


def check_timeout(timeout: float | None) -> None:
    """A deadline of 0 or less fails every call at once (DEADLINE_EXCEEDED, "Deadline Exceeded"): refused here."""
    if timeout is not None and not (isinstance(timeout, (int, float)) and 0 < timeout < math.inf):
        raise ValueError(f"timeout must be a positive number of seconds or None (no deadline), not {timeout!r}")


def _check_call_settings(timeout: float | None, retries: int, backoff: float, max_batch_items: int) -> None:
    check_timeout(timeout)
    if not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries must be 0 or more, not {retries!r}")
    if not (isinstance(backoff, (int, float)) and 0 <= backoff < math.inf):
        raise ValueError(f"backoff must be 0 or more seconds, not {backoff!r}")
    if not isinstance(max_batch_items, int) or max_batch_items < 1:
        raise ValueError("max_batch_items must be 1 or more")


class GraderClient(_BaseClient):
    """Blocking client: ``GraderClient("localhost:50051").grade(response, reference)``."""

    def grade(self, response: str, reference: str | list[str], *, verifier: str = "", prompt: str = "",
              **options: Any) -> GradeResult:
        return self.grade_batch([{"response": response, "reference": reference, "verifier": verifier,
                                  "options": options, "prompt": prompt}])[0]

    def grade_batch(self, items: Iterable[Mapping[str, Any]], **request_kw: Any) -> list[GradeResult]:
        """Results in the items' order; a batch over ``max_batch_items`` goes as several requests, one after another."""
        batch = split_batch(items, self.max_batch_items, **request_kw)
        for slots, request in batch.requests:
            batch.fill(slots, self._call(lambda stub: stub.Grade(request, timeout=self.timeout,
                                                                  metadata=self._metadata)))
        return batch.done()

    def list_verifiers(self) -> pb.ListVerifiersResponse:
        return self._call(lambda stub: stub.ListVerifiers(pb.ListVerifiersRequest(), timeout=self.timeout,
                                                          metadata=self._metadata))

    def _call(self, fn):
        for attempt in itertools.count():
            try:
                return fn(next(self._stubs))
            except grpc.RpcError as exc:
                if exc.code() not in _RETRYABLE or attempt >= self.retries:
                    raise
                time.sleep(_backoff(attempt, self.backoff))

    def close(self) -> None:
        for c in self._channels:
            c.close()

    def __enter__(self) -> "GraderClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncGraderClient(_BaseClient):
    """asyncio client: ``await AsyncGraderClient(target).grade(response, reference)``."""

    _open_channel = staticmethod(open_aio_channel)

    async def grade(self, response: str, reference: str | list[str], *, verifier: str = "", prompt: str = "",
                    **options: Any) -> GradeResult:
        return (await self.grade_batch([{"response": response, "reference": reference, "verifier": verifier,
                                         "options": options, "prompt": prompt}]))[0]

    async def grade_batch(self, items: Iterable[Mapping[str, Any]], **request_kw: Any) -> list[GradeResult]:
        """Results in the items' order; a batch over ``max_batch_items`` goes as several requests, one after
        another (all at once could pass the server's --max-queue, whose RESOURCE_EXHAUSTED fails the batch)."""
        batch = split_batch(items, self.max_batch_items, **request_kw)
        for slots, request in batch.requests:
            batch.fill(slots, await self._grade(request))
        return batch.done()

    async def _grade(self, request: pb.GradeRequest) -> pb.GradeResponse:
        for attempt in itertools.count():
            try:
                return await next(self._stubs).Grade(request, timeout=self.timeout, metadata=self._metadata)
            except grpc.aio.AioRpcError as exc:
                if exc.code() not in _RETRYABLE or attempt >= self.retries:
                    raise
                await asyncio.sleep(_backoff(attempt, self.backoff))
        raise AssertionError("unreachable")

    async def close(self) -> None:
        for c in self._channels:
            await c.close()

    async def __aenter__(self) -> "AsyncGraderClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
