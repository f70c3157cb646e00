"""OpenAI's grader API on the HTTP gateway (`grader serve --http-port`): the `openai` SDK itself
builds the requests (`client.fine_tuning.alpha.graders.run` and `.validate`) against a live server."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

from grader.verifiers.graders import similarity
from servers import Server, free_port

TOKEN = "graders-http-token"
SAMPLE = "{{sample.output_text}}"
STRING_CHECK = {"type": "string_check", "name": "exact city", "input": "{{sample.output_json.city}}",
                "reference": "{{item.city}}", "operation": "ilike"}
ROUGE = {"type": "text_similarity", "name": "overlap", "input": SAMPLE, "reference": "{{item.reference_answer}}",
         "evaluation_metric": "rouge_l", "pass_threshold": 0.5}
MULTI = {"type": "multi", "name": "city and overlap", "calculate_output": "0.25 * city + 0.75 * fuzzy",
         "graders": {"city": {"type": "string_check", "name": "city", "input": SAMPLE, "reference": "{{item.city}}",
                              "operation": "like"},
                     "fuzzy": {"type": "text_similarity", "name": "fuzzy", "input": SAMPLE,
                               "reference": "{{item.reference_answer}}", "evaluation_metric": "fuzzy_match"}}}


@pytest.fixture(scope="module")
def gateway():
    port = free_port()
    # The protocol is under test, not the budget: a cold worker's first import (rouge-score) on a busy
    # machine may take longer than the default 5 s.
    server = Server("--http-port", str(port), "--auth-token", TOKEN, "--item-timeout", "30")
    base = f"http://127.0.0.1:{port}"
    client = openai.OpenAI(base_url=f"{base}/v1", api_key=TOKEN, max_retries=0, timeout=60)
    yield client, base
    client.close()
    server.stop()


def test_run_string_check(gateway):
    client, _ = gateway
    reply = client.fine_tuning.alpha.graders.run(grader=STRING_CHECK, model_sample=json.dumps({"city": "PARIS"}),
                                                 item={"city": "paris"})
    assert reply.reward == 1.0 and reply.metadata.type == "string_check" and reply.metadata.name == "exact city"
    assert reply.metadata.scores == {"exact city": 1.0} and reply.sub_rewards == {}
    errors = reply.metadata.errors
    assert not any([errors.formula_parse_error, errors.other_error, errors.unresponsive_reward_error,
                    errors.sample_parse_error, errors.invalid_variable_error])
    assert reply.metadata.execution_time > 0 and reply.metadata.token_usage is None
    assert reply.api_model_grader_token_usage_per_model == {}
    miss = client.fine_tuning.alpha.graders.run(grader=STRING_CHECK, model_sample='{"city": "Rome"}',
                                                item={"city": "paris"})
    assert miss.reward == 0.0


def test_run_text_similarity_is_the_metric_on_the_openai_item(gateway):
    client, _ = gateway
    sample, answer = "the cat sat on the mat", "a cat sat on a mat"
    reply = client.fine_tuning.alpha.graders.run(grader=ROUGE, model_sample=sample,
                                                 item={"reference_answer": answer})
    assert reply.reward == pytest.approx(similarity("rouge_l", sample, answer), abs=1e-9), reply.metadata.errors
    assert 0 < reply.reward < 1 and reply.metadata.type == "text_similarity"


def test_run_multi_reports_each_sub_grader(gateway):
    client, _ = gateway
    sample = "Paris is in France"
    item = {"city": "Paris", "reference_answer": "Paris is in France!"}
    reply = client.fine_tuning.alpha.graders.run(grader=MULTI, model_sample=sample, item=item)
    fuzzy = similarity("fuzzy_match", sample, item["reference_answer"])
    assert reply.sub_rewards == {"city": 1.0, "fuzzy": pytest.approx(fuzzy)}
    assert reply.reward == pytest.approx(0.25 + 0.75 * fuzzy) and reply.metadata.type == "multi"


def test_run_a_formula_that_fails_reports_it(gateway):
    client, _ = gateway
    config = {**MULTI, "calculate_output": "city / (fuzzy - fuzzy)"}
    reply = client.fine_tuning.alpha.graders.run(grader=config, model_sample="x",
                                                 item={"city": "x", "reference_answer": "x"})
    assert reply.reward == 0.0 and reply.metadata.errors.formula_parse_error


def test_the_item_reference_is_the_openai_items_own(gateway):
    client, _ = gateway
    config = {"type": "string_check", "name": "ref", "input": SAMPLE, "reference": "{{item.reference}}",
              "operation": "eq"}
    assert client.fine_tuning.alpha.graders.run(grader=config, model_sample="42", item={"reference": "42"}).reward == 1
    # No item.reference: OpenAI's invalid_variable_error and no reward (an empty reference once passed "").
    missing = client.fine_tuning.alpha.graders.run(grader=config, model_sample="", item={})
    assert missing.reward == 0.0 and missing.metadata.errors.invalid_variable_error
    assert not missing.metadata.errors.other_error


@pytest.mark.parametrize("config", [STRING_CHECK, ROUGE, MULTI])
def test_validate_returns_the_grader(gateway, config):
    client, _ = gateway
    reply = client.fine_tuning.alpha.graders.validate(grader=config)
    assert reply.grader is not None and reply.grader.type == config["type"] and reply.grader.name == config["name"]


@pytest.mark.parametrize("config,param,words", [
    ({**STRING_CHECK, "operation": "regex"}, "grader.operation", "the operation must be eq, ne, like or ilike"),
    ({**ROUGE, "evaluation_metric": "jaccard"}, "grader.evaluation_metric", "must be one of"),
    ({**STRING_CHECK, "refrence": "x"}, "grader.refrence", "unknown field of a string_check grader"),
    ({**MULTI, "graders": {**MULTI["graders"], "fuzzy": {**ROUGE, "evaluation_metric": "jaro"}}},
     "grader.graders.fuzzy.evaluation_metric", "must be one of"),
    ({**MULTI, "calculate_output": "city + nope"}, "grader.calculate_output", "'nope', which is no sub-grader"),
    ({"type": "nope"}, "grader.type", "unknown grader type 'nope'"),
])
@pytest.mark.parametrize("call", ["run", "validate"])
def test_config_errors_are_bad_requests_naming_the_field(gateway, config, param, words, call):
    client, _ = gateway
    graders = client.fine_tuning.alpha.graders
    with pytest.raises(openai.BadRequestError) as raised:
        if call == "run":
            graders.run(grader=config, model_sample="x", item={})
        else:
            graders.validate(grader=config)
    error = raised.value
    assert error.status_code == 400 and error.param == param and error.type == "invalid_request_error"
    assert words.lower() in error.message.lower() and f"({param})" in error.message, error.message


def test_malformed_requests_name_their_field(gateway):
    _, base = gateway
    auth = {"Authorization": f"Bearer {TOKEN}"}
    for body, param in [({"grader": "x", "model_sample": "s"}, "grader"),
                        ({"grader": STRING_CHECK, "model_sample": 5}, "model_sample"),
                        ({"grader": STRING_CHECK, "model_sample": "s", "item": [1]}, "item")]:
        reply = httpx.post(f"{base}/v1/fine_tuning/alpha/graders/run", json=body, headers=auth)
        assert reply.status_code == 400 and reply.json()["error"]["param"] == param, reply.text
    reply = httpx.post(f"{base}/v1/fine_tuning/alpha/graders/validate", content=b"{not json", headers=auth)
    assert reply.status_code == 400 and "not JSON" in reply.json()["error"]["message"]


def test_the_bearer_token_is_required(gateway):
    _, base = gateway
    stranger = openai.OpenAI(base_url=f"{base}/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        stranger.fine_tuning.alpha.graders.validate(grader=STRING_CHECK)
    stranger.close()
