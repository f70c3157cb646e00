"""One answer's text read once: its normal form, display form, text key and parsed values.

Every comparison of a candidate or a reference goes through a :class:`Reading`,
so the text is normalized in one place and parsed at most once per mode.
"""

from __future__ import annotations

import re


from ...types import clip
from .algebra import Exact
from .normalize import canonical_text, has_degrees, normalize_answer
from .parse import MAX_ANSWER_CHARS, Labelled, ParseError, Scalar, Value, parse_normal_form

_DIGIT_RE = re.compile(r"\d")
# An AMC answer as AoPS writes it, "\textbf{(C)}\ 12": the choice's letter, then its value (``Labelled``: a
# bare letter or value matches either, another such answer both), never the product 12·C. Capitals A-E
# only: "(a) 12" is a part.
_LABELLED_CHOICE_RE = re.compile(r"(?:\\(?:textbf|text|mathrm|mathbf)\{\s*\(([A-E])\)\s*\}|\(([A-E])\))\s*(\S.*)")
# A choice's value is a number or math ("12", "\frac{3}{4}", "2\pi"), holding no choice letter outside its
# commands: "(A) (B) (C)", "(A) B" or "(A) 1B" would answer with several letters at once.
_CHOICE_VALUE_RE = re.compile(r"\d|\\(?!text|mathrm|mathbf|textbf)[a-zA-Z]")
_COMMAND_RE = re.compile(r"\\[a-zA-Z]+")
_CHOICE_LETTER_RE = re.compile(r"[A-E]")


class Reading:
    """An answer (or reference) string and the forms every comparison needs."""

    __slots__ = ("text", "norm", "percent", "degrees", "_key")

    def __init__(self, text: str) -> None:
        self.text = text
        self.norm, self.percent = normalize_answer(text)
        self.degrees = has_degrees(text)
        self._key: str | None = None

    @property
    def display(self) -> str:
        """The normalized form shown as evidence (``normalized``, ``normalized_reference``)."""
        return clip(self.norm + "%" if self.percent else self.norm)

    @property
    def text_key(self) -> str:
        """A case- and space-insensitive key for text answers."""
        if self._key is None:
            self._key = canonical_text(self.norm)
        return self._key

    def values(self, use_sympy: bool, radians: bool = False) -> list[Value]:
        """Its readings as values, best first; ParseError when it is no value (NeedsSympy without sympy).
        With ``radians``, an angle written in degrees also reads as radians (30° as π/6)."""
        if len(self.text) > MAX_ANSWER_CHARS:
            raise ParseError(f"answer longer than {MAX_ANSWER_CHARS} characters")
        choice = _LABELLED_CHOICE_RE.fullmatch(self.norm)
        if choice is not None and _CHOICE_VALUE_RE.search(choice.group(3)) \
                and not _CHOICE_LETTER_RE.search(_COMMAND_RE.sub("", choice.group(3))):
            letter = parse_normal_form(choice.group(1) or choice.group(2), False, use_sympy=use_sympy)[0]
            return [Labelled(letter, value) for value in Reading(choice.group(3)).values(use_sympy, radians)]
        readings = parse_normal_form(self.norm, self.percent, use_sympy=use_sympy)
        if radians and self.degrees:
            readings = readings + [Scalar(v.text, None, Exact({(1, 1, ()): v.num.value / 180}))
                                   for v in readings if isinstance(v, Scalar) and v.num is not None]
        return readings

    def same_text(self, other: "Reading") -> bool:
        """Equal after normalization; for text without digits, also ignoring case and spacing."""
        if not self.norm or self.percent != other.percent:
            return False
        if self.norm == other.norm:
            return True
        return self.text_key != "" and self.text_key == other.text_key and not _DIGIT_RE.search(self.norm)
