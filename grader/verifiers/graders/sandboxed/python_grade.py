"""The python grader's runner: pid 1 of the sandbox. Runs the config's ``grade(sample, item)`` in a
child process and writes the score, the one line on its stdout.

Started as ``python -I -S python_grade.py`` with ``{"source", "sample", "item", "timeout",
"max_reply"}`` as JSON on stdin. The source runs in a forked child that holds neither this
process's stdout nor its stderr (both are /dev/null there), only a pipe for its value: nothing
it prints, and nothing it does, reaches the verdict channel; it can only choose the value it
returns. This process handles no signal and is not dumpable (``harness.harden``, the code
verifier's). The verdict: ``{"score": x}`` for a finite number, else ``{"error": why}``.
"""

import json
import math
import os
import select
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I leaves the script's folder out
from harness import _death, harden, kill_tree  # noqa: E402  (the code verifier's harness, shipped alongside)


def run_source(spec, reply_fd):
    """In the child: the source's grade(sample, item), sent as one JSON message on ``reply_fd``."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.closerange(3, reply_fd), os.closerange(reply_fd + 1, 1024)
    os.setsid()
    os.chdir("/tmp")
    try:
        namespace = {"__name__": "grader_source"}
        exec(compile(spec["source"], "grader.py", "exec"), namespace)
        grade = namespace.get("grade")
        if not callable(grade):
            message = {"error": "the source defines no grade(sample, item) function"}
        else:
            value = grade(spec["sample"], spec["item"])
            kind = type(value)  # exactly int or float: a subclass could be anything when read back
            message = {"value": value} if kind is int or kind is float else {"error": f"grade returned a "
                                                                                       f"{kind.__name__}, not a number"}
        data = json.dumps(message).encode()
    except BaseException as e:  # noqa: BLE001 - SystemExit and KeyboardInterrupt included
        data = json.dumps({"error": f"{type(e).__name__}: {_text(e)}"}).encode()
    while data:
        data = data[os.write(reply_fd, data):]


def _text(error):
    try:
        return str(error)[:300]
    except BaseException:  # noqa: BLE001 - a __str__ that raises
        return ""


OVER = object()


def read_reply(fd, pid, deadline, cap):
    """(the child's bytes, its exit status or None): until the pipe closes, or the child has exited and
    nothing more is there (a process it left behind may hold the pipe open). The bytes are None at the
    deadline, OVER past the cap."""
    chunks, size, status = [], 0, None
    while status is None:
        left = deadline - time.monotonic()
        if left <= 0:
            return None, None
        ready, _, _ = select.select([fd], [], [], min(left, 0.05))
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > cap:
                return OVER, None
            continue
        done, code = os.waitpid(pid, os.WNOHANG)
        if done:
            status = os.waitstatus_to_exitcode(code)
    return b"".join(chunks), status


def reap(pid, status, deadline):
    """The child's exit status once it ends (by the deadline), else None; then its group is killed."""
    while status is None and time.monotonic() < deadline:
        done, code = os.waitpid(pid, os.WNOHANG)
        if done:
            status = os.waitstatus_to_exitcode(code)
        else:
            time.sleep(0.005)
    kill_tree(pid)
    if status is None:
        os.waitpid(pid, 0)
    return status


def verdict(reply, status, spec):
    if reply is None:
        return {"error": f"grade did not return within {spec['timeout']:.3g} s"}
    if reply is OVER:
        return {"error": f"the grader process wrote over {spec['max_reply']} bytes on its reply pipe"}
    if not reply:
        if status:
            return {"error": _death(status).replace("during the test", "before grade returned")}
        return {"error": "the grader process ended before grade returned"}
    try:
        message = json.loads(reply)
    except (ValueError, RecursionError):
        return {"error": "the grader process wrote something other than its reply"}
    if not isinstance(message, dict):
        return {"error": "the grader process wrote something other than its reply"}
    if "error" in message:
        return {"error": str(message["error"])[:300]}
    value = message.get("value")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return {"error": "the grader process wrote something other than its reply"}
    try:
        score = float(value)
    except OverflowError:
        return {"error": "grade returned an integer too large for a float"}
    if not math.isfinite(score):
        return {"error": f"grade returned {score}, not a finite number"}
    return {"score": score}


def main():
    harden()
    spec = json.loads(sys.stdin.buffer.read())
    deadline = time.monotonic() + spec["timeout"]
    replies, reply_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(replies)
            run_source(spec, reply_fd)
        finally:
            os._exit(0)
    os.close(reply_fd)
    reply, status = read_reply(replies, pid, deadline, spec["max_reply"])
    status = reap(pid, status, min(deadline, time.monotonic() + 0.5))
    sys.stdout.write(json.dumps(verdict(reply, status, spec)) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
