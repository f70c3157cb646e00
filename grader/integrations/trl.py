"""TRL: ``GRPOTrainer(reward_funcs=[GraderReward()])``.

Called as TRL calls reward functions, ``(prompts, completions, completion_ids, **columns)``,
with standard (strings) or conversational (message lists) completions, it grades the
whole batch in one call and returns one reward per completion, ``None`` where the item
could not be scored (INVALID_ARGUMENT, TIMEOUT, or the server unreachable), never a silent 0.
The reference comes from a dataset column (``reference``, else ``answer``, ``solution``,
``ground_truth``), the verifier from the ``verifier`` column or the constructor. Counts
per verifier and status go to TRL's ``log_metric`` / ``log_extra`` when it passes them.
Instances pickle without their channel (TRL's async trainer sends reward functions to
another process) and reconnect on first use.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from typing import Any, Mapping, Sequence

from ..types import GradeResult
from .backend import Backend, reward_or_none

log = logging.getLogger("grader.integrations")
REFERENCE_COLUMNS = ("reference", "answer", "solution", "ground_truth")


class _GraderRewardBase:
    def __init__(self, verifier: str = "math", *, target: str | Sequence[str] | None = None,
                 reference_column: str | None = None, verifier_column: str = "verifier",
                 options: Mapping[str, Any] | None = None, token: str | None = None, timeout: float = 120.0,
                 name: str = "grader") -> None:
        self.verifier, self.reference_column, self.verifier_column = verifier, reference_column, verifier_column
        self.options = dict(options or {})
        self.backend = Backend(target, token=token, timeout=timeout)
        self.__name__ = name  # TRL names the reward's logged columns after it

    def items(self, prompts: Sequence[Any], completions: Sequence[Any], columns: Mapping[str, Any]) -> list[dict]:
        references = self._references(columns, len(completions))
        verifiers = columns.get(self.verifier_column)
        if verifiers is not None:
            verifiers = _one_per_completion(list(verifiers), self.verifier_column, len(completions))
        return [{"response": completion_text(c), "reference": references[i],
                 "verifier": (verifiers[i] if verifiers is not None and verifiers[i] else self.verifier),
                 "prompt": completion_text(prompts[i]) if i < len(prompts) else "", "options": self.options}
                for i, c in enumerate(completions)]

    def _references(self, columns: Mapping[str, Any], n: int) -> list[Any]:
        names = (self.reference_column,) if self.reference_column else REFERENCE_COLUMNS
        for name in names:
            if columns.get(name) is not None:
                return _one_per_completion(list(columns[name]), name, n)
        raise KeyError(f"no reference column: the dataset needs one of {', '.join(names)}")

    def rewards(self, results: Sequence[GradeResult], items: Sequence[Mapping[str, Any]],
                columns: Mapping[str, Any]) -> list[float | None]:
        log_metric, log_extra = columns.get("log_metric"), columns.get("log_extra")
        if callable(log_metric):
            counts = collections.Counter((i["verifier"], r.status.value) for i, r in zip(items, results))
            for (verifier, status), count in counts.items():
                log_metric(f"grader/{verifier}/{status.lower()}", count / len(results))
        if callable(log_extra):
            log_extra("grader_method", [r.method for r in results])
            log_extra("grader_extracted", [r.extracted for r in results])
        return [reward_or_none(r) for r in results]


class GraderReward(_GraderRewardBase):
    """A blocking reward function."""

    def __call__(self, prompts: Sequence[Any], completions: Sequence[Any], completion_ids: Any = None,
                 **columns: Any) -> list[float | None]:
        items = self.items(prompts, completions, columns)
        try:
            results = self.backend.grade(items)
        except Exception as exc:  # noqa: BLE001 - a server error leaves the batch unscored, not zero
            return _unscored(items, exc)
        return self.rewards(results, items, columns)


class AsyncGraderReward(_GraderRewardBase):
    """An ``async`` reward function (TRL awaits coroutine reward functions)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._is_coroutine = getattr(asyncio.coroutines, "_is_coroutine", None)  # asyncio.iscoroutinefunction(self)

    async def __call__(self, prompts: Sequence[Any], completions: Sequence[Any], completion_ids: Any = None,
                       **columns: Any) -> list[float | None]:
        items = self.items(prompts, completions, columns)
        try:
            results = await self.backend.agrade(items)
        except Exception as exc:  # noqa: BLE001
            return _unscored(items, exc)
        return self.rewards(results, items, columns)


def _one_per_completion(values: list[Any], column: str, n: int) -> list[Any]:
    if len(values) != n:
        raise ValueError(f"column {column!r} has {len(values)} values for {n} completions")
    return values


def _unscored(items: Sequence[Any], exc: Exception) -> list[None]:
    """None for every item (TRL leaves them out of the reward), with the reason in the log, not swallowed."""
    log.warning("grader: a batch of %d completions was not graded (%s: %s); their rewards are None",
                len(items), type(exc).__name__, exc)
    return [None] * len(items)


def completion_text(value: Any) -> str:
    """A completion's text: a string, or a conversation's last assistant message (or last message)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value:
        messages = [m for m in value if isinstance(m, dict)]
        assistant = [m for m in messages if m.get("role") == "assistant"] or messages
        content = assistant[-1].get("content", "") if assistant else ""
        if isinstance(content, list):  # content parts
            return "".join(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
        return content if isinstance(content, str) else ""
    return ""
