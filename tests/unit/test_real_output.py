"""Math on real model output: answers stated in a plain sentence, in every spelling the
normalizer reads, and GSM8K-style solutions (calculator marks, dollar amounts, a final `A: N`)."""

import itertools

import pytest

import grader

SPELLINGS_OF_ONE_TWENTIETH = [".05", "0.05", "0.050", "1/20", r"\frac{1}{20}", r"\dfrac{1}{20}", "5E-02", "5e-2",
                              "5 x 10^-2", "5*10^-2", r"5 \times 10^{-2}", r"5 \cdot 10^{-2}", "5·10⁻²", "5%"]
SENTENCES = ["It is {}.", "We get {}", "The result equals {}.", "So the value is {}", "{}", "Therefore, x = {}.",
             "It equals {} mol", "Thus we obtain {}.", "The probability is {} in the end.",
             "After simplifying, we find that the probability comes out to {}."]


def test_every_spelling_in_a_plain_sentence_matches_every_spelling_as_reference():
    misses = [(sentence.format(answer), reference)
              for sentence, answer, reference in itertools.product(SENTENCES, SPELLINGS_OF_ONE_TWENTIETH,
                                                                    SPELLINGS_OF_ONE_TWENTIETH)
              if not grader.grade(sentence.format(answer), reference, extraction="rules").correct]
    assert misses == []


def test_no_spelling_in_a_sentence_matches_another_value():
    wrong = [sentence.format(answer) for sentence, answer in itertools.product(SENTENCES, SPELLINGS_OF_ONE_TWENTIETH)
             if grader.grade(sentence.format(answer), "1/25", extraction="rules").correct]
    assert wrong == []


@pytest.mark.parametrize("response,reference", [
    ("It is 42.", "42"), ("We get 12,000 in total", "12000"), ("It equals 5*10^-2 mol", "0.05"),
    ("It is x+1.", "1+x"), ("The total is 5·10⁻²", "1/20"), ("So there are 1 000 000 grains.", "10^6"),
])
def test_a_short_sentence_states_its_answer(response, reference):
    result = grader.grade(response, reference, extraction="rules")
    assert result.correct, result


@pytest.mark.parametrize("response", ["Part 2", "Step 1"])
def test_a_label_stays_text(response):
    assert grader.grade(response, response, extraction="rules").correct
    assert not grader.grade(response, response.split()[1], extraction="rules").correct


GSM8K = ("Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n"
         "She uses 7, 16 - 7 = <<16-7=9>>9 duck eggs are for sale\n"
         "She sells her eggs for $2 per egg and has 9 available for sale so 2 * 9 = $<<2*9=18>>18 per day\n"
         "A: 18")


def test_gsm8k_final_a_line_beats_dollar_amounts_and_calculator_marks():
    result = grader.grade(GSM8K, "18", extraction="rules")
    assert result.correct and result.method.startswith("gsm8k+"), result
    assert not grader.grade(GSM8K, "9", extraction="rules").correct


def test_dollar_signs_around_prose_are_prices_not_math():
    response = "He spent $8 from this total so far, leaving $21 - $8 = $13 in all."
    result = grader.grade(response, "13", extraction="rules")
    assert result.correct, result


def test_calculator_marks_are_no_answer():
    result = grader.grade("Each box holds 3 * 4 = <<3*4=12>>12 eggs, and we have 5 boxes, so 60 eggs.\n#### 60",
                          "60", extraction="rules")
    assert result.correct and result.extracted == "60"


def test_an_a_line_counts_only_as_the_last_line():
    response = "The options were\nA: 5\nB: 7\nWe pick the larger one, 7, since it is odd and larger."
    assert grader.grade(response, "7", extraction="rules").correct
    assert not grader.grade(response, "5", extraction="rules").correct


# --- units are not variables ---------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from grader.verifiers.math.normalize import normalize_answer  # noqa: E402

LETTERS = "abcdfgjklmnpqrstuvwxyzhs"
COEFFICIENTS = st.one_of(st.integers(1, 99).map(str), st.tuples(st.integers(1, 9), st.integers(2, 9)).map(
    lambda f: rf"\frac{{{f[0]}}}{{{f[1]}}}"), st.just(""))
TERMS = st.tuples(COEFFICIENTS, st.sampled_from(LETTERS), st.sampled_from(["", "^2", "^{3}"])).map("".join)


@settings(max_examples=300, deadline=None)
@given(terms=st.lists(TERMS, min_size=1, max_size=4), signs=st.lists(st.sampled_from([" + ", " - ", "+", "-"]),
                                                                       min_size=3, max_size=3))
def test_no_variable_letter_is_ever_lost_to_unit_stripping(terms, signs):
    expression = terms[0] + "".join(s + t for s, t in zip(signs, terms[1:]))
    normalized, _ = normalize_answer(expression)
    letters = sorted(c for c in expression.replace(r"\frac", "") if c.isalpha())
    assert sorted(c for c in normalized.replace(r"\frac", "") if c.isalpha()) == letters, (expression, normalized)


@pytest.mark.parametrize("answer,reference", [
    (r"\dfrac{3n + m}{2}", r"\frac{3}{2}n + \frac{1}{2}m"), ("5 m", "5"), (r"12\text{ m}", "12"), ("x = 3 s", "3"),
    (r"15 \text{ cm}^2", "15"), ("1,000.99m²", "1000.99"),
])
def test_a_unit_goes_only_where_it_cannot_be_a_variable(answer, reference):
    assert grader.grade(rf"\boxed{{{answer}}}", reference, extraction="rules").correct


# --- sets written as conditions -------------------------------------------------------------

@pytest.mark.parametrize("answer,reference", [
    (r"\{x \mid -1 < x < 1\}", "(-1, 1)"),
    (r"\{x | x < \frac{3}{2}\}", r"(-\infty, \frac{3}{2})"),
    (r"\{x : x \ge 3\}", r"[3, \infty)"),
    (r"4 < m \leq 8 \text{ or } 10 \leq m < 12", r"(4, 8] \cup [10, 12)"),
    (r"a \leqslant -2 \text{ or } a = 1", r"(-\infty, -2] \cup \{1\}"),
    (r"x < -1 \text{ or } x > 2", r"(-\infty, -1) \cup (2, \infty)"),
    ("x = 1 or x = 2", "1, 2"),
])
def test_conditions_on_one_variable_are_the_sets_they_describe(answer, reference):
    result = grader.grade(rf"\boxed{{{answer}}}", reference, extraction="rules")
    assert result.correct, result
    back = grader.grade(rf"\boxed{{{reference}}}", answer, extraction="rules")
    assert back.correct, back


@pytest.mark.parametrize("answer,reference", [
    (r"\{x \mid -1 < x < 1\}", "[-1, 1)"),
    (r"4 < m \leq 8 \text{ or } 10 \leq m < 12", r"(4, 8) \cup [10, 12)"),
    (r"x < -1 \text{ or } x > 2", r"(-\infty, -1] \cup (2, \infty)"),
    (r"x < -1 \text{ or } y > 2", r"(-\infty, -1) \cup (2, \infty)"),
    ("x = 1 or x = 2", "1, 3"),
])
def test_a_different_set_never_matches(answer, reference):
    assert not grader.grade(rf"\boxed{{{answer}}}", reference, extraction="rules").correct


# --- numbers in words ------------------------------------------------------------------------

@pytest.mark.parametrize("response,reference", [
    ("there are twelve apples in all", "12"), (r"\boxed{twenty-one}", "21"), ("The total is one hundred and five.", "105"),
    ("So each gets a half.", "1/2"), ("She ate three quarters of it", "0.75"), (r"\boxed{\text{twelve}}", "12"),
    ("It took two and a half hours", "2.5"), (r"\boxed{\text{one}}", "1"), ("Seven thousand two hundred people came", "7200"),
])
def test_numbers_written_in_words(response, reference):
    result = grader.grade(response, reference, extraction="rules")
    assert result.correct, result


@pytest.mark.parametrize("response,reference", [
    ("The larger one wins", "1"), ("there are twelve apples in all", "11"), ("So each gets a half.", "1/3"),
])
def test_number_words_never_match_another_value_nor_a_bare_one_in_text(response, reference):
    assert not grader.grade(response, reference, extraction="rules").correct


# --- signs, solved forms, angles --------------------------------------------------------------

@pytest.mark.parametrize("answer,reference,correct", [
    (r"(\pm\sqrt2, 0, \pm\sqrt2)", r"(\sqrt2,0,\sqrt2),(\sqrt2,0,-\sqrt2),(-\sqrt2,0,\sqrt2),(-\sqrt2,0,-\sqrt2)", True),
    (r"(\pm\sqrt2, 0, \pm\sqrt2)", r"(\sqrt2,0,\sqrt2),(-\sqrt2,0,-\sqrt2)", False),
    (r"(\pm 1, 2)", "(1, 2), (-1, 2)", True),
    ("y + 1 = -(2x-1)^2", "-4x^2 + 4x - 2", True),
    ("y + 1 = -(2x-1)^2", "-4x^2 + 4x - 1", False),  # not the right side's value: the equation solved for y
    ("2y = 4x + 6", "2x + 3", True),
    (r"60^\circ 42'", "60.7", True), ("60°42′", r"60^\circ 42'", True), (r"60^\circ 42'", "60.42", False),
    (r"30^\circ", r"\frac{\pi}{6}", True), (r"\frac{\pi}{6}", r"30^\circ", True), (r"30^\circ", r"\frac{\pi}{3}", False),
    ("30", r"\frac{\pi}{6}", False),  # no degree sign: a number, not an angle
])
def test_signs_solved_forms_and_angles(answer, reference, correct):
    assert grader.grade(rf"\boxed{{{answer}}}", reference, extraction="rules").correct is correct


def test_degrees_against_radians_can_be_turned_off():
    assert not grader.grade(r"\boxed{30^\circ}", r"\frac{\pi}{6}", degrees_match_radians=False).correct


# --- ordinal words answer a question that asks for a position ------------------------------------

POSITION_QUESTION = "In which place did Alice finish the race?"


@pytest.mark.parametrize("response,reference", [
    ("Alice finished in third place.", "3"),
    ("She came third.", "3"),
    ("The answer is the third position.", "3"),
    (r"\boxed{\text{third}}", "3"),
    ("Third.", "3"),
    ("Alice was twenty-first overall.", "21"),
    ("She finished third, 2 seconds behind Bob.", "3"),
    ("Alice finished 3rd.", "3"),
])
def test_ordinal_answers_a_position_question(response, reference):
    result = grader.grade(response, reference, prompt=POSITION_QUESTION, extraction="rules")
    assert result.correct, (result.extracted, result.method)


def test_ordinals_are_not_numbers_without_a_position_question():
    assert not grader.grade("She came third.", "3", extraction="rules").correct
    assert not grader.grade("She came third.", "3", prompt="How fast did Alice run?", extraction="rules").correct


def test_an_explicit_answer_beats_an_ordinal_in_the_text():
    response = r"She was first at the start, but at the end she finished \boxed{4}."
    assert grader.grade(response, "4", prompt=POSITION_QUESTION, extraction="rules").correct


@pytest.mark.parametrize("phrase,value", [("third", 3), ("Twenty-first", 21), ("one hundred and third", 103),
                                          ("one hundredth", 100), ("21st", 21), ("twelfth", 12),
                                          ("a third", None), ("thirds", None), ("the", None)])
def test_ordinal_value(phrase, value):
    from grader.verifiers.math.number_words import ordinal_value
    assert ordinal_value(phrase) == value


def test_a_hyphenated_ordinal_is_not_its_count():
    from grader.verifiers.math.number_words import last_number_phrase
    assert last_number_phrase("Alice was twenty-first overall.") is None


# --- the question says which stated quantity answers it (focus.py) ---------------------------

SMALLEST = "What is the smallest positive integer divisible by 8, 10 and 12?"
TALKS_ON = "The smallest such number is 120. Other candidates like 240 and 360 also work but are larger."


def test_the_question_picks_the_asked_quantity_over_a_distractor_that_follows():
    with_question = grader.grade(TALKS_ON, "120", prompt=SMALLEST, extraction="rules")
    assert with_question.correct and with_question.method.startswith("focus"), with_question
    assert not grader.grade(TALKS_ON, "360", prompt=SMALLEST, extraction="rules").correct


def test_without_a_question_the_last_number_stands():
    result = grader.grade(TALKS_ON, "120", extraction="rules")
    assert not result.correct and result.extracted == "360"


@pytest.mark.parametrize("question,response,reference", [
    ("Dana, Lena and Julia collect oranges. How many oranges does Lena end up with?",
     "Julia is left holding 6945 oranges. Lena keeps 2238 oranges. For comparison, 203 and 17 are not asked for.",
     "2238"),
    ("Find the area of the rectangle. Put your final answer in \\boxed{}.",
     "The perimeter is 26 cm. The area is 40 cm^2. The diagonal is about 9.4 cm.\nHope this helps: 5 and 8 were "
     "the sides.", "40"),
    ("Tell me the voltage across the resistor.",
     "Which puts the voltage at\n\\[\n\\frac{7\\pi}{11}\n\\]\nThe total resistance comes out to\n\\[\n\\sqrt[4]{9}\n\\]\n"
     "For comparison, $\\frac{6}{x+20}$ is larger.", "\\frac{7\\pi}{11}"),
])
def test_a_statement_naming_the_asked_quantity_is_found(question, response, reference):
    result = grader.grade(response, reference, prompt=question, extraction="rules")
    assert result.correct, result


@pytest.mark.parametrize("question,response,expected", [
    # a box or an answer marker always wins
    (SMALLEST, "The smallest such number is 120. So \\boxed{240}.", "240"),
    (SMALLEST, "The smallest such number is 120. Hmm, no. The answer is 240.", "240"),
    # the rules' choice stands when its own sentence names the asked quantity
    ("How many apples does Tom have left?",
     "The number of apples Tom has is 12. He gives 5 away, so Tom has 7 apples left.", "7"),
    # a condition's quantities are not what is asked: "times" is in the condition, rings are asked for
    ("The first friend pressed the doorbell 20 times. If the fourth friend pressed the doorbell 60 times, how "
     "many rings did the doorbell make?", "The fourth friend pressed it 60 times.\nSo 20 + 60 = 80 in all.", "80"),
])
def test_the_rules_choice_stands_where_the_question_does_not_overrule_it(question, response, expected):
    result = grader.grade(response, expected, prompt=question, extraction="rules")
    assert result.correct and not result.method.startswith("focus"), result


@pytest.mark.parametrize("prompt,words", [
    ("Find the area of the rectangle. Put your final answer in \\boxed{}.", {"area", "rectangle"}),
    ("If the fourth friend pressed on the doorbell 60 times, how many doorbell rings did the doorbell make?",
     {"doorbell", "ring"}),
    ("Priya records 69, 161 and 372. Please report the range of the data.", {"range", "data"}),
    ("", set()),
])
def test_asked_words(prompt, words):
    from grader.verifiers.math.focus import asked_words

    assert asked_words(prompt) == words


@pytest.mark.parametrize("sentence,value", [
    ("The smallest such number is 120.", "120"), ("So it is 15 dollars.", "15"),
    ("Kofi is left holding 7612 kites.", "7612"), ("Lena keeps 2238 oranges.", "2238"),
    ("Denote by $m$ the count of bricks; then $m = 249$.", "249"),
    ("Consequently the sum amounts to\n\\[\n6,006\n\\]", "6,006"), ("The answer is x+1.", "x+1"),
    ("We have 3 and 4.", None), ("No numbers here.", None),
])
def test_statement_value(sentence, value):
    from grader.verifiers.math.focus import statement_value

    assert statement_value(sentence) == value


# --- answers a human grader reads as the reference (HardVerify's kinds) -------------------------

@pytest.mark.parametrize("answer,reference,correct", [
    # an equation solved for the variable the reference lacks, its coefficient a monomial
    (r"xy = 6", "6/x", True), (r"2xy = 6", r"\frac{3}{x}", True), (r"x^2 y = 6", "6x^{-2}", True),
    (r"xy = 6", "6x", False), (r"x y^2 = 6", "6/x", False), (r"xy = 6", "6", True),
    # words for infinity
    (r"\text{infinitely many}", r"\infty", True), (r"\infty", r"\text{Infinitely many solutions.}", True),
    (r"\text{infinitely many}", r"-\infty", False), (r"\text{finitely many}", r"\infty", False),
    (r"\text{infinitely many}", "5", False),
    (r"\text{There are infinitely many solutions}", r"\infty", True),
    (r"\infty", r"\text{There exist infinitely many such pairs.}", True),
    (r"\text{not infinite}", r"\infty", False), (r"\text{There are finitely many solutions}", r"\infty", False),
    (r"\text{infinitely many such or finitely many}", r"\infty", False),
    (r"\text{There are infinitely many such pairs do not exist}", r"\infty", False),
    # words that lead into the math answer
    (r"\text{the minimum value is } 3", "3", True), (r"\text{The answer is }\frac{9}{4}", "2.25", True),
    (r"\text{all } n \geq 3", r"n \ge 3", True), (r"\text{the minimum is } 4", "3", False),
    (r"\text{the answer is not } 3", "3", False), (r"\text{x cannot be } 3", "3", False),
    (r"\text{x must not be } 3", "3", False), (r"\text{x never equals } 3", "3", False),
    (r"\text{x wont be } 3", "3", False), (r"\text{it is a myth that x is } 3", "3", False),
    (r"\text{x might be } 3", "3", False), (r"\text{x is less than two and it equals } 3", "3", False),
    (r"\text{the number of ways is } 12", "12", True), (r"\text{x is } 3", "3", True),
    # yes or no with its reason in words
    (r"\text{Yes, it is possible}", "Yes", True), (r"\text{No, it is not possible.}", r"\text{No}", True),
    (r"\text{No, it can't be done}", "no", True), (r"\text{No, it is not possible}", "Yes", False),
    (r"\text{Yes, but not always}", "Yes", False), (r"\text{No, yes}", "No", False),
    # a reason that turns back or hedges leaves the answer as written (found by a second read)
    (r"\text{Yes, it can’t be done}", "Yes", False), (r"\text{Yes, there are none}", "Yes", False),
    (r"\text{Yes, it depends}", "Yes", False), (r"\text{Yes, that is false}", "Yes", False),
    (r"\text{No, it is possible}", "No", False), (r"\text{No, true}", "No", False),
    (r"\text{No, it is impossible}", "No", True), (r"\text{No, there is no such}", "No", True),
    # a reason outside the few words that restate a yes or no keeps the answer as written (a second read)
    (r"\text{Yes, it isnt possible}", "Yes", False), (r"\text{Yes, it doesnt exist}", "Yes", False),
    (r"\text{Yes, probably}", "Yes", False), (r"\text{Yes, if n is even}", "Yes", False),
    (r"\text{Yes, either way}", "Yes", False), (r"\text{No, it is not impossible}", "No", False),
    (r"\text{Yes}, n = 3", r"\text{Yes}, n = 5", False),  # a number after it is a second answer
    # a chain of one strict relation names its terms in the list's order
    (r"b < a < d < c", "b, a, d, c", True), (r"c > d > a > b", "c, d, a, b", True),
    (r"b < a < d < c", "a, b, c, d", False), (r"b < a = d < c", "b, a, d, c", False),
    (r"1 < 2 < 3 < 5", "5, 3, 2, 1", False),
])
def test_forms_human_graders_accept(answer, reference, correct):
    result = grader.grade(f"\\boxed{{{answer}}}", reference, extraction="rules")
    assert result.correct is correct, result


TENNIS = "In the tennis match, who served in the first game?"
PARTICIPANTS = "For which numbers of participants can the tournament be arranged?"


@pytest.mark.parametrize("answer,reference,question,correct", [
    (r"\text{Kafelnikov served in the first game}", r"\text{Kafelnikov}", TENNIS, True),
    (r"\text{Any odd number of participants}", r"\text{odd}", PARTICIPANTS, True),
    # a bare word as the reference (it parses as a product of letters, o·d·d)
    (r"\text{Any odd number of participants}", "odd", PARTICIPANTS, True),
    (r"\text{Kafelnikov served in the first game}", "Kafelnikov", TENNIS, True),
    (r"\text{Any even number of participants}", "odd", PARTICIPANTS, False),
    (r"\text{Any odd number of participants}", "2k+1", PARTICIPANTS, False),
    (r"\text{Kafelnikov served in the first game}", r"\text{Kafelnikov}", "", False),  # no question, no restating
    (r"\text{Agassi served in the first game}", r"\text{Kafelnikov}", TENNIS, False),
    (r"\text{Not Kafelnikov}", r"\text{Kafelnikov}", TENNIS, False),
    (r"\text{Kafelnikov or Agassi}", r"\text{Kafelnikov}", TENNIS, False),
    (r"\text{Any even number of participants}", r"\text{odd}", PARTICIPANTS, False),
    # the question names the reference among alternatives: restating it proves nothing
    (r"\text{odd or even}", r"\text{odd}", "Is the number of participants odd or even?", False),
    # alternatives and negations added to the reference are no restating (found by a second read)
    (r"\text{even or odd}", "odd", "Is the function f(x)=x^3+x even, or neither?", False),
    (r"\text{odd, even}", "odd", "Is the function f(x)=x^3+x even, or neither?", False),
    (r"\text{n is not odd}", "odd", "For which positive integers n is n^2+1 not divisible by 3?", False),
    # a yes-or-no question's words are the claim itself: no restating them (a judge may decide these)
    (r"\text{The function is odd}", "odd", "Is the function f(x)=x^3+x even, or neither?", False),
    (r"\text{even odd}", "odd", "Is f(x) = x^3 even?", False),
    (r"\text{prime composite}", "composite", "Is 91 prime?", False),
    (r"\text{even odd neither}", "neither", "Is 0.5 an even integer or an odd integer?", False),
    (r"\text{Any odd number of participants}", "odd", "Tournaments. " + PARTICIPANTS, True),
])
def test_a_text_answer_may_restate_the_question_around_the_reference(answer, reference, question, correct):
    result = grader.grade(f"\\boxed{{{answer}}}", reference, prompt=question, extraction="rules")
    assert result.correct is correct, result


@pytest.mark.parametrize("response,reference", [
    ("The correct option is (B).", "B"), ("The right choice is B", "B"), ("The correct option is: **C**.", "C"),
    ("Therefore, the correct answer is option C.", "C"), ("The answer is \\text{option } D", "D"),
    ("The correct answer is: **B**", "B"), ("The answer is **B**.", "B"), ("So the answer is **x = 3**.", "3"),
])
def test_an_option_letter_or_a_bold_answer_after_a_marker(response, reference):
    result = grader.grade(response, reference, extraction="rules")
    assert result.correct, result


@pytest.mark.parametrize("response,reference", [
    ("The correct option is (B).", "C"), ("The correct answer is: **B**", "D"), ("The answer is option F", "F"),
    ("The best option is to factor. Then x = 5.", "2"),
])
def test_an_option_marker_names_only_its_letter(response, reference):
    assert not grader.grade(response, reference, extraction="rules").correct


@pytest.mark.parametrize("response,reference", [
    ("2+2 = 4, so the answer is 4. In general, the best choice is a direct computation.", "4"),
    (r"The answer is \boxed{12}. The best option is a retry.", "12"),
    ("So the final answer is 7. The right choice is e, as shown.", "7"),
    ("The answer is 4. The correct choice is A if we use the first method.", "4"),
    ("**Answer:** x^*", "x^*"),  # a star of the answer is no closing bold
])
def test_prose_about_a_best_option_states_no_answer(response, reference):
    """Found on a second read: "a" and "e" (the pattern ignored case), or a letter starting a sentence, made
    these the last answer statement."""
    result = grader.grade(response, reference, extraction="rules")
    assert result.correct, result


def test_an_option_marker_needs_an_option_letter_after_it():
    result = grader.grade("The best option is to factor. Then x = 5.", "5", extraction="rules")
    assert result.correct and result.extracted == "5", result
