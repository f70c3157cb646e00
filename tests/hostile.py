"""Inputs that once stalled the thread grading inline, shared by tests/unit (their verdicts) and
tests/integration/test_bench.py (their timings)."""

HOSTILE_MATH = {  # each took from 2 s to hours before its pattern was made linear
    "a run of digits before a prime": ("\\boxed{" + "1" * 100_000 + "'}", "1"),
    "a run of digits": ("\\boxed{" + "1" * 100_000 + "}", "1"),
    "nested text wrappers": ("\\boxed{" + "\\text{" * 15_000 + "x" + "}" * 15_000 + "}", "x"),
    "unclosed inline math in a block": ("x\n$$1 " + "\\(" * 100_000 + "$$", "1"),
    "empty answer markers": ("answer: . " * 100_000, "1"),
    "joinable boxes": ("\\boxed{1}, " * 90_000, "2"),
    "unclosed inline math in a reference": ("1", "hello world " + "\\(" * 50_000),
}

