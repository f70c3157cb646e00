"""Public result and option types of the grading engine."""

from __future__ import annotations

import dataclasses
import enum
import functools
from dataclasses import dataclass, field
from typing import Any, Literal


class Status(str, enum.Enum):
    """How grading ended. Only ``OK`` results carry a meaningful ``correct``."""

    OK = "OK"
    NO_ANSWER = "NO_ANSWER"
    PARSE_ERROR = "PARSE_ERROR"
    TIMEOUT = "TIMEOUT"
    INVALID_ARGUMENT = "INVALID_ARGUMENT"

    def __str__(self) -> str:
        return self.value


PercentPolicy = Literal["auto", "strict", "lenient"]


@dataclass(frozen=True)
class GradeOptions:
    """Options that change how an answer is read or compared.

    precision: decimal places both sides are rounded to when either is an
        inexact decimal (Math-Verify's ``precision``). ``None`` (default) uses
        the rounding-consistency policy described in the README.
    percent: ``auto``: a reference ``P%`` accepts ``P``, ``P%`` and ``P/100``,
        and an answer ``P%`` means ``P/100``. ``strict``: ``P%`` means
        ``P/100`` on both sides. ``lenient``: ``P%`` also matches ``P`` both ways.
    timeout: per-item budget in seconds for the expensive comparison.
    strict: when False, variable names are ignored in equations
        (``f(y)`` matches ``f(x)``).
    match_types: which extraction families to use: ``latex`` (boxes, math
        delimiters, marked answers) and/or ``expr`` (plain-text numbers and
        expressions). Both by default.
    allow_set_relation: compare an inequality chain with an interval
        (``-2 <= x <= 7`` vs ``[-2, 7]``). On by default.
    lowercase: for ``multiple_choice`` and ``exact``: compare case-insensitively.
    choices: for ``multiple_choice``: the option letters accepted (``["A", "B"]``),
        or the option texts in A, B, C… order, so a response may name the text.
    extraction: ``auto`` (default): rules first, and the LM extractor as a
        second opinion when rules find no answer, fall back to the last number,
        or find an answer that does not match (a matching rule answer never
        waits for the model; without a model, as with ``GRADER_EXTRACTOR=off``,
        ``auto`` is rules only). ``rules``: rules only, never loads the model.
        ``lm``: the LM extractor only.
    """

    precision: int | None = None
    percent: PercentPolicy = "auto"
    timeout: float = 5.0
    strict: bool = True
    match_types: tuple[str, ...] = ("latex", "expr")
    allow_set_relation: bool = True
    lowercase: bool = True
    choices: tuple[str, ...] = ()
    extraction: str = "auto"

    # Aliases accepted from other graders' configurations.
    _ALIASES = {
        "float_rounding": "precision",
        "allow_set_relation_comp": "allow_set_relation",
        "strings": "choices",
        "timeout_seconds": "timeout",
        "percent_policy": "percent",
    }
    _IGNORED = {"numeric_precision"}

    @classmethod
    def from_mapping(cls, options: dict[str, Any] | None) -> "GradeOptions":
        """Build options from a user mapping, raising ValueError on unknown keys or bad values."""
        if not options:
            return _DEFAULT_OPTIONS
        try:
            key = tuple(sorted((k, type(v), v) for k, v in options.items()))  # True and 1 stay apart
            hash(key)
        except TypeError:  # lists or dicts inside: build them each time
            return cls._build(options)
        return _options_from_items(cls, key)

    @classmethod
    def _build(cls, options: dict[str, Any]) -> "GradeOptions":
        flat: dict[str, Any] = {}
        for key, value in options.items():
            if key == "config" and isinstance(value, dict):
                flat.update(value)
            else:
                flat[key] = value
        known = {f.name for f in dataclasses.fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in flat.items():
            key = cls._ALIASES.get(key, key)
            if key in cls._IGNORED:
                continue
            if key not in known:
                raise ValueError(f"unknown option {key!r}; known options: {', '.join(sorted(known))}")
            kwargs[key] = _coerce_option(key, value)
        return cls(**kwargs)


_DEFAULT_OPTIONS = GradeOptions()


@functools.lru_cache(maxsize=1024)
def _options_from_items(cls: type, items: tuple) -> GradeOptions:
    # Trainers send the same few option sets with every item: parse each once (frozen, so shareable).
    return cls._build({k: v for k, _, v in items})


def _coerce_option(key: str, value: Any) -> Any:
    if key == "precision":
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 50 or value != int(value):
            raise ValueError("option 'precision' must be an integer between 0 and 50")
        return int(value)
    if key == "percent":
        if value not in ("auto", "strict", "lenient"):
            raise ValueError("option 'percent' must be one of auto, strict, lenient")
        return value
    if key == "timeout":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 600:
            raise ValueError("option 'timeout' must be a number of seconds in (0, 600]")
        return float(value)
    if key in ("strict", "allow_set_relation", "lowercase"):
        if not isinstance(value, bool):
            raise ValueError(f"option {key!r} must be true or false")
        return value
    if key in ("match_types", "choices"):
        if isinstance(value, str) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"option {key!r} must be a list of strings")
        if key == "match_types" and (not value or not set(value) <= {"latex", "expr"}):
            raise ValueError("option 'match_types' needs one or both of 'latex' and 'expr'")
        return tuple(value)
    if key == "extraction":
        if value not in ("rules", "lm", "auto"):
            raise ValueError("option 'extraction' must be one of rules, lm, auto")
        return value
    return value


@dataclass
class GradeResult:
    """The verdict on one response, with the evidence that produced it."""

    correct: bool
    score: float
    status: Status
    extracted: str = ""
    normalized: str = ""
    normalized_reference: str = ""
    method: str = ""
    reason: str = ""
    latency_ms: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping (status as its name)."""
        return {
            "correct": self.correct,
            "score": self.score,
            "status": self.status.value,
            "extracted": self.extracted,
            "normalized": self.normalized,
            "normalized_reference": self.normalized_reference,
            "method": self.method,
            "reason": self.reason,
            "latency_ms": round(self.latency_ms, 3),
        }
