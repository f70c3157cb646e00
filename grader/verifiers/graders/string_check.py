"""``string_check``: ``eq``, ``ne``, ``like`` (substring), ``ilike`` (case-insensitive substring); 1 or 0.

An empty rendered reference matches nothing: ``eq``, ``like`` and ``ilike`` score 0 (``"" in text`` would
pass every response, ``"" == ""`` an empty one), ``ne`` 1 for a non-empty input. Where ``{{item.reference}}``
stands for several references, each is compared: ``eq``, ``like``, ``ilike`` pass on any, ``ne`` only when
the input differs from all.
"""

from __future__ import annotations

from typing import Any, Mapping

from ...types import Check
from .kinds import GraderKind, Sample, Scored, field_error, passes, register, strings
from .templates import namespaces, render

OPERATIONS = {"eq": lambda text, ref: text == ref, "ne": lambda text, ref: text != ref,
              "like": lambda text, ref: ref in text, "ilike": lambda text, ref: ref.lower() in text.lower()}
EMPTY_REFERENCE = "the reference rendered empty, which matches nothing"


def compare(operation: str, text: str, reference: str) -> float:
    """1 or 0; an empty reference is no match (see the module's docstring)."""
    if not reference:
        return float(operation == "ne" and text != "")
    return float(OPERATIONS[operation](text, reference))


class StringCheck(GraderKind):
    type = "string_check"
    fields = frozenset({"input", "reference", "operation"})

    def validate(self, config: Mapping[str, Any], where: str, depth: int) -> None:
        strings(config, where, "input", "reference")
        if not isinstance(config.get("operation"), str) or config["operation"] not in OPERATIONS:
            raise field_error(f"{where}.operation", "the operation must be eq, ne, like or ilike")

    def score(self, config: Mapping[str, Any], sample: Sample) -> Scored:
        operation, scores, empty = config["operation"], [], True
        for namespace in namespaces(sample, config["input"], config["reference"]):
            text, reference = render(config["input"], namespace), render(config["reference"], namespace)
            scores.append(compare(operation, text, reference))
            empty = empty and not reference
        score = min(scores) if operation == "ne" else max(scores)  # ne: the input differs from every reference
        reason = EMPTY_REFERENCE if empty and operation != "ne" else self.type
        return Scored(score, [Check(config.get("name") or self.type, passes(config, score), score, reason)])


register(StringCheck())
