"""Learned answer extraction: a small token-tagging model that points at the final answer.

``import grader.lm`` is light: torch and transformers load in
:meth:`AnswerExtractor.load`.

>>> from grader.lm import AnswerExtractor            # doctest: +SKIP
>>> ex = AnswerExtractor.load()                       # extractor_model/default  # doctest: +SKIP
>>> ex.extract("Therefore x equals 4. Check: 2·4 + 3 = 11.")  # doctest: +SKIP
Span(start=19, end=20, text='4', confidence=0.95...)
"""

from .extractor import LABELS, AnswerExtractor, Span, default_model_path

__all__ = ["AnswerExtractor", "Span", "LABELS", "default_model_path"]
