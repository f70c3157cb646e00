"""``grader grade --server``: a chunk graded on running servers, batches sent concurrently, bounded."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc

from ..client import GraderClient, settings_from_env
from ..types import GradeResult, Status

BATCH_SIZE = 64


def grade_remote(items: list[dict[str, Any]], servers: list[str], concurrency: int | None) -> list[GradeResult]:
    """Results in item order; a batch whose call fails gets PARSE_ERROR results that say why."""
    batches = [items[i:i + BATCH_SIZE] for i in range(0, len(items), BATCH_SIZE)]
    with GraderClient(servers, timeout=600, **settings_from_env()) as client, \
            ThreadPoolExecutor(max_workers=concurrency or 4) as pool:
        graded = pool.map(lambda batch: _grade_batch(client, batch), batches)
        return [r for batch in graded for r in batch]


def _grade_batch(client: GraderClient, batch: list[dict[str, Any]]) -> list[GradeResult]:
    try:
        return client.grade_batch(batch)
    except grpc.RpcError as exc:
        reason = f"The server call failed: {exc.code().name}: {exc.details()}"
        return [GradeResult.failure(Status.PARSE_ERROR, reason, method="error") for _ in batch]
