"""The verifier protocol and its registry: a family is one class and one registration, and the
pipeline, CLI and docs read the registry; options are parsed once; rewards and checks in-process."""

from __future__ import annotations

import dataclasses
import json
import pathlib
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest

import grader
from grader import Check, GradeResult, Rewards, Status, verifiers
from grader.cli import main as cli_main
from grader.pipeline import Budget, Defaults, grade_in_worker, grade_inline, plan_item
from grader.verifiers import NeedsWorker, Plan, Verifier
from grader.verifiers.options import Options, option, strings

README = (pathlib.Path(__file__).resolve().parents[2] / "README.md").read_text()


@pytest.mark.parametrize("verifier", verifiers.all_verifiers(), ids=lambda v: v.name)
def test_every_registered_verifier_describes_itself(verifier):
    assert verifier.name and verifier.description.endswith(".")
    for name, field in verifier.options_type.fields().items():
        assert field.metadata.get("help"), f"{verifier.name}: option {name!r} has no help text"
    assert verifiers.get(verifier.name) is verifier


def test_the_readmes_verifier_table_is_the_registrys(capsys):
    """The table is generated (``grader verifiers``); the README must carry it as it is now."""
    assert verifiers.markdown_table() in README, "paste the output of `grader verifiers` into the README"
    assert cli_main(["verifiers"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed.startswith(verifiers.markdown_table())
    # Then what each family supports, where it is a closed list: ifeval's instruction ids.
    assert "`ifeval` supports 113: keywords:existence," in printed and "repeat:repeat_span" in printed


# --- a new family: one class, one registration ----------------------------------------

@dataclass(frozen=True)
class WordsOptions(Options):
    words: tuple[str, ...] = option((), strings, "words the response must contain")


class MentionsWords(Verifier):
    """A toy family: one check per required word; the score is the share found."""

    name: ClassVar[str] = "mentions_words"
    description: ClassVar[str] = "Checks that the response mentions each required word."
    options_type = WordsOptions

    def grade(self, plan: Plan, *, in_worker: bool) -> GradeResult:
        text = plan.item.response.lower()
        checks = [Check(w, w.lower() in text, float(w.lower() in text), "" if w.lower() in text else f"no {w!r}")
                  for w in plan.options.words]
        score = sum(c.score for c in checks) / len(checks) if checks else 1.0
        return GradeResult(score == 1.0, score, Status.OK, method="mentions_words", checks=checks)


@pytest.fixture
def toy_family(monkeypatch):
    registry = dict(verifiers._REGISTRY)
    monkeypatch.setattr(verifiers, "_REGISTRY", registry)
    return verifiers.register(MentionsWords())


def test_a_registered_family_grades_through_every_entry_point(toy_family, tmp_path, capsys):
    options = {"words": ["cat", "dog", "owl", "eel"]}
    result = grader.grade("A cat and a dog.", "unused", verifier="mentions_words", **options)
    assert (result.status, result.correct, result.score) == (Status.OK, False, 0.5)
    assert [(c.name, c.passed) for c in result.checks] == [("cat", True), ("dog", True), ("owl", False),
                                                          ("eel", False)]
    assert result.reward == 0.5  # the reward follows a fractional score
    assert grader.grade("cat dog owl eel", "x", verifier="mentions_words", rewards={"correct": 2}, **options).reward == 2

    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"response": "owl", "reference": "x", "options": options}) + "\n")
    out = tmp_path / "out.jsonl"
    assert cli_main(["grade", str(source), "-o", str(out), "--verifier", "mentions_words", "--no-progress"]) == 0
    row = json.loads(out.read_text())
    assert row["checks"][2] == {"name": "owl", "passed": True, "score": 1.0, "reason": ""}
    assert row["score"] == 0.25 and row["reward"] == 0.25
    assert cli_main(["grade", "--help"]) == 0
    assert "mentions_words" in capsys.readouterr().out


def test_an_unregistered_verifier_is_invalid_and_names_the_registered_ones():
    result = grader.grade("x", "x", verifier="mentions_words")
    assert result.status is Status.INVALID_ARGUMENT
    assert all(name in result.reason for name in verifiers.names())


def test_registering_a_name_twice_is_refused():
    with pytest.raises(ValueError, match="already registered"):
        verifiers.register(type(verifiers.get("exact"))())


# --- options: parsed once, by the verifier ----------------------------------------------

def test_math_verify_option_names_reach_the_plan():
    plan = plan_item({"response": "1", "reference": "1", "options": {"timeout_seconds": 1, "float_rounding": 3,
                                                                     "allow_set_relation_comp": False}})
    assert isinstance(plan, Plan)
    assert (plan.options.timeout, plan.options.precision, plan.options.allow_set_relation) == (1.0, 3, False)


def test_the_budget_comes_from_the_caller_unless_the_item_asks_and_is_capped():
    fields = {"response": "1", "reference": "1"}
    budget = Budget(default=7, maximum=30)
    assert budget.of(plan_item(fields).options.timeout) == 7
    assert budget.of(plan_item({**fields, "options": {"timeout": 60}}).options.timeout) == 30
    nested = {**fields, "options": {"config": {"timeout_seconds": 2}}, "verifier": "multiple_choice"}
    assert plan_item(nested).options.timeout == 2
    assert Budget(default=100, maximum=60).of(None) == 60  # the caller's default is capped too
    refused = plan_item({**nested, "verifier": "exact"})  # exact reads no Math-Verify config
    assert isinstance(refused, GradeResult) and "config" in refused.reason


def test_a_plan_sizes_its_work_by_the_budget_its_driver_grants():
    """A sandbox sized by the item's own ask would outlive a worker killed at the server's cap."""
    code = {"response": "```python\nprint(1)\n```", "reference": json.dumps({"inputs": ["1\n"], "outputs": ["1\n"]}),
            "verifier": "code", "options": {"budget": 30}}
    plan = plan_item(code)
    assert isinstance(plan, Plan) and plan.seconds(60) == 30  # no driver yet: what the item asks
    granted = dataclasses.replace(plan, granted_seconds=3.0)  # what grade_in_worker makes of (plan, 3.0)
    assert granted.seconds(60) == 3 and granted.budget_seconds() == 30
    assert plan_item({"response": "1", "reference": "1"}).seconds(5) == 5  # nothing asked, nothing granted
    # A grader item grants its code sub-grader what is left of its own budget: never more than the code asks.
    assert dataclasses.replace(plan, granted_seconds=45.0).seconds(60) == 30
    assert dataclasses.replace(plan_item({**code, "options": {"budget": 2}}), granted_seconds=29.0).seconds(60) == 2


def test_an_items_option_beats_a_default_given_under_another_name():
    defaults = Defaults(options={"timeout_seconds": 2, "float_rounding": 3})
    plan = plan_item({"response": "1", "reference": "1", "options": {"timeout": 9, "precision": 4}}, defaults)
    assert (plan.options.timeout, plan.options.precision) == (9.0, 4)
    both = plan_item({"response": "1", "reference": "1", "options": {"timeout": 9, "timeout_seconds": 2}})
    assert isinstance(both, GradeResult) and "twice" in both.reason


def test_a_default_option_no_verifier_knows_is_a_typo():
    result = plan_item({"response": "1", "reference": "1"}, Defaults(options={"precison": 3}))
    assert isinstance(result, GradeResult) and "precison" in result.reason


def test_a_config_option_routes_math_to_multiple_choice():
    plan = plan_item({"response": "(B)", "reference": "B", "options": {"config": {"strings": ["A", "B"]}}})
    assert plan.verifier == "multiple_choice" and plan.options.choices == ("A", "B")
    for not_an_object in ([1], "strings"):  # was "Unknown option 'config'", though config is known
        refused = plan_item({"response": "(B)", "reference": "B", "options": {"config": not_an_object}})
        assert isinstance(refused, GradeResult) and "'config' must be an object" in refused.reason


def test_options_of_another_verifier_are_invalid_for_an_item_and_skipped_as_request_defaults():
    item = {"response": "(B)", "reference": "B", "verifier": "multiple_choice"}
    refused = plan_item({**item, "options": {"precision": 3}})
    assert isinstance(refused, GradeResult) and refused.status is Status.INVALID_ARGUMENT
    assert "precision" in refused.reason and "choices" in refused.reason
    planned = plan_item(item, Defaults(options={"precision": 3, "lowercase": False}))
    assert isinstance(planned, Plan) and planned.options.lowercase is False


@pytest.mark.parametrize("fields,words", [
    ({"reference": "1"}, "response"),
    ({"response": 1, "reference": "1"}, "response"),
    ({"response": "1", "reference": [1]}, "reference"),
    ({"response": "1", "reference": "  "}, "empty"),
    ({"response": "1", "reference": "1", "options": [1]}, "options"),
    ({"response": "1", "reference": "1", "options": {"percent": "sometimes"}}, "percent"),
])
def test_bad_fields_are_invalid_with_a_reason_naming_them(fields, words):
    result = plan_item(fields)
    assert isinstance(result, GradeResult) and result.status is Status.INVALID_ARGUMENT
    assert words in result.reason and result.reason.endswith(".")


# --- rewards, in-process as on the server ---------------------------------------------------

def test_rewards_in_process():
    rewards = {"correct": 10.0, "incorrect": -1.0, "no_answer": -2.0}
    assert grader.grade(r"\boxed{1}", "1", rewards=rewards).reward == 10.0
    assert grader.grade(r"\boxed{2}", "1", rewards=rewards).reward == -1.0
    assert grader.grade("no idea", "1", rewards=rewards).reward == -2.0
    assert grader.grade("1", "", rewards=rewards).reward == -1.0  # INVALID_ARGUMENT takes `incorrect`
    assert [r.reward for r in grader.grade_many([{"response": "1", "reference": "1"}] * 2, rewards=Rewards(3))] == [3, 3]
    with pytest.raises(ValueError, match="bonus"):
        Rewards.from_mapping({"bonus": 1})
    for not_finite in (float("inf"), float("nan"), 10 ** 400, 1e101):  # would poison a trainer's loss
        with pytest.raises(ValueError, match="finite number"):
            Rewards.from_mapping({"correct": not_finite})
    assert Rewards.from_mapping({"correct": 1e100, "incorrect": -1e100}).of(grader.grade("1", "1")) == 1e100


# --- where a plan runs ------------------------------------------------------------------------

def test_worker_warm_up_plans_exercise_sympy():
    """grader.algebra decides plain radicals inline: warm-up plans must still reach sympy,
    or a worker's first real item pays for importing it."""
    plans = [plan for v in verifiers.all_verifiers() for plan in v.warm_up()]
    assert plans
    for plan in plans:
        assert isinstance(grade_inline(plan), NeedsWorker), plan.item  # inline, it needs a worker
        assert grade_in_worker(plan).correct, plan.item


def test_a_bug_in_a_verifier_costs_one_item(toy_family, monkeypatch):
    def broken(self: Any, plan: Plan, *, in_worker: bool) -> GradeResult:
        raise KeyError("bug")

    monkeypatch.setattr(MentionsWords, "grade", broken)
    results = grader.grade_many([{"response": "a", "reference": "a", "verifier": "mentions_words"},
                                 {"response": "1", "reference": "1"}])
    assert results[0].status is Status.PARSE_ERROR and "Internal error" in results[0].reason
    assert results[1].correct


def test_an_item_too_deep_for_its_verifier_to_read_is_invalid_not_an_exception(toy_family, monkeypatch):
    def too_deep(self: Any, *args: Any) -> Plan:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(MentionsWords, "prepare", too_deep)
    results = grader.grade_many([{"response": "a", "reference": "a", "verifier": "mentions_words"},
                                 {"response": "1", "reference": "1"}])
    assert results[0].status is Status.INVALID_ARGUMENT and "nested too deeply" in results[0].reason
    assert results[1].correct
