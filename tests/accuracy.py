"""Grade the shared labeled cases and report accuracy per file and per tag.

    .venv/bin/python tests/accuracy.py [--extraction rules|auto] [--no-question] [FILE ...]

Each case is graded with its question (its ``prompt`` or ``question`` field) unless ``--no-question``,
and with the default extraction unless ``--extraction`` sets it for the process (``GRADER_EXTRACTOR``
off for rules, on for auto).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import pathlib

CASES_DIR = pathlib.Path(os.environ.get("GRADER_CASES_DIR") or pathlib.Path(__file__).resolve().parents[2] / "shared" / "cases")
MATH_FILES = ["hardverify_dev.jsonl", "mathverify_tests.jsonl", "gsm8k_solutions_dev.jsonl"]


def load_cases(name: str) -> list[dict]:
    path = CASES_DIR / name
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def evaluate(name: str, extraction: str | None = None, with_question: bool = True) -> tuple[float, dict, list]:
    import grader

    cases = load_cases(name)
    if extraction is not None:  # for the process, as a deployment sets it: items routed elsewhere keep their options
        os.environ["GRADER_EXTRACTOR"] = {"rules": "off", "auto": "on"}[extraction]
    items = []
    for c in cases:
        options = dict(c.get("options") or {})
        question = (c.get("prompt") or c.get("question") or "") if with_question else ""
        items.append({"response": c["response"], "reference": c["reference"], "options": options,
                      "verifier": c.get("verifier", "math"), "prompt": question})
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", default=MATH_FILES)
    parser.add_argument("--extraction", choices=["rules", "auto"], help="default: the process's default")
    parser.add_argument("--no-question", action="store_true", help="grade without the cases' questions")
    args = parser.parse_args()
    for name in args.files:
        acc, per_tag, misses = evaluate(name, args.extraction, not args.no_question)
        fp = sum(1 for _, res in misses if res.correct)
        print(f"{name}: {acc:.1%} ({len(misses)} disagreements, {fp} false positives)")
        for tag, (ok, n) in sorted(per_tag.items()):
            print(f"  {tag:20s} {ok}/{n}")
        for case, res in misses:
            print(f"  MISS {case['id']} exp={case['expected']} got={res.correct} {res.status.value} "
                  f"method={res.method} ext={res.extracted[:70]!r} norm={res.normalized[:50]!r} "
                  f"ref={res.normalized_reference[:50]!r} reason={res.reason[:80]!r}")


if __name__ == "__main__":
    main()
