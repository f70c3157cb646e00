"""The shipped default judge (judge_model/default, `--judge-model default`): its verdicts on
clear examples, the hack list against it, batching, and a server that loads it.

The tests assert verdicts, never probabilities. The shipped model's probabilities stop near
0.975 and its threshold is 0.97, so its clearest yeses (0.973-0.975) sit 0.15 or more above it
in logits, its clear noes (0.03-0.06) more than 6 below: float differences between CPUs (about
1e-5) cannot flip them. Where a retrained model decides them otherwise, choose new examples
from its own clear ones; never move the threshold to fit a test."""

from __future__ import annotations

import asyncio
import json

import pytest

import grader
from grader import Status
from grader.lm.judge import CROSS_ENCODER_CONFIG, CrossEncoderJudge, JudgeRequest, default_judge_path, load_judge
from unit.test_judge import HACKS  # the known ways to fool a judge (tests/unit/test_judge.py)

pytestmark = pytest.mark.skipif(not (default_judge_path() / CROSS_ENCODER_CONFIG).is_file(),
                                reason="no default judge is shipped")

EQUIVALENT = [
    JudgeRequest("For which numbers of participants is this possible?", "Any odd number of participants", "odd"),
    JudgeRequest("On which day did it happen?", "Tuesday", "on Tuesday"),
    JudgeRequest("For which $n$ is this possible?", "odd", "$n$ is odd"),
    JudgeRequest("How many solutions are there?", "infinitely many", "There are infinitely many."),
]
DIFFERENT = [
    JudgeRequest("", "17", "18"),
    JudgeRequest("For which $n$ is this possible?", "odd", "even"),
    JudgeRequest("Find all real solutions.", "1, -2", "1, 2"),
    JudgeRequest("Who served in the first game?", "Kafelnikov", "Agassi"),
    JudgeRequest("Is it possible?", "Yes", "No"),
    JudgeRequest("On which day did it happen?", "Tuesday", "Thursday"),
]


@pytest.fixture(scope="module")
def judge():
    return CrossEncoderJudge.load(device="cpu")


@pytest.fixture(scope="module")
def service():
    service = load_judge("default", device="cpu")
    yield service
    service.close()


def test_the_default_judge_loads_its_threshold(judge):
    settings = json.loads((default_judge_path() / CROSS_ENCODER_CONFIG).read_text())
    assert judge.threshold == settings["threshold"] and 0.5 <= judge.threshold < 1.0


@pytest.mark.parametrize("request_", EQUIVALENT, ids=lambda r: f"{r.answer}=={r.reference}")
def test_clear_equivalents_are_judged_correct(judge, request_):
    assert judge.judge_batch([request_])[0].correct


@pytest.mark.parametrize("request_", DIFFERENT, ids=lambda r: f"{r.answer}!={r.reference}")
def test_clear_near_misses_are_judged_incorrect(judge, request_):
    assert not judge.judge_batch([request_])[0].correct


def test_a_batch_decides_as_one_at_a_time(judge):
    requests = EQUIVALENT + DIFFERENT
    batched = judge.judge_batch(requests)
    single = [judge.judge_batch([r])[0] for r in requests]
    assert [b.correct for b in batched] == [s.correct for s in single]
    assert all(b.probability == pytest.approx(s.probability, abs=1e-3) for b, s in zip(batched, single))


@pytest.mark.parametrize("response", HACKS)
def test_known_hacks_are_never_judged_correct_by_the_default_judge(service, response):
    result = grader.grade(response, "17", judge_service=service)
    assert not result.correct, (response, result.method)


def test_grading_with_the_default_judge(service):
    result = grader.grade(r"So the answer is \boxed{\text{odd}}.", "Any odd number of participants",
                          judge_service=service, prompt="For which numbers of participants is this possible?")
    assert result.correct and result.method == "judge" and result.status is Status.OK
    assert [c.name for c in result.checks] == ["rules", "judge"] and "cross-encoder" in result.checks[-1].reason
    wrong = grader.grade(r"So \boxed{18}.", "17", judge_service=service)
    assert not wrong.correct


def test_model_graders_get_a_clear_failure_from_the_cross_encoder(service):
    config = {"type": "label_model", "name": "tone", "model": "m", "labels": ["good", "bad"],
              "passing_labels": ["good"], "input": [{"role": "user", "content": "{{sample.output_text}}"}]}
    result = grader.grade("fine", "x", verifier="grader", grader=config, judge_service=service)
    assert result.status is Status.OK and not result.correct
    assert "cannot answer score_model or label_model" in result.checks[0].reason


def test_concurrent_requests_share_passes(service):
    async def many():
        queries = [type("Q", (), {"text": r.answer, "question": r.question, "reference": r.reference})()
                   for r in (EQUIVALENT + DIFFERENT) * 4]
        return await asyncio.gather(*(service.ask_async(q) for q in queries))
    assert len(asyncio.run(many())) == 40 and service.batcher.batches < 40


def test_a_server_with_the_default_judge():
    from grader.client import GraderClient
    from servers import Server

    server = Server("--judge-model", "default")
    try:
        assert any('"event": "judge_ready"' in line for line in server.log)
        with GraderClient(server.target, timeout=60) as client:
            result = client.grade_batch([{"response": r"So the answer is \boxed{\text{odd}}.",
                                          "reference": "Any odd number of participants",
                                          "prompt": "For which numbers of participants is this possible?"}])[0]
            assert result.correct and result.method == "judge"
    finally:
        server.stop()


def test_the_grade_command_with_the_default_judge(tmp_path, capsys):
    from grader import cli

    odd = {"response": r"So the answer is \boxed{\text{odd}}.", "reference": "Any odd number of participants",
           "prompt": "For which numbers of participants is this possible?", "expected": True}
    lines = [odd, {**odd, "options": {"judge": "off"}}, {"response": r"So \boxed{18}.", "reference": "17"}]
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert cli.main(["grade", str(source), "-o", str(out), "--no-progress", "--judge-model", "default"]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["correct"], r["method"]) for r in rows] == [(True, "judge"), (False, "boxed+exact"),
                                                          (False, "boxed+exact+judge")]
    assert "Loading weights" not in capsys.readouterr().err  # transformers' load bar is kept quiet
