"""Integration tests: a real `grader serve` subprocess on a free loopback port, called through the clients."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time

import grpc
import pytest

from grader import Status, verifiers
from grader.client import AsyncGraderClient, GraderClient, build_request
from grader.v1 import grader_pb2 as pb
from grader.v1 import grader_pb2_grpc as pb_grpc
from servers import Server, free_port

POWER_TOWER = r"The answer is $\boxed{9^{9^{9^{9}}}}$."


@pytest.fixture(scope="module")
def server():
    srv = Server("--max-items", "100", "--max-response-bytes", "100000")
    yield srv
    assert srv.stop() == 0


@pytest.fixture
def client(server):
    with GraderClient(server.target, timeout=60) as c:
        yield c


def test_health_reports_serving(server):
    assert server.health() == "SERVING"


def test_single_item_and_evidence(client):
    r = client.grade(r"So the answer is $\boxed{\dfrac{1}{20}}$.", "0.05")
    assert (r.correct, r.status, r.extracted) == (True, Status.OK, r"\dfrac{1}{20}")
    assert r.method.startswith("boxed+") and r.latency_ms > 0
    assert r.reward == 1.0 and r.checks == []


def test_the_prompt_reaches_the_verifier(client):
    talks_on = "The smallest such number is 120. Other candidates like 240 and 360 also work but are larger."
    asked = client.grade(talks_on, "120", prompt="What is the smallest positive integer divisible by 8, 10 and 12?")
    assert asked.correct and asked.method.startswith("focus"), asked
    assert not client.grade(talks_on, "120").correct  # without the question the last number stands


def test_batch_results_keep_request_order(client):
    items = [{"id": f"q{i}", "response": rf"\boxed{{{i}}}", "reference": str(i if i % 4 else i + 1)} for i in range(60)]
    results = client.grade_batch(items)
    assert [r.extra["id"] for r in results] == [f"q{i}" for i in range(60)]
    assert [r.correct for r in results] == [bool(i % 4) for i in range(60)]


def test_bad_item_does_not_fail_the_batch(client):
    results = client.grade_batch([
        {"response": "42", "reference": "42"},
        {"response": "42", "reference": ""},
        {"response": "42", "reference": "42", "verifier": "nonsense"},
        {"response": "x" * 200_000, "reference": "1"},  # over --max-response-bytes
        {"response": "42", "reference": "42", "options": {"precision": "high"}},
        {"response": r"\boxed{x+1}", "reference": "1+x"},
    ])
    assert [r.status for r in results] == [Status.OK, Status.INVALID_ARGUMENT, Status.INVALID_ARGUMENT,
                                           Status.INVALID_ARGUMENT, Status.INVALID_ARGUMENT, Status.OK]
    assert results[0].correct and results[5].correct
    assert "bytes" in results[3].reason


def test_reward_shaping(client):
    items = [{"response": "1", "reference": "1"}, {"response": "2", "reference": "1"},
             {"response": "no idea", "reference": "1"}]
    results = client.grade_batch(items, rewards={"correct": 10.0, "incorrect": -1.0})
    assert [r.reward for r in results] == [10.0, -1.0, 0.0]
    assert [r.status for r in results] == [Status.OK, Status.OK, Status.NO_ANSWER]


def test_a_reward_that_is_not_finite_is_invalid_argument(server):
    """A NaN reward would poison a trainer's loss; the servicer let the ValueError out as UNKNOWN."""
    with grpc.insecure_channel(server.target) as channel:
        request = pb.GradeRequest(items=[pb.GradeItem(id="1", response="1", reference=["1"])],
                                  reward_shaping=pb.RewardShaping(correct=float("nan")))
        with pytest.raises(grpc.RpcError) as failure:
            pb_grpc.GraderStub(channel).Grade(request, timeout=30)
    assert failure.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "finite number" in failure.value.details()


def test_request_defaults_apply_under_item_options(client):
    items = [{"response": "0.333", "reference": "1/3"},
             {"response": "0.333", "reference": "1/3", "options": {"precision": 4}}]
    results = client.grade_batch(items, options={"precision": 3})
    assert [r.correct for r in results] == [True, False]


def test_streaming(server):
    async def run() -> list[pb.GradeResponse]:
        async with grpc.aio.insecure_channel(server.target) as ch:
            stub = pb_grpc.GraderStub(ch)

            async def requests():
                for i in range(5):
                    yield build_request([{"id": str(i), "response": rf"\boxed{{{i}}}", "reference": str(i)}])

            return [reply async for reply in stub.GradeStream(requests(), timeout=60)]

    replies = asyncio.run(run())
    assert [r.results[0].id for r in replies] == ["0", "1", "2", "3", "4"]
    assert all(r.results[0].correct for r in replies)


def test_power_tower_times_out_while_others_are_answered(server, client):
    other: dict = {}

    def concurrent_client() -> None:
        with GraderClient(server.target, timeout=60) as c:
            start = time.monotonic()
            other["results"] = [c.grade(rf"\boxed{{{i}}}", str(i)) for i in range(20)]
            other["elapsed"] = time.monotonic() - start

    t = threading.Thread(target=concurrent_client)
    t.start()
    items = [{"response": r"\boxed{7}", "reference": "7"},
             {"response": POWER_TOWER, "reference": "1", "options": {"timeout": 1}},
             {"response": r"\boxed{\frac{\sqrt{2}}{2}}", "reference": r"\sin\frac{\pi}{4}"}]
    results = client.grade_batch(items)
    t.join(60)
    assert [r.status for r in results] == [Status.OK, Status.TIMEOUT, Status.OK]
    assert results[0].correct and results[2].correct
    assert all(r.correct for r in other["results"])


@pytest.mark.parametrize("options", [{"timeout_seconds": 1}, {"config": {}, "timeout": 1}],
                         ids=["math_verify_alias", "nested_config"])
def test_the_budget_is_read_from_the_parsed_options_not_a_raw_key(client, options):
    """Options are parsed once, by the verifier: Math-Verify's ``timeout_seconds`` sets the
    budget on the server as in-process (it used to run to the 5 s default)."""
    if "config" in options:  # the multiple-choice verifier: nothing slow to grade, the budget still parses
        result = client.grade_batch([{"response": "(B)", "reference": "B", "options": options}])[0]
        assert result.status is Status.OK and result.correct
        return
    start = time.monotonic()
    result = client.grade_batch([{"response": POWER_TOWER, "reference": "1", "options": options}])[0]
    assert result.status is Status.TIMEOUT, result
    assert "within 1 s" in result.reason
    assert time.monotonic() - start < 4.0  # well under the 5 s default budget


def test_default_options_a_verifier_does_not_know_are_skipped_for_it(client):
    items = [{"response": "0.333", "reference": "1/3"}, {"response": "(B)", "reference": "B",
                                                         "verifier": "multiple_choice"}]
    results = client.grade_batch(items, options={"precision": 3, "extraction": "rules"})
    assert [r.correct for r in results] == [True, True]
    bad = client.grade_batch([{"response": "(B)", "reference": "B", "verifier": "multiple_choice",
                               "options": {"precision": 3}}])[0]
    assert bad.status is Status.INVALID_ARGUMENT and "precision" in bad.reason


def test_deadline_expiry_cancels_and_server_keeps_serving(server, client):
    stub_channel = grpc.insecure_channel(server.target)
    stub = pb_grpc.GraderStub(stub_channel)
    request = build_request([{"response": POWER_TOWER, "reference": "1", "options": {"timeout": 3}}] * 4)
    with pytest.raises(grpc.RpcError) as err:
        stub.Grade(request, timeout=0.5)
    assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    stub_channel.close()
    assert client.grade(r"\boxed{5}", "5").correct


def test_too_many_items_is_invalid_argument(client):
    with pytest.raises(grpc.RpcError) as err:
        client.grade_batch([{"response": "1", "reference": "1"}] * 101)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "limit is 100" in err.value.details()


def test_a_batch_over_the_clients_request_size_goes_as_several_requests_in_order(server):
    """A trainer's batch over the server's --max-items (here 100) was refused whole, or all None through TRL."""
    items = [{"id": str(i), "response": str(i % 7), "reference": "3"} for i in range(250)]
    with GraderClient(server.target, timeout=60, max_batch_items=100) as client:
        results = client.grade_batch(items)
    assert [r.extra["id"] for r in results] == [str(i) for i in range(250)]
    assert [r.correct for r in results] == [i % 7 == 3 for i in range(250)]

    async def run() -> list:
        async with AsyncGraderClient(server.target, timeout=60, max_batch_items=100) as client:
            return await client.grade_batch(items)

    assert [r.correct for r in asyncio.run(run())] == [i % 7 == 3 for i in range(250)]


def test_an_adapter_backend_serves_a_new_event_loop_for_each_batch(server):
    """A trainer that runs each batch in its own asyncio.run: the second batch got "Event loop is closed"."""
    from grader.integrations.backend import Backend

    backend = Backend(server.target)
    for _ in range(3):
        results = asyncio.run(backend.agrade([{"response": "1", "reference": "1"}]))
        assert results[0].correct


def test_the_async_client_sends_a_batchs_requests_one_after_another():
    """All at once, a batch's requests passed the server's --max-queue, and RESOURCE_EXHAUSTED failed the batch."""
    srv = Server("--workers", "1", "--max-queue", "8")
    items = [{"response": rf"\boxed{{\frac{{\sqrt{{2}}}}{{{2 * i + 4}}}}}", "reference": rf"\frac{{\sin(\pi/4)}}{{{i + 2}}}"}
             for i in range(12)]  # sympy: graded in the worker, so queued

    async def run() -> list:
        async with AsyncGraderClient(srv.target, timeout=60, max_batch_items=4) as client:
            return await client.grade_batch(items)

    try:
        assert [r.correct for r in asyncio.run(run())] == [True] * 12
    finally:
        assert srv.stop() == 0


def test_an_item_that_cannot_be_put_on_the_wire_fails_alone(client):
    results = client.grade_batch([{"response": "1", "reference": "1"}, {"response": "1", "reference": 1},
                                  {"id": "x", "reference": "1"}, {"response": "2", "reference": "2"}],
                                 rewards={"incorrect": -1.0})
    assert [r.status for r in results] == [Status.OK, Status.INVALID_ARGUMENT, Status.INVALID_ARGUMENT, Status.OK]
    assert "cannot be sent" in results[1].reason and "missing field 'response'" in results[2].reason
    assert results[2].extra["id"] == "x" and results[1].reward == -1.0 and results[3].correct


def test_empty_request_is_invalid_argument(server):
    with grpc.insecure_channel(server.target) as ch, pytest.raises(grpc.RpcError) as err:
        pb_grpc.GraderStub(ch).Grade(pb.GradeRequest(), timeout=10)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_list_verifiers(client):
    reply = client.list_verifiers()
    assert [v.name for v in reply.verifiers] == list(verifiers.names())
    math = next(v for v in reply.verifiers if v.name == "math")
    assert {"precision", "timeout", "extraction"} <= set(math.options) and math.placement == "worker"
    assert reply.engine_version and reply.server_version
    ifeval = next(v for v in reply.verifiers if v.name == "ifeval")
    assert {"mode", "scoring"} <= set(ifeval.options) and len(ifeval.supports) == 25 + 29 + 58 + 1
    assert {"punctuation:no_comma", "copy:repeat_phrase", "count:keywords_multiple"} <= set(ifeval.supports)
    code = next(v for v in reply.verifiers if v.name == "code")
    assert code.placement == "sandbox" and set(code.supports) == {"humaneval", "mbpp", "stdio", "call"}


def test_async_client_and_round_robin(server):
    async def run():
        async with AsyncGraderClient([server.target, server.target]) as c:
            return await asyncio.gather(*(c.grade(rf"\boxed{{{i}}}", str(i)) for i in range(10)))

    assert all(r.correct for r in asyncio.run(run()))


def test_client_retries_unavailable_then_fails():
    with GraderClient(f"127.0.0.1:{free_port()}", timeout=2, retries=2, backoff=0.01) as c:
        with pytest.raises(grpc.RpcError) as err:
            c.grade("1", "1")
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE


def test_queue_limit_gives_resource_exhausted():
    srv = Server("--max-queue", "4")
    try:
        with GraderClient(srv.target, timeout=30, retries=0) as c:
            with pytest.raises(grpc.RpcError) as err:
                c.grade_batch([{"response": "1", "reference": "1"}] * 5)
            assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert c.grade_batch([{"response": "1", "reference": "1"}] * 4)[0].correct
    finally:
        assert srv.stop() == 0


def test_sigterm_drains_in_flight_work():
    srv = Server("--drain-timeout", "30")
    items = [{"id": str(i), "response": r"\boxed{\frac{\sqrt{2}}{2}}" if i % 2 else POWER_TOWER,
              "reference": r"\sin\frac{\pi}{4}", "options": {"timeout": 1}} for i in range(6)]
    out: dict = {}

    def call() -> None:
        with GraderClient(srv.target, timeout=60, retries=0) as c:
            out["results"] = c.grade_batch(items)

    t = threading.Thread(target=call)
    t.start()
    time.sleep(0.5)  # the batch is in flight: three power towers take about 3 s
    srv.proc.send_signal(signal.SIGTERM)
    t.join(60)
    assert srv.proc.wait(timeout=60) == 0
    results = out["results"]
    assert [r.extra["id"] for r in results] == [str(i) for i in range(6)]
    assert [r.status for r in results] == [Status.TIMEOUT, Status.OK] * 3
    with GraderClient(srv.target, timeout=2, retries=0) as c, pytest.raises(grpc.RpcError) as err:
        c.grade("1", "1")
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE


def test_cli_grade_through_server(server, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "response": "\\\\boxed{4}", "reference": "4"}\n'
                   '{"id": "b", "response": "\\\\boxed{5}", "reference": "4"}\n')
    out = tmp_path / "out.jsonl"
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", str(src), "-o", str(out), "--server",
                           server.target, "--no-progress"], capture_output=True, text=True, timeout=120,
                          env={**os.environ})
    assert proc.returncode == 0, proc.stderr
    lines = out.read_text().splitlines()
    assert '"correct": true' in lines[0] and '"correct": false' in lines[1]
    assert "items" in proc.stderr


def test_cli_grade_stops_when_the_server_cannot_be_reached(tmp_path):
    """Every line was PARSE_ERROR "The server call failed", the summary counted them, and the run exit 0."""
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "response": "\\\\boxed{4}", "reference": "4"}\n')
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", str(src), "-o", str(tmp_path / "out.jsonl"),
                           "--server", f"127.0.0.1:{free_port()}", "--no-progress"], capture_output=True, text=True,
                          timeout=120, env={**os.environ})
    assert proc.returncode == 1, proc.stderr
    assert "the server call failed (UNAVAILABLE" in proc.stderr and "Traceback" not in proc.stderr
    pq = pytest.importorskip("pyarrow.parquet")
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", str(src), "-o", str(tmp_path / "out.parquet"),
                           "--server", f"127.0.0.1:{free_port()}", "--no-progress"], capture_output=True, text=True,
                          timeout=120, env={**os.environ})
    assert proc.returncode == 1 and pq.read_table(tmp_path / "out.parquet").num_rows == 0  # was a 0-byte file


def test_reflection_lists_the_services(server):
    from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

    with grpc.insecure_channel(server.target) as ch:
        services = set(ProtoReflectionDescriptorDatabase(ch).get_services())
    assert {"grader.v1.Grader", "grpc.health.v1.Health"} <= services


def test_an_empty_batch_is_no_call(client):
    assert client.grade_batch([]) == []
