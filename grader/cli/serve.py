"""The ``grader serve`` and ``grader health`` subcommands.

``serve``'s flags are generated from ``grader.server_config.ServerConfig``: each
config field is one flag, one environment variable and one help line.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import sys
from typing import Any

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
    from ..server_config import ServerConfig

    cmd = commands.add_parser("serve", help="run the gRPC grading server", description=DESCRIPTION,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_flags(cmd, [f for f in dataclasses.fields(ServerConfig) if "env" in f.metadata])
    cmd.set_defaults(func=run_serve)


def add_config_flags(cmd: argparse.ArgumentParser, fields: list[dataclasses.Field],
                     changed: dict[str, tuple[Any, str]] | None = None) -> None:
    """One flag per config field, its default from its environment variable; ``changed`` gives
    a field another (default, help) for this command."""
    for f in fields:
        flag, env, help_text = "--" + f.name.replace("_", "-"), f.metadata["env"], f.metadata["help"]
        default, help_text = (changed or {}).get(f.name, (f.default, help_text))
        if f.type in ("bool", bool):
            cmd.add_argument(flag, dest=f.name, action="store_true", default=_env(env, "") == "1",
                             help=f"{help_text} [{env}]")
        else:
            kind = {"int": int, "float": float}.get(str(f.type), str)
            shown = " (default: %(default)s)" if default != "" else ""  # the environment's value, if set
            cmd.add_argument(flag, dest=f.name, type=kind, default=_env(env, str(default)),
                             help=f"{help_text} [{env}]{shown}")


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
    from ..server import serve

    config = config_from(args)
    try:
        config.validate()
    except ValueError as exc:
        print(f"grader serve: {exc}", file=sys.stderr)
        return 2
    asyncio.run(serve(config))
    return 0


def config_from(args: argparse.Namespace):
    """The ServerConfig the flags give (fields a command has no flag for keep their defaults), with logging set up."""
    from ..server_config import ServerConfig

    config = ServerConfig(**{f.name: getattr(args, f.name) for f in dataclasses.fields(ServerConfig)
                             if hasattr(args, f.name)})
    logging.basicConfig(level=config.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return config


def run_health(args: argparse.Namespace) -> int:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    from ..client import open_channel

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
