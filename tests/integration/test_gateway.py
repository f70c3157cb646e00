"""The HTTP gateway (`grader serve --http-port`): plain JSON, OpenRLHF, NeMo-Gym, auth, limits,
order, health and metrics, against a real server process; the body reader's size and time limits
in process, on the ASGI app itself."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from grader.gateway import build_app
from grader.server_config import ServerConfig
from servers import Server, free_port

TOKEN = "gateway-test-token"


@pytest.fixture(scope="module")
def gateway():
    port = free_port()
    server = Server("--http-port", str(port), "--auth-token", TOKEN, "--max-items", "50")
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as client:
        client.grpc_target = server.target  # type: ignore[attr-defined]
        yield client, base
    server.stop()


def test_plain_json_grade_keeps_order_and_ids(gateway):
    client, _ = gateway
    items = [{"id": f"i{k}", "response": rf"\boxed{{{k}}}", "reference": str(k if k % 3 else k + 1)}
             for k in range(30)]
    reply = client.post("/v1/grade", json={"items": items})
    assert reply.status_code == 200
    results = reply.json()["results"]
    assert [r["id"] for r in results] == [f"i{k}" for k in range(30)]
    assert [r["correct"] for r in results] == [bool(k % 3) for k in range(30)]
    assert {"correct", "score", "reward", "status", "extracted", "method", "checks"} <= set(results[0])


def test_defaults_and_reward_shaping(gateway):
    client, _ = gateway
    body = {"items": [{"response": "Answer: B", "reference": "B"}, {"response": "Answer: C", "reference": "B"}],
            "default_verifier": "multiple_choice", "reward_shaping": {"correct": 1.0, "incorrect": -1.0}}
    results = client.post("/v1/grade", json=body).json()["results"]
    assert results[0]["correct"] and results[0]["reward"] == 1.0
    assert results[1]["reward"] == -1.0


def test_bad_items_get_their_status_in_place(gateway):
    client, _ = gateway
    body = {"items": [{"response": "1", "reference": "1", "verifier": "nope"}, "not an object",
                      {"response": r"\boxed{1}", "reference": "1"}]}
    statuses = [r["status"] for r in client.post("/v1/grade", json=body).json()["results"]]
    assert statuses == ["INVALID_ARGUMENT", "INVALID_ARGUMENT", "OK"]


@pytest.mark.parametrize("body,status", [
    (b"{not json", 400), (b'{"items": "x"}', 400), (b'{"items": []}', 400),
    (json.dumps({"items": [{"response": "1", "reference": "1"}] * 51}).encode(), 400),
])
def test_malformed_requests_are_400(gateway, body, status):
    client, _ = gateway
    reply = client.post("/v1/grade", content=body)
    assert reply.status_code == status and reply.json()["error"]


def test_auth_is_required_except_for_health(gateway):
    _, base = gateway
    assert httpx.get(f"{base}/healthz").text == "ok"
    assert httpx.post(f"{base}/v1/grade", json={"items": []}).status_code == 401
    assert httpx.post(f"{base}/v1/grade", json={"items": []},
                      headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert httpx.get(f"{base}/metrics").status_code == 401


def test_openrlhf_protocol_strips_the_prompt(gateway):
    client, _ = gateway
    prompts = ["Q: 1+1? ", "Q: 2+2? "]
    body = {"query": [prompts[0] + r"A: \boxed{2}", prompts[1] + r"A: \boxed{5}"], "prompts": prompts,
            "labels": ["2", "4"]}
    reply = client.post("/openrlhf", json=body).json()
    assert reply["rewards"] == [1.0, 0.0] and reply["scores"] == reply["rewards"]
    assert reply["extra_logs"]["correct"] == [1.0, 0.0]
    assert client.post("/openrlhf", json={"query": ["a"], "prompts": [], "labels": ["1"]}).status_code == 400


def test_nemo_gym_verify_instruction_following(gateway):
    client, _ = gateway
    row = {"id": 1, "instruction_id_list": ["punctuation:no_comma", "detectable_format:title"], "kwargs": [{}, None],
           "prompt": "Write a poem.", "grading_mode": "fraction",
           "responses_create_params": {"input": [{"role": "user", "content": "Write a poem."}]},
           "response": {"output": [{"type": "message", "role": "assistant",
                                    "content": [{"type": "output_text", "text": "<<Ode>> no commas here"}]}]}}
    reply = client.post("/verify", json=row).json()
    assert reply["reward"] == 1.0 and reply["follow_all_instructions"] is True
    assert reply["follow_instruction_list"] == [True, True] and reply["id"] == 1
    row["response"]["output"][0]["content"][0]["text"] = "No title, but commas"
    reply = client.post("/verify", json=row).json()
    assert reply["reward"] == 0.0 and reply["follow_instruction_list"] == [False, False]


def test_nemo_gym_verify_math(gateway):
    client, _ = gateway
    row = {"expected_answer": "42", "response": {"output": [{"type": "message", "content": [
        {"type": "output_text", "text": r"The answer is \boxed{42}."}]}]}}
    assert client.post("/verify", json=row).json()["reward"] == 1.0
    assert client.post("/verify", json={"response": {}}).status_code == 400


def test_metrics_move_as_items_are_graded(gateway):
    client, _ = gateway

    def count() -> float:
        for line in client.get("/metrics").text.splitlines():
            if line.startswith('grader_items_total{method="boxed",status="OK",transport="http",verifier="math"}'):
                return float(line.split()[-1])
        return 0.0

    before = count()
    client.post("/v1/grade", json={"items": [{"response": r"\boxed{7}", "reference": "7"}] * 3})
    assert count() == before + 3
    text = client.get("/metrics").text
    assert "grader_queue_depth" in text and "grader_worker_restarts_total" in text


def test_unknown_verifier_names_are_counted_as_unknown_and_metrics_stay_readable(gateway):
    """The label was the request's own text: any client could add series without end, and a lone surrogate in it
    made every later scrape a 500."""
    client, _ = gateway
    for name in ("no-such-verifier-1", "no-such-verifier-2"):
        assert client.post("/v1/grade", json={"items": [{"response": "1", "reference": "1", "verifier": name}]}
                           ).json()["results"][0]["status"] == "INVALID_ARGUMENT"
    raw = b'{"items": [{"response": "1", "reference": "1", "verifier": "\\ud800"}]}'
    assert client.post("/v1/grade", content=raw, headers={"Content-Type": "application/json"}).status_code == 200
    scrape = client.get("/metrics")
    assert scrape.status_code == 200 and "no-such-verifier" not in scrape.text
    assert 'verifier="unknown"' in scrape.text


def test_grpc_calls_are_counted_in_the_conventional_series(gateway):
    from grader.client import GraderClient

    client, _ = gateway
    with GraderClient(client.grpc_target, token=TOKEN) as grpc_client:
        assert grpc_client.grade(r"\boxed{1}", "1").correct
    text = client.get("/metrics").text
    handled = [line for line in text.splitlines() if line.startswith("grpc_server_handled_total{")
               and 'grpc_method="Grade"' in line and 'grpc_code="OK"' in line]
    assert handled and float(handled[0].split()[-1]) >= 1
    assert 'grader_items_total{method="boxed",status="OK",transport="grpc",verifier="math"}' in text


def test_foundry_endpoint_grader(gateway):
    client, _ = gateway
    body = {"item": {"reference_answer": "42", "question": "What is 6 x 7?"},
            "sample": {"output_text": r"So the answer is \boxed{42}."}}
    reply = client.post("/v1/endpoint-grader", json=body).json()
    assert reply["score"] == 1.0 and reply["metadata"]["correct"] and reply["metadata"]["extracted"] == "42"
    body = {"item": {"reference": "B", "verifier": "multiple_choice"}, "model_sample": "Answer: C"}
    assert client.post("/v1/endpoint-grader", json=body).json()["score"] == 0.0
    assert client.post("/v1/endpoint-grader", json={"item": {}, "model_sample": "x"}).status_code == 400
    # The preview's documented shape: a chat-completions style sample, the dataset item, a trace id.
    body = {"sample": {"choices": [{"message": {"role": "assistant", "content": r"It is \boxed{7}."}}]},
            "item": {"reference": "7"}, "trace_id": "trace_1a2b3c"}
    reply = client.post("/v1/endpoint-grader", json=body).json()
    assert reply["score"] == 1.0 and reply["trace_id"] == "trace_1a2b3c"


BOXED_42 = {"response": r"\boxed{42}", "reference": "42"}
OUTPUT_42 = {"output": [{"type": "message", "content": [{"type": "output_text", "text": r"\boxed{42}"}]}]}


@pytest.mark.parametrize("path,body,field", [
    ("/v1/grade", {"items": [BOXED_42], "reward_shaping": [1]}, "reward_shaping"),
    ("/v1/grade", {"items": [BOXED_42], "reward_shaping": "x"}, "reward_shaping"),
    ("/v1/grade", {"items": [BOXED_42], "reward_shaping": {"correct": 10 ** 400}}, "reward_shaping"),
    ("/openrlhf", {"query": ["x"], "prompts": [""], "labels": ["1"], "reward_shaping": [1]}, "reward_shaping"),
    ("/v1/endpoint-grader", {"sample": {"choices": 5}, "item": {"reference": "42"}}, "sample.choices"),
    ("/verify", {"response": {"output": 5}, "expected_answer": "42"}, "response.output"),
    ("/verify", {"response": {"output": [{"type": "message", "content": 5}]}, "expected_answer": "42"},
     "response.output[0].content"),
    ("/verify", {"response": "x", "expected_answer": "42"}, "response"),
])
def test_ill_typed_fields_are_400_naming_the_field(gateway, path, body, field):
    client, _ = gateway
    reply = client.post(path, json=body)
    assert reply.status_code == 400 and f"'{field}'" in reply.json()["error"]


@pytest.mark.parametrize("path,body,echoed", [
    ("/v1/grade", rb'{"items": [{"id": "\ud800", "response": "\\boxed{42}", "reference": "42"}]}',
     lambda r: r["results"][0]["id"]),
    ("/v1/grade", rb'{"items": [{"response": "\ud800", "reference": "42", "verifier": "exact"}]}',
     lambda r: r["results"][0]["extracted"]),
    ("/verify", rb'{"expected_answer": "42", "note": "\ud800", "response": {"output": []}}', lambda r: r["note"]),
])
def test_a_lone_surrogate_is_echoed_escaped(gateway, path, body, echoed):
    client, _ = gateway
    reply = client.post(path, content=body)
    assert reply.status_code == 200 and b"\\ud800" in reply.content
    assert echoed(json.loads(reply.content)) == "\ud800"


def _strict_json(content: bytes):
    def refuse(constant: str):
        raise AssertionError(f"{constant} in a reply")
    return json.loads(content, parse_constant=refuse)


def test_non_finite_numbers_never_break_the_reply(gateway):
    client, _ = gateway
    reply = client.post("/verify", content=b'{"expected_answer": "42", "weight": NaN, "response": null}')
    assert reply.status_code == 200 and _strict_json(reply.content)["weight"] is None
    for number in (b"1e400", b"NaN", b"-Infinity", b"1" + b"0" * 400):
        body = b'{"items": [{"response": "\\\\boxed{42}", "reference": "42"}], "reward_shaping": {"correct": %s}}'
        reply = client.post("/v1/grade", content=body % number)
        assert reply.status_code == 400, reply.text  # a reward must be finite (grader.rewards.MAX_REWARD)
        assert "reward_shaping" in _strict_json(reply.content)["error"]


def _post_in_process(chunks, limit: int = 1000, body_timeout: float = 0.5):
    """POST ``chunks`` (an async iterator of byte strings, each sent with more_body) to /v1/grade on the
    gateway's ASGI app itself: the reply's status, headers and body, and how many chunks it read."""
    app = build_app(None, ServerConfig(max_message_bytes=limit), None, body_timeout=body_timeout)  # type: ignore
    scope = {"type": "http", "http_version": "1.1", "method": "POST", "path": "/v1/grade", "raw_path": b"/v1/grade",
             "query_string": b"", "headers": [(b"transfer-encoding", b"chunked")], "scheme": "http",
             "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1)}
    read, sent = [0], []

    async def receive():
        read[0] += 1
        return {"type": "http.request", "body": await anext(chunks), "more_body": True}

    async def send(message):
        sent.append(message)

    async def run():
        await asyncio.wait_for(app(scope, receive, send), 10)

    asyncio.run(run())
    start, body = sent[0], b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], dict(start["headers"]), json.loads(body), read[0]


def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_limit():
    async def endless():
        for _ in range(50):
            yield b" " * 600
        await asyncio.Event().wait()

    status, headers, reply, read = _post_in_process(endless())
    assert status == 400 and reply["error"] == "the body is over 1000 bytes"
    assert read == 2 and headers[b"connection"] == b"close"  # the rest of the body is not read, not kept


def test_a_stalled_body_is_408_after_the_read_timeout():
    async def stalls():
        yield b'{"items": ['
        await asyncio.Event().wait()

    status, headers, reply, _ = _post_in_process(stalls(), body_timeout=0.3)
    assert status == 408 and "stalled" in reply["error"] and headers[b"connection"] == b"close"
