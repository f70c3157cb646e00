"""Batched calls on a pool of worker processes, for an asyncio server.

The pool runs one module-level function (given at construction) on argument
tuples; it knows nothing of what the function does.

Each worker process is driven by one manager thread: it takes a chunk of
items from a bounded queue, sends the whole chunk in one message, and reads
the results one by one. An item's budget starts when the worker begins it
(when the previous result arrives), not while it waits in the queue. A worker
that runs past an item's budget is killed and replaced by a warm spare (a
fresh spare then starts in the background); that call gets CallTimedOut at once
and the rest of its chunk continues on the new worker. A worker
that dies for another reason has the item retried once on a fresh worker.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass
from multiprocessing.reduction import ForkingPickler
from typing import Any, Callable

from .workers import MEMORY_LIMIT_BYTES, Worker, WorkerCrashed

log = logging.getLogger("grader.execution")


class Overloaded(Exception):
    """The queue is full; the caller should back off and retry."""


class CallTimedOut(Exception):
    """The call ran past its budget (its worker was replaced), or its request went away before it started."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CallFailed(Exception):
    """The function raised, or its worker died twice on it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Call:
    """The calls of one ``run()`` share its loop and its cancellation flag."""

    loop: asyncio.AbstractEventLoop
    cancelled: bool = False


@dataclass
class WorkItem:
    """One call's arguments and the future its outcome goes to."""

    args: tuple
    timeout: float
    future: asyncio.Future
    call: Call
    retried: bool = False


def _deliver(done: list[tuple[WorkItem, Any]]) -> None:
    """Hand outcomes to their futures: one event-loop wake-up per group, not per item.
    CallTimedOut and CallFailed are outcomes too, returned to the caller, never raised."""
    by_loop: dict[asyncio.AbstractEventLoop, list] = {}
    for item, result in done:
        by_loop.setdefault(item.call.loop, []).append((item.future, result))
    for loop, pairs in by_loop.items():
        loop.call_soon_threadsafe(_set_results, pairs)


def _refuse_unsendable(fn: Callable[..., Any], todo: list[WorkItem]) -> list[WorkItem]:
    """Fail each item whose message cannot be pickled for a worker; return the others, to run."""
    sendable: list[WorkItem] = []
    refused: list[tuple[WorkItem, Any]] = []
    for item in todo:
        try:
            ForkingPickler.dumps(("map", fn, [item.args]))  # as deep as in the chunk's message
            sendable.append(item)
        except Exception as exc:  # noqa: BLE001 (RecursionError, PicklingError, TypeError: whatever it is)
            refused.append((item, CallFailed(f"the item could not be sent to a worker: {type(exc).__name__}")))
    if not refused:  # each alone pickles, together they do not: fail the chunk rather than retry it forever
        refused, sendable = [(item, CallFailed("the items could not be sent to a worker")) for item in todo], []
    _deliver(refused)
    return sendable


def _set_results(pairs: list[tuple[asyncio.Future, Any]]) -> None:
    for fut, outcome in pairs:
        if not fut.done():
            fut.set_result(outcome)


class BatchRuntime:
    """``await runtime.run(calls)`` runs ``fn(*args)`` for each (args, timeout) on ``workers``
    processes, at most ``max_pending`` calls queued or running at once. Each outcome is the
    function's return value, or a CallTimedOut / CallFailed exception object (returned, not raised)."""

    def __init__(self, fn: Callable[..., Any], workers: int | None = None, max_pending: int = 4096,
                 chunk_size: int = 16, memory_limit: int = MEMORY_LIMIT_BYTES, spares: int = 1,
                 warm_up: str = "") -> None:
        self.fn = fn
        self.warm_up = warm_up
        self.workers = workers or os.cpu_count() or 1
        self.max_pending = max_pending
        self.chunk_size = chunk_size
        self.memory_limit = memory_limit
        self._queue: queue.Queue[list[WorkItem] | None] = queue.Queue()
        self._pending = 0
        self.restarts = 0  # workers killed and replaced (timeouts, crashes), for metrics
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.spares = spares
        self._spares: queue.Queue[Worker] = queue.Queue()
        self._spares_starting = 0
        self._closing = False

    def start(self) -> None:
        """Start the workers and wait until each has run its warm-up."""
        procs = [self._new_worker() for _ in range(self.workers)]
        for proc in procs:
            proc.wait_ready()
        for i, proc in enumerate(procs):
            t = threading.Thread(target=self._manage, args=(proc,), name=f"grader-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        self._refill_spare()

    @property
    def pending(self) -> int:
        return self._pending

    async def run(self, items: list[tuple[tuple, float]]) -> list[Any]:
        """Run (args, timeout) pairs; outcomes in the same order. Raises Overloaded."""
        with self._lock:
            if self._pending + len(items) > self.max_pending:
                raise Overloaded(f"{self._pending} items are already queued (limit {self.max_pending})")
            self._pending += len(items)
        loop = asyncio.get_running_loop()
        call = Call(loop)
        work = [WorkItem(args, timeout, loop.create_future(), call) for args, timeout in items]
        for start in range(0, len(work), self.chunk_size):
            self._queue.put(work[start:start + self.chunk_size])
        try:
            return list(await asyncio.gather(*(w.future for w in work)))
        except asyncio.CancelledError:
            call.cancelled = True  # deadline expired or client went away: drop work not yet started
            raise
        finally:
            with self._lock:
                self._pending -= len(work)

    def close(self) -> None:
        """Stop the manager threads after the queued work and kill the workers."""
        for _ in self._threads:
            self._queue.put(None)
        for t in self._threads:
            t.join(timeout=30)
        with self._lock:
            self._closing = True
        while not self._spares.empty():
            self._spares.get_nowait().kill()

    # --- manager thread -------------------------------------------------------
    def _manage(self, worker: Worker) -> None:
        while True:
            try:
                chunk = self._queue.get(timeout=1.0)
            except queue.Empty:
                if worker.exited():  # died while idle (OOM killer, kill -9): refill now
                    log.warning("idle worker %d exited; replacing it", worker.proc.pid)
                    worker = self._replace(worker)
                continue
            if chunk is None:
                break
            todo = [w for w in chunk if not w.call.cancelled]
            dropped = [w for w in chunk if w.call.cancelled]
            if dropped:
                _deliver([(w, CallTimedOut("The request was cancelled or its deadline passed.")) for w in dropped])
            while todo:
                try:
                    worker, todo = self._run_chunk(worker, todo)
                except Exception as exc:  # noqa: BLE001 (a bug here must not end the thread: its worker's
                    log.exception("could not run a chunk; failing its items")  # queue would wait forever)
                    _deliver([(w, CallFailed(f"the worker runtime failed ({type(exc).__name__})")) for w in todo])
                    worker, todo = self._replace(worker), []
        worker.kill()

    def _run_chunk(self, worker: Worker, todo: list[WorkItem]) -> tuple[Worker, list[WorkItem]]:
        """Run ``todo`` on ``worker``; return the worker to keep and what is left to run."""
        try:
            message = ForkingPickler.dumps(("map", self.fn, [w.args for w in todo]))
        except Exception:  # noqa: BLE001 (an item the pickler refuses, such as one nested past its recursion
            return worker, _refuse_unsendable(self.fn, todo)  # limit, fails alone; this thread must live on)
        done = 0
        ready: list[tuple[WorkItem, Any]] = []
        try:
            worker.conn.send_bytes(message)  # what conn.send does, with the pickling done above
            for item in todo:
                if ready and not worker.conn.poll(0):
                    _deliver(ready)  # nothing more waiting: hand over what has arrived
                    ready = []
                if not worker.conn.poll(item.timeout):
                    ready.append((item, CallTimedOut(f"Grading did not finish within {item.timeout:g} s.")))
                    _deliver(ready)  # the caller hears now, not after the replacement starts
                    ready = []
                    log.warning("item timed out after %.3gs; replacing worker", item.timeout)
                    return self._replace(worker), todo[done + 1:]
                _, _, outcome = worker.conn.recv()
                ready.append((item, outcome[1] if outcome[0] == "ok" else CallFailed(outcome[1])))
                done += 1
            worker.conn.recv()  # ("end", None)
            return worker, []
        except (EOFError, OSError, WorkerCrashed):
            left = todo[done:]
            if left and not left[0].retried:
                left[0].retried = True
                log.warning("worker died; retrying its item on a fresh worker")
                return self._replace(worker), left
            if left:
                ready.append((left[0], CallFailed("the worker process died on this item twice")))
                left = left[1:]
            return self._replace(worker), left
        finally:
            if ready:
                _deliver(ready)

    def _replace(self, worker: Worker) -> Worker:
        """Kill ``worker`` and hand back a ready one: the warm spare when there is one
        (a restart costs about half a second of imports), else a fresh start."""
        self.restarts += 1
        worker.kill()
        fresh = None
        while fresh is None:
            try:
                fresh = self._spares.get_nowait()
            except queue.Empty:
                fresh = self._start_worker()
            if fresh.exited():  # the spare died while waiting
                fresh.kill()
                fresh = None
        self._refill_spare()
        return fresh

    def _start_worker(self) -> Worker:
        """A ready worker; WorkerCrashed once the runtime is closing (no retries then)."""
        while True:
            try:
                fresh = self._new_worker()
                fresh.wait_ready()
                return fresh
            except (WorkerCrashed, OSError):
                if self._closing:
                    raise WorkerCrashed("the runtime is closing") from None
                log.exception("could not start a worker; retrying")
                time.sleep(1.0)

    def _new_worker(self) -> Worker:
        return Worker(self.memory_limit, self.warm_up)

    def _refill_spare(self) -> None:
        """Start a spare worker in the background unless one is ready or starting."""
        with self._lock:
            if self._spares.qsize() + self._spares_starting >= self.spares or self._closing:
                return
            self._spares_starting += 1

        def start() -> None:
            try:
                fresh: Worker | None = self._start_worker()
            except WorkerCrashed:  # closing: the spare was killed starting (at exit, by atexit's kill)
                fresh = None
            with self._lock:
                self._spares_starting -= 1
                if self._closing or fresh is None:
                    if fresh is not None:
                        fresh.kill()
                    return
            self._spares.put(fresh)

        threading.Thread(target=start, name="grader-spare", daemon=True).start()

