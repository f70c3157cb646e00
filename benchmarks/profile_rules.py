#!/usr/bin/env python3
"""Where grader's in-process rule path spends its time, on the benchmark workload.

    .venv/bin/python benchmarks/profile_rules.py [--ordering grouped] [--cpu 0] [--out benchmarks/results/profile]

Pinned to one core like ``compare_mathverify.py``. Four parts, each on the
same items (``benchmarks/workload.py``, seed 0, 250 prompts x 8):

1. ``stages``: per item, the time of each stage of ``grader.grade(...,
   extraction="rules")`` done by hand with the same internal functions:
   extraction (``engine.candidates_for``), the inline fast path
   (``engine.grade_candidates(use_sympy=False)``), and for items that raise
   ``NeedsSympy`` the worker round trip (``WorkerPool.run``), split into the
   worker's own compute (``grade_candidates(use_sympy=True)`` run in this
   process on a second pass, caches cold) and IPC + scheduling (the rest).
   Why each worker item needed sympy, and whether it could have been decided
   without it (answer text equal to the reference after normalization; the
   same (answer, reference) pair seen earlier in the stream).
2. ``cprofile``: cProfile of the main process over the whole ordering (the
   worker's time shows up as ``poll``/``recv``), top functions by own time and
   by cumulative time.
3. ``cprofile_worker``: cProfile of ``grade_candidates(use_sympy=True)`` on the
   worker items, in a fresh process: what the worker spends its time on.
4. ``prototypes``: throughput of the same ``grader.grade`` calls with
   candidate optimizations patched in at run time (nothing under grader/ is
   edited): a verdict cache in front of the worker, and an equal-text check
   before the reference is parsed. Each prototype checks that every verdict
   is unchanged.

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

def part_stages(items: list[dict]) -> dict:
    import grader
    from grader import engine
    from grader.normalize import normalize_answer
    from grader.parse import NeedsSympy
    from grader.sandbox import default_pool
    from grader.types import GradeOptions

    from grader.extract import extract_boxed, extract_marked, final_section

    _warm(grader)
    opts = GradeOptions.from_mapping({"extraction": "rules"})
    pool = default_pool()
    # The bare cost of one worker round trip: a trivial call, nothing to parse.
    trivial = []
    for _ in range(300):
        t = time.perf_counter()
        pool.run(int, ("1",), 5.0)
        trivial.append((time.perf_counter() - t) * 1e3)
    rows = []
    seen_pairs: set = set()
    for it in items:
        t0 = time.perf_counter()
        cands = engine.candidates_for(it["response"], "math", opts)
        t1 = time.perf_counter()
        worker = False
        reason = ""
        try:
            engine.grade_candidates(cands, [it["reference"]], "math", opts, use_sympy=False)
        except NeedsSympy as exc:
            worker = True
            reason = str(exc)[:60]
        t2 = time.perf_counter()
        rt = 0.0
        if worker:
            pool.run(engine.grade_candidates, (cands, [it["reference"]], "math", opts, True), opts.timeout)
            rt = time.perf_counter() - t2
        first = cands[0].text if cands else ""
        try:
            same_text = bool(cands) and normalize_answer(first)[0] == normalize_answer(engine.reference_answer(it["reference"]))[0]
        except Exception:  # noqa: BLE001
            same_text = False
        key = (cands[0].text if cands else "", it["reference"])
        t3 = time.perf_counter()
        strong = [c for c in (extract_boxed(final_section(it["response"])), extract_marked(final_section(it["response"]))) if c]
        t4 = time.perf_counter()
        try:
            cand0_norm = normalize_answer(first)[0] if cands else ""
            ref_norm = normalize_answer(engine.reference_answer(it["reference"]))[0]
        except Exception:  # noqa: BLE001
            cand0_norm = ref_norm = ""
        rows.append({"cand0": cand0_norm[:200], "ref_norm": ref_norm[:200], "strong_extract_ms": (t4 - t3) * 1e3, "has_strong": bool(strong),
                     "first_is_strong": bool(cands) and cands[0].method in ("boxed", "answer_is", "gsm8k", "answer_tag"),"id": it["id"], "kind": it["kind"], "label": it["label"], "chars": len(it["response"]),
                     "extract_ms": (t1 - t0) * 1e3, "fast_ms": (t2 - t1) * 1e3, "worker": worker, "roundtrip_ms": rt * 1e3,
                     "needs_sympy_for": reason, "source": cands[0].method if cands else "none", "same_text": same_text,
                     "repeat_pair": key in seen_pairs, "n_cands": len(cands)})
        seen_pairs.add(key)
    # The worker's own compute for those items, here in-process on a cold second pass.
    from grader.parse import _parse_answer_cached
    from grader.normalize import normalize_answer as na

    _parse_answer_cached.cache_clear()
    na.cache_clear()
    for r, it in zip(rows, items):
        if r["worker"]:
            cands = engine.candidates_for(it["response"], "math", opts)
            t = time.perf_counter()
            try:
                engine.grade_candidates(cands, [it["reference"]], "math", opts, use_sympy=True)
            except Exception:  # noqa: BLE001
                pass
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
    # Projection (not measured): what if the proposals below removed these costs.
    inline_mean = (tot_extract + tot_fast) / n
    lazy_saving = sum(max(0.0, r["extract_ms"] - r["strong_extract_ms"]) for r in rows if r["first_is_strong"])
    p1p2 = [r for r in w if r["same_text"] or r["repeat_pair"]]
    evaluable = [r for r in w if r not in p1p2 and _small_algebra(r["ref_norm"])
                 and (_small_algebra(r["cand0"]) or _chain_of_small_algebra(r["cand0"]))]
    rest = [r for r in w if r not in p1p2 and r not in evaluable]
    saved_p1p2 = sum(r["roundtrip_ms"] for r in p1p2)
    saved_eval = sum(r["roundtrip_ms"] for r in evaluable) - 0.05 * len(evaluable)  # ~50 us inline each
    projected = total - lazy_saving - saved_p1p2 - saved_eval
    projection = {
        "lazy_extraction_saves_ms": round(lazy_saving, 1),
        "text_first_and_verdict_cache_items": len(p1p2), "saves_ms": round(saved_p1p2, 1),
        "small_exact_algebra_items": len(evaluable), "small_exact_algebra_saves_ms": round(saved_eval, 1),
        "small_exact_algebra_by_label": dict(Counter(r["label"] for r in evaluable)),
        "remaining_worker_items": len(rest), "remaining_worker_ms": round(sum(r["roundtrip_ms"] for r in rest), 1),
        "remaining_examples": [(r["cand0"][:50], r["ref_norm"][:40]) for r in rest[:12]],
        "projected_total_ms": round(projected, 1), "projected_pairs_per_s": round(n / projected * 1e3, 1),
        "projected_p99_ms_if_remaining_stay": round(pct([r["extract_ms"] + r["fast_ms"] for r in rows if r not in w]
                                                        + [r["roundtrip_ms"] for r in rest]
                                                        + [inline_mean] * (len(p1p2) + len(evaluable)), 99), 3),
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
        "worker_items_answer_text_equals_reference": sum(r["same_text"] for r in w),
        "worker_items_repeat_first_candidate_and_reference": sum(r["repeat_pair"] for r in w),
        "worker_items_same_text_or_repeat": sum(r["same_text"] or r["repeat_pair"] for r in w),
        "trivial_worker_roundtrip_ms": {"p50": round(pct(trivial, 50), 4), "mean": round(statistics.fmean(trivial), 4)},
        "items_first_candidate_strong": sum(r["first_is_strong"] for r in rows),
        "strong_only_extract_ms_mean": round(statistics.fmean(r["strong_extract_ms"] for r in rows), 4),
        "roundtrip_ms_of_same_text_or_repeat": round(sum(r["roundtrip_ms"] for r in w if r["same_text"] or r["repeat_pair"]), 1),
        "extract_ms_by_size": {b: round(statistics.fmean([r["extract_ms"] for r in rows if lo <= r["chars"] < hi] or [0]), 4)
                               for b, lo, hi in (("<500", 0, 500), ("500-1k", 500, 1000), ("1k-2k", 1000, 2000), ("2k+", 2000, 10**9))},
        "slowest_fast_path": sorted(((round(r["fast_ms"], 3), r["id"], r["kind"]) for r in rows), reverse=True)[:5],
    }


import re  # noqa: E402

# What a small exact evaluator could take (numbers, + - * / ^, \\frac, \\sqrt, \\pi, \\cdot, \\times,
# parentheses, one variable letter): values in Q(sqrt(k), pi)[x], compared exactly, no sympy.
_ALGEBRA_RE = re.compile(r"^(?:\\frac|\\sqrt|\\pi|\\cdot|\\times|[0-9.+\-*/^(){}\s]|[a-z])+$")


def _small_algebra(text: str) -> bool:
    return bool(text) and bool(_ALGEBRA_RE.match(text)) and len(set(re.sub(r"\\[a-z]+", "", text)) & set("abcdefghijklmnopqrstuvwxyz")) <= 1


def _chain_of_small_algebra(text: str) -> bool:
    """"662 \\cdot 46 = 30452": an equation chain whose parts are all small algebra."""
    parts = [p.strip() for p in text.replace("\\approx", "=").split("=")]
    return len(parts) > 1 and all(_small_algebra(p) for p in parts)


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
    """The worker's job (grade_candidates with sympy) for the worker items, in this fresh process."""
    from grader import engine
    from grader.parse import NeedsSympy
    from grader.sandbox import _warm_up
    from grader.types import GradeOptions

    _warm_up()  # what a real worker does before its first item
    opts = GradeOptions.from_mapping({"extraction": "rules"})
    jobs = []
    for it in items:
        cands = engine.candidates_for(it["response"], "math", opts)
        try:
            engine.grade_candidates(cands, [it["reference"]], "math", opts, use_sympy=False)
        except NeedsSympy:
            jobs.append((cands, [it["reference"]]))
        except Exception:  # noqa: BLE001
            pass
    prof = cProfile.Profile()
    t = time.perf_counter()
    prof.enable()
    for cands, refs in jobs:
        try:
            engine.grade_candidates(cands, refs, "math", opts, use_sympy=True)
        except Exception:  # noqa: BLE001
            pass
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
    from grader import api, engine

    if variant in ("verdict_cache", "all"):
        # A bounded LRU of verdicts keyed by the first candidate (text, method), the references, the
        # verifier and the options. Exact: the engine's verdict is decided by the first candidate that
        # parses, so a verdict that candidate 0 decided holds for any response whose candidate 0 is the
        # same. A GRPO group repeats answers (and always the reference).
        orig_run = api._run
        cache: OrderedDict = OrderedDict()

        def cached_run(candidates, refs, verifier, opts, pool, inline):
            if not candidates or verifier != "math":
                return orig_run(candidates, refs, verifier, opts, pool, inline)
            c0 = candidates[0]
            key = (c0.text, c0.method, tuple(refs), opts)
            hit = cache.get(key)
            if hit is not None:
                cache.move_to_end(key)
                return _copy_result(hit, c0)
            result = orig_run(candidates, refs, verifier, opts, pool, inline)
            if result.status.name == "OK" and result.extra.get("start") == c0.start and result.extra.get("source") == c0.method:
                cache[key] = result
                if len(cache) > 4096:
                    cache.popitem(last=False)
            return result

        api._run = cached_run
    if variant in ("text_first", "all"):
        # Decide "answer text == reference text" (after normalization) before parsing the reference,
        # so an answer written exactly like a sympy-needing reference never goes to the worker.
        orig_grade = engine._grade_math

        def text_first(candidates, references, options, use_sympy):
            if candidates and not use_sympy:
                cand = candidates[0]
                for ref in references:
                    ref_text = engine.reference_answer(ref)
                    try:
                        if engine._same_text(cand.text, ref_text):
                            return engine._result(True, cand, engine._norm_display(cand.text), ref_text, f"{cand.method}+string")
                    except Exception:  # noqa: BLE001
                        pass
            return orig_grade(candidates, references, options, use_sympy)

        engine._grade_math = text_first
    if variant in ("chain_last_value", "all"):
        # An answer "662 \\cdot 46 = 30452" (a truncated response's last math block) against a plain
        # number: the worker reads it as a Relation and compares only its last term, so do that
        # inline when the last term is a plain number and every reference is a plain number.
        from grader.compare import Comparison
        from grader.numbers import parse_number
        from grader.parse import NeedsSympy, ParseError, Scalar, parse_answer, split_top, _REL_RE
        from grader.normalize import normalize_answer

        inner = engine._grade_math

        def chain_last(candidates, references, options, use_sympy):
            if candidates and not use_sympy:
                decided = _chain_verdict(candidates[0], references, options)
                if decided is not None:
                    return decided
            return inner(candidates, references, options, use_sympy)

        def _chain_verdict(cand, references, options):
            try:
                refs = [engine.reference_answer(r) for r in references]
                ref_vals = [parse_answer(r, use_sympy=False) for r in refs]
                if not all(isinstance(v, Scalar) and v.num is not None for vs in ref_vals for v in vs):
                    return None
                norm, percent = normalize_answer(cand.text)
                ops: list = []
                terms = split_top(norm, _REL_RE, ops)
                if len(terms) < 2 or set(ops) != {"="}:
                    return None
                num = parse_number(terms[-1].strip())
                if num is None:
                    return None
                try:
                    parse_answer(cand.text, use_sympy=False)
                    return None  # the inline path reads it (a name = value): leave it alone
                except NeedsSympy:
                    pass
            except (NeedsSympy, ParseError, ValueError, ArithmeticError):
                return None
            value = Scalar(terms[-1].strip(), num, percent=percent)
            cmp = Comparison(options)
            norm_c = engine._norm_display(cand.text)
            for ref_text, vs in zip(refs, ref_vals):
                if any(cmp.equal(value, v) for v in vs):
                    return engine._result(True, cand, norm_c, ref_text, f"{cand.method}+{cmp.rule}")
            return engine._result(False, cand, norm_c, refs[0], f"{cand.method}+{cmp.rule}")

        engine._grade_math = chain_last
    if variant in ("lazy_extract", "all"):
        # Find the strong candidates (box, answer marker) first; scan for math blocks, bold and the
        # last number only when the engine iterates past them (the first candidate that parses decides).
        from grader import extract

        full = extract.extract_candidates

        class LazyCands(list):
            def __init__(self, strong, response, match_types):
                super().__init__(strong)
                self._args, self._done = (response, match_types), False

            def _complete(self):
                if not self._done:
                    rest = full(*self._args)
                    list.clear(self)
                    list.extend(self, rest)
                    self._done = True

            def __iter__(self):
                i = 0
                while True:
                    if i < list.__len__(self):
                        yield list.__getitem__(self, i)
                        i += 1
                    elif not self._done:
                        self._complete()
                    else:
                        return

            def __reduce__(self):  # the worker gets a plain, complete list
                self._complete()
                return (list, (list(list.__iter__(self)),))

        def lazy(response, match_types=(extract.LATEX, extract.EXPR)):
            if extract.LATEX not in match_types:
                return full(response, match_types)
            text = extract.final_section(response)
            strong = [c for c in (extract.extract_boxed(text), extract.extract_marked(text)) if c and c.text]
            if not strong:
                return full(response, match_types)
            strong.sort(key=lambda c: c.start, reverse=True)
            if len(strong) == 2 and strong[0].text == strong[1].text:
                strong = strong[:1]
            return LazyCands(strong, response, match_types)

        engine.extract_candidates = lazy
    _warm(grader)
    stats, verdicts = _run_all(grader, items)
    return {"variant": variant, **stats, "verdicts": verdicts}


def _copy_result(r, c0):
    import copy

    out = copy.copy(r)
    out.extra = dict(r.extra, start=c0.start)
    return out


# --------------------------------------------------------------------------- py-spy (sampling, both processes)

_STAGES = (  # inclusive buckets, first match wins, checked from the leaf up
    ("worker: latex2sympy (ANTLR parse + conversion)", "latex2sympy"),
    ("worker: sympy comparison", "compare.py"),
    ("worker: other", "grade_candidates"),
    ("main: waiting for the worker (poll/send/recv)", "sandbox.py"),
    ("main: extraction", "extract.py"),
    ("main: normalize", "normalize.py"),
    ("main: parse", "parse.py"),
    ("main: compare", "compare.py"),
    ("main: api/engine overhead", "grader/"),
)


_INCLUSIVE = (  # inclusive counts of interest (a sample may count in several)
    ("worker: ANTLR parser (PSParser rules)", "(latex2sympy2_extended/antlr_parser/"),
    ("worker: latex2sympy parse_number -> sympy.Number(str) -> parse_expr", "parse_number (latex2sympy2_extended"),
    ("worker: sympy parse_expr (string eval) anywhere", "parse_expr (sympy/parsing"),
    ("worker: import statements run per call (_handle_fromlist)", "_handle_fromlist"),
    ("worker: grader parse_answer", "parse_answer (grader/parse.py"),
    ("worker: grader Comparison", "(grader/compare.py"),
    ("main: extract_candidates", "extract_candidates (grader/extract.py"),
    ("main: extract_last_number", "extract_last_number (grader/extract.py"),
    ("main: find_math_blocks", "find_math_blocks (grader/extract.py"),
    ("main: extract_marked", "extract_marked (grader/extract.py"),
    ("main: extract_boxed", "extract_boxed (grader/extract.py"),
    ("main: WorkerPool.run", "run (grader/sandbox.py"),
    ("main: normalize_answer", "normalize_answer (grader/normalize.py"),
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
        worker = any("grader._worker" in f for f in frames[:2])
        if worker:
            if not any(f.startswith("_call ") for f in frames) or any("_warm_up" in f for f in frames):
                continue
        elif not any(f.startswith("_run_all ") for f in frames):
            continue
        total["worker" if worker else "main"] += n
        leaf = frames[-1].split(" (")[0] + " (" + frames[-1].split(" (")[-1].split(":")[0].split("/")[-1] + ")"
        (self_worker if worker else self_main)[leaf] += n
        prefix = "worker" if worker else "main"
        for name, needle in _INCLUSIVE:
            if any(needle in f for f in frames):
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
        return None
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
    variants = ("none", "verdict_cache", "text_first", "chain_last_value", "lazy_extract", "all")
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
