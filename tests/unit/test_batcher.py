"""InferenceBatcher: ordering, coalescing, concurrency, cancellation, timeouts, error isolation."""

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor, TimeoutError as FutureTimeout

import pytest

from grader.lm.batcher import InferenceBatcher, QueueFull, passes_by_length


class Recorder:
    def __init__(self, delay: float = 0.0, fail_on: str | None = None):
        self.calls: list[list[str]] = []
        self.delay, self.fail_on = delay, fail_on

    def __call__(self, batch):
        self.calls.append(list(batch))
        time.sleep(self.delay)
        if self.fail_on is not None and self.fail_on in batch:
            raise ValueError(f"bad input {self.fail_on!r}")
        return [s.upper() for s in batch]


def test_each_caller_gets_its_own_result_from_threads():
    fn = Recorder(delay=0.01)
    b = InferenceBatcher(fn, max_batch=16, max_wait_ms=20)
    words = [f"w{i}" * (i % 5 + 1) for i in range(64)]
    with ThreadPoolExecutor(32) as ex:
        out = list(ex.map(b, words))
    b.close()
    assert out == [w.upper() for w in words]
    assert len(fn.calls) < 64  # coalesced
    assert max(len(c) for c in fn.calls) <= 16
    # What /metrics reads: passes, inputs across them, and time queued.
    assert b.batches == len(fn.calls) and b.batched_items == 64 and b.waited_seconds > 0


def test_batch_is_sorted_by_size():
    fn = Recorder()
    b = InferenceBatcher(fn, max_batch=8, max_wait_ms=50)
    futures = [b.submit(s) for s in ["ccc", "a", "bb"]]
    assert [f.result(5) for f in futures] == ["CCC", "A", "BB"]
    b.close()
    assert fn.calls[0] == ["a", "bb", "ccc"]


def test_asyncio_callers():
    fn = Recorder(delay=0.005)
    b = InferenceBatcher(fn, max_batch=32, max_wait_ms=10)

    async def main():
        return await asyncio.gather(*(b.run(f"x{i}") for i in range(40)))

    assert asyncio.run(main()) == [f"X{i}" for i in range(40)]
    b.close()
    assert len(fn.calls) <= 10


def test_one_bad_input_does_not_poison_the_batch():
    b = InferenceBatcher(Recorder(fail_on="bad"), max_batch=8, max_wait_ms=50)
    futures = [b.submit(s) for s in ["ok1", "bad", "ok2"]]
    assert futures[0].result(5) == "OK1" and futures[2].result(5) == "OK2"
    with pytest.raises(ValueError, match="bad input"):
        futures[1].result(5)
    b.close()
    assert b.batched_items == 3  # the inputs run again one by one to isolate the bad one are not counted twice


def test_cancelled_input_is_not_run():
    gate = threading.Event()
    seen = []

    def fn(batch):
        seen.extend(batch)
        gate.wait(5)
        return batch

    b = InferenceBatcher(fn, max_batch=1, max_wait_ms=0)
    first = b.submit("first")   # occupies the thread
    time.sleep(0.05)
    second = b.submit("second")
    assert second.cancel()
    gate.set()
    assert first.result(5) == "first"
    b.close()
    assert seen == ["first"]


def test_caller_timeout_and_asyncio_cancellation():
    b = InferenceBatcher(Recorder(delay=0.3), max_batch=1, max_wait_ms=0)
    b.submit("busy")
    with pytest.raises(FutureTimeout):
        b("late", timeout=0.05)

    async def cancel_one():
        task = asyncio.ensure_future(b.run("dropped"))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancel_one())
    b.close()


def test_bounded_queue():
    gate = threading.Event()
    b = InferenceBatcher(lambda batch: (gate.wait(5), batch)[1], max_batch=1, max_wait_ms=0, max_queue=2)
    b.submit("running")
    time.sleep(0.05)
    b.submit("q1")
    b.submit("q2")
    with pytest.raises(QueueFull):
        b.submit("q3")
    gate.set()
    b.close()


def test_wrong_result_count_is_an_error_for_callers():
    b = InferenceBatcher(lambda batch: [], max_batch=4, max_wait_ms=0)
    with pytest.raises(RuntimeError, match="0 results"):
        b("x", timeout=5)
    b.close()


@pytest.mark.parametrize("workers", [1, 2])
def test_two_workers_run_two_batches_at_once_and_one_runs_one(workers):
    """With workers=2 a second batch runs while the first waits (as on a device); with one it cannot."""
    meeting = threading.Barrier(2, timeout=1.0)
    met: list[bool] = []

    def fn(batch):
        try:
            meeting.wait()
            met.append(True)
        except threading.BrokenBarrierError:
            met.append(False)
        return [s.upper() for s in batch]

    b = InferenceBatcher(fn, max_batch=4, max_wait_ms=0, workers=workers)
    words = [f"w{i}" for i in range(8)]
    with ThreadPoolExecutor(8) as ex:
        out = list(ex.map(b, words))
    b.close()
    assert out == [w.upper() for w in words]
    assert any(met) is (workers == 2)
    assert b.batched_items == 8 and b.batches == len(met)


def test_an_input_without_a_size_fails_its_caller_and_the_batcher_keeps_serving():
    b = InferenceBatcher(lambda batch: batch, max_wait_ms=0)
    with pytest.raises(TypeError):
        b(1, timeout=5)  # len(1): an error for this caller, not a dead batching thread
    assert b("ok", timeout=5) == "ok"
    b.close()


def test_close_stops_every_worker():
    b = InferenceBatcher(lambda batch: batch, workers=3)
    assert b("x", timeout=5) == "x"
    b.close()
    assert not any(t.is_alive() for t in b._threads)
    with pytest.raises(ValueError):
        InferenceBatcher(lambda batch: batch, workers=0)


def test_passes_group_like_lengths_and_a_long_input_pads_only_its_own_pass():
    lengths = [300, 10, 12, 2000, 11, 290]
    passes = passes_by_length(lengths, 1024)
    assert sorted(i for p in passes for i in p) == list(range(6))  # every input once
    assert passes == [[1, 4, 2], [5, 0], [3]]  # shortest first; 2,000 tokens alone, over the budget
    assert all(len(p) * max(lengths[i] for i in p) <= 1024 for p in passes if len(p) > 1)
    assert passes_by_length([], 1024) == [] and passes_by_length([5] * 8, 10**6) == [list(range(8))]
    # Within the budget, a row that would make most of its pass padding starts a pass of its own.
    assert passes_by_length([10] * 7 + [100], 10**6) == [list(range(7)), [7]]
    assert passes_by_length([10] * 7 + [15], 10**6) == [list(range(8))]
