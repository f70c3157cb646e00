"""text_similarity's ``cosine``: all-MiniLM-L6-v2 embeddings (grader.lm.sentence_encoder) against
sentence-transformers' own ``encode`` of the same installed model, identical text, loading once and
lazily, and served meteor and cosine items whose worker loads WordNet and the encoder inside the
item's budget (a worker's memory limit included)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import grader
from grader import Status
from grader.lm import sentence_encoder
from grader.verifiers.graders import similarity
from servers import Server, free_port

LONG = " ".join(f"token{i} is followed by more words" for i in range(120))  # well past 256 WordPiece tokens
CORPUS = [
    ("The cat sat on the mat.", "A cat was sitting on a mat."),
    ("Paris is the capital of France.", "The capital of France is Paris."),
    ("Paris is the capital of France.", "Photosynthesis turns light into chemical energy."),
    ("42", "forty-two"),
    ("", "something"),
    ("", ""),
    ("答案是 15。", "The answer is 15."),
    ("café naïve — ünïcödé 😊", "cafe naive unicode"),
    (LONG, LONG[:200]),
    (LONG, LONG + " and one more sentence at the end, past the truncation"),
]


@pytest.fixture(scope="module")
def reference_model():
    """sentence-transformers' SentenceTransformer on the same folder: modules.json's Transformer,
    Pooling (mean) and Normalize, max_seq_length from sentence_bert_config.json."""
    sentence_transformers = pytest.importorskip("sentence_transformers")
    return sentence_transformers.SentenceTransformer(str(sentence_encoder.default_model_path()), device="cpu")


@pytest.mark.parametrize("text,reference", CORPUS)
def test_cosine_is_sentence_transformers_cosine(reference_model, text, reference):
    a, b = reference_model.encode([text, reference], normalize_embeddings=True, convert_to_numpy=True)
    assert similarity("cosine", text, reference) == pytest.approx(float(np.dot(a, b)), abs=1e-6)


@pytest.mark.parametrize("text", ["Paris", "The cat sat on the mat.", "", LONG])
def test_cosine_of_identical_text_is_one(text):
    assert similarity("cosine", text, text) == pytest.approx(1.0, abs=1e-6)


def test_cosine_ranks_a_paraphrase_above_an_unrelated_sentence():
    text = "Paris is the capital of France."
    assert similarity("cosine", text, "The capital of France is Paris.") > 0.9
    assert similarity("cosine", text, "Photosynthesis turns light into chemical energy.") < 0.3


def test_the_encoder_loads_once_per_process():
    assert sentence_encoder.shared() is sentence_encoder.shared()


def test_cosine_grades_through_the_grader_verifier_with_a_model_budget():
    config = {"type": "text_similarity", "input": "{{sample.output_text}}", "reference": "{{item.answer}}",
              "evaluation_metric": "cosine", "pass_threshold": 0.9}
    result = grader.grade("The capital of France is Paris.", "x", verifier="grader", grader=config,
                          item={"answer": "Paris is the capital of France."})
    assert result.status is Status.OK and result.correct and result.method == "grader+text_similarity"
    plan = grader.verifiers.get("grader").prepare(grader.Item("a", ("b",)), {"grader": config})
    assert plan.budget_seconds() == 60.0
    assert grader.verifiers.get("grader").prepare(grader.Item("a", ("b",)), {"grader": config, "timeout": 3}
                                                 ).budget_seconds() == 3


def test_other_metrics_never_import_torch():
    code = ("import sys, grader; c = {'type': 'text_similarity', 'input': '{{sample.output_text}}', "
            "'reference': 'the cat', 'evaluation_metric': 'rouge_l'}; "
            "assert grader.grade('the cat', 'x', verifier='grader', grader=c).score == 1.0; "
            "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_served_meteor_and_cosine_load_in_a_worker_within_their_budget():
    openai = pytest.importorskip("openai")
    port = free_port()
    server = Server("--http-port", str(port), "--auth-token", "t")
    client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="t", max_retries=0, timeout=120)
    text, answer = "The capital of France is Paris.", "Paris is the capital of France."
    try:
        for metric in ("meteor", "cosine"):
            config = {"type": "text_similarity", "name": metric, "input": "{{sample.output_text}}",
                      "reference": "{{item.answer}}", "evaluation_metric": metric}
            reply = client.fine_tuning.alpha.graders.run(grader=config, model_sample=text, item={"answer": answer})
            assert not reply.metadata.errors.unresponsive_reward_error and not reply.metadata.errors.other_error
            assert reply.reward == pytest.approx(similarity(metric, text, answer), abs=1e-6)
    finally:
        client.close()
        server.stop()


def test_short_texts_are_embedded_once_and_long_ones_each_time():
    encoder = sentence_encoder.shared()
    text = "a reference shared by a group of responses"
    first = encoder.embedding(text)
    hits = encoder._cached.cache_info().hits
    assert encoder.embedding(text) is first and encoder._cached.cache_info().hits == hits + 1
    long = "word " * (sentence_encoder.CACHED_CHARS // 5 + 1)
    assert encoder.embedding(long) is not encoder.embedding(long)
    assert float((encoder.embedding(long) * encoder.embed([long])[0]).sum()) == pytest.approx(1.0, abs=1e-6)
