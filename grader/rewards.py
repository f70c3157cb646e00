"""Reward shaping: the scalar a trainer gets for each outcome, the same in-process and served."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Mapping

from .types import GradeResult, Status


# Far past any reward in use, and small enough that ``correct - incorrect`` cannot overflow to infinity.
MAX_REWARD = 1e100


@dataclass(frozen=True)
class Rewards:
    """The reward for each outcome. An OK result's reward moves from ``incorrect`` to
    ``correct`` with its score, so a verifier that scores a fraction (constraints met,
    tests passed) gets the same fraction of the way, and a correct answer (score 1) gets
    ``correct``. A grader config's score is its reward as OpenAI's graders define it, so it
    maps the same way even outside [0, 1] (a shaped ``correctness + 0.1 * format`` of 1.1,
    a pass below 1). ``NO_ANSWER`` and ``PARSE_ERROR`` take ``no_answer``, ``TIMEOUT`` takes
    ``timeout`` and ``INVALID_ARGUMENT`` takes ``incorrect``."""

    correct: float = 1.0
    incorrect: float = 0.0
    no_answer: float = 0.0
    timeout: float = 0.0

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> "Rewards":
        """Rewards from ``{"correct": 10, ...}``; ValueError names an unknown key or a non-number."""
        if not values:
            return DEFAULT_REWARDS
        known = {f.name for f in fields(cls)}
        for key, value in values.items():
            if key not in known:
                raise ValueError(f"unknown reward {key!r}; known: {', '.join(sorted(known))}")
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"reward {key!r} must be a number")
            if not abs(value) <= MAX_REWARD:  # NaN fails too: a NaN or infinite reward would poison a trainer's loss
                raise ValueError(f"reward {key!r} must be a finite number of size at most {MAX_REWARD:g}")
        return cls(**{k: float(v) for k, v in values.items()})

    def of(self, result: GradeResult) -> float:
        if result.status == Status.OK:
            return self.incorrect + (self.correct - self.incorrect) * result.score
        if result.status == Status.TIMEOUT:
            return self.timeout
        if result.status in (Status.NO_ANSWER, Status.PARSE_ERROR):
            return self.no_answer
        return self.incorrect


DEFAULT_REWARDS = Rewards()
