"""The multiple-choice verifier: an option letter (A-J, "(B)", "Answer: C", a boxed letter) or the option's text."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Iterator

from ...types import GradeResult, Status
from ..base import FuzzItem, Plan, Verifier
from ..math.extract import extract_marked, final_section, find_boxes
from ..math.normalize import canonical_text, unwrap_text
from ..options import Options, boolean, option, strings


@dataclass(frozen=True)
class ChoiceOptions(Options):
    ALIASES: ClassVar[dict[str, str]] = {**Options.ALIASES, "strings": "choices"}
    NESTED_CONFIG: ClassVar[bool] = True  # Math-Verify's extraction config

    choices: tuple[str, ...] = option((), strings, "the option letters accepted (A-J by default), or the option "
                                                   "texts in A, B, C... order")
    lowercase: bool = option(True, boolean, "compare case-insensitively")


class MultipleChoiceVerifier(Verifier):
    name = "multiple_choice"
    description = "Reads an option letter (A-J, '(B)', 'Answer: C', boxed letters) or the option text."
    options_type = ChoiceOptions

    def grade(self, plan: Plan, *, in_worker: bool) -> GradeResult:
        return grade_multiple_choice(plan.item.response, plan.item.references, plan.options)

    def fuzz_items(self, rng: random.Random) -> Iterator[FuzzItem]:
        texts = ["Paris", "London", "Rome", "Berlin"]
        templates = ["The answer is (%s).", r"\boxed{%s}", "%s", "I think %s, or maybe not.", "Answer: %s\n\nA number.",
                     "(%s) and (B)", "", "%s " + "Paris " * 3]
        while True:
            letter = rng.choice("ABCDEFGHIJKabcd")
            response = rng.choice(templates).replace("%s", letter) if rng.random() < 0.9 else rng.choice(texts)
            options = {"choices": texts} if rng.random() < 0.2 else {}
            yield FuzzItem(response, rng.choice(["A", "b", "(C)", r"\boxed{D}", "Paris", "Z", " x"]), options)


LETTERS = "ABCDEFGHIJ"

# Possessive runs (``*+``): none can give back a character the next part could use, so the matches are the same,
# where three runs of whitespace in a row backtracked in cubic time ("answer" and 3,000 spaces: 168 s).
_MC_MARKED_RE = re.compile(
    r"(?:answer|option|choice|correct)\s*+(?:is|:|：|would be|should be)?\s*+(?:option\s*+)?[\s*(\[]*+\b([A-Z])\b"
    r"[)\].]?",
    re.IGNORECASE,
)
_MC_PAREN_RE = re.compile(r"\(([A-J])\)")
_MC_LEADING_RE = re.compile(r"^\s*\(?([A-J])\)?(?:[.):]|\s*$)")
# "I think" and "A number" are words, not options.
_MC_STANDALONE_RE = re.compile(r"(?<![A-Za-z'])([A-J])(?![A-Za-z'])(?<!I)(?<!A)|(?<![A-Za-z'])([AI])(?![A-Za-z'])(?!\s+[a-z])")


def _allowed(options: ChoiceOptions) -> str:
    if options.choices and all(len(c) == 1 for c in options.choices):
        return "".join(c.upper() for c in options.choices)
    return LETTERS


def _option_texts(options: ChoiceOptions) -> list[str]:
    """``choices`` given as option texts (in A, B, C… order) rather than letters."""
    return list(options.choices) if any(len(c) > 1 for c in options.choices) else []


def _last_option_text(text: str, options: ChoiceOptions) -> str | None:
    """The letter of the option text mentioned last in ``text``."""
    tail = text[-2000:].casefold()
    best, best_pos = None, -1
    for letter, text_option in zip(LETTERS, _option_texts(options)):
        pos = tail.rfind(text_option.casefold())
        if pos > best_pos:
            best, best_pos = letter, pos
    return best


# Another option letter joined to a stated one: "A or B", "A, B, C or D", "A/B", "A and B", "(A)(B)". The
# English words "A" and "I" count only where no lower-case word follows ("A and I think ...").
# A letter listed after a comma, slash or "and" that words follow is talked about, not chosen ("B, C is wrong",
# "A, B has the wrong sign"); after "or" it is offered all the same ("A or B since both fit").
_ANOTHER_LETTER_RE = re.compile(
    r"(?:(?<=\))\s*+\(([A-J])\)(?!\s*+[a-z])"
    r"|\s*+\bor\s++\(?([B-HJ]|[AI](?!\s+[a-z]))\)?+(?![A-Za-z'])"
    r"|\s*+(?:,|/|&|\band\b)\s*+\(?([A-J])\)?+(?![A-Za-z'])(?!\s*+[a-z]))")
# A letter the response says is not the answer: "not B", "isn't (C)", "never D".
_NEGATED_RE = re.compile(r"(?:\bnot|n't|\bnever)\s*+(?:option\s*+|choice\s*+)?[(\[]?\s*+$", re.IGNORECASE)


class Hedged(Exception):
    """The response states several options as its answer (or its box holds several): no one answer."""


def extract_choice(response: str, options: ChoiceOptions) -> tuple[str, str] | None:
    """(letter, method) for the last stated option letter, or the last option text named. Raises ``Hedged``
    where the answer it would read names more than one option."""
    text = final_section(response)
    allowed = _allowed(options)
    boxes = find_boxes(text)
    if boxes:
        inner = unwrap_text(boxes[-1][2]).strip().strip("()$. ")
        if len(inner) == 1 and inner.upper() in allowed:
            return inner.upper(), "boxed"
        if len(_letters_alone(inner, allowed)) > 1:
            raise Hedged(f"The box names several options ({inner[:40]!r}).")
    marked = [m for m in _MC_MARKED_RE.finditer(text) if m.group(1).upper() in allowed]
    if marked:
        _refuse_more_letters(text, marked[-1], allowed)
        return marked[-1].group(1).upper(), "answer_is"
    lead = _MC_LEADING_RE.match(text)
    if lead and lead.group(1) in allowed:
        return lead.group(1), "leading"
    paren = [m for m in _MC_PAREN_RE.finditer(text) if m.group(1) in allowed and not _negated(text, m.start())]
    if paren:
        _refuse_more_letters(text, paren[-1], allowed)
        return paren[-1].group(1), "paren"
    tail = text[-2000:]
    alone = [m for m in _MC_STANDALONE_RE.finditer(tail) if (m.group(1) or m.group(2)) in allowed]
    stated = _last_not_negated(tail, alone)
    if stated is not None:
        return stated.group(1) or stated.group(2), "last_letter"
    if alone:
        return None  # "The answer is not B." names no answer
    by_text = _last_option_text(text, options)
    return (by_text, "option_text") if by_text else None


def _letters_alone(text: str, allowed: str) -> set[str]:
    return {m.group(1) or m.group(2) for m in _MC_STANDALONE_RE.finditer(text)} & set(allowed)


def _last_not_negated(text: str, letters: list[re.Match[str]]) -> re.Match[str] | None:
    """The last letter, or where the response negates it ("B, not C"), the letter before it in the same
    sentence; an earlier sentence's letter is not the answer of one that says "not B"."""
    while letters:
        last = letters.pop()
        if not _negated(text, last.start()):
            return last
        if not letters or _CLAUSE_END_RE.search(text, letters[-1].end(), last.start()):
            return None
    return None


_CLAUSE_END_RE = re.compile(r"[.!?;\n](?:\s|$)")


def _negated(text: str, start: int) -> bool:
    return _NEGATED_RE.search(text, max(0, start - 20), start) is not None


def _refuse_more_letters(text: str, stated: re.Match[str], allowed: str) -> None:
    more = _ANOTHER_LETTER_RE.match(text, stated.end())
    letter = more and (more.group(1) or more.group(2) or more.group(3))
    if letter and letter in allowed and letter != stated.group(1).upper():
        raise Hedged(f"The answer names several options ({text[stated.start():more.end()].strip()[:60]!r}).")


def grade_multiple_choice(response: str, references: Sequence[str], options: ChoiceOptions) -> GradeResult:
    refs = [_reference_letter(r, options) for r in references]
    try:
        found = extract_choice(response, options)
    except Hedged as hedged:
        return GradeResult(False, 0.0, Status.NO_ANSWER, method="none", normalized_reference=refs[0] or "",
                           reason=str(hedged))
    if found is None:
        # Option text instead of a letter: "the answer is Paris".
        tail = final_section(response)[-500:]
        for ref, letter in zip(references, refs):
            key = canonical_text(ref)
            if len(key) > 1 and states_option_text(tail, ref):
                return GradeResult(True, 1.0, Status.OK, extracted=ref, normalized=letter or key,
                                   normalized_reference=letter or key, method="option_text+exact")
        return GradeResult(False, 0.0, Status.NO_ANSWER, method="none", normalized_reference=refs[0] or "",
                           reason="No option letter was found in the response.")
    letter, method = found
    correct = letter in refs
    return GradeResult(correct, float(correct), Status.OK, extracted=letter, normalized=letter,
                       normalized_reference=refs[0] or "", method=f"{method}+exact",
                       reason="" if correct else f"Chose {letter}, expected {refs[0]}.")


_SENTENCE_RE = re.compile(r"(?:[^.!?;\n]|[.!?](?=\S))+")  # "3.5" and "e.g." stay in their sentence
# A closing courtesy ("Hope this helps.", "Let me know if ...") states no answer: the sentence before it does.
_COURTESY_RE = re.compile(r"^\s*(?:I\s+)?(?:hope|let me know|feel free|good luck|thanks|thank you|if you have|happy to|"
                          r"glad to)\b", re.IGNORECASE)
_ALTERNATIVES_RE = re.compile(r"\b(?:or|either|nor|one of)\b", re.IGNORECASE)
_JOINED_RE = re.compile(r"(?:\band|&|/)\s*$")
_JOINS_RE = re.compile(r"^\s*(?:and\b|&|/)")
_COMMA_BEFORE_RE = re.compile(r",\s*$")
_COMMA_AFTER_RE = re.compile(r"^\s*,")


def states_option_text(text: str, reference: str) -> bool:
    """Whether the sentence of ``text`` that states its answer names ``reference`` (as whole words, any case)
    alone: not among alternatives ("Paris or London", "one of Paris, London, Rome"), not as one item of a list
    ("Paris and London"; "Paris, London, Rome, Berlin"; but "Paris, France" is Paris). That sentence is the one
    from the last answer marker ("The answer is Paris."), else the last one but a closing courtesy. Without the
    options' texts, a response that named every option (or stated each in a sentence of its own) would
    otherwise match every reference."""
    words = re.findall(r"\w+", unwrap_text(reference))
    sentence = _answer_sentence(text)
    if not words or sentence is None:
        return False
    pattern = re.compile(r"(?<!\w)" + r"\W+".join(map(re.escape, words)) + r"(?!\w)", re.IGNORECASE)
    mentions = list(pattern.finditer(sentence))
    if not mentions:
        return False
    before, after = sentence[:mentions[-1].start()], sentence[mentions[-1].end():]
    listed = _JOINED_RE.search(before) or _JOINS_RE.match(after) or (
        (_COMMA_BEFORE_RE.search(before) or _COMMA_AFTER_RE.match(after)) and sentence.count(",") >= 2)
    return not (_ALTERNATIVES_RE.search(sentence) or listed)


def _answer_sentence(text: str) -> str | None:
    marked = extract_marked(text)
    if marked is not None and marked.method == "answer_is":
        text = text[marked.start:]
        return next(iter(_SENTENCE_RE.findall(text)), None)
    sentences = [s for s in _SENTENCE_RE.findall(text) if re.search(r"\w", s)]
    while len(sentences) > 1 and _COURTESY_RE.match(sentences[-1]):
        sentences.pop()
    return sentences[-1] if sentences else None


def _reference_letter(reference: str, options: ChoiceOptions) -> str:
    boxes = find_boxes(reference)
    text = unwrap_text(boxes[-1][2] if boxes else reference).strip().strip("()$. ")
    if len(text) == 1 and (text.isupper() or options.lowercase) and text.upper() in _allowed(options) + LETTERS:
        return text.upper()
    for letter, text_option in zip(LETTERS, _option_texts(options)):
        if canonical_text(text_option) == canonical_text(text):
            return letter
    return text
