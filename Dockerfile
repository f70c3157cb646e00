# grader: the gRPC grading server.
#
#   docker build -t grader .                                   # CPU torch (default)
#   docker build -t grader:cuda --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cu128 .
#   docker run -p 50051:50051 -e GRADER_AUTH_TOKEN=change-me grader
#
# The server binds 0.0.0.0 inside the container; set GRADER_AUTH_TOKEN (and
# GRADER_TLS_CERT/GRADER_TLS_KEY, mounted) before exposing it. Every flag of
# `grader serve` has a GRADER_* environment variable.
FROM python:3.11-slim

# Wheel index for torch: the CPU build by default; a CUDA index for GPU images.
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin grader
WORKDIR /app

# torch first (large, rarely changes), at the version pyproject.toml pins.
RUN pip install --index-url "${TORCH_INDEX}" torch==2.13.0

COPY pyproject.toml README.md ./
COPY proto ./proto
COPY grader ./grader
# The extractor model and the default judge are baked into the image (installed as package data).
COPY extractor_model ./extractor_model
COPY judge_model ./judge_model
RUN pip install .

USER 10001
ENV GRADER_HOST=0.0.0.0 \
    GRADER_PORT=50051 \
    GRADER_TARGET=127.0.0.1:50051
EXPOSE 50051
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["grader", "health"]
ENTRYPOINT ["grader", "serve"]
