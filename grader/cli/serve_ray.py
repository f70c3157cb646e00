"""``grader serve-ray``: the grading pipeline as Ray Serve deployments (``grader.ray_serve``)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import signal
import sys
import threading
from typing import TYPE_CHECKING

from .grade import _positive_int
from .serve import _env, add_config_flags, config_from

if TYPE_CHECKING:
    from ..ray_serve import Scaling
    from ..server_config import ServerConfig

DESCRIPTION = """\
Serve grader.v1.Grader through Ray Serve (pip install 'grader[ray]'), on a
local Ray started for it or on the cluster at --address.

Serve's gRPC proxy serves grader.v1.Grader and grpc.health.v1 on --port (on
every interface: give --auth-token off a trusted network); its HTTP proxy
serves the gateway (POST /v1/grade, /openrlhf, /verify, /v1/endpoint-grader;
GET /metrics, /healthz) on --host:--http-port. GraderClient, `grader grade
--server` and `grader health` work against it unchanged.

Grading replicas (each with --workers grading processes, as many CPUs
reserved) autoscale between --min-replicas and --max-replicas on ongoing
requests per replica (--target-ongoing-requests). The LM extractor and the
judge run in a model deployment of their own (up to --model-replicas), with
--model-gpus of a GPU per replica (0.25 where the cluster has GPUs, else 0).
SIGTERM or SIGINT deletes the application and exits 0; --detach leaves it
running on the cluster and exits.
"""

# ServerConfig fields that mean the same under Ray Serve (TLS and --metrics-port do not: Serve's proxies
# own the sockets; the gateway's /metrics is on the HTTP port).
CONFIG_FLAGS = ("host", "port", "http_port", "workers", "item_timeout", "max_item_timeout", "max_items",
                "max_response_bytes", "max_queue", "drain_timeout", "worker_memory_mb", "auth_token",
                "extractor_model", "no_extractor", "device", "judge_model", "judge_url", "judge_template",
                "judge_endpoint_model", "judge_timeout", "judge_max_batch", "judge_tokens_per_pass",
                "unsafe_no_sandbox", "log_level")
CHANGED = {
    "port": (50051, "Serve's gRPC proxy port (grader.v1.Grader, grpc.health.v1; every interface)"),
    "http_port": (8000, "Serve's HTTP proxy port: the gateway's routes"),
    "host": ("127.0.0.1", "address Serve's HTTP proxy binds"),
    "workers": (2, "grading processes per grading replica (each replica reserves as many CPUs)"),
    "drain_timeout": (30.0, "seconds a grading replica may finish in-flight work when it stops"),
}


def add_serve_ray_command(commands: argparse._SubParsersAction) -> None:
    from ..server_config import ServerConfig

    cmd = commands.add_parser("serve-ray", help="serve through Ray Serve: gRPC and HTTP, autoscaled replicas",
                              description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    cmd.add_argument("--address", default=_env("RAY_ADDRESS", ""),
                     help="the Ray cluster (HOST:6379, ray://HOST:10001, auto) [RAY_ADDRESS] (default: start a "
                          "local Ray for this command)")
    cmd.add_argument("--min-replicas", type=_positive_int, default=1, help="grading replicas at least "
                     "(default: %(default)s)")
    cmd.add_argument("--max-replicas", type=_positive_int, default=1, help="grading replicas at most; above "
                     "--min-replicas Serve autoscales (default: %(default)s)")
    cmd.add_argument("--target-ongoing-requests", type=float, default=2.0, help="requests in flight per grading "
                     "replica that autoscaling aims at (default: %(default)s)")
    cmd.add_argument("--max-ongoing-requests", type=_positive_int, default=16, help="requests a grading replica "
                     "takes at once; more wait in Serve's queue (default: %(default)s)")
    cmd.add_argument("--model-replicas", type=_positive_int, default=1, help="model replicas at most (extractor "
                     "and judge; default: %(default)s)")
    cmd.add_argument("--model-gpus", type=float, default=-1.0, help="GPUs per model replica (default: 0.25 where "
                     "the cluster has GPUs, else 0)")
    cmd.add_argument("--model-cpus", type=float, default=1.0, help="CPUs per model replica (0 where it only "
                     "calls a --judge-url endpoint; default: %(default)s)")
    cmd.add_argument("--detach", action="store_true", help="deploy and exit, leaving the application on the "
                     "cluster (with --address)")
    fields = {f.name: f for f in dataclasses.fields(ServerConfig)}
    add_config_flags(cmd, [fields[name] for name in CONFIG_FLAGS], CHANGED)
    cmd.set_defaults(func=run_serve_ray)


def run_serve_ray(args: argparse.Namespace) -> int:
    config = config_from(args)
    try:
        from ..ray_serve import Scaling

        scaling = Scaling(args.min_replicas, args.max_replicas, args.target_ongoing_requests,
                          args.max_ongoing_requests, args.model_replicas, args.model_gpus, args.model_cpus)
        config.validate()
        scaling.validate()
        if not config.http_port:
            raise ValueError("Serve always runs its HTTP proxy: give --http-port a port")
        if args.detach and not args.address:
            raise ValueError("--detach needs --address: a local Ray stops with this command")
    except (ValueError, ImportError) as exc:
        print(f"grader serve-ray: {exc}", file=sys.stderr)
        return 2
    serve_on_ray(config, scaling, args.address, args.detach)
    return 0


def serve_on_ray(config: ServerConfig, scaling: Scaling, address: str, detach: bool) -> None:
    """Deploy the application; unless detached, wait for SIGTERM/SIGINT, then delete it."""
    import ray
    from ray import serve

    from ..ray_compat import RUNTIME_ENV
    from ..ray_serve import APP_NAME, application, describe, grpc_options, http_options
    from ..security import warn_if_exposed

    ray.init(address=address or None, include_dashboard=False if not address else None,
             logging_level=logging.WARNING, runtime_env=RUNTIME_ENV)
    warn_if_exposed("0.0.0.0", bool(config.auth_token))  # Serve's gRPC proxy binds every interface
    serve.start(http_options=http_options(config), grpc_options=grpc_options(config))
    serve.run(application(config, scaling), name=APP_NAME, route_prefix="/", blocking=False)
    logging.getLogger("grader.serve_ray").info(describe(config, scaling))
    if detach:
        return
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):  # after ray.init, which sets handlers of its own
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(1.0):
        pass
    logging.getLogger("grader.serve_ray").info(json.dumps({"event": "stopping"}))
    serve.delete(APP_NAME)
    if not address:
        serve.shutdown()
    ray.shutdown()
