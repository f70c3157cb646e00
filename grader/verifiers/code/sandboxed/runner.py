"""Runs inside the sandbox, in the program's own process: load the program, then answer calls.

Forked by ``harness.py`` before it reads the tests (``serve``), or started later as
``python -I -S runner.py PROGRAM IN_FD OUT_FD`` after the program died. It never sees a
test: the harness sends only a function name and arguments, and compares what comes back
itself. Values cross as tagged JSON (``wire``); a value of any other type, or of a subclass
(an ``int`` whose ``__eq__`` always holds), cannot be sent, so it cannot pass a test. Whatever
the program does to this process, it can only change the answers it gives.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I leaves the script's folder out
from wire import MAX_MESSAGE, decode, encode  # noqa: E402


def main():
    serve(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))


def serve(program, fd_in, fd_out):
    """Load the program, then answer calls on ``fd_in`` until it closes."""
    requests, replies = os.fdopen(fd_in, "rb"), os.fdopen(fd_out, "wb")

    def reply(message):
        replies.write(json.dumps(message).encode() + b"\n")
        replies.flush()

    namespace = {"__name__": "solution", "__builtins__": __builtins__}
    try:
        with open(program, encoding="utf-8") as f:
            source = f.read()
        code = compile(source, "solution.py", "exec")
    except (SyntaxError, ValueError) as e:
        reply({"compile_error": f"{type(e).__name__}: {e}"})
        return
    try:
        exec(code, namespace)
    except BaseException as e:  # noqa: BLE001 - SystemExit and KeyboardInterrupt included
        reply({"load_error": f"{type(e).__name__}: {_text(e)}", "memory": isinstance(e, MemoryError)})
        return
    reply({"names": sorted(k for k, v in namespace.items() if callable(v) and not k.startswith("__"))})
    while line := requests.readline(MAX_MESSAGE):
        request = json.loads(line)
        try:
            target = namespace[request["name"]]
            if request.get("method"):
                target = getattr(target(), request["method"])
            result = target(*decode(request["args"]))
        except BaseException as e:  # noqa: BLE001
            reply({"raised": type(e).__name__, "message": _text(e), "memory": isinstance(e, MemoryError)})
            continue
        try:
            message = {"value": encode(result)}
        except (TypeError, RecursionError) as e:
            message = {"unsendable": str(e)}
        reply(message)


def _text(error):
    try:
        return str(error)[:300]
    except BaseException:  # noqa: BLE001 - a __str__ that raises
        return ""


if __name__ == "__main__":
    main()
