"""Speed benchmarks (pytest-benchmark). `make bench` times them; `make test` runs each once."""

import grader
from grader.verifiers.math.extract import extract_candidates
from hostile import HOSTILE_MATH

REASONING = "We add the two parts: 3 + 4 = 7, then multiply by 6 to get 42. " * 20


def test_bench_plain_number(benchmark):
    result = benchmark(grader.grade, REASONING + r"The answer is $\boxed{42}$.", "42")
    assert result.correct


def test_bench_fraction_vs_decimal(benchmark):
    result = benchmark(grader.grade, REASONING + r"So $\boxed{\dfrac{1}{20}}$.", "0.05")
    assert result.correct


def test_bench_symbolic(benchmark):
    result = benchmark(grader.grade, REASONING + r"So $\boxed{\frac{\sqrt{2}}{2}}$.", r"\frac{1}{\sqrt 2}")
    assert result.correct


def test_bench_megabyte_response_extraction(benchmark):
    response = "step " * 200_000 + r"\boxed{42}"
    candidates = benchmark(extract_candidates, response)
    assert candidates[0].text == "42"


# --- the benchmark workload (benchmarks/workload.py): realistic RL grading traffic ---------------

import itertools  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import workload  # noqa: E402

_SEEDS = itertools.count(1000)


def _fresh_items(order: str):
    """Each round grades items never seen before (a new seed), so caches do not carry over."""
    items = workload.generate(25, seed=next(_SEEDS))  # 25 prompts x 8 samples
    return ((workload.shuffled(items) if order == "shuffled" else items),), {}


def _grade_all(items):
    results = [grader.grade(i["response"], i["reference"], extraction="rules") for i in items]
    agree = sum(r.correct == i["expected"] for r, i in zip(results, items))
    assert agree >= 0.95 * len(items), f"{agree}/{len(items)} agree with the intended labels"
    return results


def test_bench_workload_grouped_200(benchmark):
    """200 items, 8 samples per prompt in a row (GRPO order); time per round of 200."""
    benchmark.pedantic(_grade_all, setup=lambda: _fresh_items("grouped"), rounds=5, iterations=1, warmup_rounds=1)


def test_bench_workload_shuffled_200(benchmark):
    benchmark.pedantic(_grade_all, setup=lambda: _fresh_items("shuffled"), rounds=5, iterations=1, warmup_rounds=1)


def test_bench_megabyte_response_grade(benchmark):
    response = workload.long_response(1_000_000)
    result = benchmark(grader.grade, response, "0.75", extraction="rules")
    assert result.correct


# --- LM extractor: batch 1 vs the InferenceBatcher under 32 concurrent callers ---------------

import lm_throughput  # noqa: E402
import pytest  # noqa: E402

_LM_TEXTS = lm_throughput.sample_texts(128)
_LM_RATES: dict[str, float] = {}


@pytest.fixture(scope="module")
def lm_extractor():
    import torch

    from grader.lm import AnswerExtractor

    threads = torch.get_num_threads()
    torch.set_num_threads(2)  # the shipped default: two threads on the 2-core machine
    yield AnswerExtractor.load()
    torch.set_num_threads(threads)


def _lm_round(benchmark, mode: str, extractor) -> dict:
    run = lm_throughput.unbatched if mode == "unbatched" else lm_throughput.batched
    stats = benchmark.pedantic(run, args=(extractor, _LM_TEXTS, 32), rounds=3, iterations=1, warmup_rounds=1)
    assert stats["sequences"] == len(_LM_TEXTS)
    benchmark.extra_info.update(stats)
    _LM_RATES[mode] = stats["seq_per_s"]
    return stats


def test_bench_lm_batch1_32_callers(benchmark, lm_extractor):
    """32 threads, each request its own forward pass (the extractor's lock serializes them)."""
    _lm_round(benchmark, "unbatched", lm_extractor)


def test_bench_lm_batcher_32_callers(benchmark, lm_extractor):
    """32 threads through LMService: concurrent requests share padded forward passes."""
    _lm_round(benchmark, "batched", lm_extractor)
    if "unbatched" in _LM_RATES:
        benchmark.extra_info["batched_over_unbatched"] = round(_LM_RATES["batched"] / _LM_RATES["unbatched"], 2)


# --- instruction following -----------------------------------------------------------------------

IFEVAL_HOSTILE = ["[" * 50_000, "<<" * 50_000, "\n" * 50_000 + "x", " \n" * 50_000]
IFEVAL_SHAPES = '{"instruction_id_list": ["detectable_format:title", "detectable_content:number_placeholders", ' \
                '"detectable_format:number_bullet_lists"], "kwargs": [{}, {"num_placeholders": 1}, {"num_bullets": 1}]}'


def test_bench_ifeval_hostile_input(benchmark):
    """Inputs that make upstream's patterns backtrack: one-pass scanners keep them linear."""
    results = benchmark(lambda: [grader.grade(t, IFEVAL_SHAPES, verifier="ifeval", mode="loose")
                                 for t in IFEVAL_HOSTILE])
    assert all(r.status is grader.Status.OK and not r.correct for r in results)


IFEVALG_HOSTILE = ["a " * 100_000, "Hi. " * 50_000, "A b.-" * 50_000, "<<" * 100_000]
IFEVALG_SHAPES = str([{"instruction_id": ["copy:repeat_phrase", "detectable_format:sentence_hyphens",
                                          "detectable_format:bigram_wrapping", "count:count_unique",
                                          "keywords:keyword_specific_position"],
                       "kwargs": [{"phrase": " ".join(["a"] * 100), "small_n": 1}, None, None, None,
                                  {"keyword": "a", "n": 2, "m": 2}]}])


def test_bench_ifevalg_hostile_input(benchmark):
    """IFEvalG's checkers on long repetitive input: each a bounded number of passes."""
    results = benchmark(lambda: [grader.grade(t, IFEVALG_SHAPES, verifier="ifeval") for t in IFEVALG_HOSTILE])
    assert all(r.status is grader.Status.OK and not r.correct for r in results)


# --- code ------------------------------------------------------------------------------------------

CODE_HOSTILE = ["<think>" * 150_000, "```" + "a" * 1_000_000, "```python" + " " * 1_000_000]
CODE_REFERENCE = '{"inputs": ["1\\n"], "outputs": ["1\\n"]}'


def test_bench_code_hostile_responses(benchmark):
    """Finding the program in responses that made the old patterns backtrack (quadratic: minutes to hours);
    it happens where the item is planned, before a worker or a budget."""
    results = benchmark(lambda: [grader.grade(t, CODE_REFERENCE, verifier="code") for t in CODE_HOSTILE])
    assert all(r.status is grader.Status.NO_ANSWER for r in results)


# --- what grades inline, on the server's event loop --------------------------------------------

def test_bench_math_hostile_answers(benchmark):
    """Inputs that took from 2 s to hours before each pattern was made linear (tests/hostile.py)."""
    results = benchmark(lambda: [grader.grade(r, ref, extraction="rules") for r, ref in HOSTILE_MATH.values()])
    assert not any(r.correct for r in results)


def test_bench_multiple_choice_long_whitespace(benchmark):
    result = benchmark(grader.grade, "answer" + " " * 100_000 + "1", "B", verifier="multiple_choice")
    assert result.status is grader.Status.NO_ANSWER
