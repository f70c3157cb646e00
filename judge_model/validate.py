"""Agreement with the shared labelled cases, rules alone and rules + a judge (on rule misses).

    python -m judge_model.validate                       # the shipped judge, the three math files
    python -m judge_model.validate --judge /tmp/judge hardverify_dev.jsonl

The cases are validation only: nothing here trains or tunes on them. Each case is graded
with its question (``question`` or ``prompt``) as the item's prompt, so the judge sees it.
Prints, per file: agreement and false positives rules-only and with the judge, how many
items the judge judged (not counting response tails it declined), and the verdicts it changed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CASES_DIR = Path(os.environ.get("GRADER_CASES_DIR") or Path(__file__).resolve().parents[2] / "shared" / "cases")
PLAIN_NUMBER = re.compile(r"^-?\d[\d,]*(?:\.\d+)?$")
FILES = ["hardverify_dev.jsonl", "mathverify_tests.jsonl", "gsm8k_solutions_dev.jsonl"]


def load_cases(name: str) -> list[dict]:
    return [json.loads(line) for line in (CASES_DIR / name).read_text().splitlines() if line.strip()]


def items(cases: list[dict]) -> list[dict]:
    """The cases as items, each with its options as labelled and its question as the prompt (the judge
    option unset: on-miss where a judge is configured)."""
    return [{"response": c["response"], "reference": c["reference"], "verifier": c.get("verifier", "math"),
             "prompt": c.get("question") or c.get("prompt") or "", "options": c.get("options") or {}}
            for c in cases]


def summary(cases: list[dict], results: list) -> dict:
    agree = sum(r.correct == c["expected"] for c, r in zip(cases, results))
    fp = sum(r.correct and not c["expected"] for c, r in zip(cases, results))
    fn = sum(not r.correct and c["expected"] for c, r in zip(cases, results))
    return {"n": len(cases), "agree": agree, "agreement": round(agree / len(cases), 4), "fp": fp, "fn": fn}


def validate(name: str, service) -> dict:
    import grader

    cases = load_cases(name)
    rules = grader.grade_many(items(cases))
    judged = grader.grade_many(items(cases), judge_service=service)
    asked = [k for k, r in enumerate(judged)
             if any(c.name == "judge" and not c.reason.startswith("not judged") for c in r.checks)]
    changes = [{"id": cases[k]["id"], "expected": cases[k]["expected"], "answer": judged[k].extracted[:60],
                "reference": cases[k]["reference"][:60], "p": round(judged[k].checks[-1].score, 4),
                "numbers": bool(PLAIN_NUMBER.match(rules[k].normalized) and
                                PLAIN_NUMBER.match(rules[k].normalized_reference))}
               for k in asked if judged[k].correct != rules[k].correct]
    return {"file": name, "rules": summary(cases, rules), "judge": summary(cases, judged), "asked": len(asked),
            "changed": changes}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", default=FILES)
    parser.add_argument("--judge", default="default", help="default (the shipped judge) or a judge folder")
    parser.add_argument("--out", help="write the figures as JSON here")
    args = parser.parse_args(argv)
    from grader.lm.judge import load_judge

    service = load_judge(args.judge, device="cpu")
    report = []
    try:
        for name in args.files:
            row = validate(name, service)
            report.append(row)
            r, j = row["rules"], row["judge"]
            print(f"{name}: rules {r['agree']}/{r['n']} ({r['agreement']:.1%}, {r['fp']} FP); "
                  f"rules + judge {j['agree']}/{j['n']} ({j['agreement']:.1%}, {j['fp']} FP); "
                  f"judge asked on {row['asked']}, changed {len(row['changed'])}")
            for change in row["changed"]:
                print(f"  {'FIXED' if change['expected'] else 'FALSE POSITIVE'} {change['id']} p={change['p']} "
                      f"answer={change['answer']!r} reference={change['reference']!r}"
                      f"{' (both plain numbers)' if change['numbers'] else ''}")
    finally:
        service.close()
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
