"""The verifier protocol: what a family implements to plug into the pipeline.

A verifier turns a validated :class:`~grader.types.Item` and its options into
a typed :class:`Plan` once (``prepare``), then grades the plan with a pure
function (``grade``). Its ``placement`` declares where grading may go:

- ``INLINE``: always cheap and bounded; graded on the caller's thread.
- ``WORKER``: tried inline first; ``grade`` raises :class:`NeedsWorker` when
  the rest may not finish (sympy on hostile input), and the pipeline runs the
  plan again in a killable worker process with ``in_worker=True``.
- ``SANDBOX``: untrusted code, to run only in the code sandbox (the code
  family's issue; no verifier declares it yet).

In-process, the pipeline grades inline and escalates on ``NeedsWorker``; the
server grades every plan in its worker processes, whatever the placement, so
its event loop never grades.

A verifier may also consult a model stage after its first verdict
(``consult`` returns a :class:`ModelQuery`; ``follow_up`` turns the model's
answer into a new plan or a final result), which the pipeline batches across
concurrent items.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterator, Mapping

from ..types import GradeResult, Item
from .options import Options


class Placement(str, enum.Enum):
    INLINE = "inline"
    WORKER = "worker"
    SANDBOX = "sandbox"


class NeedsWorker(Exception):
    """Raised by an inline ``grade`` whose plan must finish in a killable worker. ``extracted``
    is the evidence found so far, for the result should the worker run out of time."""

    extracted: str = ""


class InvalidItem(ValueError):
    """The item cannot be graded as given (INVALID_ARGUMENT with this reason)."""


@dataclass(frozen=True)
class Plan:
    """An item made ready to grade: its verifier, the item and its typed options.

    Plans cross process boundaries (they are pickled to workers), so they hold
    data only. A family subclasses it to carry what it prepared. The time
    budget is the driver's (``grader.pipeline.Budget``), from ``options.timeout``.
    """

    verifier: str
    item: Item
    options: Options
    consulted: frozenset[str] = field(default=frozenset(), kw_only=True)  # model stages already asked
    granted_seconds: float | None = field(default=None, kw_only=True)  # set by the driver: the budget it enforces

    def budget_seconds(self) -> float | None:
        """Seconds the item asks for, None for the driver's default; a family may derive it."""
        return self.options.timeout

    def seconds(self, fallback: float) -> float:
        """Seconds the item's work may plan for: what the driver grants (its default, the item's ask
        capped by ``--max-item-timeout``, or what is left of a grader item's budget), never more than
        the item asks; else what it asks, else ``fallback``. A sandbox sized by this ends, and reports
        what finished, before the driver kills its worker."""
        asked = self.budget_seconds()
        if self.granted_seconds is None:
            return fallback if asked is None else asked
        return self.granted_seconds if asked is None else min(self.granted_seconds, asked)


@dataclass(frozen=True)
class ModelQuery:
    """A question for a model stage (``stage`` names it, e.g. ``extractor``).

    ``required``: without that stage the item is INVALID_ARGUMENT, else the
    first verdict stands. ``by_default``: the item did not ask for the model,
    so it is asked only where the stage's pipeline asks by default (where a
    forward pass is cheap: an accelerator); elsewhere the first verdict stands.
    ``question``: the question ``text`` answers (the item's prompt, bounded), for a
    stage that reads it with the text; None when the item has none. ``reference``: what
    the answer is judged against (the judge stage). ``keep_on_failure``: a stage that fails or
    times out leaves the first verdict standing, even when ``required`` (the judge).
    ``response_tail``: ``text`` is the end of the response, not an extracted answer (nothing was
    extracted); a judge trained on answers alone declines it.
    """

    stage: str
    text: str
    required: bool = False
    by_default: bool = False
    question: str | None = None
    reference: str | None = None
    keep_on_failure: bool = False
    response_tail: bool = False

    def withheld(self) -> str:
        """Why this query must not reach its stage after all, or empty. Asked only where the stage is
        loaded, so a costly check (the judge's hack guard) costs nothing where there is no such stage."""
        return ""


@dataclass(frozen=True)
class FuzzItem:
    """A generated item for the fuzz and property tests."""

    response: str
    reference: str | list[str]
    options: Mapping[str, Any]


class Verifier:
    """Base class of a verifier family; register instances with ``grader.verifiers.register``."""

    name: ClassVar[str]
    description: ClassVar[str]
    options_type: ClassVar[type[Options]] = Options
    placement: ClassVar[Placement] = Placement.INLINE

    def supports(self) -> tuple[str, ...]:
        """What the family checks, where that is a closed list (ifeval: its instruction ids)."""
        return ()

    def route(self, options: Mapping[str, Any]) -> str:
        """The registered verifier that grades an item with these options: this one, unless
        another grader's configuration for this kind of item names another (see math)."""
        return self.name

    def prepare(self, item: Item, options: Mapping[str, Any]) -> Plan:
        """Validate once into a plan; raise InvalidItem (or ValueError from the options) when it cannot be graded."""
        return Plan(self.name, item, self.options_type.from_mapping(options))

    def grade(self, plan: Plan, *, in_worker: bool) -> GradeResult:
        """The verdict on a plan: pure, no I/O. Inline, may raise NeedsWorker where placement is WORKER."""
        raise NotImplementedError

    def consult(self, plan: Plan, result: GradeResult) -> ModelQuery | None:
        """A model stage to ask after the first verdict, or None when the verdict is final."""
        return None

    def follow_up(self, plan: Plan, result: GradeResult, answer: Any) -> Plan | GradeResult:
        """The model's answer (None when it had none) as a plan to grade, or the final result."""
        return result

    def settle(self, follow_up: Plan, first: GradeResult, second: GradeResult) -> GradeResult:
        """The verdict after a follow-up plan was graded (``second`` may be a TIMEOUT or a crash)."""
        return second

    def warm_up(self) -> Iterator[Plan]:
        """Plans a fresh worker grades before its first real item, to pay first-use costs early."""
        return iter(())

    def fuzz_items(self, rng: random.Random) -> Iterator[FuzzItem]:
        """Endless generated items of this family, for ``make fuzz`` and the property tests."""
        return iter(())
