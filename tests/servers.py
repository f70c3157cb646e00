"""A real `grader serve` subprocess on a free loopback port, for the integration and model tiers."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, *flags: str, health_ca: str | None = None, health_cert: tuple[str, str] | None = None) -> None:
        self.port = free_port()
        self.target = f"127.0.0.1:{self.port}"
        self.health_ca, self.health_cert = health_ca, health_cert
        if "--extractor-model" not in flags:
            flags = ("--no-extractor", *flags)  # rules only: no model to load (tests/test_lm_server.py has one)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "grader", "serve", "--port", str(self.port), "--workers", "2", *flags],
            stderr=subprocess.PIPE, text=True,
        )
        self.log: list[str] = []
        threading.Thread(target=self._drain_log, daemon=True).start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited:\n" + "".join(self.log))
            if self.health() == "SERVING":
                return
            time.sleep(0.2)
        raise RuntimeError("server did not become healthy:\n" + "".join(self.log))

    def _drain_log(self) -> None:
        for line in self.proc.stderr:
            self.log.append(line)

    def health(self) -> str:
        from grader.client import open_channel

        cert, key = self.health_cert or (None, None)
        try:
            with open_channel(self.target, tls_ca=self.health_ca, tls_cert=cert, tls_key=key) as ch:
                reply = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=1)
            return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
        except grpc.RpcError:
            return "DOWN"

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=60)


def serve_in_thread(routes: list) -> tuple[object, int]:
    """A Starlette app on uvicorn in a daemon thread on a free loopback port, started: (server, port).
    Stop it with ``server.should_exit = True``."""
    import uvicorn
    from starlette.applications import Starlette

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=routes), host="127.0.0.1", port=port,
                                           log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return server, port


class AlwaysCorrect:
    """A stub OpenAI-compatible judge endpoint that always says "Correct"; ``bodies`` holds what it was sent
    (the judge tests of `grader serve` and of Ray Serve)."""

    def __init__(self) -> None:
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        self.bodies: list[dict] = []

        async def chat(request):
            self.bodies.append(await request.json())
            return JSONResponse({"choices": [{"message": {"role": "assistant", "content": "Correct"}, "logprobs": {
                "content": [{"token": "Correct", "top_logprobs": [{"token": "Correct", "logprob": -0.01},
                                                                 {"token": "Incorrect", "logprob": -4.6}]}]}}]})

        self.server, self.port = serve_in_thread([Route("/v1/chat/completions", chat, methods=["POST"])])
