"""The code verifier without running anything: reading references, finding the program, the
value wire, and turning the harness's lines into checks."""

from __future__ import annotations

import json
import math

import pytest

import grader
from grader import Status
from grader.execution.sandbox import Completed
from grader.verifiers.base import InvalidItem, NeedsWorker
from grader.verifiers.code import CodeOptions, CodeVerifier, _verdict
from grader.verifiers.code.extract import MAX_PARSED_CHARS, defines, extract_program, without_reasoning
from grader.verifiers.code.sandboxed import wire
from grader.verifiers.code.spec import parse_reference
from grader.types import Item

HUMANEVAL = json.dumps({"test": "METADATA = {}\n\ndef check(candidate):\n    assert candidate(1) == 2\n"
                                "    x = 3\n    assert candidate(x) == 4\n    for i in range(3):\n"
                                "        assert candidate(i) == i + 1\n\ncheck(inc)\n", "entry_point": "inc"})


# --- references ------------------------------------------------------------------------------

def test_humaneval_splits_check_into_one_test_per_assert():
    suite = parse_reference(HUMANEVAL)
    assert suite.mode == "asserts" and suite.entry_point == "inc"
    assert [t["name"] for t in suite.tests] == ["test 1 (line 4)", "test 2 (line 6)", "test 3 (line 7)"]
    assert "x = 3" in suite.tests[1]["code"]  # the statements between run with the next assert
    assert "METADATA" in suite.setup and "check(inc)" not in suite.setup


def test_humaneval_check_parameter_other_than_candidate():
    suite = parse_reference(json.dumps({"test": "def check(f):\n    assert f(1) == 2\n", "entry_point": "inc"}))
    assert suite.tests[0]["code"].startswith("f = candidate")


def test_mbpp_tests_and_setup():
    suite = parse_reference(json.dumps({"test_list": ["assert f(1) == 2", "assert f(2) == 3"],
                                        "test_setup_code": "import math", "test_imports": ["import re"]}))
    assert suite.mode == "asserts" and len(suite.tests) == 2 and "import re" in suite.setup


def test_stdio_and_call_based():
    stdio = parse_reference(json.dumps({"inputs": ["1\n", ["2", "3"]], "outputs": ["1\n", "5\n"]}))
    assert stdio.mode == "stdio" and stdio.tests[1]["input"] == "2\n3"
    calls = parse_reference(json.dumps({"fn_name": "f", "inputs": [[1, 2]], "outputs": [3]}))
    assert calls.mode == "calls" and calls.tests[0] == {"name": "test 1", "args": [1, 2], "expected": 3}


def test_max_tests_keeps_the_first():
    assert len(parse_reference(HUMANEVAL).limited(2).tests) == 2


@pytest.mark.parametrize("reference,words", [
    ("not json", "not JSON"),
    ("[1]", "JSON object"),
    (json.dumps({"foo": 1}), "'test' and 'entry_point'"),
    (json.dumps({"test": "def check(c):\n  assert c(", "entry_point": "f"}), "not valid Python"),
    (json.dumps({"test": "assert True", "entry_point": "f"}), "check(candidate)"),
    (json.dumps({"test": "def check(c): pass", "entry_point": "no such"}), "function name"),
    (json.dumps({"test_list": "assert f(1)"}), "list of assert"),
    (json.dumps({"test_list": ["f(1) == 1"]}), "comparison without 'assert'"),  # would pass any program
    (json.dumps({"test": "def check(c):\n    assert c(1) == " + "1+" * 1000 + "1\n", "entry_point": "f"}),
     "nested too deeply"),  # ast.parse reads it, ast.unparse cannot write it back
    (json.dumps({"inputs": ["1"], "outputs": []}), "same length"),
    (json.dumps({"inputs": [], "outputs": []}), "no tests"),
    (json.dumps({"fn_name": "f", "inputs": [1], "outputs": [1]}), "list of arguments"),
    (json.dumps({"inputs": [1], "outputs": ["1"]}), "must be a string"),
    (json.dumps({"inputs": ["1"], "outputs": ["1"], "tolerance": "small"}), "'tolerance'"),
    (json.dumps({"fn_name": "f", "inputs": [[1]], "outputs": [1],
                 "private_test_cases": "eJzLSM3JyVcozy/KSQEAGgQEXQ=="}), "pickled"),
])
def test_malformed_references_are_invalid(reference, words):
    result = grader.grade("```python\ndef f(x): return x\n```", reference, verifier="code")
    assert result.status is Status.INVALID_ARGUMENT and words in result.reason, result.reason


# --- finding the program -----------------------------------------------------------------------

@pytest.mark.parametrize("response,program", [
    ("Here:\n```python\na = 1\n```\nand better:\n```py\nb = 2\n```\n", "b = 2\n"),
    ("```\nc = 3\n```", "c = 3\n"),
    ("```python3\nd = 4\n```", "d = 4\n"),
    ("```js\nlet e = 5\n```\n```python\nf = 6\n```\n```bash\nls\n```", "f = 6\n"),
    ("<think>```python\nwrong = 1\n```</think>\n```python\nright = 1\n```", "right = 1\n"),
    ("<think>only reasoning ```python\nx = 1\n```", None),
    ("def g(x):\n    return x\n", "def g(x):\n    return x\n"),
    ("The answer is to sort the list.", None),
    ("", None),
])
def test_extract_program(response, program):
    assert extract_program(response) == program


def test_an_answer_too_long_to_parse_where_items_are_planned_goes_to_the_sandbox_unparsed():
    """ast.parse costs about 3 s a megabyte, on the server's event loop: past MAX_PARSED_CHARS it is skipped."""
    prose = "This is no program at all. " * (MAX_PARSED_CHARS // 20)
    assert extract_program(prose) == prose and extract_program(prose[:1000]) is None
    assert defines("x = 1\n" * MAX_PARSED_CHARS, "f") and not defines("x = 1\n", "f")


def test_reasoning_blocks_are_dropped_and_an_unclosed_one_runs_to_the_end():
    assert without_reasoning("a<think>x</think>b<think>y</think>c") == "abc"
    assert without_reasoning("<think>a<think>b</think>c") == "c"
    assert without_reasoning("a<think>b") == "a" and without_reasoning("no tags") == "no tags"


@pytest.mark.parametrize("response", ["<think>" * 150_000, "```" + "a" * 1_000_000, "```python" + " " * 1_000_000])
def test_responses_that_made_the_program_search_backtrack_get_a_verdict(response):
    """Quadratic before: minutes to hours for these, on the thread that plans items (how fast now: make bench,
    tests/integration/test_bench.py::test_bench_code_hostile_responses)."""
    assert extract_program(response) is None


@pytest.mark.parametrize("response,program", [
    ("```python\nx = 1\n```\n```cpp\nint main(){}\n```", "int main(){}\n"),
    ("```c++\nint main(){return 1;}\n```", "int main(){return 1;}\n"),
    ("#include <cstdio>\nint main(){}", "#include <cstdio>\nint main(){}"),
    ("Use a loop in main().", None),
])
def test_extract_cpp_program(response, program):
    assert extract_program(response, "cpp") == program


def test_cpp_takes_only_stdio_tests():
    result = grader.grade("```cpp\nint main(){}\n```", HUMANEVAL, verifier="code", language="cpp")
    assert result.status is Status.INVALID_ARGUMENT and "stdin/stdout" in result.reason


def test_defines_sees_top_level_names_only():
    assert defines("def f():\n    def g(): pass\n", "f") and not defines("def f():\n    def g(): pass\n", "g")
    assert defines("class Solution: pass", "Solution") and defines("h = lambda: 1", "h")


def test_humaneval_body_only_answers_continue_the_prompt():
    prompt = "def inc(x):\n    \"\"\"Add one.\"\"\"\n"
    reference = json.dumps({"test": "def check(c):\n    assert c(1) == 2\n", "entry_point": "inc", "prompt": prompt})
    plan = CodeVerifier().prepare(Item("```python\n    return x + 1\n```", (reference,)), {})
    assert plan.program == prompt + "    return x + 1\n"
    # human-eval's own samples: the completion bare, without a fence (alone it is no Python)
    plan = CodeVerifier().prepare(Item("    return x + 1\n", (reference,)), {})
    assert plan.program == prompt + "    return x + 1\n"
    for nothing in ("", "<think>return x + 1</think>", "It adds one ((("):
        assert CodeVerifier().prepare(Item(nothing, (reference,)), {}).program == ""  # NO_ANSWER, not the prompt


def test_no_program_is_no_answer_and_programs_never_run_inline():
    result = grader.grade("I would use a loop.", HUMANEVAL, verifier="code")
    assert result.status is Status.NO_ANSWER
    plan = CodeVerifier().prepare(Item("```python\ndef inc(x): return x + 1\n```", (HUMANEVAL,)), {})
    with pytest.raises(NeedsWorker):
        CodeVerifier().grade(plan, in_worker=False)


def test_budget_follows_the_tests_unless_given():
    plan = CodeVerifier().prepare(Item("```python\nx = 1\n```", (HUMANEVAL,)), {"timeout": 2})
    assert plan.budget_seconds() == 2 * 3 + 2
    plan = CodeVerifier().prepare(Item("```python\nx = 1\n```", (HUMANEVAL,)), {"budget": 30})
    assert plan.budget_seconds() == 30


@pytest.mark.parametrize("options", [{"memory_mb": 10}, {"language": "cobol"}, {"max_tests": 0},
                                     {"scoring": "most"}, {"stop_on_first_failure": "maybe"}, {"parallel_tests": 9},
                                     {"parallel_tests": 2.5}])
def test_bad_options_are_invalid(options):
    assert grader.grade("```python\nx=1\n```", HUMANEVAL, verifier="code", **options).status is Status.INVALID_ARGUMENT


def test_whole_number_doubles_from_grpc_are_counts():
    options = CodeOptions.from_mapping({"parallel_tests": 3.0, "memory_mb": 128.0, "max_tests": 2.0})
    assert (options.parallel_tests, options.memory_mb, options.max_tests) == (3, 128, 2)


# --- the value wire ------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [None, True, 0, -7, 2**80, 1.5, math.inf, "text", [1, [2]], (1, "a"), {1, 2},
                                   frozenset({3}), {"a": 1, 2: (3,)}, b"\x00\xff", 1 + 2j])
def test_wire_round_trips_exact_types(value):
    assert wire.decode(json.loads(json.dumps(wire.encode(value)))) == value
    assert type(wire.decode(json.loads(json.dumps(wire.encode(value))))) is type(value)


def test_wire_round_trips_nan():
    assert math.isnan(wire.decode(wire.encode(math.nan)))


@pytest.mark.parametrize("value", [type("AlwaysEqual", (), {"__eq__": lambda s, o: True})(),
                                   type("Sneaky", (int,), {"__eq__": lambda s, o: True})(3),
                                   type("S", (str,), {})("x"), [type("L", (list,), {})()], object()])
def test_wire_refuses_other_types_and_subclasses(value):
    with pytest.raises(TypeError):
        wire.encode(value)


# --- harness lines to checks ---------------------------------------------------------------------

def _lines(*messages: dict) -> bytes:
    return b"".join(json.dumps(m).encode() + b"\n" for m in messages)


def test_verdict_reads_one_check_per_test():
    suite = parse_reference(HUMANEVAL)
    done = Completed(0, _lines({"name": "test 1 (line 4)", "status": "passed", "reason": ""},
                               {"name": "test 2 (line 6)", "status": "wrong_answer", "reason": "an assertion failed"},
                               {"name": "test 3 (line 7)", "status": "timeout", "reason": "over 5 s"},
                               {"done": True}), b"", False, False)
    result = _verdict(done, suite, CodeOptions(scoring="fraction"))
    assert result.status is Status.OK and not result.correct and result.score == pytest.approx(1 / 3)
    assert [c.status for c in result.checks] == ["passed", "wrong_answer", "timeout"]
    assert result.method == "code+asserts" and "test 2" in result.reason


def test_verdict_without_done_marks_the_rest_timed_out():
    suite = parse_reference(HUMANEVAL)
    done = Completed(-9, _lines({"name": "test 1 (line 4)", "status": "passed"}), b"", True, False)
    result = _verdict(done, suite, CodeOptions())
    assert [c.status for c in result.checks] == ["passed", "timeout", "timeout"] and not result.correct


def test_verdict_ignores_unknown_statuses_and_names():
    suite = parse_reference(HUMANEVAL)
    done = Completed(0, _lines({"name": "test 1 (line 4)", "status": "great"}, {"name": "x", "status": "passed"},
                               {"done": True}) + b"not json\n", b"", False, False)
    result = _verdict(done, suite, CodeOptions())
    assert not result.correct and all(not c.passed for c in result.checks)


def test_without_isolation_code_items_are_refused_with_the_reason(monkeypatch):
    from grader.execution import sandbox
    from grader.verifiers.code import run_suite

    monkeypatch.setattr(sandbox, "probe", lambda: "nsjail could not create the namespaces (test)")
    monkeypatch.delenv("GRADER_UNSAFE_NO_SANDBOX", raising=False)
    result = run_suite("def inc(x): return x + 1", parse_reference(HUMANEVAL), CodeOptions(), 10)
    assert result.status is Status.INVALID_ARGUMENT
    assert "could not create the namespaces (test)" in result.reason and "GRADER_UNSAFE_NO_SANDBOX" in result.reason


def test_check_status_crosses_the_wire():
    from grader.types import Check, GradeResult
    from grader.wire import result_from_proto, result_to_proto

    result = GradeResult(False, 0.0, Status.OK, checks=[Check("test 1", False, 0.0, "over 5 s", "timeout")])
    back = result_from_proto(result_to_proto("id", result))
    assert back.checks == result.checks and back.checks[0].to_dict()["status"] == "timeout"
