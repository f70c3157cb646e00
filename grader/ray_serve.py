"""Ray Serve: the served pipeline as Serve deployments (``grader serve-ray``, or ``serve run``).

Two deployments, scaled apart:

- ``GraderDeployment``, the ingress: each replica owns a batch runtime (``--workers`` grading
  processes, as many CPUs reserved) and the ``ServedPipeline``. Serve's gRPC proxy serves
  ``grader.v1.Grader`` (given the generated ``add_GraderServicer_to_server``, it calls the replica's
  method of the same name, which is ``grader.server.GraderServicer``'s) and the gRPC health
  service; Serve's HTTP proxy serves the gateway (``grader.gateway``). Replicas autoscale on
  ongoing requests per replica.
- ``ModelDeployment``: the LM extractor and the judge, loaded once per replica, with a fraction of
  a GPU each (0.25 where the cluster has GPUs, none on CPU). The grading replicas' model queries
  arrive as concurrent calls (``max_ongoing_requests`` is high) and meet in the stage's own
  ``InferenceBatcher``, so forward passes stay batched across grading replicas.

``build`` is the application builder for ``serve run``: deploy/ray/serve.yaml names it, with the
gRPC options (``serve run grader.ray_serve:build workers=2`` alone gets Serve's HTTP proxy only).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
from dataclasses import dataclass
from typing import Any, AsyncIterator, Mapping

import grpc
from grpc_health.v1 import health_pb2
from ray import serve
from ray.serve.config import gRPCOptions

from .gateway import build_app as build_gateway
from .metrics import Metrics
from .pipeline import Budget, Models, ServedPipeline, new_runtime
from .security import bearer_matches
from .server import GraderServicer, load_extractor, load_judge_stage, report_sandbox
from .server_config import ServerConfig
from .v1 import grader_pb2 as pb

log = logging.getLogger("grader.ray_serve")

APP_NAME = "grader"
# What Serve's gRPC proxy is given: the generated servicer functions of grader.v1.Grader and of the
# health service, each through generic_handlers_only.
GRPC_SERVICERS = ["grader.ray_serve.add_grader_servicer", "grader.ray_serve.add_health_servicer"]
MODEL_GPUS = 0.25  # per model replica where the cluster has GPUs: four replicas share one


@dataclass(frozen=True)
class Scaling:
    """How the two deployments are placed and scaled (``grader serve-ray``'s Ray flags)."""

    min_replicas: int = 1  # grading replicas, each with ServerConfig.workers processes
    max_replicas: int = 1
    target_ongoing_requests: float = 2.0  # per grading replica: autoscaling adds replicas above it
    max_ongoing_requests: int = 16  # per grading replica: more wait in Serve's queue
    model_replicas: int = 1  # most model replicas (at least one runs when a model stage is set)
    model_gpus: float = -1.0  # GPUs per model replica; below 0: 0.25 where the cluster has GPUs, else 0
    model_cpus: float = 1.0  # CPUs per model replica (0 for a judge endpoint: the replica only waits on it)

    def validate(self) -> None:
        if not 1 <= self.min_replicas <= self.max_replicas:
            raise ValueError("replicas: need 1 <= --min-replicas <= --max-replicas")
        if self.target_ongoing_requests <= 0 or self.max_ongoing_requests < 1 or self.model_replicas < 1:
            raise ValueError("--target-ongoing-requests, --max-ongoing-requests and --model-replicas must be "
                             "positive")
        if self.model_cpus < 0:
            raise ValueError("--model-cpus must be 0 or more")
        if self.model_gpus > 1:
            raise ValueError("--model-gpus is a fraction of one GPU per model replica: at most 1")


def autoscaling(low: int, high: int, target: float) -> dict[str, Any]:
    """Serve's autoscaling on queue length: replicas between low and high, ``target`` ongoing requests each."""
    return {"min_replicas": low, "initial_replicas": low, "max_replicas": high, "target_ongoing_requests": target}


def model_gpus(scaling: Scaling) -> float:
    """The GPU fraction per model replica: as asked, else 0.25 where GPUs exist (the cluster's, once
    connected; this machine's before, as under ``serve run``), else 0."""
    if scaling.model_gpus >= 0:
        return scaling.model_gpus
    import ray

    if ray.is_initialized():
        return MODEL_GPUS if ray.cluster_resources().get("GPU", 0) > 0 else 0.0
    from .lm.service import accelerator_present

    return MODEL_GPUS if accelerator_present() else 0.0


def wants_models(config: ServerConfig) -> bool:
    return not config.no_extractor or bool(config.judge_model or config.judge_url)


# --- the gRPC proxy's services ---------------------------------------------------------------

class GenericHandlersOnly:
    """A server as Serve's gRPC proxy needs the generated ``add_*Servicer_to_server`` to see it:
    stubs from grpcio 1.62 on also call ``add_registered_method_handlers``, whose handlers would
    take calls past the proxy's generic ones (to the placeholder servicer it passes in)."""

    def __init__(self, server: Any) -> None:
        self.server = server

    def add_generic_rpc_handlers(self, handlers: Any) -> None:
        self.server.add_generic_rpc_handlers(handlers)

    def add_registered_method_handlers(self, service: str, handlers: Any) -> None:
        pass


def add_grader_servicer(servicer: Any, server: Any) -> None:
    """grader.v1.Grader's generated ``add_GraderServicer_to_server``, for Serve's gRPC proxy."""
    from .v1 import grader_pb2_grpc

    grader_pb2_grpc.add_GraderServicer_to_server(servicer, GenericHandlersOnly(server))


def add_health_servicer(servicer: Any, server: Any) -> None:
    """grpc.health.v1's generated ``add_HealthServicer_to_server``, for Serve's gRPC proxy."""
    from grpc_health.v1 import health_pb2_grpc

    health_pb2_grpc.add_HealthServicer_to_server(servicer, GenericHandlersOnly(server))


# --- the model stages --------------------------------------------------------------------

class ModelDeployment:
    """The extractor and the judge of one replica, loaded once; ``ask`` is the pipeline's model call."""

    def __init__(self, config: ServerConfig) -> None:
        logging.basicConfig(level=config.log_level.upper())
        extractor = None if config.no_extractor else load_extractor(config)
        judge = load_judge_stage(config)
        self.stages = {name: stage for name, stage in (("extractor", extractor), ("judge", judge)) if stage}

    def loaded(self) -> dict[str, bool]:
        """The stages loaded here, each with whether it runs on an accelerator."""
        return {name: bool(stage.on_accelerator) for name, stage in self.stages.items()}

    async def ask(self, stage: str, query: Any) -> Any:
        return await self.stages[stage].ask_async(query)  # the stage's batcher gathers concurrent asks

    def __del__(self) -> None:
        for stage in getattr(self, "stages", {}).values():
            stage.close()


class RemoteStage:
    """A stage of the model deployment, as the pipeline's ``ModelStage``."""

    def __init__(self, handle: Any, stage: str, on_accelerator: bool) -> None:
        self.handle, self.stage, self.on_accelerator = handle, stage, on_accelerator

    def ask(self, query: Any, timeout: float | None = None) -> Any:
        return self.handle.ask.remote(self.stage, query).result(timeout_s=timeout)

    async def ask_async(self, query: Any) -> Any:
        return await self.handle.ask.remote(self.stage, query)


async def remote_models(handle: Any | None) -> Models:
    """The pipeline's model stages: those the model deployment loaded, called through its handle."""
    if handle is None:
        return Models(None, None)
    loaded = await handle.loaded.remote()
    stages = {name: RemoteStage(handle, name, on_accelerator) for name, on_accelerator in loaded.items()}
    return Models(stages.get("extractor"), stages.get("judge"))


# --- the ingress ---------------------------------------------------------------------------

_gateway = None  # this replica's HTTP gateway, made in GraderDeployment.__init__ (one replica per process)


def _gateway_app():
    """Serve's ingress builder: called on the replica right after ``GraderDeployment.__init__``."""
    return _gateway


class Aborted(Exception):
    """A call ended with the status set on its Serve gRPC context."""


class ServeContext:
    """Serve's gRPC context as ``GraderServicer`` uses grpc.aio's: ``abort`` sets the status
    (the proxy sends it) and ends the call."""

    def __init__(self, context: Any) -> None:
        self.context = context

    async def abort(self, code: grpc.StatusCode, details: str) -> None:
        self.context.set_code(code)
        self.context.set_details(details)
        raise Aborted(details)


@serve.ingress(_gateway_app)
class GraderDeployment:
    """One grading replica: gRPC methods named as in grader.v1.Grader, and the HTTP gateway."""

    async def __init__(self, config: ServerConfig, models: Any | None = None) -> None:
        global _gateway
        logging.basicConfig(level=config.log_level.upper())
        self.config = config
        await asyncio.to_thread(report_sandbox, config)
        self.runtime = new_runtime(config.workers or None, max_pending=config.max_queue,
                                   memory_limit=config.worker_memory_mb << 20)
        await asyncio.to_thread(self.runtime.start)
        pipeline = ServedPipeline(self.runtime, await remote_models(models),
                                  Budget(config.item_timeout, config.max_item_timeout))
        metrics = Metrics(queue_depth=lambda: self.runtime.pending)
        self.servicer = GraderServicer(pipeline, config, metrics)
        _gateway = build_gateway(pipeline, config, metrics)

    def _context(self, grpc_context: Any) -> ServeContext:
        """The call's context, once its bearer token is checked (when the server has one)."""
        context = ServeContext(grpc_context)
        if self.config.auth_token:
            given = next((value for key, value in grpc_context.invocation_metadata() if key == "authorization"), None)
            if not bearer_matches(given, self.config.auth_token):
                context.context.set_code(grpc.StatusCode.UNAUTHENTICATED)
                context.context.set_details("missing or wrong bearer token")
                raise Aborted("missing or wrong bearer token")
        return context

    async def Grade(self, request: pb.GradeRequest, grpc_context: Any) -> pb.GradeResponse:
        return await self.servicer.Grade(request, self._context(grpc_context))

    async def GradeStream(self, requests: AsyncIterator[pb.GradeRequest],
                          grpc_context: Any) -> AsyncIterator[pb.GradeResponse]:
        async for response in self.servicer.GradeStream(requests, self._context(grpc_context)):
            yield response

    async def ListVerifiers(self, request: pb.ListVerifiersRequest, grpc_context: Any) -> pb.ListVerifiersResponse:
        return await self.servicer.ListVerifiers(request, self._context(grpc_context))

    async def Check(self, request: health_pb2.HealthCheckRequest) -> health_pb2.HealthCheckResponse:
        """grpc.health.v1's Check (open, as on ``grader serve``): a replica that answers is serving."""
        return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)

    def __del__(self) -> None:
        runtime = getattr(self, "runtime", None)
        if runtime is not None:
            runtime.close()


# --- the application -------------------------------------------------------------------------

def application(config: ServerConfig, scaling: Scaling = Scaling()) -> serve.Application:
    """The Serve application: the grading deployment, bound to the model deployment when a model
    stage is configured."""
    models = None
    if wants_models(config):
        gpus = model_gpus(scaling)
        models = serve.deployment(ModelDeployment).options(
            name="ModelDeployment", max_ongoing_requests=4096,  # concurrent asks are what the batcher batches
            autoscaling_config=autoscaling(1, scaling.model_replicas, 256),
            ray_actor_options={"num_cpus": scaling.model_cpus, "num_gpus": gpus}).bind(config)
    grading = serve.deployment(GraderDeployment).options(
        name="GraderDeployment", max_ongoing_requests=scaling.max_ongoing_requests,
        autoscaling_config=autoscaling(scaling.min_replicas, scaling.max_replicas, scaling.target_ongoing_requests),
        graceful_shutdown_timeout_s=config.drain_timeout,
        ray_actor_options={"num_cpus": config.workers or 1})
    return grading.bind(config, models)


def grpc_options(config: ServerConfig) -> gRPCOptions:
    return gRPCOptions(port=config.port, grpc_servicer_functions=GRPC_SERVICERS)


def http_options(config: ServerConfig) -> dict[str, Any]:
    return {"host": config.host, "port": config.http_port}


def build(args: Mapping[str, str]) -> serve.Application:
    """``serve run grader.ray_serve:build key=value ...``: any ``ServerConfig`` or ``Scaling`` field
    by name (``workers=2 max_replicas=4 no_extractor=1``); the environment variables of ``grader
    serve`` apply to fields not given."""
    known = {f.name: f for f in dataclasses.fields(ServerConfig) if "env" in f.metadata}
    unknown = set(args) - set(known) - {f.name for f in dataclasses.fields(Scaling)}
    if unknown:
        raise ValueError(f"unknown arguments {sorted(unknown)}; give fields of ServerConfig or Scaling")
    config = ServerConfig(**{name: _typed(f.type, args.get(name, os.environ.get(f.metadata["env"])))
                             for name, f in known.items() if name in args or f.metadata["env"] in os.environ})
    scaling = Scaling(**{f.name: _typed(f.type, args[f.name]) for f in dataclasses.fields(Scaling) if f.name in args})
    config.validate()
    scaling.validate()
    return application(config, scaling)


def _typed(kind: Any, value: Any) -> Any:
    """A ``serve run`` argument as its field's type (a config file may give numbers and booleans as such)."""
    kind = str(kind)
    if not isinstance(value, str):
        return value
    if kind == "bool":
        return value.lower() in ("1", "true", "on", "yes")
    return {"int": int, "float": float}.get(kind, str)(value)


def describe(config: ServerConfig, scaling: Scaling) -> str:
    """The start-up log line of ``grader serve-ray``."""
    return json.dumps({"event": "serving", "grpc": f"0.0.0.0:{config.port}", "http": f"{config.host}:{config.http_port}",
                       "replicas": [scaling.min_replicas, scaling.max_replicas], "workers_per_replica":
                       config.workers or 1, "models": wants_models(config), "auth": bool(config.auth_token)})
