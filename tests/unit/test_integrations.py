"""The trainer adapters in-process (no server, no trainer installed): call shapes, references,
unscored items as None, logging hooks, pickling, routing."""

from __future__ import annotations

import asyncio
import json
import pickle

import pytest

from grader.integrations import openrlhf, verl
from grader.integrations.trl import AsyncGraderReward, GraderReward, completion_text

PROMPTS = ["What is 1+1?", "What is 2+2?", "What is 3+3?"]


def test_trl_standard_completions():
    reward = GraderReward()
    rewards = reward(PROMPTS, [r"\boxed{2}", r"\boxed{5}", r"\boxed{6}"], None, reference=["2", "4", "6"])
    assert rewards == [1.0, 0.0, 1.0] and reward.__name__ == "grader"


def test_trl_conversational_completions_and_answer_column():
    completions = [[{"role": "assistant", "content": r"\boxed{2}"}],
                   [{"role": "assistant", "content": [{"type": "text", "text": r"\boxed{4}"}]}]]
    assert GraderReward()(PROMPTS[:2], completions, answer=["2", "4"]) == [1.0, 1.0]


def test_trl_unscorable_items_are_none_not_zero():
    rewards = GraderReward()(PROMPTS[:2], [r"\boxed{2}", "x"], reference=["2", "1"], verifier=[None, "no-such"])
    assert rewards == [1.0, None]


def test_trl_logs_counts_and_methods():
    metrics, extras = {}, {}
    GraderReward()(PROMPTS[:2], [r"\boxed{2}", r"\boxed{3}"], reference=["2", "4"],
                   log_metric=metrics.__setitem__, log_extra=extras.__setitem__)
    assert metrics == {"grader/math/ok": 1.0}
    assert [m.split("+")[0] for m in extras["grader_method"]] == ["boxed", "boxed"]
    assert extras["grader_extracted"] == ["2", "3"]


def test_trl_needs_a_reference_column():
    with pytest.raises(KeyError, match="reference"):
        GraderReward()(PROMPTS[:1], ["x"], other=["1"])


def test_trl_reward_pickles_without_its_channel():
    reward = GraderReward(target="127.0.0.1:1")
    reward.backend._client = object()  # as if connected
    clone = pickle.loads(pickle.dumps(reward))
    assert clone.backend._client is None and clone.backend.targets == ["127.0.0.1:1"]


@pytest.mark.parametrize("settings", [{"timeout": 0}, {"timeout": -1.0}, {"timeout": float("nan")}, {"retries": -1},
                                      {"backoff": -0.1}, {"max_batch_items": 0}])
def test_clients_refuse_settings_that_fail_every_call(settings: dict) -> None:
    """timeout=0 was taken: every call then failed at once with DEADLINE_EXCEEDED, far from the setting's cause."""
    from grader.client import AsyncGraderClient, GraderClient

    for client_type in (GraderClient, AsyncGraderClient):
        with pytest.raises(ValueError, match=next(iter(settings))):
            client_type("127.0.0.1:1", **settings)
    assert GraderClient("127.0.0.1:1", timeout=None).timeout is None  # no deadline stays allowed


def test_a_remote_reward_refuses_a_zero_timeout_when_made(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("GRADER_TARGET", raising=False)
    with pytest.raises(ValueError, match="timeout"):
        GraderReward(target="127.0.0.1:1", timeout=0)
    assert GraderReward(timeout=0).backend.remote is False  # in-process grading has no deadline to check


def test_trl_server_unreachable_gives_none():
    reward = GraderReward(target="127.0.0.1:1", timeout=0.5)
    reward.backend._client = type("Down", (), {"grade_batch": lambda self, items: (_ for _ in ()).throw(OSError())})()
    assert reward(PROMPTS[:1], [r"\boxed{2}"], reference=["2"]) == [None]


def test_trl_async_reward_is_a_coroutine_function():
    reward = AsyncGraderReward()
    assert asyncio.iscoroutinefunction(reward)
    assert asyncio.run(reward(PROMPTS[:2], [r"\boxed{2}", r"\boxed{3}"], reference=["2", "3"])) == [1.0, 1.0]


def test_completion_text():
    assert completion_text("plain") == "plain"
    assert completion_text([{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]) == "a"
    assert completion_text(None) == ""


def test_verl_compute_score_returns_extra_keys():
    score = verl.compute_score("openai/gsm8k", "The answer is 72.\n#### 72", "72")
    assert score["score"] == 1.0 and score["acc"] == 1.0 and score["pred"] == "72" and score["status"] == "OK"
    assert asyncio.run(verl.compute_score_async("openai/gsm8k", "#### 5", "6"))["acc"] == 0.0


def test_verl_routes_by_data_source_and_extends():
    assert verl.verifier_for("openai/gsm8k") == "math" and verl.verifier_for("google/IFEval") == "ifeval"
    assert verl.verifier_for("codecontests/train") == "code" and verl.verifier_for("unknown/set") == "math"
    assert verl.verifier_for("x", {"verifier": "exact"}) == "exact"
    verl.register_data_source("my/choices", "multiple_choice")
    assert verl.verifier_for("my/choices") == "multiple_choice"
    ifeval = json.dumps({"instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]})
    scores = verl.compute_score_batch(["google/IFEval", "openai/gsm8k"], ["No commas here", "#### 3"], [ifeval, "4"])
    assert [s["acc"] for s in scores] == [1.0, 0.0]


def test_openrlhf_reward_func_cuts_the_prompt():
    out = openrlhf.reward_func([PROMPTS[0] + r" \boxed{2}", PROMPTS[1] + r" \boxed{5}"], PROMPTS[:2], ["2", "4"])
    assert out["rewards"].tolist() == [1.0, 0.0] and out["scores"].tolist() == [1.0, 0.0]
    assert out["extra_logs"]["grader_correct"].tolist() == [1.0, 0.0]


def test_open_instruct_says_what_it_needs():
    import grader.integrations.open_instruct as oi
    try:
        import open_instruct  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="open-instruct"):
            oi.GraderVerifier  # noqa: B018


def test_verl_a_missing_ground_truth_is_no_reference_and_numpy_ground_truths_are_read():
    """A None label became the reference "null": the response "#### null" scored 1."""
    np = pytest.importorskip("numpy")
    missing = verl.compute_score("openai/gsm8k", "#### null", None)
    assert missing["score"] == 0.0 and missing["status"] == "INVALID_ARGUMENT"
    assert verl.compute_score("openai/gsm8k", "#### 72", np.int64(72))["acc"] == 1.0  # was a TypeError
    assert verl.compute_score("openai/gsm8k", "#### 72", np.array(["71", "72"]))["acc"] == 1.0
    assert verl.verifier_for(None) == "math"


def test_batch_adapters_refuse_columns_of_different_lengths():
    """zip dropped the items past the shortest column: a trainer got fewer rewards than samples."""
    with pytest.raises(ValueError, match="ground_truths: 2"):
        verl.compute_score_batch(["a"] * 3, ["#### 1"] * 3, ["1"] * 2)
    with pytest.raises(ValueError, match="extra_infos: 1"):
        verl.compute_score_batch(["a"] * 3, ["#### 1"] * 3, ["1"] * 3, extra_infos=[{}])
    with pytest.raises(ValueError, match="labels: 2"):
        openrlhf.reward_func(["q 1"] * 3, ["q"] * 3, ["1"] * 2)
    with pytest.raises(ValueError, match="'verifier' has 1 values"):
        GraderReward()(PROMPTS[:2], ["2", "3"], reference=["2", "3"], verifier=["math"])


def test_a_content_part_without_text_is_no_text():
    assert completion_text([{"role": "assistant", "content": [{"type": "text", "text": None},
                                                              {"type": "text", "text": "42"}]}]) == "42"


def test_trl_says_why_a_batch_was_not_graded(caplog):
    reward = GraderReward(target="127.0.0.1:1", timeout=0.5)
    reward.backend._client = type("Down", (), {"grade_batch": lambda self, items: (_ for _ in ()).throw(
        OSError("connection refused"))})()
    with caplog.at_level("WARNING", logger="grader.integrations"):
        assert reward(PROMPTS[:1], [r"\boxed{2}"], reference=["2"]) == [None]
    assert "connection refused" in caplog.text
