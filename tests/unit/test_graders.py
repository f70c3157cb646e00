"""The grader verifier: OpenAI-style string_check, text_similarity and multi configs, templates,
and the formula reader that must never evaluate anything but arithmetic."""

from __future__ import annotations

import json

import pytest

import grader
from grader import Status
from grader.verifiers.graders import METRICS, render, similarity

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
    assert render("{{ sample.output_text }}-{{item.x}}-{{sample.output_json.missing}}", namespace) == "hi-y-"
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


# --- calculate_output: OpenAI's ^, floor and ceil; bare function names ------------------------------

def _multi(formula: str) -> dict:
    return {"type": "multi", "calculate_output": formula,
            "graders": {"a": {"type": "string_check", "input": SAMPLE, "reference": "x", "operation": "eq"}}}


@pytest.mark.parametrize("formula", ["max", "a + sqrt", "log(max(abs))", "floor"])
def test_a_function_named_but_not_called_is_refused_with_the_config(formula):
    """These passed validation and then raised KeyError when evaluated: an internal error."""
    result = run("x", _multi(formula))
    assert result.status is Status.INVALID_ARGUMENT and "(options.grader.calculate_output)" in result.reason
    assert "not called" in result.reason, result.reason


@pytest.mark.parametrize("formula,value", [
    ("a ^ 2 + 1", 2.0), ("2 ^ 3 ^ 2", 512.0), ("-2 ^ 2", -4.0), ("(a + 1) ^ 0.5 * (a + 1) ^ 0.5", 2.0),
    ("floor(2.7) + ceil(0.2)", 3.0), ("ceil(-0.5)", 0.0), ("2 ^ -1", 0.5),
])
def test_power_floor_and_ceil_are_openais(formula, value):
    result = run("x", _multi(formula))
    assert result.status is Status.OK and result.score == pytest.approx(value), result


@pytest.mark.parametrize("formula", ["9 ^ 9 ^ 9", "10 ^ 400", "(-8) ^ 0.5", "0 ^ -1", "floor(1e308 * 10)",
                                     "2 ^ (2 ^ 2000)"])
def test_a_power_past_floats_fails_its_formula_at_once(formula):
    result = run("x", _multi(formula))
    assert result.status is Status.OK and result.score == 0 and result.latency_ms < 1000, result
    assert "calculate_output failed" in result.checks[-1].reason


def test_pythons_power_operator_is_refused_for_openais():
    result = run("x", _multi("a ** 2"))
    assert result.status is Status.INVALID_ARGUMENT and "a ^ b" in result.reason


# --- templates: paths with [n], unresolved and unknown variables, whole numbers ----------------------

def _check(input: str, reference: str, operation: str = "eq") -> dict:
    return {"type": "string_check", "input": input, "reference": reference, "operation": operation}


def test_templates_index_lists():
    namespace = {"sample": {"output_text": "t", "output_json": {"list": [{"name": "a"}, {"name": "b"}]}},
                 "item": {"answers": ["Paris", "Lyon"], "m": [[1, 2]]}}
    assert render("{{item.answers[1]}}|{{ sample.output_json.list[1].name }}|{{item.m[0][1]}}", namespace) \
        == "Lyon|b|2"
    config = _check(SAMPLE, "{{item.answers[0]}}")
    assert run("Paris", config, item={"answers": ["Paris"]}).score == 1.0
    # the template's own text no longer passes as the reference
    assert run("{{item.answers[0]}}", config, item={"answers": ["Paris"]}).score == 0.0


@pytest.mark.parametrize("reference,item,why", [
    ("{{item.misspelled}}", {"answer": "Paris"}, "item has no field 'misspelled'"),
    ("{{item.answers[3]}}", {"answers": ["Paris"]}, "item.answers has 1 elements, no [3]"),
    ("{{item.answer.city}}", {"answer": "Paris"}, "item.answer is a str, not an object"),
    ("{{item.answer[0]}}", {"answer": "Paris"}, "item.answer is a str, not a list"),
    ("{{item.answer}}", {"answer": None}, "item.answer is null"),
])
@pytest.mark.parametrize("operation", ["eq", "like", "ilike"])
def test_an_item_variable_that_does_not_resolve_refuses_the_item(reference, item, why, operation):
    """It rendered "": like and ilike passed every response, eq an empty one."""
    result = run("", _check(SAMPLE, reference, operation), item=item)
    assert result.status is Status.INVALID_ARGUMENT and result.reward == 0, result
    assert result.reason.lower().startswith("unresolved template variable") and why in result.reason


def test_an_unresolved_item_variable_in_a_sub_grader_refuses_the_whole_item():
    config = {"type": "multi", "calculate_output": "a + b",
              "graders": {"a": _check(SAMPLE, "x"), "b": {"type": "text_similarity", "input": SAMPLE,
                                                          "reference": "{{item.nope}}", "evaluation_metric": "bleu"}}}
    result = run("x", config)
    assert result.status is Status.INVALID_ARGUMENT and "{{item.nope}}" in result.reason


@pytest.mark.parametrize("template", ["{{sample.choices}}", "{{sample.output_tools}}", "{{foo.bar}}",
                                      "{{sample}}", "{{sample.output_text.x}}", "{{item.a-b}}", "{{item[-1]}}"])
def test_an_unknown_variable_is_refused_with_the_config(template):
    for config, field in [(_check(SAMPLE, template), "options.grader.reference"),
                          ({"type": "multi", "calculate_output": "a", "graders": {"a": _check(template, "x")}},
                           "options.grader.graders.a.input")]:
        result = run("x", config)
        assert result.status is Status.INVALID_ARGUMENT and f"({field})" in result.reason, result.reason
        assert template in result.reason


def test_a_response_without_the_json_field_renders_empty_and_an_empty_reference_matches_nothing():
    assert run("not json", _check("{{sample.output_json.city}}", "Paris")).score == 0.0
    for operation in ("eq", "like", "ilike"):  # "" in text passed every response; "" == "" an empty one
        result = run("", _check(SAMPLE, "{{sample.output_json.city}}", operation))
        assert result.status is Status.OK and result.score == 0.0, operation
        assert "the reference rendered empty" in result.checks[0].reason
    assert run("x", _check(SAMPLE, "", "ne")).score == 1.0 and run("", _check(SAMPLE, "", "ne")).score == 0.0
    for metric in METRICS:  # fuzzy_match gave an empty response 1.0 against an empty reference
        if metric not in ("meteor", "cosine"):  # (these two load data; the guard sits above every metric)
            similar = {"type": "text_similarity", "input": SAMPLE, "reference": "{{sample.output_json.city}}",
                       "evaluation_metric": metric}
            assert run("", similar).score == 0.0 and run(" ", {**similar, "reference": " "}).score == 0.0, metric


def test_whole_floats_render_as_integers():
    """gRPC's Struct carries every number as a double: an item's 42 came back as 42.0."""
    from grader.wire import dict_to_struct, struct_to_dict
    item = struct_to_dict(dict_to_struct({"item": {"answer": 42, "list": [1, 2.5], "big": 2 ** 60}}))["item"]
    assert run("42", _check(SAMPLE, "{{item.answer}}"), item=item).score == 1.0
    namespace = {"sample": {}, "item": item}
    assert render("{{item.list}} {{item.big}}", namespace) == "[1, 2.5] 1.152921504606847e+18"


# --- several references behind {{item.reference}} --------------------------------------------------

@pytest.mark.parametrize("operation,response,score", [
    ("eq", "Paris", 1.0), ("eq", "Rome", 0.0), ("like", "it is Paris", 1.0), ("ilike", "PARIS", 1.0),
    ("ne", "Paris", 0.0), ("ne", "London", 0.0), ("ne", "Rome", 1.0),  # ne: differs from every reference
])
def test_string_check_compares_with_each_reference(operation, response, score):
    result = run(response, _check(SAMPLE, "{{item.reference}}", operation), ["London", "Paris"])
    assert result.status is Status.OK and result.score == score


def test_text_similarity_takes_the_best_reference_and_an_items_own_reference_wins():
    config = {"type": "text_similarity", "input": SAMPLE, "reference": "{{item.reference}}",
              "evaluation_metric": "fuzzy_match"}
    assert run("the cat sat", config, ["a dog ran", "the cat sat"]).score == 1.0
    # the item option's own reference is the one reference
    assert run("the cat sat", config, ["a dog ran", "the cat sat"], item={"reference": "a dog ran"}).score < 1


# --- the inline size guard ---------------------------------------------------------------------------

@pytest.mark.parametrize("config,item", [
    (_check(SAMPLE, "{{item.big}}", "like"), {"big": "x" * 60_000}),  # a large item field
    (_check(SAMPLE * 5_000, "x"), None),  # a short response repeated in a template
    (_check(SAMPLE, "x"), {"unused": ["y"] * 20_000}),  # a large item option, read or not
])
def test_large_renderings_go_to_a_worker(config, item):
    from grader.verifiers import NeedsWorker
    from grader.verifiers.graders import GraderVerifier
    from grader.types import Item
    verifier = GraderVerifier()
    plan = verifier.prepare(Item("a short response", ("ref",)), {"grader": config, "item": item})
    with pytest.raises(NeedsWorker):
        verifier.grade(plan, in_worker=False)
    assert verifier.grade(plan, in_worker=True).status is Status.OK


def test_a_small_item_grades_inline():
    from grader.verifiers.graders import GraderVerifier
    from grader.types import Item
    verifier = GraderVerifier()
    plan = verifier.prepare(Item("Paris", ("ref",)), {"grader": _check(SAMPLE * 3, "{{item.c}}", "like"),
                                                      "item": {"c": "Paris"}})
    assert verifier.grade(plan, in_worker=False).score == 1.0


# --- the gateway's graders/run: invalid_variable_error ------------------------------------------------

def test_graders_run_flags_an_unresolved_variable():
    import asyncio

    from grader.gateway import Gateway
    from grader.pipeline import Pipeline
    from grader.server_config import ServerConfig

    class Served:  # the served pipeline's interface, graded in-process
        async def grade(self, items, defaults):
            return [Pipeline().grade(i, defaults) for i in items]

    class Metrics:
        def graded(self, items, results):
            pass

    gateway = Gateway(Served(), ServerConfig(), Metrics())
    config = _check(SAMPLE, "{{item.answer}}")
    reply = json.loads(asyncio.run(gateway.grader_run({"grader": config, "model_sample": "", "item": {}})).body)
    errors = reply["metadata"]["errors"]
    assert reply["reward"] == 0 and errors["invalid_variable_error"] and not errors["other_error"], reply
    ok = json.loads(asyncio.run(gateway.grader_run({"grader": config, "model_sample": "4",
                                                    "item": {"answer": 4}})).body)
    assert ok["reward"] == 1 and not ok["metadata"]["errors"]["invalid_variable_error"]


def test_an_unclosed_variable_is_read_in_linear_time():
    import time
    start = time.perf_counter()
    assert render("{{item" + " " * 200_000, {"sample": {}, "item": {}}).startswith("{{item")
    assert time.perf_counter() - start < 0.5  # a lazy pattern took 0.5 s at 20,000 spaces
