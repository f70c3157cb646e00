"""``python``: the config's ``grade(sample, item) -> float``, run only in the code sandbox.

The source is never compiled, let alone run, in the grader's processes. In a worker (the family
raises ``NeedsWorker`` inline), ``sandboxed/python_grade.py`` starts as pid 1 of an nsjail sandbox
(``grader.execution.sandbox``) with the source, ``sample`` and ``item`` as JSON on its stdin; it
runs ``grade`` in a child process that holds no handle on pid 1's stdout, and writes the score
there, the one channel read back. Limits: the source at most 256 kB (as OpenAI); the run within
the item's budget (option ``timeout``, 10 s by default for an item with a python grader, where
OpenAI allows 2 minutes); each sandboxed process an address space of ``python_memory_mb``
(512 MB by default, up to 4096; OpenAI gives 2 GB), 32 processes, no network, a read-only view
of the Python runtime and a 16 MB ``/tmp``. ``image_tag`` is accepted and ignored: there is one
image, the host's ``python3`` (standard library only).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ...execution import sandbox
from ...types import Check
from ..code import run_sandboxed, sandbox_python
from .kinds import GraderKind, Sample, Scored, field_error, passes, register

MAX_SOURCE_BYTES = 256 * 1024
DEFAULT_SECONDS = 10.0  # an item's budget when it has a python grader and no timeout option
MAX_REPLY_BYTES = 64 * 1024
RUNNER = Path(__file__).parent / "sandboxed" / "python_grade.py"


@dataclass(frozen=True)
class PythonLimits:
    """What a python grader may use: the time left to the item (a ``time.monotonic`` deadline) and memory."""

    deadline: float
    memory_mb: int = 512


class Python(GraderKind):
    type = "python"
    fields = frozenset({"source", "image_tag"})

    def validate(self, config: Mapping[str, Any], where: str, depth: int) -> None:
        source = config.get("source")
        if not isinstance(source, str) or not source.strip():
            raise field_error(f"{where}.source", "a python grader needs 'source', Python defining grade(sample, item)")
        if len(source.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES:
            raise field_error(f"{where}.source", f"the source is over {MAX_SOURCE_BYTES // 1024} kB")
        if "image_tag" in config and not isinstance(config["image_tag"], str):
            raise field_error(f"{where}.image_tag", "must be a string")

    def score(self, config: Mapping[str, Any], sample: Sample) -> Scored:
        limits = sample.limits
        assert isinstance(limits, PythonLimits), "python graders run only in a worker (NeedsWorker inline)"
        score, error = run_in_sandbox(config["source"], sample.namespace, limits)
        name = config.get("name") or self.type
        if error:
            return Scored(0.0, [Check(name, False, 0.0, error, "error")])
        return Scored(score, [Check(name, passes(config, score), score, self.type)])


register(Python())


def has_python(config: Mapping[str, Any]) -> bool:
    """Whether a config is, or holds (in a multi), a python grader."""
    if config.get("type") == "python":
        return True
    graders = config.get("graders")
    return isinstance(graders, dict) and any(isinstance(g, dict) and has_python(g) for g in graders.values())


def run_in_sandbox(source: str, namespace: Mapping[str, Any], limits: PythonLimits) -> tuple[float, str]:
    """The score ``grade`` returns, or 0 and why there is none. InvalidItem when the sandbox cannot run here."""
    left = limits.deadline - time.monotonic()
    if left < 1.0:
        return 0.0, "the item's budget ran out before this python grader could start"
    python = sandbox_python("python graders")
    spec = {"source": source, "sample": namespace["sample"], "item": namespace["item"],
            "timeout": max(0.3, left - 0.7), "max_reply": MAX_REPLY_BYTES}
    stdin = json.dumps(spec, default=str).encode("utf-8", "surrogatepass")
    wall = max(1.0, left - 0.1)  # the runner reports its own timeout (left - 0.7) with 0.6 s to spare
    done = run_sandboxed(python, "python_grade.py", {"python_grade.py": RUNNER.read_bytes()}, stdin, wall,
                         limits.memory_mb, "python graders")
    return _reported(done, wall)


def _reported(done: sandbox.Completed, wall: float) -> tuple[float, str]:
    """pid 1's verdict line, or why there is none."""
    lines = done.stdout.splitlines()
    try:
        message = json.loads(lines[0]) if lines else None
    except ValueError:
        message = None
    if isinstance(message, dict) and isinstance(message.get("score"), float) and math.isfinite(message["score"]):
        return message["score"], ""
    if isinstance(message, dict) and isinstance(message.get("error"), str):
        return 0.0, message["error"]
    if done.timed_out:
        return 0.0, f"the python grader's sandbox ran past {wall:.3g} s"
    return 0.0, f"the python grader's sandbox ended without a score (exit status {done.returncode})"
