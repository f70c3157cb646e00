"""Faults: workers killed mid-batch, the per-worker memory ceiling, and what a killed worker leaves (nothing)."""

import asyncio
import functools
import operator
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import pytest

import grader
from grader.client import GraderClient
from grader.execution.batch import BatchRuntime, CallFailed
from grader.execution import sandbox, workers
from grader.execution.workers import (MEMORY_LIMIT_BYTES, PARENT_ENV, SCRATCH_ENV, Worker, WorkerCrashed, WorkerPool,
                                      WorkerTimeout)
from processes import assert_exits, assert_no_process_left, processes_with
from servers import Server


def worker_pids(server_pid: int) -> set[int]:
    pids = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if ppid == server_pid and b"grader.execution._entry" in cmd:
            pids.add(int(entry))
    return pids


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")
def test_sigkilled_workers_mid_batch_lose_no_item_and_pool_refills():
    srv = Server()
    try:
        deadline = time.monotonic() + 30
        while len(worker_pids(srv.proc.pid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        before = worker_pids(srv.proc.pid)
        assert len(before) == 3  # two workers and a warm spare
        # distinct symbolic items (no cache hits), a few seconds of work for two workers
        items = [{"id": str(i), "response": rf"\boxed{{\frac{{\sqrt{{2}}}}{{{2 * i + 2}}}}}" if i % 3 else rf"\boxed{{{i}}}",
                  "reference": rf"\frac{{\sin(\pi/4)}}{{{i + 1}}}" if i % 3 else str(i)} for i in range(900)]
        out: dict = {}

        def call() -> None:
            with GraderClient(srv.target, timeout=120, retries=0) as c:
                out["results"] = c.grade_batch(items)

        t = threading.Thread(target=call)
        t.start()
        time.sleep(0.3)
        for pid in before:
            os.kill(pid, signal.SIGKILL)
        t.join(120)
        results = out["results"]
        assert [r.extra["id"] for r in results] == [str(i) for i in range(900)]
        # every item got a verdict: graded correctly, or (after a second crash) a clear status
        assert all(r.correct or r.status == grader.Status.PARSE_ERROR for r in results)
        assert sum(r.correct for r in results) >= 898
        assert any("worker died" in line for line in srv.log)  # the kill landed mid-batch
        deadline = time.monotonic() + 30
        while len(worker_pids(srv.proc.pid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        after = worker_pids(srv.proc.pid)
        assert len(after) >= 2 and not (after & before)  # refilled with new processes
        with GraderClient(srv.target, timeout=30) as c:
            assert c.grade(r"\boxed{x+1}", "1+x").correct
    finally:
        assert srv.stop() == 0


def test_memory_ceiling_is_a_status_not_a_crash():
    pool = WorkerPool(1, memory_limit=1024 * 1024 * 1024)
    try:
        with pytest.raises(WorkerCrashed, match="MemoryError"):
            pool.run(bytearray, (3 * 1024 * 1024 * 1024,), timeout=30)
        # the same worker keeps serving
        assert pool.run(sum, ([1, 2, 3],), timeout=30) == 6
        result = grader.grade(r"\boxed{x+1}", "1+x", pool=pool)
        assert result.correct
    finally:
        pool.close()


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")
def test_a_killed_worker_takes_what_it_started_and_its_files_with_it():
    """A call past its budget kills the worker. A process the worker started (a sandbox still running a
    program) must not run on, re-parented to init; the temporary files the worker made must go."""
    marker = "outlive-" + uuid.uuid4().hex
    pool = WorkerPool(1)
    try:
        made = pool.run(tempfile.mkdtemp, (), timeout=30)  # in the worker's own temporary folder
        assert os.path.isdir(made)
        with pytest.raises(WorkerTimeout):
            pool.run(subprocess.run, (["sh", "-c", f"sleep 60; : {marker}"],), timeout=1)
        assert_no_process_left(marker)
        assert not os.path.exists(made)
        assert pool.run(sum, ([1, 2, 3],), timeout=30) == 6  # a fresh worker serves
    finally:
        pool.close()


PARENT = """
import os, subprocess, sys
from grader.execution.workers import WorkerPool
pool = WorkerPool(1)
print(pool.run(os.getpid, (), 30), flush=True)
pool.run(subprocess.run, (["sh", "-c", "sleep 60; : {marker}"],), 60)
"""


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")
def test_a_worker_whose_parent_dies_takes_its_group_down():
    """Workers lead their own process groups, so a terminal's signals do not reach them: a parent killed
    mid-call must not leave its worker, or what the worker started, running with no budget enforced."""
    marker = "orphan-" + uuid.uuid4().hex
    parent = subprocess.Popen([sys.executable, "-c", PARENT.format(marker=marker)], stdout=subprocess.PIPE, text=True)
    try:
        worker = int(parent.stdout.readline())
        deadline = time.monotonic() + 30
        while not processes_with(marker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert processes_with(marker), "the call never started"
        parent.kill()
        parent.wait()
        assert_no_process_left(marker, seconds=5)
        assert_exits(worker)
    finally:
        parent.kill()
        parent.wait()


def test_an_unsandboxed_program_dies_with_its_worker():
    """GRADER_UNSAFE_NO_SANDBOX: the program leads a session of its own, outside the worker's group;
    it must still die when its worker is killed past the budget."""
    marker = "unsafe-" + uuid.uuid4().hex
    program = [sys.executable, "-c", "import time; time.sleep(60)", marker]
    run_unsafe = functools.partial(sandbox.run, unsafe_no_isolation=True)
    pool = WorkerPool(1)
    try:
        with pytest.raises(WorkerTimeout):
            pool.run(run_unsafe, (program, {}, b"", sandbox.Limits(wall_seconds=30)), timeout=2)
        assert_no_process_left(marker)
    finally:
        pool.close()


def test_a_worker_busy_when_its_pool_closes_is_killed_when_its_call_ends():
    pool = WorkerPool(1)
    pid = pool.run(os.getpid, (), timeout=30)
    call = threading.Thread(target=pool.run, args=(time.sleep, (2,), 30))
    call.start()
    time.sleep(0.5)
    pool.close()  # the busy worker is not idle: close() cannot kill it now
    call.join(10)
    assert_exits(pid)


def test_a_dead_worker_is_seen_without_being_reaped():
    """``exited`` leaves the dead worker a zombie, so its pid (its group's id) cannot be reused by another
    process before ``kill`` signals the group; ``Popen.poll`` would reap it."""
    worker = Worker(MEMORY_LIMIT_BYTES)
    worker.wait_ready()
    os.kill(worker.proc.pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while not worker.exited() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert worker.exited() and worker.proc.returncode is None  # seen dead, not reaped
    worker.kill()
    assert worker.proc.returncode == -signal.SIGKILL and not os.path.exists(worker.scratch)


UNCLOSED = """
from grader.execution.workers import WorkerPool
pool = WorkerPool(1)
pool.start()
worker = pool._idle[0]
print(worker.proc.pid, worker.scratch, flush=True)
"""


def test_workers_of_a_pool_nobody_closed_die_with_the_process_and_their_folders_go():
    done = subprocess.run([sys.executable, "-c", UNCLOSED], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    pid, scratch = done.stdout.split()
    assert_exits(int(pid))
    assert not os.path.exists(scratch)


def test_a_worker_whose_parent_died_before_it_ran_removes_its_folder_and_exits(tmp_path):
    """The parent may die while the worker is still importing: by then the worker's parent is init, so the
    watchdog compares with the pid that started it (passed in), not with its parent when it first looks."""
    gone = subprocess.Popen(["true"])
    gone.wait()  # a pid that started this worker and is gone
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    ours, theirs = socket.socketpair()
    env = {**os.environ, SCRATCH_ENV: str(scratch), PARENT_ENV: str(gone.pid)}
    worker = subprocess.Popen([sys.executable, "-m", "grader.execution._entry", str(theirs.fileno()),
                               str(MEMORY_LIMIT_BYTES), ""], pass_fds=(theirs.fileno(),), env=env,
                              start_new_session=True)  # its group is its own: the watchdog kills that group
    theirs.close()
    try:
        assert worker.wait(30) == -signal.SIGKILL and not scratch.exists()
    finally:
        worker.kill()
        ours.close()


def test_folders_of_workers_killed_with_their_parent_are_removed_by_the_next_process():
    """Ray kills an actor's child processes with it: the worker's watchdog never runs and the folder
    stays. A process starting its first worker removes such folders; a live process's folders are kept."""
    live = Worker(MEMORY_LIMIT_BYTES)
    parent = subprocess.Popen([sys.executable, "-c", UNCLOSED + "import time; time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        pid, scratch = parent.stdout.readline().split()
        os.killpg(int(pid), signal.SIGKILL)  # both at once: nobody is left to clean up
        parent.kill()
        parent.wait()
        assert_exits(int(pid))
        assert os.path.isdir(scratch)
        removed = workers.remove_stale_scratch_folders()
        assert scratch in removed and not os.path.exists(scratch)
        assert os.path.isdir(live.scratch) and live.scratch not in removed
    finally:
        parent.kill()
        parent.wait()
        live.kill()


def test_a_spare_killed_while_starting_at_shutdown_ends_quietly(monkeypatch):
    """A server stopping just after a worker was replaced: its spare is still starting when the process
    exits and atexit kills it. The spare's thread must end quietly, not print an EOFError traceback."""
    from grader.execution.batch import BatchRuntime

    raised: list[BaseException] = []
    monkeypatch.setattr(threading, "excepthook", lambda hook: raised.append(hook.exc_value))
    runtime = BatchRuntime(os.getpid, workers=1)
    started: list[Worker] = []
    new_worker = runtime._new_worker
    monkeypatch.setattr(runtime, "_new_worker", lambda: started.append(new_worker()) or started[-1])
    runtime.start()  # its spare starts in the background
    spare = next(t for t in threading.enumerate() if t.name == "grader-spare")
    deadline = time.monotonic() + 30
    while len(started) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    runtime.close()
    started[1].kill()  # what atexit does at exit: the spare dies before it is ready
    spare.join(30)
    try:
        assert not spare.is_alive() and raised == []
    finally:
        for worker in started:
            worker.kill()


def test_an_item_that_cannot_be_sent_to_a_worker_fails_alone_and_the_runtime_keeps_serving():
    """A plan nested past the pickler's recursion limit (a grader item whose response is 600 nested JSON
    lists) killed its manager thread: that worker's queue then waited forever, while health said SERVING."""
    deep: list = []
    for _ in range(5_000):
        deep = [deep]
    runtime = BatchRuntime(operator.add, workers=1, spares=0)
    runtime.start()
    try:
        async def calls() -> tuple[list, list]:
            first = await runtime.run([((1, 2), 5.0), ((deep, []), 5.0), ((3, 4), 5.0)])
            return first, await asyncio.wait_for(runtime.run([((5, 6), 5.0)]), 30)

        first, later = asyncio.run(calls())
    finally:
        runtime.close()
    assert first[0] == 3 and first[2] == 7 and later == [11]
    assert isinstance(first[1], CallFailed) and "could not be sent to a worker: RecursionError" in first[1].reason


def test_a_deeply_nested_json_response_gets_a_status_and_the_server_keeps_grading():
    string_check = {"type": "string_check", "input": "{{sample.output_text}}", "reference": "{{item.reference}}",
                    "operation": "eq"}
    srv = Server("--workers", "1")
    try:
        with GraderClient(srv.target, timeout=60, retries=0) as client:
            deep = client.grade_batch([{"response": "[" * 600 + "]" * 600, "reference": "x", "verifier": "grader",
                                        "options": {"grader": string_check}}])[0]
            assert deep.status is not grader.Status.OK and "could not be sent to a worker" in deep.reason, deep
            assert client.grade(r"\boxed{\sqrt{2}}", r"2^{1/2}").correct  # the worker's thread lives on
    finally:
        assert srv.stop() == 0


def test_next_to_an_item_at_the_picklers_limit_the_other_items_are_graded():
    """An item was checked alone, not as deep as in the chunk's message: at one depth it pickled alone but not
    there, and the whole chunk failed with it."""
    runtime = BatchRuntime(len, workers=1, spares=0)
    runtime.start()
    try:
        async def calls() -> list[list]:
            outcomes = []
            for depth in range(440, 560):
                deep: list = []
                for _ in range(depth):
                    deep = [deep]
                outcomes.append(await asyncio.wait_for(runtime.run([(("ok",), 5.0), ((deep,), 5.0)]), 30))
            return outcomes

        outcomes = asyncio.run(calls())
    finally:
        runtime.close()
    assert all(first == 2 for first, _ in outcomes), [o for o in outcomes if o[0] != 2][:1]
    assert any(isinstance(second, CallFailed) for _, second in outcomes)  # the range crosses the limit
