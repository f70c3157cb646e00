"""Numbers written in English words: "twelve", "twenty-one", "one hundred and five",
"a half", "three quarters", "two and a half".

``NUMBER_WORDS_RE`` finds such a phrase in running text (a bare "one" or "a"
is no number: "the larger one"); ``words_value`` reads a whole phrase exactly,
or returns None. Linear scans only.
"""

from __future__ import annotations

import re
from fractions import Fraction

_UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
          "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
          "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9}
# Denominators: "a half", "three quarters", "two thirds", "five eighths".
_PARTS = {"half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4, "fourth": 4, "fourths": 4,
          "fifth": 5, "fifths": 5, "sixth": 6, "sixths": 6, "seventh": 7, "sevenths": 7, "eighth": 8, "eighths": 8,
          "ninth": 9, "ninths": 9, "tenth": 10, "tenths": 10}

_WORD = "|".join(sorted([*_UNITS, *_TENS, *_SCALES], key=len, reverse=True))
_PART = "|".join(sorted(_PARTS, key=len, reverse=True))
_COUNT = rf"(?:{_WORD})(?:(?:[\s-]+|\s+and\s+)(?:{_WORD}))*"
# A count, a fraction ("three quarters", "a half") or both ("two and a half"); "one" alone is left out below.
NUMBER_WORDS_RE = re.compile(
    rf"\b(?:(?:a|an|{_COUNT})\s+(?:{_PART})|(?:{_COUNT})(?:\s+and\s+(?:a|an|one)\s+(?:{_PART}))?)\b",
    re.IGNORECASE,
)
_TOKEN_RE = re.compile(r"[a-z]+")
_ALPHA_RE = re.compile(r"[A-Za-z]+")
_VOCABULARY = frozenset([*_UNITS, *_TENS, *_SCALES, *_PARTS])


def last_number_phrase(text: str, lo: int = 0) -> re.Match | None:
    """The last number phrase in ``text[lo:]`` (not a bare "one"). One pass over its words with a
    set lookup, then the phrase regex only around the words that may end one: linear and cheap
    (the phrase regex alone over 20,000 characters costs several milliseconds)."""
    hits = [m for m in _ALPHA_RE.finditer(text, lo) if m.group(0).lower() in _VOCABULARY]
    for word in reversed(hits):
        found = None
        for m in NUMBER_WORDS_RE.finditer(text, max(lo, word.start() - 120), word.end()):
            if text[m.end():m.end() + 1] == "-":  # "twenty-first", "two-thirds": not this count
                continue
            if m.start() <= word.start() < m.end() and words_value(m.group(0)) is not None:
                found = m
        if found is not None:
            return found
    return None


def words_value(phrase: str, *, whole_answer: bool = False) -> Fraction | None:
    """The exact value of a number-word phrase, or None when it is not one. A bare "one" is a
    number only as a ``whole_answer`` (``\\boxed{one}``), not in running text ("the larger one")."""
    text = phrase.strip().lower()
    if not NUMBER_WORDS_RE.fullmatch(text) or text in ("a", "an") or (text == "one" and not whole_answer):
        return None
    whole_part, _, fraction_part = text.partition(" and a ")
    if not fraction_part:
        whole_part, _, fraction_part = text.partition(" and an ")
    tokens = _TOKEN_RE.findall(whole_part)
    if tokens and tokens[-1] in _PARTS and not fraction_part:  # "three quarters"
        count = _count(tokens[:-1]) if tokens[:-1] not in (["a"], ["an"]) else 1
        return None if count is None else Fraction(count, _PARTS[tokens[-1]])
    count = _count(tokens)
    if count is None:
        return None
    if fraction_part:  # "two and a half"
        part = _TOKEN_RE.findall(fraction_part)
        if len(part) != 1 or part[0] not in _PARTS:
            return None
        return count + Fraction(1, _PARTS[part[0]])
    return Fraction(count)


def _count(tokens: list[str]) -> int | None:
    """"one hundred and five" → 105, "twenty one thousand" → 21000."""
    total = current = 0
    seen = False
    for token in tokens:
        if token == "and":
            continue
        if token in _UNITS:
            current += _UNITS[token]
        elif token in _TENS:
            current += _TENS[token]
        elif token == "hundred":
            current = (current or 1) * 100
        elif token in _SCALES:
            total += (current or 1) * _SCALES[token]
            current = 0
        else:
            return None
        seen = True
    return total + current if seen else None


# Ordinal words: "third", "twenty-first", "one hundredth"; and numerals "3rd", "21st".
_ORDINAL_UNITS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
                  "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
                  "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
                  "nineteenth": 19, "twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50,
                  "sixtieth": 60, "seventieth": 70, "eightieth": 80, "ninetieth": 90, "hundredth": 100,
                  "thousandth": 1000, "millionth": 10**6}
_ORDINAL = "|".join(sorted(_ORDINAL_UNITS, key=len, reverse=True))
ORDINAL_RE = re.compile(rf"\b(?:(?:{_COUNT})(?:[\s-]+|\s+and\s+))?(?:{_ORDINAL})\b|\b\d+(?:st|nd|rd|th)\b", re.IGNORECASE)
_NUMERAL_ORDINAL_RE = re.compile(r"(\d+)(st|nd|rd|th)", re.IGNORECASE)


def ordinal_value(phrase: str) -> int | None:
    """The position an ordinal phrase names ("twenty-first" → 21, "3rd" → 3), or None."""
    text = phrase.strip().lower()
    numeral = _NUMERAL_ORDINAL_RE.fullmatch(text)
    if numeral:
        return int(numeral.group(1))
    tokens = _TOKEN_RE.findall(text)
    if not tokens or tokens[-1] not in _ORDINAL_UNITS or not ORDINAL_RE.fullmatch(text):
        return None
    last = _ORDINAL_UNITS[tokens[-1]]
    if len(tokens) == 1:
        return last
    head = _count(tokens[:-1])
    if head is None:
        return None
    if last >= 100:  # "one hundredth", "two thousandth": the count scales the last word
        return head * last
    return head + last  # "twenty-first", "one hundred and third"


def spell_out(phrase: str) -> str | None:
    """A whole answer's phrase as digits (``"12"``, ``"3/4"``, ``"5/2"``), or None when it is no number phrase."""
    value = words_value(phrase, whole_answer=True)
    if value is None:
        return None
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
