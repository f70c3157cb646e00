#!/usr/bin/env python3
"""grader's rule path and Math-Verify 0.9.0, side by side on the same workload and core.

    .venv/bin/pip install math-verify==0.9.0      # once; same latex2sympy2_extended pin
    .venv/bin/python benchmarks/compare_mathverify.py --out benchmarks/results/latest

Writes OUT.json (everything), OUT.md (a short summary), OUT.disagreements.jsonl
(items where the two tools disagree) and OUT.misgraded.jsonl (items where
either tool disagrees with the intended label). Bounded: about 5-8 minutes on
2 cores with the defaults; every phase runs in a fresh child process with a
hard timeout.

Phases (each a fresh interpreter, so no cache survives from one to the next):

1. ``grouped`` and ``shuffled`` (``benchmarks/workload.py``, the same
   ``--prompts`` x 8 items in two orders), pinned to one core (``--cpu``,
   default 0; grader's sympy worker inherits the pin, so both tools share
   exactly one core). The two tools alternate in blocks of 40 items (5 prompts,
   whole GRPO groups), the first tool switching every block, so background
   load hits both alike. Per item: wall time of
   ``grader.grade(response, reference, extraction="rules")`` (includes the
   round trip to the sympy worker process for items that need it) and of
   Math-Verify as its README uses it: ``gold = parse("$" + reference + "$");
   answer = parse(response); verify(gold, answer)``, with its default
   signal-based timeouts ON (parse 5 s, verify 5 s; this is the main thread).
   Both are warmed up on other items first (grader's worker started, the
   ANTLR parser loaded).
2. ``growth``: one response of 1 KB, 10 KB, 100 KB and 1 MB (reasoning then
   ``\\boxed{\\frac{3}{4}}`` vs reference ``0.75``), median of several runs each.
3. ``pathological``: hostile items (power towers, …) timed one by one.
4. ``scaling``: ``grader.grade_many`` on the shuffled items, not pinned, with
   ``pool=WorkerPool(1)``, ``pool=WorkerPool(2)`` and ``GRADER_WORKERS=2``
   (the default pool).

"Other CPU" is what the rest of the machine used meanwhile: busy ticks from
/proc/stat (the pinned core's line, and all cores) minus this process's and
its worker processes' own CPU time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from types import ModuleType
from typing import Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import harness  # noqa: E402
import workload  # noqa: E402

BLOCK = 40
ONLY = os.environ.get("GRADER_BENCH_ONLY", "")
TARGETS = {"grouped_ratio": 20.0, "shuffled_ratio": 10.0, "grouped_p99_ms": 5.0, "growth_1mb_extra_ms": 20.0}
PHASE_TIMEOUT_S = {"grouped": 240, "shuffled": 240, "growth": 120, "pathological": 200, "scaling": 150}


# --------------------------------------------------------------------------- CPU accounting

class CpuMeter:
    """Own CPU (this process + live children, i.e. grader's workers) and everyone else's."""

    def __init__(self, core: int | None) -> None:
        self.core = core
        self.child_cpu: dict[int, float] = {}
        self.t0 = time.perf_counter()
        self.sys0 = harness.system_busy_s()
        self.own0 = self.own()

    def own(self) -> float:
        t = os.times()
        for pid in harness.children(os.getpid()):
            self.child_cpu[pid] = harness.proc_cpu_s(pid)  # keep the last reading of workers that have since died
        return t.user + t.system + sum(self.child_cpu.values())

    def report(self) -> dict:
        wall = time.perf_counter() - self.t0
        sys1 = harness.system_busy_s()
        own = self.own() - self.own0
        total = sys1["cpu"] - self.sys0["cpu"]
        out = {"wall_s": round(wall, 2), "own_cpu_s": round(own, 2),
               "other_cpu_all_cores": round(max(0.0, total - own) / wall, 3)}  # in cores
        if self.core is not None:
            core_busy = sys1[f"cpu{self.core}"] - self.sys0[f"cpu{self.core}"]
            out["pinned_core_busy"] = round(core_busy / wall, 3)
            out["other_cpu_pinned_core"] = round(max(0.0, core_busy - own) / wall, 3)  # fraction of that core
        return out


# --------------------------------------------------------------------------- the two tools

def _grader_options() -> dict:
    """``extraction="rules"`` (the rule path), or nothing with --default-call (what ``grade(r, ref)`` does
    on this machine: rules on CPU, the LM's second opinion where it runs on a GPU)."""
    return {} if os.environ.get("GRADER_BENCH_DEFAULT_CALL") else {"extraction": "rules"}


def _call_suffix() -> str:
    return "".join(f', {k}="{v}"' for k, v in _grader_options().items())


def grader_grade(grader, item: dict):
    options = _grader_options()
    t = time.perf_counter()
    r = grader.grade(item["response"], item["reference"], **options)
    dt = time.perf_counter() - t
    return dt, {"correct": bool(r.correct), "status": r.status.name, "method": r.method, "extracted": r.extracted[:200]}


def mv_grade(mv_parse, mv_verify, item: dict):
    t = time.perf_counter()
    err = ""
    try:
        gold = mv_parse("$" + item["reference"] + "$")
        answer = mv_parse(item["response"])
        ok = bool(mv_verify(gold, answer))
    except Exception as exc:  # noqa: BLE001 - Math-Verify may raise on odd input; count it as a miss
        gold, answer, ok, err = [], [], False, f"{type(exc).__name__}: {exc}"[:200]
    dt = time.perf_counter() - t
    return dt, {"correct": ok, "extracted": str(answer[-1])[:200] if answer else "", "gold": str(gold[0])[:200] if gold else "",
                "error": err}


def _quiet_mathverify():
    import functools
    import logging

    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    from math_verify import parse, verify

    if os.environ.get("GRADER_BENCH_MV_NO_TIMEOUT"):  # --mv-no-timeout: Math-Verify without its SIGALRM timeouts
        return functools.partial(parse, parsing_timeout=None), functools.partial(verify, timeout_seconds=None)
    return parse, verify


def _warm_items() -> list[dict]:
    # 48 items of another seed (same kinds, other values), then items only sympy decides: most
    # workload items never reach a worker now, and a worker's first item must not pay its start-up.
    return workload.generate(6, seed=10_007) + workload.worker_warmup_items()


# --------------------------------------------------------------------------- child phases

def pin(core: int | None) -> None:
    if core is not None:
        os.sched_setaffinity(0, {core})


def _warmed_tools(core: int | None, n_warm: int | None = None) -> tuple[ModuleType, Callable, Callable]:
    """Pin first (grader's sympy worker inherits the pin), then load both tools and run them on
    n_warm warm-up items (all by default): no timed item pays a start-up."""
    pin(core)
    import grader

    mv_parse, mv_verify = _quiet_mathverify()
    for it in _warm_items()[:n_warm]:
        grader_grade(grader, it)
        mv_grade(mv_parse, mv_verify, it)
    return grader, mv_parse, mv_verify


def phase_side_by_side(ordering: str, prompts: int, seed: int, core: int | None) -> dict:
    grader, mv_parse, mv_verify = _warmed_tools(core)
    time.sleep(2)  # the pool's spare worker finishes its own warm-up
    items = workload.orderings(prompts, seed)[ordering]
    g_times, m_times = [0.0] * len(items), [0.0] * len(items)
    g_res, m_res = [None] * len(items), [None] * len(items)
    g_cpu = m_cpu = 0.0
    meter = CpuMeter(core)
    for b, lo in enumerate(range(0, len(items), BLOCK)):
        idx = range(lo, min(lo + BLOCK, len(items)))
        order = ("g", "m") if b % 2 == 0 else ("m", "g")
        if ONLY:  # diagnostics: one tool alone (GRADER_BENCH_ONLY=g or m)
            order = (ONLY,)
        for tool in order:
            c0 = meter.own()
            for i in idx:
                if tool == "g":
                    g_times[i], g_res[i] = grader_grade(grader, items[i])
                else:
                    m_times[i], m_res[i] = mv_grade(mv_parse, mv_verify, items[i])
            dc = meter.own() - c0
            if tool == "g":
                g_cpu += dc
            else:
                m_cpu += dc
    cpu = meter.report()
    # After the clock: which items needed grader's sympy worker (the inline fast path raised NeedsSympy).
    from grader.pipeline import grade_inline, plan_item

    worker = []
    for it in items:
        plan = plan_item({"response": it["response"], "reference": it["reference"], "options": {"extraction": "rules"}})
        worker.append(not isinstance(plan, grader.GradeResult) and grade_inline(plan) is None)
    rows = []
    for i, it in enumerate(items):
        rows.append({"id": it["id"], "kind": it["kind"], "label": it["label"], "style": it["style"],
                     "expected": it["expected"], "reference": it["reference"], "answer": it["answer"],
                     "response_tail": it["response"][-160:], "response_chars": len(it["response"]),
                     "g_ms": round(g_times[i] * 1000, 4), "m_ms": round(m_times[i] * 1000, 4),
                     "g": g_res[i], "m": m_res[i], "g_worker": worker[i]})
    return {"cpu": cpu, "g_cpu_s": round(g_cpu, 3), "m_cpu_s": round(m_cpu, 3), "items": rows}


def phase_growth(core: int | None) -> dict:
    grader, mv_parse, mv_verify = _warmed_tools(core, 16)
    meter = CpuMeter(core)
    out = []
    for size in (1_000, 10_000, 100_000, 1_000_000):
        response = workload.long_response(size)
        item = {"response": response, "reference": "0.75"}
        g = []
        for rep in range(9):
            dt, res = grader_grade(grader, item)
            g.append(dt)
        reps = 5 if size <= 100_000 else 2
        m = []
        for rep in range(reps):
            dt, mres = mv_grade(mv_parse, mv_verify, item)
            m.append(dt)
        out.append({"bytes": len(response.encode()), "grader_ms": round(statistics.median(g) * 1000, 3),
                    "grader_min_ms": round(min(g) * 1000, 3), "grader_correct": res["correct"],
                    "mv_ms": round(statistics.median(m) * 1000, 2), "mv_correct": mres["correct"]})
    return {"cpu": meter.report(), "sizes": out}


def phase_pathological(core: int | None) -> dict:
    grader, mv_parse, mv_verify = _warmed_tools(core, 16)
    meter = CpuMeter(core)
    rows = []
    for it in workload.pathological():
        gt, g = grader_grade(grader, it)
        if os.environ.get("GRADER_BENCH_MV_NO_TIMEOUT"):  # without its timeouts a power tower would never return
            mt, m = float("nan"), {"correct": False, "extracted": "", "gold": "", "error": "skipped (no timeout)"}
        else:
            mt, m = mv_grade(mv_parse, mv_verify, it)
        rows.append({"id": it["id"], "expected": it["expected"], "response_chars": len(it["response"]),
                     "g_ms": round(gt * 1000, 2), "g": g, "m_ms": round(mt * 1000, 2), "m": m})
    return {"cpu": meter.report(), "items": rows}


def phase_scaling(prompts: int, seed: int, config: str) -> dict:
    import grader
    from grader.execution.workers import WorkerPool
    from grader.pipeline import WARM_UP

    items = [{"response": it["response"], "reference": it["reference"], "options": {"extraction": "rules"}}
             for it in workload.orderings(prompts, seed)["shuffled"]]
    pool = None
    if config.startswith("pool"):
        pool = WorkerPool(int(config[-1]), warm_up=WARM_UP)
    # Warm up: start every worker (sympy items, as many threads as workers).
    warm = [{"response": it["response"], "reference": it["reference"], "options": {"extraction": "rules"}}
            for it in _warm_items()]
    grader.grade_many(warm, pool=pool)
    meter = CpuMeter(None)
    t = time.perf_counter()
    results = grader.grade_many(items, pool=pool)
    wall = time.perf_counter() - t
    workers = pool.max_workers if pool else grader.pipeline.default_pool().max_workers
    return {"config": config, "workers": workers, "items": len(items), "wall_s": round(wall, 3),
            "pairs_per_s": round(len(items) / wall, 1), "correct": sum(r.correct for r in results),
            "cpu": meter.report()}


# --------------------------------------------------------------------------- orchestration

def run_child(args: argparse.Namespace, phase: str, extra: list[str], env: dict | None = None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        cmd = [sys.executable, __file__, "--child", phase, "--child-out", str(out), "--prompts", str(args.prompts),
               "--seed", str(args.seed), "--cpu", str(args.cpu), *extra]
        t = time.perf_counter()
        proc = subprocess.run(cmd, env=env, timeout=PHASE_TIMEOUT_S.get(phase, 240) + 60, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"phase {phase} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
        data = json.loads(out.read_text())
        print(f"  {phase} {' '.join(extra)}: {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
        return data


def pct(values: list[float], q: float) -> float | None:
    """Callers pass a non-empty list (an empty one would fail on round(None))."""
    return harness.percentile(values, q, half_up=True)


def tool_summary(rows: list[dict], key: str, tkey: str) -> dict:
    times = [r[tkey] for r in rows]
    agree = sum(r[key]["correct"] == r["expected"] for r in rows)
    fp = sum(r[key]["correct"] and not r["expected"] for r in rows)
    fn = sum((not r[key]["correct"]) and r["expected"] for r in rows)
    total_s = sum(times) / 1000
    return {"pairs_per_s": round(len(rows) / total_s, 1), "mean_ms": round(statistics.fmean(times), 3),
            "p50_ms": round(pct(times, 50), 3), "p99_ms": round(pct(times, 99), 3), "max_ms": round(max(times), 2),
            "total_s": round(total_s, 3), "agreement": round(agree / len(rows), 4), "agree": agree,
            "false_positives": fp, "false_negatives": fn}


def by_kind(rows: list[dict]) -> dict:
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        groups[r["kind"]].append(r)
    out = {}
    for kind, rs in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        g = [r["g_ms"] for r in rs]
        m = [r["m_ms"] for r in rs]
        out[kind] = {"n": len(rs), "grader_agree": round(sum(r["g"]["correct"] == r["expected"] for r in rs) / len(rs), 3),
                     "mv_agree": round(sum(r["m"]["correct"] == r["expected"] for r in rs) / len(rs), 3),
                     "grader_mean_ms": round(statistics.fmean(g), 3), "grader_p99_ms": round(pct(g, 99), 3),
                     "mv_mean_ms": round(statistics.fmean(m), 2)}
    return out


def machine_info() -> dict:
    try:
        from importlib.metadata import version

        versions = {p: version(p) for p in ("math-verify", "latex2sympy2_extended", "sympy")}
    except Exception:  # noqa: BLE001
        versions = {}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE.parent).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain", "--", "grader"], capture_output=True, text=True,
                                cwd=HERE.parent).stdout.strip())
    return {**harness.machine_info(), "grader_commit": commit, "grader_dirty": dirty, **versions,
            "loadavg_at_start": os.getloadavg()}


def _tool_row(ordering: str, name: str, phase: dict, key: str) -> list:
    s, cpu = phase[key], phase["cpu"]
    return [ordering, name, f"{s['pairs_per_s']:,.0f}", f"{s['p50_ms']:.2f}", f"{s['p99_ms']:.2f}",
            f"{s['max_ms']:.1f}", f"{s['agreement'] * 100:.1f}%", s["false_positives"], s["false_negatives"],
            f"{cpu.get('other_cpu_pinned_core', 0) * 100:.0f}% / {cpu['other_cpu_all_cores']:.2f} cores"]


def _ratio_row(ordering: str, phase: dict) -> list:
    tgt = TARGETS[f"{ordering}_ratio"]
    p99 = f"{phase['grader']['p99_ms']:.2f} ms" + (f" (target ≤ {TARGETS['grouped_p99_ms']:g})"
                                                   if ordering == "grouped" else "")
    return [ordering, f"{phase['ratio']:.1f}x", f"≥ {tgt:g}x {'PASS' if phase['ratio'] >= tgt else 'FAIL'}", p99,
            phase["disagreements"]]


def _pathological_row(r: dict) -> list:
    mv_error = f" ({r['m']['error'][:30]})" if r["m"]["error"] else ""
    return [r["id"], f"{r['response_chars']:,}", f"{r['g']['correct']}/{r['g']['status']}", f"{r['g_ms']:.1f}",
            f"{r['m']['correct']}{mv_error}", f"{r['m_ms']:.1f}"]


def build_markdown(res: dict) -> str:
    m = res["machine"]
    L = []
    L.append("# grader rule path vs Math-Verify 0.9.0")
    L.append("")
    L.append(f"Machine: {m['nproc']} cores, {m['cpu_model']}, Python {m['python']}; grader {m['grader_commit']}"
             f"{' + uncommitted changes in grader/' if m['grader_dirty'] else ''}, math-verify {m.get('math-verify')},"
             f" latex2sympy2_extended {m.get('latex2sympy2_extended')}, sympy {m.get('sympy')}. "
             f"Load average at start {m['loadavg_at_start'][0]:.2f}. Command: `{res['command']}` ({res['wall_s']:.0f} s).")
    L.append("")
    L.append(f"Workload: `benchmarks/workload.py`, seed {res['seed']}, {res['n_items']} items ({res['prompts']} prompts x 8),"
             f" responses {res['resp_chars']['min']}-{res['resp_chars']['max']} chars (median {res['resp_chars']['p50']});"
             f" labels {res['labels']}. Both tools on one core (cpu{res['cpu']}), one process (grader's sympy worker"
             f" pinned to the same core, its IPC inside grader's times), alternating in blocks of {BLOCK} items."
             f" grader: `grade(r, ref{_call_suffix()})`;"
             f" Math-Verify: README usage, its signal timeouts"
             f" {'OFF (parsing_timeout=None, timeout_seconds=None)' if res['mv_no_timeout'] else 'on (defaults: 5 s parse, 5 s verify)'}.")
    L.append("")
    L += harness.md_table(("ordering", "tool", "pairs/s", "p50 ms", "p99 ms", "max ms", "agreement with labels", "FP",
                           "FN", "other CPU on pinned core / all cores"),
                          [_tool_row(o, name, res["phases"][o], key) for o in ("grouped", "shuffled")
                           for name, key in (("grader", "grader"), ("Math-Verify", "mathverify"))], align="llrrrrrrrl")
    L.append("")
    L += harness.md_table(("ordering", "speed ratio (pairs/s)", "target", "grader p99", "tools disagree"),
                          [_ratio_row(o, res["phases"][o]) for o in ("grouped", "shuffled")], align="lrrrr")
    L.append("")
    tg = res["targets"]
    L.append("Targets: " + ", ".join(f"{k} {'PASS' if v else 'FAIL'}" for k, v in tg.items()) + ".")
    L.append("")
    g = res["phases"]["grouped"]
    L.append("Per answer type (grouped; agreement with labels, mean / p99 ms):")
    L.append("")
    L += harness.md_table(("kind", "n", "grader agree", "MV agree", "grader mean", "grader p99", "MV mean"),
                          [[kind, s["n"], f"{s['grader_agree'] * 100:.1f}%", f"{s['mv_agree'] * 100:.1f}%",
                            f"{s['grader_mean_ms']:.2f}", f"{s['grader_p99_ms']:.2f}", f"{s['mv_mean_ms']:.1f}"]
                           for kind, s in g["by_kind"].items()], align="lrrrrrr")
    L.append("")
    L.append(f"grader items that went to the sympy worker (grouped): {g['grader_sympy_items']} of {res['n_items']},"
             f" {g['grader_sympy_share_of_time'] * 100:.0f}% of grader's time (inline items: mean"
             f" {g['grader_inline_ms'].get('mean', 0):.2f} / p99 {g['grader_inline_ms'].get('p99', 0):.2f} ms; worker items: mean"
             f" {g['grader_worker_ms'].get('mean', 0):.2f} / p99 {g['grader_worker_ms'].get('p99', 0):.2f} ms). CPU seconds (process + workers):"
             f" grader {g['g_cpu_s']:.2f} s, Math-Verify {g['m_cpu_s']:.2f} s.")
    L.append("")
    gr = res["phases"]["growth"]
    L.append("Response length (reasoning then `\\boxed{\\frac{3}{4}}`, reference `0.75`; median ms):")
    L.append("")
    L += harness.md_table(("response", "grader", "Math-Verify"),
                          [[f"{s['bytes']:,} B", f"{s['grader_ms']:.2f}", f"{s['mv_ms']:.1f}"] for s in gr["sizes"]],
                          align="rrr")
    L.append("")
    L.append(f"grader: 1 MB costs {gr['extra_1mb_ms']:.1f} ms more than 1 KB (target ≤ {TARGETS['growth_1mb_extra_ms']:g});"
             f" {gr['per_100kb_ms']:.2f} ms per 100 KB from the 100 KB→1 MB step, {gr['per_100kb_small_ms']:.2f} from 10→100 KB"
             f" ({'linear' if gr['linear'] else 'NOT linear'}).")
    L.append("")
    pa = res["phases"]["pathological"]
    L.append("Pathological items (one each; verdict correct?/status, ms):")
    L.append("")
    L += harness.md_table(("item", "chars", "grader", "grader ms", "Math-Verify", "MV ms"),
                          [_pathological_row(r) for r in pa["items"]], align="lrlrlr")
    L.append("")
    sc = res["phases"]["scaling"]
    L.append("`grade_many` throughput on the shuffled items (not pinned, both cores):")
    L.append("")
    L += harness.md_table(("configuration", "worker processes", "pairs/s", "wall s", "other CPU (cores)"),
                          [[s["config"], s["workers"], f"{s['pairs_per_s']:,.0f}", f"{s['wall_s']:.2f}",
                            f"{s['cpu']['other_cpu_all_cores']:.2f}"] for s in sc], align="lrrrr")
    L.append("")
    L.append(f"Files: `{res['files']['disagreements']}` (tools disagree), `{res['files']['misgraded']}` (either tool vs the"
             f" label), `{res['files']['items']}` (per-item times and verdicts).")
    return "\n".join(L) + "\n"


def orchestrate(args: argparse.Namespace) -> None:
    t0 = time.perf_counter()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    items = workload.orderings(args.prompts, args.seed)["grouped"]
    lens = sorted(len(i["response"]) for i in items)
    res: dict = {"command": " ".join(["python", *sys.argv]),
                 "machine": machine_info(), "seed": args.seed, "prompts": args.prompts, "n_items": len(items),
                 "cpu": args.cpu, "mv_no_timeout": bool(args.mv_no_timeout), "labels": dict(Counter(i["label"] for i in items)),
                 "kinds": dict(Counter(i["kind"] for i in items)),
                 "resp_chars": {"min": lens[0], "p50": lens[len(lens) // 2], "max": lens[-1]}, "phases": {}}
    print(f"workload: {len(items)} items; machine {res['machine']['nproc']} cores", file=sys.stderr)
    all_rows = {}
    for ordering in ("grouped", "shuffled"):
        data = run_child(args, ordering, [])
        rows = data["items"]
        all_rows[ordering] = rows
        g, m = tool_summary(rows, "g", "g_ms"), tool_summary(rows, "m", "m_ms")
        sympy_rows = [r for r in rows if r["g_worker"]]
        inline = [r["g_ms"] for r in rows if not r["g_worker"]]
        via_worker = [r["g_ms"] for r in rows if r["g_worker"]]
        res["phases"][ordering] = {
            "cpu": data["cpu"], "g_cpu_s": data["g_cpu_s"], "m_cpu_s": data["m_cpu_s"], "grader": g, "mathverify": m,
            "ratio": round(g["pairs_per_s"] / m["pairs_per_s"], 2),
            "disagreements": sum(r["g"]["correct"] != r["m"]["correct"] for r in rows), "by_kind": by_kind(rows),
            "grader_sympy_items": len(sympy_rows),
            "grader_inline_ms": {"mean": round(statistics.fmean(inline), 3), "p50": round(pct(inline, 50), 3),
                                 "p99": round(pct(inline, 99), 3)} if inline else {},
            "grader_worker_ms": {"mean": round(statistics.fmean(via_worker), 3), "p50": round(pct(via_worker, 50), 3),
                                 "p99": round(pct(via_worker, 99), 3)} if via_worker else {},
            "grader_sympy_share_of_time": round(sum(r["g_ms"] for r in sympy_rows) / sum(r["g_ms"] for r in rows), 3),
            "grader_slowest": [{k: r[k] for k in ("id", "kind", "g_ms", "reference", "answer")} | {"method": r["g"]["method"]}
                               for r in sorted(rows, key=lambda r: -r["g_ms"])[:10]],
        }
    # Items where the tools disagree, and where either disagrees with the label (grouped run's verdicts).
    files = {"disagreements": str(out) + ".disagreements.jsonl", "misgraded": str(out) + ".misgraded.jsonl",
             "items": str(out) + ".items.jsonl"}
    with open(files["items"], "w") as f:  # per-item timings and verdicts, both orderings
        for ordering, rs in all_rows.items():
            for r in rs:
                f.write(json.dumps({"ordering": ordering, **{k: r[k] for k in ("id", "kind", "label", "style", "expected",
                                    "response_chars", "g_ms", "m_ms", "g_worker")},
                                    "g_correct": r["g"]["correct"], "g_status": r["g"]["status"], "g_method": r["g"]["method"],
                                    "m_correct": r["m"]["correct"]}) + "\n")
    res["files"] = files
    rows = all_rows["grouped"]
    with open(files["disagreements"], "w") as f:
        for r in rows:
            if r["g"]["correct"] != r["m"]["correct"]:
                f.write(json.dumps({k: r[k] for k in ("id", "kind", "label", "expected", "reference", "answer", "response_tail",
                                                      "g", "m")}) + "\n")
    with open(files["misgraded"], "w") as f:
        for r in rows:
            if r["g"]["correct"] != r["expected"] or r["m"]["correct"] != r["expected"]:
                who = [n for n, k in (("grader", "g"), ("mathverify", "m")) if r[k]["correct"] != r["expected"]]
                f.write(json.dumps({"wrong": who, **{k: r[k] for k in ("id", "kind", "label", "expected", "reference", "answer",
                                                                        "response_tail", "g", "m")}}) + "\n")
    # Consistency between the two runs of the same items.
    by_id = {r["id"]: r for r in all_rows["shuffled"]}
    res["verdicts_differ_between_orderings"] = {
        "grader": sum(r["g"]["correct"] != by_id[r["id"]]["g"]["correct"] for r in rows),
        "mathverify": sum(r["m"]["correct"] != by_id[r["id"]]["m"]["correct"] for r in rows)}

    gr = run_child(args, "growth", [])
    sz = {s["bytes"]: s for s in gr["sizes"]}
    ks = sorted(sz)
    small, k10, k100, mb = (sz[k]["grader_ms"] for k in ks)
    gr["extra_1mb_ms"] = round(mb - small, 2)
    gr["per_100kb_ms"] = round((mb - k100) / ((ks[3] - ks[2]) / 100_000), 3)
    gr["per_100kb_small_ms"] = round((k100 - k10) / ((ks[2] - ks[1]) / 100_000), 3)
    gr["linear"] = gr["per_100kb_ms"] <= 2 * max(gr["per_100kb_small_ms"], 0.05)
    res["phases"]["growth"] = gr
    res["phases"]["pathological"] = run_child(args, "pathological", [])
    res["phases"]["scaling"] = []
    for config in ("pool1", "pool2", "env2"):
        env = dict(os.environ)
        env.pop("GRADER_WORKERS", None)
        if config == "env2":
            env["GRADER_WORKERS"] = "2"
        res["phases"]["scaling"].append(run_child(args, "scaling", ["--config", config], env=env))

    gp, sp = res["phases"]["grouped"], res["phases"]["shuffled"]
    res["targets"] = {
        "grouped ≥20x": gp["ratio"] >= TARGETS["grouped_ratio"],
        "shuffled ≥10x": sp["ratio"] >= TARGETS["shuffled_ratio"],
        "agreement ≥ Math-Verify (both orderings)": all(res["phases"][o]["grader"]["agreement"] >= res["phases"][o]["mathverify"]["agreement"]
                                                        for o in ("grouped", "shuffled")),
        "grouped p99 ≤5 ms": gp["grader"]["p99_ms"] <= TARGETS["grouped_p99_ms"],
        "1 MB ≤ 1 KB + 20 ms": gr["extra_1mb_ms"] <= TARGETS["growth_1mb_extra_ms"],
        "linear growth": gr["linear"],
    }
    res["wall_s"] = round(time.perf_counter() - t0, 1)
    Path(str(out) + ".json").write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n")
    md = build_markdown(res)
    Path(str(out) + ".md").write_text(md)
    print(md)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(HERE / "results" / "latest"), help="output prefix (writes .json, .md, .*.jsonl)")
    ap.add_argument("--prompts", type=int, default=250, help="prompts per ordering (x 8 samples)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cpu", type=int, default=0, help="core to pin the side-by-side phases to")
    ap.add_argument("--mv-no-timeout", action="store_true",
                    help="run Math-Verify with parsing_timeout=None, timeout_seconds=None (default: its signal timeouts on)")
    ap.add_argument("--default-call", action="store_true",
                    help="time grader.grade(response, reference) with its default options (default: extraction='rules')")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--child-out", help=argparse.SUPPRESS)
    ap.add_argument("--config", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.mv_no_timeout:
        os.environ["GRADER_BENCH_MV_NO_TIMEOUT"] = "1"  # children inherit it
    if args.default_call:
        os.environ["GRADER_BENCH_DEFAULT_CALL"] = "1"
    if not args.child:
        try:
            import math_verify  # noqa: F401
        except ImportError:
            sys.exit("math-verify is not installed: .venv/bin/pip install math-verify==0.9.0")
        orchestrate(args)
        return
    if args.child in ("grouped", "shuffled"):
        data = phase_side_by_side(args.child, args.prompts, args.seed, args.cpu)
    elif args.child == "growth":
        data = phase_growth(args.cpu)
    elif args.child == "pathological":
        data = phase_pathological(args.cpu)
    else:
        data = phase_scaling(args.prompts, args.seed, args.config)
    Path(args.child_out).write_text(json.dumps(data))


if __name__ == "__main__":
    main()
