# grader: the gRPC grading server.
#
#   docker build -t grader .                                   # CPU torch (default)
#   docker build -t grader:cuda --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cu128 .
#   docker run -p 50051:50051 -e GRADER_AUTH_TOKEN=change-me grader
#
# BASE is any image with python3 (3.11+) and its venv module: python:3.11-slim by default, or a
# Debian bookworm base (`make image-check` builds one with debootstrap, and builds with podman). The
# project goes into a virtual environment, /opt/grader, so a Debian python3 whose pip is externally
# managed (PEP 668) works as well as the python image's.
#
# Where TORCH_INDEX cannot be reached, point TORCH_FIND_LINKS at a folder holding the torch wheel
# (mounted for the build: `podman build --volume /opt/wheels:/wheels:ro --build-arg
# TORCH_FIND_LINKS=/wheels --build-arg TORCH_INDEX=https://pypi.org/simple`): pip takes the wheel
# from there and torch's own dependencies from the index. deploy/image_check.sh does this.
#
# The server binds 0.0.0.0 inside the container; set GRADER_AUTH_TOKEN (and
# GRADER_TLS_CERT/GRADER_TLS_KEY, mounted) before exposing it. Every flag of
# `grader serve` has a GRADER_* environment variable.
ARG BASE=python:3.11-slim

# The build stage: the venv, torch and the project, installed from a copy of the sources.
FROM ${BASE} AS build

# Wheel index for torch: the CPU build by default; a CUDA index for GPU images.
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
# Optional: a folder (or page) of wheels pip also looks in for torch; empty: the index alone.
ARG TORCH_FIND_LINKS=

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/grader/bin:$PATH
RUN python3 -m venv /opt/grader
WORKDIR /src

# torch first (large, rarely changes), at the version pyproject.toml pins.
RUN if [ -n "${TORCH_FIND_LINKS}" ]; then export PIP_FIND_LINKS="${TORCH_FIND_LINKS}"; fi \
    && pip install --index-url "${TORCH_INDEX}" torch==2.13.0

COPY pyproject.toml README.md ./
COPY proto ./proto
COPY grader ./grader
# The extractor model and the default judge are baked into the image (installed as package data).
COPY extractor_model ./extractor_model
COPY judge_model ./judge_model
RUN pip install .

# The image: the base, the user and the venv, without the sources or build files.
FROM ${BASE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/grader \
    PATH=/opt/grader/bin:$PATH

# The code sandbox runs programs with the base's python3 on /usr/local/bin:/usr/bin:/bin (not
# the venv's), as an unprivileged uid: see deploy/k8s/README.md for what nsjail needs.
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin grader
COPY --from=build /opt/grader /opt/grader
WORKDIR /home/grader

USER 10001
ENV GRADER_HOST=0.0.0.0 \
    GRADER_PORT=50051 \
    GRADER_TARGET=127.0.0.1:50051
EXPOSE 50051
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["grader", "health"]
ENTRYPOINT ["grader", "serve"]
