#!/usr/bin/env python3
"""Where grader's in-process rule path spends its time, on the benchmark workload.

    .venv/bin/python benchmarks/profile_rules.py [--ordering grouped] [--cpu 0] [--out benchmarks/results/profile]

Pinned to one core like ``compare_mathverify.py``. Four parts, each on the
same items (``benchmarks/workload.py``, seed 0, 250 prompts x 8):

1. ``stages``: per item, the time of each stage of ``grader.grade(...,
   extraction="rules")`` done by hand with the same internal functions, on
   the item's plan (``grader.pipeline.plan_item``): extraction up to the first
   candidate (``lazy_candidates``; later candidates are scanned inside the
   fast path, only when the first does not decide), the inline fast path
   (``grade_candidates(..., in_worker=False)``), and for items that raise
   ``NeedsSympy`` the worker round trip (``WorkerPool.run(grade_in_worker)``),
   split into the worker's own compute (``grade_in_worker(plan)`` run in this
   process on a second pass, caches cold) and IPC + scheduling (the rest).
   Why each worker item needed sympy, and whether the same (answer, reference)
   pair was seen earlier in the stream (what a verdict cache would save).
2. ``cprofile``: cProfile of the main process over the whole ordering (the
   worker's time shows up as ``poll``/``recv``), top functions by own time and
   by cumulative time.
3. ``cprofile_worker``: cProfile of ``grade_in_worker`` on the worker items
   (those ``grade_inline`` cannot decide), in a fresh process: what the worker
   spends its time on.
4. ``prototypes``: throughput of the same ``grader.grade`` calls with
   changes patched in at run time (nothing under grader/ is edited): a
   verdict cache in front of the inline path and the worker, and eager
   extraction (every candidate scanned up front, as before
   ``lazy_candidates``) to show what the lazy candidates save. Each prototype
   checks that every verdict is unchanged.

Writes OUT.json and OUT.txt (the readable report) and prints the latter.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
from collections import Counter, OrderedDict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import workload  # noqa: E402


def pct(values, q):
    s = sorted(values)
    return s[max(0, min(len(s) - 1, int(round(q / 100 * len(s) + 0.5)) - 1))] if s else float("nan")


def _items(ordering: str, prompts: int, seed: int) -> list[dict]:
    return workload.orderings(prompts, seed)[ordering]


def _warm(grader) -> None:
    for it in workload.generate(6, seed=10_007) + workload.worker_warmup_items():
        grader.grade(it["response"], it["reference"], extraction="rules")
    time.sleep(2)  # the pool's spare worker finishes its own warm-up


# --------------------------------------------------------------------------- 1. stages

def _plan(it: dict):
    from grader.pipeline import plan_item
    from grader.verifiers import Plan

    plan = plan_item({"response": it["response"], "reference": it["reference"], "options": {"extraction": "rules"}})
    assert isinstance(plan, Plan), plan
    return plan


def part_stages(items: list[dict]) -> dict:
    import grader
    from grader.pipeline import Budget, default_pool, grade_in_worker
    from grader.verifiers.math.errors import NeedsSympy
    from grader.verifiers.math.extract import lazy_candidates
    from grader.verifiers.math.normalize import normalize_answer
    from grader.verifiers.math.parse import _parse_cached
    from grader.verifiers.math.verifier import grade_candidates, reference_answer

    _warm(grader)
    pool = default_pool()
    # The bare cost of one worker round trip: a trivial call, nothing to parse.
    trivial = []
    for _ in range(300):
        t = time.perf_counter()
        pool.run(int, ("1",), 5.0)
        trivial.append((time.perf_counter() - t) * 1e3)
    rows = []
    plans = []
    seen_pairs: set = set()
    for it in items:
        plan = _plan(it)
        plans.append(plan)
        refs, opts = plan.item.references, plan.options
        t0 = time.perf_counter()
        cands = lazy_candidates(plan.item.response, opts.match_types)  # what MathVerifier.grade does
        c0 = cands[0] if cands else None  # the first candidate is always looked for
        t1 = time.perf_counter()
        worker = False
        reason = ""
        try:
            grade_candidates(cands, refs, opts, in_worker=False)
        except NeedsSympy as exc:
            worker = True
            reason = str(exc)[:60]
        t2 = time.perf_counter()
        rt = 0.0
        if worker:
            pool.run(grade_in_worker, (plan,), Budget().of(opts.timeout))  # the Pipeline's budget
            rt = time.perf_counter() - t2
        first = c0.text if c0 else ""
        key = (first, it["reference"])
        try:
            cand0_norm = normalize_answer(first)[0] if c0 else ""
            ref_norm = normalize_answer(reference_answer(it["reference"]))[0]
        except Exception:  # noqa: BLE001
            cand0_norm = ref_norm = ""
        rows.append({"cand0": cand0_norm[:200], "ref_norm": ref_norm[:200], "id": it["id"], "kind": it["kind"],
                     "label": it["label"], "chars": len(it["response"]),
                     "extract_ms": (t1 - t0) * 1e3, "fast_ms": (t2 - t1) * 1e3, "worker": worker, "roundtrip_ms": rt * 1e3,
                     "needs_sympy_for": reason, "source": c0.method if c0 else "none",
                     "repeat_pair": key in seen_pairs, "n_cands": len(cands)})
        seen_pairs.add(key)
    # The worker's own compute for those items, here in-process on a cold second pass.
    _parse_cached.cache_clear()
    normalize_answer.cache_clear()
    for r, plan in zip(rows, plans):
        if r["worker"]:
            t = time.perf_counter()
            grade_in_worker(plan)  # what the worker runs: extraction, the fast path, then sympy
            r["worker_compute_ms"] = (time.perf_counter() - t) * 1e3
    return {"rows": rows, "trivial_roundtrip_ms": trivial}


def summarize_stages(rows: list[dict], trivial: list[float]) -> dict:
    n = len(rows)
    w = [r for r in rows if r["worker"]]
    tot_extract = sum(r["extract_ms"] for r in rows)
    tot_fast = sum(r["fast_ms"] for r in rows)
    tot_rt = sum(r["roundtrip_ms"] for r in w)
    tot_compute = sum(r.get("worker_compute_ms", 0) for r in w)
    total = tot_extract + tot_fast + tot_rt
    # Projection (not measured): what if a verdict cache (the prototype below) removed the repeats' round trips.
    inline_mean = (tot_extract + tot_fast) / n
    repeats = [r for r in w if r["repeat_pair"]]
    rest = [r for r in w if not r["repeat_pair"]]
    saved = sum(r["roundtrip_ms"] for r in repeats)
    projected = total - saved
    projection = {
        "verdict_cache_items": len(repeats), "saves_ms": round(saved, 1),
        "remaining_worker_items": len(rest), "remaining_worker_ms": round(sum(r["roundtrip_ms"] for r in rest), 1),
        "remaining_examples": [(r["cand0"][:50], r["ref_norm"][:40]) for r in rest[:12]],
        "projected_total_ms": round(projected, 1), "projected_pairs_per_s": round(n / projected * 1e3, 1),
        "projected_p99_ms_if_remaining_stay": round(pct([r["extract_ms"] + r["fast_ms"] for r in rows if not r["worker"]]
                                                        + [r["roundtrip_ms"] for r in rest]
                                                        + [inline_mean] * len(repeats), 99), 3),
    }
    return {
        "projection": projection,
        "items": n, "total_ms": round(total, 1), "pairs_per_s_sum_of_stages": round(n / total * 1e3, 1),
        "extract_ms": {"total": round(tot_extract, 1), "mean": round(tot_extract / n, 4), "p99": round(pct([r["extract_ms"] for r in rows], 99), 3)},
        "fast_path_ms": {"total": round(tot_fast, 1), "mean": round(tot_fast / n, 4), "p99": round(pct([r["fast_ms"] for r in rows], 99), 3)},
        "worker_items": len(w),
        "worker_roundtrip_ms": {"total": round(tot_rt, 1), "mean": round(tot_rt / max(1, len(w)), 3),
                                "p50": round(pct([r["roundtrip_ms"] for r in w], 50), 3),
                                "p99": round(pct([r["roundtrip_ms"] for r in w], 99), 3)},
        "worker_compute_cold_ms_total": round(tot_compute, 1),
        "worker_items_by_kind": dict(Counter(r["kind"] for r in w).most_common()),
        "worker_items_by_label": dict(Counter(r["label"] for r in w).most_common()),
        "worker_items_by_source": dict(Counter(r["source"] for r in w).most_common()),
        "worker_items_repeat_first_candidate_and_reference": len(repeats),
        "trivial_worker_roundtrip_ms": {"p50": round(pct(trivial, 50), 4), "mean": round(statistics.fmean(trivial), 4)},
        "extract_ms_by_size": {b: round(statistics.fmean([r["extract_ms"] for r in rows if lo <= r["chars"] < hi] or [0]), 4)
                               for b, lo, hi in (("<500", 0, 500), ("500-1k", 500, 1000), ("1k-2k", 1000, 2000), ("2k+", 2000, 10**9))},
        "slowest_fast_path": sorted(((round(r["fast_ms"], 3), r["id"], r["kind"]) for r in rows), reverse=True)[:5],
    }


# --------------------------------------------------------------------------- 2./3. cProfile

def _pstats_text(prof: cProfile.Profile, sort: str, limit: int) -> str:
    s = io.StringIO()
    st = pstats.Stats(prof, stream=s)
    st.strip_dirs().sort_stats(sort).print_stats(limit)
    text = s.getvalue()
    return text[text.find("   ncalls"):] if "   ncalls" in text else text


def part_cprofile(items: list[dict]) -> dict:
    import grader

    _warm(grader)
    prof = cProfile.Profile()
    t = time.perf_counter()
    prof.enable()
    for it in items:
        grader.grade(it["response"], it["reference"], extraction="rules")
    prof.disable()
    wall = time.perf_counter() - t
    return {"wall_s": round(wall, 3), "tottime": _pstats_text(prof, "tottime", 30),
            "cumulative": _pstats_text(prof, "cumulative", 45)}


def part_cprofile_worker(items: list[dict]) -> dict:
    """The worker's job (``grade_in_worker``) for the worker items, in this fresh process."""
    from grader.pipeline import grade_in_worker, grade_inline, warm_up_worker

    warm_up_worker()  # what a real worker does before its first item
    jobs = [plan for plan in map(_plan, items) if grade_inline(plan) is None]
    prof = cProfile.Profile()
    t = time.perf_counter()
    prof.enable()
    for plan in jobs:
        grade_in_worker(plan)
    prof.disable()
    wall = time.perf_counter() - t
    return {"jobs": len(jobs), "wall_s": round(wall, 3), "mean_ms": round(wall / max(1, len(jobs)) * 1e3, 3),
            "tottime": _pstats_text(prof, "tottime", 25), "cumulative": _pstats_text(prof, "cumulative", 40)}


# --------------------------------------------------------------------------- 4. prototypes

def _run_all(grader, items):
    t = time.perf_counter()
    times, verdicts = [], []
    for it in items:
        t0 = time.perf_counter()
        r = grader.grade(it["response"], it["reference"], extraction="rules")
        times.append(time.perf_counter() - t0)
        verdicts.append((r.correct, r.status.name))
    wall = time.perf_counter() - t
    return {"pairs_per_s": round(len(items) / wall, 1), "mean_ms": round(statistics.fmean(times) * 1e3, 4),
            "p50_ms": round(pct(times, 50) * 1e3, 3), "p99_ms": round(pct(times, 99) * 1e3, 3)}, verdicts


def part_prototype(items: list[dict], variant: str) -> dict:
    import grader
    from grader import pipeline
    from grader.verifiers.math import verifier as math_verifier

    if variant == "verdict_cache":
        # A bounded LRU of verdicts keyed by the first candidate (text, method), the references, the
        # verifier and the options, in front of the inline path and the worker. Exact: the verdict is
        # decided by the first candidate that parses, so a verdict that candidate 0 decided holds for
        # any response whose candidate 0 is the same. A GRPO group repeats answers (and always the reference).
        orig_grade = pipeline.Pipeline._grade
        orig_lazy = math_verifier.lazy_candidates
        cache: OrderedDict = OrderedDict()
        last: list = [None, None, None]  # (response, match_types, candidates): extracted once for the key

        def reuse_candidates(response, match_types):
            if response is last[0] and match_types == last[1]:
                return last[2]
            return orig_lazy(response, match_types)

        def cached_grade(self, plan):
            if plan.verifier != "math" or plan.second_opinion is not None:
                return orig_grade(self, plan)
            cands = orig_lazy(plan.item.response, plan.options.match_types)
            last[:] = [plan.item.response, plan.options.match_types, cands]
            if not cands:
                return orig_grade(self, plan)
            c0 = cands[0]
            key = (c0.text, c0.method, plan.verifier, plan.item.references, plan.options)
            hit = cache.get(key)
            if hit is not None:
                cache.move_to_end(key)
                return _copy_result(hit, c0)
            result = orig_grade(self, plan)
            if (result.status.name == "OK" and result.span == (c0.start, c0.start + len(c0.text))
                    and result.method.partition("+")[0] == c0.method):
                cache[key] = result
                if len(cache) > 4096:
                    cache.popitem(last=False)
            return result

        pipeline.Pipeline._grade = cached_grade
        math_verifier.lazy_candidates = reuse_candidates
    if variant == "eager_extract":
        # Every candidate scanned up front (math blocks, bold, the last number too), as before
        # ``lazy_candidates``: the difference from ``none`` is what the lazy candidates save.
        from grader.verifiers.math.extract import extract_candidates

        math_verifier.lazy_candidates = extract_candidates
    _warm(grader)
    stats, verdicts = _run_all(grader, items)
    return {"variant": variant, **stats, "verdicts": verdicts}


def _copy_result(r, c0):
    import copy

    out = copy.copy(r)
    out.span = (c0.start, c0.start + len(c0.text))
    out.extra = dict(r.extra)
    return out


# --------------------------------------------------------------------------- py-spy (sampling, both processes)

_STAGES = (  # inclusive buckets, first match wins, checked from the leaf up
    ("worker: latex2sympy (ANTLR parse + conversion)", "latex2sympy"),
    ("worker: sympy comparison", "compare.py"),
    ("worker: other", "grade_in_worker"),
    ("main: waiting for the worker (poll/send/recv)", "workers.py"),
    ("main: extraction", "extract.py"),
    ("main: normalize", "normalize.py"),
    ("main: parse", "parse.py"),
    ("main: compare", "compare.py"),
    ("main: api/pipeline overhead", "grader/"),
)


_INCLUSIVE = (  # inclusive counts of interest (a sample may count in several)
    ("worker: ANTLR parser (PSParser rules)", "(latex2sympy2_extended/antlr_parser/"),
    ("worker: latex2sympy parse_number -> sympy.Number(str) -> parse_expr", "parse_number (latex2sympy2_extended"),
    ("worker: sympy parse_expr (string eval) anywhere", "parse_expr (sympy/parsing"),
    ("worker: import statements run per call (_handle_fromlist)", "_handle_fromlist"),
    ("worker: grader parse_normal_form", "parse_normal_form (grader/verifiers/math/parse.py"),
    ("worker: grader Comparison", "(grader/verifiers/math/compare.py"),
    ("main: iter_candidates", "iter_candidates (grader/verifiers/math/extract.py"),
    ("main: extract_last_number", "extract_last_number (grader/verifiers/math/extract.py"),
    ("main: find_math_blocks", "find_math_blocks (grader/verifiers/math/extract.py"),
    ("main: extract_marked", "extract_marked (grader/verifiers/math/extract.py"),
    ("main: extract_boxed", "extract_boxed (grader/verifiers/math/extract.py"),
    ("main: WorkerPool.run", "run (grader/execution/workers.py"),
    ("main: normalize_answer", "normalize_answer (grader/verifiers/math/normalize.py"),
)


def pyspy_summary(raw_path: Path) -> dict:
    """Samples of the timed loop (main: under ``_run_all``; worker: under ``_call``, not its warm-up)."""
    self_main: Counter = Counter()
    self_worker: Counter = Counter()
    stages: Counter = Counter()
    total = Counter()
    inclusive: Counter = Counter()
    for line in raw_path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        worker = any("grader.execution._entry" in f for f in frames[:2])
        if worker:
            if not any(f.startswith("_call ") for f in frames) or any(f.startswith("warm_up_worker ") for f in frames):
                continue
        elif not any(f.startswith("_run_all ") for f in frames):
            continue
        total["worker" if worker else "main"] += n
        leaf = frames[-1].split(" (")[0] + " (" + frames[-1].split(" (")[-1].split(":")[0].split("/")[-1] + ")"
        (self_worker if worker else self_main)[leaf] += n
        prefix = "worker" if worker else "main"
        for name, needle in _INCLUSIVE:
            if name.startswith(prefix) and any(needle in f for f in frames):
                inclusive[name] += n
        for name, needle in _STAGES:
            if name.startswith(prefix) and any(needle in f for f in frames):
                stages[name] += n
                break
        else:
            stages[prefix + ": unattributed"] += n
    return {"samples": dict(total), "stages": dict(stages.most_common()), "inclusive": dict(inclusive.most_common()),
            "top_self_main": self_main.most_common(15), "top_self_worker": self_worker.most_common(15)}


def run_pyspy(args) -> dict | None:
    import shutil
    import tempfile

    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        print("py-spy is not installed (pip install py-spy): skipping the sampling run", file=sys.stderr)
        return {"skipped": "py-spy is not installed"}
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.txt"
        cmd = [spy, "record", "--subprocesses", "--rate", "1000", "--format", "raw", "-o", str(raw), "--",
               sys.executable, __file__, "--part", "proto:none", "--child-out", str(Path(tmp) / "o.json"),
               "--ordering", args.ordering, "--prompts", str(args.prompts), "--seed", str(args.seed), "--cpu", str(args.cpu)]
        import signal

        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            _, err = proc.communicate(timeout=90)  # a normal run takes seconds; py-spy has hung once here
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGINT)  # py-spy writes what it has on SIGINT
            try:
                _, err = proc.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
        if not raw.exists():
            return {"error": (err or "")[-500:]}
        return pyspy_summary(raw)


# --------------------------------------------------------------------------- main

def child(args) -> None:
    if args.cpu >= 0:
        os.sched_setaffinity(0, {args.cpu})
    items = _items(args.ordering, args.prompts, args.seed)
    if args.part == "stages":
        data = part_stages(items)
    elif args.part == "cprofile":
        data = part_cprofile(items)
    elif args.part == "cprofile_worker":
        data = part_cprofile_worker(items)
    else:
        data = part_prototype(items, args.part.split(":", 1)[1])
    Path(args.child_out).write_text(json.dumps(data))


def run_child(args, part: str) -> dict:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "o.json"
        cmd = [sys.executable, __file__, "--part", part, "--child-out", str(out), "--ordering", args.ordering,
               "--prompts", str(args.prompts), "--seed", str(args.seed), "--cpu", str(args.cpu)]
        subprocess.run(cmd, check=True, timeout=300)
        return json.loads(out.read_text())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ordering", default="grouped", choices=("grouped", "shuffled"))
    ap.add_argument("--prompts", type=int, default=250)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cpu", type=int, default=0, help="core to pin to (-1: none)")
    ap.add_argument("--out", default=str(HERE / "results" / "profile"))
    ap.add_argument("--no-py-spy", action="store_true", help="skip the py-spy sampling run")
    ap.add_argument("--part", help=argparse.SUPPRESS)
    ap.add_argument("--child-out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.part:
        child(args)
        return
    res: dict = {"ordering": args.ordering, "prompts": args.prompts, "seed": args.seed, "cpu": args.cpu}
    stages = run_child(args, "stages")
    res["stages"] = summarize_stages(stages["rows"], stages["trivial_roundtrip_ms"])
    res["cprofile"] = run_child(args, "cprofile")
    res["cprofile_worker"] = run_child(args, "cprofile_worker")
    base = None
    res["prototypes"] = []
    variants = ("none", "verdict_cache", "eager_extract")
    runs: dict = {v: [] for v in variants}
    for _ in range(3):  # interleaved repeats; the median run of each variant is reported
        for variant in variants:
            runs[variant].append(run_child(args, f"proto:{variant}"))
    for variant in variants:
        ordered = sorted(runs[variant], key=lambda p: p["pairs_per_s"])
        p = ordered[len(ordered) // 2]
        p["pairs_per_s_runs"] = [r["pairs_per_s"] for r in runs[variant]]
        if base is None:
            base = p["verdicts"]
        p["verdicts_changed"] = max(sum(a != b for a, b in zip(base, r["verdicts"])) for r in runs[variant])
        res["prototypes"].append({k: v for k, v in p.items() if k != "verdicts"})
    res["py_spy"] = run_pyspy(args) if not args.no_py_spy else None
    Path(args.out + ".json").write_text(json.dumps(res, indent=1) + "\n")
    lines = [f"# grader rule path profile ({args.ordering}, {len(stages['rows'])} items, cpu{args.cpu})", "",
             "## Stages", json.dumps(res["stages"], indent=1), "",
             "## Prototypes (patched at run time, grader/ untouched)"]
    for p in res["prototypes"]:
        lines.append(f"- {p['variant']}: {p['pairs_per_s']} pairs/s (runs {p['pairs_per_s_runs']}), mean {p['mean_ms']} ms, p50 {p['p50_ms']} ms,"
                     f" p99 {p['p99_ms']} ms, verdicts changed {p['verdicts_changed']}")
    if res["py_spy"] and "samples" in res["py_spy"]:
        ps = res["py_spy"]
        lines += ["", "## py-spy (sampling at 1 kHz, main process + worker, timed loop only)",
                  f"samples: {ps['samples']}", "stages (inclusive, first match from the top of the list):"]
        lines += [f"  {k}: {v}" for k, v in ps["stages"].items()]
        lines += ["inclusive counts (a sample may count in several):"] + [f"  {k}: {v}" for k, v in ps["inclusive"].items()]
        lines += ["top own-time functions, main:"] + [f"  {n:6d}  {f}" for f, n in ps["top_self_main"]]
        lines += ["top own-time functions, worker:"] + [f"  {n:6d}  {f}" for f, n in ps["top_self_worker"]]
    elif res["py_spy"]:
        lines += ["", f"## py-spy: {res['py_spy'].get('skipped') or 'failed: ' + res['py_spy'].get('error', '')}"]
    lines += ["", f"## cProfile, main process (wall {res['cprofile']['wall_s']} s under the profiler), by own time",
              res["cprofile"]["tottime"], "## by cumulative time", res["cprofile"]["cumulative"],
              f"## cProfile, the worker's job on {res['cprofile_worker']['jobs']} items"
              f" ({res['cprofile_worker']['mean_ms']} ms each), by own time", res["cprofile_worker"]["tottime"],
              "## by cumulative time", res["cprofile_worker"]["cumulative"]]
    text = "\n".join(lines) + "\n"
    Path(args.out + ".txt").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
