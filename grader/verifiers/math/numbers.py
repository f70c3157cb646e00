"""Exact parsing of plain numbers, without sympy (the engine's fast path).

Integers with thousands separators, decimals (``.05``), fractions (``1/20``,
``\\frac{1}{20}``), mixed numbers (``2 1/2``, ``2\\frac{1}{2}``) and scientific
notation (``5E-02``, ``5 \\times 10^{-2}``, ``5·10⁻²`` after normalization).
Values are ``fractions.Fraction``; a decimal remembers how many places it was
written with so the tolerance policy can tell ``0.33`` (rounded) from ``1/3``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

MAX_EXPONENT = 400  # larger powers of ten go to sympy, under the time budget


@dataclass(frozen=True)
class Number:
    """An exact value and, for decimals, the places and significant digits written."""

    value: Fraction
    places: int | None = None  # None: written exactly (integer, fraction)
    sig_digits: int = 0

    @property
    def is_decimal(self) -> bool:
        return self.places is not None


_INT = r"(?:\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+|\d+)"
_DEC = rf"(?:{_INT}(?:\.\d*)?|\.\d+)"
_SIGN = r"[-+]?"
_SCI_E_RE = re.compile(rf"^({_SIGN})({_DEC})[eE]([-+]?\d+)$")
_SCI_TIMES_RE = re.compile(
    rf"^({_SIGN})({_DEC})\s*(?:\\times|\\cdot|x|\*|×)\s*10\s*\^\s*(?:\{{\s*([-+]?\d+)\s*\}}|([-+]?\d+))$"
)
_POW10_RE = re.compile(r"^([-+]?)10\s*\^\s*(?:\{\s*([-+]?\d+)\s*\}|([-+]?\d+))$")
_PLAIN_RE = re.compile(rf"^({_SIGN})({_DEC})$")
_REPEATING_RE = re.compile(r"^([-+]?)(\d*)\.(\d*)\((\d+)\)$")  # 0.1(6): normalized 0.1\overline{6}
_COMMA_DECIMAL_RE = re.compile(r"^([-+]?)(\d+),(\d+)$")
_FRAC_RE = re.compile(r"^([-+]?)\\frac\{\s*([-+]?\d+)\s*\}\{\s*(\d+)\s*\}$")
_SLASH_RE = re.compile(rf"^({_SIGN})\(?\s*({_INT})\s*\)?\s*/\s*\(?\s*({_INT})\s*\)?$")
_MIXED_RE = re.compile(rf"^({_SIGN})({_INT})\s+([1-9]\d*|0)\s*/\s*(\d+)$")
_MIXED_FRAC_RE = re.compile(rf"^({_SIGN})({_INT})\s*\\frac\{{\s*(\d+)\s*\}}\{{\s*(\d+)\s*\}}$")


class InvalidNumber(ValueError):
    """A number-shaped answer that denotes no value (``4 4/0``, ``11 7/6``)."""


def _int(text: str) -> int:
    return int(text.replace(",", "").replace(" ", ""))


def _decimal(sign: str, digits: str, exponent: int = 0) -> Number:
    digits = digits.replace(",", "").replace(" ", "")
    whole, _, frac = digits.partition(".")
    value = Fraction(int(whole or "0") * 10 ** len(frac) + int(frac or "0"), 10 ** len(frac))
    if exponent:
        value *= Fraction(10) ** exponent
    if sign == "-":
        value = -value
    stripped = (whole + frac).lstrip("0")
    sig = len(stripped) if stripped else 1
    places = None
    if "." in digits:
        places = len(frac) - exponent
    elif exponent < 0:
        places = -exponent
    return Number(value, places, sig)


def parse_number(text: str) -> Number | None:
    """Parse ``text`` as one plain number, or return None when it is anything else.

    Raises InvalidNumber for number-shaped text with no value (a zero
    denominator, an improper fraction in a mixed number).
    """
    s = text.strip()
    if not s or len(s) > 200:
        return None
    m = _PLAIN_RE.match(s)
    if m:
        return _decimal(m.group(1), m.group(2))
    m = _REPEATING_RE.match(s)
    if m:
        return Number(_repeating(*m.groups()))
    # "1 101/125" reads as a mixed number before "1 101" as a spaced thousands group.
    m = _MIXED_RE.match(s) or _MIXED_FRAC_RE.match(s)
    if m:
        whole, num, den = _int(m.group(2)), int(m.group(3)), int(m.group(4))
        if den == 0 or num >= den:
            raise InvalidNumber("not a mixed number")
        value = whole + Fraction(num, den)
        return Number(-value if m.group(1) == "-" else value)
    m = _FRAC_RE.match(s) or _SLASH_RE.match(s)
    if m:
        num, den = _int(m.group(2)), _int(m.group(3))
        if den == 0:
            raise InvalidNumber("zero denominator")
        value = Fraction(num, den)
        return Number(-value if m.group(1) == "-" else value)
    m = _SCI_E_RE.match(s)
    if m:
        exp = int(m.group(3))
        if abs(exp) > MAX_EXPONENT:
            return None
        return _decimal(m.group(1), m.group(2), exp)
    m = _SCI_TIMES_RE.match(s)
    if m:
        exp = int(m.group(3) or m.group(4))
        if abs(exp) > MAX_EXPONENT:
            return None
        return _decimal(m.group(1), m.group(2), exp)
    m = _POW10_RE.match(s)
    if m:
        exp = int(m.group(2) or m.group(3))
        if abs(exp) > MAX_EXPONENT:
            return None
        value = Fraction(10) ** exp
        return Number(-value if m.group(1) == "-" else value)
    return None


def number_or_none(text: str) -> Number | None:
    """``parse_number``, with None also for number-shaped text that has no value (a zero denominator)."""
    try:
        return parse_number(text)
    except InvalidNumber:
        return None


def _repeating(sign: str, whole: str, fixed: str, period: str) -> Fraction:
    """0.1(6) = 0.1 + 0.0(6) = 1/10 + 6/90 = 1/6."""
    value = int(whole or "0") + Fraction(int(fixed or "0"), 10 ** len(fixed))
    value += Fraction(int(period), (10 ** len(period) - 1) * 10 ** len(fixed))
    return -value if sign == "-" else value


def parse_comma_decimal(text: str) -> Number | None:
    """``1000,99`` or ``2,74`` read with a decimal comma (one of two readings)."""
    m = _COMMA_DECIMAL_RE.match(text.strip())
    if not m:
        return None
    return _decimal(m.group(1), f"{m.group(2)}.{m.group(3)}")


def round_half_up(value: Fraction, places: int) -> Fraction:
    scale = Fraction(10) ** places
    scaled = abs(value) * scale
    rounded = Fraction(int(scaled + Fraction(1, 2))) / scale
    return rounded if value >= 0 else -rounded


def truncate(value: Fraction, places: int) -> Fraction:
    scale = Fraction(10) ** places
    t = Fraction(int(abs(value) * scale)) / scale
    return t if value >= 0 else -t
