"""LM extractor throughput: one forward pass per request vs the InferenceBatcher.

``callers`` threads each take texts from a shared list and extract their answer
spans, either by calling the extractor directly (batch 1: the extractor's lock
serializes them, one padded forward pass per request) or through
``grader.lm.LMService`` (an InferenceBatcher coalesces concurrent requests
into one forward pass of up to ``max_batch``). Reports sequences/s, p50/p99
per request and the batched/unbatched ratio.

    python benchmarks/lm_throughput.py                          # CPU here, 32 callers
    python benchmarks/lm_throughput.py --device cuda --n 2048   # on a GPU machine
    python benchmarks/lm_throughput.py --out benchmarks/results/lm_throughput

The texts are held-out synthetic responses (extractor_model/data.py), 100 to
3,000 characters. tests/integration/test_bench.py runs the same measurement under
pytest-benchmark (``make bench``).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def sample_texts(n: int, seed: int = 7) -> list[str]:
    from extractor_model import data

    return [ex.text for ex in data.make_split("heldout", n, seed)]


def measure(call: Callable[[str], Any], texts: list[str], callers: int) -> dict:
    """Run ``call`` over ``texts`` from ``callers`` threads; throughput and per-request latency."""
    lock = threading.Lock()
    queue = list(reversed(texts))
    latencies: list[float] = []

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                text = queue.pop()
            t0 = time.perf_counter()
            call(text)
            dt = time.perf_counter() - t0
            with lock:
                latencies.append(dt)

    threads = [threading.Thread(target=worker) for _ in range(callers)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    latencies.sort()
    return {
        "sequences": len(latencies),
        "seconds": round(seconds, 3),
        "seq_per_s": round(len(latencies) / seconds, 1),
        "p50_ms": round(1000 * statistics.median(latencies), 2),
        "p99_ms": round(1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))], 2),
    }


def unbatched(extractor, texts: list[str], callers: int) -> dict:
    return measure(lambda t: extractor.extract_batch([t]), texts, callers)


def batched(extractor, texts: list[str], callers: int, max_batch: int = 32, max_wait_ms: float = 2.0) -> dict:
    from grader.lm.service import LMService

    service = LMService(extractor, max_batch=max_batch, max_wait_ms=max_wait_ms)
    try:
        return measure(service.extract, texts, callers)
    finally:
        service.close()


def compare(extractor, texts: list[str], callers: int = 32, max_batch: int = 32) -> dict:
    extractor.extract_batch(texts[:8])  # warm-up: first-call allocations, CUDA kernels
    one = unbatched(extractor, texts, callers)
    many = batched(extractor, texts, callers, max_batch=max_batch)
    return {"device": extractor.device, "callers": callers, "max_batch": max_batch,
            "unbatched": one, "batched": many, "ratio": round(many["seq_per_s"] / one["seq_per_s"], 2)}


def device_name(device: str) -> str:
    if device.startswith("cuda"):
        import torch

        return torch.cuda.get_device_name(0)
    return f"{platform.processor() or platform.machine()} CPU"


def markdown(report: dict) -> str:
    rows = [f"LM extractor throughput on {report['device_name']} ({report['device']}), "
            f"{report['callers']} concurrent callers, {report['batched']['sequences']} held-out responses", "",
            "| mode | sequences/s | p50 ms | p99 ms |", "| --- | --- | --- | --- |"]
    for mode in ("unbatched", "batched"):
        r = report[mode]
        label = "batch 1 (direct)" if mode == "unbatched" else f"InferenceBatcher (max_batch {report['max_batch']})"
        rows.append(f"| {label} | {r['seq_per_s']} | {r['p50_ms']} | {r['p99_ms']} |")
    rows += ["", f"batched / unbatched: **{report['ratio']}×**", ""]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=None, help="model directory (default: extractor_model/default)")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda")
    p.add_argument("--n", type=int, default=512, help="responses per mode")
    p.add_argument("--callers", type=int, default=32)
    p.add_argument("--max-batch", type=int, default=32)
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    p.add_argument("--out", default=None, help="write OUT.json and OUT.md")
    a = p.parse_args(argv)

    import torch

    torch.set_num_threads(a.threads)
    from grader.lm import AnswerExtractor

    extractor = AnswerExtractor.load(a.model, device=a.device)
    report = compare(extractor, sample_texts(a.n), a.callers, a.max_batch)
    report["device_name"] = device_name(report["device"])
    print(markdown(report))
    if a.out:
        Path(a.out + ".json").write_text(json.dumps(report, indent=2) + "\n")
        Path(a.out + ".md").write_text(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
