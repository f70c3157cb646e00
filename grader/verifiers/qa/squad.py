"""SQuAD's answer normalization, exact match and token F1, and the answer section of a response.

``normalize_answer`` is SQuAD v1.1's evaluation script (and verl's ``search_r1_like_qa_em``):
lowercase, drop ASCII punctuation (``string.punctuation``), drop the articles a/an/the, collapse
whitespace. ``token_f1`` is SQuAD's F1 over those tokens, with SQuAD v2's rule for empty answers (1
when both are empty, else 0). ``substring_match`` is verl's ``subem_check``. ``score`` compares texts
that normalize to nothing as written instead (see there).
"""

from __future__ import annotations

import json
import re
import string
from collections import Counter
from typing import Callable, Iterable

_PUNCTUATION = str.maketrans("", "", string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    """SQuAD's normal form: ``The  U.S.A!`` -> ``usa``."""
    return " ".join(_ARTICLES.sub(" ", text.lower().translate(_PUNCTUATION)).split())


def exact_match(answer: str, reference: str) -> float:
    return float(normalize_answer(answer) == normalize_answer(reference))


def substring_match(answer: str, reference: str) -> float:
    return float(normalize_answer(reference) in normalize_answer(answer))


def token_f1(answer: str, reference: str) -> float:
    got, want = normalize_answer(answer).split(), normalize_answer(reference).split()
    if not got or not want:
        return float(got == want)
    same = sum((Counter(got) & Counter(want)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(got), same / len(want)
    return 2 * precision * recall / (precision + recall)


METRICS: dict[str, Callable[[str, str], float]] = {"em": exact_match, "f1": token_f1, "subem": substring_match}
METRIC_HELP = ("em: SQuAD-normalized exact match; f1: SQuAD token F1; subem: a normalized reference inside the "
               "normalized answer (verl's subem_check); the best over the references")


def _as_written(text: str) -> str:
    return " ".join(text.casefold().split())


def score(metric: str, answer: str, reference: str) -> float:
    """The metric, where both sides keep some text once normalized. Where either normalizes to nothing ("A",
    "The The", "?"), SQuAD would match it with anything else that does ("" against "The"; and every answer
    contains the empty string for subem): those are compared as written, ignoring case and spacing."""
    if not normalize_answer(answer) or not normalize_answer(reference):
        return float(_as_written(answer) == _as_written(reference) != "")
    return METRICS[metric](answer, reference)


def best(metric: str, answer: str, references: Iterable[str]) -> tuple[float, str]:
    """The best score over the references, and the reference that reached it ("" when there is none)."""
    top, which = 0.0, ""
    for reference in references:
        value = score(metric, answer, reference)
        if value > top or not which:
            top, which = value, reference
        if top == 1.0:
            break
    return top, which


def final_answer(text: str) -> str:
    """The answer section: the last ``<answer>…</answer>`` (verl's search-R1 convention), else what follows
    the last ``</think>``, else the whole text; stripped."""
    close = text.rfind("</answer>")
    if close >= 0:
        opened = text.rfind("<answer>", 0, close)
        if opened >= 0:
            return text[opened + len("<answer>"):close].strip()
    think = text.rfind("</think>")
    return (text[think + len("</think>"):] if think >= 0 else text).strip()


def reference_answers(texts: Iterable[str]) -> list[str]:
    """Each reference, where one is a JSON list (``["Paris", "City of Paris"]``) or verl's search-R1
    ground truth (``{"target": [...]}``) its strings; any other text as it is. Empty ones are dropped."""
    answers: list[str] = []
    for text in texts:
        answers.extend(_answers_in(text))
    return [a for a in answers if a.strip()]


def _answers_in(text: str) -> list[str]:
    if text.lstrip().startswith(("[", "{")):
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            return [text]
        if isinstance(value, dict) and "target" in value:
            value = value["target"]
        if isinstance(value, str):
            return [value]
        if isinstance(value, list):
            return [v if isinstance(v, str) else json.dumps(v) for v in value]
    return [text]
