"""The code verifier: the program in an answer, run against the reference's tests in a sandbox.

``prepare`` finds the program (``extract``) and reads the tests (``spec``) in the caller's
process; nothing runs there. ``grade`` runs in a worker process: it starts the harness
(``sandboxed/harness.py``) as pid 1 of an nsjail sandbox (``grader.execution.sandbox``) with
the suite on its stdin, and reads one verdict per test from its stdout, a channel the
program's processes never hold. One check per test, with its status.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

from ...execution import sandbox
from ...types import Check, GradeResult, Item, Status
from ..base import FuzzItem, InvalidItem, NeedsWorker, Placement, Plan, Verifier
from ..options import Options, boolean, count, megabytes, one_of, option, seconds
from .extract import defines, extract_program, without_reasoning
from .spec import Suite, parse_reference

SANDBOXED = Path(__file__).parent / "sandboxed"
HARNESS_FILES = ("harness.py", "runner.py", "wire.py")
UNSAFE_ENV = "GRADER_UNSAFE_NO_SANDBOX"
DEFAULT_MAX_BUDGET = 60.0
REPORT_SECONDS = 0.5  # of an item's budget, kept for the worker to report what its sandbox finished
MIN_WALL_SECONDS = 0.5  # the least a sandbox is started for: nsjail, python and the harness start in ~0.1 s
COMPILE_SECONDS = 15.0
MAX_OUTPUT_BYTES = 1 << 20
STATUSES = ("passed", "wrong_answer", "runtime_error", "timeout", "memory", "compile_error", "output_limit")


def _parallel(key: str, value: Any) -> int:
    parallel = count(key, value)
    if parallel is None or parallel > 8:
        raise ValueError(f"option {key!r} must be between 1 and 8, not {value!r}")
    return parallel


@dataclass(frozen=True)
class CodeOptions(Options):
    timeout: float | None = option(5.0, seconds, "seconds each test may run (alias timeout_seconds)")
    budget: float | None = option(None, seconds, "seconds for the whole item (default: timeout × tests + 2, "
                                                 f"at most {DEFAULT_MAX_BUDGET:g})")
    language: str = option("python", one_of("python", "cpp"), "the program's language: python, or cpp (C++17 "
                                                                "with the system g++; stdin/stdout tests only)")
    memory_mb: int = option(512, megabytes, "address-space limit of each sandboxed process, in MB")
    scoring: str = option("all", one_of("all", "fraction"),
                          "all: score 1 when every test passes, else 0; fraction: the share that passes")
    max_tests: int | None = option(None, count, "run only the first N tests")
    stop_on_first_failure: bool = option(False, boolean, "skip the tests after the first that fails")
    parallel_tests: int = option(1, _parallel, "stdin/stdout tests run at once in the sandbox (1 to 8); they "
                                               "share the item's CPU, and one program may signal another")


@dataclass(frozen=True)
class CodePlan(Plan):
    program: str = ""
    suite: Suite | None = None

    def budget_seconds(self) -> float | None:
        assert isinstance(self.options, CodeOptions) and self.suite is not None
        if self.options.budget is not None:
            return self.options.budget
        per_test = self.options.timeout or 5.0
        compiling = COMPILE_SECONDS if self.options.language == "cpp" else 0.0
        return min(per_test * len(self.suite.tests) + 2.0 + compiling, DEFAULT_MAX_BUDGET)


class CodeVerifier(Verifier):
    name = "code"
    description = ("Runs the answer's program (the last ```python block outside <think>) against the reference's "
                   "tests (HumanEval, MBPP, APPS stdin/stdout or call-based JSON) in an nsjail sandbox, one check "
                   "per test.")
    options_type = CodeOptions
    placement = Placement.SANDBOX

    def supports(self) -> tuple[str, ...]:
        return ("humaneval", "mbpp", "stdio", "call")  # the reference formats

    def prepare(self, item: Item, options: Mapping[str, Any]) -> Plan:
        parsed = CodeOptions.from_mapping(options)
        if len(set(item.references)) != 1:
            raise InvalidItem("a code item takes one reference (its tests as JSON)")
        suite = parse_reference(item.references[0]).limited(parsed.max_tests)
        if parsed.language == "cpp" and suite.mode != "stdio":
            raise InvalidItem("C++ programs take stdin/stdout tests ({'inputs', 'outputs'}), not "
                              f"{'call-based' if suite.mode == 'calls' else 'HumanEval/MBPP asserts'}")
        program = extract_program(item.response, parsed.language)
        if suite.prompt and suite.entry_point:  # HumanEval completions continue the prompt
            if program is not None and not defines(program, suite.entry_point):
                program = suite.prompt + program
            elif program is None and without_reasoning(item.response).strip():
                program = extract_program(suite.prompt + item.response, parsed.language)  # a bare function body
        return CodePlan(self.name, item, parsed, program or "", suite)

    def grade(self, plan: Plan, *, in_worker: bool) -> GradeResult:
        assert isinstance(plan, CodePlan) and isinstance(plan.options, CodeOptions) and plan.suite is not None
        if not plan.program.strip():
            language = "C++" if plan.options.language == "cpp" else "Python"
            return GradeResult.failure(Status.NO_ANSWER, f"No {language} program found in the response.",
                                       method="code+none")
        if not in_worker:
            raise NeedsWorker()  # programs run only in the sandbox, from a killable worker
        return run_suite(plan.program, plan.suite, plan.options, plan.seconds(DEFAULT_MAX_BUDGET))

    def fuzz_items(self, rng: random.Random) -> Iterator[FuzzItem]:
        from .fuzz import fuzz_items
        return fuzz_items(rng)


def unsafe_no_isolation() -> bool:
    return os.environ.get(UNSAFE_ENV, "").lower() in ("1", "true", "yes")


def sandbox_python(refused: str) -> str:
    """The python3 that runs inside the sandbox; InvalidItem naming what is ``refused`` where there is none."""
    python = sandbox.sandbox_python()
    if python is None:
        raise InvalidItem(f"No python3 for the code sandbox on this host: {refused} are refused.")
    return python


def run_sandboxed(python: str, entry: str, extra_files: Mapping[str, bytes], stdin: bytes, wall: float,
                  memory_mb: int, refused: str) -> sandbox.Completed:
    """``/sandbox/<entry>`` run by ``python`` as pid 1 of a sandbox holding the harness files and
    ``extra_files``, within ``wall`` seconds; InvalidItem naming what is ``refused`` where the sandbox
    does not work on this host."""
    files = {name: (SANDBOXED / name).read_bytes() for name in HARNESS_FILES} | dict(extra_files)
    limits = sandbox.Limits(wall_seconds=wall, cpu_seconds=math.ceil(wall) + 1, memory_mb=memory_mb)
    try:
        return sandbox.run([python, "-I", "-S", f"/sandbox/{entry}"], files, stdin, limits,
                           unsafe_no_isolation=unsafe_no_isolation())
    except sandbox.SandboxUnavailable as e:
        raise InvalidItem(f"The code sandbox does not work on this host: {e}. {refused.capitalize()} are refused "
                          f"(set {UNSAFE_ENV}=1 to run them without isolation).") from None


def run_suite(program: str, suite: Suite, options: CodeOptions, budget: float) -> GradeResult:
    compiler = shutil.which("g++") if options.language == "cpp" else None
    if options.language == "cpp" and compiler is None:
        return GradeResult.failure(Status.INVALID_ARGUMENT, "No g++ on this host for C++ programs.")
    wall = budget - REPORT_SECONDS  # leave the worker time to report what finished
    if wall < MIN_WALL_SECONDS:  # a sandbox would outlive the budget: the item would end as a bare TIMEOUT
        return GradeResult.failure(Status.TIMEOUT, f"The item's budget leaves {max(budget, 0.0):.2g} s, too little "
                                   f"to run its tests ({REPORT_SECONDS + MIN_WALL_SECONDS:g} s at least).",
                                   method="code+none")
    solution = {"solution.cpp" if options.language == "cpp" else "solution.py":
                program.encode("utf-8", "surrogatepass")}
    try:
        python = sandbox_python("code items")
        spec = suite.for_harness() | {"python": python, "test_timeout": options.timeout or 5.0,
                                      "language": options.language, "compiler": compiler,
                                      "compile_timeout": COMPILE_SECONDS,
                                      "stop_on_first_failure": options.stop_on_first_failure,
                                      "parallel": options.parallel_tests,
                                      "max_output_bytes": MAX_OUTPUT_BYTES}
        done = run_sandboxed(python, "harness.py", solution, json.dumps(spec).encode(), wall, options.memory_mb,
                             "code items")
    except InvalidItem as e:
        return GradeResult.failure(Status.INVALID_ARGUMENT, str(e))
    return _verdict(done, suite, options)


def _verdict(done: sandbox.Completed, suite: Suite, options: CodeOptions) -> GradeResult:
    reported: dict[str, dict[str, Any]] = {}
    finished = False
    for line in done.stdout.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if message.get("done"):
            finished = True
        elif message.get("status") in STATUSES and isinstance(message.get("name"), str):
            reported[message["name"]] = message
    checks = []
    for test in suite.tests:
        message = reported.get(test["name"])
        if message is None:
            status = "timeout" if (done.timed_out or not finished) else "skipped"
            reason = "the item's budget ran out first" if status == "timeout" else "after the first failure"
            checks.append(Check(test["name"], False, 0.0, reason, status))
        else:
            passed = message["status"] == "passed"
            checks.append(Check(test["name"], passed, float(passed), message.get("reason", ""), message["status"]))
    held = sum(c.passed for c in checks)
    correct = held == len(checks)
    score = held / len(checks) if options.scoring == "fraction" else float(correct)
    failed = [c for c in checks if not c.passed]
    reason = "" if correct else (f"{len(failed)} of {len(checks)} tests failed; first: {failed[0].name} "
                                 f"({failed[0].status}: {failed[0].reason})")
    return GradeResult(correct, score, Status.OK, method=f"code+{suite.mode}", reason=reason, checks=checks)
