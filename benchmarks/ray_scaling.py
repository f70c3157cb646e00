#!/usr/bin/env python3
"""Ray scale-out on this machine: the benchmark workload through Ray Serve with 1 and 2 grading
replicas, and through `grader grade --ray` with 1 and 2 actors, beside the plain local run.

    python benchmarks/ray_scaling.py --out benchmarks/results/ray_scaling   # ray_scaling.json, .md

One local Ray (--cpus logical CPUs, 2 by default) for every configuration; each grading replica
and each actor holds one worker process and one CPU. Serve: --clients threads, each a GraderClient
sending batches of 64 until the workload is graded once. On a 2-core machine expect little gain
from a second replica: the cores, not the replicas, are the limit.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import harness  # noqa: E402
import workload  # noqa: E402

BATCH = 64


def serve_rate(items: list[dict], replicas: int, clients: int) -> dict:
    from ray import serve

    from grader.client import GraderClient
    from grader.ray_serve import APP_NAME, Scaling, application, grpc_options, http_options
    from grader.server_config import ServerConfig

    config = ServerConfig(port=harness.free_port(), http_port=harness.free_port(), workers=1, no_extractor=True)
    serve.start(http_options=http_options(config), grpc_options=grpc_options(config))
    serve.run(application(config, Scaling(min_replicas=replicas, max_replicas=replicas)), name=APP_NAME,
              route_prefix="/", blocking=False)
    batches = [items[i:i + BATCH] for i in range(0, len(items), BATCH)]
    graded, lock = [0], threading.Lock()

    def client() -> None:
        with GraderClient(f"127.0.0.1:{config.port}") as c:
            while True:
                with lock:
                    if not batches:
                        return
                    batch = batches.pop()
                results = c.grade_batch(batch)
                with lock:
                    graded[0] += len(results)

    with GraderClient(f"127.0.0.1:{config.port}") as c:  # every replica warm before the clock starts
        for _ in range(4 * replicas):
            c.grade_batch(items[:BATCH])
    start = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    serve.shutdown()
    return {"path": "serve", "replicas": replicas, "clients": clients, "items": graded[0], "seconds": round(wall, 2),
            "items_per_s": round(graded[0] / wall, 1)}


def data_rate(path: str, actors: int | None, local: list[dict] | None) -> tuple[dict, list[dict]]:
    """One `grader grade` run (local, or --ray with ``actors``); its output must equal ``local``'s."""
    from grader.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        flags = ["--ray", "--ray-actors", str(actors)] if actors else []
        start = time.perf_counter()
        assert main(["grade", path, "-o", f"{tmp}/out.jsonl", "--workers", "1", "--no-progress", *flags]) == 0
        wall = time.perf_counter() - start
        out = [{k: v for k, v in json.loads(line).items() if k != "latency_ms"} for line in open(f"{tmp}/out.jsonl")]
    if local is not None and out != local:
        raise AssertionError(f"grade --ray with {actors} actors differs from the local run")
    return {"path": "grade --ray" if actors else "grade (local)", "actors": actors or 0, "items": len(out),
            "seconds": round(wall, 2), "items_per_s": round(len(out) / wall, 1)}, out


def markdown(rows: list[dict], machine: dict, cpus: int) -> str:
    lines = [f"Ray on one machine ({machine['nproc']} CPUs, {machine['cpu_model']}; Ray given {cpus} CPUs), the "
             "benchmark workload (benchmarks/workload.py); one worker process per replica or actor. Wall time "
             "includes Ray Data's start-up and the actors' warm-up.", ""]
    table = [[r["path"], r.get("replicas", r.get("actors", "")), r.get("clients", ""), r["items"], r["seconds"],
              r["items_per_s"]] for r in rows]
    lines += harness.md_table(["path", "replicas / actors", "clients", "items", "seconds", "items/s"], table)
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompts", type=int, default=1250, help="workload prompts (8 samples each)")
    parser.add_argument("--cpus", type=int, default=2)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--out", default=str(HERE / "results" / "ray_scaling"))
    args = parser.parse_args()
    import ray

    from grader.ray_compat import RUNTIME_ENV

    items = [{k: i[k] for k in ("response", "reference")} for i in workload.generate(args.prompts)]
    ray.init(num_cpus=args.cpus, include_dashboard=False, logging_level=logging.WARNING, log_to_driver=False,
             runtime_env={**RUNTIME_ENV, "env_vars": {"GRADER_EXTRACTOR": "off"}})
    rows = [serve_rate(items, replicas, args.clients) for replicas in (1, 2)]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        f.writelines(json.dumps(item) + "\n" for item in items)
    row, local = data_rate(f.name, None, None)
    rows += [row] + [data_rate(f.name, actors, local)[0] for actors in (1, 2)]
    ray.shutdown()
    machine = harness.machine_info()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out + ".json").write_text(json.dumps({"machine": machine, "cpus": args.cpus, "rows": rows}, indent=1))
    Path(args.out + ".md").write_text(markdown(rows, machine, args.cpus))
    print(markdown(rows, machine, args.cpus))


if __name__ == "__main__":
    main()
