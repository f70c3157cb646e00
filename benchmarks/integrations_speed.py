"""The trainer paths' throughput against a local server: the TRL adapter at group sizes 8 and
64, OpenRLHF's HTTP endpoint, and what the Prometheus metrics cost per item.

    python benchmarks/integrations_speed.py --out benchmarks/results/integrations

One ``grader serve --http-port`` child (2 workers, rules only). The workload is
``workload.generate`` (realistic RL responses, grouped as GRPO sends them).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
import workload  # noqa: E402

METRICS_TARGET = 0.05  # /metrics overhead: under 5% of the served per-item time


def trl_rate(target: str, items: list[dict], group: int, seconds: float) -> float:
    from grader.integrations.trl import GraderReward
    reward = GraderReward(target=target)
    batches = [items[i:i + group] for i in range(0, len(items) - group + 1, group)]
    reward(["q"] * group, [b["response"] for b in batches[0]], reference=[b["reference"] for b in batches[0]])
    done, t0, k = 0, time.perf_counter(), 0
    while time.perf_counter() - t0 < seconds:
        batch = batches[k % len(batches)]
        reward(["q"] * group, [b["response"] for b in batch], reference=[b["reference"] for b in batch])
        done, k = done + len(batch), k + 1
    return done / (time.perf_counter() - t0)


def openrlhf_rate(base: str, items: list[dict], per_request: int, seconds: float) -> float:
    import httpx
    with httpx.Client(base_url=base, timeout=60) as client:
        def post(batch: list[dict]) -> None:
            reply = client.post("/openrlhf", json={"query": [b["response"] for b in batch],
                                                   "prompts": [""] * len(batch),
                                                   "labels": [b["reference"] for b in batch]})
            reply.raise_for_status()
        post(items[:per_request])
        done, t0, k = 0, time.perf_counter(), 0
        while time.perf_counter() - t0 < seconds:
            start = (k * per_request) % (len(items) - per_request)
            post(items[start:start + per_request])
            done, k = done + 1, k + 1
        return done / (time.perf_counter() - t0)


def metrics_cost_per_item(items: list[dict]) -> float:
    """Seconds Metrics.graded spends per item (what every served item pays), measured directly."""
    import grader
    from grader.metrics import Metrics
    results = grader.grade_many(items[:512], max_concurrency=1)
    metrics = Metrics()
    metrics.graded(items[:512], results)
    t0 = time.perf_counter()
    for _ in range(20):
        metrics.graded(items[:512], results)
    return (time.perf_counter() - t0) / (20 * 512)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds per measured path")
    parser.add_argument("--out", help="write OUT.md and OUT.json")
    args = parser.parse_args()
    items = [{"response": i["response"], "reference": i["reference"]} for i in workload.generate(250)]
    grpc_port, http_port = harness.free_port(), harness.free_port()
    server = harness.Server(["--http-port", str(http_port), "--workers", "2", "--no-extractor"], grpc_port)
    try:
        server.wait_healthy(120)
        rows = {"trl_group_8_items_per_s": trl_rate(server.target, items, 8, args.seconds),
                "trl_group_64_items_per_s": trl_rate(server.target, items, 64, args.seconds),
                "openrlhf_requests_per_s_8_queries": openrlhf_rate(f"http://{harness.HOST}:{http_port}", items, 8,
                                                                   args.seconds)}
    finally:
        server.stop(30)
    cost = metrics_cost_per_item(items)
    served_per_item = 1 / rows["trl_group_64_items_per_s"]
    rows = {k: round(v, 1) for k, v in rows.items()} | {
        "metrics_us_per_item": round(cost * 1e6, 2), "metrics_share_of_served_item": round(cost / served_per_item, 4)}
    verdict = "PASS" if rows["metrics_share_of_served_item"] < METRICS_TARGET else "FAIL"
    print(json.dumps(rows, indent=2))
    print(f"/metrics overhead under {METRICS_TARGET:.0%} of a served item: {verdict}")
    if args.out:
        info = harness.machine_info(with_grpc=True)
        lines = ["# Trainer paths against a local server (2 workers, rules only)", "",
                 f"{info['cpu_model']}, {info['nproc']} cores, Python {info['python']}.", "",
                 *harness.md_table(["path", "figure"], [
                     ("TRL GraderReward, group 8", f"{rows['trl_group_8_items_per_s']:,.0f} items/s"),
                     ("TRL GraderReward, group 64", f"{rows['trl_group_64_items_per_s']:,.0f} items/s"),
                     ("OpenRLHF POST /openrlhf, 8 queries each", f"{rows['openrlhf_requests_per_s_8_queries']:,.0f} "
                                                                 "requests/s"),
                     ("metrics per item", f"{rows['metrics_us_per_item']} µs "
                                          f"({rows['metrics_share_of_served_item']:.2%} of a served item)")], "lr"),
                 "", f"/metrics overhead under {METRICS_TARGET:.0%}: {verdict}."]
        Path(args.out + ".md").write_text("\n".join(lines) + "\n")
        Path(args.out + ".json").write_text(json.dumps({"machine": info, **rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
