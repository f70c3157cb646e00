"""``bleu``, ``gleu`` and ``rouge_*`` at the speed a reward needs, with the libraries' own scores.

The reference implementations spend their time in pure-Python loops: rouge-score fills an n×m LCS
table for ``rougeL`` (about 3 ms at 100 words), sacrebleu builds its n-gram tuples one slice at a time.
Here the same tokenizers (sacrebleu's ``Tokenizer13a``, rouge-score's ``DefaultTokenizer`` without
stemming) and the same formulas (sacrebleu's ``BLEU.compute_bleu`` with exponential smoothing and
effective order, as ``sentence_bleu`` calls it; rouge-score's precision, recall and F-measure; NLTK's
``sentence_gleu``) run on statistics counted in C: n-grams through ``zip``, the longest common
subsequence through rapidfuzz's ``LCSseq`` on the token lists. Neither rouge nor gleu imports nltk
(scikit-learn and SciPy come with it: 2 s and 180 MB). The unit tests check equality with the
libraries on a fixed corpus.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from typing import Any

BLEU_ORDER = 4


@functools.lru_cache(maxsize=1)
def _bleu_parts() -> tuple[Any, Any]:
    from sacrebleu.metrics.bleu import BLEU
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    return Tokenizer13a(), BLEU.compute_bleu


def _ngram_counts(tokens: list[str], orders: range) -> list[Counter]:
    return [Counter(zip(*(tokens[i:] for i in range(n)))) for n in orders]


@functools.lru_cache(maxsize=4096)  # a GRPO group grades several responses against one reference
def _bleu_reference(reference: str) -> tuple[int, list[Counter]]:
    tokens = _bleu_parts()[0](reference.rstrip()).split()
    return len(tokens), _ngram_counts(tokens, range(1, BLEU_ORDER + 1))


def bleu(text: str, reference: str) -> float:
    """sacrebleu's ``sentence_bleu(text, [reference]).score / 100`` (13a, exp smoothing, effective order),
    at most 1."""
    tokenize, compute_bleu = _bleu_parts()
    tokens = tokenize(text.rstrip()).split()
    ref_len, ref_counts = _bleu_reference(reference)
    counts = _ngram_counts(tokens, range(1, BLEU_ORDER + 1))
    correct = [sum((got & want).values()) for got, want in zip(counts, ref_counts)]
    total = [max(len(tokens) - n + 1, 0) for n in range(1, BLEU_ORDER + 1)]
    score = compute_bleu(correct, total, len(tokens), ref_len, smooth_method="exp", effective_order=True,
                         max_ngram_order=BLEU_ORDER).score / 100
    return min(score, 1.0)  # exp(mean(log 100)) rounds to 100.00000000000004 for identical text


_NON_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")


def _rouge_tokenize(text: str) -> list[str]:
    # rouge-score's DefaultTokenizer(use_stemmer=False): lower case, runs of [a-z0-9]. Written out because
    # its module imports nltk's stemmer, and with it scikit-learn and SciPy (2 s, 180 MB) it never calls.
    return _NON_ALPHANUMERIC.sub(" ", text.lower()).split()


def gleu(text: str, reference: str) -> float:
    """NLTK's ``sentence_gleu([reference.split()], text.split())``: n-grams of 1 to 4 words matched, over the
    larger of the two sides' n-gram counts (0 for an empty text)."""
    got, want = text.split(), reference.split()
    if not got:
        return 0.0
    got_counts, want_counts = (sum(_ngram_counts(tokens, range(1, 5)), Counter()) for tokens in (got, want))
    return sum((got_counts & want_counts).values()) / max(sum(got_counts.values()), sum(want_counts.values()))


def _f_measure(overlap: int, predicted: int, target: int) -> float:
    precision, recall = overlap / max(predicted, 1), overlap / max(target, 1)
    return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0


def rouge_l(text: str, reference: str) -> float:
    """rouge-score's ``RougeScorer(["rougeL"]).score(reference, text)["rougeL"].fmeasure``."""
    from rapidfuzz.distance import LCSseq

    got, want = _rouge_tokenize(text), _rouge_tokenize(reference)
    if not got or not want:
        return 0.0
    return _f_measure(LCSseq.similarity(got, want), len(got), len(want))


def rouge_n(n: int, text: str, reference: str) -> float:
    """rouge-score's ``RougeScorer([f"rouge{n}"]).score(reference, text)[...].fmeasure``."""
    got = _ngram_counts(_rouge_tokenize(text), range(n, n + 1))[0]
    want = _ngram_counts(_rouge_tokenize(reference), range(n, n + 1))[0]
    return _f_measure(sum((got & want).values()), sum(got.values()), sum(want.values()))
