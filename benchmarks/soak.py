#!/usr/bin/env python3
"""Bounded soak test of the grader gRPC server.

    python benchmarks/soak.py --minutes 10 --clients 8 [--json OUT.json]

Starts its own ``grader serve --host 127.0.0.1 --port <free> --workers 2``,
waits until it reports SERVING, then runs ``--clients`` threads (each with its
own channel and TCP connection) that send Grade calls back to back for
``--minutes``. The mix is seeded: half the calls carry one item, half a batch
of 2-64; about 80% of the items are good (integers, fractions, LaTeX that
needs sympy such as ``\\frac{\\sqrt{2}}{2}`` vs ``\\frac{1}{\\sqrt 2}``, wrong
answers, responses with no answer) and about 20% hostile (a power tower with
``{"timeout": 1}``, 1 MB responses, deep nesting, brace bombs, code-injection
strings that would touch /tmp/pwned, an empty reference, an unknown verifier,
bad options). About 1% of calls are empty requests, which must get the gRPC
status INVALID_ARGUMENT.

Every call must end in either a response with exactly one result per item,
in request order, or a gRPC status. Anything else is "lost/bad": a Python
exception that is not a gRPC status, a response with the wrong number or
order of results, a good item with the wrong verdict, or an empty request
answered without an error.

Every ``--sample-s`` (10 s) the server's RSS (VmRSS), the RSS of each worker
process (children of the server whose cmdline contains ``grader.execution._entry``),
the worker count and the server's thread and fd counts are sampled. A server
runs ``--workers`` workers and a warm spare, so the target is ``--workers`` + 1.
When the count is not the target, it is polled again until it is (a worker
being replaced after a TIMEOUT is briefly missing), for up to ``--recovery-s``.

At the end the clients stop, a last sample is taken, the server gets SIGTERM
and must exit 0; then no worker process the server started may be alive
(found by an environment marker that the workers inherit, so a worker
re-parented to init is found too, and workers of other programs on the
machine are not), and /tmp/pwned must not exist.

PASS when: zero lost/bad calls; server RSS growth below ``--max-rss-growth-mb``
(200) from the first sample after ``--warmup-s`` to the last; the worker
count back to its target within the recovery window at every sample; no
leaked worker processes; exit code 0; /tmp/pwned absent. Exit status 0 on
PASS, 1 on FAIL, 3 when the hard time limit (duration + 300 s) fired.

The server runs from a copy of the grader package taken at start (its
working directory), so that edits to the working tree during the run do not
reach the workers it starts later (--no-snapshot: run the tree itself). When
``grader serve`` knows ``--no-extractor`` and no ``--extractor-model`` is
given through --serve-arg, it serves rules only. The machine may be shared:
the load average and the other Python processes are recorded.

Loopback only. The run is bounded by time (and --max-requests if given);
it stops by itself.
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import json
import os
import platform
import random
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import grpc

from grader.client import build_request
from grader.v1 import grader_pb2 as pb
from grader.v1 import grader_pb2_grpc as pb_grpc

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from harness import CHANNEL_OPTIONS  # noqa: E402

PWNED = Path("/tmp/pwned")
MARKER_ENV = "GRADER_SOAK_RUN"
WORKER_COMMAND = "grader.execution._entry"  # what a worker process runs (python -m ...)
SPARES = 1  # the warm spare a server keeps beside its --workers (BatchRuntime)

# --------------------------------------------------------------------------- items
#
# Each generated item is (proto fields, expectation). Good items carry the exact
# verdict they must get; hostile items only a kind (their statuses are tallied,
# and a hostile item graded correct is reported separately).

_WORDS = ("we first collect like terms and check the boundary case before simplifying the "
          "expression so that every remaining step follows from the given constraint").split()
_NON_SQUARES = (2, 3, 5, 6, 7, 10, 11, 13, 14, 15, 17, 19)


def _prose(rng: random.Random, n_words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(n_words)).capitalize() + "."


def _reasoning(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 6)):
        if rng.random() < 0.5:
            a, b = rng.randint(2, 99), rng.randint(2, 99)
            parts.append(f"We compute {a} + {b} = {a + b}.")
        else:
            parts.append(_prose(rng, rng.randint(6, 14)))
    return " ".join(parts)


def _ending(rng: random.Random, ans: str, plain_ok: bool) -> str:
    r = rng.random()
    if plain_ok and r < 0.3:
        return f" The answer is {ans}."
    if r < 0.5:
        return f" The answer is ${ans}$."
    return f" Therefore, the final answer is $\\boxed{{{ans}}}$."


def _sympy_pair(rng: random.Random) -> tuple[str, str]:
    """Equal in value, not in text: only sympy can tell."""
    a = rng.choice(_NON_SQUARES)
    k = rng.randint(2, 9)
    n = rng.randint(2, 12)
    form = rng.randrange(5)
    if form == 0:
        return r"\frac{\sqrt{2}}{2}", r"\frac{1}{\sqrt 2}"
    if form == 1:
        return f"\\frac{{\\sqrt{{{a}}}}}{{{a}}}", f"\\frac{{1}}{{\\sqrt{{{a}}}}}"
    if form == 2:
        return f"{k}\\sqrt{{{a}}}", f"\\sqrt{{{k * k * a}}}"
    if form == 3:
        return f"\\frac{{{k}\\pi}}{{{n}}}", f"\\frac{{{k}}}{{{n}}}\\pi"
    return f"(x+{k})^2", f"x^2+{2 * k}x+{k * k}"


def good_item(rng: random.Random) -> tuple[dict, dict]:
    """A well-formed item and the verdict it must get."""
    label = rng.choices(("correct", "wrong", "none"), weights=(70, 20, 10))[0]
    if label == "none":
        return ({"response": " ".join(_prose(rng, rng.randint(8, 20)) for _ in range(rng.randint(1, 5))),
                 "reference": str(rng.randint(1, 999))},
                {"kind": "good/none", "correct": False, "status": "NO_ANSWER"})
    kind = rng.choices(("int", "frac", "latex"), weights=(50, 30, 20))[0]
    correct = label == "correct"
    if kind == "int":
        n = rng.randint(-50, 100_000)
        ref = str(n)
        ans = str(n) if correct else str(n + rng.choice((-1, 1)) * rng.randint(1, 50))
        plain = True
    elif kind == "frac":
        q = rng.randint(2, 60)
        p = rng.randint(1, 3 * q)
        while p % q == 0:
            p += 1
        ref = rng.choice((f"{p}/{q}", f"\\frac{{{p}}}{{{q}}}"))
        k = rng.randint(1, 4)
        if correct:
            ans = rng.choice((f"\\frac{{{p * k}}}{{{q * k}}}", f"\\dfrac{{{p}}}{{{q}}}", f"{p}/{q}"))
        else:
            ans = f"\\frac{{{p + 1}}}{{{q}}}"  # (p+1)/q != p/q
        plain = "\\" not in ans
    else:
        ans, ref = _sympy_pair(rng)
        if not correct:
            ans, ref = {0: (r"\frac{\sqrt{3}}{2}", r"\frac{1}{\sqrt 2}")}.get(rng.randrange(2), (f"{ans}+1", ref))
        plain = False
    response = _reasoning(rng) + _ending(rng, ans, plain)
    return ({"response": response, "reference": ref},
            {"kind": f"good/{label}/{kind}", "correct": correct, "status": "OK"})


def _megabyte_reasoning() -> str:
    lines, total, i = [], 0, 0
    while total < 1_000_000:
        line = f"Step {i}: we have {i} + {i + 1} = {2 * i + 1}, so the running total changes.\n"
        lines.append(line)
        total += len(line)
        i += 1
    return "".join(lines)


_MB_REASONING = _megabyte_reasoning()
_MB_PROSE = ("we consider the problem carefully and think about it again without any conclusion " * 12_000)[:1_000_000]
_MB_MARKERS = "The answer is " * (1_000_000 // 14)
_DEEP_PARENS = r"\boxed{" + "(" * 5000 + "1" + ")" * 5000 + "}"
_DEEP_FRAC = r"\boxed{" + r"\frac{1}{" * 300 + "2" + "}" * 300 + "}"
_DEEP_SQRT = r"\boxed{" + r"\sqrt{" * 1000 + "2" + "}" * 1000 + "}"
_DEEP_BRACES = r"\boxed{" + "{" * 3000 + "7" + "}" * 3000 + "}"
WRONG_REFERENCE = r"\frac{355}{113}"  # no payload can match it by accident


def _injections() -> list[str]:
    touch = f"touch {PWNED}"
    return [
        f"__import__('os').system('{touch}')",
        f"__import__(\"os\").system(\"{touch}\")",
        f"eval(\"__import__('os').system('{touch}')\")",
        f"exec(\"import os; os.system('{touch}')\")",
        f"open('{PWNED}', 'w').write('x')",
        f"(lambda: __import__('os').system('{touch}'))()",
        f"[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'Popen'][0](['touch', '{PWNED}'])",
        f"__import__('subprocess').call(['touch', '{PWNED}'])",
        f"getattr(__builtins__, 'eval')(\"__import__('os').system('{touch}')\")",
    ]


_INJECTIONS = _injections()
POWER_TOWER = r"The answer is $\boxed{9^{9^{9^{9}}}}$."

# kind -> (weight, statuses it is expected to get; None: any status, tallied only)
HOSTILE_KINDS = {
    "power_tower": (2, {"TIMEOUT"}),
    "mb_boxed": (1, {"OK"}),
    "mb_prose": (1, {"NO_ANSWER"}),
    "mb_markers": (1, None),
    "deep_nesting": (3, None),
    "brace_bomb": (3, None),
    "injection": (4, None),
    "empty_reference": (2, {"INVALID_ARGUMENT"}),
    "unknown_verifier": (2, {"INVALID_ARGUMENT"}),
    "bad_options": (2, {"INVALID_ARGUMENT"}),
}


def hostile_item(rng: random.Random) -> tuple[dict, dict]:
    kind = rng.choices(list(HOSTILE_KINDS), weights=[w for w, _ in HOSTILE_KINDS.values()])[0]
    item: dict
    must_be_correct = False
    if kind == "power_tower":
        item = {"response": POWER_TOWER, "reference": "1", "options": {"timeout": 1}}
    elif kind == "mb_boxed":
        item = {"response": _MB_REASONING + r"Therefore the answer is $\boxed{42}$.", "reference": "42"}
        must_be_correct = True
    elif kind == "mb_prose":
        item = {"response": _MB_PROSE, "reference": "42"}
    elif kind == "mb_markers":
        item = {"response": _MB_MARKERS, "reference": "42", "options": {"timeout": 2}}
    elif kind == "deep_nesting":
        item = {"response": rng.choice((_DEEP_PARENS, _DEEP_FRAC, _DEEP_SQRT, _DEEP_BRACES)), "reference": "3"}
    elif kind == "brace_bomb":
        item = {"response": rng.choice(("{" * 100_000, r"\boxed{" + "{" * 100_000, r"\boxed{1" + "}" * 100_000,
                                        "\\" * 10_001 + r"\boxed{1}")), "reference": "2"}
    elif kind == "injection":
        payload = rng.choice(_INJECTIONS)
        response, reference = rng.choice(((rf"\boxed{{{payload}}}", WRONG_REFERENCE),
                                          (f"The answer is {payload}", WRONG_REFERENCE),
                                          (payload, WRONG_REFERENCE),
                                          (rf"\boxed{{{WRONG_REFERENCE}}}", payload),
                                          (rf"\boxed{{{WRONG_REFERENCE}}}", rf"\boxed{{{payload}}}")))
        item = {"response": response, "reference": reference, "verifier": rng.choice(("math", "math", "exact"))}
    elif kind == "empty_reference":
        item = {"response": r"\boxed{5}", "reference": rng.choice(("", "   "))}
    elif kind == "unknown_verifier":
        item = {"response": r"\boxed{5}", "reference": "5", "verifier": rng.choice(("nonsense", "python", "eval"))}
    else:  # bad_options
        item = {"response": r"\boxed{5}", "reference": "5",
                "options": rng.choice(({"precision": "high"}, {"timeout": -1}, {"timeout": 10_000},
                                       {"bogus": 1}, {"match_types": []}, {"strict": "yes"}))}
    return item, {"kind": f"hostile/{kind}", "hostile": True, "must_be_correct": must_be_correct}


def make_request(rng: random.Random, hostile_rate: float) -> tuple[list[dict], list[dict]]:
    n = 1 if rng.random() < 0.5 else rng.randint(2, 64)
    items, expect = [], []
    for _ in range(n):
        item, exp = hostile_item(rng) if rng.random() < hostile_rate else good_item(rng)
        item["id"] = f"{len(items)}"
        items.append(item)
        expect.append(exp)
    return items, expect


# --------------------------------------------------------------------------- /proc

def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def worker_pids(server_pid: int) -> list[int]:
    return sorted(c for c in harness.children(server_pid) if WORKER_COMMAND in cmdline(c))


def has_marker(pid: int, marker: str) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return f"{MARKER_ENV}={marker}".encode() in f.read().split(b"\0")
    except OSError:
        return False


def marked_workers(marker: str) -> list[int]:
    """Live worker processes that carry this run's environment marker."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            pid = int(entry.name)
            if pid != os.getpid() and WORKER_COMMAND in cmdline(pid) and has_marker(pid, marker):
                out.append(pid)
    return sorted(out)


def count_entries(path: str) -> int | None:
    try:
        return len(os.listdir(path))
    except OSError:
        return None


def system_load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def other_busy_processes(exclude: set[int]) -> list[str]:
    """What else is running (the machine is shared): commands of other python processes."""
    seen = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) not in exclude:
            cmd = cmdline(int(entry.name))
            if "python" in cmd and "soak.py" not in cmd:
                seen.append(f"{entry.name}: {cmd[:140]}")
    return seen[:20]


# --------------------------------------------------------------------------- server

def code_identity() -> dict:
    """What code the server runs: the package path, git HEAD and a digest of grader/'s uncommitted changes."""
    import grader

    package = Path(grader.__file__).resolve().parent
    root = package.parent

    def git(*a: str) -> str:
        try:
            return subprocess.run(["git", "-C", str(root), *a], capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            return ""

    diff = git("diff", "HEAD", "--", "grader")
    untracked = git("ls-files", "--others", "--exclude-standard", "--", "grader").split()
    return {"package": str(package), "head": git("rev-parse", "--short", "HEAD").strip(),
            "grader_dirty": bool(diff or untracked),
            "grader_diff_sha256": hashlib.sha256(diff.encode()).hexdigest()[:16] if diff else "",
            "grader_untracked": untracked}


# --------------------------------------------------------------------------- clients

class Stats:
    """Shared tallies; every update happens under one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent = 0
        self.outcomes = Counter()  # response / grpc_error / lost_bad
        self.grpc_errors = Counter()  # code name -> count (unexpected ones)
        self.expected_grpc_errors = Counter()  # empty requests answered with INVALID_ARGUMENT
        self.lost_bad = Counter()  # reason -> count
        self.lost_examples: list[dict] = []
        self.items_sent = 0
        self.items_graded = 0
        self.statuses = Counter()  # item status -> count
        self.by_kind: dict[str, Counter] = defaultdict(Counter)  # kind -> status -> count
        self.hostile_correct: list[dict] = []
        self.hostile_unexpected = Counter()  # kind:status
        self.latency = {"single": [], "batch": [], "error": []}  # seconds

    def lost(self, reason: str, example: dict) -> None:
        self.outcomes["lost_bad"] += 1
        self.lost_bad[reason] += 1
        if len(self.lost_examples) < 20:
            self.lost_examples.append({"reason": reason, **example})


def check_response(reply: pb.GradeResponse, items: list[dict], expect: list[dict], stats: Stats) -> str | None:
    """Tally one response; return why it is bad, or None."""
    if len(reply.results) != len(items):
        return f"wrong number of results ({len(reply.results)} for {len(items)} items)"
    if [r.id for r in reply.results] != [i["id"] for i in items]:
        return "results out of request order"
    problem = None
    for r, item, exp in zip(reply.results, items, expect):
        status = pb.Status.Name(r.status)
        stats.statuses[status] += 1
        stats.by_kind[exp["kind"]][status] += 1
        if exp.get("hostile"):
            wanted = HOSTILE_KINDS[exp["kind"].split("/", 1)[1]][1]
            if wanted is not None and status not in wanted:
                stats.hostile_unexpected[f"{exp['kind']}:{status}"] += 1
            if r.correct and not exp["must_be_correct"] and len(stats.hostile_correct) < 20:
                stats.hostile_correct.append({"kind": exp["kind"], "response": item["response"][:200],
                                              "reference": item["reference"][:200]})
            continue
        if (r.correct, status) != (exp["correct"], exp["status"]) and problem is None:
            problem = (f"good item with wrong verdict: {exp['kind']} got correct={r.correct} {status} "
                       f"({r.reason[:120]}); response ends {item['response'][-80:]!r}, reference {item['reference']!r}")
    return problem


def client_loop(idx: int, target: str, seed: int, end_at: float, call_timeout: float, hostile_rate: float,
                empty_rate: float, stats: Stats, budget: list[int]) -> None:
    rng = random.Random(seed * 1000 + idx)
    channel = grpc.insecure_channel(target, options=CHANNEL_OPTIONS)
    stub = pb_grpc.GraderStub(channel)
    try:
        while time.monotonic() < end_at:
            with stats.lock:
                if budget[0] <= 0:
                    return
                budget[0] -= 1
            empty = rng.random() < empty_rate
            items, expect = ([], []) if empty else make_request(rng, hostile_rate)
            kind = "single" if len(items) == 1 else "batch"
            with stats.lock:
                stats.sent += 1
                stats.items_sent += len(items)
            t0 = time.perf_counter()
            try:
                request = pb.GradeRequest() if empty else build_request(items)
                reply = stub.Grade(request, timeout=call_timeout)
            except grpc.RpcError as exc:
                elapsed = time.perf_counter() - t0
                code = exc.code() if hasattr(exc, "code") else None
                with stats.lock:
                    stats.latency["error"].append(elapsed)
                    if code is None:
                        stats.lost("RpcError without a status code", {"error": repr(exc)[:300]})
                    elif empty and code == grpc.StatusCode.INVALID_ARGUMENT:
                        stats.outcomes["grpc_error"] += 1
                        stats.expected_grpc_errors[code.name] += 1
                    else:
                        stats.outcomes["grpc_error"] += 1
                        stats.grpc_errors[code.name] += 1
                        if len(stats.lost_examples) < 20 and code != grpc.StatusCode.DEADLINE_EXCEEDED:
                            stats.lost_examples.append({"reason": f"(not lost) gRPC {code.name}",
                                                        "details": (exc.details() or "")[:200]})
                continue
            except Exception as exc:  # neither a response nor a gRPC status
                with stats.lock:
                    stats.lost(f"python exception {type(exc).__name__}", {"error": repr(exc)[:300]})
                continue
            elapsed = time.perf_counter() - t0
            with stats.lock:
                if empty:
                    stats.lost("empty request answered without an error", {})
                    continue
                stats.latency[kind].append(elapsed)
                problem = check_response(reply, items, expect, stats)
                stats.items_graded += len(reply.results)
                if problem:
                    stats.lost(problem.split(":")[0] if "verdict" in problem else problem, {"detail": problem})
                else:
                    stats.outcomes["response"] += 1
    finally:
        channel.close()


# --------------------------------------------------------------------------- sampling

class Sampler(threading.Thread):
    """Every second: the server's worker PIDs (to see replacements). Every --sample-s:
    RSS of the server and the workers, worker count, thread and fd counts."""

    def __init__(self, server_pid: int, workers: int, every: float, recovery_s: float, t0: float) -> None:
        super().__init__(daemon=True, name="sampler")
        self.server_pid, self.workers, self.every, self.recovery_s, self.t0 = server_pid, workers, every, recovery_s, t0
        self.samples: list[dict] = []
        self.seen_workers: set[int] = set()
        self.server_rss_max_1s = 0
        self.worker_rss_max_1s = 0
        self.stop_event = threading.Event()
        self.lock = threading.Lock()

    def poll_workers(self) -> list[int]:
        pids = worker_pids(self.server_pid)
        rss = [harness.rss_kb(p) or 0 for p in pids]
        server = harness.rss_kb(self.server_pid) or 0
        with self.lock:
            self.seen_workers.update(pids)
            self.worker_rss_max_1s = max([self.worker_rss_max_1s, *rss])
            self.server_rss_max_1s = max(self.server_rss_max_1s, server)
        return pids

    def sample(self, label: str = "") -> dict:
        t = time.monotonic() - self.t0
        pids = self.poll_workers()
        rss = {p: harness.rss_kb(p) for p in pids}
        s = {"t_s": round(t, 1), "label": label, "server_rss_kb": harness.rss_kb(self.server_pid),
             "worker_count": len(pids), "worker_rss_kb": {str(p): v for p, v in rss.items()},
             "server_threads": count_entries(f"/proc/{self.server_pid}/task"),
             "server_fds": count_entries(f"/proc/{self.server_pid}/fd"), "loadavg": system_load()}
        if len(pids) != self.workers:  # mid-replacement? poll until it is back
            t1 = time.monotonic()
            while time.monotonic() - t1 < self.recovery_s:
                time.sleep(0.25)
                if len(self.poll_workers()) == self.workers:
                    break
            now = len(self.poll_workers())
            s["recovered"] = now == self.workers
            s["recovery_s"] = round(time.monotonic() - t1, 2)
        else:
            s["recovered"] = True
        with self.lock:
            self.samples.append(s)
        return s

    def run(self) -> None:
        next_sample = time.monotonic()
        while not self.stop_event.is_set():
            if time.monotonic() >= next_sample:
                self.sample()
                next_sample += self.every
            else:
                self.poll_workers()
            self.stop_event.wait(min(1.0, max(0.0, next_sample - time.monotonic())))


# --------------------------------------------------------------------------- report

def latency_summary(values: list[float]) -> dict:
    def pct(p: float) -> float | None:
        return harness.percentile_ms(values, p, 1)

    return {"n": len(values), "p50_ms": pct(50), "p90_ms": pct(90), "p99_ms": pct(99), "max_ms": pct(100)}


def mb(kb: int | None) -> str:
    return "-" if kb is None else f"{kb / 1024:.1f}"


def latency_cell(lat: dict) -> str:
    return f"{lat['p50_ms']}/{lat['p90_ms']}/{lat['p99_ms']}/{lat['max_ms']} (n={lat['n']})"


def figures(r: dict) -> list[tuple[str, object]]:
    """The (figure, value) rows of the report table."""
    c, s, lat = r["counts"], r["server"], r["latency"]
    lost = f"({fmt_counter(c['lost_bad_by_reason'])})" if c["lost_bad"] else ""
    return [
        ("requests sent", f"{c['requests_sent']} ({c['items_sent']} items)"),
        ("responses (all items answered, in order)", c["responses"]),
        ("gRPC statuses", f"{c['grpc_errors_total']} (by code: {fmt_counter(c['grpc_errors_by_code'])}; "
                          f"expected, for the empty requests: {fmt_counter(c['expected_grpc_errors'])})"),
        ("lost/bad", f"{c['lost_bad']} {lost}"),
        ("items graded", c["items_graded"]),
        ("item statuses", fmt_counter(c["item_statuses"])),
        ("TIMEOUT items", c["item_statuses"].get("TIMEOUT", 0)),
        ("hostile items graded correct / unexpected status",
         f"{len(c['hostile_correct'])} / {sum(c['hostile_unexpected'].values())}"),
        ("latency single (ms) p50/p90/p99/max", latency_cell(lat["single"])),
        ("latency batch 2-64 (ms) p50/p90/p99/max", latency_cell(lat["batch"])),
        ("server RSS MB start / warm / end / max",
         f"{mb(s['rss_start_kb'])} / {mb(s['rss_warm_kb'])} / {mb(s['rss_end_kb'])} / {mb(s['rss_max_kb'])} "
         f"(max in 1 s polls {mb(s['server_rss_max_kb_1s_polls'])}; growth after warm-up {s['rss_growth_mb']} MB)"),
        ("worker RSS max MB (10 s samples / 1 s polls)",
         f"{mb(s['worker_rss_max_kb'])} / {mb(s['worker_rss_max_kb_1s_polls'])}"),
        ("worker count min / max at samples",
         f"{s['worker_count_min']} / {s['worker_count_max']} ({s['samples']} samples, "
         f"{s['samples_not_at_target']} caught mid-replacement, {s['samples_not_recovered']} not recovered)"),
        ("distinct worker PIDs seen (replacements)",
         f"{s['distinct_workers']} ({s['distinct_workers'] - r['config']['workers'] - SPARES})"),
        ("server threads / fds start -> end",
         f"{s['threads_start']} -> {s['threads_end']} / {s['fds_start']} -> {s['fds_end']}"),
        ("SIGTERM -> exit code", f"{s['exit_code']} in {s['stop_s']} s"),
        ("leaked worker processes", f"{len(s['leaked'])} {s['leaked'] or ''}"),
        ("/tmp/pwned exists", r["pwned"]),
        ("server log warnings / errors", f"{s['log_warning_lines']} / {s['log_error_lines']}"),
    ]


def markdown(r: dict) -> str:
    s, p = r["server"], r["pass"]
    lines = [
        f"## grader soak: {'PASS' if r['ok'] else 'FAIL'}",
        "",
        f"{r['config']['minutes']} min, {r['config']['clients']} clients, {r['config']['workers']} workers, "
        f"seed {r['config']['seed']}, hostile rate {r['config']['hostile_rate']}; {r['machine']['nproc']} CPU(s), "
        f"load average at end {r['machine']['loadavg_end']} (shared machine: other jobs were running)",
        f"code: HEAD {r['code']['head']}" + (f" + uncommitted grader/ changes (diff {r['code']['grader_diff_sha256']}, "
                                              f"untracked {len(r['code']['grader_untracked'])})"
                                              if r['code']['grader_dirty'] else "")
        + ("; server ran from a snapshot of the package" if r["code"].get("snapshot") else "")
        + f"; serve flags: {' '.join(r['config']['command'][1 if 'grader' in r['config']['command'][0] else 3:])}",
        "",
        *harness.md_table(("figure", "value"), figures(r)),
        "",
        "Pass criteria: " + "; ".join(f"{k} {'ok' if v else 'FAILED'}" for k, v in p.items()),
    ]
    if r.get("failure"):
        lines += ["", f"Failure: {r['failure']}", "", "Server log tail:", "```", *s["log_tail"], "```"]
    return "\n".join(lines)


def fmt_counter(c: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(c.items())) or "none"


# --------------------------------------------------------------------------- main

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--minutes", type=float, default=10.0, help="how long the clients send (default: %(default)s)")
    ap.add_argument("--clients", type=int, default=8, help="concurrent client threads (default: %(default)s)")
    ap.add_argument("--workers", type=int, default=2, help="server --workers (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=20240607, help="request mix seed (default: %(default)s)")
    ap.add_argument("--hostile-rate", type=float, default=0.2, help="share of hostile items (default: %(default)s)")
    ap.add_argument("--empty-rate", type=float, default=0.01,
                    help="share of empty requests, which must get INVALID_ARGUMENT (default: %(default)s)")
    ap.add_argument("--call-timeout", type=float, default=30.0, help="deadline per call, s (default: %(default)s)")
    ap.add_argument("--max-requests", type=int, default=1_000_000, help="cap on calls in all (default: %(default)s)")
    ap.add_argument("--sample-s", type=float, default=10.0, help="sampling period, s (default: %(default)s)")
    ap.add_argument("--warmup-s", type=float, default=None,
                    help="RSS growth is measured from the first sample at or after this (default: 60 s, "
                         "or a quarter of the run when that is shorter)")
    ap.add_argument("--recovery-s", type=float, default=20.0,
                    help="how long a sample waits for the worker count to return (default: %(default)s)")
    ap.add_argument("--max-rss-growth-mb", type=float, default=200.0, help="(default: %(default)s)")
    ap.add_argument("--serve-arg", action="append", default=[],
                    help="extra flags for grader serve, e.g. --serve-arg='--extractor-model DIR' (repeatable; "
                         "without --extractor-model, --no-extractor is passed when the server knows it)")
    ap.add_argument("--no-snapshot", dest="snapshot", action="store_false",
                    help="run the server from the working tree itself; by default it runs from a copy of the "
                         "grader package taken at start, so that edits during the run do not reach the "
                         "workers started later")
    ap.add_argument("--server-log", help="keep the server's stderr here (default: a temp file, deleted)")
    ap.add_argument("--json", dest="json_out", help="write the full report, samples included, here")
    args = ap.parse_args()

    duration = args.minutes * 60
    warmup_s = args.warmup_s if args.warmup_s is not None else min(60.0, duration / 4)
    hard_limit = int(duration + 300)
    marker = uuid.uuid4().hex
    port = harness.free_port()
    env = {**os.environ, MARKER_ENV: marker}
    code = code_identity()
    snapshot_dir = None
    if args.snapshot:  # the server and every replacement worker import this copy, whatever edits follow
        snapshot_dir = tempfile.mkdtemp(prefix="grader-soak-")
        atexit.register(shutil.rmtree, snapshot_dir, True)
        shutil.copytree(Path(code["package"]), Path(snapshot_dir) / "grader",
                        ignore=shutil.ignore_patterns("__pycache__"))
        env["PYTHONPATH"] = os.pathsep.join([snapshot_dir, *filter(None, [os.environ.get("PYTHONPATH")])])
        # `python -m grader.execution._entry` puts its working directory first on sys.path: run there.
        seen = subprocess.run([sys.executable, "-c", "import grader; print(grader.__file__)"], env=env,
                              cwd=snapshot_dir, capture_output=True, text=True, timeout=120).stdout.strip()
        if not seen.startswith(snapshot_dir):
            print(f"soak: the snapshot is not the grader imported ({seen}); see --no-snapshot", file=sys.stderr)
            shutil.rmtree(snapshot_dir, ignore_errors=True)
            return 2
        code["snapshot"] = snapshot_dir
    serve_args = [a for arg in args.serve_arg for a in shlex.split(arg)]
    if "--extractor-model" not in serve_args and "--no-extractor" not in serve_args:
        helptext = subprocess.run(harness.grader_exe() + ["serve", "--help"], env=env, cwd=snapshot_dir,
                                  capture_output=True, text=True, timeout=120).stdout
        if "--no-extractor" in helptext:
            serve_args.append("--no-extractor")  # rules only: this is a soak of the server, not of a model
    pwned_before = PWNED.exists()
    if pwned_before:
        print(f"soak: WARNING: {PWNED} exists before the run; the check cannot be trusted", file=sys.stderr)

    t_start = time.monotonic()
    server = harness.Server(["--workers", str(args.workers), *serve_args], port, log_path=args.server_log,
                            env=env, cwd=snapshot_dir)
    target, cmd, proc = server.target, server.command, server.proc
    sampler = Sampler(proc.pid, args.workers + SPARES, args.sample_s, args.recovery_s, t_start)

    def kill_all() -> None:  # only this run's workers (marked), never other programs' graders
        for pid in set(sampler.seen_workers) | set(worker_pids(proc.pid)):
            if has_marker(pid, marker):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        proc.kill()
        if snapshot_dir:
            shutil.rmtree(snapshot_dir, ignore_errors=True)

    # The run ends by itself, whatever hangs.
    harness.arm_hard_limit(hard_limit, f"soak: hard limit of {hard_limit} s reached; killing the server and its "
                           "workers", kill_all)

    stats = Stats()
    report: dict = {
        "config": {"minutes": args.minutes, "clients": args.clients, "workers": args.workers, "seed": args.seed,
                   "hostile_rate": args.hostile_rate, "empty_rate": args.empty_rate,
                   "call_timeout_s": args.call_timeout, "sample_s": args.sample_s, "warmup_s": warmup_s,
                   "recovery_s": args.recovery_s, "max_rss_growth_mb": args.max_rss_growth_mb,
                   "target": target, "command": cmd},
        "code": code,
        "machine": {"nproc": os.cpu_count(), "python": platform.python_version(), "grpcio": grpc.__version__,
                    "loadavg_start": system_load(),
                    "other_python_processes": other_busy_processes({os.getpid(), proc.pid})},
        "server": {}, "counts": {}, "samples": [],
    }
    server_ok = True
    try:
        report["server"]["startup_s"] = round(server.wait_healthy(120), 2)
        sampler.t0 = time.monotonic()
        sampler.start()
        end_at = time.monotonic() + duration
        budget = [args.max_requests]
        threads = [threading.Thread(target=client_loop, name=f"client-{i}", daemon=True,
                                    args=(i, target, args.seed, end_at, args.call_timeout, args.hostile_rate,
                                          args.empty_rate, stats, budget)) for i in range(args.clients)]
        for t in threads:
            t.start()
        last_print = time.monotonic()
        while any(t.is_alive() for t in threads):
            for t in threads:
                t.join(timeout=1.0)
            if time.monotonic() - last_print >= 60:
                last_print = time.monotonic()
                with stats.lock:
                    print(f"soak: {time.monotonic() - sampler.t0:.0f} s, {stats.sent} requests, "
                          f"{stats.items_graded} items, {stats.outcomes['lost_bad']} lost/bad", file=sys.stderr)
            if proc.poll() is not None:
                server_ok = False
                report["failure"] = f"server exited with {proc.returncode} during the run"
                break
        report["clients_wall_s"] = round(time.monotonic() - sampler.t0, 1)
        # Quiet: wait for the worker count to settle, then the last sample.
        sampler.stop_event.set()
        sampler.join(timeout=args.recovery_s + 30)
        time.sleep(1.0)
        sampler.sample("end")
    except Exception as exc:  # still stop the server and report
        report["failure"] = f"{type(exc).__name__}: {exc}"
        server_ok = False
    finally:
        sampler.stop_event.set()
        if proc.poll() is None:
            sampler.poll_workers()
        last_workers = set(sampler.seen_workers)
        rc, stop_s, killed = server.stop(timeout=150)
        if killed:
            report["server"]["killed_after_sigterm_timeout"] = True
        report["server"]["exit_code"] = rc
        report["server"]["stop_s"] = round(stop_s, 2)
        # Leaks: any worker this server started (marker in its environment) still alive.
        time.sleep(1.0)
        leaked = sorted(set(marked_workers(marker)) |
                        {p for p in last_workers if WORKER_COMMAND in cmdline(p) and has_marker(p, marker)})
        report["server"]["leaked"] = [{"pid": p, "ppid": harness.status_field(p, "PPid"), "cmdline": cmdline(p)}
                                      for p in leaked]
        for p in leaked:  # clean up after reporting them
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        signal.alarm(0)
        log_lines = server.log_lines()
        server.log.close()

    # ---------------------------------------------------------------- figures
    samples = list(sampler.samples)
    report["samples"] = samples
    srv = report["server"]
    rss = [s["server_rss_kb"] for s in samples if s["server_rss_kb"] is not None]
    warm = next((s for s in samples if s["t_s"] >= warmup_s and s["server_rss_kb"] is not None), None)
    end = samples[-1] if samples else None
    worker_rss = [v for s in samples for v in s["worker_rss_kb"].values() if v is not None]
    counts = [s["worker_count"] for s in samples]
    srv.update({
        "rss_start_kb": rss[0] if rss else None, "rss_warm_kb": warm and warm["server_rss_kb"],
        "rss_warm_t_s": warm and warm["t_s"], "rss_end_kb": end and end["server_rss_kb"],
        "rss_max_kb": max(rss) if rss else None,
        "rss_growth_mb": round((end["server_rss_kb"] - warm["server_rss_kb"]) / 1024, 1)
        if warm and end and end["server_rss_kb"] else None,
        "worker_rss_max_kb": max(worker_rss) if worker_rss else None,
        "worker_rss_max_kb_1s_polls": sampler.worker_rss_max_1s or None,
        "server_rss_max_kb_1s_polls": sampler.server_rss_max_1s or None,
        "worker_count_min": min(counts) if counts else None, "worker_count_max": max(counts) if counts else None,
        "samples": len(samples), "samples_not_at_target": sum(c != args.workers + SPARES for c in counts),
        "samples_not_recovered": sum(not s["recovered"] for s in samples),
        "distinct_workers": len(sampler.seen_workers),
        "threads_start": samples[0]["server_threads"] if samples else None,
        "threads_end": end and end["server_threads"],
        "fds_start": samples[0]["server_fds"] if samples else None, "fds_end": end and end["server_fds"],
        "log_lines": len(log_lines),
        "log_warning_lines": sum(" WARNING " in ln for ln in log_lines),
        "log_error_lines": sum(" ERROR " in ln or "Traceback" in ln for ln in log_lines),
        "log_warning_kinds": dict(Counter(ln.split(" ", 3)[-1][:70] for ln in log_lines
                                          if " WARNING " in ln or " ERROR " in ln).most_common(10)),
        "log_errors": [ln[:300] for ln in log_lines if " ERROR " in ln or "Traceback" in ln][:10],
        "stopped_event": any('"stopped"' in ln for ln in log_lines),
        "log_tail": [ln[:300] for ln in log_lines[-15:]],
    })
    with stats.lock:
        report["counts"] = {
            "requests_sent": stats.sent, "items_sent": stats.items_sent,
            "responses": stats.outcomes["response"],
            "grpc_errors_total": sum(stats.grpc_errors.values()) + sum(stats.expected_grpc_errors.values()),
            "grpc_errors_by_code": dict(stats.grpc_errors),
            "expected_grpc_errors": dict(stats.expected_grpc_errors),
            "lost_bad": stats.outcomes["lost_bad"], "lost_bad_by_reason": dict(stats.lost_bad),
            "lost_examples": stats.lost_examples,
            "unaccounted": stats.sent - stats.outcomes["response"] - stats.outcomes["grpc_error"]
            - stats.outcomes["lost_bad"],
            "items_graded": stats.items_graded, "item_statuses": dict(stats.statuses),
            "statuses_by_kind": {k: dict(v) for k, v in sorted(stats.by_kind.items())},
            "hostile_correct": stats.hostile_correct, "hostile_unexpected": dict(stats.hostile_unexpected),
        }
        report["latency"] = {k: latency_summary(v) for k, v in stats.latency.items()}
    c = report["counts"]
    pwned = PWNED.exists()
    report["pwned"] = pwned
    report["machine"]["loadavg_end"] = system_load()
    report["pass"] = {
        "zero lost/bad": c["lost_bad"] == 0 and c["unaccounted"] == 0 and c["requests_sent"] > 0,
        f"server RSS growth < {args.max_rss_growth_mb:g} MB": srv["rss_growth_mb"] is not None
        and srv["rss_growth_mb"] < args.max_rss_growth_mb,
        f"worker count back to {args.workers} + {SPARES} spare at every sample": bool(samples)
        and srv["samples_not_recovered"] == 0 and samples[-1]["worker_count"] == args.workers + SPARES,
        "no leaked workers": not srv["leaked"],
        "exit 0": srv["exit_code"] == 0,
        "no /tmp/pwned": not pwned and not pwned_before,
    }
    report["ok"] = all(report["pass"].values()) and server_ok and "failure" not in report
    if snapshot_dir:
        shutil.rmtree(snapshot_dir, ignore_errors=True)
    report["total_s"] = round(time.monotonic() - t_start, 1)
    print(markdown(report))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=1) + "\n")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
