"""``string_check``: ``eq``, ``ne``, ``like`` (substring), ``ilike`` (case-insensitive substring); 1 or 0."""

from __future__ import annotations

from typing import Any, Mapping

from ...types import Check
from .kinds import GraderKind, Sample, Scored, field_error, passes, register, strings
from .templates import render

OPERATIONS = {"eq": lambda text, ref: text == ref, "ne": lambda text, ref: text != ref,
              "like": lambda text, ref: ref in text, "ilike": lambda text, ref: ref.lower() in text.lower()}


class StringCheck(GraderKind):
    type = "string_check"
    fields = frozenset({"input", "reference", "operation"})

    def validate(self, config: Mapping[str, Any], where: str, depth: int) -> None:
        strings(config, where, "input", "reference")
        if not isinstance(config.get("operation"), str) or config["operation"] not in OPERATIONS:
            raise field_error(f"{where}.operation", "the operation must be eq, ne, like or ilike")

    def score(self, config: Mapping[str, Any], sample: Sample) -> Scored:
        text, reference = render(config["input"], sample.namespace), render(config["reference"], sample.namespace)
        score = float(OPERATIONS[config["operation"]](text, reference))
        return Scored(score, [Check(config.get("name") or self.type, passes(config, score), score, self.type)])


register(StringCheck())
