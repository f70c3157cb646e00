"""The gRPC server: adapts grader.v1 messages to the served pipeline.

The servicer checks request-level limits and converts messages; planning,
grading (in the batch runtime's worker processes), model stages and reward
shaping are the pipeline's (``grader.pipeline.ServedPipeline``).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import os
import signal
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection

from . import __version__, verifiers
from .execution import sandbox
from .execution.batch import Overloaded
from .lm.judge import JudgeService
from .lm.service import LMService, asked_by_default
from .metrics import Metrics, MetricsInterceptor
from .pipeline import Budget, Defaults, Models, ServedPipeline, new_runtime
from .security import BearerTokenInterceptor, server_credentials, warn_if_exposed
from .server_config import ServerConfig
from .types import GradeResult, Status
from .v1 import grader_pb2 as pb
from .v1 import grader_pb2_grpc as pb_grpc
from .verifiers.code import UNSAFE_ENV as UNSAFE_SANDBOX_ENV
from .wire import item_fields, response_too_large, result_to_proto, rewards_from_proto, struct_to_dict

log = logging.getLogger("grader.server")
SERVICE_NAME = pb.DESCRIPTOR.services_by_name["Grader"].full_name


class GraderServicer(pb_grpc.GraderServicer):
    def __init__(self, pipeline: ServedPipeline, config: ServerConfig, metrics: Metrics | None = None) -> None:
        self.pipeline = pipeline
        self.config = config
        self.metrics = metrics or Metrics()

    async def Grade(self, request: pb.GradeRequest, context: grpc.aio.ServicerContext) -> pb.GradeResponse:
        return await self._grade(request, context)

    async def GradeStream(self, request_iterator, context: grpc.aio.ServicerContext):
        async for request in request_iterator:
            yield await self._grade(request, context)

    async def ListVerifiers(self, request: pb.ListVerifiersRequest, context) -> pb.ListVerifiersResponse:
        infos = [pb.VerifierInfo(name=v.name, description=v.description, options=list(v.options_type.fields()),
                                 placement=v.placement.value, supports=list(v.supports()))
                 for v in verifiers.all_verifiers()]
        return pb.ListVerifiersResponse(verifiers=infos, server_version=__version__, engine_version=__version__)

    async def _grade(self, request: pb.GradeRequest, context: grpc.aio.ServicerContext) -> pb.GradeResponse:
        start = time.perf_counter()
        n = len(request.items)
        if n == 0:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "the request has no items")
        if n > self.config.max_items:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                f"{n} items in one request; the limit is {self.config.max_items}")
        try:
            rewards = rewards_from_proto(request.reward_shaping if request.HasField("reward_shaping") else None)
        except ValueError as exc:  # a NaN or infinite reward
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"bad reward_shaping: {exc}")
        defaults = Defaults(request.default_verifier or "math", struct_to_dict(request.default_options), rewards)
        limit = self.config.max_response_bytes
        items = [response_too_large(item.response, limit) or item_fields(item) for item in request.items]
        try:
            results = await self.pipeline.grade(items, defaults)
        except Overloaded as exc:
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, f"server busy: {exc}; retry with backoff")
        self.metrics.graded(items, results, "grpc", defaults.verifier)
        response = pb.GradeResponse(results=[result_to_proto(item.id, r) for item, r in zip(request.items, results)])
        if log.isEnabledFor(logging.INFO):
            statuses = collections.Counter(r.status.value for r in results)
            log.info('{"event": "grade", "items": %d, "statuses": %s, "latency_ms": %.2f}',
                     n, json.dumps(statuses), (time.perf_counter() - start) * 1000)
        return response


def report_sandbox(config: ServerConfig) -> None:
    """Say at start-up whether code items can run, and why not; the workers inherit the unsafe switch."""
    reason = sandbox.probe()
    if config.unsafe_no_sandbox:
        os.environ[UNSAFE_SANDBOX_ENV] = "1"
        log.warning(json.dumps({"event": "code_sandbox", "isolation": "none", "unsafe": True,
                                "reason": reason or "disabled by --unsafe-no-sandbox"}))
    elif reason:
        log.warning(json.dumps({"event": "code_sandbox", "isolation": "unavailable", "reason": reason,
                                "effect": "code items get INVALID_ARGUMENT"}))
    else:
        log.info(json.dumps({"event": "code_sandbox", "isolation": "nsjail"}))


async def serve(config: ServerConfig, ready: asyncio.Event | None = None) -> None:
    """Run the server until SIGTERM/SIGINT, then drain in-flight work and return."""
    lm = None if config.no_extractor else await asyncio.to_thread(load_extractor, config)
    judge = await asyncio.to_thread(load_judge_stage, config)
    await asyncio.to_thread(report_sandbox, config)
    runtime = new_runtime(config.workers or None, max_pending=config.max_queue,
                          memory_limit=config.worker_memory_mb << 20)
    await asyncio.to_thread(runtime.start)
    pipeline = ServedPipeline(runtime, Models(lm, judge), Budget(config.item_timeout, config.max_item_timeout))
    metrics = Metrics(queue_depth=lambda: runtime.pending, sampled=lambda: _sampled(runtime, lm))
    interceptors: list[grpc.aio.ServerInterceptor] = [MetricsInterceptor(metrics)]
    if config.auth_token:
        interceptors.append(BearerTokenInterceptor(config.auth_token))
    server = grpc.aio.server(interceptors=interceptors, options=config.grpc_options())
    pb_grpc.add_GraderServicer_to_server(GraderServicer(pipeline, config, metrics), server)
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
    http = await start_http(pipeline, config, metrics)
    for name in ("", SERVICE_NAME):
        await health.set(name, health_pb2.HealthCheckResponse.SERVING)
    log.info(json.dumps({"event": "serving", "address": address, "workers": runtime.workers, "extractor": lm is not None,
                         "extractor_by_default": lm is not None and asked_by_default(lm),
                         "judge": ("model" if config.judge_model else "endpoint") if judge is not None else None,
                         "item_timeout_s": config.item_timeout, "tls": bool(config.tls_cert),
                         "mtls": bool(config.tls_client_ca), "auth": bool(config.auth_token),
                         "http": f"{config.host}:{config.http_port}" if config.http_port else None,
                         "metrics_port": config.metrics_port or None}))
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
    if http is not None:
        await http.stop()
    await server.stop(grace=config.drain_timeout)
    await asyncio.to_thread(runtime.close)
    if lm is not None:
        await asyncio.to_thread(lm.close)
    if judge is not None:
        await asyncio.to_thread(judge.close)
    log.info(json.dumps({"event": "stopped"}))


def _sampled(runtime, lm: LMService | None) -> dict[str, tuple[str, float]]:
    out = {"grader_worker_restarts": ("Grading workers killed and replaced (timeouts, crashes).", runtime.restarts)}
    if lm is not None:
        batcher = lm.batcher
        out |= {"grader_lm_batches": ("LM extractor forward passes.", batcher.batches),
                "grader_lm_batched_items": ("Inputs across the LM extractor's forward passes.", batcher.batched_items),
                "grader_lm_wait_seconds": ("Seconds inputs waited for an LM forward pass, summed.",
                                           batcher.waited_seconds)}
    return out


class _HTTPServer:
    """uvicorn on the gRPC server's event loop; signals stay with ``serve``, which drains both."""

    def __init__(self, app, config: ServerConfig) -> None:
        import uvicorn

        class Server(uvicorn.Server):
            def capture_signals(self):  # serve() owns SIGTERM/SIGINT and stops this server itself
                return contextlib.nullcontext()

        self.server = Server(uvicorn.Config(app, host=config.host, port=config.http_port, log_level="warning",
                                            lifespan="off", access_log=False,
                                            timeout_graceful_shutdown=int(config.drain_timeout)))
        self.task: asyncio.Task | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self.task.done():
                self.task.result()  # raises why it could not start (the port is taken, say)
                raise SystemExit(f"grader serve: the HTTP gateway did not start on port {self.server.config.port}")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task is not None:
            await self.task


async def start_http(pipeline: ServedPipeline, config: ServerConfig, metrics: Metrics) -> _HTTPServer | None:
    """The HTTP gateway (--http-port) and the Prometheus endpoint of its own (--metrics-port), if asked for."""
    if config.metrics_port:
        from prometheus_client import start_http_server

        start_http_server(config.metrics_port, addr=config.host, registry=metrics.registry)
    if not config.http_port:
        return None
    from .gateway import build_app

    http = _HTTPServer(build_app(pipeline, config, metrics), config)
    await http.start()
    return http


def load_judge_stage(config: ServerConfig) -> JudgeService | None:
    """The judge (--judge-model or --judge-url), or None. One that is asked for must load."""
    try:
        judge = config.load_judge()
    except Exception as exc:
        raise SystemExit(f"grader serve: cannot set up the judge ({exc})") from exc
    if judge is not None:
        log.info(json.dumps({"event": "judge_ready", "backend": "model" if config.judge_model else "endpoint",
                             "template": config.judge_template}))
    return judge


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
