"""``text_similarity``: one metric between the rendered input and reference, in [0, 1].

``fuzzy_match`` rapidfuzz ``fuzz.ratio`` / 100; ``bleu`` sacrebleu ``sentence_bleu`` / 100 (its
defaults: 13a tokenizer, exponential smoothing); ``gleu`` NLTK's ``sentence_gleu`` on whitespace
tokens; ``rouge_1``..``rouge_5``, ``rouge_l`` rouge-score's F-measure without stemming; ``meteor``
NLTK ``meteor_score`` on whitespace tokens with WordNet 3.0 (``meteor.py``); ``cosine`` the cosine of
all-MiniLM-L6-v2 sentence embeddings (``grader.lm.sentence_encoder``), in [-1, 1]. Each library
loads on first use, so a metric never pays for another's. bleu and rouge_* are the libraries'
scores with their statistics counted in C, and gleu NLTK's written out (``fast_similarity``).
Where ``{{item.reference}}`` stands for several references, the score is the best against any of them. An
empty (or blank) rendered reference scores 0 with every metric.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Mapping

from ...types import Check
from . import fast_similarity
from .kinds import GraderKind, Sample, Scored, field_error, passes, register, strings
from .templates import namespaces, render


def _fuzzy_match(text: str, reference: str) -> float:
    from rapidfuzz import fuzz
    return fuzz.ratio(text, reference) / 100


def _bleu(text: str, reference: str) -> float:
    return fast_similarity.bleu(text, reference)  # sacrebleu's sentence_bleu, its statistics counted faster


def _rouge(kind: str) -> Callable[[str, str], float]:
    # rouge-score's RougeScorer([kind]).score(reference, text)[kind].fmeasure, its statistics counted faster
    if kind == "rougeL":
        return fast_similarity.rouge_l
    return functools.partial(fast_similarity.rouge_n, int(kind.removeprefix("rouge")))


def _meteor(text: str, reference: str) -> float:
    from .meteor import meteor
    return meteor(text, reference)


def _cosine(text: str, reference: str) -> float:
    from ...lm.sentence_encoder import shared
    return shared().cosine(text, reference)


METRICS: dict[str, Callable[[str, str], float]] = {
    "fuzzy_match": _fuzzy_match, "bleu": _bleu, "gleu": fast_similarity.gleu,
    **{f"rouge_{n}": _rouge(f"rouge{n}") for n in range(1, 6)}, "rouge_l": _rouge("rougeL"),
    "meteor": _meteor, "cosine": _cosine,
}
# Metrics whose first use in a process loads data or a model (WordNet: 3-4 s, the encoder: 7-11 s on 2 cores).
LOADING_METRICS = frozenset({"meteor", "cosine"})


def similarity(metric: str, text: str, reference: str) -> float:
    return METRICS[metric](text, reference)


class TextSimilarity(GraderKind):
    type = "text_similarity"
    fields = frozenset({"input", "reference", "evaluation_metric"})

    def validate(self, config: Mapping[str, Any], where: str, depth: int) -> None:
        strings(config, where, "input", "reference")
        metric = config.get("evaluation_metric")
        if not isinstance(metric, str) or metric not in METRICS:  # a list or object: no TypeError
            raise field_error(f"{where}.evaluation_metric", f"must be one of {', '.join(METRICS)}, not {metric!r}")

    def score(self, config: Mapping[str, Any], sample: Sample) -> Scored:
        # Several references behind {{item.reference}}: each is scored, the best counts (any match counts).
        score = max(_similarity(config["evaluation_metric"], render(config["input"], namespace),
                                render(config["reference"], namespace))
                    for namespace in namespaces(sample, config["input"], config["reference"]))
        return Scored(score, [Check(config.get("name") or self.type, passes(config, score), score, self.type)])


def _similarity(metric: str, text: str, reference: str) -> float:
    # An empty reference is no target: fuzzy_match gave an empty response 1.0 against it.
    return similarity(metric, text, reference) if reference.strip() else 0.0


register(TextSimilarity())
