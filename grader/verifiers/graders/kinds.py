"""The grader types, one class each, looked up by the config's ``type``.

A type validates its config once (``validate``, raising ``InvalidItem`` that names the field,
e.g. ``options.grader.graders.city.operation``) and scores a sample (``score``). ``multi`` runs others
through ``run``. Adding a type: a module with a ``GraderKind`` subclass, registered by
``register`` and imported from ``graders/__init__.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping

from ...types import Check, Item
from ..base import InvalidItem
from .variables import check, template_strings

COMMON_FIELDS = frozenset({"type", "name", "pass_threshold"})


@dataclass(frozen=True)
class Sample:
    """What templates read: ``sample.*`` (the response) and ``item.*`` (the dataset item); for the
    model graders the judge's answers (by ``models.answer_key``), for python graders their limits;
    ``graded``: the item itself (all its references, for types whose reference defaults to them);
    ``references``: what ``{{item.reference}}`` stands for where the item has several (string_check and
    text_similarity score each and keep the best); ``in_worker``: grading runs in a killable worker (a
    ``verifier`` sub-grader may then finish what raised ``NeedsWorker``)."""

    namespace: Mapping[str, Any]
    answers: Mapping[str, Any] = field(default_factory=dict)
    limits: Any = None  # python.PythonLimits, set in a worker
    graded: Item | None = None
    in_worker: bool = False
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scored:
    """A grader's score and its evidence (one check per sub-grader for ``multi``)."""

    score: float
    checks: list[Check] = field(default_factory=list)


class GraderKind:
    """One grader type. ``fields``: the config keys it takes besides ``type``, ``name`` and ``pass_threshold``."""

    type: ClassVar[str]
    fields: ClassVar[frozenset[str]] = frozenset()
    pass_threshold: ClassVar[float] = 1.0  # where the config gives none (length: 0, no penalty, passes)

    def validate(self, config: Mapping[str, Any], where: str, depth: int) -> None:
        """Raise InvalidItem naming the field (``where`` is the config's own path) if the config is wrong."""

    def score(self, config: Mapping[str, Any], sample: Sample) -> Scored:
        raise NotImplementedError


KINDS: dict[str, GraderKind] = {}


def register(kind: GraderKind) -> GraderKind:
    KINDS[kind.type] = kind
    return kind


def validate(config: Any, where: str = "options.grader", depth: int = 0) -> None:
    """Check a config and its sub-configs; InvalidItem naming the first wrong field."""
    if not isinstance(config, dict) or not isinstance(config.get("type"), str):
        raise field_error(where, "must be a JSON object with a 'type' (a grader config)")
    kind = KINDS.get(config["type"])
    if kind is None:
        raise field_error(f"{where}.type", f"unknown grader type {config['type']!r}; known: {', '.join(KINDS)}")
    unknown = sorted(set(config) - COMMON_FIELDS - kind.fields)
    if unknown:
        raise field_error(f"{where}.{unknown[0]}", f"unknown field of a {kind.type} grader "
                          f"(it takes {', '.join(sorted(kind.fields | COMMON_FIELDS))})")
    threshold = config.get("pass_threshold", 1.0)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or (
            isinstance(threshold, float) and not math.isfinite(threshold)):  # -inf would pass every response
        raise field_error(f"{where}.pass_threshold", "must be a finite number")
    if "name" in config and not isinstance(config["name"], str):
        raise field_error(f"{where}.name", "must be a string")
    kind.validate(config, where, depth)
    for field, template in template_strings(config, where):
        check(template, field)


def run(config: Mapping[str, Any], sample: Sample) -> Scored:
    """The score of a validated config on a sample."""
    return KINDS[config["type"]].score(config, sample)


def field_error(where: str, message: str) -> InvalidItem:
    """A config error that names its field: ``must be a number (options.grader.pass_threshold)``."""
    return InvalidItem(f"{message} ({where})")


def threshold(config: Mapping[str, Any]) -> float:
    """The config's ``pass_threshold``, else its type's default (1, or 0 for ``length``)."""
    return config.get("pass_threshold", KINDS[config["type"]].pass_threshold)


def passes(config: Mapping[str, Any], score: float) -> bool:
    return score >= threshold(config)


def strings(config: Mapping[str, Any], where: str, *keys: str) -> None:
    """Each key is present and a string (a template)."""
    for key in keys:
        if not isinstance(config.get(key), str):
            raise field_error(f"{where}.{key}",
                              f"a {config['type']} grader needs '{key}' (a string, templates allowed)")
