"""The shaped reward (a verifier sub-grader with format and length terms) in real worker processes: over
gRPC, and in-process where a sub-verifier's NeedsWorker sends the whole grader plan to a killable worker."""

from __future__ import annotations

import json
import time

import pytest

import grader
from grader import Status
from grader.client import GraderClient
from grader.execution.workers import WorkerPool
from servers import Server

SHAPED = {"type": "multi", "calculate_output": "correctness + 0.1 * format + overlong",
          "graders": {"correctness": {"type": "verifier", "verifier": "math"},
                      "format": {"type": "format", "think": True, "boxed": True, "nothing_after": True},
                      "overlong": {"type": "length", "max_length": 400, "cache_length": 100}}}
SYMPY_ONLY = (r"<think>sin of pi over four</think> \boxed{\sin\frac{\pi}{4}}", r"\frac{\sqrt{2}}{2}")


@pytest.fixture(scope="module")
def client():
    server = Server()
    with GraderClient(server.target) as c:
        yield c
    server.stop()


def test_the_shaped_reward_over_grpc(client):
    result = client.grade(*SYMPY_ONLY, verifier="grader", grader=SHAPED)
    assert result.status is Status.OK and result.score == pytest.approx(1.1)
    checks = {c.name: c for c in result.checks}  # a Struct's keys come in its own order, not the config's
    assert set(checks) == {"correctness", "format", "overlong"} and "sympy" in checks["correctness"].reason
    genes = {"type": "ranked_list", "reference": '["TP53", "p53"]', "scoring": "top_k", "k": 2}
    assert client.grade("1. BRCA-1\n2. p-53", "x", verifier="grader", grader=genes).score == 1.0
    assert client.grade("<answer>the Nile</answer>", json.dumps({"target": ["Nile"]}), verifier="qa").correct


def test_a_sub_verifier_escalates_in_process_to_a_real_worker():
    pool = WorkerPool(1)
    try:
        result = grader.grade(*SYMPY_ONLY, verifier="grader", grader=SHAPED, pool=pool)
        huge = grader.grade("1. BRCA1\n" + "x " * 60_000, "BRCA1", verifier="grader",
                            grader={"type": "ranked_list"}, pool=pool)
    finally:
        pool.close()
    assert result.status is Status.OK and result.score == pytest.approx(1.1)
    assert huge.status is Status.OK and huge.score == 1.0


def code_shaped(response: str, timeout: float, graders: dict | None = None, **code_options) -> grader.GradeResult:
    """``response`` graded by a code sub-grader (MBPP tests of ``add``) plus a format term (or ``graders``),
    in a real worker."""
    from grader.execution import sandbox
    if sandbox.probe():
        pytest.skip(f"the code sandbox does not work here: {sandbox.probe()}")
    graders = graders or {"tests": {"type": "verifier", "verifier": "code", "options": code_options},
                          "format": {"type": "format", "think": True}}
    config = {"type": "multi", "calculate_output": " + ".join(graders), "graders": graders}
    reference = json.dumps({"test_list": ["assert add(1, 2) == 3", "assert add(-1, 1) == 0"]})
    pool = WorkerPool(1)
    try:
        return grader.grade(response, reference, verifier="grader", grader=config, pool=pool, timeout=timeout)
    finally:
        pool.close()


def test_a_code_sub_grader_runs_in_the_sandbox_under_the_grader_items_timeout():
    result = code_shaped("<think>add</think>\n```python\ndef add(a, b):\n    return a + b\n```", timeout=30)
    assert result.status is Status.OK and result.score == pytest.approx(2.0), result.checks


def test_a_code_sub_grader_ends_inside_the_grader_items_budget_and_keeps_its_evidence():
    """The code verifier alone would plan 12 s (5 s per test + 2); the grader item has 3. Its sandbox is sized to
    what is left of the 3 s, so the test that passed is reported rather than the whole item timing out."""
    spins_on_the_second = "def add(a, b):\n    while a < 0:\n        pass\n    return a + b\n"
    result = code_shaped(f"<think>add</think>\n```python\n{spins_on_the_second}```", timeout=3, scoring="fraction")
    assert result.status is Status.OK and result.score == pytest.approx(1.5), result
    tests = next(c for c in result.checks if c.name == "tests")
    assert "budget ran out" in tests.reason, tests


SPINS_ON_THE_SECOND = "<think>add</think>\n```python\ndef add(a, b):\n    while a < 0:\n        pass\n    return a + b\n```"


def test_a_code_sub_grader_keeps_its_own_smaller_budget():
    """The grader item has 30 s; the code sub-grader asks for 2. Its sandbox gets the 2, not what is left of the 30."""
    start = time.monotonic()
    result = code_shaped(SPINS_ON_THE_SECOND, timeout=30, budget=2, scoring="fraction")
    tests = next(c for c in result.checks if c.name == "tests")
    assert result.status is Status.OK and "budget ran out" in tests.reason, result
    assert time.monotonic() - start < 10  # the per-test timeout (5 s) was never reached


def test_a_code_sub_grader_left_too_little_time_is_a_failed_check_not_a_lost_item():
    """The first sub-grader spends the grader item's budget; the second has too little left to start its
    sandbox. It fails on its own; the first keeps its evidence (the item did not time out)."""
    first = {"type": "verifier", "verifier": "code", "options": {"scoring": "fraction"}}
    result = code_shaped(SPINS_ON_THE_SECOND, timeout=4, graders={"first": first, "second": dict(first)})
    assert result.status is Status.OK, result
    checks = {c.name: c for c in result.checks}
    assert checks["first"].score == 0.5 and "budget ran out" in checks["first"].reason, checks
    assert checks["second"].score == 0.0 and "budget" in checks["second"].reason, checks
