"""Prometheus metrics for operators: gRPC's conventional series and grader's own.

One ``Metrics`` per server, with its own registry (``/metrics`` on the HTTP port, or
``--metrics-port``):

- ``grpc_server_started_total``, ``grpc_server_handled_total{grpc_code}`` and
  ``grpc_server_handling_seconds``, as py-grpc-prometheus names them, from a small
  ``grpc.aio`` interceptor (py-grpc-prometheus has no asyncio support);
- ``grader_items_total{transport,verifier,status,method}`` and ``grader_item_seconds``;
- ``grader_code_tests_total{status}``: the sandbox's outcomes, one per test;
- ``grader_queue_depth``: items queued or running in the worker runtime;
- ``grader_worker_restarts_total`` (workers killed and replaced: timeouts, crashes), and the LM
  extractor's ``grader_lm_batches_total``, ``grader_lm_batched_items_total`` (their ratio: the
  mean batch size) and ``grader_lm_wait_seconds_total`` (time inputs spent queued).
"""

from __future__ import annotations

import collections
import time
from typing import Any, Callable, Mapping, Sequence

import grpc
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily

from . import verifiers
from .types import GradeResult

UNKNOWN_VERIFIER = "unknown"


def _verifier_label(name: str) -> str:
    """A registered verifier's name, else "unknown": a label copied from the request would let any client
    add series without end, and one holding a lone surrogate broke every later scrape (it has no UTF-8)."""
    return name if verifiers.get(name) is not None else UNKNOWN_VERIFIER


_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class _Sampled:
    """Counters other objects keep (worker restarts, LM batches), read when Prometheus scrapes."""

    def __init__(self, read: Callable[[], dict[str, tuple[str, float]]]) -> None:
        self.read = read

    def collect(self):
        for name, (help_text, value) in self.read().items():
            yield CounterMetricFamily(name, help_text, value=value)


class Metrics:
    def __init__(self, queue_depth: Callable[[], float] | None = None,
                 sampled: Callable[[], dict[str, tuple[str, float]]] | None = None) -> None:
        self.registry = CollectorRegistry()
        if sampled is not None:
            self.registry.register(_Sampled(sampled))
        rpc = ["grpc_type", "grpc_service", "grpc_method"]
        self.started = Counter("grpc_server_started_total", "RPCs started on the server.", rpc,
                               registry=self.registry)
        self.handled = Counter("grpc_server_handled_total", "RPCs completed on the server, by status code.",
                               [*rpc, "grpc_code"], registry=self.registry)
        self.handling = Histogram("grpc_server_handling_seconds", "RPC handling time.", rpc, buckets=_BUCKETS,
                                  registry=self.registry)
        self.items = Counter("grader_items_total", "Items graded, by transport, verifier, status and method.",
                             ["transport", "verifier", "status", "method"], registry=self.registry)
        self.item_seconds = Histogram("grader_item_seconds", "Seconds from an item's plan to its verdict.",
                                      ["verifier"], buckets=_BUCKETS, registry=self.registry)
        self.code_tests = Counter("grader_code_tests_total", "Code tests run in the sandbox, by outcome.",
                                  ["status"], registry=self.registry)
        if queue_depth is not None:
            Gauge("grader_queue_depth", "Items queued or running in the worker runtime.",
                  registry=self.registry).set_function(queue_depth)

    def graded(self, items: Sequence[Mapping[str, Any] | GradeResult], results: Sequence[GradeResult],
               transport: str = "http", default_verifier: str = "math") -> None:
        # Counted per request, not per item: each labelled child costs a locked lookup, and this runs
        # on the event loop (4.3 µs per batched item before, 2.0 after).
        counts: collections.Counter[tuple[str, ...]] = collections.Counter()
        seconds: dict[str, list[float]] = collections.defaultdict(list)
        for item, result in zip(items, results):
            verifier = item.get("verifier") if isinstance(item, Mapping) else None
            verifier = _verifier_label(verifier if isinstance(verifier, str) and verifier else default_verifier)
            counts[(transport, verifier, result.status.value, result.method.split("+")[0])] += 1
            seconds[verifier].append(result.latency_ms / 1000)
            if verifier == "code":
                for check in result.checks:
                    self.code_tests.labels(check.status or "unknown").inc()
        for labels, n in counts.items():
            self.items.labels(*labels).inc(n)
        for verifier, values in seconds.items():
            histogram = self.item_seconds.labels(verifier)
            for value in values:
                histogram.observe(value)

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class MetricsInterceptor(grpc.aio.ServerInterceptor):
    """Counts and times every unary RPC (the grader's and the health service's)."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def intercept_service(self, continuation, details: grpc.HandlerCallDetails):
        handler = await continuation(details)
        if handler is None or handler.unary_unary is None:
            return handler
        service, _, method = details.method.lstrip("/").rpartition("/")
        labels = ("unary", service, method)
        inner, metrics = handler.unary_unary, self.metrics

        async def counted(request, context):
            metrics.started.labels(*labels).inc()
            start = time.perf_counter()
            code = "OK"
            try:
                return await inner(request, context)
            except BaseException:
                code = _code(context) or "UNKNOWN"
                raise
            finally:
                code = _code(context) or code
                metrics.handled.labels(*labels, code).inc()
                metrics.handling.labels(*labels).observe(time.perf_counter() - start)

        return grpc.unary_unary_rpc_method_handler(counted, request_deserializer=handler.request_deserializer,
                                                   response_serializer=handler.response_serializer)


def _code(context: Any) -> str | None:
    try:
        code = context.code()
    except Exception:  # noqa: BLE001 - not every context reports one
        return None
    return code.name if isinstance(code, grpc.StatusCode) else None
