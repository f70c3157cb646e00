#!/usr/bin/env python3
"""Served throughput and latency matrix: benchmarks/load.py with 1, 8 and 32 clients
(2 workers), and with 1 and 2 worker processes (8 clients).

    python benchmarks/served.py --out benchmarks/results/served   # writes served.json, served.md

Each configuration starts its own server on a free loopback port, runs a
bounded single-item phase and a batch-of-64 phase, and stops the server
(about 10 s each; each phase also stops after --phase-seconds). CPU per item
is the CPU time of the server process and its workers over the items graded.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import harness  # noqa: E402

CONFIGS = [(1, 2), (8, 2), (32, 2), (8, 1)]  # (clients, workers)


def run_load(clients: int, workers: int, requests: int, batches: int, phase_seconds: float) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        cmd = [sys.executable, str(HERE / "load.py"), "--clients", str(clients), "--workers", str(workers),
               "--requests", str(requests), "--batches", str(batches), "--phase-seconds", str(phase_seconds),
               "--log-level", "WARNING", "--json", out.name]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
        if proc.returncode != 0:
            raise RuntimeError(f"load.py {clients} clients / {workers} workers failed:\n{proc.stdout}\n{proc.stderr}")
        return json.loads(Path(out.name).read_text())


def row(clients: int, workers: int, phase: dict) -> dict:
    cpu = phase["cpu_s"]
    server_cpu = cpu["server_loop"] + cpu["server_other_threads"] + cpu["workers"]
    return {"clients": clients, "workers": workers, "phase": phase["phase"], "items_per_request": phase["items_per_request"],
            "items": phase["items"], "items_per_s": phase["items_per_s"], "requests_per_s": phase["requests_per_s"],
            "latency_ms": phase["latency_ms"], "errors": phase["error_count"],
            "incomplete": phase["incomplete_responses"],
            "server_cpu_us_per_item": round(1e6 * server_cpu / max(1, phase["items"]), 1),
            "other_processes_cpu_s": cpu["other_processes"]}


def table_row(r: dict) -> list:
    lat = r["latency_ms"]
    call = "single item" if r["items_per_request"] == 1 else f"batch of {r['items_per_request']}"
    return [r["clients"], r["workers"], call, f"{r['items_per_s']:,}", lat["p50"], lat["p99"], lat["max"],
            r["server_cpu_us_per_item"], r["errors"] + r["incomplete"]]


def markdown(rows: list[dict], machine: dict) -> str:
    lines = [f"Served through gRPC on loopback ({machine['nproc']} CPUs, {machine['cpu_model']}); clients share the "
             "machine with the server.", ""]
    lines += harness.md_table(("clients", "workers", "call", "items/s", "p50 ms", "p99 ms", "max ms",
                               "server CPU µs/item", "errors"), (table_row(r) for r in rows), align="rrlrrrrrr")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="benchmarks/results/served", help="writes OUT.json and OUT.md")
    ap.add_argument("--requests", type=int, default=1500, help="single-item calls per configuration")
    ap.add_argument("--batches", type=int, default=120, help="batch-of-64 calls per configuration")
    ap.add_argument("--phase-seconds", type=float, default=20.0)
    args = ap.parse_args(argv)
    rows, machine = [], {}
    for clients, workers in CONFIGS:
        report = run_load(clients, workers, args.requests, args.batches, args.phase_seconds)
        machine = report["machine"]
        rows.extend(row(clients, workers, p) for p in report["phases"])
        print(f"{clients} clients, {workers} workers: " +
              ", ".join(f"{p['phase']} {p['items_per_s']} items/s p99 {p['latency_ms']['p99']} ms" for p in report["phases"]),
              flush=True)
    Path(args.out + ".json").write_text(json.dumps({"machine": machine, "rows": rows}, indent=2) + "\n")
    Path(args.out + ".md").write_text(markdown(rows, machine))
    print(markdown(rows, machine))
    return 0


if __name__ == "__main__":
    sys.exit(main())
