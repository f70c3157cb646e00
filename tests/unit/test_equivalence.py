"""Normalization and equivalence, category by category, through the public API."""


import pytest

import grader


def verdict(response: str, reference, **options) -> bool:
    result = grader.grade(response, reference, **options)
    assert result.status in (grader.Status.OK, grader.Status.PARSE_ERROR), result
    return result.correct


def same(answers, reference, **options):
    for a in answers:
        assert verdict(f"The answer is $\\boxed{{{a}}}$.", reference, **options), f"{a!r} should equal {reference!r}"


def differ(answers, reference, **options):
    for a in answers:
        assert not verdict(f"The answer is $\\boxed{{{a}}}$.", reference, **options), f"{a!r} should differ from {reference!r}"


def test_one_value_every_spelling():
    same([".05", "0.050", "1/20", r"\frac{1}{20}", r"\dfrac{1}{20}", r"\tfrac{1}{20}", "5E-02", "5e-2", "5 x 10^-2",
          r"5 \times 10^{-2}", r"5\cdot 10^{-2}", "5·10⁻²"], "0.05")


def test_integers_and_separators():
    same(["72", "072", "72.0", r"72\,", "{72}"], "72")
    same(["1,000,000", "1{,}000{,}000", r"1\,000\,000", "1 000 000", "1\u2009000\u2009000", r"1,\!000,\!000"], "1000000")
    differ(["55315", "55314.5"], "55314")


def test_fractions_and_mixed_numbers():
    same([r"2\frac{1}{2}", "2 1/2", "5/2", "2.5", r"\frac{5}{2}", r"\frac52"], "5/2")
    differ(["1/2", "2"], "5/2")


def test_exact_before_tolerance():
    differ(["99999/100000", "0.99999"], "1")
    same(["85.71", "85.714"], r"\frac{600}{7}")
    same(["85.7"], r"\frac{600}{7}")             # three significant digits, rounded
    differ(["85.72", "85.8", "86"], r"\frac{600}{7}")


def test_percent_policy():
    # reference 25%: accepts 25, 25% and 0.25
    same([r"25\%", "25", "0.25", "1/4"], r"25\%")
    # an answer in percent means hundredths
    assert verdict("28%", "7/25")
    assert not verdict("28%", "28")
    assert verdict("28%", "28", percent="lenient")
    assert not verdict("25", r"25\%", percent="strict")


def test_repeating_decimal_and_currency_units_degrees():
    same([r"\$18.90", "18.9", r"18.90 \text{ dollars}"], "18.90")
    same([r"15\text{ cm}^2", r"15 \mathrm{cm}", "15 cm", r"\text{15 cm}", r"\text{15 apples}"], "15")  # also in one \text
    differ([r"\text{15 cm}"], "16")
    same([r"\mbox{1,500 dollars}"], "1500")
    same([r"30^\circ", r"30^{\circ}", "30°", "30"], r"30^\circ")


def test_latex_noise():
    same([r"\left( \frac{1}{3} \right)", r"\displaystyle\frac{1}{3}", r"\frac{1}{3}.", r"\!\frac{1}{3}"], "1/3")


def test_unicode_math():
    same(["√2", r"\sqrt{2}", r"\sqrt2"], r"\sqrt{2}")
    same(["(−∞, 3]"], r"(-\infty, 3]")
    same(["π/2"], r"\frac{\pi}{2}")


def test_unicode_numbers_as_models_write_them():
    r"""Fullwidth digits and signs (CJK output), vulgar fractions as mixed numbers, a root sign over a
    whole number, circled choices, subscripts. Each ``differ`` was once judged correct: "√27" read as
    \sqrt{2}·7, "2½" as 21/2, "３．５" as its last digit."""
    same(["√27", "√ 27", r"\sqrt{27}"], r"3\sqrt{3}")
    differ(["√27"], r"7\sqrt{2}")
    same(["∛8", "∛ 8"], "2")
    same(["√1.44"], "1.2")
    same(["2½", "2 ½", "5/2"], "2.5")
    differ(["2½"], "21/2")
    same(["⅔"], r"\frac{2}{3}")
    same(["３．５", "3．5"], "3.5")
    differ(["３．５"], "5")
    same(["－３"], "-3")
    same(["ｘ＋１"], "x+1")
    same(["（１，２）"], "(1,2)")
    same(["⑫"], "12")
    same(["①③"], "1,3")
    differ(["①③", "1③", "①3"], "13")
    same(["a₁ = 2"], "2")
    # In prose, without a box or marker, the last number is read whole too.
    assert verdict("故最小值为３．５", "3.5") and not verdict("故最小值为３．５", "5")
    assert verdict("结果是－３", "-3") and not verdict("结果是－３", "3")
    assert verdict("因此概率为１／３。", "1/3") and not verdict("因此概率为１／３。", "3")


def test_plain_text_math_as_models_write_it():
    """Names outside LaTeX become commands (no text reaches an evaluator); a function name only with
    an argument after it, so a text answer stays a word."""
    same(["sqrt(2)", "sqrt 2", "sqrt2"], r"\sqrt{2}")
    same(["sqrt27", "3*sqrt(3)"], r"3\sqrt{3}")
    same(["sqrt(x+1)", "√(x+1)", r"\sqrt(x+1)"], r"\sqrt{x+1}")  # LaTeX alone would root the "(" only
    differ(["sqrt(x)+1"], r"\sqrt{x+1}")
    same(["sqrt(sqrt(16))"], "2")
    same(["pi/2", "pi / 2"], r"\frac{\pi}{2}")
    same(["2pi", "2 pi"], r"2\pi")
    same(["sin(pi/6)", "cos(pi/3)"], "1/2")
    differ(["sin(pi/3)"], "1/2")
    same(["log_2 8", "log_2(8)"], "3")
    differ(["log_2 9"], "3")
    same(["arctan(1)"], r"\frac{\pi}{4}")
    same(["ln 2", "ln(2)"], r"\ln 2")
    same(["exp(2)", "e^(2)"], "e^2")
    same(["e^(2x)"], "e^{2x}")
    differ(["e^(2x)"], "e^{3x}")
    same(["(-inf, 3]"], r"(-\infty, 3]")
    same(["tan"], r"\text{tan}")
    same(["spin"], r"\text{spin}")
    same(["5 sec"], "5")


def test_the_real_line_and_bold_numbers():
    same([r"\mathbb{R}", r"\mathbb R", "ℝ", "R", r"x \in \mathbb{R}", "all real numbers", r"\text{All real numbers}",
          r"(-\infty, +\infty)"], r"(-\infty, \infty)")
    same([r"(-\infty, \infty)", "R"], r"\mathbb{R}")
    same([r"\mathbb{R}^2"], r"\mathbb{R}^2")
    differ([r"\mathbb{R}^2", r"(0, \infty)", r"\mathbb{Z}", r"(-\infty, 0) \cup (0, \infty)"], r"\mathbb{R}")
    # The letter R, however written, is still the letter R (a choice, a point's name).
    same([r"\text{R}", "(R)", "R.", r"\textbf{R}", r"\mathbf{R}"], "R")
    assert verdict(r"\boxed{(0,\infty)}", r"\{x \in \mathbb{R}: x>0\}") is False  # a verdict, not PARSE_ERROR
    same([r"-\infty < x < \infty", r"\text{all real } x", r"\text{all real numbers } x", r"\text{all real x}"],
         r"\mathbb{R}")
    differ([r"-\infty < x < 5", r"\text{all real}"], r"\mathbb{R}")
    # the real line less a few points: the open intervals between them
    same([r"\mathbb{R} \setminus \{0\}", r"\mathbb{R} - \{0\}", r"\mathbb{R}\backslash\{0\}"],
         r"(-\infty, 0) \cup (0, \infty)")
    same([r"\mathbb{R} \setminus \{1, -1\}"], r"(-\infty,-1)\cup(-1,1)\cup(1,\infty)")
    differ([r"\mathbb{R} \setminus \{0\}"], r"(-\infty, 1) \cup (1, \infty)")
    differ([r"\mathbb{R} \setminus \{0, 1\}"], r"(-\infty, 0) \cup (0, \infty)")
    same([r"\mathbf{12}", r"\textbf{12}", r"\boldsymbol{12}"], "12")


def test_text_answers():
    same([r"\text{Monday}", r"\textbf{Monday}", "monday"], r"\text{Monday}")
    differ([r"\text{Tuesday}"], r"\text{Monday}")


def test_amc_answers_with_their_choice_letter_match_the_letter_or_the_value():
    # AoPS writes an AMC answer as the choice's letter and its value: either is the answer.
    amc = [r"\textbf{(C)}\ 12", r"\textbf{(C) }12", r"\text{(C)}~12", "(C) 12"]
    same(amc, "C")
    same(amc, "12")
    same(amc, r"\textbf{(C)}\ 12")
    same(["C", "12", "(C)"], r"\textbf{(C)}\ 12")
    differ(amc, "D")
    differ(amc, "13")
    differ(amc, "12C")  # never the product of the letter and the value
    differ([r"\textbf{(D)}\ 13"], r"\textbf{(C)}\ 12")
    differ(["(a) 12"], "a")  # a part of a problem, not a choice
    # several labels at once are no answer with its value: a hedge must not match every letter
    for hedge in (r"\textbf{(A)}\ \textbf{(B)}\ \textbf{(C)}", "(A) (B) (C) (D) (E)", "(A) B", r"(A) 1 (B) 2"):
        differ([hedge], "B")
    differ(["(A) 1 (B) 2"], "2")
    same([r"\textbf{(D)}\ \pi"], "D")
    for hedge in ("(A) 1B", "(A) B^1", r"(A) \frac{B}{1}", r"(A) \text{B}1"):  # a letter hidden in the value
        differ([hedge], "B")
    # against an answer written the same way, letter and value must both match (found by a second read)
    same([r"(C)\ 12", r"\textbf{(C) }12"], r"\textbf{(C)}\ 12")
    differ([r"(A)\ 12", r"(C)\ 99"], r"\textbf{(C)}\ 12")


def test_the_empty_set_in_symbols_and_in_words():
    words = [r"\text{no solution}", "No solutions", r"\text{There are no real solutions}", "no real roots",
             r"\text{the empty set}", r"\varnothing", r"\{\}", "∅"]
    same(words, r"\emptyset")
    same([r"\emptyset"], r"\text{No real solutions}")
    differ(words, "0")
    differ(words, r"\{0\}")
    differ([r"\emptyset"], r"\{1\}")
    assert not verdict(r"\boxed{{}}", r"\emptyset")  # empty braces are an empty group, never the empty set
    assert not verdict(r"\boxed{\text{no solution for } x > 2}", r"\emptyset")  # only the whole answer


def test_json_damaged_references():
    assert verdict(r"\boxed{\frac{1}{2}}", "\x0crac{1}{2}")          # "\f" of \frac became a form feed
    assert verdict(r"\boxed{\text{yes}}", "\text{yes}")               # "\t" of \text became a tab


def test_symbolic():
    same(["x+1", "1+x", r"\frac{2x+2}{2}"], "x+1")
    same([r"\frac{\sqrt{2}}{2}", r"\frac{1}{\sqrt{2}}", r"2^{-1/2}"], r"\frac{\sqrt 2}{2}")
    same([r"\sec^2(y)"], r"\tan^2(y)+1")
    same([r"\log 8"], r"3\log 2")
    differ(["x+2", "x"], "x+1")
    differ([r"\frac{1+\sqrt{5}}{2}"], "2")


def test_constants_and_complex():
    same([r"2\pi", r"\pi \cdot 2"], r"2\pi")
    same([r"e^{2}"], r"e^2")
    same([r"3+2i", r"2i+3"], "3+2i")
    differ([r"3-2i"], "3+2i")
    same([r"\infty"], r"\infty")


def test_tuples_are_ordered_sets_are_not():
    same(["(1, 2)"], "(1,2)")
    differ(["(2, 1)"], "(1,2)")
    same([r"\{2, 1\}", "2, 1", "1 and 2"], r"\{1,2\}")
    differ([r"\{1\}", "1, 2, 3"], r"\{1,2\}")  # a subset or superset is not a match


def test_intervals_and_unions():
    same(["[0, 1)", r"\left[0,1\right)"], "[0,1)")
    differ(["(0, 1)", "[0, 1]"], "[0,1)")
    same([r"(-\infty, -3] \cup [2, \infty)"], r"(-\infty,-3]\cup[2,\infty)")
    differ([r"(-\infty, -3] \cup (2, \infty)"], r"(-\infty,-3]\cup[2,\infty)")


def test_inequalities_versus_intervals():
    same([r"-2 \le x \le 7", r"x \in [-2, 7]"], "[-2,7]")
    same(["k < -5"], r"(-\infty,-5)")
    same([r"x \geq 5"], r"x >= 5")
    differ([r"x \le 5"], r"x \ge 5")


def test_matrices_and_vectors():
    same([r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}", r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}"],
         r"\begin{pmatrix}1&2\\3&4\end{pmatrix}")
    differ([r"\begin{pmatrix} 1 & 2 \\ 3 & 5 \end{pmatrix}"], r"\begin{pmatrix}1&2\\3&4\end{pmatrix}")
    same(["(-7,16,5)"], r"\begin{pmatrix} -7 \\ 16 \\ 5 \end{pmatrix}")


def test_equations_and_assignments():
    same(["x=5", "5"], "5")
    same(["5"], "x=5")
    same(["y=3+2x", "y = 2x + 3"], "y=2x+3")
    same(["2x - y + 3 = 0"], "y=2x+3")
    differ(["2x - y + 4 = 0", "x - y + 3 = 0"], "y=2x+3")  # different lines
    same(["f(x) = 2x"], "f(t)=2t")
    differ(["f(x) = x"], "f(x)=2x")


def test_plus_minus_and_lists_of_roots():
    same([r"1 \pm \sqrt{19}", r"1 + \sqrt{19}, 1 - \sqrt{19}"], r"1 \pm \sqrt{19}")
    differ([r"1 + \sqrt{19}"], r"1 \pm \sqrt{19}")


def test_any_reference_in_a_list_counts():
    assert verdict(r"\boxed{0.5}", ["1/3", "1/2"])
    assert not verdict(r"\boxed{0.25}", ["1/3", "1/2"])


def test_full_solution_reference_is_read_for_its_answer():
    assert verdict(r"\boxed{28\%}", r"So the loss is $\boxed{28\%}$ in total over the two days of trading.")


def test_multiple_choice_verifier():
    for response in ["The answer is (B).", "Answer: B", r"\boxed{\text{(B)}}", r"\boxed{\text{B}}", "B", "I pick option B."]:
        assert grader.grade(response, "B", verifier="multiple_choice").correct, response
    assert not grader.grade("The answer is (C).", "B", verifier="multiple_choice").correct
    assert grader.grade("I have no idea.", "B", verifier="multiple_choice").status == grader.Status.NO_ANSWER


def test_exact_verifier():
    assert grader.grade(r"\boxed{Paris}", "paris", verifier="exact").correct
    assert not grader.grade(r"\boxed{Paris}", "paris", verifier="exact", lowercase=False).correct
    assert not grader.grade(r"\boxed{1/2}", "0.5", verifier="exact").correct


def test_result_carries_evidence():
    r = grader.grade(r"Thus \boxed{\dfrac{1}{20}}.", "0.05")
    assert r.correct and r.score == 1.0 and r.status == grader.Status.OK
    assert r.extracted == r"\dfrac{1}{20}"
    assert r.normalized == r"\frac{1}{20}"
    assert r.method.startswith("boxed+")
    assert r.latency_ms > 0
    wrong = grader.grade(r"\boxed{2}", "3")
    assert not wrong.correct and wrong.reason


def test_grade_many_keeps_order():
    items = [{"response": rf"\boxed{{{i}}}", "reference": str(i if i % 3 else i + 1)} for i in range(30)]
    results = grader.grade_many(items)
    assert [r.correct for r in results] == [bool(i % 3) for i in range(30)]


def test_multiple_choice_option_text():
    choices = ["Paris", "London", "Rome", "Madrid"]
    assert grader.grade("I am fairly sure it is London.", "B", verifier="multiple_choice", choices=choices).correct
    assert grader.grade("Clearly London.", "London", verifier="multiple_choice", choices=choices).correct
    assert not grader.grade("It must be Rome.", "B", verifier="multiple_choice", choices=choices).correct
    assert grader.grade("It must be (B).", "London", verifier="multiple_choice", choices=choices).correct


@pytest.mark.parametrize("response,reference,correct", [
    ("The capital of France is Paris.", "Paris", True), ("Paris, France.", "Paris", True),
    ("I considered London or Rome. In the end, it is Paris.", "Paris", True), ("The answer is 3.5.", "3.5", True),
    ("It is one of Paris, London, Rome or Berlin.", "Paris", False), ("Paris, London, Rome, Berlin", "Rome", False),
    ("Paris and London", "London", False), ("It is Paris/London", "Paris", False), ("Parisian", "Paris", False),
    ("It is Paris. It is London. It is Rome.", "Paris", False), ("It is Paris. It is London. It is Rome.", "Rome", True),
    # the sentence that states the answer: an answer marker's, else the last but a closing courtesy
    ("The answer is Paris.\n\nLet me know if you have any other questions!", "Paris", True),
    ("The capital of France is Paris. Hope this helps.", "Paris", True),
    ("It is neither London nor Rome; the answer is Paris.", "Paris", True),
    ("The answer is Paris. The answer is London.", "Paris", False), ("It is Paris. Hope this helps. It is London.", "Paris", False),
])
def test_without_choices_an_option_text_counts_only_stated_alone(response, reference, correct):
    """Naming every option (in one sentence or one each) matched every reference: a hedge that always paid."""
    assert grader.grade(response, reference, verifier="multiple_choice").correct is correct


def test_a_marker_followed_by_a_long_run_of_spaces_gets_a_verdict():
    """Three runs of whitespace in a row made the option-letter pattern cubic: 3,000 spaces took 168 s."""
    result = grader.grade("answer" + " " * 20_000 + "1", "B", verifier="multiple_choice")
    assert result.status is grader.Status.NO_ANSWER


def test_repeating_decimals():
    same([r"0.\overline{3}", "1/3"], r"\frac{1}{3}")
    same([r"0.1\overline{6}"], r"\frac{1}{6}")
    same([r"0.\overline{142857}"], r"\frac{1}{7}")
    differ([r"0.\overline{3}"], "0.3")


def test_a_derivation_is_read_from_its_last_arrow():
    import grader

    response = r"So $23x^2 + 73x - 23 = 0 \implies x = \frac{-73 \pm \sqrt{7445}}{46}$"
    result = grader.grade(response, r"\frac{-73 + \sqrt{7445}}{46}, \frac{-73 - \sqrt{7445}}{46}")
    assert result.correct and "sympy" not in result.method, result
    assert grader.grade(r"So $x > 2 \Rightarrow x \in (2, \infty)$", r"(2, \infty)").correct


def test_normal_form_shortcut_matches_full_normalization(monkeypatch):
    import random
    import re

    from grader.verifiers.math import normalize

    full = normalize.normalize_answer.__wrapped__
    rng = random.Random(1)
    values = ["0", "-0", "7", "-12", "0.50", "-3.25", "7/8", r"\frac{3}{4}", r"-\frac{10}{3}"]
    values += [str(rng.randint(-10 ** k, 10 ** k)) for k in range(1, 31) for _ in range(20)]
    values += [f"{rng.randint(-999, 999)}.{rng.randint(0, 999):0{rng.randint(1, 3)}d}" for _ in range(300)]
    values += [f"{rng.randint(1, 999)}/{rng.randint(1, 999)}" for _ in range(300)]
    values += [rf"\frac{{{rng.randint(1, 999)}}}{{{rng.randint(1, 999)}}}" for _ in range(300)]
    assert all(normalize._ALREADY_NORMAL_RE.fullmatch(v) for v in values)
    shortcut = [full(v) for v in values]
    monkeypatch.setattr(normalize, "_ALREADY_NORMAL_RE", re.compile(r"(?!)"))  # never matches: the full path
    assert [full(v) for v in values] == shortcut


def test_a_label_is_text_not_a_product_of_letters():
    import grader

    result = grader.grade("Let me start.\n\n**Step 1:**", "22.2")
    assert not result.correct and "sympy" not in result.method, result
    assert grader.grade("Part 2", "Part 2").correct


def test_not_equals_is_not_equal():
    for spelling in (r"\not= 5", r"\not = 5", r"\neq 5"):
        result = grader.grade(f"\\boxed{{{spelling}}}", "5")
        assert not result.correct and result.status is grader.Status.PARSE_ERROR, result
    assert not grader.grade(r"\boxed{x \not= 5}", "x = 5").correct
    assert grader.grade(r"\boxed{x \not= 5}", r"x \neq 5").correct


@pytest.mark.parametrize("answer, reference", [
    ("x", "|x|"), ("x-2", "|x-2|"), ("x", r"\sqrt{x^2}"), (r"\frac1x", r"\frac{1}{|x|}"),
    (r"\min(x, 15)", "x"), (r"\max(x, 2)", "x"),
])
def test_expressions_that_differ_off_the_random_points_differ(answer, reference):
    assert not grader.grade(f"\\boxed{{{answer}}}", reference).correct


@pytest.mark.parametrize("answer, reference", [
    (r"\ln x + C", r"\ln|x| + C"),  # ln x is not real for negative x: no evidence there
    (r"\sqrt{x}\sqrt{x+1}", r"\sqrt{x^2+x}"),  # real at x < -1 only through two imaginary factors
    (r"\sqrt{x}^2", "x"), (r"e^{\ln x}", "x"), (r"\frac{\sqrt{x}}{\sqrt{y}}", r"\sqrt{\frac{x}{y}}"),
    ("|x|", r"\sqrt{x^2}"), ("(x+1)^2", "x^2+2x+1"),
])
def test_expressions_equal_where_defined_still_match(answer, reference):
    assert grader.grade(f"\\boxed{{{answer}}}", reference).correct


@pytest.mark.parametrize("answer, reference", [
    (r"\frac{1}{10^{100}}", "0"), ("e^{-100}", "0"), ("5 + e^{-100}", "5"), ("10^{-100}", "0"),
])
def test_a_tiny_exact_difference_is_a_difference(answer, reference):
    assert not grader.grade(f"\\boxed{{{answer}}}", reference).correct


def test_closed_forms_equal_up_to_float_noise_still_match():
    same([r"\cos\frac{\pi}{7} - \cos\frac{2\pi}{7} + \cos\frac{3\pi}{7}", r"\sin\frac{\pi}{6}"], r"\frac{1}{2}")
    same([r"\sqrt{2} + \sqrt{3}"], r"\sqrt{5 + 2\sqrt{6}}")


@pytest.mark.parametrize("answer, reference", [
    ("5 = 6", "6"), (r"3 \approx 5", "5"), ("3 + 4 = 7 = 8", "8"), (r"\frac{1}{2} = \frac{10}{9}", r"\frac{10}{9}"),
])
def test_a_false_chain_of_constants_is_wrong(answer, reference):
    assert not grader.grade(f"\\boxed{{{answer}}}", reference).correct


@pytest.mark.parametrize("answer, reference", [
    ("3 + 4 = 7", "7"), (r"\frac{1}{3} \approx 0.333", "0.333"), (r"\pi \approx 3.14", "3.14"),
    (r"\frac{10}{3} \approx 3.3", "3.3"), ("2^{6} = 64", "64"), (r"x = \frac{1}{3} \approx 0.33", r"\frac{1}{3}"),
])
def test_a_true_chain_of_constants_is_its_last_value(answer, reference):
    assert grader.grade(f"\\boxed{{{answer}}}", reference).correct


def test_a_math_block_chain_keeps_its_last_value():
    # A math block picked from the work may span more than the answer (Math-Verify's own test).
    assert grader.grade(r"Answer $ \frac{1}{2} \$ = \frac{10}{9} $", r"10/9").correct


def test_a_sign_word_and_a_scale_word_are_read_as_numbers():
    """"12 thousand" was 12 and a word (it passed for 12); "negative 12" was a text."""
    same(["negative 12", "minus 12", "negative twelve", "-12"], "-12")
    differ(["negative 12", "minus 12"], "12")
    same(["12 thousand", "12 thousand dollars", r"\text{12 thousand}", "12000"], "12000")
    differ(["12 thousand", "12 thousand widgets"], "12")
    same(["1.5 million", "1,500 thousand", "0.0015 billion"], "1500000")
    same(["2 dozen", "24"], "24")
    same(["2.5 dozen"], "30")
    differ(["2 dozen"], "2")
    same(["negative 1.5 thousand"], "-1500")
    # in \text after the number, as a box writes it: "\text{ million}" was dropped as a unit (2.5 passed for 2.5)
    same([r"2.5 \text{ million}", r"2.5\,\text{million}", r"2.5 \text{ million dollars}"], "2500000")
    differ([r"2.5 \text{ million}", r"3 \text{ thousand}"], "2.5")
    # a digit string the int conversion refuses (over 4,300 digits) is no scaled number, and no crash
    from grader.verifiers.math.normalize import normalize_answer

    for huge in ("1" + ",000" * 2400 + " thousand", "9" * 5000 + " thousand"):
        assert normalize_answer(huge)[0].endswith(" thousand")
