"""Answers that name a position, for questions that ask for one.

"In which place did Alice finish?" is answered by "She came third." or "\\boxed{\\text{3rd}}":
when the question asks which place, position, rank or term, an ordinal stands for its number.
Only then: elsewhere "third" may be a fraction's denominator or just a word.
"""

from __future__ import annotations

import functools
import re
from dataclasses import replace
from typing import Iterable

from .extract import EXPR, QUESTION_CHARS, STRONG_METHODS, Extraction
from .normalize import unwrap_text
from .number_words import ORDINAL_RE, ordinal_value

_POSITION_QUESTION_RE = re.compile(
    r"\b(?:which|what)\s+(?:\w+\s+)?(?:place|position|rank|ranking|term|row|seat|spot|floor|round|turn|lap|stage|"
    r"attempt|game|day|week|month|year)\b|\bhow\s+did\s+\w+\s+(?:place|rank|finish)\b", re.IGNORECASE)


def asks_for_position(prompt: str) -> bool:
    return bool(prompt) and _asks_for_position(prompt[-QUESTION_CHARS:])


@functools.lru_cache(maxsize=1024)  # a GRPO group shares its prompt
def _asks_for_position(question: str) -> bool:
    return _POSITION_QUESTION_RE.search(question) is not None


def ordinal_in(text: str) -> int | None:
    """The position a short answer names, when it names exactly one ("the third term", "3rd")."""
    plain = unwrap_text(text)
    found = list(ORDINAL_RE.finditer(plain))
    if len(found) != 1 or len(plain) > 200:
        return None
    outside = plain[:found[0].start()] + plain[found[0].end():]
    if any(c.isdigit() for c in outside):  # "3rd of 5": not only a position
        return None
    return ordinal_value(found[0].group(0))


def with_positions(candidates: Iterable[Extraction], text: str) -> list[Extraction]:
    """Candidates with ordinals read as numbers; the response's last ordinal after the explicit
    ones (box, answer marker) and before the weaker guesses (the last number)."""
    strong, weak = [], []
    for c in candidates:
        value = ordinal_in(c.text)
        read = replace(c, text=str(value), method=f"{c.method}+ordinal") if value is not None else c
        (strong if c.method.startswith(STRONG_METHODS) else weak).append(read)
    last = None
    for last in ORDINAL_RE.finditer(text[-20_000:]):
        pass
    value = ordinal_value(last.group(0)) if last is not None else None
    found = [Extraction(str(value), "ordinal", EXPR, max(0, len(text) - 20_000) + last.start())] \
        if value is not None and last is not None else []
    return [*strong, *found, *weak]
