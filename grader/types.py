"""The types every layer shares: a request item, a verdict and its per-check evidence."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Status(str, enum.Enum):
    """How grading ended. Only ``OK`` results carry a meaningful ``correct``."""

    OK = "OK"
    NO_ANSWER = "NO_ANSWER"
    PARSE_ERROR = "PARSE_ERROR"
    TIMEOUT = "TIMEOUT"
    INVALID_ARGUMENT = "INVALID_ARGUMENT"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Item:
    """One validated item: the text to grade, what a correct one must match, and the question."""

    response: str
    references: tuple[str, ...]
    prompt: str = ""


@dataclass(frozen=True)
class Check:
    """One piece of evidence behind a verdict: an instruction, a test, a sub-grader."""

    name: str
    passed: bool
    score: float = 0.0
    reason: str = ""
    status: str = ""  # how it ended, where a family names outcomes (code tests: passed, wrong_answer, timeout...)

    def to_dict(self) -> dict[str, Any]:
        out = {"name": self.name, "passed": self.passed, "score": self.score, "reason": self.reason}
        return out | {"status": self.status} if self.status else out


@dataclass
class GradeResult:
    """The verdict on one response, with the evidence that produced it.

    ``reward`` is the shaped reward for this outcome (``grader.Rewards``; by
    default the score when OK, else 0). ``span`` holds the character offsets of
    the extracted answer in the graded text, where a verifier knows them.
    """

    correct: bool
    score: float
    status: Status
    extracted: str = ""
    normalized: str = ""
    normalized_reference: str = ""
    method: str = ""
    reason: str = ""
    latency_ms: float = 0.0
    checks: list[Check] = field(default_factory=list)
    reward: float = 0.0
    span: tuple[int, int] | None = field(default=None, repr=False)
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def failure(cls, status: Status, reason: str, *, method: str = "none", extracted: str = "",
                normalized_reference: str = "") -> "GradeResult":
        """A verdict that graded nothing: bad input, no answer, a timeout or a crash."""
        return cls(False, 0.0, status, extracted=extracted, normalized_reference=normalized_reference,
                   method=method, reason=sentence(reason))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping (status as its name)."""
        return {
            "correct": self.correct,
            "score": self.score,
            "reward": self.reward,
            "status": self.status.value,
            "extracted": self.extracted,
            "normalized": self.normalized,
            "normalized_reference": self.normalized_reference,
            "method": self.method,
            "reason": self.reason,
            "checks": [c.to_dict() for c in self.checks],
            "latency_ms": round(self.latency_ms, 3),
        }


def clip(text: str, limit: int = 2000) -> str:
    """Evidence fields stay small even when an answer is huge."""
    return text if len(text) <= limit else text[:limit] + "…"


def sentence(text: str) -> str:
    """``text`` as a sentence: capitalized, ending with a full stop."""
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."
