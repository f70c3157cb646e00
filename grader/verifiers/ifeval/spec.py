"""Reading a reference into constraints: IFEval's evaluation form, validated once.

The reference is ``{"instruction_id_list": [...], "kwargs": [{...}, ...]}`` as a
JSON string, one kwargs mapping per id; a null means "not given" (Hugging Face's
copy of IFEval gives every id every argument name, nulls for the others). The
official checker fills a missing argument at random; here it is INVALID_ARGUMENT.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from ..base import InvalidItem
from .text import LANGDETECT_CODES

RELATIONS = ("less than", "at least")
Args = Mapping[str, Any]


@dataclass(frozen=True)
class Constraint:
    """One instruction to check: its IFEval id and its validated arguments."""

    id: str
    args: tuple[tuple[str, Any], ...]

    def arg(self, name: str) -> Any:
        return dict(self.args)[name]


# --- argument parsers: (id, name, value) -> the value the checker reads ---------------------

def _count(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidItem(f"{where} must be a non-negative integer, not {value!r}")
    return value


def _relation(where: str, value: Any) -> str:
    if value not in RELATIONS:
        raise InvalidItem(f"{where} must be 'less than' or 'at least', not {value!r}")
    return str(value)


def _text(where: str, value: Any) -> str:
    # The official checker strips markers, phrases and keywords before using them.
    if not isinstance(value, str) or not value.strip():
        raise InvalidItem(f"{where} must be a non-empty string")
    return value.strip()


def _texts(where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise InvalidItem(f"{where} must be a non-empty list of non-empty strings")
    return tuple(sorted(set(value)))


def _letter(where: str, value: Any) -> str:
    if not isinstance(value, str) or len(value.strip()) != 1:
        raise InvalidItem(f"{where} must be a single letter, not {value!r}")
    return value.strip().lower()


def _language(where: str, value: Any) -> str:
    if value not in LANGDETECT_CODES:
        raise InvalidItem(f"{where} must be a language code langdetect knows (such as en, fr, zh-cn), "
                          f"not {value!r}")
    return str(value)


def _lower_text(where: str, value: Any) -> str:
    return _text(where, value).lower()


Parser = Callable[[str, Any], Any]

# Every id's arguments, all required (prompt_to_repeat falls back to the item's prompt).
ARGUMENTS: dict[str, dict[str, Parser]] = {
    "keywords:existence": {"keywords": _texts},
    "keywords:frequency": {"keyword": _text, "frequency": _count, "relation": _relation},
    "keywords:forbidden_words": {"forbidden_words": _texts},
    "keywords:letter_frequency": {"letter": _letter, "let_frequency": _count, "let_relation": _relation},
    "language:response_language": {"language": _language},
    "length_constraints:number_sentences": {"num_sentences": _count, "relation": _relation},
    "length_constraints:number_paragraphs": {"num_paragraphs": _count},
    "length_constraints:number_words": {"num_words": _count, "relation": _relation},
    "length_constraints:nth_paragraph_first_word": {"num_paragraphs": _count, "nth_paragraph": _count,
                                                    "first_word": _lower_text},
    "detectable_content:number_placeholders": {"num_placeholders": _count},
    "detectable_content:postscript": {"postscript_marker": _text},
    "detectable_format:number_bullet_lists": {"num_bullets": _count},
    "detectable_format:constrained_response": {},
    "detectable_format:number_highlighted_sections": {"num_highlights": _count},
    "detectable_format:multiple_sections": {"section_spliter": _text, "num_sections": _count},
    "detectable_format:json_format": {},
    "detectable_format:title": {},
    "combination:two_responses": {},
    "combination:repeat_prompt": {"prompt_to_repeat": _text},
    "startend:end_checker": {"end_phrase": _text},
    "change_case:capital_word_frequency": {"capital_frequency": _count, "capital_relation": _relation},
    "change_case:english_capital": {},
    "change_case:english_lowercase": {},
    "punctuation:no_comma": {},
    "startend:quotation": {},
}


def parse_reference(reference: str, prompt: str) -> tuple[Constraint, ...]:
    """The constraints a reference asks for; InvalidItem names what is malformed or missing."""
    try:
        data = json.loads(reference)
    except (ValueError, RecursionError) as e:
        raise InvalidItem(f"the ifeval reference is not JSON ({e})") from None
    if not isinstance(data, dict) or not isinstance(data.get("instruction_id_list"), list):
        raise InvalidItem("the ifeval reference must be a JSON object with 'instruction_id_list' and 'kwargs'")
    ids = data["instruction_id_list"]
    kwargs = data.get("kwargs")
    if kwargs is None:
        kwargs = [{} for _ in ids]
    if not ids:
        raise InvalidItem("the ifeval reference's 'instruction_id_list' is empty")
    if not isinstance(kwargs, list) or len(kwargs) != len(ids):
        raise InvalidItem(f"the ifeval reference needs one 'kwargs' mapping per instruction id ({len(ids)})")
    return tuple(_constraint(i, k, prompt) for i, k in zip(ids, kwargs))


def _constraint(instruction: Any, kwargs: Any, prompt: str) -> Constraint:
    if instruction not in ARGUMENTS:
        raise InvalidItem(f"unknown instruction id {instruction!r}; known ids: {', '.join(ARGUMENTS)}")
    if kwargs is None:
        kwargs = {}
    if not isinstance(kwargs, dict):
        raise InvalidItem(f"the kwargs of {instruction} must be a JSON object")
    given = {k: v for k, v in kwargs.items() if v is not None}
    if instruction == "combination:repeat_prompt" and "prompt_to_repeat" not in given and prompt.strip():
        given["prompt_to_repeat"] = prompt  # the item's prompt is the request to repeat
    parsers = ARGUMENTS[instruction]
    unknown = sorted(set(given) - set(parsers))
    if unknown:
        raise InvalidItem(f"{instruction} takes no argument {unknown[0]!r}"
                          + (f"; it takes {', '.join(parsers)}" if parsers else ""))
    missing = [name for name in parsers if name not in given]
    if missing:
        raise InvalidItem(f"{instruction} needs argument {missing[0]!r}")
    args = tuple((name, parse(f"{instruction} argument {name!r}", given[name])) for name, parse in parsers.items())
    constraint = Constraint(instruction, args)
    _check_consistent(constraint)
    return constraint


def _check_consistent(c: Constraint) -> None:
    if c.id == "length_constraints:nth_paragraph_first_word":
        nth, num = c.arg("nth_paragraph"), c.arg("num_paragraphs")
        if not 1 <= nth <= num:
            raise InvalidItem(f"{c.id} argument 'nth_paragraph' must be between 1 and num_paragraphs ({num})")
