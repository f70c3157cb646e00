"""``{{sample.output_text}}``, ``{{sample.output_json.x[0]}}`` and ``{{item.x.y[1]}}`` in grader configs.

A variable is a namespace and a path of ``.key`` (an object's field) and ``[n]`` (a list's element, from 0)
steps. Config validation (``variables.check``) refuses any ``{{name...}}`` that is not one of these; rendering refuses
(``UnresolvedVariable``) an ``item`` variable the item lacks (a data or config error: a free "" would pass
``like`` for every response), while a ``sample.output_json`` one the response lacks renders "" (the
response's own failure). A value that is not a string renders as its JSON, a whole-number float as an integer.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable, Mapping

from ...types import Item
from ..base import InvalidItem
from .kinds import Sample
from .variables import VARIABLE, Step, expression_of, parse

_JSON_STARTS = frozenset('{["-0123456789tfnNI')  # what json.loads may accept first
UNRESOLVED = "unresolved template variable"  # how an UnresolvedVariable's message begins (the gateway's flag)
MAX_SAFE_INTEGER = 2 ** 53  # whole floats below it print exactly as integers
_MAX_NORMALISED_DEPTH = 100  # deeper values keep their floats (no recursion past Python's limit)

_MISSING = object()


class UnresolvedVariable(InvalidItem):
    """An ``item`` variable the item does not have: the item is INVALID_ARGUMENT, it earns no reward."""


def sample_of(item: Item, fields: Mapping[str, Any] | None) -> Sample:
    """The namespace the templates read: the response (and its JSON, where it parses) and the item's fields,
    with the item's ``reference`` and ``prompt`` under ``item.reference`` and ``item.prompt`` unless the
    fields give their own (an OpenAI dataset item, as the graders/run endpoint passes it, is the whole item).
    Where ``item.reference`` is the item's and it has several, ``Sample.references`` holds them all."""
    output_json = None
    if item.response.lstrip()[:1] in _JSON_STARTS:  # prose fails fast, without raising and catching an error
        try:
            output_json = json.loads(item.response)
        except (ValueError, RecursionError):
            pass
    item_fields = {"reference": item.references[0], "prompt": item.prompt, **(fields or {})}
    several = len(item.references) > 1 and "reference" not in (fields or {})
    return Sample({"sample": {"output_text": item.response, "output_json": output_json}, "item": item_fields},
                  graded=item, references=tuple(dict.fromkeys(item.references)) if several else ())


def render(template: str, namespace: Mapping[str, Any]) -> str:
    """The template filled in. UnresolvedVariable for an ``item`` variable that does not resolve (or is
    null); "" for a ``sample`` one (the response is not JSON or lacks the field)."""
    return VARIABLE.sub(lambda match: _text(match, namespace), template)


def _text(match: re.Match, namespace: Mapping[str, Any]) -> str:
    parsed = parse(expression_of(match))
    if parsed is None:
        return match.group(0)  # config validation refuses these; a direct caller gets them back as written
    value, why = lookup(namespace, *parsed)
    if value is _MISSING:
        if parsed[0] == "item":
            raise UnresolvedVariable(f"{UNRESOLVED} {match.group(0)}: {why}")
        return ""
    return value if isinstance(value, str) else json.dumps(whole_numbers(value))


def lookup(namespace: Mapping[str, Any], name: str, steps: tuple[Step, ...]) -> tuple[Any, str]:
    """The variable's value and "", or ``_MISSING`` and why (null counts as missing)."""
    current, path = namespace.get(name), name
    for step in steps:
        if isinstance(step, int):
            if not isinstance(current, list):
                return _MISSING, f"{path} is {_kind(current)}, not a list"
            if step >= len(current):
                return _MISSING, f"{path} has {len(current)} elements, no [{step}]"
            path = f"{path}[{step}]"
        else:
            if not isinstance(current, dict):
                return _MISSING, f"{path} is {_kind(current)}, not an object"
            if step not in current:
                return _MISSING, f"{path} has no field {step!r}"
            path = f"{path}.{step}"
        current = current[step]
    return (_MISSING, f"{path} is null") if current is None else (current, "")


def _kind(value: Any) -> str:
    return "null" if value is None else f"a {type(value).__name__}"


def whole_numbers(value: Any, depth: int = 0) -> Any:
    """Whole-number floats as integers: gRPC's Struct carries every number as a double, so an item's 42
    arrives as 42.0 and would render "42.0" where the dataset said "42"."""
    if isinstance(value, float) and value.is_integer() and abs(value) < MAX_SAFE_INTEGER:
        return int(value)
    if depth >= _MAX_NORMALISED_DEPTH:
        return value
    if isinstance(value, list):
        return [whole_numbers(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {k: whole_numbers(v, depth + 1) for k, v in value.items()}
    return value


def reads_reference(template: str) -> bool:
    """Whether the template reads ``{{item.reference}}`` (or the whole ``{{item}}``)."""
    for match in VARIABLE.finditer(template):
        parsed = parse(expression_of(match))
        if parsed is not None and parsed[0] == "item" and parsed[1][:1] in ((), ("reference",)):
            return True
    return False


def namespaces(sample: Sample, *templates: str) -> list[Mapping[str, Any]]:
    """The namespaces to render these templates in: one per reference where they read ``item.reference``
    and the item has several (each is scored, the best counts), else the sample's own."""
    if not sample.references or not any(reads_reference(t) for t in templates):
        return [sample.namespace]
    return [with_reference(sample.namespace, reference) for reference in sample.references]


def with_reference(namespace: Mapping[str, Any], reference: str) -> dict[str, Any]:
    return {**namespace, "item": {**namespace["item"], "reference": reference}}


def survey(templates: Iterable[str], namespace: Mapping[str, Any]) -> tuple[int, str]:
    """About the most characters any of these templates renders to, measured without rendering them (a
    template repeating a long variable would build the long string first), each variable once; and the
    UnresolvedVariable message of the first ``item`` variable that does not resolve ("" when all do)."""
    sizes: dict[str, int] = {}
    longest, unresolved = 0, ""
    for template in templates:
        total = len(template)
        for match in VARIABLE.finditer(template):
            expression = expression_of(match)
            if expression not in sizes:
                sizes[expression], why = _size(expression, namespace)
                unresolved = unresolved or (why and f"{UNRESOLVED} {match.group(0)}: {why}")
            total += sizes[expression] - len(match.group(0))
        longest = max(longest, total)
    return longest, unresolved


def _size(expression: str, namespace: Mapping[str, Any]) -> tuple[int, str]:
    """The variable's rendered length, and why an ``item`` one does not resolve ("" when it does)."""
    parsed = parse(expression)
    if parsed is None:
        return len(expression) + 4, ""  # left as written (about: "{{", "}}" and any spaces)
    value, why = lookup(namespace, *parsed)
    if value is _MISSING:
        return 0, why if parsed[0] == "item" else ""  # a sample one renders ""
    return (len(value) if isinstance(value, str) else len(json.dumps(value))), ""
