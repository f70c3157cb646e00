"""``{{sample.output_text}}``, ``{{sample.output_json.x}}`` and ``{{item.x.y}}`` in grader configs."""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

from ...types import Item
from .kinds import Sample

_JSON_STARTS = frozenset('{["-0123456789tfnNI')  # what json.loads may accept first
_TEMPLATE = re.compile(r"\{\{\s*(sample|item)((?:\.[A-Za-z0-9_]+)*)\s*\}\}")


def sample_of(item: Item, fields: Mapping[str, Any] | None) -> Sample:
    """The namespace the templates read: the response (and its JSON, where it parses) and the item's fields,
    with the item's ``reference`` and ``prompt`` under ``item.reference`` and ``item.prompt`` unless the
    fields give their own (an OpenAI dataset item, as the graders/run endpoint passes it, is the whole item)."""
    output_json = None
    if item.response.lstrip()[:1] in _JSON_STARTS:  # prose fails fast, without raising and catching an error
        try:
            output_json = json.loads(item.response)
        except (ValueError, RecursionError):
            pass
    item_fields = {"reference": item.references[0], "prompt": item.prompt, **(fields or {})}
    return Sample({"sample": {"output_text": item.response, "output_json": output_json}, "item": item_fields},
                  graded=item)


def render(template: str, namespace: Mapping[str, Any]) -> str:
    """The template filled in; a missing field is empty, a non-string value is its JSON."""
    def value(match: re.Match) -> str:
        current: Any = namespace[match.group(1)]
        for part in match.group(2).split(".")[1:]:
            current = current.get(part) if isinstance(current, dict) else None
        if current is None:
            return ""
        return current if isinstance(current, str) else json.dumps(current)
    return _TEMPLATE.sub(value, template)
