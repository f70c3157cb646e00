"""Fuzz the public API: `make fuzz` (or `python tests/fuzz.py --count N --seconds S`).

Every registered verifier takes part with the items its own ``fuzz_items``
generates (for math: LaTeX token soup, random Unicode, deep nesting, power
towers, hostile snippets), and all of them are also mutated, as are the shared
labeled cases. Every input must come back as a GradeResult with a
valid status, within its time budget, deterministically (a sample is graded
twice), without touching the file system or the environment. Bounded by
count and by time; findings go to a JSON file; exit 1 when there are any.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import random
import sys
import tempfile
import time

import grader
from grader import Status, verifiers
from grader.verifiers.math.fuzz import TOKENS

MUTATIONS = list(TOKENS) + ["①", "²", "\u0663", "\ufeff", "\\boxed{", "```python\n", "{{", "}}"]


def load_corpus() -> list[tuple[str, str]]:
    cases_dir = pathlib.Path(os.environ.get("GRADER_CASES_DIR")
                             or pathlib.Path(__file__).resolve().parents[2] / "shared" / "cases")
    pairs = []
    for path in sorted(cases_dir.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            case = json.loads(line)
            if isinstance(case.get("reference"), str):  # files of other families carry other fields
                pairs.append((case["response"], case["reference"]))
    return pairs or [(r"The answer is \boxed{42}.", "42")]


def mutate(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, 6)):
        op = rng.random()
        pos = rng.randint(0, len(chars))
        if op < 0.35:
            chars[pos:pos] = list(rng.choice(MUTATIONS))
        elif op < 0.6 and chars:
            del chars[pos:pos + rng.randint(1, 8)]
        elif op < 0.8 and chars:
            start = rng.randint(0, len(chars) - 1)
            chars[pos:pos] = chars[start:start + rng.randint(1, 30)]
        else:
            chars[pos:pos] = [chr(rng.randint(0, 0x2FFF))]
    return "".join(chars)


class Generator:
    """Items from every registered verifier's own generator, the shared cases, and mutations of both."""

    def __init__(self, rng: random.Random, corpus: list[tuple[str, str]]) -> None:
        self.rng, self.corpus = rng, corpus
        self.streams = {v.name: v.fuzz_items(rng) for v in verifiers.all_verifiers()}

    def item(self) -> dict:
        rng = self.rng
        # Verifiers that may not finish inline (placement WORKER: math) get most of the inputs.
        names = sorted(self.streams)
        name = rng.choices(names, [8 if verifiers.get(n).placement is verifiers.Placement.WORKER else 1
                                   for n in names])[0]
        if rng.random() < 0.25:
            response, reference = rng.choice(self.corpus)
            options: dict = {}
        else:
            generated = next(self.streams[name], None)
            if generated is None:  # a verifier without a generator grades the shared cases
                response, reference, options = *rng.choice(self.corpus), {}
            else:
                response, reference, options = generated.response, generated.reference, dict(generated.options)
        if rng.random() < 0.35:
            response = mutate(rng, response)
        return {"response": response, "reference": reference or "0", "verifier": name,
                "options": {**options, "timeout": 1.0}}


def check(item: dict, result: object) -> str:
    if not isinstance(result, grader.GradeResult):
        return f"not a GradeResult: {type(result).__name__}"
    if result.status not in set(Status):
        return f"bad status {result.status!r}"
    if result.correct and result.status != Status.OK:
        return "correct without OK"
    if result.reason.startswith("Internal error"):
        return result.reason  # grade() caught an exception: a bug
    budget_ms = (item["options"]["timeout"] + 5) * 1000
    if result.latency_ms > budget_ms:
        return f"took {result.latency_ms:.0f} ms (budget {budget_ms:.0f} ms)"
    return ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=1200.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chunk", type=int, default=200)
    parser.add_argument("--findings", default="fuzz-findings.json")
    args = parser.parse_args()

    generator = Generator(random.Random(args.seed), load_corpus())
    env_before = dict(os.environ)
    sentinel_dir = pathlib.Path(tempfile.gettempdir())
    files_before = set(os.listdir(sentinel_dir)) | set(os.listdir("."))
    findings: list[dict] = []
    done, start, statuses = 0, time.monotonic(), {s.value: 0 for s in Status}
    while done < args.count and time.monotonic() - start < args.seconds:
        items = [generator.item() for _ in range(min(args.chunk, args.count - done))]
        results = grader.grade_many(items)
        for item, result in zip(items, results):
            problem = check(item, result)
            statuses[result.status.value] += 1
            if problem:
                findings.append({"problem": problem, "response": item["response"][:2000],
                                 "reference": str(item["reference"])[:500], "verifier": item["verifier"]})
        for item, result in list(zip(items, results))[:: max(1, len(items) // 2)]:
            again = grader.grade(item["response"], item["reference"], verifier=item["verifier"], **item["options"])
            if Status.TIMEOUT not in (result.status, again.status) and \
                    (again.correct, again.status, again.method) != (result.correct, result.status, result.method):
                findings.append({"problem": "not deterministic", "response": item["response"][:2000],
                                 "reference": str(item["reference"])[:500], "verifier": item["verifier"]})
        done += len(items)
        print(f"\r{done} inputs, {len(findings)} findings, {time.monotonic() - start:.0f} s", end="", file=sys.stderr)
    print(file=sys.stderr)
    if dict(os.environ) != env_before:
        findings.append({"problem": "environment changed"})
    new_files = (set(os.listdir(sentinel_dir)) | set(os.listdir("."))) - files_before - {args.findings}
    if any(name.startswith("pwned") for name in new_files):
        findings.append({"problem": f"files appeared: {sorted(new_files)}"})
    elapsed = time.monotonic() - start
    summary = {"inputs": done, "seconds": round(elapsed, 1), "inputs_per_second": round(done / elapsed, 1),
               "statuses": statuses, "findings": len(findings)}
    print(json.dumps(summary))
    with open(args.findings, "w") as f:
        json.dump({"summary": summary, "findings": findings[:200]}, f, indent=1)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
