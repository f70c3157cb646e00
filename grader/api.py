"""The in-process API: ``grade`` and ``grade_many``, on the pipeline (``grader.pipeline``).

Cheap verdicts run on the calling thread; anything that may not finish (sympy
on hostile input) runs in a worker process that is killed when it exceeds the
item's time budget.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable, Mapping, cast

from .execution.workers import WorkerPool
from .pipeline import DEFAULTS, Defaults, Models, ModelStage, Pipeline
from .rewards import Rewards
from .types import GradeResult


_PIPELINE = Pipeline()  # the default pool and models, both resolved on first use


def _pipeline(pool: WorkerPool | None, extractor: ModelStage | None, judge: ModelStage | None = None) -> Pipeline:
    if pool is None and extractor is None and judge is None:
        return _PIPELINE
    models = Models(judge=judge) if extractor is None else Models(extractor, judge)
    return Pipeline(pool, models)


def _defaults(rewards: Rewards | Mapping[str, float] | None) -> Defaults:
    if rewards is None:
        return DEFAULTS
    return Defaults(rewards=rewards if isinstance(rewards, Rewards) else Rewards.from_mapping(rewards))


def grade(response: str, reference: str | list[str], *, verifier: str = "math", prompt: str = "",
          rewards: Rewards | Mapping[str, float] | None = None, pool: WorkerPool | None = None,
          extractor: ModelStage | None = None, judge_service: ModelStage | None = None,
          **options: Any) -> GradeResult:
    """Grade one response against a reference (or a list of references: any match counts).

    Never raises for bad input: the result's ``status`` says what went wrong
    (``NO_ANSWER``, ``PARSE_ERROR``, ``TIMEOUT``, ``INVALID_ARGUMENT``).
    ``rewards`` shapes ``result.reward`` (``grader.Rewards`` or a mapping);
    ``extractor`` overrides the default LM extractor service (see ``grader.lm``); ``judge_service``
    is a judge (``grader.lm.judge.load_judge``) that math rule misses go to (option ``judge``).
    """
    fields = {"response": response, "reference": reference, "verifier": verifier, "options": options,
              "prompt": prompt}
    return _pipeline(pool, extractor, judge_service).grade(fields, _defaults(rewards))


def grade_many(items: Iterable[Mapping[str, Any]], *, max_concurrency: int | None = None,
               rewards: Rewards | Mapping[str, float] | None = None, pool: WorkerPool | None = None,
               extractor: ModelStage | None = None,
               judge_service: ModelStage | None = None) -> list[GradeResult]:
    """Grade many items (mappings with ``response``, ``reference``, optional
    ``verifier``, ``options`` and ``prompt``); results come back in the same order."""
    items = list(items)
    pipeline = _pipeline(pool, extractor, judge_service)
    defaults = _defaults(rewards)
    # Most items finish on this thread; threads only help the rest overlap their waits on workers and models.
    here = [pipeline.grade_here(item, defaults) for item in items]
    pending = [k for k, result in enumerate(here) if not isinstance(result, GradeResult)]
    results: list[Any] = list(here)
    if pending:
        workers = min(max_concurrency or pipeline.pool.max_workers, len(pending))
        if workers <= 1:
            finished = [pipeline.finish(here[k]) for k in pending]  # type: ignore[arg-type]
        else:
            with ThreadPoolExecutor(max_workers=workers) as ex:
                finished = list(ex.map(lambda k: pipeline.finish(here[k]), pending))  # type: ignore[arg-type]
        for k, result in zip(pending, finished):
            results[k] = result
    return cast(list[GradeResult], results)
