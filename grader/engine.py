"""The grading pipeline for one item, without time limits: extract → normalize → compare.

``grade_candidates`` is a pure function of strings and options, so it can run
inline (fast path, ``use_sympy=False``) or inside a killable worker process
(``use_sympy=True``). ``api.grade`` chooses; the server's workers call it too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .compare import Comparison
from .extract import (EXPR, LATEX, Extraction, extract_boxed, extract_marked, find_math_blocks, in_broken_inline_math,
                      is_prose, lazy_candidates)
from .normalize import canonical_text, normalize_answer, repair_escapes
from .parse import NeedsSympy, ParseError, parse_answer
from .types import GradeOptions, GradeResult, Status
from .verifiers import grade_exact, grade_multiple_choice

__all__ = ["NeedsSympy", "grade_candidates", "merge_second_opinion", "needs_second_opinion", "reference_answer"]

_LONG_REFERENCE = 120


def reference_answer(reference: str) -> str:
    """The answer inside a reference: itself, or the boxed/marked answer of a full solution."""
    ref = repair_escapes(reference).strip()
    if "\\boxed" in ref or "\\fbox" in ref:
        box = extract_boxed(ref)
        if box is not None:
            return box.text
    if len(ref) > _LONG_REFERENCE and is_prose(ref):
        marked = extract_marked(ref)
        if marked is not None:
            return marked.text
        blocks = find_math_blocks(ref)
        if blocks:
            return blocks[-1][1]
    return ref


def grade_candidates(
    candidates: Sequence[Extraction],
    references: list[str],
    verifier: str,
    options: GradeOptions,
    use_sympy: bool,
) -> GradeResult:
    """Grade pre-extracted candidates against references. May raise NeedsSympy."""
    if verifier == "multiple_choice":
        return grade_multiple_choice(candidates, references, options)
    if verifier == "exact":
        return grade_exact(candidates, references, options)
    return _grade_math(candidates, references, options, use_sympy)


def _grade_math(candidates: Sequence[Extraction], references: list[str], options: GradeOptions, use_sympy: bool) -> GradeResult:
    if not candidates:
        return GradeResult(False, 0.0, Status.NO_ANSWER, reason="No answer was found in the response.",
                           method="none", normalized_reference=_norm_display(references[0]))
    refs = [reference_answer(r) for r in references]
    # The same text as a reference needs no parsing at all (and no sympy worker).
    for ref_text in refs:
        if _same_text(candidates[0].text, ref_text):
            return _result(True, candidates[0], _norm_display(candidates[0].text), ref_text,
                           f"{candidates[0].method}+string")
    ref_readings: list[list] = []
    ref_error = ""
    for r in refs:
        try:
            ref_readings.append(parse_answer(r, use_sympy=use_sympy))
        except ParseError as exc:
            ref_readings.append([])
            ref_error = str(exc)
    last_error = ""
    for cand in candidates:
        try:
            readings = parse_answer(cand.text, use_sympy=use_sympy)
        except ParseError as exc:
            last_error = str(exc)
            continue
        norm = _norm_display(cand.text)
        for ref_text, ref_values in zip(refs, ref_readings):
            if _same_text(cand.text, ref_text):
                return _result(True, cand, norm, ref_text, f"{cand.method}+string")
            cmp = Comparison(options, use_sympy)
            for value in readings:
                for ref_value in ref_values:
                    if cmp.equal(value, ref_value):
                        return _result(True, cand, norm, ref_text, f"{cand.method}+{cmp.rule}")
        if not any(ref_readings):
            return GradeResult(False, 0.0, Status.PARSE_ERROR, extracted=clip(cand.text), normalized=norm,
                               normalized_reference=_norm_display(refs[0]), method=f"{cand.method}+none",
                               reason=f"The reference could not be parsed ({ref_error}).")
        return _result(False, cand, norm, refs[0], f"{cand.method}+{Comparison(options).rule}")
    return GradeResult(False, 0.0, Status.PARSE_ERROR, extracted=clip(candidates[0].text),
                       normalized_reference=_norm_display(refs[0]), method=f"{candidates[0].method}+none",
                       reason=f"The extracted answer could not be parsed ({last_error}).")


_DIGIT_RE = re.compile(r"\d")


def _same_text(a: str, b: str) -> bool:
    """Equal after normalization; for text without digits, also ignoring case and spacing."""
    (norm_a, pct_a), (norm_b, pct_b) = normalize_answer(a), normalize_answer(b)
    if not norm_a or pct_a != pct_b:
        return False
    if norm_a == norm_b:
        return True
    key = canonical_text(norm_a)
    return key != "" and key == canonical_text(norm_b) and not _DIGIT_RE.search(norm_a)


def clip(text: str, limit: int = 2000) -> str:
    """Evidence fields stay small even when an answer is huge."""
    return text if len(text) <= limit else text[:limit] + "…"


def _norm_display(text: str) -> str:
    try:
        norm, percent = normalize_answer(text)
    except Exception:
        return ""
    return clip(norm + "%" if percent else norm)


def _result(correct: bool, cand: Extraction, norm: str, ref_text: str, method: str) -> GradeResult:
    reason = "" if correct else "The extracted answer does not match the reference."
    return GradeResult(correct, 1.0 if correct else 0.0, Status.OK, extracted=clip(cand.text), normalized=norm,
                       normalized_reference=_norm_display(ref_text), method=method, reason=reason,
                       extra={"source": cand.method, "start": cand.start, "length": len(cand.text)})


# --- the LM extractor as a second opinion ------------------------------------

# Rule extractions that state the answer explicitly; the LM may only adjust
# their boundaries, never replace them with text from elsewhere.
STRONG_SOURCES = {"boxed", "answer_is", "gsm8k", "answer_tag"}
_REGION_SLACK = 40


def needs_second_opinion(rules: GradeResult) -> bool:
    """auto mode asks the LM when rules found nothing usable, fell back to the
    last number, or found an answer that does not match."""
    if rules.status in (Status.NO_ANSWER, Status.PARSE_ERROR):
        return True
    return rules.status == Status.OK and (not rules.correct or rules.extra.get("source") == "last_number")


def merge_second_opinion(rules: GradeResult, lm: GradeResult, span_start: int, span_end: int) -> GradeResult:
    """Which verdict stands when rules and the LM disagree.

    The LM decides where rules found nothing, fell back to the last number or
    used a weak heuristic (a trailing math block, bold text). Against a strong
    rule answer (a box, "the answer is") the LM only counts when its span lies
    in that answer's region and matches: it fixes boundaries, it does not go
    looking for a matching number elsewhere (that would add false positives).
    """
    if rules.correct:
        return rules  # a match with the reference is the strongest evidence there is; the LM only cuts misses
    if lm.status != Status.OK:
        return rules if rules.status == Status.OK else (lm if rules.status == Status.NO_ANSWER else rules)
    if rules.status == Status.OK and rules.extra.get("source") in STRONG_SOURCES:
        start = rules.extra.get("start", 0)
        end = start + rules.extra.get("length", 0) + _REGION_SLACK
        inside = span_start < end and span_end > start
        return lm if lm.correct and inside else rules
    return lm


def lm_candidate(section: str, start: int, end: int) -> list[Extraction]:
    """The LM's span of the response's final section as a candidate. None where the
    span sits between inline math delimiters broken by a line break: the rules read
    that text as no answer on purpose, and the LM must not read it otherwise."""
    if in_broken_inline_math(section, start, end):
        return []
    return [Extraction(section[start:end], "lm", LATEX, start)]


def candidates_for(response: str, verifier: str, options: GradeOptions) -> list[Extraction]:
    """Stage 1 for any verifier (the multiple-choice reader works on the raw tail)."""
    if verifier == "multiple_choice":
        return [Extraction(response, "raw", LATEX)]
    if verifier == "exact":
        return lazy_candidates(response, (LATEX, EXPR))
    return lazy_candidates(response, options.match_types)
