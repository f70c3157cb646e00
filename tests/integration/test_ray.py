"""Ray (issue 20): the Serve deployments through the unchanged GraderClient, and `grader grade --ray`
equal to the local `grader grade`. One local Ray for the module (2 CPUs, a small object store, no
dashboard), shut down at its end; skipped only where ray is not installed."""

from __future__ import annotations

import json
import logging
import threading
import time

import grpc
import pytest

ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'grader[ray]')")
serve = pytest.importorskip("ray.serve", reason="ray[serve] is not installed (pip install 'grader[ray]')")

import grader  # noqa: E402
from grader.cli import main  # noqa: E402
from grader.client import GraderClient, build_request, open_channel  # noqa: E402
from grader.ray_compat import RUNTIME_ENV  # noqa: E402
from grader.ray_serve import APP_NAME, Scaling, application, grpc_options, http_options  # noqa: E402
from grader.server_config import ServerConfig  # noqa: E402
from grader.v1 import grader_pb2 as pb  # noqa: E402
from grader.v1 import grader_pb2_grpc as pb_grpc  # noqa: E402
from servers import AlwaysCorrect, free_port  # noqa: E402

TOKEN = "ray-test-token"
IFEVAL_REF = json.dumps({"instruction_id_list": ["change_case:english_lowercase"], "kwargs": [{}]})
ITEMS = [
    {"id": "m1", "response": r"The answer is \boxed{42}", "reference": "42"},
    {"id": "m2", "response": r"so \boxed{\frac{1}{2}}", "reference": "0.5"},
    {"id": "i1", "response": "all lower case here", "reference": IFEVAL_REF, "verifier": "ifeval"},
    {"id": "e1", "response": "Paris", "reference": "paris", "verifier": "exact"},
    {"id": "bad", "response": "x", "reference": "1", "verifier": "no-such-verifier"},
]
VERDICT = ("correct", "score", "reward", "status", "extracted", "method", "reason")


def verdict(result) -> tuple:
    return tuple(getattr(result, name) for name in VERDICT)


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, object_store_memory=100 << 20, include_dashboard=False, logging_level=logging.WARNING,
             log_to_driver=False, runtime_env={**RUNTIME_ENV, "env_vars": {"GRADER_EXTRACTOR": "off"}})
    yield
    serve.shutdown()
    ray.shutdown()


@pytest.fixture(scope="module")
def served(cluster):
    """The application as `grader serve-ray` deploys it: two grading replicas (one worker process and
    one CPU each) and the model deployment with a judge (a stub endpoint: no CPU), so model queries
    cross deployments."""
    judge = AlwaysCorrect()
    config = ServerConfig(port=free_port(), http_port=free_port(), workers=1, no_extractor=True,
                          auth_token=TOKEN, judge_url=f"http://127.0.0.1:{judge.port}")
    serve.start(http_options=http_options(config), grpc_options=grpc_options(config))
    scaling = Scaling(min_replicas=2, max_replicas=2, model_gpus=0, model_cpus=0)
    serve.run(application(config, scaling), name=APP_NAME, route_prefix="/", blocking=False)
    yield config, judge
    serve.delete(APP_NAME)
    judge.server.should_exit = True


def test_grader_client_grades_through_the_serve_grpc_ingress(served):
    config, _ = served
    with GraderClient(f"127.0.0.1:{config.port}", token=TOKEN) as client:
        results = client.grade_batch(ITEMS)
        names = [v.name for v in client.list_verifiers().verifiers]
    local = grader.grade_many(ITEMS)
    assert [verdict(r) for r in results] == [verdict(r) for r in local]
    assert [r.extra["id"] for r in results] == [i["id"] for i in ITEMS]
    assert results[0].correct and results[-1].status.value == "INVALID_ARGUMENT"
    assert {"math", "ifeval", "exact"} <= set(names)


def test_the_token_and_request_limits_hold_through_the_proxy(served):
    config, _ = served
    target = f"127.0.0.1:{config.port}"
    with GraderClient(target, token="wrong") as client, pytest.raises(grpc.RpcError) as denied:
        client.grade("1", "1")
    assert denied.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with open_channel(target) as channel, pytest.raises(grpc.RpcError) as empty:  # the client sends no empty batch
        pb_grpc.GraderStub(channel).Grade(pb.GradeRequest(), timeout=60,
                                          metadata=(("authorization", f"Bearer {TOKEN}"),))
    assert empty.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "no items" in empty.value.details()
    assert main(["health", "--target", target]) == 0  # health is open, as on `grader serve`


def test_grade_stream_answers_each_request(served):
    config, _ = served
    requests = [build_request(ITEMS[:2]), build_request(ITEMS[3:4])]
    with open_channel(f"127.0.0.1:{config.port}") as channel:
        replies = list(pb_grpc.GraderStub(channel).GradeStream(iter(requests), timeout=60,
                                                                metadata=(("authorization", f"Bearer {TOKEN}"),)))
    assert [[r.correct for r in reply.results] for reply in replies] == [[True, True], [True]]


def test_a_rule_miss_is_judged_in_the_model_deployment(served):
    config, judge = served
    before = len(judge.bodies)
    with GraderClient(f"127.0.0.1:{config.port}", token=TOKEN) as client:
        result = client.grade(r"So \boxed{\text{every odd integer}}.", r"\text{odd}")
    assert result.correct and result.method == "judge" and len(judge.bodies) == before + 1


def test_the_http_gateway_is_served_with_the_same_token(served):
    import httpx

    config, _ = served
    url = f"http://127.0.0.1:{config.http_port}"
    body = {"items": ITEMS[:2], "default_verifier": "math"}
    assert httpx.post(f"{url}/v1/grade", json=body, timeout=60).status_code == 401
    reply = httpx.post(f"{url}/v1/grade", json=body, timeout=60, headers={"authorization": f"Bearer {TOKEN}"})
    assert reply.status_code == 200
    assert [(r["id"], r["correct"]) for r in reply.json()["results"]] == [("m1", True), ("m2", True)]
    assert httpx.get(f"{url}/healthz", timeout=10).text == "ok"


def test_a_killed_replica_loses_no_item(served):
    config, _ = served
    replicas = [a for a in ray.util.list_named_actors(all_namespaces=True) if "GraderDeployment" in a["name"]]
    assert len(replicas) == 2
    results, errors = [], []

    def load() -> None:
        with GraderClient(f"127.0.0.1:{config.port}", token=TOKEN, retries=6) as client:
            for i in range(40):
                batch = [{"id": f"{i}-{k}", "response": rf"\boxed{{{k}}}", "reference": str(k)} for k in range(8)]
                try:
                    results.extend(client.grade_batch(batch))
                except grpc.RpcError as exc:
                    errors.append(exc)

    caller = threading.Thread(target=load)
    caller.start()
    time.sleep(0.5)  # calls are going to both replicas
    ray.kill(ray.get_actor(replicas[0]["name"], namespace=replicas[0]["namespace"]), no_restart=True)
    caller.join(timeout=120)
    assert not errors
    assert [r.extra["id"] for r in results] == [f"{i}-{k}" for i in range(40) for k in range(8)]
    assert all(r.correct for r in results)


def test_grade_with_ray_data_equals_the_local_run_line_for_line(cluster, served, tmp_path):
    serve.delete(APP_NAME)  # its replicas hold the module's CPUs; Ray Data's actor and read task need them
    lines = [json.dumps({**item, "expected": True, "tag": item.get("verifier", "math")}) for item in ITEMS]
    lines[2:2] = ["", "not json", json.dumps({"response": "no reference"})]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n")
    outputs = {}
    for name, flags in (("local", []), ("ray", ["--ray", "--ray-actors", "2"])):
        out = tmp_path / f"{name}.jsonl"
        assert main(["grade", str(source), "-o", str(out), "--workers", "1", "--no-progress", *flags]) == 0
        outputs[name] = [json.loads(line) for line in out.read_text().splitlines()]
    for rows in outputs.values():
        for row in rows:
            row.pop("latency_ms")
    assert outputs["ray"] == outputs["local"]
    assert len(outputs["local"]) == len(ITEMS) + 2  # the blank line is skipped, as locally
    assert outputs["local"][3]["reason"].startswith("Line 5: ")


def test_grade_with_ray_data_reads_and_writes_parquet(cluster, served, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{k: item.get(k, "") for k in ("id", "response", "reference", "verifier")} for item in ITEMS]
    rows.append({"id": "noref", "response": "7", "reference": "", "verifier": ""})
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "in.parquet")
    out = tmp_path / "out.parquet"
    assert main(["grade", str(tmp_path / "in.parquet"), "-o", str(out), "--workers", "1", "--no-progress",
                 "--ray", "--ray-actors", "2"]) == 0
    graded = pq.read_table(out).to_pylist()
    local = grader.grade_many([{k: v for k, v in row.items() if v} for row in rows])
    assert [r["id"] for r in graded] == [r["id"] for r in rows]
    assert [(r["correct"], r["status"]) for r in graded] == [(v.correct, v.status.value) for v in local]
    assert graded[-1]["reason"].startswith("Row 6: ") and "line 0" not in graded[-1]["reason"].lower()


def test_serve_ray_rejects_bad_settings_before_starting_ray(capsys):
    assert main(["serve-ray", "--min-replicas", "3", "--max-replicas", "2"]) == 2
    assert "--min-replicas" in capsys.readouterr().err
    assert main(["serve-ray", "--detach"]) == 2


def test_the_serve_run_config_names_our_servicers_and_builds():
    import pathlib

    import yaml
    from ray.serve.schema import ServeDeploySchema

    from grader.ray_serve import GRPC_SERVICERS, build

    path = pathlib.Path(__file__).resolve().parents[2] / "deploy" / "ray" / "serve.yaml"
    config = ServeDeploySchema.model_validate(yaml.safe_load(path.read_text()))
    assert config.grpc_options.grpc_servicer_functions == GRPC_SERVICERS
    app, = config.applications
    assert app.import_path == "grader.ray_serve:build"
    assert isinstance(build(app.args), serve.Application)
    with pytest.raises(ValueError, match="unknown arguments"):
        build({"wrokers": "2"})


def test_grade_with_ray_refuses_streams_and_servers(capsys):
    assert main(["grade", "-", "--ray"]) == 2
    assert "give IN and -o OUT as paths" in capsys.readouterr().err
    assert main(["grade", "in.jsonl", "-o", "out.jsonl", "--ray", "--server", "127.0.0.1:1"]) == 2
    assert "alternatives" in capsys.readouterr().err


def test_a_parquet_column_of_mixed_types_is_written_as_json_text():
    from grader.cli.tables import parquet_table

    table = parquet_table([{"reference": "1", "score": 1.0}, {"reference": ["2", "two"], "score": 0.0}])
    assert table.column("reference").to_pylist() == ['"1"', '["2", "two"]']
    assert table.column("score").to_pylist() == [1.0, 0.0]


@pytest.mark.parametrize("gpus, asked", [(2.0, 0.25), (0.0, 0.0)])
def test_model_replicas_ask_a_quarter_gpu_where_the_cluster_has_gpus(monkeypatch, gpus, asked):
    monkeypatch.setattr(ray, "is_initialized", lambda: True)
    monkeypatch.setattr(ray, "cluster_resources", lambda: {"CPU": 8.0, "GPU": gpus})
    config = ServerConfig(no_extractor=True, judge_url="http://127.0.0.1:1", workers=3)
    grading = application(config, Scaling(min_replicas=1, max_replicas=3))._bound_deployment
    models = grading.init_args[1]._bound_deployment
    assert models.ray_actor_options == {"num_cpus": 1.0, "num_gpus": asked}
    assert models.max_ongoing_requests >= 1024  # concurrent asks are what its batcher batches
    assert grading.ray_actor_options == {"num_cpus": 3}
    scaling = grading._deployment_config.autoscaling_config
    assert (scaling.min_replicas, scaling.max_replicas, scaling.target_ongoing_requests) == (1, 3, 2.0)
