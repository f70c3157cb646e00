"""The grader verifier's model graders (score_model, label_model) with a fake judge, reading an
endpoint's replies (an in-memory HTTP transport), and the python grader's config checks and
escalation (it runs in the sandbox: tests/integration/test_graders_python.py)."""

from __future__ import annotations

import httpx
import pytest

import grader
from grader import Status
from grader.lm.judge import TEMPLATES, EndpointJudge, JudgeService
from grader.lm.model_graders import ModelGraderAnswer, ModelGraderRequest, chat_body, read_reply
from grader.pipeline import plan_item
from grader.verifiers import NeedsWorker, get

SAMPLE = "{{sample.output_text}}"
SCORE = {"type": "score_model", "name": "quality", "model": "gpt-4o-mini", "range": [0, 10], "pass_threshold": 5,
         "input": [{"role": "system", "content": "Rate the answer from 0 to 10."},
                   {"role": "user", "content": "Question: {{item.prompt}}\nAnswer: " + SAMPLE}]}
LABEL = {"type": "label_model", "name": "tone", "model": "gpt-4o", "labels": ["polite", "rude", "neutral"],
         "passing_labels": ["polite", "neutral"],
         "input": [{"role": "user", "content": [{"type": "input_text", "text": "Classify the tone: " + SAMPLE}]}]}


class FakeJudge:
    """A judge stage answering each model grader's request as ``answer(request)`` says; records the queries."""

    on_accelerator = False

    def __init__(self, answer, fail: Exception | None = None) -> None:
        self.answer, self.fail, self.asked = answer, fail, []

    def ask(self, query, timeout=None):
        self.asked.append(query)
        if self.fail is not None:
            raise self.fail
        return [self.answer(r) for r in query.requests]

    async def ask_async(self, query):
        return self.ask(query)


def run(response: str, config: dict, judge=None, **options) -> grader.GradeResult:
    return grader.grade(response, "ref", verifier="grader", grader=config, judge_service=judge,
                        prompt="What is 2 + 2?", **options)


def test_score_model_sends_templated_messages_and_scores_in_range():
    judge = FakeJudge(lambda r: ModelGraderAnswer(score=7.0, backend="fake"))
    result = run("It is 4.", SCORE, judge)
    assert result.status is Status.OK and result.correct and result.score == 7.0
    assert result.method == "grader+score_model"
    [query] = judge.asked
    [request] = query.requests
    assert query.stage == "judge" and request.range == (0.0, 10.0) and request.model == "gpt-4o-mini"
    assert request.messages == (("system", "Rate the answer from 0 to 10."),
                                ("user", "Question: What is 2 + 2?\nAnswer: It is 4."))
    assert [(c.name, c.passed, c.score) for c in result.checks] == [("quality", True, 7.0)]
    assert "gpt-4o-mini" in result.checks[0].reason


def test_score_model_below_the_threshold_fails():
    result = run("It is 5.", SCORE, FakeJudge(lambda r: ModelGraderAnswer(score=2.5, backend="fake")))
    assert result.status is Status.OK and not result.correct and result.score == 2.5
    assert "below the pass threshold 5" in result.reason


@pytest.mark.parametrize("label,passed", [("polite", True), ("neutral", True), ("rude", False)])
def test_label_model_passes_on_a_passing_label(label, passed):
    judge = FakeJudge(lambda r: ModelGraderAnswer(label=label, backend="fake"))
    result = run("Thank you!", LABEL, judge)
    assert result.status is Status.OK and result.correct is passed and result.score == float(passed)
    request = judge.asked[0].requests[0]
    assert request.labels == ("polite", "rude", "neutral") and request.range is None
    assert request.messages == (("user", "Classify the tone: Thank you!"),)
    assert repr(label) in result.checks[0].reason


def test_multi_asks_every_model_grader_in_one_round_and_identical_ones_once():
    judge = FakeJudge(lambda r: ModelGraderAnswer(label="polite", backend="fake") if r.labels
                      else ModelGraderAnswer(score=8.0, backend="fake"))
    config = {"type": "multi", "calculate_output": "0.1 * quality + tone + again + exact",
              "graders": {"quality": SCORE, "tone": LABEL, "again": dict(LABEL),
                          "exact": {"type": "string_check", "input": SAMPLE, "reference": "Thanks",
                                    "operation": "like"}}}
    result = run("Thanks!", config, judge)
    assert result.status is Status.OK and result.score == pytest.approx(3.8)
    assert len(judge.asked) == 1 and len(judge.asked[0].requests) == 2
    assert [(c.name, c.passed) for c in result.checks] == [("quality", True), ("tone", True), ("again", True),
                                                           ("exact", True)]


def test_without_a_judge_a_model_grader_is_invalid_naming_its_field():
    result = run("x", {"type": "multi", "calculate_output": "a + b",
                       "graders": {"a": {"type": "string_check", "input": SAMPLE, "reference": "x",
                                         "operation": "eq"}, "b": LABEL}})
    assert result.status is Status.INVALID_ARGUMENT
    assert "(options.grader.graders.b.model)" in result.reason and "judge" in result.reason


def test_a_judge_that_cannot_answer_is_a_failed_check_with_the_reason():
    judge = FakeJudge(lambda r: ModelGraderAnswer(error="the endpoint failed: ReadTimeout", backend="endpoint"))
    result = run("x", SCORE, judge)
    assert result.status is Status.OK and not result.correct and result.score == 0.0
    assert result.checks[0].status == "error" and "ReadTimeout" in result.checks[0].reason
    assert "ReadTimeout" in result.reason


def test_a_reply_of_the_wrong_shape_answers_nothing():
    result = run("x", LABEL, FakeJudge(lambda r: "not an answer"))
    assert result.status is Status.OK and not result.correct
    assert result.checks[0].status == "error" and "no answer" in result.checks[0].reason


@pytest.mark.parametrize("change,field", [
    ({"model": ""}, "options.grader.model"),
    ({"input": []}, "options.grader.input"),
    ({"input": "hello"}, "options.grader.input"),
    ({"input": [{"role": "robot", "content": "x"}]}, "options.grader.input.0.role"),
    ({"input": [{"role": "user", "content": 5}]}, "options.grader.input.0.content"),
    ({"input": [{"role": "user", "content": "x", "extra": 1}]}, "options.grader.input.0.extra"),
    ({"range": [1, 1]}, "options.grader.range"),
    ({"range": [0, "10"]}, "options.grader.range"),
    ({"sampling_params": {"temperature": 3}}, "options.grader.sampling_params.temperature"),
    ({"sampling_params": {"logit_bias": {}}}, "options.grader.sampling_params.logit_bias"),
    ({"sampling_params": {"max_completions_tokens": 0}}, "options.grader.sampling_params.max_completions_tokens"),
    ({"labels": ["a"]}, "options.grader.labels"),  # a score_model takes no labels
])
def test_score_model_config_errors_name_their_field(change, field):
    result = run("x", {**SCORE, **change})
    assert result.status is Status.INVALID_ARGUMENT and f"({field})" in result.reason


@pytest.mark.parametrize("change,field", [
    ({"labels": ["a"]}, "labels"), ({"labels": ["a", "a"]}, "labels"), ({"labels": ["a", ""]}, "labels"),
    ({"passing_labels": []}, "passing_labels"), ({"passing_labels": ["impolite"]}, "passing_labels"),
    ({"range": [0, 1]}, "range"),
])
def test_label_model_config_errors_name_their_field(change, field):
    result = run("x", {**LABEL, **change})
    assert result.status is Status.INVALID_ARGUMENT and f"(options.grader.{field})" in result.reason


@pytest.mark.parametrize("config,field", [
    ({"type": "python"}, "source"),
    ({"type": "python", "source": "  "}, "source"),
    ({"type": "python", "source": "x = 1\n" * 50_000}, "source"),
    ({"type": "python", "source": "def grade(s, i): return 1", "image_tag": 3}, "image_tag"),
    ({"type": "python", "source": "def grade(s, i): return 1", "imports": []}, "imports"),
])
def test_python_config_errors_name_their_field(config, field):
    result = run("x", config)
    assert result.status is Status.INVALID_ARGUMENT and f"(options.grader.{field})" in result.reason


def test_python_memory_option_is_checked():
    result = run("x", {"type": "python", "source": "def grade(s, i): return 1"}, python_memory_mb=8)
    assert result.status is Status.INVALID_ARGUMENT and "python_memory_mb" in result.reason


@pytest.mark.parametrize("config", [
    {"type": "python", "source": "def grade(sample, item): return 1.0"},
    {"type": "multi", "calculate_output": "a", "graders": {"a": {"type": "python", "source": "def grade(s, i): 1"}}},
])
def test_python_never_runs_inline(config):
    plan = plan_item({"response": "x", "reference": "y", "verifier": "grader", "options": {"grader": config}})
    with pytest.raises(NeedsWorker):
        get("grader").grade(plan, in_worker=False)
    assert plan.budget_seconds() == 10.0  # the default budget of an item with a python grader
    timed = plan_item({"response": "x", "reference": "y", "verifier": "grader",
                       "options": {"grader": config, "timeout": 30}})
    assert timed.budget_seconds() == 30.0


# --- the endpoint's side: requests and replies ---------------------------------------------------

def _reply(text):
    return {"choices": [{"message": {"role": "assistant", "content": text}}]}


LABELS = ModelGraderRequest((("user", "x"),), "m", labels=("Yes", "No"))
RANGE = ModelGraderRequest((("user", "x"),), "m", range=(0.0, 10.0))


@pytest.mark.parametrize("text,label", [("Yes", "Yes"), (" No\n", "No"), ('"Yes".', "Yes"), ('{"result": "No"}', "No"),
                                        ("yes", None), ("Yes, clearly", None), ("Maybe", None), ("", None)])
def test_endpoint_labels_match_strictly(text, label):
    answer = read_reply(LABELS, _reply(text))
    assert answer.label == (label or "") and bool(answer.error) is (label is None)


@pytest.mark.parametrize("text,score", [("7", 7.0), ("Score: 7.5/10", 7.5), ('{"score": 3}', 3.0),
                                        ('{"result": 0}', 0.0), ("12", 10.0), ("-1", 0.0), ("NaN", None),
                                        ("no idea", None), ("1e999", None)])
def test_endpoint_scores_are_numbers_in_range(text, score):
    answer = read_reply(RANGE, _reply(text))
    assert bool(answer.error) is (score is None)
    if score is not None:
        assert answer.score == score


@pytest.mark.parametrize("text,score", [
    # a fenced JSON reply: only its result counts, not the "1" of "check 1"
    ('```json\n{"steps": [{"description": "check 1", "conclusion": "wrong"}], "result": 0}\n```', 0.0),
    ('```\n{"score": 4, "steps": ["step 9"]}\n```', 4.0), ('{"result": "6"}', 6.0),
    ("1. Wrong answer.\n2. Score: 0", 0.0),  # a list's numbering is no score, the labelled number is
    ("Result: 3\nOn reflection, final score: 8", 8.0),  # the last label
    ("**Score:** 2", 2.0), ("It has 3 errors, so I give it 4", 4.0),  # no label: the last number
    ("I'd rate it 6 out of 10", 6.0), ("1. Good\n2. Bad", None),
    ('{"steps": [{"description": "check 1"}]}', None),  # JSON with no result: no guess from its text
    ("Score: 15", 10.0), ("Score: -3", 0.0), ('{"result": 1e999}', None),  # clamped; infinity fails
    # a fence inside prose quotes the response under judgement: its 42 is not the score (clamped, it gave 10)
    ("The response gives:\n```\n42\n```\nThis does not match the reference. Score: 0", 0.0),
])
def test_endpoint_scores_are_read_past_reasoning_and_clamped(text, score):
    answer = read_reply(RANGE, _reply(text))
    assert bool(answer.error) is (score is None), answer
    if score is not None:
        assert answer.score == score


def test_a_fenced_json_label_is_read():
    assert read_reply(LABELS, _reply('```json\n{"result": "No"}\n```')).label == "No"
    # a fence quoted inside the reply is not its label
    assert read_reply(LABELS, _reply('Candidate said:\n```\n"Yes"\n```\nLabel: No')).error


def test_reading_a_reply_with_a_long_open_fence_is_one_pass():
    """A lazy fence pattern retried from every position: 50,000 characters after an open fence took 13 s."""
    assert read_reply(RANGE, _reply("```" + "a" * 50_000 + "\n")).error
    assert read_reply(RANGE, _reply("```" * 20_000)).error


def test_an_item_variable_the_messages_lack_refuses_the_item_before_the_judge_is_asked():
    judge = FakeJudge(lambda r: ModelGraderAnswer(score=7.0, backend="fake"))
    config = {**SCORE, "input": [{"role": "user", "content": "Expected: {{item.answer}}\nGot: " + SAMPLE}]}
    result = run("It is 4.", config, judge)
    assert result.status is Status.INVALID_ARGUMENT and "{{item.answer}}" in result.reason and not judge.asked
    assert run("It is 4.", config, judge, item={"answer": "4"}).score == 7.0 and len(judge.asked) == 1


def test_endpoint_reply_without_text_is_an_error():
    assert read_reply(RANGE, {"choices": []}).error and read_reply(RANGE, {"x": 1}).error


def test_chat_body_maps_sampling_params():
    request = ModelGraderRequest((("user", "hi " * 10_000),), "m", range=(0.0, 1.0),
                                 sampling=(("max_completions_tokens", 64), ("seed", 3), ("temperature", 0.7)))
    body = chat_body(request, "served")
    assert body["model"] == "served" and body["max_tokens"] == 64 and body["seed"] == 3 and body["temperature"] == 0.7
    assert len(body["messages"][0]["content"]) == 8000  # capped


def _endpoint(handler, **kw) -> EndpointJudge:
    judge = EndpointJudge("http://judge.test", kw.pop("model", "judge"), TEMPLATES["plain"], retries=1, backoff=0.0,
                          **kw)
    judge._client = httpx.Client(transport=httpx.MockTransport(handler))
    return judge


@pytest.mark.parametrize("pinned,sent", [(False, "gpt-4o"), (True, "served-model")])
def test_the_config_model_is_sent_unless_the_service_pins_one(pinned, sent):
    bodies = []

    def handler(request):
        import json
        bodies.append(json.loads(request.content))
        return httpx.Response(200, json=_reply("Yes"))

    judge = _endpoint(handler, model="served-model", pinned=pinned)
    answer = judge.answer(ModelGraderRequest((("user", "hi"),), "gpt-4o", labels=("Yes", "No")))
    assert answer.label == "Yes" and not answer.error and bodies[0]["model"] == sent


@pytest.mark.parametrize("handler", [
    lambda request: httpx.Response(500, text="boom"),
    lambda request: httpx.Response(400, json={"error": "bad model"}),
    lambda request: httpx.Response(200, text="not json"),
    lambda request: (_ for _ in ()).throw(httpx.ConnectError("refused")),
])
def test_endpoint_failures_are_failed_answers_never_exceptions(handler):
    service = JudgeService(_endpoint(handler))
    [answer] = service.ask(type("Q", (), {"requests": (LABELS,)})())
    assert answer.error.startswith("the judge endpoint failed") and answer.label == ""


def test_python_where_the_sandbox_does_not_work_is_invalid(monkeypatch):
    from grader.execution import sandbox

    monkeypatch.setattr(sandbox, "probe", lambda: "no user namespaces here")
    monkeypatch.delenv("GRADER_UNSAFE_NO_SANDBOX", raising=False)
    plan = plan_item({"response": "x", "reference": "y", "verifier": "grader",
                      "options": {"grader": {"type": "python", "source": "def grade(s, i): return 1.0"}}})
    result = get("grader").grade(plan, in_worker=True)  # refused before any process starts
    assert result.status is Status.INVALID_ARGUMENT and "no user namespaces here" in result.reason


def test_inside_a_multi_a_failed_model_grader_keeps_its_reason():
    judge = FakeJudge(lambda r: ModelGraderAnswer(error="the judge endpoint failed: ConnectError", backend="endpoint"))
    result = run("x", {"type": "multi", "calculate_output": "q", "graders": {"q": SCORE}}, judge)
    assert result.status is Status.OK and not result.correct
    assert result.checks[0].status == "error" and "ConnectError" in result.checks[0].reason
    assert "q: gpt-4o-mini: the judge endpoint failed: ConnectError" in result.reason


def test_a_long_run_after_a_label_is_read_in_linear_time():
    import time
    start = time.perf_counter()
    assert read_reply(RANGE, _reply("score" + " " * 50_000 + "x 3")).score == 3.0
    assert time.perf_counter() - start < 0.5
