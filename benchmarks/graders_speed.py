"""The grader verifier's throughput per core, through the public ``grader.grade`` (options parsed, config
validated, planned and graded, as a caller sees it), one item a call, pinned to one core, best of
``--repeats`` after a warm-up.

Items are seeded: 100-word responses against 100-word references (a copy with about one word in ten
changed) for ``string_check`` and ``text_similarity``; a numbered list of 20 gene-like symbols for
``ranked_list``; a short ``<answer>`` for ``qa``; an R1-style response for ``format``, ``length`` and the
shaped reward (``multi`` of the math verifier, format and length).

    python benchmarks/graders_speed.py --out benchmarks/results/graders
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

SAMPLE, REFERENCE = "{{sample.output_text}}", "{{item.reference}}"
TARGETS = {"string_check": 20_000, "fuzzy_match": 5_000, "bleu": 1_000, "rouge_l": 1_000}  # items/s per core, issue 19
WORDS = 100


def similarity(metric: str) -> dict[str, Any]:
    return {"type": "text_similarity", "input": SAMPLE, "reference": REFERENCE, "evaluation_metric": metric}


SHAPED = {"type": "multi", "calculate_output": "correctness + 0.1 * format + overlong",
          "graders": {"correctness": {"type": "verifier", "verifier": "math"},
                      "format": {"type": "format", "think": True, "boxed": True, "nothing_after": True},
                      "overlong": {"type": "length", "max_length": 4096, "cache_length": 512}}}


def texts(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """(response, reference) pairs of WORDS words, the response a copy with about one word in ten changed."""
    vocabulary = [f"w{i}" for i in range(2000)] + ["the", "of", "and", "a", "to", "in", "is", "was"] * 50
    pairs = []
    for _ in range(n):
        reference = [rng.choice(vocabulary) for _ in range(WORDS)]
        response = [rng.choice(vocabulary) if rng.random() < 0.1 else w for w in reference]
        pairs.append((" ".join(response), " ".join(reference)))
    return pairs


def gene_lists(rng: random.Random, n: int) -> list[tuple[str, str]]:
    genes = [f"{rng.choice(['BRCA', 'TP', 'HLA-B', 'IL', 'TNF-', 'COL', 'SCN'])}{i}" for i in range(500)]
    pairs = []
    for _ in range(n):
        listed = rng.sample(genes, 20)
        answer = rng.choice(listed + genes[:5])
        response = "Candidates:\n" + "\n".join(f"{k + 1}. {g} - a reason" for k, g in enumerate(listed))
        pairs.append((response, json.dumps([answer, answer.lower().replace("-", "")])))
    return pairs


def answers(rng: random.Random, n: int) -> list[tuple[str, str]]:
    names = ["Paris", "the Eiffel Tower", "Barack Obama", "1984", "New York City", "Marie Curie"]
    return [(f"<think>Looking it up.</think><answer>{rng.choice(names)}</answer>",
             json.dumps([rng.choice(names), rng.choice(names)])) for _ in range(n)]


def r1(rng: random.Random, n: int) -> list[tuple[str, str]]:
    pairs = []
    for _ in range(n):
        a, b = rng.randint(1, 99), rng.randint(1, 99)
        thinking = " ".join(["step"] * rng.randint(20, 200))
        pairs.append((f"<think>{a} + {b}: {thinking}</think> The sum is \\boxed{{{a + b + (rng.random() < 0.2)}}}",
                      str(a + b)))
    return pairs


def cases(rng: random.Random, n: int) -> list[tuple[str, str, list[tuple[str, str]], dict[str, Any]]]:
    """(row name, verifier, pairs, options)."""
    prose, genes, qa_items, r1_items = texts(rng, n), gene_lists(rng, n), answers(rng, n), r1(rng, n)
    check = {"type": "string_check", "input": SAMPLE, "reference": REFERENCE, "operation": "eq"}
    return [
        ("string_check", "grader", prose, {"grader": check}),
        ("fuzzy_match", "grader", prose, {"grader": similarity("fuzzy_match")}),
        ("bleu", "grader", prose, {"grader": similarity("bleu")}),
        ("rouge_l", "grader", prose, {"grader": similarity("rouge_l")}),
        ("ranked_list (20 genes, reciprocal rank)", "grader", genes, {"grader": {"type": "ranked_list"}}),
        ("ranked_list (fuzzy, threshold 0.9)", "grader", genes, {"grader": {"type": "ranked_list", "match": "fuzzy"}}),
        ("qa grader (em)", "grader", qa_items, {"grader": {"type": "qa"}}),
        ("qa verifier (em)", "qa", qa_items, {}),
        ("qa verifier (f1)", "qa", qa_items, {"metric": "f1"}),
        ("format (think, boxed, nothing after)", "grader", r1_items, {"grader": SHAPED["graders"]["format"]}),
        ("length (estimated tokens)", "grader", r1_items, {"grader": SHAPED["graders"]["overlong"]}),
        ("shaped: math verifier + format + length", "grader", r1_items, {"grader": SHAPED}),
    ]


def rate(verifier: str, pairs: list[tuple[str, str]], options: dict[str, Any], repeats: int,
         budget_s: float) -> float:
    import grader

    def one_pass(limit: int) -> tuple[int, float]:
        t0 = time.perf_counter()
        for response, reference in pairs[:limit]:
            result = grader.grade(response, reference, verifier=verifier, **options)
            if result.status not in (grader.Status.OK, grader.Status.NO_ANSWER):
                raise RuntimeError(f"{verifier} {options}: {result.status} {result.reason}")
        return limit, time.perf_counter() - t0

    n, seconds = one_pass(min(len(pairs), 50))  # warm-up: imports, scorers built, caches filled
    n = max(50, min(len(pairs), int(budget_s * n / max(seconds, 1e-9))))  # about budget_s a pass
    return max(k / s for k, s in (one_pass(n) for _ in range(repeats)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=4000, help="seeded items per row (fewer where a pass is slow)")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes; the best counts")
    parser.add_argument("--seconds", type=float, default=1.0, help="about how long one timed pass takes")
    parser.add_argument("--out", help="write OUT.md and OUT.json")
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core: the targets are per core
    os.environ.setdefault("GRADER_EXTRACTOR", "off")  # rules only: no model stage on this path
    rows = []
    for name, verifier, pairs, options in cases(random.Random(0), args.items):
        per_s = rate(verifier, pairs, options, args.repeats, args.seconds)
        target = TARGETS.get(name)
        verdict = "" if target is None else ("PASS" if per_s >= target else "FAIL")
        rows.append({"grader": name, "items_per_s": round(per_s, 1), "target": target, "verdict": verdict})
        print(f"{name}: {per_s:,.0f} items/s on one core" + (f" (target >= {target:,}: {verdict})" if target else ""),
              flush=True)
    if args.out:
        info = harness.machine_info()
        lines = [f"# grader verifier throughput: grader.grade, one item a call, one core, {WORDS}-word texts", "",
                 f"{info['cpu_model']}, Python {info['python']}.", "",
                 *harness.md_table(["grader", "items/s per core", "target", "verdict"],
                                   [(r["grader"], f"{r['items_per_s']:,.0f}",
                                     f">= {r['target']:,}" if r["target"] else "", r["verdict"]) for r in rows],
                                   "lrrl")]
        Path(args.out + ".md").write_text("\n".join(lines) + "\n")
        Path(args.out + ".json").write_text(json.dumps({"machine": info, "rows": rows}, indent=2) + "\n")
    return 0  # the verdicts are in the output; make bench runs every benchmark


if __name__ == "__main__":
    sys.exit(main())
