"""The multiple_choice verifier's option letters: hedges and negations name no answer."""

from __future__ import annotations

import pytest

import grader
from grader import Status


def choose(response: str, reference: str = "B") -> grader.GradeResult:
    return grader.grade(response, reference, verifier="multiple_choice")


@pytest.mark.parametrize("response", [
    "The answer is A or B.", "Answer: A, B, C or D", "Answer: B, C", "Answer: A and B", "The answer is A/B",
    "Answer: (A)(B)(C)(D)", "Answer: (A) (B)", r"\boxed{A, B}", r"\boxed{B \text{ or } C}",
    "The answer is A or B since both fit.", "Answer: A, B.",
])
def test_an_answer_that_names_several_options_is_no_answer(response: str):
    """The first (or last) letter of such a hedge was read as the answer: "Answer: A, B, C or D" passed for A,
    and "\\boxed{A, B}" for B."""
    for reference in "ABCD":
        result = choose(response, reference)
        assert result.status is Status.NO_ANSWER and not result.correct, (reference, result)
    assert "several options" in choose(response).reason


@pytest.mark.parametrize("response", ["The answer is not B.", "Answer: Not B", "Not (B)",
                                      "Options A, B, C. The answer is not B."])
def test_a_negated_letter_is_no_answer(response: str):
    """"The answer is not B." passed for B: the last letter standing alone was read, its "not" unseen."""
    result = choose(response)
    assert result.status is Status.NO_ANSWER and not result.correct, result


@pytest.mark.parametrize("response", [
    "I think B, not C.", "The answer is (B), not (C).", "Answer: B, because C is wrong", "Answer: B, C is wrong",
    "The answer is (B) (C is a trap)", "The answer is B and I think that is right", "It is not A, so B.",
    "B. Not C.", "The answer is (B).", r"\boxed{\text{(B)}}", "I pick option B.",
    # a listed letter that words follow is talked about: these were NO_ANSWER
    "Answer: B, C has the wrong sign", "Answer: B, A seems wrong", "The answer is B, C being wrong.",
    "Answer: (B) / (C) are equal", "Answer: (B) (C) is wrong", "Answer: B, I think.",
])
def test_one_stated_letter_beside_talk_of_others_is_read(response: str):
    result = choose(response)
    assert result.correct and result.extracted == "B", result
