"""The judge's backends on a tiny random causal LM built here: the HF path's one-pass logit
decision and batching, and the endpoint path against a real local HTTP server in the
OpenAI chat-completions shape (real sockets, real retries, a real timeout). The model is
random: tests check mechanics (probabilities, batch equals single, the verdict tokens read),
never which verdict it gives."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest

import grader
from grader import Status
from grader.lm.judge import TEMPLATES, TOKENS_PER_PASS, EndpointJudge, HFJudge, JudgeRequest, JudgeService, load_judge

WORDS = ["Correct", "Incorrect", "True", "False", "Yes", "No", "A", "B", "C", "Question", "Reference", "answer",
         "Student", "Reply", "with", "one", "word", "or", "5", "6", "x", "=", "What", "is", "?", ":"]


def tiny_tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(["[PAD]", "[EOS]", "[UNK]", *WORDS])}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", eos_token="[EOS]", unk_token="[UNK]")


def tiny_judge_model(path):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = tiny_tokenizer()
    vocab = tokenizer.get_vocab()
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=4096,
                         pad_token_id=0, bos_token_id=1, eos_token_id=1)
    LlamaForCausalLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return tiny_judge_model(tmp_path_factory.mktemp("judge"))


REQUESTS = [JudgeRequest("What is x ?", "5", "5"), JudgeRequest("", "5", "6"),
            JudgeRequest("What is x ? " * 50, "5", "x = 6")]


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_hf_judge_decides_from_the_verdict_logits(model_dir, template):
    judge = HFJudge.load(str(model_dir), template, device="cpu")
    assert judge.positive_id != judge.negative_id
    batch = judge.judge_batch(REQUESTS)
    single = [judge.judge_batch([r])[0] for r in REQUESTS]
    for b, s in zip(batch, single):
        assert 0.0 <= b.probability <= 1.0 and b.correct == (b.probability >= 0.5)
        assert b.probability == pytest.approx(s.probability, abs=1e-4)  # left padding: the same last position


def test_a_verdict_does_not_depend_on_the_batch_with_absolute_positions():
    """GPT-2 style models add a learned embedding per position: a row padded on the left must still
    count its positions from its first token, or its verdict changes with the batch it shares."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    tokenizer = tiny_tokenizer()
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=len(tokenizer.get_vocab()), n_embd=32, n_layer=2, n_head=2, n_positions=4096,
                        bos_token_id=1, eos_token_id=1, pad_token_id=0)
    judge = HFJudge(GPT2LMHeadModel(config).eval(), tokenizer, TEMPLATES["plain"])
    batch = [v.probability for v in judge.judge_batch(REQUESTS)]  # the short two padded to the long one
    single = [judge.judge_batch([r])[0].probability for r in REQUESTS]
    assert batch == pytest.approx(single, abs=1e-5)


def test_hf_judge_puts_like_lengths_in_one_pass_and_keeps_the_order(model_dir):
    """With a small token budget per pass the long request runs alone; every verdict is still its own."""
    judge = HFJudge.load(str(model_dir), "plain", device="cpu")
    single = [judge.judge_batch([r])[0].probability for r in REQUESTS]
    judge.tokens_per_pass = 3 * 60  # the two short prompts (about 40 tokens each) fit; the long one does not
    shapes = []
    forward = judge.model.forward
    judge.model.forward = lambda **inputs: shapes.append(tuple(inputs["input_ids"].shape)) or forward(**inputs)
    batch = [v.probability for v in judge.judge_batch(REQUESTS)]
    assert len(shapes) == 2 and sorted(rows for rows, _ in shapes) == [1, 2]
    assert batch == pytest.approx(single, abs=1e-4)


def test_hf_judge_encodes_as_the_tokenizer_does_with_its_special_tokens_kept_under_truncation():
    """The judge's own encoding (the fast backend, padded and cut on the left) gives exactly the ids
    and mask that ``tokenizer(..., padding=True, truncation=True)`` gives, a BOS token included."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(["[PAD]", "[EOS]", "[UNK]", "[BOS]", *WORDS])}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.post_processor = processors.TemplateProcessing(single="[BOS] $A", special_tokens=[("[BOS]", 3)])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", eos_token="[EOS]",
                                        unk_token="[UNK]", bos_token="[BOS]")
    judge = HFJudge(type("Model", (), {"forward": lambda self, input_ids: None})(), tokenizer, TEMPLATES["plain"])
    prompts = ["What is x ?", "Reply with one word : Correct or Incorrect", "x = 5 " * 40, "nothing known here"]
    for max_length in (8, 200):
        ids, mask = judge.encode(prompts, max_length)
        expected = tokenizer(prompts, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
        assert ids.tolist() == expected["input_ids"].tolist()
        assert mask.tolist() == expected["attention_mask"].tolist()
    x, equals, five = vocab["x"], vocab["="], vocab["5"]
    assert ids.shape == (4, 121) and ids[0].tolist()[:-5] == [0] * 116  # padded on the left to the longest row
    short, _ = judge.encode(prompts[2:3], 8)
    assert short[0].tolist() == [3, five, x, equals, five, x, equals, five]  # BOS kept, the prompt's end kept

    class CustomBackend:  # a component written in Python: the backend cannot be serialized
        def to_str(self):
            raise Exception("Custom PreTokenizer cannot be serialized")

    class WithCustomBackend:  # the same tokenizer, but its backend cannot be copied
        backend_tokenizer, pad_token_id = CustomBackend(), tokenizer.pad_token_id

        def __call__(self, *args, **kwargs):
            return tokenizer(*args, **kwargs)

    judge.tokenizer = WithCustomBackend()
    ids, _ = judge.encode(prompts, 9)  # transformers' own call serves instead
    assert ids.tolist() == tokenizer(prompts, padding=True, truncation=True, max_length=9)["input_ids"]


@pytest.mark.parametrize("workers", [1, 2])
def test_hf_judge_service_batches_concurrent_requests(model_dir, workers):
    """Concurrent asks share passes; with two batcher threads (an accelerator's default) running
    passes at once, each caller still gets its own request's verdict."""
    judge = HFJudge.load(str(model_dir), "plain", device="cpu")
    single = [judge.judge_batch([r])[0].probability for r in REQUESTS]
    service = JudgeService(judge, max_batch=4, max_wait_ms=1, workers=workers)
    try:
        async def many():
            queries = [type("Q", (), {"text": r.answer, "question": r.question, "reference": r.reference})()
                       for r in REQUESTS * 6]
            return await asyncio.gather(*(service.ask_async(q) for q in queries))
        verdicts = asyncio.run(many())
        assert len(verdicts) == 18 and service.batcher.batches < 18 and service.batcher.workers == workers
        assert [v.probability for v in verdicts] == pytest.approx(single * 6, abs=1e-4)
    finally:
        service.close()


def test_the_service_batches_by_device(model_dir):
    """On a CPU: batches of 16 and one batcher thread; on an accelerator: 128 and two; or as told."""
    judge = HFJudge.load(str(model_dir), "plain", device="cpu")
    services = [JudgeService(judge)]
    judge.device = "cuda"  # no pass is run: only the service's choice is looked at
    services += [JudgeService(judge), JudgeService(judge, max_batch=8, workers=1)]
    try:
        assert [(s.batcher.max_batch, s.batcher.workers, s.on_accelerator) for s in services] == [
            (16, 1, False), (128, 2, True), (8, 1, True)]
    finally:
        for service in services:
            service.close()


def test_load_judge_takes_the_tokens_per_pass(model_dir):
    for asked, expected in ((0, TOKENS_PER_PASS), (4096, 4096)):
        service = load_judge(str(model_dir), device="cpu", tokens_per_pass=asked)
        try:
            assert service.backend.tokens_per_pass == expected
        finally:
            service.close()


def test_grading_with_a_local_model_judge(model_dir):
    service = load_judge(str(model_dir), device="cpu")
    try:
        result = grader.grade(r"\boxed{6}", "5", judge_service=service)
        assert result.status is Status.OK and result.checks[-1].name == "judge"
        assert result.method in ("judge", "boxed+exact+judge")
    finally:
        service.close()


# --- the endpoint path: a real HTTP server in the chat-completions shape ------------------------------

class ChatServer:
    """Starlette + uvicorn on a free port, answering with the tiny model's verdict log-probabilities.
    ``fail_first`` requests get 503; ``delay`` seconds pass before each answer."""

    def __init__(self, judge: HFJudge, fail_first: int = 0, delay: float = 0.0) -> None:
        import uvicorn
        from starlette.applications import Starlette
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        self.requests = 0

        async def chat(request):
            self.requests += 1
            body = await request.json()
            if self.requests <= fail_first:
                return JSONResponse({"error": "busy"}, status_code=503)
            await asyncio.sleep(delay)
            user = body["messages"][-1]["content"]
            verdict = judge.judge_batch([JudgeRequest(user, "", "")])[0]
            import math
            p = min(max(verdict.probability, 1e-6), 1 - 1e-6)
            tops = [{"token": judge.template.positive, "logprob": math.log(p)},
                    {"token": judge.template.negative, "logprob": math.log(1 - p)}]
            return JSONResponse({"choices": [{"message": {"role": "assistant", "content": judge.template.positive
                                              if p >= 0.5 else judge.template.negative},
                                              "logprobs": {"content": [{"token": "x", "top_logprobs": tops}]}}]})

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        app = Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(5)


@pytest.fixture(scope="module")
def hf_judge(model_dir):
    return HFJudge.load(str(model_dir), "plain", device="cpu")


def test_endpoint_judge_reads_the_servers_log_probabilities(hf_judge):
    server = ChatServer(hf_judge)
    try:
        judge = EndpointJudge(f"http://127.0.0.1:{server.port}", "tiny", TEMPLATES["plain"], timeout=10)
        verdict = judge.judge(JudgeRequest("What is x ?", "5", "6"))
        assert 0.0 <= verdict.probability <= 1.0 and verdict.backend == "endpoint"
    finally:
        server.stop()


def test_endpoint_judge_retries_with_backoff(hf_judge):
    server = ChatServer(hf_judge, fail_first=2)
    try:
        judge = EndpointJudge(f"http://127.0.0.1:{server.port}", "tiny", TEMPLATES["plain"], retries=3,
                              backoff=0.01, timeout=10)
        judge.judge(JudgeRequest("q", "5", "6"))
        assert server.requests == 3
    finally:
        server.stop()


def test_an_endpoint_past_its_deadline_leaves_the_rule_verdict(hf_judge):
    server = ChatServer(hf_judge, delay=3.0)
    try:
        service = load_judge(url=f"http://127.0.0.1:{server.port}", timeout=0.5)
        start = time.monotonic()
        result = grader.grade(r"\boxed{6}", "5", judge_service=service)
        assert time.monotonic() - start < 3.0
        assert result.status is Status.OK and not result.correct and result.method == "boxed+exact"
        assert result.checks[-1].name == "judge" and "failed" in result.checks[-1].reason
    finally:
        server.stop()


def test_judge_service_over_an_endpoint_is_a_model_stage(hf_judge):
    server = ChatServer(hf_judge)
    try:
        service = JudgeService(EndpointJudge(f"http://127.0.0.1:{server.port}", "tiny", TEMPLATES["plain"]))
        result = grader.grade(r"\boxed{6}", "5", judge_service=service)
        assert [c.name for c in result.checks][-1] == "judge" and result.status is Status.OK
    finally:
        server.stop()
