"""The fast language detector answers as langdetect does (seed 0), text by text.

The official checkers call ``langdetect.detect`` with a fixed seed; ``ifeval.language``
redoes its arithmetic faster. These texts reach each branch of langdetect's reading:
URLs and e-mail addresses removed, runs of spaces, all-capital words skipped, Latin
removed from mostly non-Latin text, Vietnamese marks, the 10,000-character cut, and
texts without features.
"""

from __future__ import annotations

import random

import pytest

from grader.verifiers.ifeval.language import detector

TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Le renard brun rapide saute par-dessus le chien paresseux.",
    "Der schnelle braune Fuchs springt über den faulen Hund.",
    "El rápido zorro marrón salta sobre el perro perezoso.",
    "Быстрая коричневая лиса прыгает через ленивую собаку.",
    "敏捷的棕色狐狸跳过了懒狗。我们今天去公园散步吧。",
    "すばやい茶色の狐がのろまな犬を飛び越える。カタカナもあります。",
    "빠른 갈색 여우가 게으른 개를 뛰어넘는다.",
    "الثعلب البني السريع يقفز فوق الكلب الكسول. یک",
    "Con cáo nâu nhanh nhẹn nhảy qua con chó lười. Tiếng Việt có dấu.",
    "Tiê\u0301ng Vie\u0323\u0302t with combining marks",
    "ΓΡΗΓΟΡΗ ΚΑΦΕ ΑΛΕΠΟΥ and SOME CAPITAL WORDS IN ENGLISH TOO",
    "Visit https://example.com/a?b=c#d or write to someone.name@example.org today, please.",
    "words    with     many      spaces\n\n\tand\ttabs",
    "Mostly Русский текст with a few English words in it, но больше русского текста здесь.",
    "ThisIsCamelCase andALLCAPSinside MiXeD cAsE",
    "1234 5678 !!! ??? ... ---",
    "",
    "   ",
    "a",
    "Ça va? Où est la bibliothèque? Très bien, merci.",
    "Hyvää päivää, miten voit tänään? Kiitos hyvin.",
    "Dit is een Nederlandse zin over het weer van vandaag.",
]


def _langdetect(text: str) -> str | None:
    from langdetect import DetectorFactory, LangDetectException, detect
    DetectorFactory.seed = 0
    try:
        return detect(text)
    except LangDetectException:
        return None


@pytest.mark.parametrize("text", TEXTS)
def test_same_answer_as_langdetect(text):
    assert detector().detect(text) == _langdetect(text)


def test_same_answer_past_the_length_cut_and_on_shuffled_words():
    rng = random.Random(7)
    words = " ".join(TEXTS).split()
    long_text = " ".join(rng.choice(words) for _ in range(4000))  # over 10,000 characters
    assert len(long_text) > 10_000
    assert detector().detect(long_text) == _langdetect(long_text)
    for _ in range(20):
        text = " ".join(rng.sample(words, 12))
        assert detector().detect(text) == _langdetect(text), text


def test_no_features_is_none():
    assert detector().detect("12345 !!!") is None
    assert detector().detect("") is None
