"""deploy/k8s: the manifests against Kubernetes' own schemas (kubernetes-validate, offline), and against
the server they run: its health service, port, user, flags and token."""

import argparse
import pathlib
import re
import socket

import kubernetes_validate
import pytest
import yaml

from grader.cli.serve import add_serve_command
from grader.server import SERVICE_NAME
from grader.server_config import ServerConfig

ROOT = pathlib.Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
DOCKERFILE = (ROOT / "Dockerfile").read_text()
# appArmorProfile (1.30) is the newest field used; the validator's latest schemas are checked too.
KUBERNETES_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())


def documents(name: str) -> list[dict]:
    return [d for d in yaml.safe_load_all((K8S / name).read_text()) if d]


def manifests() -> list[dict]:
    return [d for path in sorted(K8S.glob("*.yaml")) if path.name != "kustomization.yaml"
            for d in documents(path.name)]


def of_kind(kind: str) -> list[dict]:
    found = [d for d in manifests() if d["kind"] == kind]
    assert found, f"no {kind} in deploy/k8s"
    return found


def containers() -> list[tuple[dict, dict]]:
    return [(deployment, c) for deployment in of_kind("Deployment")
            for c in deployment["spec"]["template"]["spec"]["containers"]]


def env_of(container: dict) -> dict[str, dict]:
    return {e["name"]: e for e in container.get("env", [])}


def dockerfile(instruction: str) -> str:
    return re.findall(rf"^{instruction}\s+(.*)$", DOCKERFILE, flags=re.MULTILINE)[-1].strip()


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_manifests_pass_the_schema_validator_strictly_and_offline(version, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the validator tried the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    for manifest in manifests():
        kubernetes_validate.validate(manifest, version, strict=True)


def test_the_validator_rejects_an_unknown_field():
    deployment = of_kind("Deployment")[0]
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[0], strict=True)


def test_kustomization_lists_every_manifest_but_the_secret_example():
    kustomization = documents("kustomization.yaml")[0]
    listed = set(kustomization["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
    assert listed == on_disk
    images = {i["name"] for i in kustomization["images"]}
    assert {c["image"] for _, c in containers()} <= images


def test_probes_call_the_health_service_on_the_grpc_port():
    for deployment, container in containers():
        grpc_port = {p["name"]: p["containerPort"] for p in container["ports"]}["grpc"]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["grpc"]["port"] == grpc_port, (deployment["metadata"]["name"], probe)
        # The server marks both "" and its own service SERVING, and NOT_SERVING when it starts draining.
        assert container["readinessProbe"]["grpc"]["service"] == SERVICE_NAME
        assert container["livenessProbe"]["grpc"].get("service", "") == ""


def test_services_are_headless_and_reach_the_grpc_port_of_a_deployment():
    pods = {d["metadata"]["name"]: d["spec"]["template"]["metadata"]["labels"] for d in of_kind("Deployment")}
    for service in of_kind("Service"):
        spec = service["spec"]
        assert spec["clusterIP"] == "None", service["metadata"]["name"]
        assert spec.get("publishNotReadyAddresses") is not True  # draining pods leave the DNS answer
        matching = [name for name, labels in pods.items() if spec["selector"].items() <= labels.items()]
        assert len(matching) == 1, (service["metadata"]["name"], matching)
        assert [p["targetPort"] for p in spec["ports"]] == ["grpc"]


def test_the_pdb_and_hpa_govern_the_cpu_deployment():
    cpu = next(d for d in of_kind("Deployment") if d["metadata"]["name"] == "grader")
    labels = cpu["spec"]["template"]["metadata"]["labels"]
    assert of_kind("PodDisruptionBudget")[0]["spec"]["selector"]["matchLabels"].items() <= labels.items()
    hpa = of_kind("HorizontalPodAutoscaler")[0]["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "grader"}
    assert hpa["minReplicas"] >= 2  # with the PDB's maxUnavailable 1, a drain never empties the Service


def test_the_token_comes_from_the_secret():
    secret = documents("secret.example.yaml")[0]
    for deployment, container in containers():
        token = env_of(container)["GRADER_AUTH_TOKEN"]
        assert "value" not in token
        ref = token["valueFrom"]["secretKeyRef"]
        assert ref["name"] == secret["metadata"]["name"] and ref["key"] in secret["stringData"]


def serve_parser() -> argparse.ArgumentParser:
    """`grader serve`'s parser, built now: its defaults are read from the environment as it is built."""
    commands = argparse.ArgumentParser().add_subparsers()
    add_serve_command(commands)
    return commands.choices["serve"]


def test_settings_are_grader_serve_flags_that_validate(monkeypatch):
    known = {f.metadata["env"] for f in ServerConfig.__dataclass_fields__.values() if "env" in f.metadata}
    for name in known:
        monkeypatch.delenv(name, raising=False)
    for deployment, container in containers():
        assert "command" not in container  # the image's entrypoint, `grader serve`, with its flags as args
        for name, entry in env_of(container).items():
            assert name in known, f"{name} is not a `grader serve` setting"
            monkeypatch.setenv(name, entry.get("value", "a-token-from-the-secret"))
        args = serve_parser().parse_args(container.get("args", []))  # an unknown flag exits (SystemExit)
        config = ServerConfig(**{f: getattr(args, f) for f in ServerConfig.__dataclass_fields__ if hasattr(args, f)})
        config.validate()
        assert config.max_connection_age > 0  # without it, round robin never reaches pods added later
        # One grading process per requested core (0 would mean one per core of the node).
        assert config.workers == int(container["resources"]["requests"]["cpu"])
        # Kubernetes waits for the drain before it kills the pod.
        assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > config.drain_timeout
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["metrics"] == config.metrics_port
        for name in env_of(container):
            monkeypatch.delenv(name)


def test_pods_run_as_the_image_user_on_its_port():
    assert dockerfile("ENTRYPOINT") == '["grader", "serve"]'
    for deployment, container in containers():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert str(pod["securityContext"]["runAsUser"]) == dockerfile("USER")
        grpc_port = {p["name"]: p["containerPort"] for p in container["ports"]}["grpc"]
        assert str(grpc_port) == dockerfile("EXPOSE")
        security = container["securityContext"]
        assert security["allowPrivilegeEscalation"] is False and security["capabilities"]["drop"] == ["ALL"]
        assert not security.get("privileged")
        # The code sandbox writes each item's files under /tmp: a writable volume on a read-only root.
        assert any(m["mountPath"] == "/tmp" for m in container["volumeMounts"])


def test_the_gpu_deployment_puts_the_models_on_cuda():
    gpu = next(d for d in of_kind("Deployment") if d["metadata"]["name"] == "grader-gpu")
    container = gpu["spec"]["template"]["spec"]["containers"][0]
    env = {name: e.get("value") for name, e in env_of(container).items()}
    assert env["GRADER_DEVICE"] == "cuda" and env["GRADER_JUDGE_MODEL"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 1
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert any(env["GRADER_JUDGE_MODEL"].startswith(path + "/") for path in mounts)
