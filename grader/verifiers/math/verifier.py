"""The math verifier: extract → normalize → compare, with the LM extractor as a second opinion.

``grade`` is a pure function of a plan. Inline (``in_worker=False``) it
never touches sympy and raises ``NeedsSympy`` where only sympy can decide;
the pipeline then runs the plan in a killable worker. With
``extraction='auto'`` (by default where the model is cheap: a GPU) a rule
verdict that missed asks the ``extractor`` model stage for the answer's span
(``consult``), and the span comes back as a plan whose grading merges both
verdicts (``follow_up``, ``merge_second_opinion``).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Iterator, Mapping

from ...lm.judge import Judgement, judge_refuses
from ...types import Check, GradeResult, Item, Status, clip
from ..base import FuzzItem, ModelQuery, Placement, Plan, Verifier
from .candidate import Reading
from .compare import Comparison
from .errors import NeedsSympy, ParseError
from .extract import (QUESTION_CHARS, STRONG_METHODS, Candidates, Extraction, extract_boxed, extract_marked,
                      final_section, find_math_blocks, in_broken_inline_math, is_prose, lazy_candidates,
                      unclosed_think)
from .normalize import repair_escapes
from .focus import asked_words, with_focus
from .positions import asks_for_position, with_positions
from .options import MathOptions

_LONG_REFERENCE = 120
# The candidates whose refusal (``Extraction.refused``) is the response's final word: a box, a marker and the
# other explicit statements, and a one-line response's sentence.
REFUSING_METHODS = (*STRONG_METHODS, "sentence")
EXTRACTOR_STAGE = "extractor"
JUDGE_STAGE = "judge"
JUDGE_TAIL_CHARS = 600  # what the judge sees of a response the rules found no answer in
_REGION_SLACK = 40
# What a worker's sympy may raise on hostile input: the item's verdict, not a crash.
_EVALUATION_ERRORS = (RecursionError, MemoryError, ValueError, TypeError, ArithmeticError)


@dataclass(frozen=True)
class SecondOpinion:
    """The LM extractor's span in the response's final section, and the rule verdict it may replace
    (None with ``extraction='lm'``, where the span alone decides)."""

    start: int
    end: int
    rules: GradeResult | None


@dataclass(frozen=True)
class MathPlan(Plan):
    second_opinion: SecondOpinion | None = None
    positions: bool = False  # the question asks which place, position or term: ordinals are numbers
    asked: frozenset[str] = frozenset()  # the words that name what the question asks for (focus.py)


class MathVerifier(Verifier):
    name = "math"
    description = "Extracts the final answer and compares it with the reference as a mathematical value."
    options_type = MathOptions
    placement = Placement.WORKER

    def route(self, options: Mapping[str, Any]) -> str:
        # Math-Verify's StringExtractionConfig (a `config` option) reads option letters.
        return "multiple_choice" if "config" in options else self.name

    def prepare(self, item: Item, options: Mapping[str, Any]) -> Plan:
        return MathPlan(self.name, item, MathOptions.from_mapping(options), positions=asks_for_position(item.prompt),
                        asked=asked_words(item.prompt))

    def grade(self, plan: Plan, *, in_worker: bool) -> GradeResult:
        assert isinstance(plan, MathPlan)
        second = plan.second_opinion
        if unclosed_think(plan.item.response) >= 0 and not final_section(plan.item.response).strip():
            return GradeResult.failure(Status.NO_ANSWER, "The response ends inside an unclosed <think> block: "
                                       "reasoning cut off, with no final answer.", method="none")
        if second is None:
            candidates = lazy_candidates(plan.item.response, plan.options.match_types)
            if plan.asked or plan.positions:
                section = final_section(plan.item.response)
                if plan.asked:
                    candidates = Candidates(with_focus(candidates, section, plan.asked))
                if plan.positions:
                    candidates = with_positions(candidates, section)
            return grade_candidates(candidates, plan.item.references, plan.options, in_worker, plan.item.prompt)
        lm = grade_candidates(lm_candidate(final_section(plan.item.response), second.start, second.end),
                              plan.item.references, plan.options, in_worker, plan.item.prompt)
        return lm if second.rules is None else merge_second_opinion(second.rules, lm, second.start, second.end)

    def consult(self, plan: Plan, result: GradeResult) -> ModelQuery | None:
        """The LM extractor first (where asked), then the judge on what is still a miss."""
        assert isinstance(plan, MathPlan)
        mode = plan.options.extraction
        if not (EXTRACTOR_STAGE in plan.consulted or plan.second_opinion is not None or mode == "rules"
                or (mode != "lm" and not needs_second_opinion(result))):
            return ModelQuery(EXTRACTOR_STAGE, final_section(plan.item.response), required=mode == "lm",
                              by_default=mode is None, question=question_of(plan.item))
        return judge_query(plan, result)

    def follow_up(self, plan: Plan, result: GradeResult, answer: Any) -> Plan | GradeResult:
        if isinstance(answer, Judgement):
            return judged(result, answer)
        only_lm = plan.options.extraction == "lm"
        if answer is None:
            if only_lm:
                return GradeResult.failure(Status.NO_ANSWER, "The LM extractor found no answer in the response.",
                                           method="lm+none")
            return result
        return replace(plan, second_opinion=SecondOpinion(answer.start, answer.end, None if only_lm else result))

    def settle(self, follow_up: Plan, first: GradeResult, second: GradeResult) -> GradeResult:
        # A follow-up that ran out of time or crashed is a failed second opinion: the rules verdict stands.
        opinion = follow_up.second_opinion if isinstance(follow_up, MathPlan) else None
        if opinion is None or opinion.rules is None or second.status in (Status.OK, Status.NO_ANSWER):
            return second
        return merge_second_opinion(opinion.rules, second, opinion.start, opinion.end)

    def warm_up(self) -> Iterator[Plan]:
        for response, reference in _WARM_UP:
            yield self.prepare(Item(response, (reference,)), {"extraction": "rules"})

    def fuzz_items(self, rng: random.Random) -> Iterator[FuzzItem]:
        from .fuzz import math_items

        return math_items(rng)


# Each kind of expression is slow the first time sympy meets it (tens of ms): items only
# sympy decides (algebra handles plain radicals and polynomials inline), so a worker's
# first real item does not pay for importing latex2sympy, simplification, numeric
# evaluation and solution sets.
_WARM_UP = [
    (r"\boxed{\sin\frac{\pi}{4}}", r"\frac{\sqrt{2}}{2}"), (r"\boxed{e^{2} + \ln 3}", r"e^2+\log(3)"),
    (r"\boxed{\frac{1}{1+\sqrt{2}}}", r"\sqrt{2}-1"), (r"\boxed{x \le 5}", r"(-\infty, 5]"),
    (r"\boxed{2.718}", "e"), (r"\boxed{\begin{pmatrix}e\\2\end{pmatrix}}", "(e,2)"),
    (r"\boxed{y = 2x + e}", r"2x - y + e = 0"),
]


def judge_query(plan: MathPlan, result: GradeResult) -> ModelQuery | None:
    """Ask the judge on a miss (or always), with the extracted answer, never the whole response
    when there is one; never for an answer that is a known way to fool a judge (``JudgeQuery.withheld``)."""
    asked = plan.options.judge
    if JUDGE_STAGE in plan.consulted or asked == "off":
        return None
    miss = result.status in (Status.NO_ANSWER, Status.PARSE_ERROR) or (result.status is Status.OK
                                                                        and not result.correct)
    if not (miss or (asked == "always" and result.status is Status.OK)):
        return None
    answer = result.extracted or final_section(plan.item.response)[-JUDGE_TAIL_CHARS:]
    if not answer.strip():
        return None
    return JudgeQuery(JUDGE_STAGE, answer, required=asked is not None, by_default=asked is None,
                      question=question_of(plan.item), reference=reference_answer(plan.item.references[0]),
                      keep_on_failure=True, response_tail=not result.extracted)


@dataclass(frozen=True)
class JudgeQuery(ModelQuery):
    """The judge's question, withheld when the answer is a known way to fool a judge."""

    def withheld(self) -> str:
        return judge_refuses(self.text, self.reference or "")


def judged(rules: GradeResult, judgement: Judgement) -> GradeResult:
    """The judge's verdict over the rules', with both as checks; a 'no' leaves the rules' result standing,
    and so does a judge that declined (with why, as its check)."""
    if judgement.declined:
        return replace(rules, checks=[*rules.checks, Check("judge", False, 0.0, f"not judged: {judgement.declined}")])
    checks = [Check("rules", rules.status is Status.OK and rules.correct, float(rules.correct),
                    f"{rules.status.value} {rules.method}".strip()),
              Check("judge", judgement.correct, judgement.probability,
                    f"p(correct) = {judgement.probability:.3f} ({judgement.backend})")]
    if not judgement.correct:
        return replace(rules, checks=[*rules.checks, *checks],
                                   method=f"{rules.method}+judge" if rules.method else "judge")
    return GradeResult(True, 1.0, Status.OK, extracted=rules.extracted, normalized=rules.normalized,
                       normalized_reference=rules.normalized_reference, method="judge",
                       reason="The judge found the answer equivalent to the reference.", checks=checks,
                       span=rules.span)


def question_of(item: Item) -> str | None:
    """The item's prompt for the extractor: its last ``QUESTION_CHARS`` characters, None when it has none."""
    prompt = item.prompt.strip()
    return prompt[-QUESTION_CHARS:] if prompt else None


def reference_answer(reference: str) -> str:
    """The answer inside a reference: itself, or the boxed/marked answer of a full solution."""
    ref = repair_escapes(reference).strip()
    if "\\boxed" in ref or "\\fbox" in ref:
        box = extract_boxed(ref)
        if box is not None:
            return box.text
    if len(ref) > _LONG_REFERENCE and is_prose(ref):
        marked = extract_marked(ref)
        if marked is not None and marked.text:
            return marked.text
        blocks = find_math_blocks(ref)
        if blocks:
            return blocks[-1][1]
    return ref


def grade_candidates(candidates: Sequence[Extraction], references: Sequence[str], options: MathOptions,
                     in_worker: bool, question: str = "") -> GradeResult:
    """Grade candidates, best first: without sympy first; in a worker, with sympy where that cannot decide."""
    try:
        return _grade(candidates, references, options, use_sympy=False, question=question)
    except NeedsSympy as escalation:
        if not in_worker:
            escalation.extracted = clip(candidates[0].text) if candidates else ""
            raise
    try:
        return _grade(candidates, references, options, use_sympy=True, question=question)
    except _EVALUATION_ERRORS as exc:
        return GradeResult.failure(Status.PARSE_ERROR, f"The answer could not be evaluated ({type(exc).__name__})",
                                   method="error", extracted=clip(candidates[0].text) if candidates else "")


def _grade(candidates: Sequence[Extraction], references: Sequence[str], options: MathOptions,
           use_sympy: bool, question: str = "") -> GradeResult:
    if not candidates:
        return GradeResult.failure(Status.NO_ANSWER, "No answer was found in the response.",
                                   normalized_reference=Reading(references[0]).display)
    refs = [Reading(reference_answer(r)) for r in references]
    # The same text as a reference needs no parsing at all (and no sympy worker).
    first = Reading(candidates[0].text)
    refused = _refusal(candidates[0], first)
    if refused:
        return GradeResult.failure(Status.NO_ANSWER, refused, method=f"{candidates[0].method}+none",
                                   extracted=clip(candidates[0].text), normalized_reference=refs[0].display)
    for ref in refs:
        if first.same_text(ref):
            return _verdict(True, candidates[0], first, ref, f"{candidates[0].method}+string")
    ref_values: list[list] = []
    ref_error = ""
    for ref in refs:
        try:
            ref_values.append(ref.values(use_sympy, radians=options.degrees_match_radians))
        except ParseError as exc:
            ref_values.append([])
            ref_error = str(exc)
    last_error = ""
    for cand in candidates:
        answer = first if cand is candidates[0] else Reading(cand.text)
        try:
            values = answer.values(use_sympy, radians=options.degrees_match_radians)
        except ParseError as exc:
            if cand is candidates[0] and _is_box(cand):
                # The final answer is a box that says nothing readable ("\\neq 5", "3 \\lor 5"): a number
                # elsewhere in the response must not answer for it.
                return GradeResult(False, 0.0, Status.PARSE_ERROR, extracted=clip(cand.text),
                                   normalized=answer.display, normalized_reference=refs[0].display,
                                   method=f"{cand.method}+none", span=(cand.start, cand.start + len(cand.text)),
                                   reason=f"The final boxed answer could not be read ({exc}).")
            last_error = str(exc)
            continue
        for ref, ref_readings in zip(refs, ref_values):
            if answer.same_text(ref):
                return _verdict(True, cand, answer, ref, f"{cand.method}+string")
            cmp = Comparison(options, use_sympy, question, stated=_source(cand) in STRONG_METHODS)
            if any(cmp.equal(value, ref_value) for value in values for ref_value in ref_readings):
                return _verdict(True, cand, answer, ref, f"{cand.method}+{cmp.rule}")
        if not any(ref_values):
            return GradeResult(False, 0.0, Status.PARSE_ERROR, extracted=clip(cand.text), normalized=answer.display,
                               normalized_reference=refs[0].display, method=f"{cand.method}+none",
                               reason=f"The reference could not be parsed ({ref_error}).")
        return _verdict(False, cand, answer, refs[0], f"{cand.method}+exact")
    return GradeResult(False, 0.0, Status.PARSE_ERROR, extracted=clip(candidates[0].text),
                       normalized_reference=refs[0].display, method=f"{candidates[0].method}+none",
                       reason=f"The extracted answer could not be parsed ({last_error}).")


def _is_box(cand: Extraction) -> bool:
    return _source(cand) == "boxed"


def _refusal(cand: Extraction, reading: Reading) -> str:
    """Why the first candidate states no answer: an empty box (also one only ``\\phantom{}`` fills), or a
    marker whose sentence negates or hedges its value; "" when it states one."""
    if cand.refused:
        return cand.refused
    if _is_box(cand) and not reading.norm.strip():
        return "The final box is empty."
    return ""


def _verdict(correct: bool, cand: Extraction, answer: Reading, ref: Reading, method: str) -> GradeResult:
    reason = "" if correct else "The extracted answer does not match the reference."
    return GradeResult(correct, 1.0 if correct else 0.0, Status.OK, extracted=clip(cand.text),
                       normalized=answer.display, normalized_reference=ref.display, method=method, reason=reason,
                       span=(cand.start, cand.start + len(cand.text)))


# --- the LM extractor as a second opinion ------------------------------------

def _source(found: GradeResult | Extraction) -> str:
    """Which extractor found the answer: the part of ``method`` before the comparison ("boxed" for
    "boxed+ordinal")."""
    return found.method.partition("+")[0]


def needs_second_opinion(rules: GradeResult) -> bool:
    """auto mode asks the LM when rules found nothing usable, fell back to the
    last number, or found an answer that does not match."""
    if final_statement_refused(rules):
        return False  # the response's final statement says nothing: no span elsewhere may answer for it
    if rules.status in (Status.NO_ANSWER, Status.PARSE_ERROR):
        return True
    return rules.status == Status.OK and (not rules.correct or _source(rules) == "last_number")


def final_statement_refused(rules: GradeResult) -> bool:
    """The rules found the final box empty or unreadable, or the answer statement hedged (``_grade``): a marker's,
    or a one-line response's own sentence ("It is not 5.", method "sentence"), the same refusal in every mode."""
    source = _source(rules)
    return (rules.status is Status.NO_ANSWER and source in REFUSING_METHODS) or \
        (rules.status is Status.PARSE_ERROR and source == "boxed")


def merge_second_opinion(rules: GradeResult, lm: GradeResult, span_start: int, span_end: int) -> GradeResult:
    """Which verdict stands when rules and the LM disagree.

    The LM decides where rules found nothing, fell back to the last number or
    used a weak heuristic (a trailing math block, bold text). Against a strong
    rule answer (a box, "the answer is") the LM only counts when its span lies
    in that answer's region and matches: it fixes boundaries, it does not go
    looking for a matching number elsewhere (that would add false positives).
    The last number is only a guess at where the answer is: where the LM read an
    answer elsewhere, its verdict stands either way, so that a response listing
    guesses ("3? 5? 7?") is not right for the last number by rules and for another
    by the LM; an LM span around the last number only redraws its boundaries.
    """
    if _source(rules) == "last_number" and lm.status == Status.OK and rules.span is not None:
        start, end = rules.span
        if not (span_start < end and span_end > start):
            return lm
    if rules.correct or final_statement_refused(rules):
        # A match is the strongest evidence there is (the LM only cuts misses); an empty or unreadable final
        # box, or an answer statement that hedges, is the response's own word that it gives no answer.
        return rules
    if lm.status != Status.OK:
        return rules if rules.status == Status.OK else (lm if rules.status == Status.NO_ANSWER else rules)
    if rules.status == Status.OK and _source(rules) in STRONG_METHODS and rules.span is not None:
        start, end = rules.span
        inside = span_start < end + _REGION_SLACK and span_end > start
        return lm if lm.correct and inside else rules
    return lm


def lm_candidate(section: str, start: int, end: int) -> list[Extraction]:
    """The LM's span of the response's final section as a candidate. None where the
    span sits between inline math delimiters broken by a line break: the rules read
    that text as no answer on purpose, and the LM must not read it otherwise."""
    if in_broken_inline_math(section, start, end):
        return []
    return [Extraction(section[start:end], "lm", "latex", start)]
