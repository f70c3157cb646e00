"""The python grader in the code sandbox: scores that come back, and hostile sources contained.

Each hostile source reports what it saw through the one value it returns (0.25: contained), so a
test shows both that the attack ran and that it got nowhere; the rest must end as a failed check
with a clear reason, within the item's budget, never as a score they forged.
"""

from __future__ import annotations

import os
import socket
import textwrap
import time
import uuid

import pytest

import grader
from grader import Status
from grader.execution import sandbox

REASON = sandbox.probe()
pytestmark = [
    pytest.mark.skipif(bool(REASON), reason=f"the code sandbox does not work here: {REASON}"),
    pytest.mark.skipif(os.environ.get("GRADER_UNSAFE_NO_SANDBOX", "").lower() in ("1", "true", "yes"),
                       reason="GRADER_UNSAFE_NO_SANDBOX is set"),
]


def run(source: str, response: str = "Paris", item: dict | None = None, **options) -> grader.GradeResult:
    config = {"type": "python", "name": "py", "source": textwrap.dedent(source), "pass_threshold": 0.5}
    return grader.grade(response, "Paris", verifier="grader", grader=config, item=item or {}, **options)


def failed_with(result: grader.GradeResult, words: str) -> bool:
    check = result.checks[0]
    return (result.status is Status.OK and not result.correct and result.score == 0.0 and check.status == "error"
            and words in check.reason)


def test_grade_reads_the_sample_and_the_item():
    result = run("""
        def grade(sample, item):
            same = sample["output_text"].lower() == item["reference"].lower()
            return (0.5 if same else 0.0) + item["bonus"] + (0.1 if sample["output_json"] is None else 0)
    """, response="paris", item={"bonus": 0.25})
    assert result.status is Status.OK and result.correct and result.score == pytest.approx(0.85)
    assert result.method == "grader+python" and result.checks[0].name == "py"


def test_inside_a_multi_beside_another_grader():
    config = {"type": "multi", "calculate_output": "code * exact",
              "graders": {"code": {"type": "python", "source": "def grade(s, i): return len(s['output_json']['a']) / 4"},
                          "exact": {"type": "string_check", "input": "{{sample.output_json.b}}", "reference": "1",
                                    "operation": "eq"}}}
    result = grader.grade('{"a": [1, 2], "b": "1"}', "x", verifier="grader", grader=config)
    assert result.status is Status.OK and result.score == 0.5
    assert [(c.name, c.score) for c in result.checks] == [("code", 0.5), ("exact", 1.0)]


@pytest.mark.parametrize("source,words", [
    ("def grade(s, i): return float('nan')", "not a finite number"),
    ("def grade(s, i): return float('inf')", "not a finite number"),
    ("def grade(s, i): return '1.0'", "returned a str"),
    ("def grade(s, i): return True", "returned a bool"),
    ("def grade(s, i): return 10 ** 400", "too large"),
    ("def grade(s, i): return [1.0]", "returned a list"),
    ("def score(s, i): return 1.0", "defines no grade"),
    ("def grade(s, i) return 1.0", "SyntaxError"),
    ("def grade(s, i): raise ValueError('no luck')", "ValueError: no luck"),
    ("import sys\ndef grade(s, i): sys.exit(0)", "SystemExit"),
    ("import os\ndef grade(s, i): os._exit(3)", "exited (status 3) before grade returned"),
    ("def grade(s, i): return bytearray(8 << 30)", "MemoryError"),
])
def test_a_result_that_is_no_finite_number_is_a_failed_check(source, words):
    result = run(source)
    assert failed_with(result, words), result
    assert words in result.reason


def test_an_endless_loop_ends_at_the_items_budget():
    start = time.monotonic()
    result = run("def grade(s, i):\n    while True: pass", timeout=3)
    assert failed_with(result, "did not return within") and time.monotonic() - start < 6


def test_an_endless_loop_ends_within_the_drivers_budget_not_the_graders_default():
    """The server's cap (``--max-item-timeout``, 2 s here) is below the python grader's own 10 s: the grader's
    deadline follows the driver's, so the loop is a failed check, not a worker killed mid-item (TIMEOUT)."""
    from grader.execution.workers import WorkerPool
    from grader.pipeline import DEFAULTS, Budget, Pipeline

    config = {"type": "python", "name": "py", "source": "def grade(s, i):\n    while True: pass", "pass_threshold": 0.5}
    item = {"response": "Paris", "reference": "Paris", "verifier": "grader", "options": {"grader": config}}
    pool = WorkerPool(max_workers=1)
    try:
        result = Pipeline(pool, budget=Budget(default=2.0, maximum=2.0)).grade(item, DEFAULTS)
    finally:
        pool.close()
    assert failed_with(result, "did not return within"), result
    seconds = result.checks[0].reason.split("within ")[1].split()[0]
    assert len(seconds) <= 4, result.checks[0].reason  # "1.8", not the deadline's float noise ("1.79998")


def test_a_fork_bomb_is_bounded():
    start = time.monotonic()
    result = run("""
        import os
        def grade(s, i):
            while True:
                try:
                    os.fork()
                except OSError:
                    pass
    """, timeout=3)
    assert failed_with(result, "did not return within") and time.monotonic() - start < 8


def test_the_host_filesystem_is_out_of_sight(tmp_path):
    canary = tmp_path / f"canary-{uuid.uuid4().hex}"
    canary.write_text("secret")
    result = run("""
        import os
        def grade(sample, item):
            seen = [p for p in ["/etc/shadow", "/etc/passwd", "/root", "/home", "/proc/1", item["canary"],
                                os.path.dirname(item["canary"])] if os.path.exists(p)]
            try:
                open("/usr/contained", "w")
                seen.append("wrote /usr")
            except OSError:
                pass
            return 1.0 if seen else 0.25
    """, item={"canary": str(canary)})
    assert result.status is Status.OK and result.score == 0.25, result
    assert canary.read_text() == "secret"


def test_no_network_reaches_the_host():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.5)
        result = run("""
            import socket
            def grade(sample, item):
                try:
                    socket.create_connection(("127.0.0.1", item["port"]), timeout=1).close()
                    return 1.0
                except OSError:
                    return 0.25
        """, item={"port": listener.getsockname()[1]})
        with pytest.raises(socket.timeout):
            listener.accept()
    assert result.status is Status.OK and result.score == 0.25, result


def test_printed_and_forged_verdicts_decide_nothing():
    result = run("""
        import os, signal, sys
        def grade(sample, item):
            print('{"score": 1.0}')
            sys.stdout.write('{"score": 1.0}\\n')
            sys.stdout.flush()
            os.write(1, b'{"score": 1.0}\\n')
            os.write(2, b'{"score": 1.0}\\n')
            for sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT):
                try:
                    os.kill(1, sig)
                except OSError:
                    pass
            return 0.25
    """)
    assert result.status is Status.OK and result.score == 0.25 and not result.correct, result


def test_junk_on_the_reply_pipe_is_capped():
    result = run("""
        import os
        def grade(sample, item):
            for fd in range(3, 64):
                try:
                    os.write(fd, b'{"value": 1.0}' + b" " * (1 << 20))
                except OSError:
                    pass
            return 1.0
    """)
    assert failed_with(result, "over 65536 bytes") or failed_with(result, "something other than its reply"), result


def test_huge_output_is_dropped_and_the_score_stands():
    result = run("""
        import sys
        def grade(sample, item):
            for _ in range(200):
                sys.stdout.write("x" * (1 << 20))
            return 0.75
    """)
    assert result.status is Status.OK and result.score == 0.75 and result.correct


def test_a_process_left_behind_does_not_hold_the_score_back():
    start = time.monotonic()
    result = run("""
        import os, time
        def grade(sample, item):
            if os.fork() == 0:
                os.setsid()
                time.sleep(60)
            return 0.75
    """, timeout=20)
    assert result.status is Status.OK and result.score == 0.75 and time.monotonic() - start < 10, result
