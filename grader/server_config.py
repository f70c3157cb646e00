"""``grader serve``'s settings: each field is one flag, one environment variable and one help line.

Kept apart from ``server`` so that building the command line imports no gRPC.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any


def setting(default: Any, env: str, help: str) -> Any:
    """A config field with its environment variable and help text; its flag is its name
    (``max_queue`` is ``--max-queue``): one list for all three."""
    return dataclasses.field(default=default, metadata={"env": env, "help": help})


@dataclass(frozen=True)
class ServerConfig:
    """Everything ``grader serve`` can be told; each field is a flag and an environment variable."""

    host: str = setting("127.0.0.1", "GRADER_HOST", "address to bind")
    port: int = setting(50051, "GRADER_PORT", "port")
    http_port: int = setting(0, "GRADER_HTTP_PORT", "also serve HTTP on this port (0: off): POST /v1/grade, "
                             "/openrlhf, /verify (NeMo-Gym); GET /metrics, /healthz")
    metrics_port: int = setting(0, "GRADER_METRICS_PORT", "serve Prometheus /metrics on this port too (0: off; "
                                "the HTTP port serves it anyway)")
    workers: int = setting(0, "GRADER_WORKERS", "grading processes, 0 for one per core")
    item_timeout: float = setting(5.0, "GRADER_ITEM_TIMEOUT", "seconds one item may take; an item's `timeout` "
                                  "option may ask for up to --max-item-timeout")
    max_item_timeout: float = setting(60.0, "GRADER_MAX_ITEM_TIMEOUT", "cap on an item's own `timeout` option")
    max_items: int = setting(4096, "GRADER_MAX_ITEMS", "items per request; more is INVALID_ARGUMENT")
    max_response_bytes: int = setting(8 << 20, "GRADER_MAX_RESPONSE_BYTES",
                                      "bytes per response text; larger items get INVALID_ARGUMENT")
    max_queue: int = setting(16384, "GRADER_MAX_QUEUE",
                             "items queued or running at once; beyond it calls get RESOURCE_EXHAUSTED")
    drain_timeout: float = setting(30.0, "GRADER_DRAIN_TIMEOUT", "seconds to finish in-flight work on shutdown")
    max_connection_age: float = setting(0.0, "GRADER_MAX_CONNECTION_AGE", "seconds after which a client's "
                                        "connection is told to reconnect (GOAWAY), so that clients' round robin "
                                        "reaches replicas started since; calls in flight get --drain-timeout "
                                        "to finish (0: never)")
    worker_memory_mb: int = setting(4096, "GRADER_WORKER_MEMORY_MB", "address-space ceiling per grading process; "
                                    "an item that needs more gets PARSE_ERROR")
    auth_token: str = setting("", "GRADER_AUTH_TOKEN", "require 'authorization: Bearer TOKEN' metadata on every "
                              "call but health checks (default: no auth; prefer the environment variable)")
    tls_cert: str = setting("", "GRADER_TLS_CERT", "PEM certificate chain: serve TLS")
    tls_key: str = setting("", "GRADER_TLS_KEY", "PEM private key")
    tls_client_ca: str = setting("", "GRADER_TLS_CLIENT_CA", "PEM CA: require client certificates it signed (mTLS)")
    extractor_model: str = setting("", "GRADER_EXTRACTOR_MODEL", "directory of the LM answer extractor (a "
                                   "token-classification checkpoint) (default: the shipped extractor_model/default)")
    no_extractor: bool = setting(False, "GRADER_NO_EXTRACTOR", "serve rules only: do not load the LM extractor "
                                 "(environment: 1)")
    device: str = setting("auto", "GRADER_DEVICE", "where the extractor runs: auto (CUDA when present), cpu, cuda")
    judge_model: str = setting("", "GRADER_JUDGE_MODEL", "the judge math rule misses go to (option judge): "
                               "`default` (the shipped CPU cross-encoder, judge_model/default) or the directory "
                               "of a causal LM judge (xVerify, TinyV, ...)")
    judge_url: str = setting("", "GRADER_JUDGE_URL", "an OpenAI-compatible server to judge with instead "
                             "(vLLM, SGLang: http://HOST:PORT)")
    judge_template: str = setting("plain", "GRADER_JUDGE_TEMPLATE", "the judge's prompt format: plain, xverify, "
                                  "tinyv, general-verifier, compassverifier")
    judge_endpoint_model: str = setting("", "GRADER_JUDGE_ENDPOINT_MODEL", "the model name sent to --judge-url, "
                                        "for every request (default: 'judge' for math, a score_model/label_model "
                                        "config's own model)")
    judge_timeout: float = setting(10.0, "GRADER_JUDGE_TIMEOUT", "seconds a judge call may take, retries included")
    judge_max_batch: int = setting(0, "GRADER_JUDGE_MAX_BATCH", "judgements one batch of a local judge model "
                                   "takes at most (0: 128 on a GPU, 16 on a CPU)")
    judge_tokens_per_pass: int = setting(0, "GRADER_JUDGE_TOKENS_PER_PASS", "padded tokens one forward pass of "
                                         "a local causal-LM judge takes at most; lower it when a large judge "
                                         "runs out of GPU memory (0: 65536)")
    unsafe_no_sandbox: bool = setting(False, "GRADER_UNSAFE_NO_SANDBOX", "UNSAFE: run code items without the "
                                      "nsjail sandbox (rlimits only) where namespaces do not work; only for "
                                      "programs you trust (environment: 1)")
    log_level: str = setting("INFO", "GRADER_LOG_LEVEL", "logging level")
    max_message_bytes: int = 256 * 1024 * 1024  # not a flag: gRPC's own ceiling, far above max_response_bytes

    def validate(self) -> None:
        """Reject settings that cannot work, with a clear message (ValueError)."""
        if not 0 < self.item_timeout <= 600 or not 0 < self.max_item_timeout <= 600:
            raise ValueError("--item-timeout and --max-item-timeout must be seconds in (0, 600]")
        if self.item_timeout > self.max_item_timeout:
            raise ValueError("--item-timeout must not exceed --max-item-timeout")
        if not 0 < self.port < 65536:
            raise ValueError("port must be between 1 and 65535")
        for name in ("http_port", "metrics_port"):
            port = getattr(self, name)
            if not 0 <= port < 65536:
                raise ValueError(f"--{name.replace('_', '-')} must be between 0 (off) and 65535")
        if len({p for p in (self.port, self.http_port, self.metrics_port) if p}) < \
                sum(1 for p in (self.port, self.http_port, self.metrics_port) if p):
            raise ValueError("--port, --http-port and --metrics-port must differ")
        if self.workers < 0:
            raise ValueError("workers must be 0 (one per core) or more")
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ValueError("--tls-cert and --tls-key go together")
        if self.tls_client_ca and not self.tls_cert:
            raise ValueError("--tls-client-ca needs --tls-cert and --tls-key")
        for path in (self.tls_cert, self.tls_key, self.tls_client_ca):
            if path and not os.path.isfile(path):
                raise ValueError(f"no such file: {path}")
        if self.judge_model and self.judge_url:
            raise ValueError("--judge-model and --judge-url are alternatives: give one")
        if self.judge_max_batch < 0:
            raise ValueError("--judge-max-batch must be 0 (by device) or more")
        if self.judge_tokens_per_pass < 0:
            raise ValueError("--judge-tokens-per-pass must be 0 (the default) or more")
        if self.judge_timeout <= 0:
            raise ValueError("--judge-timeout must be more than 0 seconds")
        if self.worker_memory_mb < 256:
            raise ValueError("the worker memory limit must be at least 256 MiB")
        if self.max_connection_age < 0:
            raise ValueError("--max-connection-age must be 0 (never) or more seconds")

    def load_judge(self) -> Any:
        """The judge --judge-model or --judge-url names (a ``JudgeService``), or None where neither is
        given; ValueError or OSError where it cannot be set up. Loads torch and the model: call it once."""
        if not (self.judge_model or self.judge_url):
            return None
        from .lm.judge import load_judge

        return load_judge(self.judge_model, self.judge_url, template=self.judge_template,
                          endpoint_model=self.judge_endpoint_model, api_key=os.environ.get("GRADER_JUDGE_API_KEY"),
                          device=self.device, timeout=self.judge_timeout, max_batch=self.judge_max_batch,
                          tokens_per_pass=self.judge_tokens_per_pass)

    def grpc_options(self) -> list[tuple[str, int]]:
        """The gRPC server's channel arguments: message ceilings, and connection ageing when asked."""
        options = [("grpc.max_receive_message_length", self.max_message_bytes),
                   ("grpc.max_send_message_length", self.max_message_bytes)]
        if self.max_connection_age > 0:
            options += [("grpc.max_connection_age_ms", int(self.max_connection_age * 1000)),
                        ("grpc.max_connection_age_grace_ms", int(self.drain_timeout * 1000))]
        return options
