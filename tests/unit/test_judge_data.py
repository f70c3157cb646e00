"""The default judge's generated pairs (judge_model/data.py) and its pair input (PairBudget)."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from grader.lm.judge import JudgeRequest, PairBudget
from judge_model import data


def test_pairs_are_reproducible_from_a_seed():
    a = data.generate(60, seed=3)
    assert a == data.generate(60, seed=3) and a != data.generate(60, seed=4)


def test_every_kind_has_correct_and_wrong_answers():
    counts = Counter((p.kind, p.label) for p in data.generate(800, seed=1))
    for kind in data.KINDS:
        assert counts[(kind, 0)] > 0 and counts[(kind, 1)] > 0, kind


def test_a_wrong_answer_is_never_the_reference_itself():
    for p in data.generate(800, seed=2):
        if not p.label:
            assert p.answer.replace(" ", "").strip("$") != p.reference.replace(" ", "").strip("$"), p


def test_plain_integer_pairs_are_labelled_by_their_value():
    plain = re.compile(r"^\$?(-?\d+)(?:\.0+)?\$?$")
    checked = 0
    for p in data.generate(1500, seed=5):
        a, r = plain.match(p.answer), plain.match(p.reference)
        if p.kind == "number" and a and r:
            assert p.label == (int(a.group(1)) == int(r.group(1))), p
            checked += 1
    assert checked > 50


@pytest.mark.parametrize("n, words", [(0, "zero"), (17, "seventeen"), (40, "forty"), (93, "ninety-three"),
                                      (305, "three hundred five"), (12000, "twelve thousand")])
def test_numbers_in_words(n, words):
    assert data.in_words(n) == words


class WordTokenizer:
    """What PairBudget needs of a ``tokenizers.Tokenizer``: one id per word."""

    def encode(self, text, add_special_tokens=False):
        return type("E", (), {"ids": [len(w) + 10 for w in text.split()]})()


def test_the_pair_input_keeps_each_part_in_its_budget():
    budget = PairBudget(max_tokens=20, answer_tokens=5, reference_tokens=4)
    ids, types = budget.encode(WordTokenizer(), JudgeRequest("q " * 30, "r " * 10, "a " * 10 + "end"), 1, 2)
    assert len(ids) == len(types) == 20
    assert ids[:7] == [1, 11, 11, 11, 11, 13, 2] and types[:7] == [0] * 7  # [CLS] the answer's end [SEP]
    assert ids[7:12] == [11, 11, 11, 11, 2] and set(types[7:]) == {1}  # the reference, then the question
    assert ids[-1] == 2


def test_the_pair_input_without_a_question_has_two_segments():
    ids, types = PairBudget().encode(WordTokenizer(), JudgeRequest("", "5", "6"), 1, 2)
    assert ids == [1, 11, 2, 11, 2] and types == [0, 0, 0, 1, 1]
