"""The ifeval verifier: Google IFEval's 25 verifiable instructions, open-instruct's IFEvalG
29 more and IFBench's 58 out-of-distribution constraints, one check each.

The reference is IFEval's evaluation form as a JSON string,
``{"instruction_id_list": [...], "kwargs": [{...}, ...]}``, open-instruct's RLVR-IFeval
``{"func_name": ...}`` ground truth, or IF_multi_constraints' Python literal
``[{'instruction_id': [...], 'kwargs': [...]}]`` (see ``spec``); the item's prompt is
the user prompt (``combination:repeat_prompt`` repeats it when its kwargs do
not say what to repeat). Strict mode checks the response as written; loose
mode, as IFEval's loose score, passes an instruction when any of eight
variants passes (first line, last line or both dropped; ``*`` removed).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from ...types import Check, GradeResult, Item, Status
from ..base import FuzzItem, InvalidItem, NeedsWorker, Placement, Plan, Verifier
from ..options import Options, one_of, option
from .checks import CHECKERS
from .spec import ARGUMENTS, Constraint, parse_reference
from .text import measured_once


@dataclass(frozen=True)
class IFEvalOptions(Options):
    mode: str = option("strict", one_of("strict", "loose"),
                       "strict: the response as written; loose: an instruction passes if any of IFEval's "
                       "8 variants does (first/last line dropped, * removed)")
    scoring: str | None = option(None, one_of("all", "fraction"),
                                 "all (the default): score 1 when every instruction holds, else 0; fraction: the "
                                 "share that holds. Unset, a NeMo-Gym reference's grading_mode decides "
                                 "(binary: all)")


@dataclass(frozen=True)
class IFEvalPlan(Plan):
    constraints: tuple[Constraint, ...] = ()
    scoring: str = "all"  # the option, else the reference's grading_mode, else all


# Checks cost up to ~27 µs a character (Treebank words, 200 KB in 5 s): text up to this size is
# checked on the calling thread in well under a second; longer text in a worker the budget can kill.
INLINE_MAX_CHARS = 20_000
# Each instruction scans each loose variant of the response again (the shared measures, sentences,
# words and language, are computed once per text: see text.measured_once), so inline work grows as
# instructions x response characters. Real IFEval/IFBench items hold at most ~10 instructions (10 x
# 20,000 stays inline); past this product (32 instructions on 10,000 characters) the item goes to a
# worker too.
INLINE_MAX_INSTRUCTION_CHARS = 32 * 10_000


def grades_inline(response: str, reference: str, instructions: int) -> bool:
    """Whether an item is cheap enough to check on the calling thread (else a killable worker)."""
    return (len(response) + len(reference) <= INLINE_MAX_CHARS
            and instructions * len(response) <= INLINE_MAX_INSTRUCTION_CHARS)


class IFEvalVerifier(Verifier):
    name = "ifeval"
    placement = Placement.WORKER
    description = ("Checks IFEval's, IFEvalG's and IFBench's verifiable instructions (reference: instruction_id_list "
                   "and kwargs as JSON, a NeMo-Gym row, a func_name ground truth, or IF_multi_constraints), one "
                   "check per instruction.")
    options_type = IFEvalOptions

    def supports(self) -> tuple[str, ...]:
        return tuple(ARGUMENTS)

    def prepare(self, item: Item, options: Mapping[str, Any]) -> Plan:
        parsed = IFEvalOptions.from_mapping(options)
        if len(set(item.references)) != 1:
            raise InvalidItem("an ifeval item takes one reference (the instructions as JSON)")
        instructions = parse_reference(item.references[0], item.prompt)
        return IFEvalPlan(self.name, item, parsed, instructions.constraints,
                          parsed.scoring or instructions.scoring or "all")

    def grade(self, plan: Plan, *, in_worker: bool) -> GradeResult:
        assert isinstance(plan, IFEvalPlan) and isinstance(plan.options, IFEvalOptions)
        if not in_worker and not grades_inline(plan.item.response, plan.item.references[0], len(plan.constraints)):
            raise NeedsWorker()
        return grade_ifeval(plan.item.response, plan.constraints, plan.options.mode, plan.scoring)

    def fuzz_items(self, rng: random.Random) -> Iterator[FuzzItem]:
        from .fuzz import fuzz_items
        return fuzz_items(rng)


def grade_ifeval(response: str, constraints: tuple[Constraint, ...], mode: str = "strict",
                 scoring: str = "all") -> GradeResult:
    variants = loose_variants(response) if mode == "loose" else [("", response)]
    with measured_once():  # each text's sentences, words and language once for all the instructions
        checks = [_check(c, variants) for c in constraints]
    held = sum(c.passed for c in checks)
    correct = held == len(checks)
    score = held / len(checks) if scoring == "fraction" else float(correct)
    reason = "" if correct else f"{len(checks) - held} of {len(checks)} instructions not followed: " + "; ".join(
        f"{c.name} ({c.reason})" for c in checks if not c.passed)
    return GradeResult(correct, score, Status.OK, method=f"ifeval+{mode}", reason=reason, checks=checks,
                       normalized_reference=json.dumps([c.id for c in constraints]))


def _check(constraint: Constraint, variants: list[tuple[str, str]]) -> Check:
    checker = CHECKERS[constraint.id]
    first_reason = ""
    for label, text in variants:
        if not text.strip():  # as the official checker: an empty response follows nothing
            first_reason = first_reason or "empty response"
            continue
        passed, reason = checker(text, constraint)
        first_reason = first_reason or reason
        if passed:
            return Check(constraint.id, True, 1.0, f"{reason} ({label})" if label else reason)
    return Check(constraint.id, False, 0.0, first_reason)


def loose_variants(response: str) -> list[tuple[str, str]]:
    """IFEval's loose variants in its order: as written, without *, without the first/last/both lines."""
    lines = response.split("\n")
    first = "\n".join(lines[1:]).strip()
    last = "\n".join(lines[:-1]).strip()
    both = "\n".join(lines[1:-1]).strip()
    variants = [("", response), ("with * removed", response.replace("*", "")),
                ("first line dropped", first), ("last line dropped", last), ("first and last lines dropped", both),
                ("first line dropped, * removed", first.replace("*", "")),
                ("last line dropped, * removed", last.replace("*", "")),
                ("first and last lines dropped, * removed", both.replace("*", ""))]
    seen: set[str] = set()  # a variant equal to an earlier one gives the same verdict: check it once
    return [(label, text) for label, text in variants if not (text in seen or seen.add(text))]
