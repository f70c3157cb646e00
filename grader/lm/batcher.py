"""InferenceBatcher: coalesce concurrent requests into one model call.

Callers on any thread (``batcher(x)``, ``batcher.submit(x)``) or on an asyncio
loop (``await batcher.run(x)``) hand over one input each; a background
thread (one by default) collects up to ``max_batch`` inputs or waits at most
``max_wait_ms`` after the first, calls the batch function once, and hands
each caller its own result. Inputs are sorted by size within a batch so a
padded forward pass wastes little; results go back in caller order. A batch
function that raises is retried one input at a time, so one bad input fails
only its own caller. The queue is bounded: beyond ``max_queue`` waiting
inputs, ``submit`` raises ``QueueFull``.

``workers=2`` runs two such threads for a model on an accelerator: while one
waits for the device, the other tokenizes and pads the next batch, so the
device does not sit idle during the host's share of each batch (on a CPU the
two would only compete for the same cores).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from concurrent.futures import Future
from typing import Callable, Generic, Sequence, TypeVar

X = TypeVar("X")
Y = TypeVar("Y")


class QueueFull(RuntimeError):
    """More inputs are waiting than the batcher accepts; back off and retry."""


class InferenceBatcher(Generic[X, Y]):
    def __init__(self, batch_fn: Callable[[list[X]], Sequence[Y]], *, max_batch: int = 32,
                 max_wait_ms: float = 5.0, max_queue: int = 4096,
                 size_of: Callable[[X], int] = len, workers: int = 1) -> None:  # type: ignore[assignment]
        if max_batch < 1 or max_queue < 1 or max_wait_ms < 0 or workers < 1:
            raise ValueError("max_batch, max_queue and workers must be positive, max_wait_ms not negative")
        self._fn = batch_fn
        self.max_batch, self.max_wait, self.max_queue = max_batch, max_wait_ms / 1000, max_queue
        self._size_of = size_of
        self.workers = workers
        self._pending: deque[tuple[X, Future]] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self.batches = 0  # forward passes run, for tests and metrics
        self.batched_items = 0  # inputs across those passes (mean batch size: batched_items / batches)
        self.waited_seconds = 0.0  # summed time inputs spent queued before their pass
        self._threads = [threading.Thread(target=self._loop, name=f"inference-batcher-{i}", daemon=True)
                         for i in range(workers)]
        for thread in self._threads:
            thread.start()

    # --- callers --------------------------------------------------------------
    def submit(self, x: X) -> "Future[Y]":
        fut: Future = Future()
        with self._cond:
            if self._closed:
                raise RuntimeError("the batcher is closed")
            if len(self._pending) >= self.max_queue:
                raise QueueFull(f"{len(self._pending)} inputs are waiting (limit {self.max_queue})")
            fut.queued_at = time.monotonic()  # type: ignore[attr-defined]
            self._pending.append((x, fut))
            self._cond.notify()
        return fut

    def __call__(self, x: X, timeout: float | None = None) -> Y:
        fut = self.submit(x)
        try:
            return fut.result(timeout)
        except TimeoutError:
            fut.cancel()
            raise

    async def run(self, x: X) -> Y:
        """The asyncio form; cancelling the awaiting task drops the input if it has not run yet."""
        fut = self.submit(x)
        try:
            return await asyncio.wrap_future(fut)
        except asyncio.CancelledError:
            fut.cancel()
            raise

    def close(self) -> None:
        """Finish what is queued, then stop the threads."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join()

    # --- the batching thread -----------------------------------------------------
    def _next_batch(self) -> list[tuple[X, Future]] | None:
        with self._cond:
            while not self._pending:
                if self._closed:
                    return None
                self._cond.wait()
            deadline = time.monotonic() + self.max_wait
            while len(self._pending) < self.max_batch and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            batch = [self._pending.popleft() for _ in range(min(self.max_batch, len(self._pending)))]
        return [(x, f) for x, f in batch if f.set_running_or_notify_cancel()]

    def _loop(self) -> None:
        while (batch := self._next_batch()) is not None:
            if batch:
                self._run(batch)

    def _run(self, batch: list[tuple[X, Future]]) -> None:
        now = time.monotonic()
        with self._cond:  # the counters are shared by the workers
            self.waited_seconds += sum(now - getattr(f, "queued_at", now) for _, f in batch)
            self.batches += 1
            self.batched_items += len(batch)
        self._execute(batch)

    def _execute(self, batch: list[tuple[X, Future]]) -> None:
        """Run one batch; when it fails, run its inputs one by one (not counted again) to isolate the bad one."""
        try:  # everything that can raise is in here: an exception must reach callers, not end the thread
            batch.sort(key=lambda item: self._size_of(item[0]))
            outputs = list(self._fn([x for x, _ in batch]))
            if len(outputs) != len(batch):
                raise RuntimeError(f"batch function returned {len(outputs)} results for {len(batch)} inputs")
        except Exception as exc:
            if len(batch) == 1:
                batch[0][1].set_exception(exc)
                return
            for item in batch:
                self._execute([item])
            return
        for (_, fut), out in zip(batch, outputs):
            fut.set_result(out)


def passes_by_length(lengths: Sequence[int], tokens_per_pass: int, max_padding: float = 0.5) -> list[list[int]]:
    """Indices of ``lengths`` grouped into forward passes, shortest first: a pass takes the next input
    while, padded to it, it stays within ``tokens_per_pass`` and at most ``max_padding`` of it is
    padding. Like lengths share a pass; a long input pads only its own."""
    passes: list[list[int]] = []
    real = 0  # tokens in the open pass, before padding
    for i in sorted(range(len(lengths)), key=lengths.__getitem__):
        n = max(lengths[i], 1)
        padded = (len(passes[-1]) + 1) * n if passes else 0
        if passes and padded <= tokens_per_pass and padded - real - n <= max_padding * padded:
            passes[-1].append(i)
            real += n
        else:
            passes.append([i])
            real = n
    return passes
