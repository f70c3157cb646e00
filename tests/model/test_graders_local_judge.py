"""score_model and label_model on a local judge: the tiny random causal LM of test_judge_models.
The model is random: the tests check the mechanics (a label among the labels with its
probability, a score inside the range, batch equals single, what cannot be decided says why),
never which label or score it gives."""

from __future__ import annotations

import asyncio

import pytest

import grader
from grader import Status
from grader.lm.judge import HFJudge, load_judge
from grader.lm.model_graders import ModelGraderRequest
from test_judge_models import tiny_judge_model


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return str(tiny_judge_model(tmp_path_factory.mktemp("judge")))


@pytest.fixture(scope="module")
def judge(model_dir):
    return HFJudge.load(model_dir, device="cpu")


MESSAGES = (("system", "Reply with one word"), ("user", "What is x ? 5"))
LABELS = ModelGraderRequest(MESSAGES, "any", labels=("Yes", "No", "C"))
SCORE = ModelGraderRequest(MESSAGES, "any", range=(0.0, 10.0))


def test_a_label_is_one_of_the_labels_from_one_forward_pass(judge):
    [answer] = judge.answer_batch([LABELS])
    assert not answer.error and answer.label in LABELS.labels and answer.backend == "hf"
    assert 1 / 3 <= answer.probability <= 1.0  # the most likely of three


def test_a_score_is_the_expected_value_over_single_token_integers(judge):
    [answer] = judge.answer_batch([SCORE])
    # The tiny vocabulary has "5" and "6" as tokens; every other integer in [0, 10] is unknown to it.
    assert not answer.error and 5.0 <= answer.score <= 6.0


def test_batched_answers_equal_single_ones(judge):
    long = ModelGraderRequest((("user", "What is x ? " * 60),), "any", labels=("True", "False"))
    requests = [LABELS, SCORE, long, SCORE]
    batch = judge.answer_batch(requests)
    for request, together in zip(requests, batch):
        [alone] = judge.answer_batch([request])
        assert together.label == alone.label and together.score == pytest.approx(alone.score, abs=1e-4)


@pytest.mark.parametrize("request_,words", [
    (ModelGraderRequest(MESSAGES, "m", range=(0.0, 1.0)), "fewer than two"),
    (ModelGraderRequest(MESSAGES, "m", labels=("Yes", "Yes please")), "begin with the same token"),
    (ModelGraderRequest(MESSAGES, "m", labels=("Yes", "Perhaps")), "no token for the label 'Perhaps'"),
])
def test_what_the_local_judge_cannot_decide_says_why(judge, request_, words):
    [answer] = judge.answer_batch([request_])
    assert words in answer.error


def test_grading_a_multi_with_a_local_judge(model_dir):
    service = load_judge(model_dir, device="cpu")
    config = {"type": "multi", "calculate_output": "label + score / 10",
              "graders": {"label": {"type": "label_model", "model": "tiny", "labels": ["Yes", "No"],
                                    "passing_labels": ["Yes"],
                                    "input": [{"role": "user", "content": "What is x ? {{sample.output_text}}"}]},
                          "score": {"type": "score_model", "model": "tiny", "range": [0, 10],
                                    "input": [{"role": "user", "content": "What is x ? {{sample.output_text}}"}]}}}
    try:
        result = grader.grade("5", "5", verifier="grader", grader=config, judge_service=service)
    finally:
        service.close()
    assert result.status is Status.OK and [c.name for c in result.checks] == ["label", "score"]
    label, score = result.checks
    assert label.score in (0.0, 1.0) and 5.0 <= score.score <= 6.0 and "(hf)" in score.reason
    assert result.score == pytest.approx(label.score + score.score / 10)


def test_concurrent_items_share_forward_passes(model_dir):
    service = load_judge(model_dir, device="cpu")
    query = type("Q", (), {"requests": (LABELS, SCORE)})()
    try:
        async def many():
            return await asyncio.gather(*(service.ask_async(query) for _ in range(8)))
        answers = asyncio.run(many())
    finally:
        service.close()
    assert all(len(a) == 2 and a[0].label in LABELS.labels and 5.0 <= a[1].score <= 6.0 for a in answers)
    assert service.grader_batcher.batches < 16
