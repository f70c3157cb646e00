"""``multi``: named sub-graders combined by ``calculate_output`` (read by ``formula``, never ``eval``)."""

from __future__ import annotations

from typing import Any, Mapping

from ...types import Check
from . import formula
from .kinds import GraderKind, Sample, Scored, field_error, passes, register, run, validate

MAX_GRADERS = 32


class Multi(GraderKind):
    type = "multi"
    fields = frozenset({"graders", "calculate_output"})

    def validate(self, config: Mapping[str, Any], where: str, depth: int) -> None:
        graders = config.get("graders")
        if depth > 0 or not isinstance(graders, dict) or not graders or len(graders) > MAX_GRADERS:
            raise field_error(f"{where}.graders", f"a multi grader needs 1 to {MAX_GRADERS} named sub-graders "
                              "(not nested)")
        for name, sub in graders.items():
            validate(sub, f"{where}.graders.{name}", depth + 1)
        try:
            formula.parse(config.get("calculate_output"), set(graders))
        except formula.FormulaError as e:
            raise field_error(f"{where}.calculate_output", str(e)) from None

    def score(self, config: Mapping[str, Any], sample: Sample) -> Scored:
        checks, values = [], {}
        for name, sub in config["graders"].items():
            scored = run(sub, sample)
            values[name] = scored.score
            own = scored.checks[0] if len(scored.checks) == 1 else Check(name, False, reason=sub["type"])
            checks.append(Check(name, passes(sub, values[name]), values[name], own.reason, own.status))  # its why
        try:
            score = formula.evaluate(formula.parse(config["calculate_output"], set(values)), values)
        except formula.FormulaError as e:
            return Scored(0.0, [*checks, Check("calculate_output", False, 0.0, str(e))])
        return Scored(score, checks)


register(Multi())
