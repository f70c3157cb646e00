"""verl: ``reward.custom_reward_function.path`` = this file's module, ``name`` = ``compute_score``.

``compute_score(data_source, solution_str, ground_truth, extra_info=None, **kw)`` returns
``{"score", "acc", "pred", "status", "method"}`` so verl logs the extra keys; ``compute_score_async``
is the same as a coroutine, and ``compute_score_batch`` grades lists in one call for batch
reward managers. ``data_source`` picks the verifier (``DATA_SOURCES``; extend it with
``register_data_source``, or pass ``verifier=`` in ``extra_info``); unknown sources are math.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

# Absolute imports: verl loads reward.custom_reward_function.path as a bare file (no parent package).
from grader.integrations.backend import Backend, same_length
from grader.types import GradeResult, Status

DATA_SOURCES: dict[str, str] = {
    "openai/gsm8k": "math", "lighteval/MATH": "math", "DigitalLearningGmbH/MATH-lighteval": "math",
    "HuggingFaceH4/MATH-500": "math", "math_dapo": "math", "aime": "math",
    "google/IFEval": "ifeval", "allenai/RLVR-IFeval": "ifeval", "allenai/IF_multi_constraints_upto5": "ifeval",
    "allenai/IFBench_test": "ifeval",
    "openai_humaneval": "code", "openai/openai_humaneval": "code", "mbpp": "code", "google-research-datasets/mbpp": "code",
    "codecontests": "code", "apps": "code", "codeparrot/apps": "code", "taco": "code", "BAAI/TACO": "code",
    "livecodebench": "code", "primeintellect": "code",
    "searchR1_": "qa",  # verl's search-R1 sets (searchR1_nq, _hotpotqa...): search_r1_like_qa_em's exact match
}
_BACKEND = Backend()


def register_data_source(name: str, verifier: str) -> None:
    """Route ``data_source == name`` (or starting with ``name``) to ``verifier``."""
    DATA_SOURCES[name] = verifier


def verifier_for(data_source: str, extra_info: Any = None) -> str:
    if isinstance(extra_info, dict) and isinstance(extra_info.get("verifier"), str):
        return extra_info["verifier"]
    if not isinstance(data_source, str):
        return "math"
    if data_source in DATA_SOURCES:
        return DATA_SOURCES[data_source]
    for name, verifier in sorted(DATA_SOURCES.items(), key=lambda kv: -len(kv[0])):
        if data_source.startswith(name) or data_source.lower().startswith(name.lower()):
            return verifier
    return "math"


def _item(data_source: str, solution_str: str, ground_truth: Any, extra_info: Any) -> dict[str, Any]:
    if hasattr(ground_truth, "tolist"):  # numpy: a Parquet list column arrives as an array, a number as np.int64
        ground_truth = ground_truth.tolist()
    if ground_truth is None:  # no label: INVALID_ARGUMENT ("reference is empty"), never the reference "null"
        reference: Any = ""
    else:
        reference = ground_truth if isinstance(ground_truth, (str, list)) else json.dumps(ground_truth, default=str)
    prompt = extra_info.get("question", "") if isinstance(extra_info, dict) else ""
    return {"response": solution_str, "reference": reference, "verifier": verifier_for(data_source, extra_info),
            "prompt": prompt if isinstance(prompt, str) else ""}


def _score(result: GradeResult) -> dict[str, Any]:
    return {"score": result.reward, "acc": float(result.correct), "pred": result.extracted,
            "status": result.status.value, "method": result.method, "graded": result.status is Status.OK}


def compute_score(data_source: str, solution_str: str, ground_truth: Any, extra_info: Any = None,
                  **kwargs: Any) -> dict[str, Any]:
    return _score(_BACKEND.grade([_item(data_source, solution_str, ground_truth, extra_info)])[0])


async def compute_score_async(data_source: str, solution_str: str, ground_truth: Any, extra_info: Any = None,
                              **kwargs: Any) -> dict[str, Any]:
    return _score((await _BACKEND.agrade([_item(data_source, solution_str, ground_truth, extra_info)]))[0])


def compute_score_batch(data_sources: Sequence[str], solution_strs: Sequence[str], ground_truths: Sequence[Any],
                        extra_infos: Sequence[Any] | None = None, **kwargs: Any) -> list[dict[str, Any]]:
    extras = list(extra_infos) if extra_infos is not None else [None] * len(solution_strs)
    same_length("compute_score_batch", data_sources=data_sources, solution_strs=solution_strs,
                ground_truths=ground_truths, extra_infos=extras)
    items = [_item(*row) for row in zip(data_sources, solution_strs, ground_truths, extras)]
    return [_score(r) for r in _BACKEND.grade(items)]
