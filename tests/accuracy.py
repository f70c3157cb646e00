"""Grade the shared labeled cases and report accuracy per file and per tag."""

from __future__ import annotations

import collections
import json
import os
import pathlib
import sys

CASES_DIR = pathlib.Path(os.environ.get("GRADER_CASES_DIR") or pathlib.Path(__file__).resolve().parents[2] / "shared" / "cases")


def load_cases(name: str) -> list[dict]:
    path = CASES_DIR / name
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def evaluate(name: str) -> tuple[float, dict, list]:
    import grader

    cases = load_cases(name)
    items = [{"response": c["response"], "reference": c["reference"], "options": c.get("options") or {},
              "verifier": c.get("verifier", "math")} for c in cases]
    results = grader.grade_many(items)
    per_tag: dict = collections.defaultdict(lambda: [0, 0])
    misses = []
    for case, res in zip(cases, results):
        ok = res.correct == case["expected"]
        per_tag[case["tag"]][0] += ok
        per_tag[case["tag"]][1] += 1
        if not ok:
            misses.append((case, res))
    acc = sum(v[0] for v in per_tag.values()) / len(cases)
    return acc, dict(per_tag), misses


if __name__ == "__main__":
    for name in sys.argv[1:] or ["hardverify_dev.jsonl", "mathverify_tests.jsonl", "gsm8k_solutions_dev.jsonl"]:
        acc, per_tag, misses = evaluate(name)
        print(f"{name}: {acc:.1%}")
        for tag, (ok, n) in sorted(per_tag.items()):
            print(f"  {tag:20s} {ok}/{n}")
        for case, res in misses:
            print(f"  MISS {case['id']} exp={case['expected']} got={res.correct} {res.status.value} "
                  f"method={res.method} ext={res.extracted[:70]!r} norm={res.normalized[:50]!r} "
                  f"ref={res.normalized_reference[:50]!r} reason={res.reason[:80]!r}")
