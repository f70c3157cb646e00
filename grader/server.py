"""The gRPC server: adapts grader.v1 messages to the grading runtime.

The servicer validates request-level limits, turns items into work for
``GradingRuntime`` and shapes results into rewards; all grading happens in
the runtime's worker processes, never on the event loop.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import os
import signal
import time
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection

from . import __version__
from .extract import final_section
from .lm.service import LMService
from .runtime import GradingRuntime, Overloaded
from .sandbox import MEMORY_LIMIT_BYTES
from .security import BearerTokenInterceptor, server_credentials, warn_if_exposed
from .types import GradeOptions, GradeResult, Status
from .v1 import grader_pb2 as pb
from .v1 import grader_pb2_grpc as pb_grpc
from .verifiers import VERIFIERS
from .wire import ItemPlan, plan_item, result_to_proto, struct_to_dict

log = logging.getLogger("grader.server")
SERVICE_NAME = pb.DESCRIPTOR.services_by_name["Grader"].full_name

_VERIFIER_INFO = {
    "math": ("Extracts the final answer and compares it with the reference as a mathematical value.",
             ["precision", "percent", "timeout", "strict", "match_types", "allow_set_relation", "extraction"]),
    "multiple_choice": ("Reads an option letter (A-J, '(B)', 'Answer: C', boxed letters) or the option text.",
                        ["choices", "lowercase", "timeout"]),
    "exact": ("Normalized string equality of the extracted answer.", ["lowercase", "timeout"]),
}


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 50051
    workers: int = 0  # 0: one per core
    item_timeout: float = 5.0
    max_item_timeout: float = 60.0
    max_items_per_request: int = 4096
    max_response_bytes: int = 8 * 1024 * 1024
    max_pending: int = 16384
    drain_timeout: float = 30.0
    max_message_bytes: int = 256 * 1024 * 1024
    worker_memory_bytes: int = MEMORY_LIMIT_BYTES
    auth_token: str = ""
    tls_cert: str = ""
    tls_key: str = ""
    tls_client_ca: str = ""
    extractor: bool = True
    extractor_model: str = ""  # empty: the default model (extractor_model/default)
    device: str = "auto"


class GraderServicer(pb_grpc.GraderServicer):
    def __init__(self, runtime: GradingRuntime, config: ServerConfig, lm: LMService | None = None) -> None:
        self.runtime = runtime
        self.config = config
        self.lm = lm

    async def Grade(self, request: pb.GradeRequest, context: grpc.aio.ServicerContext) -> pb.GradeResponse:
        return await self._grade(request, context)

    async def GradeStream(self, request_iterator, context: grpc.aio.ServicerContext):
        async for request in request_iterator:
            yield await self._grade(request, context)

    async def ListVerifiers(self, request: pb.ListVerifiersRequest, context) -> pb.ListVerifiersResponse:
        infos = [pb.VerifierInfo(name=name, description=_VERIFIER_INFO[name][0], options=_VERIFIER_INFO[name][1])
                 for name in VERIFIERS]
        return pb.ListVerifiersResponse(verifiers=infos, server_version=__version__, engine_version=__version__)

    async def _grade(self, request: pb.GradeRequest, context: grpc.aio.ServicerContext) -> pb.GradeResponse:
        start = time.perf_counter()
        n = len(request.items)
        if n == 0:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "the request has no items")
        if n > self.config.max_items_per_request:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                f"{n} items in one request; the limit is {self.config.max_items_per_request}")
        results = await self._results(request, context)
        shaping = request.reward_shaping if request.HasField("reward_shaping") else None
        response = pb.GradeResponse(results=[result_to_proto(item.id, r, shaping)
                                             for item, r in zip(request.items, results)])
        if log.isEnabledFor(logging.INFO):
            statuses = collections.Counter(r.status.value for r in results)
            log.info('{"event": "grade", "items": %d, "statuses": %s, "latency_ms": %.2f}',
                     n, json.dumps(statuses), (time.perf_counter() - start) * 1000)
        return response

    async def _results(self, request: pb.GradeRequest, context: grpc.aio.ServicerContext) -> list[GradeResult]:
        default_options = struct_to_dict(request.default_options)
        plans: list[ItemPlan | GradeResult] = []
        for item in request.items:
            if _utf8_size_over(item.response, self.config.max_response_bytes):
                plans.append(GradeResult(False, 0.0, Status.INVALID_ARGUMENT, method="none",
                                         reason=f"The response is over {self.config.max_response_bytes} bytes."))
            else:
                plans.append(plan_item(item, request.default_verifier, default_options,
                                       self.config.item_timeout, self.config.max_item_timeout))
        planned = [p for p in plans if isinstance(p, ItemPlan)]
        try:
            graded = await self.runtime.grade([(p.args, p.timeout) for p in planned]) if planned else []
            graded = await self._second_opinions(planned, graded)
        except Overloaded as exc:
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, f"server busy: {exc}; retry with backoff")
        results = iter(graded)
        return [next(results) if isinstance(p, ItemPlan) else p for p in plans]

    async def _second_opinions(self, plans: list[ItemPlan], results: list[GradeResult]) -> list[GradeResult]:
        """Ask the LM extractor (batched across calls) about the items whose rules verdict wants it,
        then grade its answers in the workers. See ``grader.engine.merge_second_opinion``."""
        asking = [i for i, r in enumerate(results) if r.extra.get("needs_lm")]
        if not asking:
            return results
        results = list(results)
        if self.lm is None:
            for i in asking:
                if plans[i].args[3].get("extraction") == "lm":
                    results[i] = _status_result(Status.INVALID_ARGUMENT,
                                                "Extraction 'lm' needs the extractor model; this server runs without it.")
            return results
        sections = [final_section(plans[i].args[0]) for i in asking]
        spans = await asyncio.gather(*(self.lm.extract_async(text) for text in sections))
        work, where = [], []
        for i, span in zip(asking, spans):
            if span is not None:
                args = (*plans[i].args, (span.text, span.start, span.end), results[i])
                work.append((args, plans[i].timeout))
                where.append(i)
            elif plans[i].args[3].get("extraction") == "lm":
                results[i] = _status_result(Status.NO_ANSWER, "The LM extractor found no answer in the response.")
        for i, second in zip(where, await self.runtime.grade(work) if work else []):
            results[i] = second
        return results


def _status_result(status: Status, reason: str) -> GradeResult:
    return GradeResult(False, 0.0, status, method="lm+none", reason=reason)


def _utf8_size_over(text: str, limit: int) -> bool:
    """Whether ``text`` encodes to more than ``limit`` bytes, without encoding it when length decides."""
    if len(text) > limit:
        return True
    if len(text) * 4 <= limit:
        return False
    return len(text.encode("utf-8", "surrogatepass")) > limit


async def serve(config: ServerConfig, ready: asyncio.Event | None = None) -> None:
    """Run the server until SIGTERM/SIGINT, then drain in-flight work and return."""
    lm = await asyncio.to_thread(load_extractor, config) if config.extractor else None
    runtime = GradingRuntime(config.workers or None, max_pending=config.max_pending,
                             memory_limit=config.worker_memory_bytes)
    await asyncio.to_thread(runtime.start)
    interceptors = [BearerTokenInterceptor(config.auth_token)] if config.auth_token else []
    server = grpc.aio.server(interceptors=interceptors,
                             options=[("grpc.max_receive_message_length", config.max_message_bytes),
                                      ("grpc.max_send_message_length", config.max_message_bytes)])
    pb_grpc.add_GraderServicer_to_server(GraderServicer(runtime, config, lm), server)
    health = HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    reflection.enable_server_reflection((SERVICE_NAME, "grpc.health.v1.Health", reflection.SERVICE_NAME), server)
    address = f"{config.host}:{config.port}"
    if config.tls_cert:
        server.add_secure_port(address, server_credentials(config.tls_cert, config.tls_key, config.tls_client_ca or None))
    else:
        server.add_insecure_port(address)
    warn_if_exposed(config.host, bool(config.auth_token))
    await server.start()
    for name in ("", SERVICE_NAME):
        await health.set(name, health_pb2.HealthCheckResponse.SERVING)
    log.info(json.dumps({"event": "serving", "address": address, "workers": runtime.workers, "extractor": lm is not None,
                         "item_timeout_s": config.item_timeout, "tls": bool(config.tls_cert),
                         "mtls": bool(config.tls_client_ca), "auth": bool(config.auth_token)}))
    if ready is not None:
        ready.set()

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info(json.dumps({"event": "draining", "in_flight_items": runtime.pending,
                         "drain_timeout_s": config.drain_timeout}))
    await health.enter_graceful_shutdown()
    await server.stop(grace=config.drain_timeout)
    await asyncio.to_thread(runtime.close)
    if lm is not None:
        await asyncio.to_thread(lm.close)
    log.info(json.dumps({"event": "stopped"}))


def load_extractor(config: ServerConfig) -> LMService | None:
    """Load the LM extractor once, before serving. A model the user named must load (else stop with a
    clear message); a missing default model only costs the LM's second opinion, with a warning."""
    start = time.perf_counter()
    try:
        service = LMService.load(config.extractor_model or None, device=config.device)
    except Exception as exc:
        if not config.extractor_model:
            log.warning(json.dumps({"event": "extractor_unavailable", "error": str(exc)[:300],
                                    "message": "serving with rules only"}))
            return None
        raise SystemExit(f"grader serve: cannot load the extractor model ({exc}); "
                         "fix --extractor-model PATH, or pass --no-extractor to grade with rules only") from exc
    log.info(json.dumps({"event": "extractor_loaded", "device": service.extractor.device,
                         "seconds": round(time.perf_counter() - start, 2)}))
    return service


def validate_config(config: ServerConfig) -> None:
    """Reject settings that cannot work, with a clear message."""
    GradeOptions.from_mapping({"timeout": config.item_timeout})
    if not 0 < config.port < 65536:
        raise ValueError("port must be between 1 and 65535")
    if config.workers < 0:
        raise ValueError("workers must be 0 (one per core) or more")
    if bool(config.tls_cert) != bool(config.tls_key):
        raise ValueError("--tls-cert and --tls-key go together")
    if config.tls_client_ca and not config.tls_cert:
        raise ValueError("--tls-client-ca needs --tls-cert and --tls-key")
    for path in (config.tls_cert, config.tls_key, config.tls_client_ca):
        if path and not os.path.isfile(path):
            raise ValueError(f"no such file: {path}")
    if config.worker_memory_bytes < 256 * 1024 * 1024:
        raise ValueError("the worker memory limit must be at least 256 MiB")
