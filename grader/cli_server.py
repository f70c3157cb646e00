"""The ``grader serve`` and ``grader health`` subcommands."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

DESCRIPTION = """\
Serve the grader.v1.Grader gRPC service (proto/grader/v1/grader.proto), with
the standard grpc.health.v1 health service and server reflection.

Grading runs in worker processes (one per core by default); an item that runs
past its budget gets TIMEOUT and its worker is replaced. SIGTERM or SIGINT
stops accepting calls, lets in-flight items finish (up to --drain-timeout)
and exits 0. Binding a non-loopback address without --auth-token logs a
warning. Every flag has an environment variable, shown in brackets.
"""


def _env(name: str, default: str) -> str:
    """A flag's default from its environment variable. Left a string: argparse applies the
    flag's type to it, so a malformed value is a usage error, not a traceback."""
    return os.environ.get(name, default)


def add_serve_command(commands: argparse._SubParsersAction) -> None:
    cmd = commands.add_parser("serve", help="run the gRPC grading server", description=DESCRIPTION,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    cmd.add_argument("--host", default=_env("GRADER_HOST", "127.0.0.1"),
                     help="address to bind [GRADER_HOST] (default: %(default)s)")
    cmd.add_argument("--port", type=int, default=_env("GRADER_PORT", "50051"),
                     help="port [GRADER_PORT] (default: %(default)s)")
    cmd.add_argument("--workers", type=int, default=_env("GRADER_WORKERS", "0"),
                     help="grading processes, 0 for one per core [GRADER_WORKERS] (default: %(default)s)")
    cmd.add_argument("--item-timeout", type=float, default=_env("GRADER_ITEM_TIMEOUT", "5"),
                     help="seconds one item may take; an item's `timeout` option may ask for up to "
                          "--max-item-timeout [GRADER_ITEM_TIMEOUT] (default: %(default)s)")
    cmd.add_argument("--max-item-timeout", type=float, default=_env("GRADER_MAX_ITEM_TIMEOUT", "60"),
                     help="cap on an item's own `timeout` option [GRADER_MAX_ITEM_TIMEOUT] (default: %(default)s)")
    cmd.add_argument("--max-items", type=int, default=_env("GRADER_MAX_ITEMS", "4096"),
                     help="items per request; more is INVALID_ARGUMENT [GRADER_MAX_ITEMS] (default: %(default)s)")
    cmd.add_argument("--max-response-bytes", type=int, default=_env("GRADER_MAX_RESPONSE_BYTES", str(8 << 20)),
                     help="bytes per response text; larger items get INVALID_ARGUMENT "
                          "[GRADER_MAX_RESPONSE_BYTES] (default: %(default)s)")
    cmd.add_argument("--max-queue", type=int, default=_env("GRADER_MAX_QUEUE", "16384"),
                     help="items queued or running at once; beyond it calls get RESOURCE_EXHAUSTED "
                          "[GRADER_MAX_QUEUE] (default: %(default)s)")
    cmd.add_argument("--drain-timeout", type=float, default=_env("GRADER_DRAIN_TIMEOUT", "30"),
                     help="seconds to finish in-flight work on shutdown [GRADER_DRAIN_TIMEOUT] (default: %(default)s)")
    cmd.add_argument("--worker-memory-mb", type=int, default=_env("GRADER_WORKER_MEMORY_MB", "4096"),
                     help="address-space ceiling per grading process; an item that needs more gets PARSE_ERROR "
                          "[GRADER_WORKER_MEMORY_MB] (default: %(default)s)")
    cmd.add_argument("--auth-token", default=_env("GRADER_AUTH_TOKEN", ""),
                     help="require 'authorization: Bearer TOKEN' metadata on every call but health checks "
                          "[GRADER_AUTH_TOKEN] (default: no auth; prefer the environment variable)")
    cmd.add_argument("--tls-cert", default=_env("GRADER_TLS_CERT", ""),
                     help="PEM certificate chain: serve TLS [GRADER_TLS_CERT]")
    cmd.add_argument("--tls-key", default=_env("GRADER_TLS_KEY", ""), help="PEM private key [GRADER_TLS_KEY]")
    cmd.add_argument("--tls-client-ca", default=_env("GRADER_TLS_CLIENT_CA", ""),
                     help="PEM CA: require client certificates it signed (mTLS) [GRADER_TLS_CLIENT_CA]")
    cmd.add_argument("--extractor-model", default=_env("GRADER_EXTRACTOR_MODEL", ""),
                     help="directory of the LM answer extractor (a token-classification checkpoint) "
                          "[GRADER_EXTRACTOR_MODEL] (default: extractor_model/default)")
    cmd.add_argument("--no-extractor", action="store_true", default=_env("GRADER_NO_EXTRACTOR", "") == "1",
                     help="serve rules only: do not load the LM extractor [GRADER_NO_EXTRACTOR=1]")
    cmd.add_argument("--device", default=_env("GRADER_DEVICE", "auto"),
                     help="where the extractor runs: auto (CUDA when present), cpu, cuda [GRADER_DEVICE] "
                          "(default: %(default)s)")
    cmd.add_argument("--log-level", default=_env("GRADER_LOG_LEVEL", "INFO"),
                     help="logging level [GRADER_LOG_LEVEL] (default: %(default)s)")
    cmd.set_defaults(func=run_serve)


def add_health_command(commands: argparse._SubParsersAction) -> None:
    cmd = commands.add_parser("health", help="check a server's gRPC health; exit 0 when SERVING",
                              description="Call grpc.health.v1.Health/Check on a grader server.")
    cmd.add_argument("--target", default=_env("GRADER_TARGET", "127.0.0.1:50051"),
                     help="HOST:PORT [GRADER_TARGET] (default: %(default)s)")
    cmd.add_argument("--timeout", type=float, default=3.0, help="seconds to wait (default: %(default)s)")
    cmd.add_argument("--tls-ca", default=_env("GRADER_TLS_CA", ""),
                     help="PEM CA to verify a TLS server with [GRADER_TLS_CA] (default: plaintext)")
    cmd.add_argument("--tls-cert", default=_env("GRADER_CLIENT_TLS_CERT", ""),
                     help="PEM client certificate, for an mTLS server [GRADER_CLIENT_TLS_CERT]")
    cmd.add_argument("--tls-key", default=_env("GRADER_CLIENT_TLS_KEY", ""),
                     help="PEM client key, for an mTLS server [GRADER_CLIENT_TLS_KEY]")
    cmd.set_defaults(func=run_health)


def run_serve(args: argparse.Namespace) -> int:
    from .server import ServerConfig, serve, validate_config

    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    config = ServerConfig(host=args.host, port=args.port, workers=args.workers, item_timeout=args.item_timeout,
                          max_item_timeout=args.max_item_timeout, max_items_per_request=args.max_items,
                          max_response_bytes=args.max_response_bytes, max_pending=args.max_queue,
                          drain_timeout=args.drain_timeout, worker_memory_bytes=args.worker_memory_mb << 20,
                          auth_token=args.auth_token, tls_cert=args.tls_cert, tls_key=args.tls_key,
                          tls_client_ca=args.tls_client_ca, extractor=not args.no_extractor,
                          extractor_model=args.extractor_model, device=args.device)
    try:
        validate_config(config)
    except ValueError as exc:
        print(f"grader serve: {exc}", file=sys.stderr)
        return 2
    asyncio.run(serve(config))
    return 0


def run_health(args: argparse.Namespace) -> int:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    from .client import open_channel

    try:
        with open_channel(args.target, tls_ca=args.tls_ca or None, tls_cert=args.tls_cert or None,
                          tls_key=args.tls_key or None) as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=args.timeout)
    except grpc.RpcError as exc:
        print(f"{args.target}: {exc.code().name}: {exc.details()}", file=sys.stderr)
        return 1
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    print(f"{args.target}: {status}")
    return 0 if status == "SERVING" else 1
