"""The one grading pipeline, used by the in-process API, the CLI and the server.

    validate → plan → grade inline → escalate to a worker → model stages → merge → reward

``plan_item`` validates an item's fields once and asks its verifier for a
typed plan (or returns the INVALID_ARGUMENT result). ``Pipeline`` drives plans
synchronously, in-process: inline first, a killable worker when the verifier
raises ``NeedsWorker``, then the verifier's model stage if it consults one.
``ServedPipeline`` drives the same steps for the asyncio server, with every
plan graded in the batch runtime's workers so the event loop never grades.
"""

from __future__ import annotations

import asyncio
import dataclasses
import atexit
import logging
import os
import threading
import time
from collections import abc
from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol

from . import verifiers
from .execution.batch import BatchRuntime, CallFailed, CallTimedOut
from .execution.workers import WorkerCrashed, WorkerPool, WorkerTimeout
from .rewards import DEFAULT_REWARDS, Rewards
from .types import Check, GradeResult, Item, Status
from .verifiers import ModelQuery, NeedsWorker, Plan

log = logging.getLogger("grader")

MAX_RESPONSE_CHARS = 20_000_000
WARM_UP = "grader.pipeline:warm_up_worker"  # what each fresh worker process runs first


@dataclass(frozen=True)
class Budget:
    """Seconds an item may take: ``default`` unless its ``timeout`` option asks, at most ``maximum``."""

    default: float = 5.0
    maximum: float = 600.0

    def of(self, asked: float | None) -> float:
        return min(self.default if asked is None else asked, self.maximum)


@dataclass(frozen=True)
class Defaults:
    """Request-level settings: the verifier and options of items that name none, and the rewards.
    Default options a verifier does not know are skipped, so one request can mix verifiers."""

    verifier: str = "math"
    options: Mapping[str, Any] = field(default_factory=dict)
    rewards: Rewards = DEFAULT_REWARDS


DEFAULTS = Defaults()


# --- validate → plan ---------------------------------------------------------------

def plan_item(fields: Mapping[str, Any], defaults: Defaults = DEFAULTS) -> Plan | GradeResult:
    """The item's plan, or the INVALID_ARGUMENT result saying what is wrong with it.

    ``fields``: ``response``, ``reference`` (a string or a list of strings),
    optional ``verifier``, ``options`` and ``prompt``; other keys are ignored.
    """
    try:
        verifier, item, options = _validate(fields, defaults)
        return verifier.prepare(item, options)
    except (ValueError, TypeError) as exc:  # InvalidItem is a ValueError, as are bad option values
        return GradeResult.failure(Status.INVALID_ARGUMENT, str(exc))
    except RecursionError:  # what no verifier foresaw: one item's verdict, never the batch's exception
        return GradeResult.failure(Status.INVALID_ARGUMENT, "The item is nested too deeply to read: a reference "
                                   "or option goes deeper than Python's recursion limit.")


def _validate(fields: Mapping[str, Any], defaults: Defaults) -> tuple[verifiers.Verifier, Item, dict[str, Any]]:
    if type(fields) is not dict and not isinstance(fields, abc.Mapping):  # the exact type first: ABC checks cost
        raise verifiers.InvalidItem("item must be a mapping")
    for name in ("response", "reference"):
        if name not in fields:
            raise verifiers.InvalidItem(f"missing field {name!r}")
    response, reference, prompt = fields["response"], fields["reference"], fields.get("prompt") or ""
    if not isinstance(response, str):
        raise verifiers.InvalidItem("field 'response' must be a string")
    if len(response) > MAX_RESPONSE_CHARS:
        raise verifiers.InvalidItem(f"response is longer than {MAX_RESPONSE_CHARS} characters")
    if isinstance(reference, str):
        references = (reference,)
    elif isinstance(reference, (list, tuple)) and all(isinstance(r, str) for r in reference):
        references = tuple(reference)
    else:
        raise verifiers.InvalidItem("field 'reference' must be a string or a list of strings")
    if not (references[0].strip() if len(references) == 1 else any(r.strip() for r in references)):
        raise verifiers.InvalidItem("reference is empty")
    if not isinstance(prompt, str):
        raise verifiers.InvalidItem("field 'prompt' must be a string")
    name = fields.get("verifier") or defaults.verifier
    verifier = verifiers.get(name) if isinstance(name, str) else None
    if verifier is None:
        raise verifiers.InvalidItem(f"unknown verifier {name!r}; choose one of {', '.join(verifiers.names())}")
    options = fields.get("options") or {}
    if type(options) is not dict and not isinstance(options, abc.Mapping):
        raise verifiers.InvalidItem("field 'options' must be an object")
    if options:  # the item's own options may name another grader's configuration (see Verifier.route)
        verifier = verifiers.get(verifier.route(options)) or verifier
    if defaults.options:
        options = _under_defaults(verifier.options_type, defaults.options, options)
    return verifier, Item(response, references, prompt), options


def _under_defaults(kind: type[verifiers.Options], defaults: Mapping[str, Any],
                    options: Mapping[str, Any]) -> dict[str, Any]:
    """Request defaults under the item's options, merged by canonical name (an item's ``timeout``
    beats a default ``timeout_seconds``). A default this verifier does not know is skipped; one that
    no registered verifier knows is a typo, and the item says so."""
    merged: dict[str, Any] = {}
    for key, value in defaults.items():
        if kind.accepts(key):
            merged[kind.canonical(key)] = value
        elif not any(v.options_type.accepts(key) for v in verifiers.all_verifiers()):
            raise verifiers.InvalidItem(f"unknown default option {key!r}")
    for key, value in options.items():
        merged[kind.canonical(key)] = value
    return merged


# --- grade: inline, or in a worker --------------------------------------------------

def _verifier(plan: Plan) -> verifiers.Verifier:
    verifier = verifiers.get(plan.verifier)
    assert verifier is not None, plan.verifier  # plans come from plan_item
    return verifier


def _internal_error(exc: Exception) -> GradeResult:
    """A bug costs one item, never the caller's batch."""
    log.exception("internal error while grading")
    return GradeResult.failure(Status.PARSE_ERROR, f"Internal error while grading ({type(exc).__name__}); "
                                                   "please report it", method="error")


def grade_inline(plan: Plan) -> GradeResult | NeedsWorker:
    """The verdict where the verifier can reach it on this thread, else the NeedsWorker it raised
    (with the evidence found so far)."""
    try:
        return _verifier(plan).grade(plan, in_worker=False)
    except NeedsWorker as escalation:
        return escalation
    except Exception as exc:
        return _internal_error(exc)


def grade_in_worker(plan: Plan, granted_seconds: float | None = None) -> GradeResult:
    """The function worker processes run: the whole plan, with no time limit of its own. ``granted_seconds``:
    the budget its driver enforces, which the plan learns (``Plan.granted_seconds``) so that a sandbox it
    starts ends, and reports what finished, before the driver gives up on it. Set here, in the worker, to
    keep the copy off the server's event loop."""
    start = time.perf_counter()
    if granted_seconds is not None:
        plan = dataclasses.replace(plan, granted_seconds=granted_seconds)
    try:
        result = _verifier(plan).grade(plan, in_worker=True)
    except Exception as exc:
        result = _internal_error(exc)
    result.latency_ms = (time.perf_counter() - start) * 1000
    return result


def warm_up_worker() -> None:
    """Run each verifier's warm-up plans, so a worker's first real item does not pay first-use costs."""
    for verifier in verifiers.all_verifiers():
        for plan in verifier.warm_up():
            grade_in_worker(plan)


def timeout_result(seconds: float, extracted: str = "") -> GradeResult:
    return GradeResult.failure(Status.TIMEOUT, f"Grading did not finish within {seconds:g} s", method="timeout",
                               extracted=extracted)


def crash_result(reason: str, extracted: str = "") -> GradeResult:
    return GradeResult.failure(Status.PARSE_ERROR, f"The answer could not be evaluated ({reason})", method="error",
                               extracted=extracted)


def _model_failed(query: ModelQuery, first: GradeResult, exc: Exception) -> GradeResult:
    """A model stage that fails leaves the first verdict standing, unless the item asked for the model alone."""
    log.warning("the %s model failed: %s: %s", query.stage, type(exc).__name__, exc)
    if query.required and not query.keep_on_failure:
        return GradeResult.failure(Status.PARSE_ERROR, f"The {query.stage} model failed ({type(exc).__name__})",
                                   method="error")
    failure = Check(query.stage, False, 0.0, f"the {query.stage} failed: {type(exc).__name__}: {exc}"[:300], "error")
    return dataclasses.replace(first, checks=[*first.checks, failure])


# --- model stages -------------------------------------------------------------------

class ModelStage(Protocol):
    """A model behind a batcher (``grader.lm.LMService``): concurrent callers share forward passes."""

    on_accelerator: bool

    def ask(self, query: ModelQuery, timeout: float | None = None) -> Any: ...
    async def ask_async(self, query: ModelQuery) -> Any: ...


_DEFAULT = object()


class Models:
    """The model stages a pipeline may consult, by name. ``extractor`` left at its default
    loads the shipped LM extractor on first use (None when ``GRADER_EXTRACTOR=off`` or it
    cannot load). A query the item did not ask for (``by_default``) is answered only where
    the stage is cheap (``grader.lm.service.asked_by_default``): on CPU it is not loaded.
    ``judge`` is a configured judge (``grader.lm.judge``), or None: no judge here."""

    def __init__(self, extractor: ModelStage | None | object = _DEFAULT, judge: ModelStage | None = None) -> None:
        self._extractor = extractor
        self._judge = judge

    def get(self, query: ModelQuery) -> ModelStage | None:
        if query.stage == "judge":
            return self._judge
        if query.stage != "extractor":
            return None
        from .lm.service import asked_by_default, default_service

        if self._extractor is _DEFAULT:
            if query.by_default and not asked_by_default():
                return None
            return default_service()
        if query.by_default and not asked_by_default(self._extractor):  # type: ignore[arg-type]
            return None
        return self._extractor  # type: ignore[return-value]


MAX_STAGES = 3  # model stages one item may consult in turn (the extractor, then the judge)


def _asked(plan: Plan, stage: str) -> Plan:
    return dataclasses.replace(plan, consulted=plan.consulted | {stage})


StageStep = tuple[Plan, GradeResult, ModelQuery | None, Any]  # next_stage's (plan, result, query, stage)


def next_stage(models: Models, plan: Plan, result: GradeResult) -> StageStep:
    """The next model stage the verifier asks for that is loaded here: (plan, result, query, stage).
    Stages not loaded are passed over (marked asked), unless the item requires one. A query its
    verifier withholds (``ModelQuery.withheld``) ends the stages: the verdict so far stands."""
    verifier = _verifier(plan)
    for _ in range(MAX_STAGES):
        query = verifier.consult(plan, result)
        if query is None:
            return plan, result, None, None
        stage = models.get(query)
        if stage is not None:
            if query.withheld():
                return plan, result, None, None
            return plan, result, query, stage
        if query.required:
            return plan, _unavailable(query, result), None, None
        plan = _asked(plan, query.stage)
    return plan, result, None, None


def _unavailable(query: ModelQuery, first: GradeResult) -> GradeResult:
    if query.required:
        return GradeResult.failure(Status.INVALID_ARGUMENT, f"This item needs the {query.stage} model, "
                                                            "which is not loaded here")
    return first


# --- the in-process driver -----------------------------------------------------------

_default_pool: WorkerPool | None = None
_default_lock = threading.Lock()


def default_pool() -> WorkerPool:
    """The process-wide pool used by ``grader.grade``, created on first use."""
    global _default_pool
    with _default_lock:
        if _default_pool is None:
            _default_pool = WorkerPool(int(os.environ.get("GRADER_WORKERS", "0")) or None, warm_up=WARM_UP)
            atexit.register(_default_pool.close)
        return _default_pool


def _finished(result: GradeResult, defaults: Defaults, start: float) -> GradeResult:
    result.reward = defaults.rewards.of(result)
    result.latency_ms = (time.perf_counter() - start) * 1000
    return result


@dataclass(frozen=True)
class Pending:
    """An item ``Pipeline.grade_here`` could not finish on the calling thread: its plan, and the
    inline outcome (a first verdict that asks a model, or the ``NeedsWorker`` it raised)."""

    plan: Plan
    outcome: GradeResult | NeedsWorker
    defaults: Defaults
    inline_seconds: float  # what grading it so far took (its latency counts that, not its wait in a queue)
    asking: StageStep | None = None  # next_stage's answer, found already (it asks a model)


class Pipeline:
    """Grades items on the calling thread, escalating to ``pool``'s killable workers."""

    def __init__(self, pool: WorkerPool | None = None, models: Models | None = None,
                 budget: Budget = Budget()) -> None:
        if pool is not None and not pool.warm_up:
            pool.warm_up = WARM_UP  # a pool the caller made: its workers pay first-use costs before items do
        self._pool = pool
        self.models = models or Models()
        self.budget = budget

    @property
    def pool(self) -> WorkerPool:
        return self._pool or default_pool()

    def grade(self, fields: Mapping[str, Any], defaults: Defaults = DEFAULTS) -> GradeResult:
        here = self.grade_here(fields, defaults)
        return here if isinstance(here, GradeResult) else self.finish(here)

    def grade_here(self, fields: Mapping[str, Any], defaults: Defaults = DEFAULTS) -> GradeResult | Pending:
        """The result if the item finishes on this thread, without a worker or a model; else where it
        stopped (``finish`` goes on from there). Batches grade the many cheap items without threads."""
        start = time.perf_counter()
        planned = plan_item(fields, defaults)
        if isinstance(planned, GradeResult):
            return _finished(planned, defaults, start)
        try:
            outcome = grade_inline(planned)
            if isinstance(outcome, NeedsWorker):
                return Pending(planned, outcome, defaults, time.perf_counter() - start)
            asking = next_stage(self.models, planned, outcome)
            _, result, query, _ = asking
            if query is not None:  # finish() asks the model, in batches with the other items' queries
                return Pending(planned, outcome, defaults, time.perf_counter() - start, asking)
        except Exception as exc:
            result = _internal_error(exc)
        return _finished(result, defaults, start)

    def finish(self, pending: Pending) -> GradeResult:
        """An item ``grade_here`` left: its worker, then its model stages; nothing graded twice."""
        start = time.perf_counter() - pending.inline_seconds
        try:
            result = self._run(pending.plan, pending.outcome, pending.asking)
        except Exception as exc:
            result = _internal_error(exc)
        return _finished(result, pending.defaults, start)

    def _run(self, plan: Plan, outcome: GradeResult | NeedsWorker, asking: StageStep | None = None) -> GradeResult:
        result = outcome if isinstance(outcome, GradeResult) else self._in_worker(plan, outcome)
        verifier = _verifier(plan)
        for _ in range(MAX_STAGES):
            plan, result, query, stage = asking or next_stage(self.models, plan, result)
            asking = None
            if query is None:
                return result
            try:
                answer = stage.ask(query)
            except Exception as exc:
                result = _model_failed(query, result, exc)
                if query.required and not query.keep_on_failure:
                    return result
                plan = _asked(plan, query.stage)
                continue
            follow_up = verifier.follow_up(plan, result, answer)
            if isinstance(follow_up, GradeResult):
                result, plan = follow_up, _asked(plan, query.stage)
                continue
            plan = _asked(follow_up, query.stage)
            result = verifier.settle(plan, result, self._grade(plan))
        return result

    def _grade(self, plan: Plan) -> GradeResult:
        outcome = grade_inline(plan)
        return outcome if isinstance(outcome, GradeResult) else self._in_worker(plan, outcome)

    def _in_worker(self, plan: Plan, outcome: NeedsWorker) -> GradeResult:
        budget = self.budget.of(plan.budget_seconds())
        try:
            return self.pool.run(grade_in_worker, (plan, budget), budget)
        except WorkerTimeout:
            return timeout_result(budget, outcome.extracted)
        except WorkerCrashed as exc:
            return crash_result(str(exc), outcome.extracted)
        except RuntimeError as exc:  # a pool the caller closed
            return GradeResult.failure(Status.INVALID_ARGUMENT, str(exc))


# --- the served driver ----------------------------------------------------------------

class ServedPipeline:
    """The same steps for an asyncio server: every plan runs in ``runtime``'s workers, model
    stages are awaited (batched across calls), and the loop only plans and merges."""

    def __init__(self, runtime: BatchRuntime, models: Models, budget: Budget) -> None:
        self.runtime = runtime
        self.models = models
        self.budget = budget

    async def grade(self, items: list[Mapping[str, Any] | GradeResult], defaults: Defaults) -> list[GradeResult]:
        """Results in item order; an item given as a GradeResult (refused by the transport) passes through.
        Raises ``Overloaded`` when the runtime's queue is full."""
        planned = [i if isinstance(i, GradeResult) else plan_item(i, defaults) for i in items]
        plans = {i: p for i, p in enumerate(planned) if isinstance(p, Plan)}
        results = dict(zip(plans, await self._grade(list(plans.values()))))
        open_items = set(plans)
        for _ in range(MAX_STAGES):  # each round asks one stage per item, batched across items
            asking = {}
            for i in sorted(open_items):
                try:
                    plans[i], results[i], query, stage = next_stage(self.models, plans[i], results[i])
                except Exception as exc:
                    results[i], query = _internal_error(exc), None
                if query is None:
                    open_items.discard(i)
                else:
                    asking[i] = (query, stage)
            if not asking:
                break
            follow_ups = await self._consult(plans, results, asking)
            regraded = await self._grade(list(follow_ups.values()))
            for i, second in zip(follow_ups, regraded):
                results[i] = _verifier(plans[i]).settle(follow_ups[i], results[i], second)
                plans[i] = follow_ups[i]
        out = [results.get(i, p) for i, p in enumerate(planned)]
        for result in out:
            result.reward = defaults.rewards.of(result)
        return out

    async def _consult(self, plans: dict[int, Plan], results: dict[int, GradeResult],
                       asking: dict[int, tuple[ModelQuery, Any]]) -> dict[int, Plan]:
        """Ask each item's model stage; final results go into ``results``, plans to grade come back."""
        waiting = {i: stage.ask_async(query) for i, (query, stage) in asking.items()}
        answers = dict(zip(waiting, await asyncio.gather(*waiting.values(), return_exceptions=True)))
        follow_ups = {}
        for i, answer in answers.items():
            query = asking[i][0]
            plans[i] = _asked(plans[i], query.stage)
            if isinstance(answer, Exception):
                results[i] = _model_failed(query, results[i], answer)
                continue
            try:
                nxt = _verifier(plans[i]).follow_up(plans[i], results[i], answer)
            except Exception as exc:
                results[i] = _internal_error(exc)
                continue
            if isinstance(nxt, GradeResult):
                results[i] = nxt
            else:
                follow_ups[i] = _asked(nxt, query.stage)
        return follow_ups

    async def _grade(self, plans: list[Plan]) -> list[GradeResult]:
        if not plans:
            return []
        budgets = [self.budget.of(plan.budget_seconds()) for plan in plans]
        outcomes = await self.runtime.run([((plan, seconds), seconds) for plan, seconds in zip(plans, budgets)])
        return [_from_outcome(o) for o in outcomes]


def _from_outcome(outcome: Any) -> GradeResult:
    if isinstance(outcome, CallTimedOut):
        return GradeResult.failure(Status.TIMEOUT, outcome.reason, method="timeout")
    if isinstance(outcome, CallFailed):
        return crash_result(outcome.reason)
    return outcome


def new_runtime(workers: int | None = None, **kw: Any) -> BatchRuntime:
    """A batch runtime whose workers grade plans (``grade_in_worker``) after the verifiers' warm-up."""
    return BatchRuntime(grade_in_worker, workers, warm_up=WARM_UP, **kw)
