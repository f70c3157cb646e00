"""The ifeval verifier on open-instruct's IFEvalG: each of its 29 extra ids passing and failing,
their arguments, and the two other reference forms (RLVR-IFeval's func_name ground truth and
IF_multi_constraints' Python literal)."""

from __future__ import annotations

import json

import pytest

import grader
from grader import Status

from test_ifeval import ref, required_arguments, verdict, without_argument

PROMPT = "Write a short story about a cat."

# (id, kwargs, a passing response, a failing response)
CASES = [
    ("copy:repeat_phrase", {"phrase": "the quick brown fox", "small_n": 2},
     "The quick red fox ran. Then the slow brown fox.", "The quick brown fox. The quick red fox."),
    ("copy:copy", {"prompt_to_repeat": PROMPT}, "  write a short story about a CAT.  ", PROMPT + " Once upon..."),
    ("new:copy_span_idx", {"prompt_to_repeat": PROMPT, "n_start": 8, "n_end": 18}, "short story", "short stor"),
    ("detectable_format:sentence_hyphens", {}, "I am here.-You are there.-We meet.",
     "I am here. - You are there."),
    ("keywords:no_adjacent_consecutive", {}, "Zebras eat grass quietly.", "A big cat."),
    ("detectable_format:square_brackets", {}, "[Every] [word] [here.]", "[Every] word [here]"),
    ("keywords:word_once", {"keyword": "cat"}, "The cat and the category.", "Cat meets cat."),
    ("keywords:word_count_different_numbers", {"keyword": "cat", "frequency": 2, "relation": "at least"},
     "A cat, a CAT.", "A cat in a category of cats."),
    ("keywords:word_count_different_numbers", {"keyword": "a+b", "frequency": 1, "relation": "less than"},
     "aab is fine", "a+b is literal"),
    ("keywords:exclude_word_harder", {"keyword": "story"}, "Stories and history.", "A Story."),
    ("paragraphs:paragraphs", {}, "One.\n***\nTwo.", "One.\n***\n***\nTwo."),
    ("paragraphs:paragraphs2", {}, "One.\n\nTwo.\n", "One.\n\nTwo.\n\nThree."),
    ("first_word:first_word_sent", {"first_word": "Cats"}, "Cats purr. \"Cats sleep!\"", "Cats purr. Dogs bark."),
    ("first_word:first_word_answer", {"first_word": "hello"}, "Hello, world.", "Well, hello."),
    ("last_word:last_word_sent", {"last_word": "now"}, "Do it now. Stop now!", "Do it now. Stop it."),
    ("last_word:last_word_answer", {"last_word": ["end"]}, "This is the END.", "The end is near."),
    ("detectable_format:bigram_wrapping", {}, "<<I am>> <<at home>> <<today.>>", "<<I am at>> <<home now>>"),
    ("copy:copying_simple", {"prompt_to_repeat": PROMPT}, PROMPT, "Sure! " + PROMPT),
    ("copy:copying_multiple", {"prompt_to_repeat": PROMPT, "N": 2}, f"{PROMPT}\n******\n{PROMPT}",
     f"{PROMPT}\n******\n{PROMPT}\n******\n{PROMPT}"),
    ("punctuation:punctuation_dot", {}, "No dots here!", "One dot."),
    ("punctuation:punctuation_exclamation", {}, "Calm.", "Wow!"),
    ("count:lowercase_counting", {"N": 2}, "the cat and the dog", "the cat the dog the end"),
    ("letters:letter_counting", {"N": 5, "relation": "less than"}, "Hi 123 yo", "Hello"),
    ("letters:letter_counting2", {"letter": "z", "let_frequency": 2, "let_relation": "at least"}, "Zzz", "zap"),
    ("count:counting_composition", {"n_sent": 2, "n_words": 3},
     "I love cats. They are soft.\n* * *\nDogs bark loudly. Birds sing songs.\n***\nFish swim fast. Cows eat grass.",
     "I love cats. They are soft.\n* * *\nDogs bark loudly. Birds sing songs."),
    ("count:count_unique", {}, "Every word here differs, don't you think?", "The cat saw the dog."),
    ("count:count_increment_word", {"keyword1": "sun", "keyword2": "moon"},
     "The sun and the moon; the moon again.", "The sun, the sun and the moon, the moon."),
    ("keywords:palindrome", {}, "The racecar won.", "A dog is here, I think."),
    ("keywords:keyword_specific_position", {"keyword": "blue", "n": 2, "m": 3},
     "Hello there. The sky, blue today.", "Hello there. The blue sky."),
    ("keywords:start_end", {}, "Love is all you need, love", "Love is all you need, love."),
]


def test_every_ifevalg_id_is_covered():
    from grader.verifiers.ifeval.checks import CHECKERS
    from grader.verifiers.ifeval.spec import IFEVALG_ARGUMENTS
    assert {c[0] for c in CASES} == set(IFEVALG_ARGUMENTS) and len(IFEVALG_ARGUMENTS) == 29
    assert len(CHECKERS) == 25 + 29 + 58 + 1  # with IFEval's, IFBench's and RLVR-IFeval's validate_choice


@pytest.mark.parametrize("iid,kwargs,good,bad", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_ifevalg_instruction_passes_and_fails(iid, kwargs, good, bad):
    assert verdict(good, iid, **kwargs)
    assert not verdict(bad, iid, **kwargs)


REQUIRED = required_arguments(CASES)


@pytest.mark.parametrize("iid,name", REQUIRED, ids=[f"{i}-{n}" for i, n in REQUIRED])
def test_a_missing_argument_is_invalid_naming_it(iid, name):
    result = without_argument(CASES, iid, name, PROMPT)
    assert result.status is Status.INVALID_ARGUMENT and f"'{name}'" in result.reason, result.reason


@pytest.mark.parametrize("iid,kwargs,words", [
    ("new:copy_span_idx", {"prompt_to_repeat": "abc", "n_start": 2, "n_end": 5}, "n_end"),
    ("copy:repeat_phrase", {"phrase": "two words", "small_n": 2}, "phrase"),
    ("copy:copying_multiple", {"prompt_to_repeat": "x", "N": 0}, "positive"),
    ("count:count_increment_word", {"keyword1": "Sun", "keyword2": "sun"}, "differ"),
    ("first_word:first_word_answer", {"first_word": "two words"}, "single word"),
    ("keywords:palindrome", {"N": 3}, "takes no argument 'N'"),
])
def test_bad_ifevalg_arguments_are_invalid(iid, kwargs, words):
    result = grader.grade("Some response.", ref((iid, kwargs)), verifier="ifeval")
    assert result.status is Status.INVALID_ARGUMENT and words.lower() in result.reason.lower(), result.reason


def test_keywords_are_literal_and_hostile_input_gets_a_verdict():
    assert verdict("(a)(b) here", "keywords:word_once", keyword="(a)(b)")
    text = "a " * 50_000
    assert not verdict(text, "copy:repeat_phrase", phrase=" ".join(["a"] * 100), small_n=1)
    assert not verdict(text, "count:count_unique")


# --- open-instruct's RLVR-IFeval ground truth: {"func_name": ..., "N": ..., "quantifier": ...} ---------

def rlvr(response: str, **fields) -> grader.GradeResult:
    base = {"func_name": None, "N": None, "quantifier": None, "end_phrase": None, "keyword_list": None,
            "word": None, "forbidden_words": None, "letter": None, "i": None, "first_word": None,
            "postscript_marker": None, "options": None, "section_splitter": None, "original_prompt": None}
    return grader.grade(response, json.dumps({**base, **fields}), verifier="ifeval")


def test_func_name_maps_to_the_ifeval_id():
    result = rlvr("one two three", func_name="validate_word_constraint", N=3, quantifier="at most")
    assert result.correct and [c.name for c in result.checks] == ["length_constraints:number_words"]
    assert not rlvr("one two three four", func_name="validate_word_constraint", N=3, quantifier="at most").correct
    assert rlvr("a b c", func_name="validate_word_constraint", N=3, quantifier="at least").correct
    assert rlvr("No commas", func_name="validate_no_commas").correct
    assert not rlvr("Yes, commas", func_name="validate_no_commas").correct
    assert rlvr("Hello [name]", func_name="validate_placeholders", N=1).correct
    assert rlvr("Intro\n\nThen more", func_name="validate_paragraphs", N=2, i=2, first_word="then").correct
    assert rlvr("Hi.\nP.S. bye", func_name="verify_postscript", postscript_marker="P.S.").correct


def test_func_name_counts_without_a_quantifier_are_exact():
    assert rlvr("cat and cat", func_name="verify_keyword_frequency", word="cat", N=2).correct
    assert not rlvr("cat cat cat", func_name="verify_keyword_frequency", word="cat", N=2).correct
    assert not rlvr("category cat", func_name="verify_keyword_frequency", word="cat", N=2).correct
    assert rlvr("a banana", func_name="verify_letter_frequency", letter="a", N=4).correct
    assert not rlvr("a banana!", func_name="verify_letter_frequency", letter="n", N=3).correct


def test_around_is_if_functions_tolerance():
    words = lambda n: " ".join(["word"] * n)  # noqa: E731
    # Words and capital words: within max(round(N / 10), 1); sentences: within 1.
    assert rlvr(words(33), func_name="validate_word_constraint", N=30, quantifier="around").correct
    assert not rlvr(words(34), func_name="validate_word_constraint", N=30, quantifier="around").correct
    assert rlvr(words(4), func_name="validate_word_constraint", N=5, quantifier="around").correct
    assert not rlvr(words(3), func_name="validate_word_constraint", N=5, quantifier="around").correct
    result = rlvr("One. Two. Three. Four.", func_name="verify_sentence_constraint", N=3, quantifier="around")
    assert result.correct and "2 to 4" in result.checks[0].reason
    assert not rlvr("One. Two. Three. Four. Five.", func_name="verify_sentence_constraint", N=3,
                    quantifier="around").correct
    assert rlvr("AB CD EF", func_name="validate_frequency_capital_words", N=2, quantifier="around").correct
    assert not rlvr("AB CD EF GH", func_name="validate_frequency_capital_words", N=2, quantifier="around").correct


def test_validate_choice_needs_an_option_as_whole_words():
    result = rlvr("I select Option B as the answer.", func_name="validate_choice",
                  options="Option A, Option B, Option C")
    assert result.correct and [c.name for c in result.checks] == ["rlvr:validate_choice"]
    assert not rlvr("I select Option D.", func_name="validate_choice", options=["Option A", "Option B"]).correct
    assert rlvr("a)", func_name="validate_choice", options=["a)", "b)"]).correct
    assert rlvr("The answer is (B).", func_name="validate_choice", options=["A", "B"]).correct
    assert not rlvr("An Apple.", func_name="validate_choice", options=["A", "B"]).correct  # upstream passes it


def test_repeat_prompt_reads_original_prompt():
    assert rlvr("Say hi. Hi!", func_name="validate_repeat_prompt", original_prompt="Say hi.").correct


@pytest.mark.parametrize("fields,words", [
    ({"func_name": "validate_word_constraint", "N": 3}, "'quantifier'"),
    ({"func_name": "validate_word_constraint", "quantifier": "at least"}, "'N'"),
    ({"func_name": "validate_word_constraint", "N": 3, "quantifier": "roughly"}, "quantifier"),
    ({"func_name": "validate_choice", "options": []}, "'options'"),
    ({"func_name": "validate_choice"}, "'options'"),
    ({"func_name": "eval"}, "unknown func_name"),
    ({"func_name": "validate_no_commas", "N": 3}, "takes no argument 'N'"),
    ({"func_name": "verify_keywords"}, "'keyword_list'"),
    ({"func_name": "verify_bullet_points", "N": "3"}, "non-negative integer"),
])
def test_malformed_func_name_references_are_invalid(fields, words):
    result = rlvr("Some response.", **fields)
    assert result.status is Status.INVALID_ARGUMENT and words.lower() in result.reason.lower(), result.reason


# --- IF_multi_constraints: "[{'instruction_id': [...], 'kwargs': [...]}]" as a Python literal ----------

def test_multi_constraints_python_literal():
    reference = str([{"instruction_id": ["punctuation:punctuation_dot", "keywords:word_once"],
                      "kwargs": [None, {"keyword": "cat", "unused": None}]}])
    assert reference.startswith("[{'instruction_id'")
    result = grader.grade("A cat sat", reference, verifier="ifeval", scoring="fraction")
    assert result.correct and [c.name for c in result.checks] == ["punctuation:punctuation_dot", "keywords:word_once"]
    half = grader.grade("A cat sat. A cat ran.", reference, verifier="ifeval", scoring="fraction")
    assert (half.correct, half.score) == (False, 0.0)
    also = grader.grade("A cat sat.", reference, verifier="ifeval", scoring="fraction")
    assert also.score == 0.5


def test_multi_constraints_entry_may_be_a_json_string():
    entry = json.dumps({"instruction_id": ["punctuation:no_comma"], "kwargs": [{}]})
    assert grader.grade("No commas", str([entry]), verifier="ifeval").correct


@pytest.mark.parametrize("reference,words", [
    ("[{'instruction_id': ['punctuation:no_comma'], 'kwargs': [{}]", "not a Python literal"),
    ("[__import__('os').system('true')]", "not a Python literal"),
    ("[{'instruction_id': ['x:y'], 'kwargs': [{}]}]", "unknown instruction id"),
    ("[{'instruction_id': ['punctuation:no_comma'], 'kwargs': [{}, {}]}]", "one 'kwargs'"),
    ("[{'kwargs': [{}]}]", "'instruction_id'"),
    ("[]", "one"),
    ("[{'instruction_id': [], 'kwargs': []}]", "empty"),
    ("[{'instruction_id': ['keywords:word_once'], 'kwargs': [{'keyword': None}]}]", "'keyword'"),
    ("[" * 200_000, "over 100000 characters"),
    ("[" * 5_000 + "]" * 5_000, "not a Python literal"),
])
def test_malformed_multi_constraints_are_invalid(reference, words):
    result = grader.grade("Some response.", reference, verifier="ifeval")
    assert result.status is Status.INVALID_ARGUMENT and words.lower() in result.reason.lower(), result.reason
