"""The grader verifier: OpenAI-style string_check, text_similarity and multi configs, templates,
and the formula reader that must never evaluate anything but arithmetic."""

from __future__ import annotations

import json

import pytest

import grader
from grader import Status
from grader.verifiers.graders import render, similarity

SAMPLE = "{{sample.output_text}}"


def run(response: str, config: dict, reference: str = "ref", **options) -> grader.GradeResult:
    return grader.grade(response, reference, verifier="grader", grader=config, **options)


@pytest.mark.parametrize("operation,response,passed", [
    ("eq", "Paris", True), ("eq", "paris", False), ("ne", "Rome", True), ("ne", "Paris", False),
    ("like", "It is Paris.", True), ("like", "It is paris.", False), ("ilike", "It is PARIS.", True),
    ("ilike", "It is Rome.", False),
])
def test_string_check(operation, response, passed):
    config = {"type": "string_check", "input": SAMPLE, "reference": "{{item.reference}}", "operation": operation}
    result = run(response, config, "Paris")
    assert result.status is Status.OK and result.correct is passed and result.score == float(passed)
    assert result.method == "grader+string_check"


@pytest.mark.parametrize("metric,expected", [
    ("fuzzy_match", 0.9524), ("bleu", 0.7165), ("gleu", 0.6), ("rouge_1", 0.8571), ("rouge_l", 0.8571),
    ("rouge_2", 0.8),
])
def test_text_similarity_metrics(metric, expected):
    reference, text = ("hello world", "hello wrld") if metric == "fuzzy_match" else ("the cat sat on", "the cat sat")
    assert similarity(metric, text, reference) == pytest.approx(expected, abs=1e-3)


def test_text_similarity_pass_threshold_and_item_fields():
    config = {"type": "text_similarity", "input": SAMPLE, "reference": "{{item.answer}}",
              "evaluation_metric": "rouge_l", "pass_threshold": 0.8}
    assert run("the cat sat", config, item={"answer": "the cat sat"}).correct
    low = run("a dog ran", config, item={"answer": "the cat sat"})
    assert not low.correct and low.score == 0.0 and "below the pass threshold" in low.reason


def test_multi_combines_named_scores_with_a_formula():
    config = {"type": "multi", "pass_threshold": 0.7, "calculate_output": "0.5 * name + 0.5 * min(city, 1)",
              "graders": {"name": {"type": "string_check", "input": "{{sample.output_json.name}}",
                                   "reference": "Ada", "operation": "eq"},
                          "city": {"type": "string_check", "input": "{{sample.output_json.city}}",
                                   "reference": "{{item.city}}", "operation": "ilike"}}}
    result = run(json.dumps({"name": "Ada", "city": "LONDON"}), config, item={"city": "london"})
    assert result.correct and result.score == 1.0 and [c.name for c in result.checks] == ["name", "city"]
    half = run(json.dumps({"name": "Bob", "city": "London"}), config, item={"city": "london"})
    assert half.score == 0.5 and not half.correct


def test_templates():
    namespace = {"sample": {"output_text": "hi", "output_json": {"a": {"b": [1, 2]}}}, "item": {"x": "y"}}
    assert render("{{ sample.output_text }}-{{item.x}}-{{item.missing}}", namespace) == "hi-y-"
    assert render("{{sample.output_json.a.b}}", namespace) == "[1, 2]"


def test_a_formula_that_divides_by_zero_fails_its_item_not_the_server():
    config = {"type": "multi", "calculate_output": "a / (a - a)",
              "graders": {"a": {"type": "string_check", "input": SAMPLE, "reference": "x", "operation": "eq"}}}
    result = run("x", config)
    assert result.status is Status.OK and not result.correct and "calculate_output failed" in result.checks[-1].reason


@pytest.mark.parametrize("formula", ["1e308 * 10", "1e308 * 10 - 1e308 * 10", "a * 1e308 * 1e308"])
def test_a_formula_whose_value_is_not_finite_fails_its_item(formula):
    """An infinite or NaN score became an infinite or NaN reward (gRPC), or a 500 (HTTP)."""
    config = {"type": "multi", "calculate_output": formula,
              "graders": {"a": {"type": "string_check", "input": SAMPLE, "reference": "x", "operation": "eq"}}}
    result = run("x", config)
    assert result.status is Status.OK and result.score == 0 and result.reward == 0, result
    assert "not a finite number" in result.checks[-1].reason


def test_min_and_max_of_one_value_are_that_value():
    config = {"type": "multi", "calculate_output": "min(a) + max(0.5)",
              "graders": {"a": {"type": "string_check", "input": SAMPLE, "reference": "x", "operation": "eq"}}}
    assert run("x", config).score == 1.5


@pytest.mark.parametrize("formula", [
    "__import__('os').system('true')", "a.__class__", "a if a else b", "[a, b]", "a ** 999999", "lambda: 1",
    "open('/etc/passwd')", "c + 1", "'text'", "a and b", "eval('1')", "a[0]", "min()",
    "abs(a, b)", "sqrt(a, 2)", "exp(a, b)", "log(a, 2, 3)",  # accepted, then a TypeError when run
    "-" * 1990 + "a",  # deeper than the checker's recursion
])
def test_formulas_are_arithmetic_only(formula):
    config = {"type": "multi", "calculate_output": formula,
              "graders": {n: {"type": "string_check", "input": SAMPLE, "reference": "x", "operation": "eq"}
                          for n in ("a", "b")}}
    result = run("x", config)
    assert result.status is Status.INVALID_ARGUMENT and "calculate_output" in result.reason.lower(), result.reason


@pytest.mark.parametrize("config,words", [
    (None, "options.grader"), ({"type": "nope"}, "unknown grader type"), ("[1]", "json object"),
    ({"type": "string_check", "input": SAMPLE, "reference": "x", "operation": "regex"}, "(options.grader.operation)"),
    ({"type": "string_check", "input": SAMPLE, "reference": "x", "operation": "eq", "refrence": "y"},
     "unknown field of a string_check grader (it takes input, name, operation, pass_threshold, reference, type) "
     "(options.grader.refrence)"),
    ({"type": "string_check", "input": SAMPLE, "reference": "x", "operation": "eq", "pass_threshold": "1"},
     "(options.grader.pass_threshold)"),
    ({"type": "string_check", "input": SAMPLE, "reference": "x", "operation": "eq",
      "pass_threshold": float("-inf")}, "finite number (options.grader.pass_threshold)"),  # -inf passed everything
    ({"type": "string_check", "input": SAMPLE, "reference": "x", "operation": ["eq"]}, "(options.grader.operation)"),
    ({"type": "text_similarity", "input": SAMPLE, "reference": "x", "evaluation_metric": {"a": 1}},
     "(options.grader.evaluation_metric)"),  # were "Unhashable type", naming no field
    ({"type": "string_check", "reference": "x", "operation": "eq"}, "'input'"),
    ("[" * 100_000, "not json"),  # deeper than the JSON decoder's recursion: a verdict, not RecursionError
    ({"type": "text_similarity", "input": SAMPLE, "reference": "x", "evaluation_metric": "jaccard"}, "evaluation_metric"),
    ({"type": "multi", "graders": {}, "calculate_output": "1"}, "sub-graders"),
    ({"type": "multi", "calculate_output": "a", "graders": {"a": {"type": "text_similarity", "input": SAMPLE,
                                                                   "reference": "x", "evaluation_metric": "jaro"}}},
     "(options.grader.graders.a.evaluation_metric)"),
    ({"type": "multi", "calculate_output": "a + b", "graders": {"a": {"type": "string_check", "input": SAMPLE,
                                                                       "reference": "x", "operation": "eq"}}},
     "(options.grader.calculate_output)"),
])
def test_malformed_configs_are_invalid(config, words):
    result = grader.grade("x", "x", verifier="grader", **({"grader": config} if config is not None else {}))
    assert result.status is Status.INVALID_ARGUMENT and words.lower() in result.reason.lower(), result.reason


def test_config_as_a_json_string():
    config = json.dumps({"type": "string_check", "input": SAMPLE, "reference": "x", "operation": "eq"})
    assert grader.grade("x", "x", verifier="grader", grader=config).correct
