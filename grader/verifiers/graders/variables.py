"""Which ``{{...}}`` variables a grader config's templates may name, checked with the config.

A variable is a namespace and a path of ``.key`` (an object's field) and ``[n]`` (a list's element, from 0)
steps: ``{{sample.output_text}}``, ``{{sample.output_json.<path>}}`` or ``{{item.<path>}}``. Anything else
written as a variable is refused with the config (``check``). Rendering is ``templates``'s; this module
needs nothing of it, so that the config checks (``kinds.validate``) can use it.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Iterator, Mapping

from ..base import InvalidItem

# Anything written as a variable, "{{ name... }}"; "{{" before something else (JSON in a prompt) stays text.
# Greedy up to the braces, trailing spaces stripped after: a lazy match backtracked quadratically.
VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][^{}]*)\}\}")
_EXPRESSION = re.compile(r"(sample|item)((?:\.[A-Za-z0-9_]+|\[[0-9]+\])*)")
_STEP = re.compile(r"\.([A-Za-z0-9_]+)|\[([0-9]+)\]")
# The config fields that are templates (a model grader's input: its messages' contents), in every type.
TEMPLATE_FIELDS = ("input", "reference", "prompt", "count")

Step = str | int


@functools.lru_cache(maxsize=4096)
def parse(expression: str) -> tuple[str, tuple[Step, ...]] | None:
    """A known variable's namespace and steps; None for anything else (``sample.choices``, ``foo.bar``)."""
    match = _EXPRESSION.fullmatch(expression)
    if match is None:
        return None
    steps = tuple(key or int(index) for key, index in _STEP.findall(match.group(2)))
    if match.group(1) == "sample" and steps != ("output_text",) and steps[:1] != ("output_json",):
        return None
    return match.group(1), steps


def expression_of(match: re.Match) -> str:
    return match.group(1).rstrip()


def check(template: str, where: str) -> None:
    """InvalidItem naming the field for a variable no item could fill."""
    for match in VARIABLE.finditer(template):
        if parse(expression_of(match)) is None:
            raise InvalidItem(f"unknown template variable {match.group(0)!r}: templates read "
                              "{{sample.output_text}}, {{sample.output_json.<path>}} and {{item.<path>}}, a path "
                              f"of .key and [n] steps ({where})")


def template_strings(config: Mapping[str, Any], where: str = "options.grader", *,
                     nested: bool = False) -> Iterator[tuple[str, str]]:
    """(field path, text) of each template in a validated config; a multi's sub-graders' too with ``nested``."""
    for key in TEMPLATE_FIELDS:
        if key in config:
            yield from _strings(config[key], f"{where}.{key}")
    graders = config.get("graders")
    if nested and config.get("type") == "multi" and isinstance(graders, dict):
        for name, sub in graders.items():
            yield from template_strings(sub, f"{where}.graders.{name}", nested=True)


def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    # A model grader's input is a list of messages, a content a string or a list of parts: validated shallow.
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, list):
        for i, part in enumerate(value):
            yield from _strings(part, f"{where}.{i}")
    elif isinstance(value, dict):
        for key, part in value.items():
            yield from _strings(part, f"{where}.{key}")
