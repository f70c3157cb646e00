"""The exact number parser and the decimal tolerance policy."""

from fractions import Fraction

import pytest

import grader

from grader.verifiers.math.compare import numbers_match
from grader.verifiers.math.numbers import InvalidNumber, Number, parse_number


@pytest.mark.parametrize("text, value", [
    ("72", 72), ("-5", -5), ("+3", 3), ("007", 7),
    ("7,425,000", 7425000), ("1 000", 1000), ("12,000,023", 12000023),
    (".05", Fraction(1, 20)), ("0.050", Fraction(1, 20)), ("1000.0", 1000),
    ("1/20", Fraction(1, 20)), (r"\frac{1}{20}", Fraction(1, 20)), ("-10/9", Fraction(-10, 9)),
    ("2 1/2", Fraction(5, 2)), (r"2\frac{1}{2}", Fraction(5, 2)), ("-4 4/9", Fraction(-40, 9)), ("1 000 4/9", Fraction(9004, 9)),
    ("5E-02", Fraction(1, 20)), ("5e-2", Fraction(1, 20)), ("5 x 10^-2", Fraction(1, 20)),
    (r"5 \times 10^{-2}", Fraction(1, 20)), (r"5\cdot 10^{-2}", Fraction(1, 20)), ("10^{3}", 1000),
])
def test_parse_number(text, value):
    assert parse_number(text).value == value


@pytest.mark.parametrize("text", ["x", "1,2,3", r"\sqrt{2}", "2x", "10^{10^{8}}", "1e500"])
def test_not_plain_numbers(text):
    assert parse_number(text) is None


@pytest.mark.parametrize("text", ["4 4/0", "11 7/6", "11 6/6", "1/0"])
def test_invalid_numbers(text):
    with pytest.raises(InvalidNumber):
        parse_number(text)


def test_decimal_places_and_digits():
    n = parse_number("85.71")
    assert (n.places, n.sig_digits) == (2, 4)
    assert parse_number("600/7").places is None


def num(text):
    return parse_number(text)


@pytest.mark.parametrize("a, b, expected", [
    ("85.71", "600/7", True),       # rounded
    ("0.333", "1/3", True),
    ("0.6666", "2/3", True),        # truncated
    ("0.5", "0.52", False),         # one significant digit is not a rounding
    ("1.54", "1.5", False),
    ("1", "99999/100000", False),   # integers are exact
    ("55314", "55315", False),
    ("0.99999", "1", False),
    ("3.14", "3.14159", True),
])
def test_tolerance_policy(a, b, expected):
    assert numbers_match(num(a), num(b), None) is expected


def test_precision_option_rounds_both_sides():
    assert numbers_match(num("0.333"), num("1/3"), 3)
    assert not numbers_match(num("0.333"), num("1/3"), 4)
    assert numbers_match(Number(Fraction(1, 3), 40, 40), num("0.3333"), 4)


def test_phantom_content_is_not_shown():
    from grader.verifiers.math.normalize import normalize_answer

    assert normalize_answer(r"\phantom{5}")[0] == ""
    assert normalize_answer(r"\hphantom{\frac{1}{2}}7\vphantom{x}")[0] == "7"


@pytest.mark.parametrize("mark", ["\u2066", "\u2067", "\u2068", "\u2069", "\u061c"])
def test_invisible_direction_marks_inside_a_box_are_dropped(mark):
    # An unreadable box is a PARSE_ERROR now (no last number stands in for it): these marks must not make one.
    assert grader.grade(rf"\boxed{{{mark}42{mark}}}", "42").correct
