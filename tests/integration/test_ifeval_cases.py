"""IFEval's GPT-4 responses (../shared/cases/ifeval_gpt4_dev.jsonl): per-instruction agreement
with the official checker's verdicts, strict and loose, per instruction id.

Floors are what the verifier reaches. The one loose miss is keywords:letter_frequency with
letter '#': the official checker of the time replaced a non-letter by a random letter, so that
label is a coin toss; here '#' is counted as given.
"""

from __future__ import annotations

import collections
import json

import pytest

import grader
from accuracy import CASES_DIR, load_cases

NAME = "ifeval_gpt4_dev.jsonl"
FLOORS = {"strict": 1.0, "loose": 831 / 832}  # overall, per instruction (832 checks)
ID_FLOORS = {("loose", "keywords:letter_frequency"): 32 / 33}  # every other id: 100%


def agreement(mode: str) -> dict[str, tuple[int, int]]:
    """Per instruction id: (checks agreeing with the official verdict, checks)."""
    cases = load_cases(NAME)
    items = [{"response": c["response"], "prompt": c["prompt"], "verifier": "ifeval", "options": {"mode": mode},
              "reference": json.dumps({"instruction_id_list": c["instruction_id_list"], "kwargs": c["kwargs"]})}
             for c in cases]
    per_id: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    for case, result in zip(cases, grader.grade_many(items)):
        assert result.status is grader.Status.OK, (case["id"], result.reason)
        for check, expected in zip(result.checks, case[f"expected_{mode}"], strict=True):
            per_id[check.name][0] += check.passed == expected
            per_id[check.name][1] += 1
    return {k: (v[0], v[1]) for k, v in per_id.items()}


@pytest.mark.skipif(not (CASES_DIR / NAME).exists(), reason=f"{CASES_DIR / NAME} is not present")
def test_ifeval_agreement_per_instruction(capsys):
    table = {mode: agreement(mode) for mode in ("strict", "loose")}
    with capsys.disabled():
        print(f"\n{NAME}: per-instruction agreement with the official checker")
        print(f"  {'instruction id':46s} {'n':>4s} {'strict':>7s} {'loose':>7s}")
        for iid in sorted(table["strict"]):
            (s, n), (lo, _) = table["strict"][iid], table["loose"][iid]
            print(f"  {iid:46s} {n:4d} {s / n:7.1%} {lo / n:7.1%}")
        for mode in ("strict", "loose"):
            ok, n = (sum(v[i] for v in table[mode].values()) for i in (0, 1))
            print(f"  all {mode}: {ok}/{n} = {ok / n:.2%}")
    assert len(table["strict"]) == 25
    for mode, per_id in table.items():
        ok, n = (sum(v[i] for v in per_id.values()) for i in (0, 1))
        assert ok / n >= FLOORS[mode], mode
        for iid, (agree, count) in per_id.items():
            assert agree / count >= ID_FLOORS.get((mode, iid), 1.0), (mode, iid, agree, count)


@pytest.mark.skipif(not (CASES_DIR / NAME).exists(), reason=f"{CASES_DIR / NAME} is not present")
def test_language_detector_answers_as_langdetect_on_real_responses():
    from langdetect import DetectorFactory, LangDetectException, detect

    from grader.verifiers.ifeval import loose_variants
    from grader.verifiers.ifeval.language import detector

    DetectorFactory.seed = 0
    texts = [c["prompt"] for c in load_cases(NAME)]
    texts += [text for c in load_cases(NAME) for _, text in loose_variants(c["response"])[:2]]
    for text in texts:
        try:
            expected = detect(text)
        except LangDetectException:
            expected = None
        assert detector().detect(text) == expected, text[:200]
