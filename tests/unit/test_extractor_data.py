"""The extractor's synthetic data (extractor_model/data.py): labels, seeds, and a held-out split that stays held out."""

from __future__ import annotations

import re

import pytest

from extractor_model import data


@pytest.mark.parametrize("split", ["train", "valid", "heldout", "unseen"])
def test_labels_point_at_the_answer(split):
    examples = data.make_split(split, 150, seed=3, wildcards=0.5)
    assert any(ex.start is None for ex in examples) and any(ex.start is not None for ex in examples)
    for ex in examples:
        if ex.start is None:
            assert ex.answer is None and ex.kind == "none"
        else:
            assert 0 <= ex.start < ex.end <= len(ex.text)
            assert ex.answer == ex.text[ex.start:ex.end] and ex.answer.strip() == ex.answer


def test_splits_are_reproducible_from_a_seed():
    a = [ex.text for ex in data.make_split("train", 40, seed=7)]
    assert a == [ex.text for ex in data.make_split("train", 40, seed=7)]
    assert a != [ex.text for ex in data.make_split("train", 40, seed=8)]


def test_unseen_split_ignores_the_seen_only_knobs():
    """Made-up words, combinatorial phrasings and made-up text answers are for the
    SEEN splits only: the unseen split is the same whatever they are set to, so its
    figures stay comparable across generator versions."""
    base = [(ex.text, ex.start) for ex in data.make_split("unseen", 120, seed=0, wildcards=0.0)]
    assert base == [(ex.text, ex.start) for ex in data.make_split("unseen", 120, seed=0, wildcards=0.6)]


def test_seen_phrasings_hold_no_unseen_wording():
    data._check_partition()  # raises when a SEEN fragment holds UNSEEN wording
    seen_texts = " ".join(ex.text.lower() for ex in data.make_split("train", 300, seed=1, wildcards=0.25))
    for template in data.UNSEEN.giveups + data.UNSEEN.remarks + data.UNSEEN.closings:
        assert template.lower() not in seen_texts
    words = {ex.answer for ex in data.make_split("train", 3000, seed=1) if ex.kind == "text"}
    assert not words & set(data.UNSEEN_RANGES.words), "an UNSEEN text answer appears in training"


class _Replay:
    """An extractor stand-in whose windows' best spans are given."""

    def __init__(self, cands):
        self.cands = cands
        self.threshold = self.widen_threshold = None

    def window_candidates(self, texts, questions=None):
        return self.cands


def _ex(answer):
    text = f"so {answer}." if answer else "no idea"
    start = 3 if answer else None
    return data.Example(text, start, None if answer is None else 3 + len(answer), "int", "plain")


def test_thresholds_are_tuned_on_what_the_extractor_reads():
    from grader.lm import Span
    from extractor_model.train import tune_thresholds

    def span(t):
        return Span(0, len(t), t, 0.9)

    valid = [_ex("7"), _ex("8"), _ex(None), _ex("9")]
    cands = [
        [(0.75, span("7"))],                       # needs a tail bar <= 0.75
        [(0.2, span("x")), (0.85, span("8"))],     # tail bar > 0.2, earlier bar <= 0.85
        [(0.35, span("3"))],                       # no answer: tail bar > 0.35
        [(0.1, None), (0.5, span("1")), (0.95, span("9"))],  # window 1 is wrong: earlier bar > 0.5
    ]
    fake = _Replay(cands)
    bar, widen, scores = tune_thresholds(fake, valid, (0.1, 0.3, 0.4, 0.5, 0.7, 0.8), (0.5, 0.6, 0.8, 0.9))
    assert max(scores.values()) == 1.0 and scores["0.3/0.8"] < 1.0
    assert bar == 0.5  # the middle of the tail bars that tie (0.4, 0.5, 0.7)
    assert widen == 0.8  # 0.6 and 0.8 tie: the upper of the two
    assert (fake.threshold, fake.widen_threshold) == (bar, widen)


@pytest.mark.parametrize("split", ["train", "heldout", "unseen"])
def test_question_examples_label_the_asked_quantity_in_the_response(split):
    examples = data.make_split(split, 300, seed=5, questions=0.6)
    asked = [ex for ex in examples if ex.question is not None]
    assert 120 < len(asked) < 240 and any(ex.start is None for ex in asked)
    assert {"q_quantities", "q_count", "q_extreme"} <= {ex.scenario for ex in asked}
    for ex in asked:
        assert ex.question.strip() and ex.scenario.startswith("q_")
        if ex.start is not None:
            assert 0 <= ex.start < ex.end <= len(ex.text) and ex.answer.strip() == ex.answer


def test_question_splits_are_seeded_and_keep_the_plain_examples():
    """Questions come from a stream of their own: the examples without one are the split's
    examples at questions=0, in order, so the existing splits keep their meaning."""
    mixed = data.make_split("heldout", 200, seed=0, questions=0.5)
    assert [ex.to_json() for ex in mixed] == [ex.to_json() for ex in data.make_split("heldout", 200, seed=0, questions=0.5)]
    assert [ex.question for ex in mixed] != [ex.question for ex in data.make_split("heldout", 200, seed=1, questions=0.5)]
    plain = [ex for ex in mixed if ex.question is None]
    assert [ex.to_json() for ex in plain] == [ex.to_json() for ex in data.make_split("heldout", len(plain), seed=0)]
    assert "question" not in data.make_split("train", 1, seed=0)[0].to_json()  # records without one are as before
    with pytest.raises(ValueError):
        data.make_split("train", 1, questions=1.5)


def test_question_phrasings_are_split_like_the_others():
    data._check_partition()  # raises when a question pool is shared or a SEEN one holds UNSEEN wording
    seen = data.make_split("train", 400, seed=2, questions=1.0)
    unseen = data.make_split("unseen", 400, seed=2, questions=1.0)

    def pattern(template):
        parts = re.split(r"<[A-Z0-9a-z]+>", template)
        return re.compile(r"(?:^|[.?] )" + ".+".join(re.escape(p) for p in parts) + "(?: |$)")

    for field in ("asks", "count_asks", "extreme_asks"):
        for tpl in getattr(data.UNSEEN_QUESTIONS, field):
            assert not any(pattern(tpl).search(ex.question) for ex in seen), tpl
        for tpl in getattr(data.SEEN_QUESTIONS, field):
            assert not any(pattern(tpl).search(ex.question) for ex in unseen), tpl
    train_text = " ".join(ex.text for ex in seen)
    for template in data.UNSEEN_QUESTIONS.afters + data.UNSEEN_QUESTIONS.states:
        assert not pattern(template).search(train_text), template
