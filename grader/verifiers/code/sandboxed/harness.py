"""The test harness: pid 1 of the sandbox. Reads the tests, runs the program apart, writes verdicts.

Started as ``python -I -S harness.py`` with the suite as JSON on stdin (never in a file the
program could read). The program runs in other processes that do not inherit this one's
stdout, the only channel the verdicts take, one JSON line per test, then ``{"done": true}``:

- ``asserts`` (HumanEval, MBPP): the test statements run here, with each function of the
  program replaced by a proxy that calls it in ``runner.py`` and returns a copy of its value.
  The program never sees an expected value, cannot patch ``check`` or builtins here, and its
  exits, prints and objects whose ``__eq__`` always holds decide nothing.
- ``calls`` (APPS / LiveCodeBench / TACO call-based): ``fn_name(*args)`` in the runner, the
  value compared here after a JSON round trip.
- ``stdio``: the program as ``__main__`` with the test's input, its capped stdout compared
  here line by line, whitespace-insensitively.

In a pid namespace, pid 1 gets no signal from its own children but those it handles, so it
handles none (not even SIGINT); when it exits, the kernel kills every process left. No process
here can trace another or take its file descriptors (seccomp, and pid 1 is not dumpable), or
see /proc.
"""

import builtins
import json
import os
import select
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I leaves the script's folder out
import runner as runner_script  # noqa: E402
from wire import MAX_MESSAGE, decode, encode  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAM = os.path.join(HERE, "solution.py")


class TestTimeout(BaseException):
    """Raised through the test's own code: an ``except Exception`` in a test cannot swallow it."""


class ProgramDied(BaseException):
    pass


class Runner:
    """The program's process for ``asserts`` and ``calls``, restarted after it dies or times out."""

    def __init__(self, python):
        self.python, self.proc, self.names, self.failure = python, None, [], None
        self.forked = None  # (pid, requests fd, replies fd): the first runner, forked before the tests were read

    def fork_first(self):
        """Fork the first runner now, while this process holds no test: no interpreter start later.

        The child drops this process's stdin (the tests, not yet read), stdout (the verdicts) and
        stderr before any program code runs, and keeps only its two pipes."""
        to_child, from_parent = os.pipe()
        to_parent, from_child = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.setsid()
                null = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(null, fd)
                keep = sorted((to_child, from_child))
                os.closerange(3, keep[0]), os.closerange(keep[0] + 1, keep[1]), os.closerange(keep[1] + 1, 1024)
                os.chdir("/tmp")
                runner_script.serve(PROGRAM, to_child, from_child)
            finally:
                os._exit(0)
        os.close(to_child), os.close(from_child)
        self.forked = (pid, from_parent, to_parent)

    def discard_forked(self):
        pid, requests, replies = self.forked
        self.forked = None
        kill_tree(pid)
        os.waitpid(pid, 0)
        os.close(requests), os.close(replies)

    def start(self):
        if self.forked is not None:
            pid, requests, replies = self.forked
            self.forked = None
            self.proc = _Forked(pid)
        else:  # the program died: a fresh interpreter, since this process now holds the tests
            import subprocess
            to_child, requests = os.pipe()
            replies, from_child = os.pipe()
            self.proc = subprocess.Popen(
                [self.python, "-I", "-S", os.path.join(HERE, "runner.py"), PROGRAM, str(to_child), str(from_child)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                pass_fds=(to_child, from_child), start_new_session=True, cwd="/tmp")
            os.close(to_child), os.close(from_child)
        self.requests, self.replies = os.fdopen(requests, "wb"), os.fdopen(replies, "rb")
        self.buffer = b""
        try:
            hello = self.read(deadline=time.monotonic() + SUITE["test_timeout"])
        except TestTimeout:
            hello = {"load_error": f"loading the program took over {SUITE['test_timeout']:g} s", "timeout": True}
        except ProgramDied as e:
            hello = {"load_error": str(e)}
        names = hello.get("names")
        self.names = [n for n in names if isinstance(n, str)] if isinstance(names, list) else []
        self.failure = None if "names" in hello else hello  # the program cannot load: no restarts

    def stop(self):
        if self.proc is not None:
            kill_tree(self.proc.pid)
            self.proc.wait()
            self.requests.close(), self.replies.close()
            self.proc = None

    def ensure(self):
        if self.failure is None and (self.proc is None or self.proc.poll() is not None):
            self.stop()
            self.start()

    def read(self, deadline):
        chunks, size = [self.buffer], len(self.buffer)  # joined once: appending to bytes took seconds for 16 MB
        while b"\n" not in chunks[-1]:
            left = deadline - time.monotonic()
            if left <= 0:
                self.stop()
                raise TestTimeout()
            ready, _, _ = select.select([self.replies], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.replies.fileno(), 1 << 20)
            if not chunk:
                code = self.proc.wait()
                self.stop()
                raise ProgramDied(_death(code))
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_MESSAGE:
                self.stop()
                raise ProgramDied("the program's reply was over 16 MB")
        line, _, self.buffer = b"".join(chunks).partition(b"\n")
        try:
            message = json.loads(line)
        except (ValueError, RecursionError):
            message = None
        if not isinstance(message, dict):  # the program wrote on the channel itself: it is out of step now
            self.stop()
            raise ProgramDied("the program wrote something other than a reply to the harness")
        return message

    def call(self, name, args, method=None):
        try:
            message = json.dumps({"name": name, "method": method, "args": encode(list(args))}).encode() + b"\n"
        except TypeError as e:
            raise RemoteError("TypeError", f"an argument cannot be sent to the program ({e})")
        try:
            self.requests.write(message)
            self.requests.flush()
        except BrokenPipeError:
            code = self.proc.wait()
            self.stop()
            raise ProgramDied(_death(code))
        reply = self.read(DEADLINE[0])
        if "value" in reply:
            return decode(reply["value"])
        if "unsendable" in reply:
            raise Unsendable(reply["unsendable"])
        if reply.get("memory"):
            raise MemoryError(reply.get("message", ""))
        raise RemoteError(reply.get("raised", "Exception"), reply.get("message", ""))


class _Forked:
    """The forked first runner, with the part of Popen's interface the harness uses."""

    def __init__(self, pid):
        self.pid, self.returncode = pid, None

    def poll(self):
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self):
        if self.returncode is None:
            self.returncode = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        return self.returncode


class RemoteError(Exception):
    def __init__(self, kind, message):
        super().__init__(f"{kind}: {message}")
        self.kind = kind


class Unsendable(Exception):
    pass


def _death(code):
    if code >= 0:
        return f"the program exited (status {code}) during the test"
    if -code == signal.SIGXCPU:
        return "the program ran out of CPU time"
    try:
        return f"the program was killed by {signal.Signals(-code).name}"
    except ValueError:
        return f"the program was killed by signal {-code}"


def proxy(runner, name, method=None):
    def call(*args, **kwargs):
        if kwargs:
            raise RemoteError("TypeError", "keyword arguments are not supported")
        runner.ensure()
        if runner.failure:
            raise ProgramDied(runner.failure.get("load_error") or runner.failure.get("compile_error"))
        try:
            value = runner.call(name, args, method)
        except RemoteError as e:
            builtin = getattr(builtins, e.kind, None)
            # Not StopIteration: raised inside the test's map() or all(), it would end the iteration as if passed.
            if (isinstance(builtin, type) and issubclass(builtin, Exception) and builtin is not RemoteError
                    and not issubclass(builtin, (StopIteration, StopAsyncIteration))):
                raise builtin(str(e)) from None  # a test may expect the program to raise ValueError
            raise
        return value
    return call


def verdict(name, status, reason=""):
    sys.stdout.write(json.dumps({"name": name, "status": status, "reason": str(reason)[:200]}) + "\n")
    sys.stdout.flush()
    return status == "passed"


def run_asserts(runner):
    if not runner_loaded(runner):
        return
    namespace = {"__name__": "tests", "__builtins__": builtins}
    try:
        exec(compile(SUITE["setup"], "tests.py", "exec"), namespace)
    except Exception as e:  # noqa: BLE001 - a broken suite fails its tests
        for test in SUITE["tests"]:
            verdict(test["name"], "runtime_error", f"the test set-up failed: {type(e).__name__}: {e}")
        return
    bind(runner, namespace)
    for test in SUITE["tests"]:
        passed = run_one(test, lambda: exec(compile(test["code"], "tests.py", "exec"), namespace))
        if not passed and SUITE["stop_on_first_failure"]:
            break


def runner_loaded(runner):
    """Whether the program loaded; if not, every test fails with why."""
    runner.ensure()
    failure = runner.failure
    if failure is None:
        return True
    status = ("compile_error" if "compile_error" in failure else "timeout" if failure.get("timeout")
              else "memory" if failure.get("memory") else "runtime_error")
    for test in SUITE["tests"]:
        verdict(test["name"], status, failure.get("compile_error") or failure.get("load_error", ""))
    return False


def bind(runner, namespace):
    for name in runner.names:
        # Not a builtin's name: a program's `abs` or `set` would stand in for the test's own on both sides.
        if name not in namespace and not hasattr(builtins, name):
            namespace[name] = proxy(runner, name)
    if SUITE.get("entry_point"):
        namespace["candidate"] = proxy(runner, SUITE["entry_point"])


def run_calls(runner):
    if not runner_loaded(runner):
        return
    name, method = SUITE["fn_name"], None
    if name not in runner.names and "Solution" in runner.names:
        name, method = "Solution", SUITE["fn_name"]  # LeetCode style: a method of class Solution
    function = proxy(runner, name, method)

    def check(test):
        got, expected = _json_round_trip(function(*test["args"])), test["expected"]
        # APPS wraps some expected values in a one-element list.
        if not _same(got, expected) and not (isinstance(expected, list) and len(expected) == 1
                                             and _same(got, expected[0])):
            raise AssertionError(f"expected {_short(test['expected'])}, got {_short(got)}")

    for test in SUITE["tests"]:
        if not run_one(test, lambda: check(test)) and SUITE["stop_on_first_failure"]:
            break


def _json_round_trip(value):
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        raise AssertionError(f"returned {type(value).__name__}, not a JSON value")


def run_one(test, body):
    DEADLINE[0] = time.monotonic() + SUITE["test_timeout"]
    try:
        body()
    except TestTimeout:
        return verdict(test["name"], "timeout", f"over {SUITE['test_timeout']:g} s")
    except AssertionError as e:
        return verdict(test["name"], "wrong_answer", str(e) or "an assertion failed")
    except Unsendable as e:
        return verdict(test["name"], "wrong_answer", f"returned {e}")
    except MemoryError as e:
        return verdict(test["name"], "memory", f"out of memory {e}".strip())
    except ProgramDied as e:
        return verdict(test["name"], "runtime_error", str(e))
    except Exception as e:  # noqa: BLE001
        return verdict(test["name"], "runtime_error", f"{type(e).__name__}: {e}")
    return verdict(test["name"], "passed")


def compile_cpp():
    """Compile solution.cpp to /tmp/solution; the compiler's first error, or None."""
    import subprocess
    source = os.path.join(HERE, "solution.cpp")
    try:
        done = subprocess.run([SUITE["compiler"], "-std=c++17", "-O2", "-pipe", "-o", "/tmp/solution", source],
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=SUITE["compile_timeout"],
                              cwd="/tmp", start_new_session=True)
    except subprocess.TimeoutExpired:
        return f"compiling took over {SUITE['compile_timeout']:g} s"
    if done.returncode != 0:
        errors = [line for line in done.stderr.decode(errors="replace").splitlines() if "error" in line]
        return (errors[0] if errors else f"the compiler exited with {done.returncode}").replace(HERE + "/", "")
    COMMAND[:] = ["/tmp/solution"]
    return None


def run_stdio():
    """Each test is a process of its own, so up to ``parallel`` run at once; verdicts in test order."""
    if SUITE.get("language") == "cpp":
        error = compile_cpp()
        if error is not None:
            for test in SUITE["tests"]:
                verdict(test["name"], "compile_error", error)
            return
    tests, parallel = SUITE["tests"], max(1, SUITE.get("parallel", 1))
    if parallel == 1 or len(tests) == 1 or SUITE["stop_on_first_failure"]:
        for test in tests:
            if not verdict(test["name"], *stdio_test(test)) and SUITE["stop_on_first_failure"]:
                break
        return
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        for test, outcome in zip(tests, pool.map(stdio_test, tests)):
            verdict(test["name"], *outcome)


def stdio_test(test):
    import subprocess
    proc = subprocess.Popen(COMMAND, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True, cwd="/tmp")
    out, err, over, timed_out = _exchange(proc, test["input"].encode(), SUITE["max_output_bytes"],
                                          time.monotonic() + SUITE["test_timeout"])
    if timed_out:
        return "timeout", f"over {SUITE['test_timeout']:g} s"
    if over:
        return "output_limit", f"over {SUITE['max_output_bytes']} bytes of output"
    if proc.returncode != 0:
        last = err.decode(errors="replace").strip().splitlines()
        if last and last[-1].startswith("MemoryError"):
            return "memory", last[-1]
        return "runtime_error", (last[-1] if last else _death(proc.returncode))
    return compare_output(out.decode(errors="replace"), test["output"])


def _exchange(proc, data, cap, deadline):
    """Feed stdin, read stdout (up to cap) and stderr; kill the program's group at the deadline."""
    out, err, over = [], [], False
    size = 0
    streams = {proc.stdout.fileno(): out, proc.stderr.fileno(): err}
    pending = data
    writer = proc.stdin.fileno()
    os.set_blocking(writer, False)
    while streams:
        left = deadline - time.monotonic()
        if left <= 0:
            _kill(proc)
            return b"", b"", False, True
        ready, writable, _ = select.select(list(streams), [writer] if pending else [], [], left)
        if writable:
            try:
                sent = os.write(writer, pending[:65536])
                pending = pending[sent:]
            except BrokenPipeError:
                pending = b""
            if not pending:
                proc.stdin.close()
        for fd in ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                del streams[fd]
                continue
            if fd == proc.stdout.fileno():
                size += len(chunk)
                if size > cap:
                    _kill(proc)
                    return b"", b"", True, False
            elif sum(map(len, err)) > 65536:
                continue
            streams[fd].append(chunk)
    if not proc.stdin.closed:
        proc.stdin.close()
    try:
        proc.wait(timeout=max(0.0, deadline - time.monotonic()))
    except Exception:  # subprocess.TimeoutExpired
        _kill(proc)
        return b"", b"", False, True
    _kill(proc)  # whatever it left running in its group
    return b"".join(out), b"".join(err), False, False


def _kill(proc):
    kill_tree(proc.pid)
    proc.wait()


def kill_tree(pid):
    """SIGKILL a program's process group, and the process itself should it not lead one yet
    (a forked runner between fork and its setsid)."""
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _same(got, expected):
    """Equal, or, where the reference gives a tolerance, numbers within it (relative above 1)."""
    tolerance = SUITE.get("tolerance")
    if got == expected:
        return True
    if tolerance is None:
        return False
    if isinstance(got, (int, float)) and isinstance(expected, (int, float)) and not isinstance(got, bool) \
            and not isinstance(expected, bool):
        return abs(got - expected) <= tolerance * max(1.0, abs(expected))
    if isinstance(got, list) and isinstance(expected, list) and len(got) == len(expected):
        return all(_same(a, b) for a, b in zip(got, expected))
    if isinstance(got, dict) and isinstance(expected, dict) and got.keys() == expected.keys():
        return all(_same(got[k], expected[k]) for k in got)
    return False


def _same_tokens(got, expected):
    """Whitespace-separated tokens equal, numbers within the reference's tolerance."""
    a, b = got.split(), expected.split()
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x != y:
            try:
                if not _same(float(x), float(y)):
                    return False
            except ValueError:
                return False
    return True


def compare_output(got, expected):
    lines = [line.rstrip() for line in got.strip().splitlines()]
    wanted = [line.rstrip() for line in expected.strip().splitlines()]
    if lines == wanted or got.split() == expected.split():
        return "passed", ""
    if SUITE.get("tolerance") is not None and _same_tokens(got, expected):
        return "passed", ""
    for number, (a, b) in enumerate(zip(lines + [""] * len(wanted), wanted + [""] * len(lines)), 1):
        if a != b:
            return "wrong_answer", f"line {number}: expected {_short(b)}, got {_short(a)}"
    return "wrong_answer", "the output differs"


def _short(value):
    """A value for a reason, cut short: hidden tests show no more than a truncated diff."""
    text = value if isinstance(value, str) else repr(value)
    return repr(text[:60] + "…" if len(text) > 60 else text)


DEADLINE = [0.0]
SUITE = {}
COMMAND = []  # a stdio test's program: python on solution.py, or the compiled solution


def harden():
    """Pid 1 handles no signal, so its children can send it none; and no process may read or take from it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Python's KeyboardInterrupt handler would let os.kill(1, 2) in
    try:
        import ctypes
        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: ptrace, pidfd_getfd, process_vm_readv refused
    except (ImportError, OSError, AttributeError):
        pass


def main():
    harden()
    runner = Runner(sys.executable)
    runner.fork_first()
    SUITE.update(json.loads(sys.stdin.buffer.read()))
    runner.python = SUITE["python"]
    COMMAND[:] = [SUITE["python"], "-I", "-S", PROGRAM]
    if SUITE["mode"] == "stdio":
        runner.discard_forked()  # stdio programs run as __main__, one process per test
        run_stdio()
    else:
        try:
            run_asserts(runner) if SUITE["mode"] == "asserts" else run_calls(runner)
        finally:
            runner.stop()
    sys.stdout.write(json.dumps({"done": True}) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
