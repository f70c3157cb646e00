"""``length``: DAPO's overlong penalty (Yu et al. 2025, "DAPO", eq. 13, soft overlong punishment), as
verl's ``DAPORewardManager`` applies it with ``overlong_buffer`` (``len`` = ``cache_length``,
``penalty_factor``) and ``max_resp_len`` = ``max_length``. With ``L`` the length and
``expected = max_length - cache_length``::

    0                                              L <= expected
    (expected - L) / cache_length * penalty_factor  expected < L <= max_length   (0 down to -penalty_factor)
    -penalty_factor                                L > max_length

verl computes ``min(-(L - expected) / cache_length * penalty_factor, 0)``, the same inside the window; it
never sees ``L > max_length`` (the rollout stops there), where the paper's -1 applies. TRL's
``get_soft_overlong_punishment`` is the same with a factor of 1. ``cache_length`` 0 is a hard limit.

``L`` (``unit``): ``characters`` is ``len(text)``; ``tokens`` is ``count`` where given (a template that
renders the length the trainer measured with its own tokenizer, e.g. ``{{item.response_tokens}}``), else
a cheap estimate with no tokenizer or model: each run of letters, digits and ``_`` is one token, and each
other non-space character one (regex ``\\w+|[^\\w\\s]``). BPE tokenizers split long or rare words further,
so the estimate runs low on them; give ``count`` where the penalty must match the trainer's.
``pass_threshold`` defaults to 0: a response with no penalty passes.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from ...types import Check
from . import field_checks
from .kinds import GraderKind, Sample, Scored, field_error, passes, register
from .templates import render

MAX_LENGTH = 100_000_000
_TOKEN = re.compile(r"\w+|[^\w\s]")
_WHOLE = re.compile(r"([0-9]{1,12})(?:\.0*)?")  # 3900.0: an item's number that came through gRPC


def estimated_tokens(text: str) -> int:
    return _TOKEN.subn("", text)[1]  # counted in C, without a list of every token


def overlong_penalty(length: int, max_length: int, cache_length: int, penalty_factor: float = 1.0) -> float:
    expected = max_length - cache_length
    if length <= expected:
        return 0.0
    if length > max_length:
        return -penalty_factor
    return (expected - length) / cache_length * penalty_factor


class Length(GraderKind):
    type = "length"
    fields = frozenset({"input", "max_length", "cache_length", "unit", "count", "penalty_factor"})
    pass_threshold = 0.0

    def validate(self, config: Mapping[str, Any], where: str, depth: int) -> None:
        field_checks.templates(config, where, "input", "count")
        field_checks.integer(config, where, "max_length", 1, MAX_LENGTH, required=True)
        field_checks.integer(config, where, "cache_length", 0, config["max_length"], required=True)
        field_checks.choice(config, where, "unit", ("tokens", "characters"))
        field_checks.number(config, where, "penalty_factor", 0.0, 1000.0, above_low=True)

    def score(self, config: Mapping[str, Any], sample: Sample) -> Scored:
        name = config.get("name") or self.type
        unit = config.get("unit", "tokens")
        if "count" in config:
            rendered = render(config["count"], sample.namespace).strip()
            if not _WHOLE.fullmatch(rendered):
                return Scored(0.0, [Check(name, False, 0.0, f"count rendered {rendered[:40]!r}, not a whole number")])
            length = int(_WHOLE.fullmatch(rendered).group(1))  # type: ignore[union-attr]
        else:
            text = field_checks.response(config, sample)
            length = len(text) if unit == "characters" else estimated_tokens(text)
        maximum = field_checks.integer_of(config, "max_length", 0)
        window = field_checks.integer_of(config, "cache_length", 0)
        factor = config.get("penalty_factor", 1.0)
        score = overlong_penalty(length, maximum, window, factor)
        return Scored(score, [Check(name, passes(config, score), score,
                                    f"{length} {unit} (penalty from {maximum - window}, -{factor:g} past {maximum})")])


register(Length())
