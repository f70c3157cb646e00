#!/usr/bin/env bash
# GPU check for the LM extractor, under 5 minutes on one GPU:
#   1. the device (torch, CUDA, card),
#   2. extraction throughput, batch 1 vs the InferenceBatcher under 32 callers
#      (benchmarks/lm_throughput.py, the measurement `make bench` runs on CPU),
#   3. the judge: batched vs unbatched judgements/s on a random 0.5B-class model
#      (benchmarks/judge_throughput.py; targets: batching >= 10x, >= 2,000 judgements/s at 256 tokens),
#      and the host's ceiling (the same run with a forward pass that costs nothing),
#   4. a short training run on the GPU, continuing the shipped extractor (needs no base model
#      package), with its held-out and unseen-phrasing exact match.
# Usage: benchmarks/gpu_check.sh [OUT_DIR]   (default /tmp/grader-gpu-check)
# Needs a Python with this package and a CUDA build of torch: $PYTHON, else .venv/bin/python.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
OUT=${1:-/tmp/grader-gpu-check}
mkdir -p "$OUT"

echo "== device"
"$PY" - <<'PY'
import sys
import torch
if not torch.cuda.is_available():
    sys.exit("no CUDA device: this check is for a GPU machine (torch %s)" % torch.__version__)
p = torch.cuda.get_device_properties(0)
print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, {p.name}, {p.total_memory / 2**30:.0f} GiB, "
      f"bf16 {torch.cuda.is_bf16_supported()}")
PY

echo "== throughput: batch 1 vs InferenceBatcher, 32 callers (shipped model)"
timeout 120 "$PY" benchmarks/lm_throughput.py --device cuda --n 2048 --callers 32 --max-batch 64 \
    --out "$OUT/lm_throughput"

# 256 callers for batches of 128: the judge's two batcher threads each have a batch to prepare.
echo "== judge: batched vs one pass per judgement, a random 0.5B-class model, 256-token prompts"
timeout 150 "$PY" benchmarks/judge_throughput.py --shape 0.5b --device cuda --n 2048 --callers 256 --max-batch 128 \
    --out "$OUT/judge_throughput"
echo "== judge: the host's ceiling (the same, the forward pass free, two batcher threads as on the GPU)"
timeout 60 "$PY" benchmarks/judge_throughput.py --shape 0.5b --host-ceiling --workers 2 --n 8192 --callers 256 --max-batch 128 \
    --out "$OUT/judge_host_ceiling"

echo "== short training run on the GPU (continuing the shipped extractor, 2 minutes of steps)"
timeout 170 "$PY" -m extractor_model.train --device cuda --init extractor_model/default --lr 4e-5 \
    --out "$OUT/model" --n-train 14000 --n-eval 1000 --batch-size 64 --max-train-minutes 2 \
    | grep -E "^\[(model|train|threshold|eval|saved)\]"
echo "== done: $OUT"
