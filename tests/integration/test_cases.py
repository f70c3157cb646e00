"""Every labeled case in ../shared/cases, with an accuracy report per file and per tag.

Floors are the accuracy the engine has reached; raise them as it improves.
"""


import pytest

from accuracy import CASES_DIR, evaluate

FLOORS = {
    "hardverify_dev.jsonl": 0.98,
    "mathverify_tests.jsonl": 0.96,
    "gsm8k_solutions_dev.jsonl": 1.0,
}
# False positives (graded correct, labelled wrong) at most: a reward for a wrong answer is the costly error.
FALSE_POSITIVES = {"hardverify_dev.jsonl": 1, "mathverify_tests.jsonl": 1, "gsm8k_solutions_dev.jsonl": 0}


@pytest.mark.parametrize("with_question", [True, False], ids=["with-question", "no-question"])
@pytest.mark.parametrize("name", sorted(FLOORS))
def test_accuracy_floor(name, with_question, capsys):
    if not (CASES_DIR / name).exists():
        pytest.skip(f"{CASES_DIR / name} is not present (set GRADER_CASES_DIR)")
    accuracy, per_tag, misses = evaluate(name, with_question=with_question)
    with capsys.disabled():
        print(f"\n{name} ({'with' if with_question else 'without'} questions): {accuracy:.1%} agreement with "
              f"labels ({len(misses)} disagreements)")
        for tag, (ok, n) in sorted(per_tag.items()):
            print(f"  {tag:20s} {ok:4d}/{n:<4d} {ok / n:.1%}")
    assert accuracy >= FLOORS[name], [c["id"] for c, _ in misses]
    false_positives = [c["id"] for c, r in misses if r.correct]
    assert len(false_positives) <= FALSE_POSITIVES[name], false_positives
