"""grader.algebra: exact canonical forms must read every text the way latex2sympy does."""

import random

import pytest
import sympy

import grader
from grader.verifiers.math.algebra import parse_exact
from grader.verifiers.math.normalize import normalize_answer
from grader.verifiers.math.symbolic import latex_to_sympy


def _normalized(text: str) -> str:
    return normalize_answer(text)[0]  # what the engine hands the parsers

EQUAL = [
    (r"\frac{\sqrt{3}}{3}", r"\frac{1}{\sqrt{3}}"),
    (r"4\sqrt{2}", r"\sqrt{32}"),
    (r"\frac{5\pi}{6}", r"\frac{5}{6}\pi"),
    (r"5\pi/6", r"\dfrac{5\pi}{6}"),
    ("(x+3)^2", "x^2+6x+9"),
    ("n(2n-1)", "2n^2-n"),
    ("3^{1/2}", r"\sqrt3"),
    (r"\frac12", r"\tfrac{2}{4}"),
    (r"\left( x+1 \right)^{2}", "(x+1)(x+1)"),
    (r"\pi \cdot 7", r"7\pi"),
    (r"2+\sqrt{8}", r"2\sqrt{2}+2"),
    (r"\frac{x+4}{5}", r"\frac{x}{5}+\frac{4}{5}"),
    (r"\sqrt{\frac{1}{2}}", r"\frac{\sqrt{2}}{2}"),
    ("x^{-1}", r"\frac{1}{x}"),
    (r"\gcd(378, 98)", "14"),
]
NOT_EQUAL = [
    (r"\sqrt{2}", r"\sqrt{3}"),
    (r"2\pi", r"\pi^2"),
    ("(x+1)^2", "x^2+1"),
    (r"\frac{\pi}{3}", r"\frac{\pi}{4}"),
    ("2n^2-n", "2n^2+n"),
]
OUTSIDE = [
    "e^2", "1.5x", r"\sqrt{-4}", r"\sqrt[3]{2}", "9^{9^{9}}", r"\frac{1}{1+\sqrt{2}}", "x_1", r"\ln 2",
    "2 3", "a/bc", r"\gcd(x, 2)", r"\gcd(4)", r"2\infty", r"\infty - 1", "f(x)", "x^{1/2}", r"\sin x", "(x+y+z)^{40}", "10^{100}x^{70}",
]


@pytest.mark.parametrize("a,b", EQUAL)
def test_equal_forms(a, b):
    assert parse_exact(a) is not None and parse_exact(a) == parse_exact(b)


@pytest.mark.parametrize("a,b", NOT_EQUAL)
def test_different_values(a, b):
    assert parse_exact(a) is not None and parse_exact(b) is not None and parse_exact(a) != parse_exact(b)


@pytest.mark.parametrize("text", OUTSIDE)
def test_outside_the_class_is_left_to_sympy(text):
    assert parse_exact(text) is None


def _random_expr(rng: random.Random, depth: int = 0) -> str:
    if depth > 2 or rng.random() < 0.3:
        return rng.choice([str(rng.randint(0, 12)), "x", "n", r"\pi", rf"\sqrt{{{rng.randint(2, 50)}}}",
                           rf"\sqrt{rng.randint(2, 9)}", rf"\frac{rng.randint(1, 9)}{rng.randint(1, 9)}"])
    a, b = _random_expr(rng, depth + 1), _random_expr(rng, depth + 1)
    form = rng.randrange(9)
    return [f"{a}+{b}", f"{a} - {b}", f"({a})({b})", rf"{a} \cdot {b}", rf"\frac{{{a}}}{{{b}}}",
            f"({a})^{{{rng.randint(0, 3)}}}", f"-({a})", rf"\left({a}\right)^2", f"{rng.randint(2, 9)}({a})"][form]


def test_reads_like_latex2sympy():
    """Every text the exact parser accepts has the value latex2sympy gives it."""
    rng = random.Random(7)
    accepted = 0
    for _ in range(300):
        text = _normalized(_random_expr(rng))
        exact = parse_exact(text)
        if exact is None:
            continue
        accepted += 1
        assert sympy.simplify(exact.to_sympy() - latex_to_sympy(text)) == 0, text
    assert accepted > 150  # the generator mostly stays inside the class (division by sums does not)


def test_canonical_equality_matches_sympy_on_random_pairs():
    rng = random.Random(11)
    for _ in range(150):
        a, b = _normalized(_random_expr(rng)), _normalized(_random_expr(rng))
        ea, eb = parse_exact(a), parse_exact(b)
        if ea is None or eb is None:
            continue
        same = sympy.simplify(latex_to_sympy(a) - latex_to_sympy(b)) == 0
        assert (ea == eb) == same, (a, b)


@pytest.mark.parametrize("answer,reference,expected", [
    (r"\frac{1}{\sqrt{2}}", r"\frac{\sqrt2}{2}", True),
    (r"2\sqrt{3}", r"\sqrt{12}", True),
    (r"2\sqrt{3}", r"\sqrt{13}", False),
    ("3.4641", r"2\sqrt{3}", True),  # a rounded decimal still goes through the tolerance policy
    ("n(2n-1)", "2k^2-k", True),  # renaming a lone integer parameter is still sympy's call
    (r"\frac{22}{7}", r"\pi", False),
])
def test_grades_through_the_engine(answer, reference, expected):
    result = grader.grade(rf"The answer is $\boxed{{{answer}}}$.", reference, extraction="rules")
    assert result.correct is expected, result


@pytest.mark.parametrize("answer,reference,expected", [
    (r"(-\infty, 3]", r"(-\infty,3]", True),
    (r"(-\infty, 2) \cup (5, \infty)", r"(5,\infty)\cup(-\infty,2)", True),
    (r"[2, \infty)", r"(2, \infty)", False),
    (r"(-\infty, 3)", r"(3, \infty)", False),
    (r"(-\infty, \sqrt{2})", r"(-\infty, \frac{2}{\sqrt{2}})", True),
])
def test_intervals_with_infinite_ends_need_no_sympy(answer, reference, expected):
    result = grader.grade(rf"The answer is $\boxed{{{answer}}}$.", reference, extraction="rules")
    assert result.correct is expected, result
    assert "sympy" not in result.method


@pytest.mark.parametrize("answer,reference,expected", [
    (r"\frac{809}{80} \approx 10.113", "10.11", True),  # the last term keeps the decimal policy
    (r"\frac{809}{80} \approx 10.113", "919", False),
    (r"2^{6} = 64", "64", True),
    (r"2^{6} = 64", r"\{64\}", True),
    (r"629 \cdot 29 = 18241", r"[0, 1)", False),  # an equation of numbers has no solution set
])
def test_relations_of_exact_terms(answer, reference, expected):
    result = grader.grade(rf"So ${answer}$", reference, extraction="rules")
    assert result.correct is expected, result
    assert "sympy" not in result.method


@pytest.mark.parametrize("answer,reference,options,expected", [
    ("1.414", r"\sqrt2", {}, True),  # a rounding of an irrational
    ("1.5", r"\sqrt2", {}, False),
    ("3.1416", r"\pi", {}, True),
    ("3.1415", r"\pi", {}, True),  # truncation counts, as on the sympy path
    (r"\pi", r"\frac{22}{7}", {}, False),
    (r"\pi", r"\frac{22}{7}", {"precision": 2}, True),  # both round to 3.14
    (r"\pi", r"\frac{355}{113}", {"precision": 6}, True),
    (r"\pi", r"\frac{355}{113}", {"precision": 7}, False),
    (r"\gcd(36, 70)", "2.0", {}, True),  # a rational canonical form is an exact number
    (r"\gcd(36, 70)", "2.01", {}, False),
])
def test_decimals_against_closed_forms_follow_the_tolerance_policy(answer, reference, options, expected):
    result = grader.grade(rf"So ${answer}$", reference, extraction="rules", **options)
    assert result.correct is expected, result
    assert "sympy" not in result.method


@pytest.mark.parametrize("answer,reference,expected", [
    ("2x - y + 3 = 0", "4x - 2y + 6 = 0", True),
    ("2x - y + 3 = 0", "y - 2x - 3 = 0", True),
    ("2x - y + 3 = 0", "2x - y - 3 = 0", False),
    (r"629 \cdot 29 = 18241", "y = 7x + 6", False),
    (r"\gcd(188, 49)", r"(-\infty, -1]", False),  # a number is no set
    ("x", "31.49", False),  # nor is an expression in x a rounded decimal
])
def test_equations_and_sets_of_exact_values_need_no_sympy(answer, reference, expected):
    result = grader.grade(rf"So ${answer}$", reference, extraction="rules")
    assert result.correct is expected, result
    assert "sympy" not in result.method


DIGIT_LIKE = [chr(c) for c in range(0x30000) if chr(c).isdigit() and not chr(c).isdecimal()]  # ① ⑼ ² ...


def test_digit_like_characters_that_int_rejects_are_no_numbers():
    """The tokenizer and the parser agree on what a number is (what int() converts): circled,
    superscript and other digit-like characters are never handed to int() (an internal error)."""
    assert len(DIGIT_LIKE) > 100 and "①" in DIGIT_LIKE and "²" in DIGIT_LIKE
    for c in DIGIT_LIKE:
        assert parse_exact(c) is None and parse_exact(f"2 + {c}") is None, c
    for text in (r"\boxed{⑼}", "The answer is ①", rf"\boxed{{{''.join(DIGIT_LIKE[:50])}}}"):
        result = grader.grade(text, "9")
        assert not result.reason.startswith("Internal error"), (text, result.reason)
    assert parse_exact("٣+1") is not None  # decimal digits of other scripts are numbers, as int() reads them


@pytest.mark.parametrize("text", ["(" * 199 + "1", "{" * 101 + "1" + "}" * 101, "-(" * 99 + "1"])
def test_nesting_past_the_limit_is_left_to_the_next_reader(text):
    """200 characters of brackets would take the recursive parser past Python's recursion limit
    (a RecursionError, graded as an internal error); past MAX_NESTING levels it gives up."""
    assert parse_exact(text) is None


def test_nesting_under_the_limit_is_read():
    assert parse_exact("(" * 90 + "3" + ")" * 90) == parse_exact("3")
    assert parse_exact("-" * 199 + "3") == parse_exact("-3")  # signs cost a frame each: no limit of their own
    assert parse_exact("-(" * 65 + "3" + ")" * 65) == parse_exact("-3")  # an odd count of minus signs
    assert parse_exact("2*" + "-" * 41 + "1") == parse_exact("-2")


def test_a_deeply_nested_response_is_graded_without_an_internal_error():
    result = grader.grade(r"\fbox" + "(" * 3000 + "1" + ")" * 3000, r"50\%")  # found by make fuzz
    # The box is too deep to read: a clear PARSE_ERROR (no number elsewhere answers for an unreadable box).
    assert result.status is grader.Status.PARSE_ERROR and not result.correct, result.reason


def test_a_long_run_of_nested_negations_keeps_its_sign():
    """25 nested -( ) once counted 50 levels, the parser gave up, and the answer fell to its last number."""
    answer = r"\boxed{" + "-(" * 25 + "3" + ")" * 25 + "}"  # -3
    assert grader.grade(answer, "-3").correct and not grader.grade(answer, "3").correct
