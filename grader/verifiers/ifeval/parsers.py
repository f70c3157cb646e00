"""Argument parsers: ``(where, value) -> the value a checker reads``, or InvalidItem naming ``where``."""

from __future__ import annotations

from typing import Any, Callable

from ..base import InvalidItem
from .text import LANGDETECT_CODES

RELATIONS = ("less than", "at least")


def _count(where: str, value: Any) -> int:
    if isinstance(value, float) and value.is_integer():  # a dataset column holding nulls stores its ints as floats
        value = int(value)
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


def _positive(where: str, value: Any) -> int:
    if _count(where, value) < 1:
        raise InvalidItem(f"{where} must be a positive integer, not {value!r}")
    return value


def _word(where: str, value: Any) -> str:
    # IFEvalG's generated data sometimes gives a one-element list where a word is meant.
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    word = _text(where, value)
    if len(word.split()) != 1:
        raise InvalidItem(f"{where} must be a single word, not {value!r}")
    return word


def _options(where: str, value: Any) -> tuple[str, ...]:
    # RLVR-IFeval data holds the options as a list, or as one comma-separated string.
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    return _texts(where, value)


def _raw_text(where: str, value: Any) -> str:
    # Character indices (new:copy_span_idx) refer to the text as given: no stripping.
    if not isinstance(value, str) or not value.strip():
        raise InvalidItem(f"{where} must be a non-empty string")
    return value


Parser = Callable[[str, Any], Any]
