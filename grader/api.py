"""The public entry points: ``grade`` and ``grade_many``.

Extraction and the exact fast path run inline; anything that needs sympy runs
in a worker process that is killed when it exceeds the item's time budget.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable, Mapping

from .engine import candidates_for, clip, grade_candidates, lm_candidate, merge_second_opinion, needs_second_opinion
from .extract import final_section
from .lm.service import LMService, default_service
from .parse import NeedsSympy
from .sandbox import WorkerCrashed, WorkerPool, WorkerTimeout, default_pool
from .types import GradeOptions, GradeResult, Status
from .verifiers import VERIFIERS

MAX_RESPONSE_CHARS = 20_000_000
log = logging.getLogger("grader")


def grade(response: str, reference: str | list[str], *, verifier: str = "math",
          pool: WorkerPool | None = None, extractor: LMService | None = None, **options: Any) -> GradeResult:
    """Grade one response against a reference (or a list of references: any match counts).

    Never raises for bad input: the result's ``status`` says what went wrong
    (``NO_ANSWER``, ``PARSE_ERROR``, ``TIMEOUT``, ``INVALID_ARGUMENT``).
    ``extractor`` overrides the default LM extractor service (see ``grader.lm``).
    """
    return _timed_grade(response, reference, verifier, options, pool, extractor)


def _timed_grade(response: Any, reference: Any, verifier: Any, options: Mapping[str, Any],
                 pool: WorkerPool | None, extractor: LMService | None = None) -> GradeResult:
    start = time.perf_counter()
    result = _guarded(_grade_with_lm, response, reference, verifier, options, pool, extractor)
    result.latency_ms = (time.perf_counter() - start) * 1000
    return result


def grade_inline(response: Any, reference: Any, verifier: str = "math", options: Mapping[str, Any] | None = None,
                 lm_span: tuple[str, int, int] | None = None, rules: GradeResult | None = None) -> GradeResult:
    """Grade with no sandbox and no time limit, for a process that is itself
    killable on timeout (the server's workers). Never raises for bad input.

    Rules only: the result's ``extra["needs_lm"]`` says whether the item's
    extraction mode wants the LM's opinion. With ``lm_span`` (text, start,
    end) and the first result as ``rules``, grade the LM's answer and decide.
    """
    start = time.perf_counter()
    if lm_span is None:
        result = _guarded(_grade_rules_inline, response, reference, verifier, options or {})
    else:
        result = _guarded(_grade_lm_inline, response, reference, verifier, options or {}, lm_span, rules)
    result.latency_ms = (time.perf_counter() - start) * 1000
    return result


def _guarded(fn, *args: Any) -> GradeResult:
    try:
        return fn(*args)
    except Exception as exc:  # a bug must cost one item, never the caller's batch
        log.exception("internal error while grading")
        return GradeResult(False, 0.0, Status.PARSE_ERROR, method="error",
                           reason=f"Internal error while grading ({type(exc).__name__}); please report it.")


def _prepare(response: Any, reference: Any, verifier: Any, options: Mapping[str, Any]):
    """(verifier, options, references) for a valid item, or the INVALID_ARGUMENT result."""
    if verifier == "math" and "config" in options:
        verifier = "multiple_choice"  # Math-Verify's StringExtractionConfig reads option letters
    problem = _validate(response, reference, verifier)
    if problem:
        return _invalid(problem)
    try:
        opts = GradeOptions.from_mapping(dict(options))
    except (ValueError, TypeError) as exc:
        return _invalid(str(exc))
    refs = [reference] if isinstance(reference, str) else list(reference)
    return verifier, opts, refs


def _uses_lm(verifier: str, opts: GradeOptions) -> bool:
    return verifier == "math" and opts.extraction != "rules"


def _grade_with_lm(response: Any, reference: Any, verifier: Any, options: Mapping[str, Any],
                   pool: WorkerPool | None, extractor: LMService | None) -> GradeResult:
    prepared = _prepare(response, reference, verifier, options)
    if isinstance(prepared, GradeResult):
        return prepared
    verifier, opts, refs = prepared
    rules = _run(candidates_for(response, verifier, opts), refs, verifier, opts, pool, inline=False)
    if not _uses_lm(verifier, opts) or (opts.extraction == "auto" and not needs_second_opinion(rules)):
        return rules
    service = extractor if extractor is not None else default_service()
    if service is None:
        if opts.extraction == "lm":
            return _invalid("extraction 'lm' needs the extractor model, which could not be loaded")
        return rules
    section = final_section(response)
    span = service.extract(section)
    if span is None:
        return _no_lm_answer(rules, opts)
    lm = _run(lm_candidate(section, span.start, span.end), refs, verifier, opts, pool, inline=False)
    return lm if opts.extraction == "lm" else merge_second_opinion(rules, lm, span.start, span.end)


def _no_lm_answer(rules: GradeResult, opts: GradeOptions) -> GradeResult:
    if opts.extraction == "lm":
        return GradeResult(False, 0.0, Status.NO_ANSWER, method="lm+none",
                           reason="The LM extractor found no answer in the response.")
    return rules


def _grade_rules_inline(response: Any, reference: Any, verifier: Any, options: Mapping[str, Any]) -> GradeResult:
    prepared = _prepare(response, reference, verifier, options)
    if isinstance(prepared, GradeResult):
        return prepared
    verifier, opts, refs = prepared
    result = _run(candidates_for(response, verifier, opts), refs, verifier, opts, None, inline=True)
    result.extra["needs_lm"] = _uses_lm(verifier, opts) and (opts.extraction == "lm" or needs_second_opinion(result))
    return result


def _grade_lm_inline(response: Any, reference: Any, verifier: Any, options: Mapping[str, Any],
                     lm_span: tuple[str, int, int], rules: GradeResult | None) -> GradeResult:
    prepared = _prepare(response, reference, verifier, options)
    if isinstance(prepared, GradeResult):
        return prepared
    verifier, opts, refs = prepared
    _, start, end = lm_span
    lm = _run(lm_candidate(final_section(response), start, end), refs, verifier, opts, None, inline=True)
    if opts.extraction == "lm" or rules is None:
        return lm
    return merge_second_opinion(rules, lm, start, end)


def _run(candidates: list, refs: list[str], verifier: str, opts: GradeOptions, pool: WorkerPool | None,
         inline: bool) -> GradeResult:
    """Grade candidates: the exact fast path inline, sympy inline (``inline``) or in a killable worker."""
    try:
        return grade_candidates(candidates, refs, verifier, opts, use_sympy=False)
    except NeedsSympy:
        pass
    first = clip(candidates[0].text) if candidates else ""
    if inline:
        try:
            return grade_candidates(candidates, refs, verifier, opts, use_sympy=True)
        except (RecursionError, MemoryError, ValueError, TypeError, ArithmeticError) as exc:
            return GradeResult(False, 0.0, Status.PARSE_ERROR, extracted=first, method="error",
                               reason=f"The answer could not be evaluated ({type(exc).__name__}).")
    try:
        return (pool or default_pool()).run(grade_candidates, (candidates, refs, verifier, opts, True), opts.timeout)
    except WorkerTimeout:
        return GradeResult(False, 0.0, Status.TIMEOUT, extracted=first, method="timeout",
                           reason=f"Comparison did not finish within {opts.timeout:g} s.")
    except WorkerCrashed as exc:
        return GradeResult(False, 0.0, Status.PARSE_ERROR, extracted=first, method="error",
                           reason=f"The answer could not be evaluated ({exc}).")
    except RuntimeError as exc:  # a pool the caller closed
        return _invalid(str(exc))


def _validate(response: Any, reference: Any, verifier: Any) -> str:
    if not isinstance(response, str):
        return "response must be a string"
    if len(response) > MAX_RESPONSE_CHARS:
        return f"response is longer than {MAX_RESPONSE_CHARS} characters"
    if isinstance(reference, str):
        refs = [reference]
    elif isinstance(reference, (list, tuple)) and all(isinstance(r, str) for r in reference):
        refs = list(reference)
    else:
        return "reference must be a string or a list of strings"
    if not refs or not any(r.strip() for r in refs):
        return "reference is empty"
    if verifier not in VERIFIERS:
        return f"unknown verifier {verifier!r}; choose one of {', '.join(VERIFIERS)}"
    return ""


def _invalid(reason: str) -> GradeResult:
    return GradeResult(False, 0.0, Status.INVALID_ARGUMENT, method="none", reason=reason[0].upper() + reason[1:] + ".")


def grade_many(items: Iterable[Mapping[str, Any]], *, max_concurrency: int | None = None,
               pool: WorkerPool | None = None, extractor: LMService | None = None) -> list[GradeResult]:
    """Grade many items (mappings with ``response``, ``reference``, optional
    ``verifier`` and ``options``); results come back in the same order."""
    items = list(items)
    pool = pool or default_pool()

    def one(item: Mapping[str, Any]) -> GradeResult:
        if not isinstance(item, Mapping):
            return _invalid("item must be a mapping")
        options = item.get("options") or {}
        if not isinstance(options, Mapping):
            return _invalid("options must be a mapping")
        return _timed_grade(item.get("response"), item.get("reference"), item.get("verifier") or "math", options, pool,
                            extractor)

    workers = max_concurrency or pool.max_workers
    if workers <= 1 or len(items) <= 1:
        return [one(i) for i in items]
    with ThreadPoolExecutor(max_workers=workers) as ex:
        return list(ex.map(one, items))
