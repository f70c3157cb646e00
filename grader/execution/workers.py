"""Killable worker processes for work that may not finish (sympy on hostile input).

A timeout is enforced by killing the worker process and starting a fresh
one, never by signals, so it works from any thread and under asyncio. The
pool starts workers on demand, up to ``max_workers``, and reuses them.

Each worker leads its own process group and has its own temporary folder
(``TMPDIR``): killing a worker kills what it started (a sandbox still
running a program) and removes the files it left. Workers nobody killed are
killed when the process exits; a worker whose parent is gone (killed
without exiting) removes its folder and takes its group down itself. Where
both were killed at once (Ray kills an actor's child processes with it),
the next process to start a worker removes the folders they left.

Nothing here knows what the work is: callers send module-level functions
with their arguments, and name a warm-up function (``"module:function"``)
that each fresh worker runs before it reports ready.
"""

from __future__ import annotations

import atexit
import importlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from typing import Any, Callable

MEMORY_LIMIT_BYTES = 4 * 1024**3
SCRATCH_ENV = "GRADER_WORKER_SCRATCH"  # the worker's own temporary folder (also its TMPDIR)
PARENT_ENV = "GRADER_WORKER_PARENT"  # the pid that started the worker (it may die before the worker runs)
WATCHDOG_STACK_BYTES = 256 * 1024  # the watchdog's thread: not 8 MB of the worker's address-space ceiling


class WorkerTimeout(Exception):
    """The call ran past its budget; its worker was killed."""


class WorkerCrashed(Exception):
    """The worker died (out of memory, a native crash) while running the call."""


def worker_main(conn: Connection, memory_limit: int, warm_up: str = "") -> None:
    threading.stack_size(WATCHDOG_STACK_BYTES)
    parent = int(os.environ.get(PARENT_ENV) or os.getppid())
    threading.Thread(target=_die_with_parent, args=(parent,), daemon=True).start()
    threading.stack_size(0)
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    except (ImportError, ValueError, OSError):
        pass
    if warm_up:
        resolve(warm_up)()

    conn.send(("ready", None))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        if msg[0] == "map":
            # ("map", fn, [args, ...]): one ("item", i, outcome) per element, then ("end",)
            _, fn, arg_list = msg
            for i, args in enumerate(arg_list):
                conn.send(("item", i, _call(fn, args)))
            conn.send(("end", None))
        else:
            fn, args = msg
            conn.send(_call(fn, args))


def _die_with_parent(parent: int) -> None:
    """A worker leads its own process group, out of reach of a terminal's Ctrl-C: when the process that
    started it is gone (nothing enforces a budget any more), take the group down, a sandbox included."""
    while os.getppid() == parent:
        time.sleep(1.0)
    scratch = os.environ.get(SCRATCH_ENV)
    if scratch:  # nobody is left to remove it
        shutil.rmtree(scratch, ignore_errors=True)
    os.killpg(0, signal.SIGKILL)


def _call(fn: Callable[..., Any], args: tuple) -> tuple[str, Any]:
    try:
        return ("ok", fn(*args))
    except MemoryError:
        return ("error", "MemoryError: the item needed more memory than a worker may use")
    except BaseException as exc:  # report, never die on a bad item
        return ("error", f"{type(exc).__name__}: {exc}"[:500])


def resolve(spec: str) -> Callable[[], Any]:
    """The function named ``"package.module:function"``."""
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


SCRATCH_PREFIX = "grader-worker-"


def new_scratch_folder() -> str:
    """A new worker's temporary folder, ``grader-worker-<pid namespace>-<pid>-XXXXXXXX``: named for the
    process that starts the worker, so that folders left by processes that are gone can be told apart
    (first removed when this process starts its first worker)."""
    global _swept
    if not _swept:
        _swept = True
        remove_stale_scratch_folders()
    return tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{_pid_namespace()}-{os.getpid()}-")


_swept = False


def remove_stale_scratch_folders() -> list[str]:
    """Remove the worker folders whose starting process, in this pid namespace, has exited; the removed."""
    namespace = _pid_namespace()
    removed = []
    with os.scandir(tempfile.gettempdir()) as entries:
        for entry in entries:
            parts = entry.name[len(SCRATCH_PREFIX):].split("-")
            if (not entry.name.startswith(SCRATCH_PREFIX) or len(parts) < 3 or parts[0] != namespace
                    or not parts[1].isdecimal() or not entry.is_dir(follow_symlinks=False)
                    or _alive(int(parts[1]))):
                continue
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(entry.path)
    return removed


def _pid_namespace() -> str:
    """This process's pid namespace (its inode), so that pids of another namespace sharing the folder
    (containers with a common /tmp) are never taken for this one's."""
    try:
        return os.readlink("/proc/self/ns/pid").partition("[")[2].rstrip("]") or "0"
    except OSError:
        return "0"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # alive, another user's
        return True
    return True


class Worker:
    """One worker: a fresh interpreter running ``python -m grader.execution._entry FD LIMIT WARM_UP``.

    A plain subprocess (not multiprocessing's spawn) so callers need no
    ``if __name__ == "__main__"`` guard: the caller's script is never re-imported.
    """

    def __init__(self, memory_limit: int, warm_up: str = "") -> None:
        parent_sock, child_sock = socket.socketpair()
        child_fd = child_sock.fileno()
        self.scratch = new_scratch_folder()
        os.chmod(self.scratch, 0o755)  # a sandbox's folder in it is mounted for the sandbox's own uid
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "grader.execution._entry", str(child_fd), str(memory_limit), warm_up],
                pass_fds=(child_fd,), stdin=subprocess.DEVNULL, close_fds=True,
                start_new_session=True,
                # One malloc arena: the watchdog thread's own would take 64 MB of the address-space ceiling.
                env={**os.environ, "TMPDIR": self.scratch, SCRATCH_ENV: self.scratch, PARENT_ENV: str(os.getpid()),
                     "MALLOC_ARENA_MAX": "1"},
            )
        except BaseException:
            shutil.rmtree(self.scratch, ignore_errors=True)
            raise
        finally:
            child_sock.close()
        self.conn = Connection(parent_sock.detach())
        self.ready = False
        with _LIVE_LOCK:
            _LIVE.add(self)

    def exited(self) -> bool:
        """Whether the worker has exited, without reaping it: its pid, its process group's id, stays
        taken until ``kill`` has signalled the group (``Popen.poll`` would free it for reuse first)."""
        if self.proc.returncode is not None:
            return True
        try:
            return os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:
            return True

    def wait_ready(self, timeout: float = 60.0) -> None:
        if self.ready:
            return
        if not self.conn.poll(timeout):
            raise WorkerCrashed("worker did not start")
        try:
            tag, _ = self.conn.recv()
        except (EOFError, OSError):  # it died starting, or was killed (its pool closing, the process exiting)
            raise WorkerCrashed("worker exited while starting") from None
        self.ready = tag == "ready"

    def kill(self) -> None:
        """Kill the worker and its process group (a sandbox it started would otherwise run on, re-parented
        to init, until its own time limit), then remove its temporary folder."""
        if self.proc.returncode is None:  # not reaped: the pid is still this worker's (see ``exited``)
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:  # the group is gone: the worker and everything it started have exited
                pass
        try:
            self.proc.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        finally:
            self.conn.close()
            shutil.rmtree(self.scratch, ignore_errors=True)
            with _LIVE_LOCK:
                _LIVE.discard(self)


_LIVE: set[Worker] = set()  # started and not yet killed
_LIVE_LOCK = threading.Lock()


@atexit.register
def _kill_left_workers() -> None:
    """Workers of pools nobody closed (or a spare still starting at close) die with this process, and
    their folders go; they would otherwise exit on their own, leaving their folders behind."""
    with _LIVE_LOCK:
        left = list(_LIVE)
    for worker in left:
        worker.kill()


class WorkerPool:
    """A bounded set of worker processes; ``run`` is safe to call from many threads."""

    def __init__(self, max_workers: int | None = None, memory_limit: int = MEMORY_LIMIT_BYTES,
                 warm_up: str = "") -> None:
        self.max_workers = max_workers or os.cpu_count() or 1
        self.memory_limit = memory_limit
        self.warm_up = warm_up
        self._idle: list[Worker] = []
        self._count = 0
        self._cond = threading.Condition()
        self._closed = False

    def start(self) -> None:
        """Start the workers not yet running and wait for their warm-up: an owner that lives long
        (a Ray Data actor) pays first-use costs once, before its first item."""
        with self._cond:
            missing = self.max_workers - self._count
            self._count += missing
        started: list[Worker] = []
        try:
            for _ in range(missing):
                started.append(Worker(self.memory_limit, self.warm_up))
            for worker in started:
                worker.wait_ready()
        except BaseException:
            for worker in started:
                worker.kill()
            with self._cond:
                self._count -= missing
                self._cond.notify_all()
            raise
        with self._cond:
            self._idle.extend(started)
            self._cond.notify_all()

    def _checkout(self) -> Worker:
        with self._cond:
            while True:
                if self._closed:
                    raise RuntimeError("worker pool is closed")
                if self._idle:
                    return self._idle.pop()
                if self._count < self.max_workers:
                    self._count += 1
                    break
                self._cond.wait()
        try:
            return Worker(self.memory_limit, self.warm_up)
        except BaseException:
            with self._cond:
                self._count -= 1
                self._cond.notify()
            raise

    def _checkin(self, worker: Worker | None) -> None:
        with self._cond:
            closed_under_it = worker is not None and self._closed  # close() ran during this worker's call
            if worker is None or closed_under_it:
                self._count -= 1
            else:
                self._idle.append(worker)
            self._cond.notify()
        if closed_under_it:
            worker.kill()  # type: ignore[union-attr]

    def run(self, fn: Callable[..., Any], args: tuple, timeout: float) -> Any:
        """Run ``fn(*args)`` in a worker; the clock starts when the worker takes the call."""
        worker = self._checkout()
        try:
            worker.wait_ready()
            worker.conn.send((fn, args))
            deadline = time.monotonic() + timeout
            if not worker.conn.poll(max(0.0, deadline - time.monotonic())):
                worker.kill()
                worker = None
                raise WorkerTimeout(f"no verdict within {timeout:g} s")
            try:
                tag, value = worker.conn.recv()
            except (EOFError, OSError) as exc:
                worker.kill()
                worker = None
                raise WorkerCrashed("the worker process died") from exc
        except (BrokenPipeError, EOFError, ConnectionResetError) as exc:
            if worker is not None:
                worker.kill()
                worker = None
            raise WorkerCrashed("the worker process died") from exc
        finally:
            self._checkin(worker)
        if tag == "error":
            raise WorkerCrashed(value)
        return value

    def close(self) -> None:
        with self._cond:
            self._closed = True
            workers, self._idle = self._idle, []
            self._cond.notify_all()
        for w in workers:
            try:
                w.conn.send(None)
            except OSError:
                pass
            w.kill()
