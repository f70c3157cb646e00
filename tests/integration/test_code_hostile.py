"""Hostile programs against the code verifier: reward hacks and escapes, each with its containment checked.

Every test asserts more than the verdict: no check passes that should not, and what the attack
aimed at outside the sandbox is untouched (canary files, the grader's environment, a listening
socket, the host's processes and disk). Programs report what they saw through their exception
messages, the one channel back, so each test also shows that its attack really ran.

Three of these once got ``correct: true`` and are fixed: ``pidfd_getfd`` on pid 1 took the
harness's stdout and forged verdicts (seccomp now refuses it, and the harness is not dumpable);
a program's ``abs``/``set``/``sorted`` stood in for the builtins the tests call; ``StopIteration``
from the program ended a test's ``all(map(...))`` early. Two more stopped the harness, so every
test read as a timeout: ``os.kill(1, SIGINT)`` (Python's SIGINT handler let the signal into pid 1),
and text written on the runner's reply channel before its first reply.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import shutil
import socket
import textwrap
import time
import uuid
from pathlib import Path

import pytest

import grader
from grader.execution import sandbox
from grader.execution.workers import WorkerPool
from processes import assert_no_process_left, processes_with, settled

REASON = sandbox.probe()
pytestmark = [
    pytest.mark.skipif(bool(REASON), reason=f"the code sandbox does not work here: {REASON}"),
    # Never run these programs without isolation: os.kill(-1, 9) would reach the host.
    pytest.mark.skipif(os.environ.get("GRADER_UNSAFE_NO_SANDBOX", "").lower() in ("1", "true", "yes"),
                       reason="GRADER_UNSAFE_NO_SANDBOX is set"),
]

ENV_SECRET = "secret-xyz-" + uuid.uuid4().hex
EXPECTED = "expected-" + uuid.uuid4().hex  # an expected value no program can compute

HUMANEVAL = json.dumps({"entry_point": "add", "test": textwrap.dedent("""\
    def check(candidate):
        assert candidate(1, 2) == 3
        assert candidate(-5, 5) == 0
        assert candidate(20, 22) == 42

    check(add)
    """)})
MBPP = json.dumps({"test_list": ["assert add(1, 2) == 3", "assert add(-5, 5) == 0", "assert add(20, 22) == 42"]})
CALLS = json.dumps({"fn_name": "add", "inputs": [[1, 2], [-5, 5]], "outputs": [3, 0]})
STDIO = json.dumps({"inputs": ["1 2\n", "-5 5\n"], "outputs": ["3\n", "0\n"]})
FUNCTION_REFS = {"humaneval": HUMANEVAL, "mbpp": MBPP}
ALL_FUNCTION_REFS = FUNCTION_REFS | {"calls": CALLS}

CORRECT = "def add(a, b):\n    return a + b\n"
CORRECT_STDIO = "a, b = map(int, input().split())\nprint(a + b)\n"
WRONG = "def add(a, b):\n    return a - b\n"  # wrong on every test above


@pytest.fixture(scope="module")
def pool():
    """One worker, started with a secret in its environment (as a deployed grader holds its token)."""
    saved = os.environ.get("GRADER_AUTH_TOKEN")
    os.environ["GRADER_AUTH_TOKEN"] = ENV_SECRET  # workers start on demand, each with the environment of then
    workers = WorkerPool(max_workers=1)
    try:
        yield workers
    finally:
        workers.close()
        if saved is None:
            del os.environ["GRADER_AUTH_TOKEN"]
        else:
            os.environ["GRADER_AUTH_TOKEN"] = saved


def grade(pool, program: str, reference: str, **options):
    options.setdefault("timeout", 2)
    started = time.monotonic()
    result = grader.grade(f"```python\n{textwrap.dedent(program)}\n```", reference, verifier="code", pool=pool,
                          **options)
    assert time.monotonic() - started < 15, "a hostile item took too long"
    assert result.status == grader.Status.OK, result
    return result


def attempts_reported(pool, mode: str, probe: str) -> str:
    """What ``probe``'s ``attempts()`` reports from inside the sandbox: its exit message (stdio) or its
    exception (a function), the item's one check failing as a runtime error either way."""
    if mode == "stdio":
        result = grade(pool, probe + "import sys\nsys.exit(attempts())\n", STDIO)
    else:
        result = grade(pool, probe + "def add(a, b):\n    raise ValueError(attempts())\n", MBPP)
    return refused(result, "runtime_error").checks[0].reason


def refused(result, *statuses: str):
    """No check passed; each failed with one of ``statuses`` (any, if none given)."""
    assert result.correct is False and result.score == 0.0, result
    assert result.checks and not any(check.passed for check in result.checks), result.checks
    for check in result.checks:
        assert len(check.reason) <= 200
        if statuses:
            assert check.status in statuses, (check.status, check.reason)
    return result


def reasons(result) -> str:
    return "\n".join([result.reason] + [check.reason for check in result.checks])


def grader_workers() -> list[int]:
    """Pids of this module's worker: the grader processes holding ENV_SECRET."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (b"grader.execution._entry" in (entry / "cmdline").read_bytes()
                        and ENV_SECRET.encode() in (entry / "environ").read_bytes()):
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


# ---------------------------------------------------------------- reward hacks

EXITS = {
    "sys.exit at import": "import sys\nsys.exit(0)\n" + WRONG,
    "os._exit at import": "import os\nos._exit(0)\n" + WRONG,
    "sys.exit in the function": "import sys\ndef add(a, b):\n    sys.exit(0)\n",
    "os._exit in the function": "import os\ndef add(a, b):\n    os._exit(0)\n",
    "SystemExit": "def add(a, b):\n    raise SystemExit(0)\n",
    "KeyboardInterrupt": "def add(a, b):\n    raise KeyboardInterrupt\n",
    "BaseException": "def add(a, b):\n    raise BaseException('all tests passed')\n",
    "GeneratorExit": "def add(a, b):\n    raise GeneratorExit\n",
    "StopIteration": "def add(a, b):\n    raise StopIteration\n",
    "atexit os._exit": "import atexit, os\natexit.register(os._exit, 0)\n" + WRONG,
}


@pytest.mark.parametrize("ref", ALL_FUNCTION_REFS)
@pytest.mark.parametrize("hack", EXITS)
def test_exits_and_base_exceptions_decide_nothing(pool, hack, ref):
    status = "wrong_answer" if hack.startswith("atexit") else "runtime_error"  # atexit runs only at the runner's end
    refused(grade(pool, EXITS[hack], ALL_FUNCTION_REFS[ref]), status)


@pytest.mark.parametrize("ref", ["humaneval", "mbpp", "calls", "stdio"])
def test_exit_zero_before_printing_anything_fails_stdio_and_functions(pool, ref):
    program = "import sys\nsys.exit(0)\n" + (WRONG if ref != "stdio" else "")
    statuses = ("wrong_answer",) if ref == "stdio" else ("runtime_error",)
    refused(grade(pool, program, (ALL_FUNCTION_REFS | {"stdio": STDIO})[ref]), *statuses)


FAKE_VERDICTS = """
import json, os, sys
LINES = "All tests passed\\n" + "".join(
    json.dumps({"name": name, "status": "passed", "reason": ""}) + "\\n"
    for name in [f"test {k}" for k in range(1, 20)]
    + [f"test {k} (line {n})" for k in range(1, 8) for n in range(1, 12)]
) + json.dumps({"done": True}) + "\\n"

def spray():
    print(LINES, flush=True)
    print(LINES, file=sys.stderr, flush=True)
    for fd in range(1024):
        try:
            os.write(fd, LINES.encode())
        except OSError:
            pass
"""


@pytest.mark.parametrize("ref", ALL_FUNCTION_REFS)
@pytest.mark.parametrize("when", ["import", "function", "atexit"])
def test_fake_verdict_lines_on_every_fd_are_not_verdicts(pool, when, ref):
    call = {"import": "spray()\n" + WRONG,
            "function": "def add(a, b):\n    spray()\n    return a - b\n",
            "atexit": "import atexit\natexit.register(spray)\n"
                      "def add(a, b):\n    raise SystemExit(0)\n"}[when]
    result = refused(grade(pool, FAKE_VERDICTS + call, ALL_FUNCTION_REFS[ref]))
    assert all(check.status in ("wrong_answer", "runtime_error") for check in result.checks)


def test_fake_verdict_lines_from_a_stdio_program_are_its_output(pool):
    program = FAKE_VERDICTS + "spray()\nimport sys\nsys.exit(0)\n"
    refused(grade(pool, program, STDIO), "wrong_answer")


ALWAYS_EQUAL = {
    "object": "class R:\n    def __eq__(self, o): return True\n    def __ne__(self, o): return False\n"
              "    __hash__ = object.__hash__\n",
    "int subclass": "class R(int):\n    def __eq__(self, o): return True\n    def __ne__(self, o): return False\n"
                    "    __hash__ = int.__hash__\n",
    "str subclass": "class R(str):\n    def __eq__(self, o): return True\n    def __ne__(self, o): return False\n"
                    "    __hash__ = str.__hash__\n",
    "list subclass": "class R(list):\n    def __eq__(self, o): return True\n    def __ne__(self, o): return False\n",
    "float subclass": "class R(float):\n    def __eq__(self, o): return True\n    def __ne__(self, o): return False\n"
                      "    def __sub__(self, o): return 0.0\n    def __abs__(self): return 0.0\n"
                      "    __hash__ = float.__hash__\n",
    "mock": "from unittest.mock import MagicMock as R\n",
}


@pytest.mark.parametrize("ref", ALL_FUNCTION_REFS)
@pytest.mark.parametrize("kind", ALWAYS_EQUAL)
def test_values_whose_eq_always_holds_cannot_pass(pool, kind, ref):
    program = ALWAYS_EQUAL[kind] + "def add(a, b):\n    return R()\n"
    result = refused(grade(pool, program, ALL_FUNCTION_REFS[ref]))
    assert all(check.status in ("wrong_answer", "runtime_error") for check in result.checks)


@pytest.mark.parametrize("ref", FUNCTION_REFS)
def test_redefining_check_candidate_and_the_asserts_changes_nothing(pool, ref):
    program = """
    def check(candidate):
        return None
    def candidate(*args):
        return True
    def assert_(*args):
        return True
    AssertionError = None
    def add(a, b):
        return a - b
    """
    refused(grade(pool, program, FUNCTION_REFS[ref]), "wrong_answer")


SHADOWED = """
    def add(a, b):
        return None
    def abs(x):
        return 0
    def set(*args):
        return 1
    def sorted(*args):
        return 1
    def len(*args):
        return 1
    def isinstance(*args):
        return True
    def round(*args):
        return 1
    def all(*args):
        return True
    def AssertionError(*args):
        return None
    """


def test_a_programs_builtin_names_do_not_stand_in_for_the_tests_builtins(pool):
    # Once correct: true. bind() gave the tests the program's `abs` and `set` in place of the builtins.
    humaneval = json.dumps({"entry_point": "add", "test": textwrap.dedent("""\
        def check(candidate):
            assert abs(candidate(0.5, 0.25) - 0.75) < 1e-9
            assert abs(candidate(1.5, 1.0) - 2.5) < 1e-9
        check(add)
        """)})
    mbpp = json.dumps({"test_list": ["assert set(add([1], [2])) == set([1, 2])",
                                     "assert sorted(add([2], [1])) == sorted([1, 2])",
                                     "assert len(add([1], [2])) == len([1, 2])",
                                     "assert isinstance(add([1], [2]), list)",
                                     "assert round(add(0.25, 0.5), 2) == round(0.75, 2)",
                                     "assert all(x == y for x, y in zip(add([1], [2]), [1, 2]))"]})
    for reference in (humaneval, mbpp):
        result = refused(grade(pool, SHADOWED, reference), "wrong_answer", "runtime_error")
    assert {c.status for c in result.checks} == {"wrong_answer", "runtime_error"}
    # The same tests still pass a right answer that happens to define `abs` and `sorted` for itself.
    helper = "def abs(x):\n    return -x if x < 0 else x\ndef sorted(x):\n    return list(x)\n"
    assert grade(pool, helper + "def add(a, b):\n    return a + b\n", humaneval).correct
    assert grade(pool, helper + "def add(a, b):\n    return a + b\n", mbpp).correct


def test_stop_iteration_cannot_end_a_tests_iteration_early(pool):
    # Once correct: true. The proxy re-raised StopIteration, which all(map(...)) takes for the end.
    reference = json.dumps({"test_list": ["assert all(map(lambda p: add(*p) == p[0] + p[1], [(1, 2), (3, 4)]))",
                                          "assert list(map(add, [1], [2])) == [3]"]})
    refused(grade(pool, "def add(a, b):\n    raise StopIteration\n", reference), "runtime_error")
    assert grade(pool, CORRECT, reference).correct


@pytest.mark.parametrize("ref", ALL_FUNCTION_REFS)
def test_patching_builtins_json_and_wire_in_the_runner_changes_only_its_own_answers(pool, ref):
    program = """
    import builtins, json, sys
    class Yes:
        def __eq__(self, other): return True
        def __bool__(self): return True
    builtins.AssertionError = type("AssertionError", (Exception,), {})
    builtins.__dict__["__debug__"] = False
    builtins.abs = lambda x: 0
    builtins.set = lambda *a: 1
    fake = json.dumps({"name": "test 1", "status": "passed"})
    json.dumps = lambda *a, **k: fake
    json.loads = lambda *a, **k: {"name": "add", "args": []}
    sys.modules["wire"].encode = lambda value, depth=0: Yes()
    sys.modules["__main__"].encode = lambda value, depth=0: Yes()
    sys.modules["wire"].decode = lambda value: value
    def add(a, b):
        return a - b
    """
    refused(grade(pool, program, ALL_FUNCTION_REFS[ref]))


FRAME_READER = """
import gc, inspect, os, re, sys
PATTERN = re.compile("expected-[0-9a-f]{32}")

def _strings(value, depth=0):
    if isinstance(value, str):
        yield value
    elif isinstance(value, bytes):
        yield value.decode("latin-1")
    elif depth < 4 and isinstance(value, dict):
        for k, v in list(value.items()):
            yield from _strings(k, depth + 1)
            yield from _strings(v, depth + 1)
    elif depth < 4 and isinstance(value, (list, tuple, set, frozenset)):
        for v in list(value):
            yield from _strings(v, depth + 1)

def search():
    places = []
    frame = sys._getframe()
    while frame is not None:
        places += [frame.f_locals, frame.f_globals, frame.f_code.co_consts]
        frame = frame.f_back
    places += [info.frame.f_locals for info in inspect.stack()]
    places += [obj for obj in gc.get_objects() if isinstance(obj, (dict, list, tuple))]
    places += [sys.argv, dict(os.environ)]
    for root in ("/sandbox", "/tmp", "/"):
        for name in os.listdir(root):
            try:
                with open(os.path.join(root, name), "rb") as f:
                    places.append(f.read(1 << 20))
            except OSError:
                pass
    try:
        places.append(sys.stdin.read())
    except (OSError, ValueError):
        pass
    for place in places:
        for text in _strings(place):
            if "expected-" in text and (found := PATTERN.search(text)):
                return found.group()
    return None
"""


@pytest.mark.parametrize("ref", ["humaneval", "mbpp", "calls", "stdio"])
def test_the_expected_value_is_nowhere_the_program_can_look(pool, ref):
    references = {
        "humaneval": {"entry_point": "f", "test": f"def check(candidate):\n    assert candidate('a') == '{EXPECTED}'\n"
                                                  f"\ncheck(f)\n"},
        "mbpp": {"test_list": [f"assert f('a') == '{EXPECTED}'"]},
        "calls": {"fn_name": "f", "inputs": [["a"]], "outputs": [EXPECTED]},
        "stdio": {"inputs": ["a\n"], "outputs": [EXPECTED + "\n"]},
    }
    if ref == "stdio":
        program = FRAME_READER + "print(search() or 'nothing found')\n"
    else:
        program = FRAME_READER + "def f(x):\n    return search() or 'nothing found'\n"
    result = refused(grade(pool, program, json.dumps(references[ref])), "wrong_answer")
    assert "nothing found" in reasons(result) or ref in ("humaneval", "mbpp")  # asserts show no values


# ---------------------------------------------------------------- hostile programs

def test_pidfd_getfd_cannot_take_the_harness_stdout_to_forge_verdicts(pool):
    # Once correct: true. pidfd_open(1) + pidfd_getfd(fd 1) gave the program the verdict channel; it wrote
    # "passed" for every test name, then 1 MB of padding so the harness's own verdicts fell past the cap.
    program = """
    import ctypes, json, os
    libc = ctypes.CDLL(None, use_errno=True)
    def steal():
        pidfd = libc.syscall(434, 1, 0)  # pidfd_open(1)
        first = ctypes.get_errno()
        fds = [libc.syscall(438, pidfd, fd, 0) for fd in (1, 2, 0)]  # pidfd_getfd
        second = ctypes.get_errno()
        lines = "".join(json.dumps({"name": name, "status": "passed"}) + "\\n" for name in
                        [f"test {k}" for k in range(1, 9)] + [f"test {k} (line {n})" for k in range(1, 9)
                                                              for n in range(1, 12)])
        for fd in fds:
            try:
                os.write(fd, lines.encode() + b"x" * (1 << 20))
            except OSError:
                pass
        return f"pidfd {pidfd} errno {first}; fds {fds} errno {second}"
    STOLEN = steal()
    def add(a, b):
        raise ValueError(STOLEN + " | " + steal())
    """
    for reference in FUNCTION_REFS.values():
        result = refused(grade(pool, program, reference), "runtime_error")
        assert "pidfd -1 errno 1; fds [-1, -1, -1] errno 1" in result.checks[0].reason
    stdio = textwrap.dedent(program).replace("def add(a, b):\n    raise", "import sys\nsys.exit(")
    refused(grade(pool, stdio.rstrip() + ")\n", STDIO), "runtime_error")


@pytest.mark.parametrize("mode", ["function", "stdio"])
def test_ptrace_process_vm_readv_and_proc_mem_are_refused(pool, mode):
    probe = textwrap.dedent("""
    import ctypes, os
    libc = ctypes.CDLL(None, use_errno=True)
    def attempts():
        out = []
        for name, call in [
            ("ptrace", lambda: libc.ptrace(16, 1, None, None)),  # PTRACE_ATTACH to the harness
            ("seize", lambda: libc.ptrace(0x4206, 1, None, None)),
            ("vm_readv", lambda: libc.process_vm_readv(1, None, 0, None, 0, 0)),
            ("vm_writev", lambda: libc.process_vm_writev(1, None, 0, None, 0, 0)),
            ("kcmp", lambda: libc.syscall(312, 1, os.getpid(), 0, 1, 1)),
        ]:
            ctypes.set_errno(0)
            out.append(f"{name}={call()}/{ctypes.get_errno()}")
        for path in ("/proc/1/mem", "/proc/1/environ", "/proc/self/environ", "/dev/mem"):
            try:
                open(path, "rb").read(16)
                out.append("READ " + path)
            except OSError as e:
                out.append(type(e).__name__)
        return " ".join(out)
    """)
    reason = attempts_reported(pool, mode, probe)
    for name in ("ptrace", "seize", "vm_readv", "vm_writev", "kcmp"):
        assert f"{name}=-1/1" in reason, reason  # EPERM, from seccomp
    assert "READ" not in reason and reason.count("FileNotFoundError") == 4, reason


NAMESPACES_AND_MOUNTS = """
import ctypes, os, signal
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEW = {"ns": 0x20000, "cgroup": 0x2000000, "uts": 0x4000000, "ipc": 0x8000000, "user": 0x10000000,
             "pid": 0x20000000, "net": 0x40000000}

def call(*args):
    ctypes.set_errno(0)
    result = libc.syscall(*args)
    return f"{result}/{ctypes.get_errno()}"

def raw_clone(flags):
    ctypes.set_errno(0)
    pid = libc.syscall(56, flags | signal.SIGCHLD, 0, 0, 0, 0)  # clone, x86_64 argument order
    errno = ctypes.get_errno()
    if pid == 0:
        os._exit(0)
    if pid > 0:
        os.waitpid(pid, 0)
    return f"{pid}/{errno}"

def escape():
    # The red team's: a user namespace (every capability in it) with its own mounts and network, where
    # the new mount API put a fresh tmpfs over /tmp.
    r, w = os.pipe()
    ctypes.set_errno(0)
    flags = CLONE_NEW["user"] | CLONE_NEW["ns"] | CLONE_NEW["net"] | signal.SIGCHLD
    pid = libc.syscall(56, flags, 0, 0, 0, 0)
    errno = ctypes.get_errno()
    if pid == 0:
        fd = libc.syscall(430, b"tmpfs", 0)  # fsopen
        libc.syscall(431, fd, 6, None, None, 0)  # fsconfig(FSCONFIG_CMD_CREATE)
        mounted = libc.syscall(432, fd, 0, 0)  # fsmount
        moved = libc.syscall(429, mounted, b"", -100, b"/tmp", 4)  # move_mount(MOVE_MOUNT_F_EMPTY_PATH)
        os.write(w, f"{fd},{mounted},{moved}".encode())
        os._exit(0)
    os.close(w)
    if pid > 0:
        os.waitpid(pid, 0)
        return "MOUNTED:" + os.read(r, 100).decode()  # fsopen, fsmount, move_mount in the nested namespaces
    return f"{pid}/{errno}"

def attempts():
    seen = {"nested": escape()}
    seen |= {f"clone_{name}": raw_clone(flag) for name, flag in CLONE_NEW.items()}
    args = (ctypes.c_uint64 * 11)(CLONE_NEW["user"], 0, 0, 0, signal.SIGCHLD, 0, 0, 0, 0, 0, 0)
    ctypes.set_errno(0)
    pid = libc.syscall(435, ctypes.byref(args), 88)  # clone3, its flags in a struct seccomp cannot read
    if pid == 0:
        os._exit(0)
    if pid > 0:
        os.waitpid(pid, 0)
    seen["clone3"] = f"{pid}/{ctypes.get_errno()}"
    for name, args in [("fsopen", (430, b"tmpfs", 0)), ("fsconfig", (431, -1, 6, None, None, 0)),
                       ("fsmount", (432, -1, 0, 0)), ("move_mount", (429, -1, b"", -100, b"/tmp", 4)),
                       ("open_tree", (428, -100, b"/sandbox", 0)), ("fspick", (433, -100, b"/tmp", 0)),
                       ("mount_setattr", (442, -1, b"", 0, None, 0)),
                       ("open_tree_attr", (467, -100, b"/sandbox", 0, None, 0)),
                       ("io_uring_setup", (425, 8, ctypes.byref((ctypes.c_uint8 * 120)()))),
                       ("io_uring_enter", (426, -1, 0, 0, 0, None, 0)),
                       ("io_uring_register", (427, -1, 0, None, 0))]:
        seen[name] = call(*args)
    # EPERM from seccomp; ENOSYS for clone3. The reason is cut at 200 characters: the rest, first.
    other = [f"{name}={got}" for name, got in seen.items() if got != ("-1/38" if name == "clone3" else "-1/1")]
    return f"refused {len(seen) - len(other)} of {len(seen)}; " + " ".join(other)
"""


@pytest.mark.parametrize("mode", ["function", "stdio"])
def test_new_namespaces_the_new_mount_api_and_io_uring_are_refused(pool, mode):
    # Once allowed: a raw clone(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET) gave the program every capability
    # in a user namespace of its own, where it mounted a tmpfs over /tmp with fsopen/fsmount/move_mount and
    # opened a NETLINK_NETFILTER socket (nf_tables: kernel attack surface); open_tree and io_uring_setup
    # worked even without it. seccomp now refuses clone with any CLONE_NEW* flag, clone3 (ENOSYS, so that
    # glibc falls back to clone), the new mount API and io_uring.
    reason = attempts_reported(pool, mode, NAMESPACES_AND_MOUNTS)
    assert "refused 20 of 20;" in reason, reason


NORMAL_PROCESSES = """
import concurrent.futures, multiprocessing, os, subprocess, sys, threading

def work():
    out = []
    # 24 threads at once, each allocating: glibc's per-thread malloc arenas (64 MB reserved each, counted
    # by RLIMIT_AS) once stopped a program at 13 threads.
    barrier = threading.Barrier(24)
    def wait(k):
        barrier.wait(timeout=5)
        return len([k] * 100_000)
    with concurrent.futures.ThreadPoolExecutor(24) as threads:
        out.append(len(list(threads.map(wait, range(24)))))
    pid = os.fork()
    if pid == 0:
        os._exit(7)
    out.append(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
    out.append(int(subprocess.run([sys.executable, "-c", "print(6 * 7)"], capture_output=True, timeout=5).stdout))
    with multiprocessing.get_context("fork").Pool(2) as workers:  # its semaphores need /dev/shm
        out.append(sum(workers.map(abs, [-1, -2, 3])))
    return out

WORK = work()
assert WORK == [24, 7, 42, 6], WORK
"""


@pytest.mark.parametrize("mode", ["function", "stdio"])
def test_threads_fork_subprocess_and_multiprocessing_still_work(pool, mode):
    # The seccomp filter refuses clone3 (glibc's threads and posix_spawn fall back to clone) and clone with
    # a CLONE_NEW* flag: an ordinary program that threads, forks, runs a subprocess and a multiprocessing
    # pool still passes.
    program = NORMAL_PROCESSES + (CORRECT_STDIO if mode == "stdio" else CORRECT)
    result = grade(pool, program, STDIO if mode == "stdio" else MBPP, timeout=10)
    assert result.correct and all(check.status == "passed" for check in result.checks), reasons(result)


@pytest.mark.parametrize("mode", ["function", "import", "stdio"])
def test_fork_bomb_is_capped_and_leaves_no_process(pool, mode):
    marker = "bomb-" + uuid.uuid4().hex
    program = textwrap.dedent(f"""
    import os, sys
    # Each child forks for ever; it pauses after a refused fork only so that a loaded 2-core host still
    # gives the runner time to report.
    BOMB = ("import os, time\\nwhile True:\\n    try:\\n        os.fork()\\n"
            "    except OSError:\\n        time.sleep(0.05)\\n")
    def detach():
        null = os.open("/dev/null", os.O_RDWR)  # as daemons do: a stdio test's pipes must close
        for fd in (0, 1, 2):
            os.dup2(null, fd)
    def bomb():
        forked = 0
        for _ in range(1000):
            try:
                pid = os.fork()
            except OSError as e:
                return f"forked {{forked}} then {{type(e).__name__}}"
            if pid == 0:
                detach()
                os.execv(sys.executable, [sys.executable, "-c", BOMB, "{marker}"])
            forked += 1
        return f"forked {{forked}}"
    """)
    program += {"function": "def add(a, b):\n    raise ValueError(bomb())\n",
                "import": "REPORT = bomb()\ndef add(a, b):\n    raise ValueError(REPORT)\n",
                "stdio": "import sys\nsys.exit(bomb())\n"}[mode]
    result = refused(grade(pool, program, STDIO if mode == "stdio" else MBPP, max_tests=1, timeout=5))
    reason = result.checks[0].reason
    assert "forked" in reason and "BlockingIOError" in reason, reason
    forked = int(reason.split("forked ")[1].split()[0])
    assert 0 < forked < sandbox.Limits().max_processes, reason
    assert_no_process_left(marker)


@pytest.mark.parametrize("mode", ["function", "import", "stdio"])
def test_memory_bomb_hits_the_limit(pool, mode):
    bomb = "hog = []\nwhile True:\n    hog.append(bytearray(32 << 20))\n"
    program = {"function": "def add(a, b):\n" + textwrap.indent(bomb, "    "),
               "import": bomb + WRONG,
               "stdio": bomb}[mode]
    refused(grade(pool, program, STDIO if mode == "stdio" else MBPP, max_tests=1), "memory")


def test_a_gigabyte_of_output_is_cut_short(pool):
    flood = "import os, sys\nchunk = 'x' * (1 << 16)\nfor _ in range(1 << 14):\n    sys.stdout.write(chunk)\n"
    started = time.monotonic()
    refused(grade(pool, flood, STDIO, max_tests=1), "output_limit")
    assert time.monotonic() - started < 5
    # In a function: the runner's stdout and stderr lead nowhere; an over-long value is refused.
    program = ("import os, sys\ndef add(a, b):\n    chunk = 'x' * (1 << 16)\n    for _ in range(1 << 14):\n"
               "        sys.stdout.write(chunk)\n        os.write(2, chunk.encode())\n    return a - b\n")
    refused(grade(pool, program, MBPP, max_tests=1, timeout=4), "wrong_answer")
    refused(grade(pool, "def add(a, b):\n    return 'x' * (20 << 20)\n", MBPP, max_tests=1, timeout=4), "runtime_error")
    stderr_flood = "import sys\nchunk = 'x' * (1 << 16)\nfor _ in range(1 << 14):\n    sys.stderr.write(chunk)\n"
    refused(grade(pool, stderr_flood, STDIO, max_tests=1))


@pytest.mark.parametrize("mode", ["function", "import", "stdio"])
def test_infinite_loop_times_out(pool, mode):
    program = {"function": "def add(a, b):\n    while True:\n        pass\n",
               "import": "while True:\n    pass\n" + CORRECT,
               "stdio": "while True:\n    pass\n"}[mode]
    started = time.monotonic()
    refused(grade(pool, program, STDIO if mode == "stdio" else MBPP, max_tests=1, timeout=1), "timeout")
    assert time.monotonic() - started < 5


def test_files_outside_the_sandbox_cannot_be_read_or_written(pool, tmp_path):
    secret = "canary-" + uuid.uuid4().hex
    canaries = [tmp_path / "canary.txt", Path(grader.__file__).resolve().parents[1] / f".canary-{secret}"]
    if os.access(Path.home(), os.W_OK):
        canaries.append(Path.home() / f".canary-{secret}")
    try:
        for canary in canaries:
            canary.write_text(secret)
        before = [(c.stat().st_mtime_ns, c.stat().st_size) for c in canaries]
        program = f"""
        import os
        def attempts():
            out = []
            for path in {[str(c) for c in canaries]!r}:
                try:
                    out.append("READ " + open(path).read())
                except OSError as e:
                    out.append(type(e).__name__)
                try:
                    with open(path, "w") as f:
                        f.write("overwritten")
                    out.append("WROTE")
                except OSError as e:
                    out.append(type(e).__name__)
            for folder in {sorted({str(c.parent) for c in canaries})!r}:
                out.append("LISTED" if os.path.exists(folder) else "absent")
            return " ".join(out)
        def add(a, b):
            raise ValueError(attempts())
        """
        result = refused(grade(pool, program, MBPP, max_tests=1), "runtime_error")
        reason = reasons(result)
        assert secret not in reason and "READ" not in reason and "WROTE" not in reason and "LISTED" not in reason
        assert "FileNotFoundError" in reason, reason
        assert [c.read_text() for c in canaries] == [secret] * len(canaries)
        assert [(c.stat().st_mtime_ns, c.stat().st_size) for c in canaries] == before
    finally:
        for canary in canaries:
            canary.unlink(missing_ok=True)


@pytest.mark.parametrize("mode", ["function", "stdio"])
def test_the_graders_environment_is_not_visible(pool, mode):
    program = textwrap.dedent("""
    import os
    def look():
        out = [",".join(sorted(os.environ))]
        out += [value for key, value in os.environ.items() if "TOKEN" in key or "GRADER" in key]
        for path in ("/proc/1/environ", "/proc/self/environ", "/proc/self/cmdline"):
            try:
                out.append(open(path, "rb").read().decode(errors="replace"))
            except OSError as e:
                out.append(type(e).__name__)
        return " ".join(out)
    """)
    program += ("import sys\nsys.exit(look())\n" if mode == "stdio"
                else "def add(a, b):\n    raise ValueError(look())\n")
    result = refused(grade(pool, program, STDIO if mode == "stdio" else MBPP, max_tests=1), "runtime_error")
    reason = reasons(result)
    assert ENV_SECRET not in reason and "secret-xyz" not in reason
    assert "LANG,MALLOC_ARENA_MAX,PATH,PYTHONDONTWRITEBYTECODE FileNotFoundError FileNotFoundError FileNotFoundError" in reason, reason
    assert grader_workers(), "the worker that ran the item holds the secret: the test is not vacuous"


def test_the_network_is_unreachable(pool):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    try:
        program = f"""
        import socket
        def attempts():
            out = []
            for address in [("127.0.0.1", {port}), ("1.1.1.1", 53), ("8.8.8.8", 443)]:
                try:
                    socket.create_connection(address, timeout=1).close()
                    out.append("CONNECTED")
                except OSError as e:
                    out.append(f"{{type(e).__name__}}/{{e.errno}}")
            try:
                udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                udp.sendto(b"x", ("1.1.1.1", 53))
                out.append("SENT")
            except OSError as e:
                out.append(f"{{type(e).__name__}}/{{e.errno}}")
            try:
                unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                unix.connect("\\0grader")
                out.append("CONNECTED")
            except OSError as e:
                out.append(f"{{type(e).__name__}}/{{e.errno}}")
            return " ".join(out)
        def add(a, b):
            raise ValueError(attempts())
        """
        result = refused(grade(pool, program, MBPP, max_tests=1), "runtime_error")
        reason = result.checks[0].reason
        assert "CONNECTED" not in reason and "SENT" not in reason, reason
        assert "ConnectionRefusedError/111" in reason and reason.count("/101") == 3, reason  # ENETUNREACH
        with pytest.raises(BlockingIOError):
            listener.accept()  # nothing ever connected to the test's listening socket
    finally:
        listener.close()


KILLER = """
import os, signal, time
def kill_everything():
    for target in (os.getppid(), 1, -1):
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGSTOP, signal.SIGKILL):
            try:
                os.kill(target, sig)
            except OSError:
                pass
    time.sleep(0.2)
"""


@pytest.mark.parametrize("ref", ["humaneval", "mbpp", "calls", "stdio"])
def test_killing_the_parent_pid_1_and_everything_reaches_nothing_outside(pool, ref):
    # A right answer that first signals its parent, pid 1 and every process it may: the harness is unhurt
    # (pid 1 handles no signal), so every test still passes, and the grader's worker lives on.
    workers = grader_workers()
    if ref == "stdio":
        program = KILLER + "kill_everything()\n" + CORRECT_STDIO
    else:
        program = KILLER + "def add(a, b):\n    kill_everything()\n    return a + b\n"
    result = grade(pool, program, (ALL_FUNCTION_REFS | {"stdio": STDIO})[ref])
    assert result.correct and all(check.status == "passed" for check in result.checks), result.checks
    assert not workers or grader_workers() == workers


@pytest.mark.parametrize("mode", ["function", "stdio"])
def test_a_daemon_does_not_outlive_the_item(pool, mode):
    marker = "daemon-" + uuid.uuid4().hex
    program = textwrap.dedent(f"""
    import os, sys, time
    SLEEPER = "import time\\nopen('/tmp/{marker}', 'w').close()\\ntime.sleep(60)"
    def daemonize():
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                null = os.open("/dev/null", os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(null, fd)
                os.execv(sys.executable, [sys.executable, "-c", SLEEPER, "{marker}"])
            os._exit(0)
        for _ in range(100):
            if os.path.exists("/tmp/{marker}"):
                return "daemon started"
            time.sleep(0.02)
        return "no daemon"
    """)
    program += ("import sys\nsys.exit(daemonize())\n" if mode == "stdio"
                else "def add(a, b):\n    raise ValueError(daemonize())\n")
    result = refused(grade(pool, program, STDIO if mode == "stdio" else MBPP), "runtime_error")
    assert "daemon started" in result.checks[0].reason
    assert_no_process_left(marker)
    assert not list(Path("/tmp").glob(f"*{marker}*"))



def test_a_worker_killed_mid_sandbox_takes_its_sandbox_and_files_with_it(pool):
    """The worker believes it has 30 s; its pool gives up after 0.9 (a worker stalled, or a driver that
    miscounted): the worker is killed while the program still runs in its sandbox. The program must not
    run on, and its files must go."""
    import tempfile

    from grader.execution.workers import WorkerTimeout
    from grader.pipeline import grade_in_worker, plan_item

    marker = "capped-" + uuid.uuid4().hex
    program = f"import os, sys\nos.execv(sys.executable, [sys.executable, '-c', 'while True: pass', '{marker}'])\n"
    plan = plan_item({"response": f"```python\n{program}```", "reference": STDIO, "verifier": "code",
                      "options": {"timeout": 30, "budget": 30}})
    pool.run(len, ("warm",), 30)  # a started worker: the program runs well inside the 0.9 s
    seen = concurrent.futures.ThreadPoolExecutor(1).submit(settled, lambda: not processes_with(marker), 5.0)
    with pytest.raises(WorkerTimeout):
        pool.run(grade_in_worker, (plan, 30.0), 0.9)
    assert not seen.result(), "the program never ran: nothing was cut short"
    assert_no_process_left(marker)
    temporary = Path(tempfile.gettempdir())
    left = [path for pattern in ("grader-sandbox-*/solution.py", "grader-worker-*/grader-sandbox-*/solution.py")
            for path in temporary.glob(pattern) if marker in path.read_text()]
    assert not left, f"the sandbox's files outlived its worker: {left}"


def test_a_budget_too_short_for_the_sandbox_is_a_timeout_without_starting_it(pool):
    from grader.pipeline import DEFAULTS, Budget, Pipeline

    item = {"response": f"```python\n{CORRECT_STDIO}```", "reference": STDIO, "verifier": "code"}
    result = Pipeline(pool, budget=Budget(default=0.9, maximum=0.9)).grade(item, DEFAULTS)
    assert result.status == grader.Status.TIMEOUT and "too little to run its tests" in result.reason, result


def test_an_item_capped_by_the_server_reports_the_tests_that_finished(pool):
    """The item asks for 30 s, the server allows 3: its sandbox is sized to the 3 s, so it ends first and
    the test that passed is reported, not a bare TIMEOUT for the whole item."""
    from grader.pipeline import DEFAULTS, Budget, Pipeline

    program = "a, b = map(int, input().split())\nwhile a < 0:\n    pass\nprint(a + b)\n"  # spins on the 2nd test
    item = {"response": f"```python\n{program}```", "reference": STDIO, "verifier": "code",
            "options": {"timeout": 30, "budget": 30}}
    result = Pipeline(pool, budget=Budget(default=3.0, maximum=3.0)).grade(item, DEFAULTS)
    assert result.status == grader.Status.OK and not result.correct, result
    assert [c.status for c in result.checks] == ["passed", "timeout"], result.checks


def test_filling_the_disk_stays_in_the_sandbox(pool, tmp_path):
    marker = "fill-" + uuid.uuid4().hex
    before = {path: shutil.disk_usage(path).used for path in ("/", "/tmp", str(tmp_path))}
    program = f"""
    import os
    def fill(path):
        written = 0
        try:
            with open(path, "wb") as f:
                while written < (1 << 30):
                    f.write(b"x" * (1 << 20))
                    f.flush()
                    written += 1 << 20
        except OSError as e:
            return f"{{written >> 20}}MB {{type(e).__name__}}"
        return f"{{written >> 20}}MB FILLED"
    def attempts():
        out = [fill("/tmp/{marker}")]
        os.remove("/tmp/{marker}")
        for path in ("/sandbox/{marker}", "/{marker}", "/usr/{marker}", "{tmp_path}/{marker}"):
            out.append(fill(path))
        return " ".join(out)
    def add(a, b):
        raise ValueError(attempts())
    """
    result = refused(grade(pool, program, MBPP, max_tests=1), "runtime_error")
    reason = result.checks[0].reason
    assert "FILLED" not in reason, reason
    tmp_megabytes = int(reason.split("ValueError: ")[-1].split("MB")[0])
    assert 0 < tmp_megabytes <= 16, reason  # the sandbox's own 16 MB /tmp, or RLIMIT_FSIZE
    assert reason.count("0MB") >= 4, reason  # nothing at all anywhere else
    for folder in ("/tmp", str(tmp_path), os.getcwd(), str(Path(grader.__file__).resolve().parents[1])):
        assert not list(Path(folder).glob(f"*{marker}*")), folder
    for path, used in before.items():
        assert shutil.disk_usage(path).used - used < 256 << 20, path  # other work shares the disk; no GB grew


# ---------------------------------------------------------------- afterwards

def test_the_grader_still_works_after_the_hostile_batch(pool):
    for reference in ALL_FUNCTION_REFS.values():
        result = grade(pool, CORRECT, reference)
        assert result.correct and all(check.status == "passed" for check in result.checks)
    assert grade(pool, CORRECT_STDIO, STDIO).correct
    refused(grade(pool, WRONG, MBPP), "wrong_answer")
