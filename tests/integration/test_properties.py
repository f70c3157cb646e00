"""Property-based tests (hypothesis): any input gets a valid, deterministic verdict;
a value matches itself under every spelling the normalizer accepts; equivalence is symmetric."""

import itertools
import math
import random
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import grader
from grader import Status, verifiers

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LATEXISH = st.text(alphabet=st.sampled_from(list("0123456789+-*/^_{}()[]\\$.,=<> xyzabcn%!|&")
                                            + [r"\frac", r"\sqrt", r"\boxed", r"\pi", r"\infty", r"\cdot",
                                               r"\left(", r"\right)", r"\text{", "answer is ", "\n"]),
                   max_size=60).map("".join) if False else st.lists(
    st.sampled_from(list("0123456789+-*/^_{}()[]\\$.,=<> xyzabcn%!|&")
                    + [r"\frac", r"\sqrt", r"\boxed", r"\pi", r"\infty", r"\cdot", r"\left(", r"\right)",
                       r"\text{", "answer is ", "\n"]), max_size=40).map("".join)


def check_valid(result: grader.GradeResult) -> None:
    assert isinstance(result, grader.GradeResult)
    assert result.status in set(Status)
    # Rule verifiers score 0 or 1; graded ones (grader, ifeval's fraction, qa's token F1) any finite score.
    assert math.isfinite(result.score)
    assert result.score in (0.0, 1.0) and result.correct == (result.score == 1.0) or \
        result.method.startswith(("grader+", "qa+f1"))
    assert not result.correct or result.status == Status.OK
    assert (result.status == Status.OK and result.correct) or result.reason


@SETTINGS
@given(response=st.text(max_size=300), reference=st.text(min_size=1, max_size=40))
def test_any_text_gets_a_valid_deterministic_verdict(response, reference):
    first = grader.grade(response, reference, timeout=2)
    check_valid(first)
    second = grader.grade(response, reference, timeout=2)
    if Status.TIMEOUT not in (first.status, second.status):
        assert (first.correct, first.status, first.method) == (second.correct, second.status, second.method)


@SETTINGS
@given(response=LATEXISH, reference=LATEXISH.filter(lambda s: s.strip()))
def test_latex_like_noise_gets_a_valid_verdict(response, reference):
    check_valid(grader.grade(response, reference, timeout=2))


def spellings(value: Fraction) -> list[str]:
    """Every way the normalizer claims to read this value."""
    out = [rf"\frac{{{value.numerator}}}{{{value.denominator}}}", f"{value.numerator}/{value.denominator}",
           rf"\dfrac{{{value.numerator}}}{{{value.denominator}}}"]
    if value.denominator == 1:
        n = value.numerator
        out += [str(n), f"{n:,}", f"{n:,}".replace(",", "{,}"), f"{n:,}".replace(",", r"\,"), f"{n}.0"]
    elif 10 ** 6 % value.denominator == 0:  # a terminating decimal
        text = f"{float(value):.6f}".rstrip("0")
        out += [text, text.replace("0.", ".", 1) if text.startswith("0.") else text]
    if value > 1 and value.denominator > 1:
        whole, rest = divmod(value.numerator, value.denominator)
        out += [rf"{whole}\frac{{{rest}}}{{{value.denominator}}}", f"{whole} {rest}/{value.denominator}"]
    return out


FRACTIONS = st.builds(Fraction, st.integers(0, 10**7), st.sampled_from([1, 2, 3, 4, 5, 7, 8, 20, 125]))


@SETTINGS
@given(value=FRACTIONS)
def test_a_value_matches_itself_under_every_spelling(value):
    forms = spellings(value)
    for answer in forms:
        for reference in (forms[0], forms[-1]):
            result = grader.grade(rf"The answer is $\boxed{{{answer}}}$.", reference)
            assert result.correct, (answer, reference, result)


@SETTINGS
@given(value=FRACTIONS)
def test_a_different_value_never_matches(value):
    other = value + Fraction(1, 1000)
    for answer in spellings(value):
        assert not grader.grade(rf"\boxed{{{answer}}}", spellings(other)[0]).correct


@SETTINGS
@given(a=st.sampled_from(["1/2", "0.5", r"\frac{2}{4}", "x+1", "1+x", r"\sqrt{2}", r"2^{1/2}", "(1,2)", "(2,1)",
                          r"\{1,2\}", "2, 1", "[0,1)", "(0,1)", r"x \le 5", r"(-\infty, 5]", "50%", "0.50", "3",
                          r"\pi", "3.14", "y=2x+1", "2x-y+1=0", r"1 \pm \sqrt{2}"]),
       b=st.sampled_from(["1/2", "0.5", r"\frac{2}{4}", "x+1", "1+x", r"\sqrt{2}", r"2^{1/2}", "(1,2)", "(2,1)",
                          r"\{1,2\}", "2, 1", "[0,1)", "(0,1)", r"x \le 5", r"(-\infty, 5]", "0.50", "3",
                          r"\pi", "y=2x+1", "2x-y+1=0", r"1 \pm \sqrt{2}"]))
def test_equivalence_of_two_references_is_symmetric(a, b):
    ab = grader.grade(rf"\boxed{{{a}}}", b)
    ba = grader.grade(rf"\boxed{{{b}}}", a)
    assert ab.correct == ba.correct, (a, b, ab.method, ba.method)


@pytest.mark.parametrize("verifier", verifiers.all_verifiers(), ids=lambda v: v.name)
def test_every_verifier_gives_valid_deterministic_verdicts_on_its_own_generated_items(verifier):
    """A family inherits the no-hang, no-crash guarantees: its own generator (``fuzz_items``)
    feeds it, plain and mutated, and every verdict is valid and the same twice."""
    rng = random.Random(f"properties-{verifier.name}")
    generated = list(itertools.islice(verifier.fuzz_items(rng), 60))
    assert generated, f"{verifier.name} generates no items for the fuzz and property tests"
    items = [{"response": g.response if i % 3 else g.response[::-1], "reference": g.reference,
              "verifier": verifier.name, "options": {**g.options, "timeout": 2}} for i, g in enumerate(generated)]
    first, second = grader.grade_many(items), grader.grade_many(items)
    for item, a, b in zip(items, first, second):
        check_valid(a)
        assert not a.reason.startswith("Internal error"), (item, a.reason)
        if Status.TIMEOUT not in (a.status, b.status):
            assert (a.correct, a.status, a.method) == (b.correct, b.status, b.method), item
