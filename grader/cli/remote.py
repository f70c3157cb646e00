"""``grader grade --server``: a chunk graded on running servers, batches sent concurrently, bounded."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc

from ..client import GraderClient, settings_from_env
from ..types import GradeResult

BATCH_SIZE = 64


class ServerCallFailed(Exception):
    """A call to the server failed after the client's retries: the run stops, rather than write verdicts that
    are none."""


def grade_remote(items: list[dict[str, Any]], servers: list[str], concurrency: int | None) -> list[GradeResult]:
    """Results in item order; ServerCallFailed where a batch's call fails."""
    batches = [items[i:i + BATCH_SIZE] for i in range(0, len(items), BATCH_SIZE)]
    with GraderClient(servers, timeout=600, **settings_from_env()) as client, \
            ThreadPoolExecutor(max_workers=concurrency or 4) as pool:
        graded = pool.map(lambda batch: _grade_batch(client, batch), batches)
        return [r for batch in graded for r in batch]


def _grade_batch(client: GraderClient, batch: list[dict[str, Any]]) -> list[GradeResult]:
    try:
        return client.grade_batch(batch)
    except grpc.RpcError as exc:
        raise ServerCallFailed(f"the server call failed ({exc.code().name}: {exc.details()})") from None
