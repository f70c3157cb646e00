"""The non-math verifiers: multiple choice and exact (normalized string) match."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .extract import Extraction, final_section, find_boxes
from .normalize import canonical_text, normalize_answer, unwrap_text
from .types import GradeOptions, GradeResult, Status

VERIFIERS = ("math", "multiple_choice", "exact")
LETTERS = "ABCDEFGHIJ"

_MC_MARKED_RE = re.compile(
    r"(?:answer|option|choice|correct)\s*(?:is|:|：|would be|should be)?\s*(?:option\s*)?[\s*(\[]*\b([A-Z])\b[)\].]?",
    re.IGNORECASE,
)
_MC_PAREN_RE = re.compile(r"\(([A-J])\)")
_MC_LEADING_RE = re.compile(r"^\s*\(?([A-J])\)?(?:[.):]|\s*$)")
# "I think" and "A number" are words, not options.
_MC_STANDALONE_RE = re.compile(r"(?<![A-Za-z'])([A-J])(?![A-Za-z'])(?<!I)(?<!A)|(?<![A-Za-z'])([AI])(?![A-Za-z'])(?!\s+[a-z])")


def _allowed(options: GradeOptions) -> str:
    if options.choices and all(len(c) == 1 for c in options.choices):
        return "".join(c.upper() for c in options.choices)
    return LETTERS


def _option_texts(options: GradeOptions) -> list[str]:
    """``choices`` given as option texts (in A, B, C… order) rather than letters."""
    return list(options.choices) if any(len(c) > 1 for c in options.choices) else []


def _last_option_text(text: str, options: GradeOptions) -> str | None:
    """The letter of the option text mentioned last in ``text``."""
    tail = text[-2000:].casefold()
    best, best_pos = None, -1
    for letter, option in zip(LETTERS, _option_texts(options)):
        pos = tail.rfind(option.casefold())
        if pos > best_pos:
            best, best_pos = letter, pos
    return best


def extract_choice(response: str, options: GradeOptions) -> tuple[str, str] | None:
    """(letter, method) for the last stated option letter, or the last option text named."""
    text = final_section(response)
    allowed = _allowed(options)
    boxes = find_boxes(text)
    if boxes:
        inner = unwrap_text(boxes[-1][2]).strip().strip("()$. ")
        if len(inner) == 1 and inner.upper() in allowed:
            return inner.upper(), "boxed"
    marked = [m for m in _MC_MARKED_RE.finditer(text) if m.group(1).upper() in allowed]
    if marked:
        return marked[-1].group(1).upper(), "answer_is"
    lead = _MC_LEADING_RE.match(text)
    if lead and lead.group(1) in allowed:
        return lead.group(1), "leading"
    paren = [m for m in _MC_PAREN_RE.finditer(text) if m.group(1) in allowed]
    if paren:
        return paren[-1].group(1), "paren"
    alone = [m.group(1) or m.group(2) for m in _MC_STANDALONE_RE.finditer(text[-2000:])]
    alone = [letter for letter in alone if letter in allowed]
    if alone:
        return alone[-1], "last_letter"
    by_text = _last_option_text(text, options)
    return (by_text, "option_text") if by_text else None


def grade_multiple_choice(candidates: Sequence[Extraction], references: list[str], options: GradeOptions) -> GradeResult:
    response = candidates[0].text if candidates else ""
    refs = [_reference_letter(r, options) for r in references]
    found = extract_choice(response, options)
    if found is None:
        # Option text instead of a letter: "the answer is Paris".
        for ref, letter in zip(references, refs):
            key = canonical_text(ref)
            if len(key) > 1 and key in canonical_text(final_section(response)[-500:]):
                return GradeResult(True, 1.0, Status.OK, extracted=ref, normalized=letter or key,
                                   normalized_reference=letter or key, method="option_text+exact")
        return GradeResult(False, 0.0, Status.NO_ANSWER, method="none", normalized_reference=refs[0] or "",
                           reason="No option letter was found in the response.")
    letter, method = found
    correct = letter in refs
    return GradeResult(correct, float(correct), Status.OK, extracted=letter, normalized=letter,
                       normalized_reference=refs[0] or "", method=f"{method}+exact",
                       reason="" if correct else f"Chose {letter}, expected {refs[0]}.")


def _reference_letter(reference: str, options: GradeOptions) -> str:
    boxes = find_boxes(reference)
    text = unwrap_text(boxes[-1][2] if boxes else reference).strip().strip("()$. ")
    if len(text) == 1 and (text.isupper() or options.lowercase) and text.upper() in _allowed(options) + LETTERS:
        return text.upper()
    for letter, option in zip(LETTERS, _option_texts(options)):
        if canonical_text(option) == canonical_text(text):
            return letter
    return text


def grade_exact(candidates: Sequence[Extraction], references: list[str], options: GradeOptions) -> GradeResult:
    if not candidates:
        return GradeResult(False, 0.0, Status.NO_ANSWER, method="none", reason="No answer was found in the response.")
    cand = candidates[0]
    got = _exact_key(cand.text, options)
    keys = [_exact_key(r, options) for r in references]
    correct = got in keys
    return GradeResult(correct, float(correct), Status.OK, extracted=cand.text, normalized=got,
                       normalized_reference=keys[0], method=f"{cand.method}+exact",
                       reason="" if correct else "The normalized answer differs from the reference.")


def _exact_key(text: str, options: GradeOptions) -> str:
    norm, percent = normalize_answer(text)
    norm = re.sub(r"\s+", " ", unwrap_text(norm)).strip()
    if percent:
        norm += "%"
    return norm.casefold() if options.lowercase else norm
