"""The extractor's synthetic data (extractor_model/data.py): labels, seeds, and a held-out split that stays held out."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from extractor_model import data  # noqa: E402


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
