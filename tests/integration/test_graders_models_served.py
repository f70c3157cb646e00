"""score_model and label_model against a local OpenAI-shaped chat-completions server: through
`grader serve --judge-url` (no pinned endpoint model: each config's model is sent) and in-process.
The stub answers by what the templated messages say, and fails or stalls where they ask it to."""

from __future__ import annotations

import time

import pytest

import grader
from grader import Status
from grader.client import GraderClient
from grader.lm.judge import load_judge
from servers import Server, serve_in_thread


class Scripted:
    """Replies "polite" to a message mentioning tone, "7" to one asking for a score, a 400 to FAIL, and
    stalls on SLOW; records every request body."""

    def __init__(self) -> None:
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        self.bodies: list[dict] = []

        async def chat(request):
            import asyncio
            body = await request.json()
            self.bodies.append(body)
            text = body["messages"][-1]["content"]
            if "FAIL" in text:
                return JSONResponse({"error": "unknown model"}, status_code=400)
            if "SLOW" in text:
                await asyncio.sleep(5)
            reply = "polite" if "tone" in text else "Score: 7 out of 10" if "score" in text else "???"
            return JSONResponse({"choices": [{"message": {"role": "assistant", "content": reply}}]})

        self.server, self.port = serve_in_thread([Route("/v1/chat/completions", chat, methods=["POST"])])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def endpoint():
    stub = Scripted()
    yield stub
    stub.server.should_exit = True


@pytest.fixture(scope="module")
def client(endpoint):
    server = Server("--judge-url", endpoint.url, "--judge-timeout", "1")
    with GraderClient(server.target) as c:
        yield c
    server.stop()


def label(text: str) -> dict:
    return {"type": "label_model", "model": "gpt-4o", "labels": ["polite", "rude"], "passing_labels": ["polite"],
            "input": [{"role": "system", "content": "Judge the tone."},
                      {"role": "user", "content": text + ": {{sample.output_text}}"}]}


def score(text: str) -> dict:
    return {"type": "score_model", "model": "o3-mini", "range": [0, 10], "pass_threshold": 6,
            "sampling_params": {"seed": 1, "max_completions_tokens": 32},
            "input": [{"role": "user", "content": text + " for {{item.topic}}: {{sample.output_text}}"}]}


def test_label_model_through_the_server(client, endpoint):
    result = client.grade("Thank you kindly", "x", verifier="grader", grader=label("Classify the tone"))
    assert result.status is Status.OK and result.correct and result.score == 1.0
    body = endpoint.bodies[-1]
    assert body["model"] == "gpt-4o" and body["messages"][0] == {"role": "system", "content": "Judge the tone."}
    assert body["messages"][1]["content"] == "Classify the tone: Thank you kindly"
    assert "'polite'" in result.checks[0].reason


def test_score_model_through_the_server(client, endpoint):
    result = client.grade("An essay", "x", verifier="grader", grader=score("Give a score"), item={"topic": "bees"})
    assert result.status is Status.OK and result.correct and result.score == 7.0
    body = endpoint.bodies[-1]
    assert body["model"] == "o3-mini" and body["seed"] == 1 and body["max_tokens"] == 32
    assert body["messages"][0]["content"] == "Give a score for bees: An essay"


def test_a_multi_asks_each_model_grader_and_failures_are_checks(client, endpoint):
    before = len(endpoint.bodies)
    config = {"type": "multi", "calculate_output": "tone + quality / 10 + broken + slow",
              "graders": {"tone": label("tone"), "quality": score("score"), "broken": score("score FAIL"),
                          "slow": label("tone SLOW")}}
    start = time.monotonic()
    result = client.grade("Thanks", "x", verifier="grader", grader=config, item={"topic": "bees"}, timeout=10)
    assert time.monotonic() - start < 5  # the stalled one gave up at the judge timeout (1 s)
    assert result.status is Status.OK and result.score == pytest.approx(1.7)
    checks = {c.name: c for c in result.checks}
    assert checks["tone"].passed and checks["quality"].score == 7.0
    assert checks["broken"].status == "error" and "400 Bad Request" in checks["broken"].reason
    assert checks["slow"].status == "error" and "judge endpoint failed" in checks["slow"].reason
    assert len(endpoint.bodies) - before >= 4


def test_a_python_grader_through_the_server(client):
    from grader.execution import sandbox
    if sandbox.probe():
        pytest.skip(f"the code sandbox does not work here: {sandbox.probe()}")
    config = {"type": "python", "source": "def grade(sample, item):\n    return len(sample['output_text']) / 10"}
    result = client.grade("abcde", "x", verifier="grader", grader=config)
    assert result.status is Status.OK and result.score == 0.5


def test_in_process_with_an_endpoint_judge(endpoint):
    service = load_judge(url=endpoint.url, endpoint_model="pinned-name", timeout=2)
    try:
        result = grader.grade("Fine", "x", verifier="grader", grader=label("tone"), judge_service=service)
    finally:
        service.close()
    assert result.status is Status.OK and result.correct
    assert endpoint.bodies[-1]["model"] == "pinned-name"  # a pinned endpoint model wins over the config's
