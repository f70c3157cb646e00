"""Python clients for the grader gRPC service.

``GraderClient`` (blocking) and ``AsyncGraderClient`` (asyncio) return the
same ``GradeResult`` objects as the in-process ``grader.grade`` (the shaped
reward in ``result.reward``, the item's id in ``result.extra["id"]``). Calls that fail with UNAVAILABLE are
retried with exponential backoff; several targets are used round-robin.
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
import itertools
import json
import os
import random
import time
from typing import Any, Iterable, Mapping, Sequence

import grpc

from .types import GradeResult
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
    protos = [item_to_proto(i["response"], i["reference"], id=str(i.get("id", "")), verifier=i.get("verifier") or "",
                            options=i.get("options"), prompt=i.get("prompt", "")) for i in items]
    request = pb.GradeRequest(items=protos, default_verifier=verifier, default_options=dict_to_struct(options))
    if rewards:
        request.reward_shaping.CopyFrom(pb.RewardShaping(**rewards))
    return request


def _backoff(attempt: int, base: float) -> float:
    return base * (2 ** attempt) * (0.5 + random.random() / 2)


class GraderClient:
    """Blocking client: ``GraderClient("localhost:50051").grade(response, reference)``."""

    def __init__(self, target: str | Sequence[str] = "127.0.0.1:50051", *, timeout: float | None = 60.0,
                 retries: int = 4, backoff: float = 0.1, token: str | None = None, tls_ca: str | None = None,
                 tls_cert: str | None = None, tls_key: str | None = None, lb_policy: str | None = None) -> None:
        self._channels = [open_channel(t, tls_ca=tls_ca, tls_cert=tls_cert, tls_key=tls_key, lb_policy=lb_policy)
                          for t in _targets(target)]
        self._stubs = itertools.cycle([pb_grpc.GraderStub(c) for c in self._channels])
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self._metadata = _metadata(token)

    def grade(self, response: str, reference: str | list[str], *, verifier: str = "", prompt: str = "",
              **options: Any) -> GradeResult:
        return self.grade_batch([{"response": response, "reference": reference, "verifier": verifier,
                                  "options": options, "prompt": prompt}])[0]

    def grade_batch(self, items: Iterable[Mapping[str, Any]], **request_kw: Any) -> list[GradeResult]:
        request = build_request(items, **request_kw)
        reply = self._call(lambda stub: stub.Grade(request, timeout=self.timeout, metadata=self._metadata))
        return [result_from_proto(r) for r in reply.results]

    def list_verifiers(self) -> pb.ListVerifiersResponse:
        return self._call(lambda stub: stub.ListVerifiers(pb.ListVerifiersRequest(), timeout=self.timeout,
                                                          metadata=self._metadata))

    def _call(self, fn):
        for attempt in range(self.retries + 1):
            try:
                return fn(next(self._stubs))
            except grpc.RpcError as exc:
                if exc.code() not in _RETRYABLE or attempt == self.retries:
                    raise
                time.sleep(_backoff(attempt, self.backoff))

    def close(self) -> None:
        for c in self._channels:
            c.close()

    def __enter__(self) -> "GraderClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncGraderClient:
    """asyncio client: ``await AsyncGraderClient(target).grade(response, reference)``."""

    def __init__(self, target: str | Sequence[str] = "127.0.0.1:50051", *, timeout: float | None = 60.0,
                 retries: int = 4, backoff: float = 0.1, token: str | None = None, tls_ca: str | None = None,
                 tls_cert: str | None = None, tls_key: str | None = None, lb_policy: str | None = None) -> None:
        self._channels = [open_aio_channel(t, tls_ca=tls_ca, tls_cert=tls_cert, tls_key=tls_key, lb_policy=lb_policy)
                          for t in _targets(target)]
        self._stubs = itertools.cycle([pb_grpc.GraderStub(c) for c in self._channels])
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self._metadata = _metadata(token)

    async def grade(self, response: str, reference: str | list[str], *, verifier: str = "", prompt: str = "",
                    **options: Any) -> GradeResult:
        return (await self.grade_batch([{"response": response, "reference": reference, "verifier": verifier,
                                         "options": options, "prompt": prompt}]))[0]

    async def grade_batch(self, items: Iterable[Mapping[str, Any]], **request_kw: Any) -> list[GradeResult]:
        request = build_request(items, **request_kw)
        for attempt in range(self.retries + 1):
            try:
                reply = await next(self._stubs).Grade(request, timeout=self.timeout, metadata=self._metadata)
                return [result_from_proto(r) for r in reply.results]
            except grpc.aio.AioRpcError as exc:
                if exc.code() not in _RETRYABLE or attempt == self.retries:
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
