"""Stage 1: rule-based answer extraction."""

import pytest

import grader
from hostile import HOSTILE_MATH
from grader.verifiers.math.extract import (extract_boxed, extract_candidates, find_boxes, find_math_blocks, final_section,
                                           is_prose, plain_words, without_unclosed_parens)
from grader.verifiers.math.normalize import MAX_TEXT_NESTING, unwrap_text


def first(response: str) -> tuple[str, str]:
    cands = extract_candidates(response)
    assert cands, f"no candidate in {response!r}"
    return cands[0].text, cands[0].method


@pytest.mark.parametrize("response, text", [
    (r"so \boxed{5}", "5"),
    (r"\boxed{\frac{1}{2}} then \boxed{\frac{3}{4}}", r"\frac{3}{4}"),
    (r"nested \boxed{\frac{\sqrt{2}}{2}} ok", r"\frac{\sqrt{2}}{2}"),
    (r"\fbox{7}", "7"),
    (r"\boxed 5.", "5"),
    (r"truncated at the end \boxed{\frac{1}{", r"\frac{1}{"),
])
def test_boxed(response, text):
    assert first(response) == (text, "boxed")


def test_boxes_joined_by_and_form_one_answer():
    assert extract_boxed(r"\boxed{1} and \boxed{2}").text == "1, 2"
    assert extract_boxed(r"\[ \boxed{-2} \quad \text{and} \quad \boxed{1}. \]").text == "-2, 1"


def test_boxes_separated_by_reasoning_take_the_last():
    resp = r"First \boxed{12}. Wait, that ignores the carry; redoing the sum gives \boxed{15}."
    assert extract_boxed(resp).text == "15"


@pytest.mark.parametrize("response, text, method", [
    ("Thus the answer is 42.", "42", "answer_is"),
    ("The answer is 12. Wait... no. The answer is 15.", "15", "answer_is"),
    ("Final Answer: The final answer is $28\\%$. I hope it is correct.", "$28\\%$", "answer_is"),
    ("**Final Answer**\n\\boxed{004}", "004", "boxed"),
    ("Natalia sold 48 clips.\n#### 72", "72", "gsm8k"),
    ("<think>maybe 3</think><answer>7</answer>", "7", "answer_tag"),
    ("Final Answer: The largest $n$ is 34.", "34", "answer_is"),
    ("Final Answer: Jane started growing Sphere 3 hours ago.", "3", "answer_is"),
])
def test_markers(response, text, method):
    assert first(response) == (text, method)


def test_text_after_think_is_preferred():
    assert final_section("<think>the answer is 3</think>The answer is 4.") == "The answer is 4."
    assert first("<think>the answer is 3</think>The answer is 4.")[0] == "4"
    # an empty tail keeps the whole response
    assert first("<think>the answer is 3</think>  ")[0] == "3"


def test_chat_template_tail_is_dropped():
    assert first("So it is $x$ is 19. <|im_start|>user\nnext question 5")[0] != "5"


def test_math_blocks():
    assert [c for _, c in find_math_blocks(r"a $1$ b \(2\) c \[3\] d $$4$$")] == ["1", "2", "3", "4"]
    # inline math may not cross a line break, display math may
    assert find_math_blocks("Answer $ \n 9 \n $") == []
    assert [c.strip() for _, c in find_math_blocks("Answer $$ \n 9 \n $$")] == ["9"]
    assert [c for _, c in find_math_blocks(r"cost \$5 and $x=2$")] == ["x=2"]


def test_last_number_fallback_is_labeled():
    response = "We computed many things. Then we got 3 then 17 apples"  # two sentences: no single statement
    text, method = extract_candidates(response)[-1].text, extract_candidates(response)[-1].method
    assert (text, method) == ("17", "last_number")


def test_number_glued_to_letters_is_not_a_number():
    assert all(c.text != "2" for c in extract_candidates("AZYUK2A"))


def test_no_answer():
    assert extract_candidates("") == []
    assert extract_candidates("I do not know how to solve this problem at all.") == []


def test_bold_markdown():
    assert any(c.text == "14" and c.method == "bold" for c in extract_candidates("After checking, **14** is it.\nDone here now."))


def test_long_response_is_linear():
    resp = ("reasoning step 1 + 1 = 2. " * 40_000) + r"\boxed{42}"
    assert len(resp) > 1_000_000
    assert first(resp) == ("42", "boxed")
    assert len(find_boxes("{" * 100_000)) == 0


@pytest.mark.parametrize("response,reference", HOSTILE_MATH.values(), ids=HOSTILE_MATH.keys())
def test_hostile_math_gets_a_verdict(response, reference):
    assert not grader.grade(response, reference, extraction="rules").correct


def test_unclosed_inline_math_is_masked_as_before():
    """Which "\\(" can never close on its line is decided up front; the words found stay the same."""
    assert without_unclosed_parens("a \\( b \\) c \\( d\ne \\( f \\)") == "a \\( b \\) c \0\0 d\ne \\( f \\)"
    assert [m.group(0) for m in plain_words("ten \\( x \\) apples \\( pears")] == ["ten", "apples", "pears"]
    assert is_prose("the value \\( of x") and not is_prose("\\( the value of x \\) 3")


def test_wrappers_unwrap_to_a_depth():
    assert unwrap_text("\\text{\\textbf{\\mathrm{5}}}") == "5"
    deep = "\\text{" * (MAX_TEXT_NESTING + 1) + "5" + "}" * (MAX_TEXT_NESTING + 1)
    assert unwrap_text(deep) == "\\text{5}"  # past the depth, compared as written


def test_joined_boxes_keep_their_order():
    assert extract_boxed("so \\boxed{1}, \\boxed{2} and \\boxed{3}").text == "1, 2, 3"


def test_inline_paren_math_across_a_line_break_is_no_block():
    # found by the fuzzer: "\(" … newline … "\)" used to crash the scanner
    assert find_math_blocks("a \\( x \n y \\) b $1$") == [(16, "1")]
    assert extract_candidates("\\( 2 \n \\) and $3$")[0].text == "3"


def test_lazy_candidates_scan_no_further_than_asked(monkeypatch):
    import pickle

    import grader.verifiers.math.extract as ex

    response = "We had 3 and $5$. The answer is \\boxed{7}. **9**"
    eager = ex.extract_candidates(response)
    assert ex.lazy_candidates(response) == eager
    assert pickle.loads(pickle.dumps(ex.lazy_candidates(response))) == eager  # a plain list for the workers

    def no_scan(*args, **kwargs):
        raise AssertionError("math blocks scanned for a boxed answer")

    monkeypatch.setattr(ex, "find_math_blocks", no_scan)
    lazy = ex.lazy_candidates(response)
    assert lazy and lazy[0].text == "7"
    with pytest.raises(AssertionError):
        list(lazy)


# --- a final statement that says nothing is not rescued by weaker candidates -------------------------

@pytest.mark.parametrize("response", [
    r"\boxed{\neq 5}", r"\boxed{3 \lor 5}", r"\boxed{\cancel{5}}", r"\boxed{1, 2, \ldots, 5}",
    "We first get $5$. Then the final answer is \\boxed{3 \\lor 4}.", "Candidate 5 was rejected.\n\\boxed{\\neq}",
])
def test_an_unreadable_final_box_is_a_parse_error_not_the_last_number(response):
    result = grader.grade(response, "5")
    assert result.status is grader.Status.PARSE_ERROR and not result.correct, result
    assert result.method == "boxed+none" and "box" in result.reason


@pytest.mark.parametrize("response", ["Perhaps $5$.\n\\boxed{}", "5 apples.\n\\boxed{ }", r"So 5. \boxed{\phantom{5}}"])
def test_an_empty_final_box_is_no_answer(response):
    result = grader.grade(response, "5")
    assert result.status is grader.Status.NO_ANSWER and "empty" in result.reason, result


def test_an_empty_box_is_the_first_and_only_candidate():
    cands = extract_candidates("Perhaps $5$.\n\\boxed{}")
    assert [(c.text, c.method) for c in cands] == [("", "boxed")] and cands[0].refused


def test_the_lm_does_not_overrule_an_unreadable_final_box():
    from grader.types import GradeResult, Status
    from grader.verifiers.math.verifier import merge_second_opinion, needs_second_opinion

    rules = GradeResult(False, 0.0, Status.PARSE_ERROR, extracted="\\neq 5", method="boxed+none")
    lm = GradeResult(True, 1.0, Status.OK, extracted="5", method="lm+string")
    assert not needs_second_opinion(rules)
    assert merge_second_opinion(rules, lm, 0, 1) is rules


def test_a_list_of_guesses_is_not_right_for_both_the_last_number_and_the_lms_reading():
    """"3? 5? 7?" passed for 7 (the rules' last number) and for 3 (the LM's span): two chances."""
    from grader.types import GradeResult, Status
    from grader.verifiers.math.verifier import merge_second_opinion

    last = GradeResult(True, 1.0, Status.OK, extracted="7", method="last_number+string", span=(20, 21))
    lm_elsewhere = GradeResult(False, 0.0, Status.OK, extracted="3", method="lm+exact")
    assert merge_second_opinion(last, lm_elsewhere, 14, 15) is lm_elsewhere
    lm_around = GradeResult(False, 0.0, Status.OK, extracted="4 7", method="lm+exact")  # boundaries redrawn
    assert merge_second_opinion(last, lm_around, 18, 21) is last
    lm_none = GradeResult(False, 0.0, Status.NO_ANSWER, method="lm+none")
    assert merge_second_opinion(last, lm_none, 0, 0) is last


# --- "the answer is …": the value stated right after the marker --------------------------------------

@pytest.mark.parametrize("response, text", [
    ("The answer is 12 since she had 20 and gave away 8.", "12"),
    ("The answer is 12, which is greater than 10.", "12"),
    ("The answer is 12 apples, not 10.", "12"),
    ("Therefore, the answer is 12, not 10.", "12"),
    ("The final answer is that she has 12 apples.", "12"),
    ("The answer is definitely 12.", "12"),
    ("The answer is $12.", "$12"),
    ("The answer is: 12 apples", "12"),
    ("The answer is 2\\sqrt{3} because of the symmetry.", "2\\sqrt{3}"),
    ("The answer is: the largest $n$ is 34.", "34"),
    ("The answer is 12, which could be checked by substitution.", "12"),
    ("The answer is probably 12.", "12"), ("So the answer is most likely 12.", "12"),
])
def test_a_marker_sentence_states_the_value_right_after_it(response, text):
    assert first(response) == (text, "answer_is")


@pytest.mark.parametrize("response, reference", [
    ("The answer is definitely not 5.", "5"), ("The answer is certainly not five.", "5"),
    ("The answer is less than 5.", "5"), ("The answer is more than 5.", "5"), ("The answer is fewer than 5.", "5"),
    ("The answer is probably 3, but could also be 5.", "5"), ("The answer is five or six.", "6"),
    ("The answer is any integer from 1 to 100.", "100"), ("The answer is between 3 and 5.", "5"),
    ("The answer is 5. On reflection, the answer is not 5 after all.", "5"),
    ("The answer is 3, but it could be 5.", "5"), ("The answer is 3, or it might be 5.", "5"),
])
def test_a_marker_that_negates_or_hedges_gives_no_answer(response, reference):
    result = grader.grade(response, reference)
    assert result.status is grader.Status.NO_ANSWER and not result.correct, result


@pytest.mark.parametrize("response", ["It is definitely not 5.", "Not 5.", "It is not $5$.", "It is never 5.",
                                      "The result is less than 5.", "The number cannot be 5.", "It is more than 5.",
                                      "It is not equal to 5.", "Either 5 or 6.", "It is 5, or maybe 6."])
def test_a_one_line_answer_that_negates_or_hedges_gives_no_answer(response):
    """A one-line response was read for its value whatever the words before it: "It is not 5." passed for 5."""
    result = grader.grade(response, "5")
    assert result.status is grader.Status.NO_ANSWER and not result.correct, result


@pytest.mark.parametrize("response", ["No, it is 5.", "There is no doubt it is 5.", "It is 5.", "We get 5 apples.",
                                      # the subject's words say nothing of the value after its copula
                                      "The number of people who did not attend is 5.",
                                      "So the number of students who do not play either sport is 5.",
                                      "Therefore, the number of students who play neither sport is 5.",
                                      "The smallest integer greater than 4.5 is 5.", "The largest integer less than 6 is 5."])
def test_a_one_line_answer_with_a_negation_elsewhere_is_read(response):
    assert grader.grade(response, "5").correct


@pytest.mark.parametrize("response,reference,correct", [
    ("The answer must be 12, since it cannot be 11.", "12", True), ("It is 12; it cannot be 11.", "12", True),
    ("The answer must be 12, since it cannot be 11.", "11", False),
    ("It is 12, or maybe 11.", "12", False), ("It is 12, but it might be 11.", "12", False),
    ("It is not 12, and it is not 11.", "12", False),
])
def test_a_one_line_answer_whose_last_clause_negates_another_value_states_the_first(response, reference, correct):
    """"12, since it cannot be 11" was NO_ANSWER (and 11 before the hedge checks); an alternative offered stays a
    hedge."""
    assert grader.grade(response, reference).correct is correct


@pytest.mark.parametrize("response", ["The answer is 12 or, equivalently, one dozen.",
                                      "The answer is the distance between the two points, which is 12."])
def test_a_restatement_or_a_description_before_the_value_is_no_hedge(response):
    """Both were NO_ANSWER: "or" read as another value offered, "between" as a range."""
    assert grader.grade(response, "12").correct
    assert not grader.grade(response, "2").correct


def test_a_hedging_remark_after_a_box_does_not_take_the_box_back():
    assert grader.grade("\\boxed{5}. The answer is not 6.", "5").correct


# --- a response cut off inside <think> --------------------------------------------------------------

def test_an_unclosed_think_has_no_final_answer():
    result = grader.grade("<think>The answer is 5. Hmm, let me double-check by", "5")
    assert result.status is grader.Status.NO_ANSWER and "<think>" in result.reason, result
    # Only the text outside the reasoning counts, as for the code verifier.
    assert grader.grade("<think>a</think>Let me think again.<think>The answer is 5, so", "5").status \
        is grader.Status.NO_ANSWER


def test_a_closing_think_alone_still_marks_the_answer():
    # A chat template that opened <think> in the prompt: the response holds only the closing tag.
    assert final_section("reasoning 3 </think>The answer is 4.") == "The answer is 4."
    assert grader.grade("reasoning 3 </think>The answer is 4.", "4").correct
    assert final_section("<think>a</think>Answer 4.<think>more") == "Answer 4."


# --- review fixes: signs and scales, refusals in auto mode, doubts, corrections, bounds, calculations ---------

@pytest.mark.parametrize("response, right, wrong", [
    ("The answer is negative 12.", "-12", "12"), ("The answer is minus 3.", "-3", "3"),
    ("The answer is negative twelve.", "-12", "12"), ("It is negative 12.", "-12", "12"),
    ("The answer is 12 thousand dollars.", "12000", "12"), ("The answer is 2 dozen.", "24", "2"),
    ("The answer is 1.5 million.", "1500000", "1.5"), ("It is 12 thousand.", "12000", "12"),
])
def test_a_sign_word_before_the_value_and_a_scale_word_after_it_belong_to_it(response, right, wrong):
    """"The answer is negative 12." read 12 (the sign word skipped as filler) and passed for 12."""
    assert grader.grade(response, right).correct
    result = grader.grade(response, wrong)
    assert result.status is grader.Status.OK and not result.correct, result


def test_a_minus_after_a_value_computes_and_is_no_sign():
    assert first("The answer is 5 minus 3, which is 2.") == ("2", "answer_is")
    assert not grader.grade("It is 5 minus 3.", "-3").correct


def test_a_refused_one_line_answer_is_final_in_auto_mode_too():
    """"It is not 5." was NO_ANSWER by rules, but auto mode asked the LM extractor, which could read 5."""
    from grader.types import GradeResult, Status
    from grader.verifiers.math.verifier import final_statement_refused, merge_second_opinion, needs_second_opinion

    rules = grader.grade("It is not 5.", "5")
    assert rules.status is Status.NO_ANSWER and rules.method == "sentence+none", rules
    assert final_statement_refused(rules) and not needs_second_opinion(rules)
    lm = GradeResult(True, 1.0, Status.OK, extracted="5", method="lm+string")
    assert merge_second_opinion(rules, lm, 10, 11) is rules


@pytest.mark.parametrize("response, reference", [
    ("The answer is 5 but I could be wrong.", "5"), ("The answer is 5, though I may have made an error.", "5"),
    ("The answer is 6, although other approaches could be used.", "6"),
    ("The answer is 5, but it could also be wrong.", "5"),
])
def test_a_doubt_that_offers_no_other_value_still_states_the_value(response, reference):
    assert grader.grade(response, reference).correct


@pytest.mark.parametrize("response", ["The answer is 3, but it could also be 5.", "The answer is 3, or it might be 5.",
                                      "The answer is 3, but it could be five.",
                                      "The answer is 3 but I could be wrong, it might be 5."])
def test_a_doubt_that_offers_another_value_hedges(response):
    for reference in ("3", "5"):
        result = grader.grade(response, reference)
        assert result.status is grader.Status.NO_ANSWER, result


@pytest.mark.parametrize("response, right, wrong", [
    ("The answer is not 12 but 13.", "13", "12"), ("The answer is not 12, but rather 13.", "13", "12"),
    ("The probability that it rains is not 1/2 but 1/3.", "1/3", "1/2"),
    ("There are 6 cookies left, not 7.", "6", "7"), ("The answer is 13, not 12.", "13", "12"),
])
def test_a_correction_states_the_value_it_corrects_to(response, right, wrong):
    assert grader.grade(response, right).correct
    assert not grader.grade(response, wrong).correct


@pytest.mark.parametrize("response, reference", [
    ("The answer is at most 6 apples.", "6"), ("He can buy at most 6 apples.", "6"), ("You need at least 4 buses.", "4"),
    ("The minimum number of buses needed is at least 4.", "4"), ("She cannot buy more than 6.", "6"),
    ("The answer is: no more than 5", "5"), ("The answer is no fewer than 4.", "4"), ("The answer is up to 6.", "6"),
    ("It is not less than 5.", "5"),
])
def test_a_bound_is_how_a_least_or_most_answer_is_put(response, reference):
    assert grader.grade(response, reference).correct


@pytest.mark.parametrize("response", ["The answer is less than 5.", "The answer is more than 5.",
                                      "The answer is fewer than 5.", "It is greater than 5.", "The answer is not 5.",
                                      "It is never 5.", "It cannot be 5."])
def test_a_strict_comparison_or_a_plain_negation_still_refuses(response):
    assert grader.grade(response, "5").status is grader.Status.NO_ANSWER


def test_a_bare_no_is_an_answer_and_no_hedge():
    assert first("The answer is no.") == ("no", "answer_is")
    assert grader.grade("The answer is no.", "no").correct and not grader.grade("The answer is no.", "yes").correct
    assert grader.grade("There is no doubt: it is 5.", "5").correct


@pytest.mark.parametrize("response, text", [
    ("The answer is 2 times 3, which is 6.", "6"), ("The answer is 10 more than 5, so 15.", "15"),
    ("The answer is 10 less than 25, which is 15.", "15"), ("The answer is 12 - a nice number.", "12"),
    ("The answer is 6; a different method might also give 6.", "6"), ("The answer is 3 - a.", "3 - a"),
])
def test_the_marked_value_is_cut_where_it_ends(response, text):
    assert first(response) == (text, "answer_is")


N = 50_000


def test_the_marker_sentence_helpers_are_linear_on_hostile_input():
    """Each ran an anchored or ``.*`` pattern from every start: "x" + 50,000 spaces + "(" took 31 s to trim, "but "
    12,500 times 12.6 s to scan for a doubt, 50,000 spaces before nothing 18 s to search for "I hope it is
    correct". The verdicts only: the benchmark tier times them."""
    from grader.verifiers.math.extract import _value_end, reduce_sentence, without_hope
    from grader.verifiers.math.hedges import hedges, offers_alternative

    spaces = "x" + " " * N + "("
    assert _value_end(spaces, 0, len(spaces), True) == len(spaces)
    joined = "12" + " and" * (N // 4) + " "
    assert _value_end(joined, 0, len(joined), True) == 2
    assert not offers_alternative("but " * (N // 4))
    assert not offers_alternative(" could" * (N // 6) + " 5")
    assert offers_alternative("but could be " * (N // 13) + "5")
    assert not hedges("no more than " * (N // 13)) and hedges("more than " * (N // 10))
    assert without_hope(" " * N + "x") == " " * N + "x"
    assert without_hope("5." + " " * N + "I hope it is correct." + " " * N) == "5"
    assert reduce_sentence("5 " + "but " * (N // 4)) == "5"
    assert reduce_sentence("not 1 but " * (N // 10) + "2") is None
    assert reduce_sentence("negative" + " " * N + "2") == "2"  # a sign word is looked for just before the value
    assert reduce_sentence("2" + " thousand" * (N // 9)) == "2 thousand"
    assert first("The answer is 5 " + "but " * (N // 4)) == ("5", "answer_is")
