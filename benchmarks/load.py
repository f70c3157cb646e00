#!/usr/bin/env python3
"""Bounded load check for the grader gRPC server.

    python benchmarks/load.py [--port P] [--workers N] [--requests R] [--batches B]
                              [--clients C] [--mode threads|aio] [--json OUT.json]

Starts ``grader serve`` on a free 127.0.0.1 port, waits until it reports
SERVING, then drives it with C concurrent clients (8 by default, each with
its own channel and TCP connection; threads by default, or asyncio tasks
with --mode aio) in two phases:

  single  R Grade calls with one item each   (default 2,000)
  batch   B Grade calls with 64 items each   (default 200)

Each phase stops after its request count or after --phase-seconds (30 s),
whichever comes first. Items are a seeded, realistic mix: reasoning of
200-2,000 characters ending in ``\\boxed{...}`` or "The answer is ...";
mostly integers and simple fractions, some decimals, some LaTeX needing sympy
(``\\frac{\\sqrt{2}}{2}`` vs ``\\frac{1}{\\sqrt 2}``), ~15% wrong, ~5% with no
answer. Requests are built and serialized before the clock starts and sent
as bytes through raw multicallables, so the client spends its share of the
CPU on gRPC only; responses are parsed and checked after each phase.

Reported per phase: items/s, request latency p50/p99/max (ms), counts per
status, RPC errors, responses with the wrong number of results, and where
the CPU went (server event-loop thread, other server threads, the grading
workers, this client), read from /proc. Finally the server gets SIGTERM and
must exit 0. The machine (nproc, CPU model) is recorded. The whole run is
killed after 115 s (a normal one takes about 10 s). Exit status: 0 when
every request got a complete response and the server stopped cleanly, 1
otherwise, 3 when the hard time limit fired.

The client shares the machine's cores with the server, and so does anything
else running: the "other" CPU column shows it, and a warning is printed when
it is not small.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import grpc

from grader.client import build_request
from grader.v1 import grader_pb2 as pb

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from harness import CHANNEL_OPTIONS  # noqa: E402

GRADE_METHOD = "/grader.v1.Grader/Grade"
BATCH_SIZE = 64
HARD_LIMIT_S = 115  # the whole run is killed past this, server included


# --------------------------------------------------------------------------- items

_WORDS = ("first we note that the expression simplifies nicely once we collect like terms and "
          "consider the constraint given in the problem so that each case can be handled "
          "separately while checking the boundary conditions carefully before we continue").split()

_STEPS = (
    "We compute {a} + {b} = {s}.",
    "Multiplying, {a} \\cdot {b} = {p}.",
    "Let $x$ be the unknown; then $x + {a} = {s2}$.",
    "Subtracting {b} from both sides gives {d}.",
    "Note that $\\gcd({a}, {b})$ divides both terms.",
    "Checking the case $n = {a}$ separately, the inequality holds.",
    "So far the partial sum is {s}, and we still need the remaining {b} terms.",
    "By symmetry the two halves contribute equally.",
    "Substituting back into the original equation confirms the value.",
    "The discriminant is ${a}^2 - 4 \\cdot {b}$, which is what we need here.",
)

_NON_SQUARES = (2, 3, 5, 6, 7, 10, 11, 13, 14, 15, 17, 19, 21, 22, 23, 26, 29, 30)


def _sympy_pair(rng: random.Random, wrong: bool) -> tuple[str, str]:
    """(response answer, reference) equal in value but not in text, so only sympy can
    tell; parametrized so that the server's caches see mostly new expressions."""
    a = rng.choice(_NON_SQUARES)
    k = rng.randint(2, 9)
    n = rng.randint(2, 12)
    form = rng.randrange(6)
    if form == 0:
        ans, ref = f"\\frac{{\\sqrt{{{a}}}}}{{{a}}}", f"\\frac{{1}}{{\\sqrt {a}}}" if a < 10 else f"\\frac{{1}}{{\\sqrt{{{a}}}}}"
    elif form == 1:
        ans, ref = f"{k}\\sqrt{{{a}}}", f"\\sqrt{{{k * k * a}}}"
    elif form == 2:
        ans, ref = f"\\frac{{{k}\\sqrt{{{a}}}}}{{{a}}}", f"\\frac{{{k}}}{{\\sqrt{{{a}}}}}"
    elif form == 3:
        ans, ref = f"\\frac{{{k}\\pi}}{{{n}}}", f"\\frac{{{k}}}{{{n}}}\\pi"
    elif form == 4:
        ans, ref = f"(x+{k})^2", f"x^2+{2 * k}x+{k * k}"
    else:
        ans, ref = f"\\sqrt{{{a}}}+\\sqrt{{{k * k * a}}}", f"{k + 1}\\sqrt{{{a}}}"
    if wrong:  # a near miss that also needs sympy to refute
        b = rng.choice([x for x in _NON_SQUARES if x != a])
        ans = rng.choice((f"\\frac{{\\sqrt{{{b}}}}}{{{b}}}", f"{k + 1}\\sqrt{{{a}}}" if form != 5 else f"{k}\\sqrt{{{a}}}",
                          f"\\frac{{{k}\\pi}}{{{n + 1}}}", f"(x+{k + 1})^2", f"\\sqrt{{{b}}}"))
    return ans, ref


def _steps(rng: random.Random, length: int, digits: bool = True) -> str:
    parts: list[str] = []
    size = 0
    while size < length:
        if digits and rng.random() < 0.7:
            a, b = rng.randint(2, 999), rng.randint(2, 99)
            s = rng.choice(_STEPS).format(a=a, b=b, s=a + b, p=a * b, s2=a + b + rng.randint(1, 9), d=a - b)
        else:
            s = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(6, 16))).capitalize() + "."
        parts.append(s)
        size += len(s) + 1
    return " ".join(parts)[:length]


def _fraction_text(rng: random.Random, f: Fraction) -> str:
    return rng.choice((f"{f.numerator}/{f.denominator}", f"\\frac{{{f.numerator}}}{{{f.denominator}}}",
                       f"\\dfrac{{{f.numerator}}}{{{f.denominator}}}"))


def make_item(rng: random.Random, idx: int) -> dict:
    """One item with its expected label: 'correct', 'wrong' or 'none'."""
    r = rng.random()
    label = "none" if r < 0.05 else "wrong" if r < 0.20 else "correct"
    kind = rng.choices(("int", "frac", "dec", "sympy"), weights=(52, 28, 12, 8))[0]
    if kind == "int":
        n = rng.randint(-50, 100_000) if rng.random() < 0.9 else rng.randint(0, 12)
        ref, ans = str(n), str(n if label != "wrong" else n + rng.choice((-1, 1)) * rng.randint(1, 50))
        if label != "wrong" and n >= 1000 and rng.random() < 0.2:
            ans = f"{n:,}"  # thousands separator
    elif kind == "frac":
        q = rng.randint(2, 60)
        p = rng.randint(1, 3 * q)
        f = Fraction(p, q)
        if f.denominator == 1:
            f = Fraction(f.numerator * 2 + 1, 2)
        ref = _fraction_text(rng, f)
        g = f if label != "wrong" else f + Fraction(1, rng.randint(2, 9))
        if label != "wrong" and rng.random() < 0.2:  # unreduced form
            k = rng.randint(2, 5)
            ans = f"\\frac{{{g.numerator * k}}}{{{g.denominator * k}}}"
        else:
            ans = _fraction_text(rng, g)
    elif kind == "dec":
        q = rng.choice((2, 4, 5, 8, 10, 20, 25, 100))
        f = Fraction(rng.randint(1, 40 * q), q)
        dec = f"{float(f):g}"
        ref = rng.choice((dec, f"{f.numerator}/{f.denominator}", _fraction_text(rng, f)))
        ans = dec if label != "wrong" else f"{float(f) + rng.choice((0.5, 1.25, 0.1)):g}"
    else:
        ans, ref = _sympy_pair(rng, label == "wrong")
    length = rng.randint(200, 2000)
    if label == "none":  # a truncated chain of thought: no marker, no number
        response = _steps(rng, length, digits=False)
    else:
        body = _steps(rng, length - 40)
        plain = kind in ("int", "dec") or (kind == "frac" and "/" in ans and "\\" not in ans)
        if plain and rng.random() < 0.4:
            ending = f" The answer is {ans}."
        elif rng.random() < 0.2:
            ending = f" The answer is ${ans}$."
        else:
            ending = f" Therefore, the final answer is $\\boxed{{{ans}}}$."
        response = body + ending
    return {"id": f"i{idx}", "response": response, "reference": ref, "label": label, "kind": kind}


@dataclass
class Workload:
    name: str
    requests: list[bytes]  # serialized GradeRequest
    items: list[list[dict]]  # the items of each request (for checking)


def build_workload(name: str, rng: random.Random, n_requests: int, per_request: int, start_id: int,
                   options: dict | None = None) -> Workload:
    reqs, items = [], []
    k = start_id
    for _ in range(n_requests):
        batch = [make_item(rng, k + j) for j in range(per_request)]
        k += per_request
        req = build_request([{"id": i["id"], "response": i["response"], "reference": i["reference"]} for i in batch],
                            options=options)
        reqs.append(req.SerializeToString())
        items.append(batch)
    return Workload(name, reqs, items)


# --------------------------------------------------------------------------- /proc

def cpu_snapshot(server_pid: int) -> dict[str, float]:
    """CPU seconds: the server's main (event-loop) thread, its other threads,
    its worker processes (whole), and this client process."""
    main = harness.proc_cpu_s(server_pid, tid=server_pid)
    whole = harness.proc_cpu_s(server_pid)
    workers = sum(harness.proc_cpu_s(c) for c in harness.children(server_pid))
    t = os.times()
    return {"server_loop": main, "server_other_threads": whole - main, "workers": workers,
            "client": t.user + t.system, "_system_busy": harness.system_busy_s()["cpu"]}


# --------------------------------------------------------------------------- clients

@dataclass
class PhaseResult:
    name: str
    planned: int
    sent: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, successful calls
    replies: list[tuple[int, bytes]] = field(default_factory=list)  # (request index, reply bytes)
    errors: Counter = field(default_factory=Counter)
    wall: float = 0.0
    cpu: dict = field(default_factory=dict)
    stopped_by_time: bool = False


async def _aio_phase(target: str, wl: Workload, clients: int, deadline_s: float, call_timeout: float,
                     res: PhaseResult) -> None:
    channels = [grpc.aio.insecure_channel(target, options=CHANNEL_OPTIONS) for _ in range(clients)]
    try:
        calls = [ch.unary_unary(GRADE_METHOD, request_serializer=None, response_deserializer=None) for ch in channels]
        await asyncio.gather(*(ch.channel_ready() for ch in channels))
        counter = itertools.count()
        n = len(wl.requests)
        perf = time.perf_counter
        end = perf() + deadline_s

        async def client(call) -> None:
            while True:
                i = next(counter)
                if i >= n:
                    return
                if perf() > end:
                    res.stopped_by_time = True
                    return
                res.sent += 1
                t0 = perf()
                try:
                    reply = await call(wl.requests[i], timeout=call_timeout)
                except grpc.aio.AioRpcError as exc:
                    res.errors[exc.code().name] += 1
                    continue
                res.latencies.append(perf() - t0)
                res.replies.append((i, reply))

        t0 = perf()
        await asyncio.gather(*(client(c) for c in calls))
        res.wall = perf() - t0
    finally:
        for ch in channels:
            await ch.close()


def _thread_phase(target: str, wl: Workload, clients: int, deadline_s: float, call_timeout: float,
                  res: PhaseResult) -> None:
    channels = [grpc.insecure_channel(target, options=CHANNEL_OPTIONS) for _ in range(clients)]
    try:
        for ch in channels:
            grpc.channel_ready_future(ch).result(timeout=10)
        calls = [ch.unary_unary(GRADE_METHOD, request_serializer=None, response_deserializer=None) for ch in channels]
        counter = itertools.count()
        n = len(wl.requests)
        perf = time.perf_counter
        end = perf() + deadline_s
        lock = threading.Lock()

        def client(call) -> None:
            lat, rep, err, sent = [], [], Counter(), 0
            while True:
                i = next(counter)  # atomic under the GIL
                if i >= n:
                    break
                if perf() > end:
                    res.stopped_by_time = True
                    break
                sent += 1
                t0 = perf()
                try:
                    reply = call(wl.requests[i], timeout=call_timeout)
                except grpc.RpcError as exc:
                    err[exc.code().name] += 1
                    continue
                lat.append(perf() - t0)
                rep.append((i, reply))
            with lock:
                res.sent += sent
                res.latencies += lat
                res.replies += rep
                res.errors.update(err)

        threads = [threading.Thread(target=client, args=(c,), daemon=True) for c in calls]
        t0 = perf()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        res.wall = perf() - t0
    finally:
        for ch in channels:
            ch.close()


def run_phase(args, target: str, server_pid: int, wl: Workload) -> PhaseResult:
    res = PhaseResult(wl.name, len(wl.requests))
    before = cpu_snapshot(server_pid)
    if args.mode == "aio":
        asyncio.run(_aio_phase(target, wl, args.clients, args.phase_seconds, args.call_timeout, res))
    else:
        _thread_phase(target, wl, args.clients, args.phase_seconds, args.call_timeout, res)
    after = cpu_snapshot(server_pid)
    res.cpu = {k: round(after[k] - before[k], 2) for k in after if not k.startswith("_")}
    # CPU used by anything else on the machine meanwhile (another job skews the numbers)
    res.cpu["other_processes"] = round(max(0.0, after["_system_busy"] - before["_system_busy"]
                                           - sum(res.cpu.values())), 2)
    return res


def summarize(res: PhaseResult, wl: Workload) -> dict:
    statuses: Counter = Counter()
    incomplete = 0
    agree = Counter()
    items_done = 0
    for i, raw in res.replies:
        reply = pb.GradeResponse.FromString(raw)
        expected = wl.items[i]
        if len(reply.results) != len(expected) or any(r.id != e["id"] for r, e in zip(reply.results, expected)):
            incomplete += 1
        for r, e in zip(reply.results, expected):
            st = pb.Status.Name(r.status)
            statuses[st] += 1
            got = "correct" if r.correct else ("none" if st == "NO_ANSWER" else "wrong")
            agree["agree" if got == e["label"] else "disagree"] += 1
        items_done += len(reply.results)
    lat = sorted(res.latencies)  # sorted as before, so that the mean sums in the same order

    def pct(p: float) -> float | None:
        return harness.percentile_ms(lat, p, 2)

    cpu_total = sum(v for k, v in res.cpu.items() if k != "other_processes")
    return {
        "phase": res.name,
        "items_per_request": len(wl.items[0]),
        "planned_requests": res.planned,
        "sent_requests": res.sent,
        "ok_requests": len(res.replies),
        "rpc_errors": dict(res.errors),
        "error_count": sum(res.errors.values()),
        "incomplete_responses": incomplete,
        "unsent_requests": res.planned - res.sent,
        "stopped_by_time_limit": res.stopped_by_time,
        "items": items_done,
        "wall_s": round(res.wall, 3),
        "requests_per_s": round(len(res.replies) / res.wall, 1) if res.wall else None,
        "items_per_s": round(items_done / res.wall, 1) if res.wall else None,
        "latency_ms": {"p50": pct(50), "p99": pct(99), "max": pct(100),
                       "mean": round(sum(lat) / len(lat) * 1000, 2) if lat else None},
        "statuses": dict(sorted(statuses.items())),
        "label_agreement": dict(agree),
        "cpu_s": res.cpu,
        "cpu_cores_busy": round(cpu_total / res.wall, 2) if res.wall else None,
    }


# --------------------------------------------------------------------------- report

def phase_row(p: dict) -> list:
    lat, c = p["latency_ms"], p["cpu_s"]
    st = ", ".join(f"{k} {v}" for k, v in p["statuses"].items())
    limited = " (time limit)" if p["stopped_by_time_limit"] else ""
    cpu = "/".join(str(c[k]) for k in ("server_loop", "server_other_threads", "workers", "client", "other_processes"))
    return [f"{p['phase']} (x{p['items_per_request']})",
            f"{p['ok_requests']}/{p['sent_requests']}/{p['planned_requests']}{limited}", p["items"], p["items_per_s"],
            lat["p50"], lat["p99"], lat["max"], p["error_count"], p["incomplete_responses"], st, cpu]


def markdown(report: dict) -> str:
    m = report["machine"]
    lines = [f"Machine: {m['nproc']} CPU(s), {m['cpu_model']}; Python {m['python']}, grpcio {m['grpcio']}; "
             f"server workers: {report['server']['workers']}; clients: {report['clients']} ({report['mode']}); "
             f"grader {report['grader_commit']}",
             ""]
    lines += harness.md_table(("phase", "requests ok/sent/planned", "items", "items/s", "p50 ms", "p99 ms", "max ms",
                               "errors", "incomplete", "statuses", "CPU s (loop/threads/workers/client/other)"),
                              (phase_row(p) for p in report["phases"]))
    s = report["server"]
    for p in report["phases"]:
        c = p["cpu_s"]
        if c["other_processes"] > 0.1 * max(0.01, sum(c.values())):
            lines.append(f"WARNING: other processes used {c['other_processes']} CPU s during the {p['phase']} "
                         "phase; the machine was not idle, so these numbers are low.")
    lines += ["", "CPU s: server event-loop thread / other server threads (gRPC core, worker managers) / grading "
              "workers / this client / other processes on the machine (should be ~0)."]
    lines += ["", f"Server: healthy after {s['startup_s']} s; SIGTERM -> exit {s['exit_code']} in {s['stop_s']} s. "
              f"Result: {'PASS' if report['ok'] else 'FAIL'}"]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    ap.add_argument("--workers", type=int, default=0, help="server worker processes (default: server's, one per core)")
    ap.add_argument("--requests", type=int, default=2000, help="single-item Grade calls (default: %(default)s)")
    ap.add_argument("--batches", type=int, default=200, help="batch-of-64 Grade calls (default: %(default)s)")
    ap.add_argument("--clients", type=int, default=8, help="concurrent clients (default: %(default)s)")
    ap.add_argument("--mode", choices=("threads", "aio"), default="threads",
                    help="threads: a thread and a blocking channel per client; aio: one asyncio loop, a task and "
                         "a channel per client (the two measure alike; threads has the lower batch p99) "
                         "(default: %(default)s)")
    ap.add_argument("--phase-seconds", type=float, default=30.0, help="time limit per phase (default: %(default)s)")
    ap.add_argument("--call-timeout", type=float, default=10.0, help="deadline per call (default: %(default)s)")
    ap.add_argument("--warmup", type=int, default=40, help="untimed single calls first (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=20240601, help="item generator seed (default: %(default)s)")
    ap.add_argument("--extractor", action="store_true",
                    help="serve with the LM extractor and ask it for every item (request option extraction 'auto': "
                         "each non-matching item goes to the model); default: --no-extractor, the rule path")
    ap.add_argument("--log-level", default="INFO", help="server --log-level (default: %(default)s)")
    ap.add_argument("--server-log", help="keep the server's stderr here (default: a temp file, deleted)")
    ap.add_argument("--json", dest="json_out", help="write the full report as JSON here")
    args = ap.parse_args()

    started = time.perf_counter()
    serve_args = ["--log-level", args.log_level]
    if args.workers:
        serve_args += ["--workers", str(args.workers)]
    if not args.extractor:
        serve_args.append("--no-extractor")

    # Build everything before the server starts: nothing but gRPC on the clock.
    rng = random.Random(args.seed)
    options = {"extraction": "auto"} if args.extractor else None
    warm = build_workload("warmup", rng, args.warmup, 1, 0, options)
    single = build_workload("single", rng, args.requests, 1, 10**6, options)
    batch = build_workload("batch", rng, args.batches, BATCH_SIZE, 2 * 10**6, options)

    server = harness.Server(serve_args, args.port or harness.free_port(), log_path=args.server_log)
    target, proc = server.target, server.proc
    # The run must end by itself, whatever hangs.
    harness.arm_hard_limit(HARD_LIMIT_S, f"load.py: hard limit of {HARD_LIMIT_S} s reached; killing the server",
                           proc.kill)

    git = subprocess.run(["git", "-C", str(Path(__file__).resolve().parent), "describe", "--always", "--dirty"],
                         capture_output=True, text=True).stdout.strip()
    report: dict = {"machine": harness.machine_info(with_grpc=True), "grader_commit": git, "clients": args.clients,
                    "mode": args.mode, "seed": args.seed, "target": target, "command": server.command, "phases": [],
                    "server": {}}
    ok = True
    try:
        report["server"]["startup_s"] = round(server.wait_healthy(30), 2)
        cli = subprocess.run([*harness.grader_exe(), "health", "--target", target], capture_output=True, text=True,
                             timeout=20)
        report["server"]["health_cli_exit"] = cli.returncode
        ok &= cli.returncode == 0
        for line in server.log_lines():
            if '"serving"' in line:
                report["server"]["workers"] = json.loads(line[line.index("{"):]).get("workers")
        report["server"].setdefault("workers", args.workers or "default")

        warm_res = run_phase(args, target, proc.pid, warm)
        report["warmup"] = {"ok": len(warm_res.replies), "errors": dict(warm_res.errors)}
        for wl in (single, batch):
            res = run_phase(args, target, proc.pid, wl)
            summary = summarize(res, wl)
            report["phases"].append(summary)
            ok &= summary["error_count"] == 0 and summary["incomplete_responses"] == 0 \
                and summary["ok_requests"] == summary["sent_requests"]
    except Exception as exc:  # still stop the server and report
        report["failure"] = f"{type(exc).__name__}: {exc}"
        ok = False
    finally:
        rc, stop_s, killed = server.stop(timeout=20)
        if killed:
            report["server"]["killed"] = True
        signal.alarm(0)
        report["server"]["exit_code"] = rc
        report["server"]["stop_s"] = round(stop_s, 2)
        ok &= rc == 0
        log_lines = server.log_lines()
        server.log.close()
        report["server"]["log_lines"] = len(log_lines)
        report["server"]["log_warnings"] = [ln for ln in log_lines if " WARNING " in ln or " ERROR " in ln][:20]
        report["server"]["stopped_event"] = any('"stopped"' in ln for ln in log_lines)

    report["ok"] = ok
    report["total_s"] = round(time.perf_counter() - started, 1)
    if report["phases"]:
        print(markdown(report))
    if "failure" in report:
        print(f"failure: {report['failure']}", file=sys.stderr)
    print(f"total run time: {report['total_s']} s")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
