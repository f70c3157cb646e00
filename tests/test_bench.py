"""Speed benchmarks (pytest-benchmark). `make bench` times them; `make test` runs each once."""

import grader
from grader.extract import extract_candidates

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
