"""The adapters in grader.integrations driven by the REAL trainer packages, against a live
`grader serve` (gRPC + HTTP gateway). The Makefile's set-up installs them (the `integrations`
extra, then verl and openrlhf with --no-deps: they pin transformers below ours). Each test
skips, saying why, when its package does not import.

- TRL: a real ``trl.GRPOTrainer`` trains a tiny randomly initialised Llama (built here, no
  download) for 2 steps on CPU with ``GraderReward(target=server)``; the rewards it logs are
  the server's, one gRPC call per reward-function call. Nothing is asserted on what the model
  writes.
- verl: ``compute_score`` / ``compute_score_async`` / ``compute_score_batch`` loaded by verl's
  own loaders (``get_custom_reward_fn``, ``load_reward_manager``) from the file path and from
  ``pkg://``, run through verl's reward managers (the reward-loop ``NaiveRewardManager`` and the
  legacy ``NaiveRewardManager`` / ``BatchRewardManager``) on a ``DataProto`` batch. Not
  exercised: the Ray-actor reward loop and a PPO trainer (they need GPU workers).
- OpenRLHF: its ``SingleTurnAgentExecutor`` (0.11's remote reward client) asks our HTTP
  ``/openrlhf`` endpoint through its own ``_fetch_rewards_via_http``, and loads our
  ``reward_func`` file (the ``--remote_rm_url FILE.py`` form). Not exercised: generation (it
  needs a vLLM engine).
- open-instruct: not on PyPI; skipped unless it imports.
- NeMo-Gym: nemo-gym 0.7.0 needs Python >= 3.13.14 (the gateway's ``/verify`` is tested in
  test_gateway.py).
"""

from __future__ import annotations

import asyncio
import collections
import importlib
import json
import math
import pathlib
import time

import httpx
import pytest

from servers import Server, free_port

from grader.integrations.backend import UNSCORED

pytestmark = pytest.mark.slow

INTEGRATIONS = pathlib.Path(__file__).resolve().parents[2] / "grader" / "integrations"
INSTALL = "the Makefile's set-up installs it (the `integrations` extra; verl, openrlhf with --no-deps)"


def need(module: str):
    try:
        return importlib.import_module(module)
    except ImportError as e:  # not installed, or installed without what it imports
        pytest.skip(f"{module} does not import here ({e}): {INSTALL}")


@pytest.fixture(scope="module")
def server():
    port = free_port()
    srv = Server("--http-port", str(port))  # no auth token: OpenRLHF's client sends no header
    srv.base = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
    yield srv
    srv.stop()


def grpc_grade_counts(base: str) -> tuple[float, float]:
    """(Grade RPCs handled, items graded over gRPC) from the server's /metrics."""
    calls = items = 0.0
    for line in httpx.get(f"{base}/metrics", timeout=10).text.splitlines():
        if line.startswith("grpc_server_handled_total{") and 'grpc_method="Grade"' in line:
            calls += float(line.split()[-1])
        elif line.startswith("grader_items_total{") and 'transport="grpc"' in line:
            items += float(line.split()[-1])
    return calls, items


# --- TRL ---------------------------------------------------------------------------------------

WORDS = ["What", "is", "1+1", "2+2", "3+3", "4+4", "?", "The", "answer", "=", "2", "4", "6", "8",
         r"\boxed{2}", r"\boxed{4}", r"\boxed{6}", r"\boxed{8}", "."]


def tiny_tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(["[PAD]", "[EOS]", "[UNK]", *WORDS])}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", eos_token="[EOS]", unk_token="[UNK]")


def tiny_llama(vocab_size: int):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=64,
                         pad_token_id=0, bos_token_id=1, eos_token_id=1)
    return LlamaForCausalLM(config)


def test_trl_grpo_trainer_logs_the_servers_rewards(server, tmp_path, monkeypatch):
    need("trl")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("WANDB_DISABLED", "true")
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    from grader.integrations.trl import GraderReward

    tokenizer = tiny_tokenizer()
    model = tiny_llama(len(tokenizer))
    # One row per outcome the trainer must carry, whatever the model writes (its vocabulary has no
    # comma and no <<title>>): math (0 or 1, by what it writes), ifeval no_comma (1 unless empty),
    # ifeval title (0), and an unknown verifier (None: unscored, left out of TRL's means).
    dataset = Dataset.from_dict({
        "prompt": ["What is 1+1 ?", "What is 2+2 ?", "What is 3+3 ?", "What is 4+4 ?"],
        "reference": ["2", json.dumps({"instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}),
                      json.dumps({"instruction_id_list": ["detectable_format:title"], "kwargs": [{}]}), "8"],
        "verifier": ["math", "ifeval", "ifeval", "no-such-verifier"],
    })

    reward = GraderReward(target=server.target)
    graded: list[tuple[list[dict], list]] = []  # (items sent, results the server returned), per batch call
    returned: list[list] = []  # what the adapter handed to TRL, per call
    grade = reward.backend.grade

    def recording_grade(items):
        results = grade(items)
        graded.append((list(items), list(results)))
        return results

    reward.backend.grade = recording_grade  # type: ignore[method-assign]
    call = reward.__call__

    class Recorded:
        __name__ = reward.__name__

        def __call__(self, *args, **kwargs):
            out = call(*args, **kwargs)
            returned.append(list(out))
            return out

    args = GRPOConfig(
        output_dir=str(tmp_path), use_cpu=True, bf16=False, seed=0, max_steps=2, logging_steps=1,
        per_device_train_batch_size=4, gradient_accumulation_steps=1, num_generations=2,
        max_completion_length=6, learning_rate=1e-3, beta=0.0, report_to="none", save_strategy="no",
        log_completions=False, dataloader_num_workers=0, disable_tqdm=True,
    )
    trainer = GRPOTrainer(model=model, reward_funcs=[Recorded()], args=args, train_dataset=dataset,
                          processing_class=tokenizer)
    calls_before, items_before = grpc_grade_counts(server.base)
    started = time.monotonic()
    trainer.train()
    elapsed = time.monotonic() - started
    calls_after, items_after = grpc_grade_counts(server.base)

    steps = [entry for entry in trainer.state.log_history if "reward" in entry]
    assert len(steps) == 2 and len(graded) == 2 and len(returned) == 2
    seen: dict[str, list] = {}
    for entry, (items, results), rewards in zip(steps, graded, returned):
        assert len(items) == len(results) == 4  # one batch call: every completion of the step at once
        assert rewards == [None if r.status in UNSCORED else r.reward for r in results]
        counts = collections.Counter((i["verifier"], r.status.value.lower()) for i, r in zip(items, results))
        for (verifier, status), n in counts.items():  # GraderReward's log_metric, as TRL logged it
            assert entry[f"grader/{verifier}/{status}"] == pytest.approx(n / len(results))
        for item, value in zip(items, rewards):
            seen.setdefault(item["prompt"], []).append(value)
            if item["prompt"] == "What is 2+2 ?":
                assert value == (1.0 if item["response"].strip() else 0.0)
        scored = [r for r in rewards if r is not None]
        expected = sum(scored) / len(scored) if scored else None
        for key in ("reward", f"rewards/{reward.__name__}/mean"):
            if expected is None:
                assert entry[key] is None or math.isnan(entry[key])
            else:
                assert entry[key] == pytest.approx(expected, abs=1e-6), key
    assert len(seen) == 4 and all(len(v) == 2 for v in seen.values())  # 2 steps x 2 prompts x 2 generations
    assert seen["What is 3+3 ?"] == [0.0, 0.0] and seen["What is 4+4 ?"] == [None, None]
    assert all(v in (0.0, 1.0) for v in seen["What is 1+1 ?"])
    # The server saw exactly one Grade RPC per reward-function call, carrying every completion.
    assert calls_after - calls_before == 2
    assert items_after - items_before == sum(len(items) for items, _ in graded) == 8
    assert elapsed < 60


# --- verl --------------------------------------------------------------------------------------

def verl_batch(tokenizer, responses: list[str], references: list[str], data_source: str = "openai/gsm8k"):
    """A DataProto as verl's rollout leaves it: prompts left-padded, responses right-padded."""
    import numpy as np
    import torch
    from verl import DataProto

    prompt_ids = [tokenizer.encode("What is 2+2 ?") for _ in responses]
    response_ids = [tokenizer.encode(r) for r in responses]
    plen, rlen = max(map(len, prompt_ids)), max(map(len, response_ids))
    prompts = torch.zeros(len(responses), plen, dtype=torch.long)
    resp = torch.zeros(len(responses), rlen, dtype=torch.long)
    mask = torch.zeros(len(responses), plen + rlen, dtype=torch.long)
    for i, (p, r) in enumerate(zip(prompt_ids, response_ids)):
        prompts[i, plen - len(p):] = torch.tensor(p)
        resp[i, :len(r)] = torch.tensor(r)
        mask[i, plen - len(p):plen + len(r)] = 1
    return DataProto.from_dict(
        tensors={"prompts": prompts, "responses": resp, "attention_mask": mask,
                 "input_ids": torch.cat([prompts, resp], dim=1)},
        non_tensors={"data_source": np.array([data_source] * len(responses), dtype=object),
                     "reward_model": np.array([{"ground_truth": g} for g in references], dtype=object),
                     "extra_info": np.array([{"question": "What is 2+2?"} for _ in responses], dtype=object)},
    )


RESPONSES = [r"The answer is \boxed{4} .", r"The answer is \boxed{6} .", "The answer = 4 .", "?"]
REFERENCES = ["4", "4", "4", "4"]
EXPECTED = [1.0, 0.0, 1.0, 0.0]  # the third by its stated answer, the last has none


def last_token_rewards(reward_tensor, batch) -> list[float]:
    lengths = batch.batch["attention_mask"][:, batch.batch["prompts"].shape[-1]:].sum(-1)
    return [float(reward_tensor[i, int(n) - 1]) for i, n in enumerate(lengths)]


@pytest.fixture
def verl_env(server, monkeypatch):
    need("verl")
    monkeypatch.setenv("GRADER_TARGET", server.target)  # the file-loaded modules build their Backend from it
    return server


def test_verl_custom_reward_fn_loads_compute_score_from_the_file(verl_env):
    from omegaconf import OmegaConf
    from verl.trainer.ppo.reward import get_custom_reward_fn

    def load(name: str, path: str):
        config = OmegaConf.create({"reward": {"custom_reward_function": {
            "path": path, "name": name, "reward_kwargs": {}}}})
        return get_custom_reward_fn(config)

    calls_before, _ = grpc_grade_counts(verl_env.base)
    fn = load("compute_score", str(INTEGRATIONS / "verl.py"))
    score = fn(data_source="openai/gsm8k", solution_str=r"so \boxed{4}", ground_truth="4", extra_info={})
    assert score["score"] == 1.0 and score["acc"] == 1.0 and score["pred"] == "4" and score["status"] == "OK"
    assert fn(data_source="openai/gsm8k", solution_str=r"\boxed{5}", ground_truth="4")["score"] == 0.0
    assert grpc_grade_counts(verl_env.base)[0] - calls_before == 2  # graded by the server, not in-process

    afn = load("compute_score_async", str(INTEGRATIONS / "verl.py"))
    assert asyncio.run(afn(data_source="lighteval/MATH", solution_str=r"\boxed{\frac{1}{2}}",
                           ground_truth="0.5"))["score"] == 1.0
    # pkg:// imports grader.integrations.verl itself (its Backend as first imported: maybe in-process).
    pkg = load("compute_score", "pkg://grader.integrations.verl")
    assert pkg(data_source="openai/gsm8k", solution_str=r"\boxed{4}", ground_truth="4")["score"] == 1.0


def test_verl_reward_loop_manager_scores_a_dataproto(verl_env):
    from omegaconf import OmegaConf
    from verl.trainer.ppo.reward import load_reward_manager

    tokenizer = tiny_tokenizer()
    config = OmegaConf.create({"reward": {
        "custom_reward_function": {"path": str(INTEGRATIONS / "verl.py"), "name": "compute_score_async",
                                   "reward_kwargs": {}},
        "reward_manager": {"source": "register", "name": "naive"}}})
    manager = load_reward_manager(config, tokenizer)
    batch = verl_batch(tokenizer, RESPONSES, REFERENCES)

    async def score_all():
        return [await manager.run_single(batch[i:i + 1]) for i in range(len(batch))]

    calls_before, _ = grpc_grade_counts(verl_env.base)
    out = manager.loop.run_until_complete(score_all())  # the loop verl bound the manager to
    assert [o["reward_score"] for o in out] == EXPECTED
    assert grpc_grade_counts(verl_env.base)[0] - calls_before == 4  # one per sample, as verl calls it
    assert [o["reward_extra_info"]["pred"] for o in out][:2] == ["4", "6"]


def test_verl_legacy_reward_managers_score_a_dataproto(verl_env):
    from verl.utils.import_utils import load_extern_object
    from verl.workers.reward_manager import BatchRewardManager, NaiveRewardManager

    tokenizer = tiny_tokenizer()
    path = str(INTEGRATIONS / "verl.py")
    batch = verl_batch(tokenizer, RESPONSES, REFERENCES)

    naive = NaiveRewardManager(tokenizer, num_examine=0, compute_score=load_extern_object(path, "compute_score"))
    out = naive(batch, return_dict=True)
    assert last_token_rewards(out["reward_tensor"], batch) == EXPECTED
    assert out["reward_extra_info"]["status"] == ["OK", "OK", "OK", "PARSE_ERROR"]  # scored 0, not unscored

    calls_before, items_before = grpc_grade_counts(verl_env.base)
    batched = BatchRewardManager(tokenizer, num_examine=0,
                                 compute_score=load_extern_object(path, "compute_score_batch"))
    out = batched(verl_batch(tokenizer, RESPONSES, REFERENCES), return_dict=True)
    assert last_token_rewards(out["reward_tensor"], batch) == EXPECTED
    calls_after, items_after = grpc_grade_counts(verl_env.base)
    assert (calls_after - calls_before, items_after - items_before) == (1, 4)  # one batch call


# --- OpenRLHF ----------------------------------------------------------------------------------

def test_openrlhf_remote_reward_client_against_the_http_endpoint(server):
    need("openrlhf")
    from openrlhf.utils.agent import SingleTurnAgentExecutor

    executor = SingleTurnAgentExecutor(remote_rm_url=f"{server.base}/openrlhf")
    prompts = ["Q: 1+1? ", "Q: 2+2? ", "Q: 3+3? "]
    queries = [prompts[0] + r"A: \boxed{2}", prompts[1] + r"A: \boxed{5}", prompts[2] + "A: 6"]
    replies = asyncio.run(executor._fetch_rewards_via_http(queries, prompts, ["2", "4", "6"]))
    assert len(replies) == 1  # one server: one request for the whole batch
    assert replies[0]["rewards"] == [1.0, 0.0, 1.0] and replies[0]["scores"] == replies[0]["rewards"]


def test_openrlhf_loads_reward_func_from_the_file(server, monkeypatch):
    need("openrlhf")
    import torch
    from openrlhf.utils.agent import SingleTurnAgentExecutor

    monkeypatch.setenv("GRADER_TARGET", server.target)
    executor = SingleTurnAgentExecutor(remote_rm_url=str(INTEGRATIONS / "openrlhf.py"))
    assert executor.reward_func is not None
    prompts = ["Q: 1+1? ", "Q: 2+2? "]
    queries = [prompts[0] + r"\boxed{2}", prompts[1] + r"\boxed{5}"]
    replies = asyncio.run(executor._fetch_rewards_via_func(queries, prompts, ["2", "4"]))
    rewards = torch.cat([r["rewards"] for r in replies]).tolist()
    assert rewards == [1.0, 0.0]


# --- open-instruct -----------------------------------------------------------------------------

def test_open_instruct_verifier():
    try:
        importlib.import_module("open_instruct.ground_truth_utils")
    except ImportError:
        pytest.skip("open-instruct is not on PyPI (it installs from its repository), so not here")
    from grader.integrations.open_instruct import GraderVerifier

    result = GraderVerifier("math")([], r"\boxed{4}", "4")
    assert result.score == 1.0


def test_nemo_gym():
    try:
        importlib.import_module("nemo_gym")
    except ImportError:
        pytest.skip("nemo-gym 0.7.0 needs Python >= 3.13.14; the gateway's /verify (its verify protocol) "
                    "is tested in test_gateway.py")
    pytest.skip("nemo-gym imports, but no test drives it yet")
