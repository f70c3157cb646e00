"""Where an adapter's items are graded: a server (``target`` or ``$GRADER_TARGET``) or in-process.

A backend pickles without its channels (TRL's async trainer pickles reward functions into
another process) and opens them on first use there.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, Mapping, Sequence, Sized

from ..types import GradeResult, Status

TARGET_ENV = "GRADER_TARGET"
# Outcomes that say nothing about the response: the trainer gets None, never a silent 0.
UNSCORED = frozenset({Status.INVALID_ARGUMENT, Status.TIMEOUT})


def target_from_env() -> list[str]:
    value = os.environ.get(TARGET_ENV, "")
    return [t.strip() for t in value.split(",") if t.strip()]


class Backend:
    def __init__(self, target: str | Sequence[str] | None = None, *, token: str | None = None,
                 timeout: float = 120.0) -> None:
        targets = [target] if isinstance(target, str) else list(target or [])
        self.targets = targets or target_from_env()
        self.token = token  # None: GRADER_AUTH_TOKEN, read with the other client settings on first use
        if self.remote:  # a bad timeout fails here, not on the trainer's first batch
            from ..client import check_timeout
            check_timeout(timeout)
        self.timeout = timeout
        self._client: Any = None
        self._async_client: Any = None

    @property
    def remote(self) -> bool:
        return bool(self.targets)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_client": None, "_async_client": None}

    def grade(self, items: Sequence[Mapping[str, Any]]) -> list[GradeResult]:
        if not items:
            return []
        if not self.remote:
            import grader
            return grader.grade_many(items)
        if self._client is None:
            from ..client import GraderClient
            self._client = GraderClient(self.targets, timeout=self.timeout, **self._settings())
        return self._client.grade_batch(items)

    async def agrade(self, items: Sequence[Mapping[str, Any]]) -> list[GradeResult]:
        if not items:
            return []
        if not self.remote:
            import grader
            return await asyncio.to_thread(grader.grade_many, items)
        loop = asyncio.get_running_loop()
        if self._async_client is None or self._async_client[0] is not loop:
            # An aio channel belongs to the loop it was opened on: a trainer that runs each batch in a fresh
            # asyncio.run got "Event loop is closed" (or all None) from the second batch on.
            from ..client import AsyncGraderClient
            self._async_client = (loop, AsyncGraderClient(self.targets, timeout=self.timeout, **self._settings()))
        return await self._async_client[1].grade_batch(items)

    def _settings(self) -> dict[str, Any]:
        """GRADER_AUTH_TOKEN, GRADER_TLS_CA and GRADER_LB_POLICY, with the token given here first."""
        from ..client import settings_from_env

        settings: dict[str, Any] = settings_from_env()
        return settings | ({"token": self.token} if self.token is not None else {})


def same_length(caller: str, **columns: Sized) -> None:
    """ValueError naming the columns where a trainer's batch columns differ in length (zip would drop items)."""
    lengths = {name: len(column) for name, column in columns.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"{caller}: the batch's columns differ in length ("
                         + ", ".join(f"{name}: {n}" for name, n in lengths.items()) + ")")


def reward_or_none(result: GradeResult) -> float | None:
    return None if result.status in UNSCORED else result.reward
