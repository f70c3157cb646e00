"""The quantity a question asks for, found among the others a response states.

"What is the smallest positive integer divisible by 8, 10 and 12?" answered by "The smallest such
number is 120. Other candidates like 240 and 360 also work but are larger.": the last number is a
distractor, and only the question says which statement answers it. When an item carries its
``prompt``, the words that name the asked quantity (``asked_words``: "smallest", "positive",
"integer", "divisible") are looked for in the response's closing statements. A statement of a value
("… is 120", "… amounts to \\[6{,}006\\]") that names some of them is tried first, when the sentence of
the answer the rules would otherwise take names none.

Only in that case: a box, an answer marker or GSM8K's ``####`` always wins, and so does the rules'
choice when its own sentence names the asked quantity at all. Without a question nothing
changes. Linear scans of the response's last few sentences.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Iterable, Iterator

from .extract import EXPR, NUMBER_RE, QUESTION_CHARS, STRONG_METHODS, Extraction, find_math_blocks, plain_words

_RESPONSE_CHARS = 3000  # only the closing statements are read
_LAST_SENTENCES = 10  # the answer is among the response's last few sentences

# A sentence ends at a full stop before a new one, at a blank line, or after displayed math.
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+(?=[\"'(*\[\\$A-Z0-9-])|\n\s*\n|(?<=\\\]|\$\$)[ \t]*\n")
_WORD_RE = re.compile(r"[A-Za-z]{3,}")
# Instructions about the answer's form, not the question: "Put your final answer in \boxed{}."
_INSTRUCTION_RE = re.compile(r"\\boxed|\bboxed\b|step by step|final answer|answer (?:with|in|as|only)|"
                             r"\bput your\b|\bformat\b|\brespond\b|\breply\b|\bround(?:ed)? to\b", re.IGNORECASE)
_ASKING_RE = re.compile(r"\?|^\s*(?:find|compute|determine|calculate|evaluate|give|state|report|what|how|which|"
                        r"tell|show|express|simplify|solve|i'?d like|please)\b", re.IGNORECASE)
# Where the asked quantity is named: "If ... 60 times, how many doorbell rings did it make?" asks
# about rings, not the times in its condition.
_ASKS_RE = re.compile(r"\b(?:how|what|what's|which|find|compute|determine|calculate|evaluate|give|state|report|"
                      r"tell|know|express)\b", re.IGNORECASE)
# Words of every question: they name no quantity.
_SCAFFOLD = frozenset("""
what which whose whom who how many much find compute determine calculate evaluate give state report tell show
express simplify solve know like please would could should will can does did have has had are was were the and
for that this these those with from into onto its their there then than such all each any you your our let
given following below above exactly about also only number value values answer result quantity amount
she her hers him his they them theirs it get got make made take took need want""".split())


def asked_words(prompt: str) -> frozenset[str]:
    """The words of the asking sentence that name what is asked ("smallest", "area", "book"); empty
    when the prompt asks nothing recognisable."""
    return _asked_words(prompt[-QUESTION_CHARS:]) if prompt and prompt.strip() else frozenset()


@functools.lru_cache(maxsize=1024)  # a GRPO group shares its prompt
def _asked_words(prompt: str) -> frozenset[str]:
    sentences = [s for s in re.split(r"(?<=[.!?])\s+|\n+", prompt) if s.strip()]
    questions = [s for s in sentences if not _INSTRUCTION_RE.search(s)]
    asking = next((s for s in reversed(questions) if _ASKING_RE.search(s)), questions[-1] if questions else "")
    asks = None
    for asks in _ASKS_RE.finditer(asking):
        pass
    asking = asking[asks.start():] if asks is not None else asking
    return frozenset(_stem(w) for w in _WORD_RE.findall(asking.lower()) if w not in _SCAFFOLD)


def _stem(word: str) -> str:
    """"books" and "book", "pennies" and "penny" alike; nothing cleverer is needed to match a question."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


@dataclass(frozen=True)
class _Sentence:
    start: int
    end: int
    overlap: int  # how many asked words it names


def _sentences(text: str, lo: int, asked: frozenset[str]) -> list[_Sentence]:
    bounds = [lo] + [m.end() for m in _SENTENCE_END_RE.finditer(text, lo)] + [len(text)]
    return [_Sentence(a, b, _overlap(text[a:b], asked)) for a, b in zip(bounds, bounds[1:]) if text[a:b].strip()]


def _overlap(sentence: str, asked: frozenset[str]) -> int:
    return len(asked & {_stem(m.group(0).lower()) for m in plain_words(sentence)})


def focus_candidate(text: str, asked: frozenset[str], rules_choice: Extraction) -> Extraction | None:
    """The value a closing statement gives for the asked quantity, when that statement names it
    better than the sentence holding ``rules_choice``; else None."""
    lo = max(0, len(text) - _RESPONSE_CHARS)
    sentences = _sentences(text, lo, asked)[-_LAST_SENTENCES:]
    if not sentences:
        return None
    holding = next((s for s in sentences if s.start <= rules_choice.start < s.end), None)
    if holding is not None and holding.overlap:  # the rules' choice is stated about the asked quantity too
        return None
    for sentence in sorted(reversed(sentences), key=lambda s: -s.overlap):  # most words, then the latest
        if not sentence.overlap:
            return None
        value = statement_value(text[sentence.start:sentence.end])
        if value is not None and NUMBER_RE.search(value):
            return Extraction(value, "focus", EXPR, max(sentence.start, text.find(value, sentence.start)))
    return None


# What states a value in a sentence: "is", "equals", "=", "amounts to", "works out at".
_STATES_RE = re.compile(r"(?:\b(?:is|are|equals|was|were|be|becomes|gives|totals|amounts to|comes to|works out (?:to|at)|"
                        r"equal to)\b|=)\s*:?\s*", re.IGNORECASE)
_CLOSING_RE = re.compile(r"[\s.,;:!]*(?:\$|\\\)|\\\])?[\s.,;:!]*$")  # "… $m = 249$." ends at 249


def statement_value(sentence: str) -> str | None:
    """The value a sentence states, or None:

    * what follows its last "is", "=" or "amounts to" when that is no more words ("… is 120.");
    * else the number it starts with, or the one number in it ("… is 40 cm^2", "… is left holding 7612 kites");
    * else the sentence's last math block, or its only number ("Lena keeps 2238 oranges.").
    """
    states = list(_STATES_RE.finditer(sentence))
    if states:
        tail = sentence[states[-1].end():]
        blocks = find_math_blocks(tail)
        if blocks and blocks[0][0] == 0:  # "… amounts to \\[6{,}006\\]"
            return blocks[0][1].strip()
        tail = tail[:_CLOSING_RE.search(tail).start()].strip()  # "then $m = 249$.": the "=" was inside math
        if tail and not plain_words(tail):
            return tail
        leading = NUMBER_RE.match(tail)  # "… is 40 cm^2."
        numbers = [leading] if leading else list(NUMBER_RE.finditer(tail))
        if len(numbers) == 1:
            return numbers[0].group(0).strip()
    blocks = find_math_blocks(sentence)
    if blocks:
        return blocks[-1][1].strip()
    numbers = list(NUMBER_RE.finditer(sentence))
    return numbers[0].group(0).strip() if len(numbers) == 1 else None


def with_focus(candidates: Iterable[Extraction], text: str, asked: frozenset[str]) -> Iterator[Extraction]:
    """The candidates, with the asked quantity's statement before the first weak one when it wins."""
    tried = False
    for candidate in candidates:
        if not tried and not candidate.method.startswith(STRONG_METHODS):
            tried = True
            found = focus_candidate(text, asked, candidate)
            if found is not None and found.text != candidate.text:
                yield found
        yield candidate


# --- a text answer that restates the question around the reference --------------------------

_TOKEN_RE = re.compile(r"[a-z0-9]+")
# Words an answer may add without saying anything more: "Any odd number …", "It is Kafelnikov".
_FILLERS = frozenset("a an the any it is are was were that this only exactly answer".split())
# Words that add another answer or turn the reference around ("even or odd", "not odd"; "isn't" is
# "isn" "t" here): an answer with one of them restates nothing.
_DODGES = frozenset("or nor not no never neither either except but unless non t".split())
_CHOICE_WORDS = frozenset({"or", "nor"})


def restates_question_around(answer: str, reference: str, question: str) -> bool:
    """"Kafelnikov served in the first game" for "Kafelnikov", asked "Who served in the first game?":
    the answer holds the reference's words in a row, and every other word of it is the question's
    (or a filler such as "any", "the"), none of them one of the question's alternatives (the words
    beside its "or") or a word that adds or negates ("or", "not"). Only for a reference whose words the
    question does not use, so an answer cannot pass by naming the question's own alternatives, and not
    for a yes-or-no question, whose words are the claim itself ("even odd" for odd, asked "Is f even?")."""
    said, expected = _tokens(answer), _tokens(reference)
    asked, alternatives, yes_or_no = _question_words(question[-QUESTION_CHARS:])
    if not expected or len(said) <= len(expected) or asked & set(expected) or yes_or_no:
        return False
    for i in range(len(said) - len(expected) + 1):
        if said[i:i + len(expected)] == expected:
            rest = said[:i] + said[i + len(expected):]
            return all((word in asked or word in _FILLERS) and word not in _DODGES and word not in alternatives
                       for word in rest)
    return False


# A question that asks yes or no ("Is f(x) = x^3 even?"): its words are the very claim, so restating them
# around another word proves nothing ("even odd" for odd).
_YES_NO_QUESTION_RE = re.compile(r"(?:^|[.!?:]\s+)(?:is|are|was|were|do|does|did|can|could|will|would|should|"
                                 r"has|have|had|must|may|might)\b(?:[^.!?]|\.(?=\S))*\?\s*$", re.IGNORECASE)


@functools.lru_cache(maxsize=1024)
def _question_words(question: str) -> tuple[frozenset[str], frozenset[str], bool]:
    """The question's words, those of them beside an "or" ("even, or neither": even, neither), and
    whether it asks yes or no."""
    words = _tokens(question)
    beside = {words[k] for i, w in enumerate(words) if w in _CHOICE_WORDS for k in (i - 1, i + 1)
              if 0 <= k < len(words)}
    return frozenset(words), frozenset(beside - _CHOICE_WORDS), bool(_YES_NO_QUESTION_RE.search(question.strip()))


def _tokens(text: str) -> list[str]:
    return [_stem(word) for word in _TOKEN_RE.findall(text.lower())]

