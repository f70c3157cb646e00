"""text_similarity's model- and data-backed metrics, meteor (NLTK + WordNet) and cosine (all-MiniLM-L6-v2):
first use in a fresh process (what a cold worker pays once), then items/s on one core.

Each item is a ``grader`` config (``text_similarity``, ``{{sample.output_text}}`` against ``{{item.reference}}``)
graded in-process by ``grader.grade_many``: a response of ``--words`` words against a reference sharing about
half its words, seeded; each reference alone, and in groups of 8 responses per reference as GRPO sends them
(cosine embeds a shared reference once). Pinned to one core (torch to one thread), warmed up, best of
``--repeats``.

    python benchmarks/similarity_speed.py --out benchmarks/results/similarity
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

METRICS = ("meteor", "cosine")
VOCABULARY = ("the cat dog house river mountain quick slow red blue runs jumps sits near over under city "
              "capital France Paris answer number gene protein cell binds causes disease rare patient "
              "treatment study result shows large small").split()
FIRST_USE = """
import time, grader
config = {{"type": "text_similarity", "input": "{{{{sample.output_text}}}}", "reference": "{{{{item.reference}}}}",
          "evaluation_metric": "{metric}"}}
t0 = time.perf_counter()
grader.grade("the cat sat", "a cat sat", verifier="grader", grader=config)
print(time.perf_counter() - t0)
"""


def items(metric: str, n: int, words: int, group: int, rng: random.Random) -> list[dict]:
    config = {"type": "text_similarity", "input": "{{sample.output_text}}", "reference": "{{item.reference}}",
              "evaluation_metric": metric}
    out = []
    for _ in range(n // group):
        reference = [rng.choice(VOCABULARY) for _ in range(words)]
        for _ in range(group):
            response = [w if rng.random() < 0.5 else rng.choice(VOCABULARY) for w in reference]
            out.append({"response": " ".join(response), "reference": " ".join(reference), "verifier": "grader",
                        "options": {"grader": config}})
    return out


def first_use_seconds(metric: str) -> float:
    """A fresh interpreter's first item: imports, WordNet or the encoder loaded, one item graded."""
    code = FIRST_USE.format(metric=metric)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    return float(out.stdout.strip().splitlines()[-1])


def items_per_second(batches: list[list[dict]]) -> float:
    """The best pass over fresh batches (never one seen before: cosine keeps embeddings), after a warm-up."""
    import grader

    best = float("inf")
    for k, batch in enumerate(batches):
        t0 = time.perf_counter()
        results = grader.grade_many(batch)
        if k:  # batch 0 warms up: the library, its data or model loaded
            best = min(best, time.perf_counter() - t0)
        bad = [r.reason for r in results if r.status is not grader.Status.OK]
        if bad:
            raise RuntimeError(f"{len(bad)} items not OK, e.g. {bad[0]}")
    return len(batches[-1]) / best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--words", type=int, default=100, help="words per response and reference")
    parser.add_argument("--items", type=int, default=200, help="items per timed pass")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes; the best counts")
    parser.add_argument("--metrics", default=",".join(METRICS), help="comma-separated text_similarity metrics")
    parser.add_argument("--out", help="write OUT.md and OUT.json")
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core: figures are per core
    os.environ["OMP_NUM_THREADS"] = "1"  # the first-use children too
    import torch

    torch.set_num_threads(1)
    rows = []
    for metric in args.metrics.split(","):
        load = first_use_seconds(metric)
        rng = random.Random(metric)
        rates = [items_per_second([items(metric, args.items, args.words, group, rng) for _ in range(args.repeats + 1)])
                 for group in (1, 8)]
        rows.append({"metric": metric, "first_use_s": round(load, 2), "items_per_s": round(rates[0], 1),
                     "items_per_s_group_8": round(rates[1], 1)})
        print(f"{metric}: first use in a fresh process {load:.2f} s; on one core at {args.words} words "
              f"{rates[0]:,.1f} items/s, {rates[1]:,.1f} in groups of 8 per reference", flush=True)
    if args.out:
        info = harness.machine_info()
        lines = [f"# text_similarity meteor and cosine: {args.words}-word items, one core", "",
                 f"{info['cpu_model']}, Python {info['python']}; in-process `grader.grade_many`, best of "
                 f"{args.repeats} passes of {args.items} items; first use = a fresh interpreter's first item.", "",
                 *harness.md_table(["metric", "first use (s)", "items/s per core", "in groups of 8"],
                                   [(r["metric"], f"{r['first_use_s']:.2f}", f"{r['items_per_s']:,.1f}",
                                     f"{r['items_per_s_group_8']:,.1f}") for r in rows], "lrrr")]
        Path(args.out + ".md").write_text("\n".join(lines) + "\n")
        Path(args.out + ".json").write_text(json.dumps({"machine": info, "words": args.words, "rows": rows},
                                                       indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
