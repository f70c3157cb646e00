"""The code verifier end to end, in its sandbox: each test format, each status, the options,
and the shared HumanEval cases."""

from __future__ import annotations

import json
import shutil

import pytest

import grader
from accuracy import CASES_DIR, load_cases
from grader import Status
from grader.execution import sandbox

pytestmark = pytest.mark.skipif(bool(sandbox.probe()), reason=f"no sandbox here: {sandbox.probe()}")

HUMANEVAL = json.dumps({"test": "def check(candidate):\n    assert candidate(2) == 4\n    assert candidate(-3) == 9\n"
                                "    assert candidate(0) == 0\n", "entry_point": "square"})
MBPP = json.dumps({"test_list": ["assert square(3) == 9", "assert square(4) == 16", "assert math.isqrt(square(5)) == 5"],
                   "test_imports": ["import math"]})
CALLS = json.dumps({"fn_name": "pair", "inputs": [[1, 2], [3, 4]], "outputs": [[1, 2], [3, 4]]})
STDIO = json.dumps({"inputs": ["2\n", "3 4\n"], "outputs": ["4\n", "9\n16"]})


def code(program: str, reference: str, **options) -> grader.GradeResult:
    result = grader.grade(f"Here you go.\n```python\n{program}\n```\n", reference, verifier="code",
                          **{"timeout": 2, **options})
    assert result.status is Status.OK, result.reason
    return result


def statuses(result: grader.GradeResult) -> list[str]:
    return [c.status for c in result.checks]


@pytest.mark.parametrize("reference", [HUMANEVAL, MBPP])
def test_asserts_formats(reference):
    assert code("def square(x):\n    return x * x", reference).correct
    wrong = code("def square(x):\n    return x + x", reference)
    assert not wrong.correct and "wrong_answer" in statuses(wrong) and wrong.method == "code+asserts"


def test_call_based_compares_after_a_json_round_trip():
    assert code("def pair(a, b):\n    return (a, b)", CALLS).correct  # a tuple equals the expected list
    assert code("class Solution:\n    def pair(self, a, b):\n        return [a, b]", CALLS).correct
    wrong = code("def pair(a, b):\n    return [b, a]", CALLS)
    assert statuses(wrong) == ["wrong_answer", "wrong_answer"] and "expected" in wrong.checks[0].reason
    assert not code("def pair(a, b):\n    return {a, b}", CALLS).correct  # a set is no JSON value


def test_stdio_compares_lines_ignoring_trailing_space():
    program = "nums = list(map(int, input().split()))\nfor n in nums:\n    print(n * n, '  ')"
    assert code(program, STDIO).correct
    wrong = code("print(1)", STDIO)
    assert statuses(wrong) == ["wrong_answer", "wrong_answer"] and "line 1" in wrong.checks[0].reason


@pytest.mark.parametrize("program,status", [
    ("def square(x):\n    raise ValueError('nope')", "runtime_error"),
    ("def square(x):\n    while True:\n        pass", "timeout"),
    ("def square(x):\n    return bytearray(4 * 1024 ** 3)", "memory"),
    ("def square(x)\n    return x", "compile_error"),
    ("import os\ndef square(x):\n    os._exit(3)", "runtime_error"),
])
def test_statuses_in_functions(program, status):
    result = code(program, HUMANEVAL, timeout=1)
    assert not result.correct and statuses(result)[0] == status, result.checks


@pytest.mark.parametrize("program,status", [
    ("import sys\nprint('x' * 10)\nsys.exit(1)", "runtime_error"),
    ("while True:\n    pass", "timeout"),
    ("while True:\n    print('y' * 65536)", "output_limit"),
    ("print(", "runtime_error"),
])
def test_statuses_in_stdio(program, status):
    result = code(program, STDIO, timeout=1)
    assert not result.correct and statuses(result)[0] == status, result.checks


def test_a_program_that_recovers_after_a_timeout_passes_the_next_tests():
    program = "def square(x):\n    while x == 2:\n        pass\n    return x * x"
    result = code(program, HUMANEVAL, timeout=1, scoring="fraction")
    assert statuses(result) == ["timeout", "passed", "passed"] and result.score == pytest.approx(2 / 3)


def test_stop_on_first_failure_and_max_tests():
    result = code("def square(x):\n    return 4", HUMANEVAL, stop_on_first_failure=True)
    assert statuses(result) == ["passed", "wrong_answer", "skipped"]
    assert code("def square(x):\n    return 4", HUMANEVAL, max_tests=1).correct


def test_a_test_expecting_an_exception_sees_the_builtin_type():
    reference = json.dumps({"test_list": ["try:\n    f(-1)\n    raise AssertionError('no error')\nexcept ValueError:\n"
                                          "    pass"]})
    assert code("def f(x):\n    if x < 0:\n        raise ValueError('negative')\n    return x", reference).correct
    assert not code("def f(x):\n    return x", reference).correct


NAME = "code_dev.jsonl"


@pytest.mark.skipif(not (CASES_DIR / NAME).exists(), reason=f"{CASES_DIR / NAME} is not present")
def test_shared_humaneval_cases(capsys):
    cases = load_cases(NAME)
    results = grader.grade_many([{"response": c["response"], "reference": c["reference"], "verifier": "code"}
                                 for c in cases])
    wrong = [(c["id"], r.status, r.reason[:120]) for c, r in zip(cases, results)
             if r.status is not Status.OK or r.correct != c["expected"]]
    with capsys.disabled():
        print(f"\n{NAME}: {len(cases) - len(wrong)}/{len(cases)} as labelled")
    assert not wrong


def test_stdio_tests_in_parallel_keep_their_order():
    reference = json.dumps({"inputs": [str(i) for i in range(6)], "outputs": [str(i * i) for i in range(6)]})
    program = "import time\nn = int(input())\ntime.sleep(0.05 * (6 - n))\nprint(n * n if n % 2 else -1)"
    result = code(program, reference, parallel_tests=4)
    assert statuses(result) == ["wrong_answer", "passed"] * 3
    assert [c.name for c in result.checks] == [f"test {i}" for i in range(1, 7)]


# --- C++ (stdin/stdout tests, compiled with the system g++ inside the sandbox) -----------------------

CPP_SUM = json.dumps({"inputs": ["3 4\n", "10 -2\n"], "outputs": ["7", "8"]})


def cpp(program: str, **options) -> grader.GradeResult:
    result = grader.grade(f"```cpp\n{program}\n```", CPP_SUM, verifier="code", language="cpp",
                          **{"timeout": 2, **options})
    assert result.status is Status.OK, result.reason
    return result


@pytest.mark.skipif(shutil.which("g++") is None, reason="no g++ here")
@pytest.mark.parametrize("program,status", [
    ("#include <iostream>\nint main(){long long a,b; std::cin>>a>>b; std::cout<<a+b<<'\\n';}", "passed"),
    ("#include <iostream>\nint main(){long long a,b; std::cin>>a>>b; std::cout<<a-b<<'\\n';}", "wrong_answer"),
    ("#include <iostream>\nint main(){ std::cout << undeclared; }", "compile_error"),
    ("int main(){ volatile int *p = nullptr; return *p; }", "runtime_error"),
    ("int main(){ for(;;){} }", "timeout"),
    ("#include <cstdio>\nint main(){ for(;;) std::puts(\"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\"); }", "output_limit"),
])
def test_cpp_statuses(program, status):
    result = cpp(program)
    assert statuses(result)[0] == status, result.checks
    assert result.method == "code+stdio"


@pytest.mark.skipif(shutil.which("g++") is None, reason="no g++ here")
def test_cpp_cannot_read_outside_or_reach_the_network():
    program = ("#include <cstdio>\n#include <sys/socket.h>\n#include <netinet/in.h>\n#include <arpa/inet.h>\n"
               "int main(){ if (std::fopen(\"/etc/passwd\", \"r\")) return 3;\n"
               "  int s = socket(AF_INET, SOCK_STREAM, 0); sockaddr_in a{}; a.sin_family = AF_INET; a.sin_port = htons(53);\n"
               "  inet_pton(AF_INET, \"1.1.1.1\", &a.sin_addr); if (connect(s, (sockaddr*)&a, sizeof a) == 0) return 4;\n"
               "  long long x, y; if (std::scanf(\"%lld %lld\", &x, &y) == 2) std::printf(\"%lld\\n\", x + y); }")
    assert cpp(program).correct


def test_numbers_within_the_references_tolerance():
    stdio = json.dumps({"inputs": ["2\n"], "outputs": ["1.4142135"], "tolerance": 1e-6})
    assert code("print(2 ** 0.5)", stdio).correct
    assert not code("print(1.4142)", stdio).correct
    assert not code("print(2 ** 0.5)", json.dumps({"inputs": ["2\n"], "outputs": ["1.4142135"]})).correct
    calls = json.dumps({"fn_name": "root", "inputs": [[2]], "outputs": [[1.4142135, "x"]], "tolerance": 1e-6})
    assert code("def root(n):\n    return [n ** 0.5, 'x']", calls).correct


def test_served_an_item_over_the_servers_cap_still_reports_the_tests_that_finished():
    """The item asks for 30 s; `--max-item-timeout 3` cuts it to 3. The worker's sandbox is sized to the 3 s
    it was granted, so the passed test is reported, not a bare TIMEOUT for the whole item."""
    from grader.client import GraderClient
    from servers import Server

    program = "nums = list(map(int, input().split()))\nwhile len(nums) > 1:\n    pass\nfor n in nums:\n    print(n * n)"
    server = Server("--workers", "1", "--item-timeout", "3", "--max-item-timeout", "3")
    try:
        with GraderClient(server.target, timeout=30) as client:
            result = client.grade(f"```python\n{program}\n```", STDIO, verifier="code", timeout=30, budget=30)
    finally:
        assert server.stop() == 0
    assert result.status is Status.OK and statuses(result) == ["passed", "timeout"], result


def test_the_grade_command_reads_humaneval_and_mbpp_rows_as_they_come(tmp_path):
    """human-eval's samples joined with its problems (prompt, completion, test, entry_point) and MBPP rows
    (test_list) need no reference: the command makes the code item from the row's own fields."""
    from grader import cli

    humaneval = {"task_id": "t/0", "prompt": "def square(x):\n    \"\"\"x times x.\"\"\"\n",
                 **json.loads(HUMANEVAL)}
    mbpp = {"task_id": 2, "text": "Square a number.", **json.loads(MBPP)}
    rows = [{**humaneval, "completion": "    return x * x\n"}, {**humaneval, "completion": "    return x + x\n"},
            {**mbpp, "response": "```python\ndef square(x):\n    return x * x\n```"}]
    source, out = tmp_path / "samples.jsonl", tmp_path / "out.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows))
    assert cli.main(["grade", str(source), "-o", str(out), "--no-progress"]) == 0
    graded = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(g["status"], g["correct"]) for g in graded] == [("OK", True), ("OK", False), ("OK", True)]
    assert [len(g["checks"]) for g in graded] == [3, 3, 3]
