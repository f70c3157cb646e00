"""Reading a reference into a test suite: HumanEval, MBPP, and APPS-style stdio or call-based tests.

The suite is what the sandboxed harness reads (``sandboxed/harness.py``), as plain data:
its mode (``asserts``, ``calls``, ``stdio``), the tests with a name each, and for
``asserts`` the set-up code the tests need. Test code is parsed here only to split it
into tests (``ast``); it runs only in the sandbox. Pickled test data is refused.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field, replace
from typing import Any

from ..base import InvalidItem

MAX_REFERENCE_CHARS = 50_000_000
MAX_TESTS = 10_000


@dataclass(frozen=True)
class Suite:
    mode: str  # asserts | calls | stdio
    tests: tuple[dict[str, Any], ...]
    setup: str = ""
    entry_point: str = ""
    fn_name: str = ""
    tolerance: float | None = None  # numbers within it match (stdio tokens, call-based values)
    prompt: str = field(default="", compare=False)  # HumanEval's signature and docstring

    def limited(self, max_tests: int | None) -> Suite:
        if max_tests is None or len(self.tests) <= max_tests:
            return self
        return replace(self, tests=self.tests[:max_tests])

    def for_harness(self) -> dict[str, Any]:
        return {"mode": self.mode, "tests": list(self.tests), "setup": self.setup,
                "entry_point": self.entry_point, "fn_name": self.fn_name, "tolerance": self.tolerance}


# A dataset row's own fields that are its tests (a HumanEval or MBPP problem row with a response added).
ROW_FIELDS = ("test", "entry_point", "prompt", "test_list", "test_setup_code", "test_imports")


def is_task_row(row: dict[str, Any]) -> bool:
    """Whether a row carries its tests as fields of its own: HumanEval's ``test`` and ``entry_point``, or
    MBPP's ``test_list``."""
    return (isinstance(row.get("test"), str) and isinstance(row.get("entry_point"), str)) \
        or isinstance(row.get("test_list"), list)


def reference_from_row(row: dict[str, Any]) -> str:
    """The reference string for a task row's own fields; ``parse_reference`` validates it."""
    return json.dumps({key: row[key] for key in ROW_FIELDS if key in row})


def parse_reference(reference: str) -> Suite:
    """The suite a reference describes; InvalidItem names what is malformed."""
    if len(reference) > MAX_REFERENCE_CHARS:
        raise InvalidItem(f"the code reference is over {MAX_REFERENCE_CHARS} characters")
    try:
        data = json.loads(reference)
    except (ValueError, RecursionError) as e:
        raise InvalidItem(f"the code reference is not JSON ({e})") from None
    if not isinstance(data, dict):
        raise InvalidItem("the code reference must be a JSON object (HumanEval, MBPP, or inputs/outputs)")
    _refuse_pickles(data)
    if "test" in data and "entry_point" in data:
        try:
            suite = _humaneval(data)
        except RecursionError:  # ast.parse takes deeper expressions than ast.unparse can write back
            raise InvalidItem("the code reference's 'test' is nested too deeply to split into tests") from None
    elif "test_list" in data:
        suite = _mbpp(data)
    elif "inputs" in data and "outputs" in data:
        suite = _inputs_outputs(data)
    else:
        raise InvalidItem("the code reference needs 'test' and 'entry_point' (HumanEval), 'test_list' (MBPP), "
                          "or 'inputs' and 'outputs' (APPS, with 'fn_name' for call-based tests)")
    if not suite.tests:
        raise InvalidItem("the code reference has no tests")
    if len(suite.tests) > MAX_TESTS:
        raise InvalidItem(f"the code reference has over {MAX_TESTS} tests")
    return suite


def _refuse_pickles(data: dict[str, Any]) -> None:
    # LiveCodeBench ships its private tests as base64(zlib(pickle)); unpickling them runs code.
    for key in ("private_test_cases", "public_test_cases", "inputs", "outputs", "input_output"):
        value = data.get(key)
        if isinstance(value, str) and value.strip()[:2] in ("eJ", "gA", "gB", "gC", "gD", "gE"):
            raise InvalidItem(f"the code reference's {key!r} looks pickled (base64 zlib/pickle); pickled tests are "
                              "refused, since unpickling runs code: decode them offline to JSON")


def _python(source: Any, what: str) -> ast.Module:
    if not isinstance(source, str):
        raise InvalidItem(f"the code reference's {what} must be a string of Python")
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
        raise InvalidItem(f"the code reference's {what} is not valid Python ({type(e).__name__})") from None


def _humaneval(data: dict[str, Any]) -> Suite:
    module = _python(data["test"], "'test'")
    entry = data["entry_point"]
    if not isinstance(entry, str) or not entry.isidentifier():
        raise InvalidItem("the code reference's 'entry_point' must be a function name")
    check = next((s for s in module.body if isinstance(s, ast.FunctionDef) and s.name == "check"), None)
    if check is None:
        raise InvalidItem("a HumanEval reference's 'test' must define check(candidate)")
    setup = [s for s in module.body if s is not check and not _calls_check(s)]
    parameter = check.args.args[0].arg if check.args.args else "candidate"
    prefix = f"{parameter} = candidate\n" if parameter != "candidate" else ""
    tests = _split_asserts(check.body, prefix)
    prompt = data.get("prompt", "")
    return Suite("asserts", tests, ast.unparse(ast.Module(setup, [])), entry, prompt=prompt if isinstance(prompt, str)
                 else "")


def _calls_check(statement: ast.stmt) -> bool:
    return (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)
            and isinstance(statement.value.func, ast.Name) and statement.value.func.id == "check")


def _split_asserts(body: list[ast.stmt], prefix: str) -> tuple[dict[str, Any], ...]:
    """One test per statement holding an assert; the statements between run with the next test."""
    tests, pending = [], []
    for statement in body:
        pending.append(statement)
        if any(isinstance(node, ast.Assert) for node in ast.walk(statement)):
            tests.append({"name": f"test {len(tests) + 1} (line {statement.lineno})",
                          "code": prefix + ast.unparse(ast.Module(pending, []))})
            pending = []
    if pending and tests:
        tests[-1]["code"] += "\n" + ast.unparse(ast.Module(pending, []))
    elif pending:
        tests.append({"name": "test 1", "code": prefix + ast.unparse(ast.Module(pending, []))})
    return tuple(tests)


def _mbpp(data: dict[str, Any]) -> Suite:
    asserts = data["test_list"]
    if not isinstance(asserts, list) or not all(isinstance(a, str) for a in asserts):
        raise InvalidItem("an MBPP reference's 'test_list' must be a list of assert statements")
    for i, statement in enumerate(asserts):
        body = _python(statement, f"test_list[{i}]").body
        if len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Compare):
            raise InvalidItem(f"an MBPP reference's test_list[{i}] is a comparison without 'assert': it would "
                              "pass any program that runs")
    imports = data.get("test_imports") or []
    if not isinstance(imports, list) or not all(isinstance(i, str) for i in imports):
        raise InvalidItem("an MBPP reference's 'test_imports' must be a list of import statements")
    setup = "\n".join([*imports, data.get("test_setup_code") or ""])
    _python(setup, "'test_setup_code'")
    tests = tuple({"name": f"test {i + 1}", "code": statement} for i, statement in enumerate(asserts))
    return Suite("asserts", tests, setup)


def _inputs_outputs(data: dict[str, Any]) -> Suite:
    inputs, outputs = data["inputs"], data["outputs"]
    if not isinstance(inputs, list) or not isinstance(outputs, list) or len(inputs) != len(outputs):
        raise InvalidItem("the code reference's 'inputs' and 'outputs' must be lists of the same length")
    tolerance = data.get("tolerance", data.get("float_tolerance"))
    if tolerance is not None and (isinstance(tolerance, bool) or not isinstance(tolerance, (int, float))
                                  or not 0 <= tolerance < 1):
        raise InvalidItem("the code reference's 'tolerance' must be a number in [0, 1)")
    fn_name = data.get("fn_name")
    if fn_name:
        if not isinstance(fn_name, str) or not fn_name.isidentifier():
            raise InvalidItem("the code reference's 'fn_name' must be a function name")
        for i, args in enumerate(inputs):
            if not isinstance(args, list):
                raise InvalidItem(f"call-based inputs[{i}] must be a list of arguments")
        tests = tuple({"name": f"test {i + 1}", "args": args, "expected": expected}
                      for i, (args, expected) in enumerate(zip(inputs, outputs)))
        return Suite("calls", tests, fn_name=fn_name, tolerance=tolerance)
    tests = tuple({"name": f"test {i + 1}", "input": _text(given, f"inputs[{i}]"),
                   "output": _text(wanted, f"outputs[{i}]")}
                  for i, (given, wanted) in enumerate(zip(inputs, outputs)))
    return Suite("stdio", tests, tolerance=tolerance)


def _text(value: Any, where: str) -> str:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n".join(value)  # TACO gives some inputs as lists of lines
    if not isinstance(value, str):
        raise InvalidItem(f"stdin/stdout {where} must be a string")
    return value
