"""The judge model stage: does an answer mean the reference? One verdict with its probability.

Three backends behind one ``JudgeService``:

- ``CrossEncoderJudge``: the project's shipped default (``judge_model/default``, ``--judge-model
  default``), a MiniLM cross-encoder that reads (answer, reference, question) as one pair and
  gives P(equivalent); it says yes above a threshold chosen for precision. Runs on CPU.
- ``HFJudge``: a causal LM from any local path. It decides in one forward pass, reading the
  logits of the template's verdict tokens ("Correct"/"Incorrect", "A"/"B", ...) at the next
  position, never generating. Requests from concurrent items share batches through the
  ``InferenceBatcher``, each batch run in passes of like lengths, left-padded, in bf16/fp16 on a GPU.
- ``EndpointJudge``: an OpenAI-compatible chat-completions server (vLLM, SGLang): one token
  with its log-probabilities, bounded concurrency, retries with backoff, a deadline.

Templates (``TEMPLATES``) hold each public verifier model's prompt shape in a few lines:
xVerify, TinyV, general-verifier, CompassVerifier, and a plain one. Inputs are capped, and
the caller sends the extracted answer, not the response, where there is one.
"""

from __future__ import annotations

import asyncio
import importlib.resources
import inspect
import json
import math
import re
import threading
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from .batcher import InferenceBatcher, passes_by_length
from .extractor import quiet_transformers
from .model_graders import ModelGraderAnswer, ModelGraderRequest, chat_body, decide, failed, read_reply

MAX_QUESTION_CHARS = 2000
MAX_ANSWER_CHARS = 1000
MAX_REFERENCE_CHARS = 1000
TOKENS_PER_PASS = 65536  # padded tokens in one forward pass of a local judge: 256 prompts of 256 tokens


@dataclass(frozen=True)
class JudgeRequest:
    question: str
    reference: str
    answer: str
    response_tail: bool = False  # ``answer`` is the response's end: nothing was extracted

    def capped(self) -> JudgeRequest:
        return JudgeRequest(self.question[-MAX_QUESTION_CHARS:], self.reference[:MAX_REFERENCE_CHARS],
                            self.answer[-MAX_ANSWER_CHARS:], self.response_tail)

    def size(self) -> int:
        return len(self.question) + len(self.reference) + len(self.answer)


@dataclass(frozen=True)
class Judgement:
    correct: bool
    probability: float  # that the answer is correct
    backend: str = ""
    declined: str = ""  # why the judge gave no verdict (then the rules' verdict stands)


@dataclass(frozen=True)
class Template:
    """A verifier model's prompt: system and user messages, and the first tokens of its two verdicts."""

    system: str
    user: str  # with {question}, {reference}, {answer}
    positive: str
    negative: str

    def messages(self, request: JudgeRequest) -> list[dict[str, str]]:
        user = self.user.format(question=request.question or "(not given)", reference=request.reference,
                                answer=request.answer)
        return ([{"role": "system", "content": self.system}] if self.system else []) + [
            {"role": "user", "content": user}]


TEMPLATES: dict[str, Template] = {
    "plain": Template(
        "You judge whether a student's final answer means the same as the reference answer.",
        "Question: {question}\nReference answer: {reference}\nStudent answer: {answer}\n"
        "Reply with one word, Correct or Incorrect.", "Correct", "Incorrect"),
    # xVerify: a question, the output sentence to judge and the correct answer; "Correct"/"Incorrect".
    "xverify": Template(
        "", "You are a diligent and precise assistant tasked with evaluating the correctness of responses. "
            "Judge whether the output matches the correct answer; reply Correct or Incorrect.\n"
            "[Question]: {question}\n[Output sentence]: {answer}\n[Correct answer]: {reference}\nJudgement:",
        "Correct", "Incorrect"),
    # TinyV: is the model's answer equivalent to the ground truth; "True"/"False".
    "tinyv": Template(
        "", "Determine whether the model's answer is equivalent to the ground truth answer.\n"
            "Question: {question}\nGround truth: {reference}\nModel answer: {answer}\n"
            "Is the model answer correct? Answer True or False.", "True", "False"),
    # general-verifier: a final decision "Yes"/"No".
    "general-verifier": Template(
        "", "User: ### Question: {question}\n\n### Ground Truth Answer: {reference}\n\n"
            "### Student Answer: {answer}\n\nIs the student's answer equivalent to the ground truth? "
            "Final Decision: Yes or No.\n\nFinal Decision:", "Yes", "No"),
    # CompassVerifier: A (correct), B (incorrect), C (invalid).
    "compassverifier": Template(
        "", "Judge the candidate's answer against the gold target. Reply with A if it is correct, B if it is "
            "incorrect, C if it is invalid.\nQuestion: {question}\nGold target: {reference}\n"
            "Candidate answer: {answer}\nJudgement:", "A", "B"),
}


def _left_cutting_copy(backend: Any, max_length: int) -> Any:
    """A copy of a fast tokenizer's backend that pads nothing and cuts on the left, or None where it
    cannot be copied (a component written in Python does not serialize): then transformers' call serves."""
    from tokenizers import Tokenizer

    try:
        encoder = Tokenizer.from_str(backend.to_str())
    except Exception:
        return None
    encoder.no_padding()
    encoder.enable_truncation(max_length, direction="left")
    # Not part of the serialized form: transformers sets it from split_special_tokens.
    encoder.encode_special_tokens = getattr(backend, "encode_special_tokens", False)
    return encoder


def _two_way(positive: float, negative: float) -> float:
    """P(correct) from the two verdicts' log-probabilities (or logits)."""
    top = max(positive, negative)
    a, b = math.exp(positive - top), math.exp(negative - top)
    return a / (a + b)


class HFJudge:
    """A local causal LM that decides from its next-token logits."""

    def __init__(self, model: Any, tokenizer: Any, template: Template, device: str = "cpu",
                 tokens_per_pass: int = TOKENS_PER_PASS) -> None:
        self.model, self.tokenizer, self.template, self.device = model, tokenizer, template, device
        self.tokens_per_pass = tokens_per_pass
        self.tokenizer.padding_side = "left"  # the verdict position is the last one in every row
        self.tokenizer.truncation_side = "left"  # a prompt too long loses its start, never that position
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.positive_id = self._first_token(template.positive)
        self.negative_id = self._first_token(template.negative)
        # Causal LMs of transformers >= 4.45 compute the head at the last position only when asked.
        parameters = inspect.signature(model.forward).parameters
        self.last_logits_only = "logits_to_keep" in parameters
        self.no_cache = "use_cache" in parameters  # one pass, no generation: a KV cache is memory for nothing
        # Positions counted from each row's first real token: a model with absolute position embeddings
        # (GPT-2 style) would otherwise see a row's positions shifted by its left padding, which depends
        # on the batch it shares. With rotary positions it changes nothing but rounding.
        self.positions_from_mask = "position_ids" in parameters
        self._encoders: dict[int, Any] = {}  # max_length -> a private copy of the fast tokenizer, cutting left
        self._encoders_lock = threading.Lock()

    @classmethod
    def load(cls, path: str, template: str = "plain", device: str = "auto",
             tokens_per_pass: int = TOKENS_PER_PASS) -> HFJudge:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        dtype = torch.bfloat16 if device == "cuda" and torch.cuda.is_bf16_supported() else (
            torch.float16 if device == "cuda" else torch.float32)
        with quiet_transformers():  # no "Loading weights" bar in a CLI's or a server's output
            tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(path, local_files_only=True, dtype=dtype)
        model = model.to(device).eval()
        return cls(model, tokenizer, TEMPLATES[template], device, tokens_per_pass)

    def _first_token(self, word: str) -> int:
        ids = self.tokenizer.encode(word, add_special_tokens=False)
        spaced = self.tokenizer.encode(" " + word, add_special_tokens=False)
        chosen = ids or spaced
        if not chosen:
            raise ValueError(f"the tokenizer has no token for the verdict {word!r}")
        return chosen[0]

    def prompt(self, request: JudgeRequest) -> str:
        return self.chat_prompt(self.template.messages(request))

    def chat_prompt(self, messages: list[dict[str, str]]) -> str:
        if getattr(self.tokenizer, "chat_template", None):
            return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return "\n\n".join(m["content"] for m in messages) + "\n"

    def token_rows(self, prompts: list[str], max_length: int = 2048) -> list[list[int]]:
        """Each prompt's input ids, special tokens included, cut on the left to ``max_length``."""
        encoder = self._encoder(max_length)
        if encoder is None:  # a tokenizer without a Rust backend
            return self.tokenizer(prompts, truncation=True, max_length=max_length)["input_ids"]
        return [row.ids for row in encoder.encode_batch(prompts)]

    def _encoder(self, max_length: int) -> Any:
        """The fast tokenizer's backend, copied once per length (what transformers' own call costs per
        element in Python checks is most of a batch's host time, and its settings are shared state)."""
        backend = getattr(self.tokenizer, "backend_tokenizer", None)
        if backend is None:
            return None
        with self._encoders_lock:
            if max_length not in self._encoders:
                self._encoders[max_length] = _left_cutting_copy(backend, max_length)
            return self._encoders[max_length]

    def padded(self, rows: Sequence[Sequence[int]]) -> tuple[Any, Any]:
        """Input ids and attention mask, padded on the left: the verdict position is every row's last."""
        import numpy as np
        import torch

        width = max(map(len, rows))
        pad = self.tokenizer.pad_token_id
        ids = np.full((len(rows), width), 0 if pad is None else pad, dtype=np.int64)  # masked out either way
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, row in enumerate(rows):
            if row:
                ids[i, width - len(row):] = row
                mask[i, width - len(row):] = 1
        return torch.from_numpy(ids), torch.from_numpy(mask)

    def encode(self, prompts: list[str], max_length: int = 2048) -> tuple[Any, Any]:
        """What ``tokenizer(prompts, padding=True, truncation=True, max_length=...)`` gives, as tensors."""
        return self.padded(self.token_rows(prompts, max_length))

    def next_token_logits(self, prompts: list[str], max_length: int = 2048, columns: Any = None) -> Any:
        """Each prompt's logits at its next position (a float32 CPU tensor, in prompt order).

        Prompts of like lengths share a pass (``batcher.passes_by_length``: at most ``tokens_per_pass``
        tokens padded, at most half of them padding): one long prompt does not pad a whole batch to its
        length. ``columns``: only those token ids' logits, selected on the device (a vocabulary-wide row
        per prompt is megabytes to copy back)."""
        import torch

        rows = self.token_rows(prompts, max_length)
        out: list[Any] = [None] * len(rows)
        for chunk in passes_by_length([len(r) for r in rows], self.tokens_per_pass):
            logits = self._forward([rows[i] for i in chunk], columns)
            for i, row in zip(chunk, logits):
                out[i] = row
        return torch.stack(out)

    def model_inputs(self, rows: Sequence[Sequence[int]]) -> dict[str, Any]:
        """The keyword arguments of one pass over ``rows``: padded, on the device, positions counted from
        each row's start, asking for the last position's logits only and no cache where the model can be told."""
        ids, mask = self.padded(rows)
        inputs: dict[str, Any] = {"input_ids": ids.to(self.device), "attention_mask": mask.to(self.device)}
        if self.positions_from_mask:
            inputs["position_ids"] = (mask.cumsum(-1) - 1).clamp(min=0).to(self.device)
        if self.last_logits_only:  # the head over every position is a vocabulary-wide matrix per token: skip it
            inputs["logits_to_keep"] = 1
        if self.no_cache:
            inputs["use_cache"] = False
        return inputs

    def _forward(self, rows: list[list[int]], columns: Any) -> Any:
        import torch

        inputs = self.model_inputs(rows)
        with torch.inference_mode():
            logits = self.model(**inputs).logits[:, -1, :]
            if columns is not None:
                logits = logits[:, columns]
            return logits.float().cpu()

    def judge_batch(self, requests: Sequence[JudgeRequest]) -> list[Judgement]:
        verdicts = self.next_token_logits([self.prompt(r.capped()) for r in requests],
                                          columns=[self.positive_id, self.negative_id])
        out = []
        for positive, negative in verdicts.tolist():
            p = _two_way(positive, negative)
            out.append(Judgement(p >= 0.5, p, "hf"))
        return out

    def answer_batch(self, requests: Sequence[ModelGraderRequest]) -> list[ModelGraderAnswer]:
        """score_model and label_model requests, decided from the batch's passes (``model_graders.decide``)."""
        logits = self.next_token_logits([self.chat_prompt(r.chat()) for r in requests], max_length=4096)
        return [decide(self.tokenizer, request, row) for request, row in zip(requests, logits)]


DEFAULT_JUDGE = "default"  # --judge-model default: the shipped cross-encoder
CROSS_ENCODER_CONFIG = "judge.json"  # beside a cross-encoder checkpoint: its threshold and input budget


def default_judge_path() -> Path:
    """The shipped default judge (package ``judge_model``, folder ``default``)."""
    return Path(str(importlib.resources.files("judge_model") / "default"))


@dataclass(frozen=True)
class PairBudget:
    """How a request becomes one cross-encoder input of at most ``max_tokens`` tokens:
    ``[CLS] answer [SEP] reference [SEP] question [SEP]``, the answer and the reference cut to
    their budgets (their ends kept: a boxed answer's end is what decides), the question's last
    tokens filling what is left (the asking sentence is usually at the end of a prompt)."""

    max_tokens: int = 128
    answer_tokens: int = 48
    reference_tokens: int = 40

    def encode(self, tokenizer: Any, request: JudgeRequest, cls_id: int, sep_id: int) -> tuple[list[int], list[int]]:
        """Token ids and token types; ``tokenizer`` is a ``tokenizers.Tokenizer`` without special tokens."""
        answer = tokenizer.encode(request.answer, add_special_tokens=False).ids[-self.answer_tokens:]
        reference = tokenizer.encode(request.reference, add_special_tokens=False).ids[-self.reference_tokens:]
        room = self.max_tokens - 4 - len(answer) - len(reference)
        question = tokenizer.encode(request.question, add_special_tokens=False).ids[-room:] if (
            request.question and room > 0) else []
        first = [cls_id, *answer, sep_id]
        second = [*reference, sep_id, *question, sep_id] if question else [*reference, sep_id]
        return first + second, [0] * len(first) + [1] * len(second)


def pad_pairs(rows: Sequence[tuple[list[int], list[int]]], pad_id: int) -> tuple[Any, Any, Any]:
    """Input ids, attention mask and token types of a batch, right-padded (tensors)."""
    import torch

    width = max(len(ids) for ids, _ in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    types = torch.zeros((len(rows), width), dtype=torch.long)
    for i, (row, kinds) in enumerate(rows):
        ids[i, :len(row)] = torch.tensor(row)
        mask[i, :len(row)] = 1
        types[i, :len(kinds)] = torch.tensor(kinds)
    return ids, mask, types


class CrossEncoderJudge:
    """A sequence-pair classifier (label 1: the answer means the reference) that says yes
    when P(label 1) reaches ``threshold`` (chosen on held-out generated pairs for precision).
    Trained on answers, never on whole responses: it declines a response's tail."""

    reads_responses = False

    def __init__(self, model: Any, tokenizer: Any, threshold: float, budget: PairBudget, device: str = "cpu") -> None:
        self.model, self.tokenizer, self.threshold, self.budget, self.device = model, tokenizer, threshold, budget, device
        self.cls_id, self.sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
        self.pad_id = tokenizer.token_to_id("[PAD]")

    @classmethod
    def load(cls, path: str | Path | None = None, device: str = "auto") -> CrossEncoderJudge:
        """A checkpoint folder (config.json, model.safetensors, tokenizer.json, judge.json); None: the shipped one."""
        import torch
        from tokenizers import Tokenizer
        from transformers import AutoModelForSequenceClassification

        folder = Path(path) if path is not None else default_judge_path()
        settings = json.loads((folder / CROSS_ENCODER_CONFIG).read_text(encoding="utf-8"))
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        dtype = torch.float32 if device == "cpu" else (torch.bfloat16 if torch.cuda.is_bf16_supported()
                                                       else torch.float16)
        with quiet_transformers():
            model = AutoModelForSequenceClassification.from_pretrained(str(folder), local_files_only=True,
                                                                       dtype=dtype)
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tokenizer.no_truncation()
        tokenizer.no_padding()
        budget = PairBudget(settings["max_tokens"], settings["answer_tokens"], settings["reference_tokens"])
        return cls(model.to(device).eval(), tokenizer, float(settings["threshold"]), budget, device)

    def probabilities(self, requests: Sequence[JudgeRequest]) -> list[float]:
        """P(the answer means the reference) for each request, in one forward pass."""
        import torch

        rows = [self.budget.encode(self.tokenizer, r.capped(), self.cls_id, self.sep_id) for r in requests]
        ids, mask, types = pad_pairs(rows, self.pad_id)
        with torch.inference_mode():
            logits = self.model(input_ids=ids.to(self.device), attention_mask=mask.to(self.device),
                                token_type_ids=types.to(self.device)).logits.float()
        return torch.softmax(logits, dim=-1)[:, 1].tolist()

    def judge_batch(self, requests: Sequence[JudgeRequest]) -> list[Judgement]:
        return [Judgement(p >= self.threshold, p, "cross-encoder") for p in self.probabilities(requests)]

    def answer_batch(self, requests: Sequence[ModelGraderRequest]) -> list[ModelGraderAnswer]:
        """A pair classifier reads no chat messages: score_model and label_model need a causal LM or an endpoint."""
        reason = ("the default judge (a cross-encoder of answer pairs) cannot answer score_model or label_model "
                  "messages; serve a causal LM (--judge-model PATH) or an endpoint (--judge-url)")
        return [failed(reason, "cross-encoder") for _ in requests]


class EndpointJudge:
    """An OpenAI-compatible chat-completions endpoint, asked for one token and its log-probabilities."""

    def __init__(self, url: str, model: str, template: Template, *, api_key: str | None = None,
                 max_concurrency: int = 16, retries: int = 3, backoff: float = 0.2, timeout: float = 10.0,
                 pinned: bool = True) -> None:
        self.url = url.rstrip("/") + ("" if url.rstrip("/").endswith("/chat/completions") else "/v1/chat/completions")
        self.model, self.template, self.api_key = model, template, api_key
        self.pinned = pinned  # else a score_model/label_model config's own model name is sent
        self.retries, self.backoff, self.timeout = retries, backoff, timeout
        self.max_concurrency = max_concurrency
        self._semaphore: asyncio.Semaphore | None = None
        self._client: Any = None
        self._lock = threading.Lock()

    def _body(self, request: JudgeRequest) -> dict[str, Any]:
        return {"model": self.model, "messages": self.template.messages(request.capped()), "max_tokens": 1,
                "temperature": 0, "logprobs": True, "top_logprobs": 10}

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def judgement(self, reply: dict[str, Any]) -> Judgement:
        choice = reply["choices"][0]
        tops = (((choice.get("logprobs") or {}).get("content") or [{}])[0].get("top_logprobs") or [])
        scores = {t.get("token", "").strip(): t.get("logprob") for t in tops if isinstance(t, dict)}
        if self.template.positive in scores or self.template.negative in scores:
            p = _two_way(scores.get(self.template.positive, -1e9), scores.get(self.template.negative, -1e9))
            return Judgement(p >= 0.5, p, "endpoint")
        text = ((choice.get("message") or {}).get("content") or "").strip()
        correct = text.startswith(self.template.positive) and not text.startswith(self.template.negative)
        return Judgement(correct, 1.0 if correct else 0.0, "endpoint")

    def judge(self, request: JudgeRequest, deadline: float | None = None) -> Judgement:
        return self.judgement(self._post(self._body(request), deadline))

    def answer(self, request: ModelGraderRequest, deadline: float | None = None) -> ModelGraderAnswer:
        """A score_model or label_model request; a failed answer (never an exception) when it cannot be had."""
        model = self.model if self.pinned or not request.model else request.model
        try:
            return read_reply(request, self._post(chat_body(request, model), deadline))
        except Exception as exc:  # an endpoint down, slow or answering nonsense: the check says why
            return failed(f"the judge endpoint failed: {type(exc).__name__}: {exc}", "endpoint")

    async def answer_async(self, request: ModelGraderRequest) -> ModelGraderAnswer:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.max_concurrency)
        async with self._semaphore:
            return await asyncio.to_thread(self.answer, request)

    def _post(self, body: dict[str, Any], deadline: float | None) -> Any:
        """The endpoint's JSON reply to ``body``, with retries on 5xx, 429 and transport errors until the deadline."""
        import httpx

        deadline = deadline or time.monotonic() + self.timeout
        client = self._connection()
        for attempt in range(self.retries + 1):
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the judge endpoint did not answer in time")
            try:
                reply = client.post(self.url, json=body, timeout=left)
                if reply.status_code < 500 and reply.status_code != 429:
                    reply.raise_for_status()
                    return reply.json()
            except (httpx.TransportError, httpx.TimeoutException):
                if attempt == self.retries:
                    raise
            if attempt == self.retries:
                raise RuntimeError(f"the judge endpoint answered {reply.status_code}")
            time.sleep(min(self.backoff * 2 ** attempt, max(0.0, deadline - time.monotonic())))
        raise AssertionError("unreachable")

    def _connection(self) -> Any:
        """One client, and its kept-alive connections, for every call (httpx clients are thread-safe)."""
        with self._lock:
            if self._client is None:
                import httpx
                self._client = httpx.Client(headers=self._headers())
            return self._client

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    async def judge_async(self, request: JudgeRequest, deadline: float | None = None) -> Judgement:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.max_concurrency)
        async with self._semaphore:  # bounded concurrency towards the endpoint
            return await asyncio.to_thread(self.judge, request, deadline)


class JudgeService:
    """A judge backend as a model stage (``ask`` / ``ask_async``), batched where the backend batches.

    A query is the math verifier's (``text``, ``reference``, ``question``: one ``Judgement``) or
    the grader verifier's (``requests``: score_model/label_model ``ModelGraderRequest``s, one
    ``ModelGraderAnswer`` each, in order; a request that fails is a failed answer, never an exception)."""

    on_accelerator = False

    def __init__(self, backend: HFJudge | CrossEncoderJudge | EndpointJudge, *, max_batch: int | None = None,
                 max_wait_ms: float = 5.0, workers: int | None = None) -> None:
        """``max_batch``: requests one batch takes at most (default 128 on an accelerator, 16 on a CPU,
        where a bigger batch only waits longer). ``workers``: batcher threads (default 2 on an
        accelerator, so that one prepares a batch while the other's runs; 1 on a CPU, where a second
        would only take cores from the first)."""
        self.backend = backend
        self.batcher: InferenceBatcher[JudgeRequest, Judgement] | None = None
        self.grader_batcher: InferenceBatcher[ModelGraderRequest, ModelGraderAnswer] | None = None
        if isinstance(backend, (HFJudge, CrossEncoderJudge)):
            self.on_accelerator = backend.device != "cpu"
            max_batch = max_batch or (128 if self.on_accelerator else 16)
            workers = workers or (2 if self.on_accelerator else 1)
            self.batcher = InferenceBatcher(backend.judge_batch, max_batch=max_batch, max_wait_ms=max_wait_ms,
                                            size_of=JudgeRequest.size, workers=workers)
            self.grader_batcher = InferenceBatcher(backend.answer_batch, max_batch=max_batch,
                                                   max_wait_ms=max_wait_ms, size_of=ModelGraderRequest.size)

    def ask(self, query: Any, timeout: float | None = None) -> Any:
        requests = _grader_requests(query)
        if requests is not None:
            return [self._answer(r, timeout) for r in requests]
        request = _request(query)
        if self.declines(request):
            return self.declined()
        if self.batcher is not None:
            return self.batcher(request, timeout)
        return self.backend.judge(request)  # type: ignore[union-attr]

    async def ask_async(self, query: Any) -> Any:
        requests = _grader_requests(query)
        if requests is not None:
            return list(await asyncio.gather(*(self._answer_async(r) for r in requests)))
        request = _request(query)
        if self.declines(request):
            return self.declined()
        if self.batcher is not None:
            return await self.batcher.run(request)
        return await self.backend.judge_async(request)  # type: ignore[union-attr]

    def _answer(self, request: ModelGraderRequest, timeout: float | None) -> ModelGraderAnswer:
        if self.grader_batcher is None:
            return self.backend.answer(request)  # type: ignore[union-attr]
        try:
            return self.grader_batcher(request, timeout)
        except Exception as exc:  # a closed or full batcher, a forward pass that failed
            return failed(f"the judge model failed: {type(exc).__name__}: {exc}", "hf")

    async def _answer_async(self, request: ModelGraderRequest) -> ModelGraderAnswer:
        if self.grader_batcher is None:
            return await self.backend.answer_async(request)  # type: ignore[union-attr]
        try:
            return await self.grader_batcher.run(request)
        except Exception as exc:
            return failed(f"the judge model failed: {type(exc).__name__}: {exc}", "hf")

    def declines(self, request: JudgeRequest) -> bool:
        """A response's tail sent to a judge that reads extracted answers only."""
        return request.response_tail and not getattr(self.backend, "reads_responses", True)

    def declined(self) -> Judgement:
        return Judgement(False, 0.0, "cross-encoder", declined="this judge reads extracted answers, and none was "
                                                              "extracted")

    def close(self) -> None:
        for batcher in (self.batcher, self.grader_batcher):
            if batcher is not None:
                batcher.close()
        if self.batcher is None:
            self.backend.close()  # type: ignore[union-attr]


def _grader_requests(query: Any) -> tuple[ModelGraderRequest, ...] | None:
    """The grader verifier's requests, where the query carries them (``GraderQuery.requests``)."""
    requests = getattr(query, "requests", None)
    if isinstance(requests, tuple) and all(isinstance(r, ModelGraderRequest) for r in requests):
        return requests
    return None


def _request(query: Any) -> JudgeRequest:
    return JudgeRequest(query.question or "", query.reference or "", query.text,
                        bool(getattr(query, "response_tail", False)))


def load_judge(model_path: str = "", url: str = "", *, template: str = "plain", endpoint_model: str = "",
               api_key: str | None = None, device: str = "auto", timeout: float = 10.0,
               max_batch: int = 0, tokens_per_pass: int = 0) -> JudgeService:
    """A judge service from a local model path or an endpoint URL (one of the two). ``default``
    is the shipped cross-encoder; so is any folder with a ``judge.json`` (a ``judge_model`` run);
    any other path is a causal LM read with ``template``.

    ``endpoint_model``: the model name sent to the endpoint. Given, it is pinned: every request names
    it. Empty, math's judge questions name ``judge`` and score_model/label_model requests their
    config's ``model``. ``max_batch``: a local model's largest batch (0: by device, see ``JudgeService``).
    ``tokens_per_pass``: a causal LM's padded tokens in one forward pass (0: ``TOKENS_PER_PASS``)."""
    if template not in TEMPLATES:
        raise ValueError(f"unknown judge template {template!r}; known: {', '.join(TEMPLATES)}")
    if bool(model_path) == bool(url):
        raise ValueError("give a judge model path or a judge URL, not both")
    if url:
        return JudgeService(EndpointJudge(url, endpoint_model or "judge", TEMPLATES[template], api_key=api_key,
                                          timeout=timeout, pinned=bool(endpoint_model)))
    batch = max_batch or None
    if model_path != DEFAULT_JUDGE and not Path(model_path).is_dir():  # else transformers reads it as a hub id
        raise ValueError(f"no judge model folder at {model_path!r} (give a local folder, or 'default')")
    if model_path == DEFAULT_JUDGE:
        return JudgeService(CrossEncoderJudge.load(None, device), max_batch=batch)
    if (Path(model_path) / CROSS_ENCODER_CONFIG).is_file():
        return JudgeService(CrossEncoderJudge.load(model_path, device), max_batch=batch)
    return JudgeService(HFJudge.load(model_path, template, device, tokens_per_pass or TOKENS_PER_PASS),
                        max_batch=batch)


# --- guards: what a judge must never be asked to call correct ----------------------------------
_VERDICT_WORDS = {"correct", "right", "true", "verified", "valid", "incorrect", "wrong", "false", "accurate",
                  "equivalent", "accepted", "pass", "passed"}
_VERDICTS = _VERDICT_WORDS | {"the answer is correct", "this is correct", "that is correct", "answer is correct",
                              "the answer is right", "yes it is correct", "correct answer", "right answer"}
_JUDGING = re.compile(r"^(?:judge(?:ment)?|verdict|(?:final\s+)?decision|grading|evaluation|assessment)\s*"
                      r"(?:yes|no|[abc]|" + "|".join(sorted(_VERDICT_WORDS)) + r")$")
_MARKED = re.compile(r"^(?:answer|result|status)\s*(?:correct|incorrect|right|wrong|verified|accepted)$")
_CLAIM = re.compile(r"\b(?:answers?|solutions?|responses?|results?|work|it|this|that)\b(?:\s+[\w']+){0,3}?"
                    r"(?:\s+(?:is|are|was|looks|seems)|'s)\s+(?:\w+ly\s+|indeed\s+)?(?:correct|right|verified)"
                    r"\s*(?:[.!,;:]|$)")
_REFERENCE_NOUN = (r"(?:reference|ground[\s-]*truth|answer\s+key|"
                   r"(?:gold|expected|official|correct)\s+(?:answer|target|solution))")
_DEFERS = re.compile(r"\b(?:match(?:es)?|same\s+as|equals?|equal\s+to|equivalent\s+to|agrees?\s+with|identical\s+to)"
                     r"\s+(?:the\s+|your\s+)?" + _REFERENCE_NOUN + r"\b|"
                     r"^(?:the\s+|your\s+)?" + _REFERENCE_NOUN + r"(?:\s+(?:answer|target|solution|value))?$|"
                     r"^see\s+(?:above|below)$")
_DONT_KNOW = re.compile(r"\b(?:i\s+(?:do\s*n[o']?t|don't|cannot|can't)\s+(?:know|tell|say|determine)|no\s+idea|"
                        r"not\s+sure|unknown|cannot\s+be\s+determined|can't\s+be\s+determined|n/a|idk|dunno|"
                        r"no\s+clue)\b", re.I)
_INJECTION = re.compile(r"\b(?:ignore|disregard|forget)\b.{0,40}\b(?:instruction|prompt|above|previous|rules)|"
                        r"\b(?:judge|grader|evaluator|verifier|assistant)\b.{0,40}\b(?:must|should|will)\b.{0,30}"
                        r"\b(?:correct|true|yes|accept)|(?:^|[.!:;]\s*)\W*(?:(?:just|simply|please|now)\s+)?"
                        r"(?:(?:output|say|respond|reply)\s+(?:with\s+)?|answer\s+with\s+)"
                        r"[\"'*_]*(?:correct|true|yes|a)\b[\"'*_]*\s*(?:only|now|\.|!|$)|system\s+prompt|</?\s*(?:system|user)|"
                        r"\b(?:note|message|instructions?|hint|reminder)\s+(?:to|for)\s+(?:the\s+)?"
                        r"(?:grader|judge|evaluator|verifier|reviewer|model)\b|"
                        r"^\W*(?:grader|judge|evaluator|verifier|reviewer)\s*:", re.I)
_REFUSAL = re.compile(r"\b(?:i\s+(?:cannot|can't|won't|will\s+not)|unable\s+to|i'm\s+not\s+able|as\s+an\s+ai)\b", re.I)


def _unicode_folded(text: str) -> str:
    """Compatibility forms folded (fullwidth letters) and invisible format characters (zero-width) dropped."""
    return "".join(c for c in unicodedata.normalize("NFKC", text) if unicodedata.category(c) != "Cf")


def _folded(answer: str) -> str:
    """The answer's words with their punctuation, lower case: LaTeX commands and braces dropped (so that
    ``\\text{C}\\text{orrect}`` reads "correct"), tags and markup too."""
    text = re.sub(r"<[^<>]{0,40}>", " ", _unicode_folded(answer))  # <answer>...</answer>
    text = re.sub(r"\\[A-Za-z]+|[{}$]", "", text)
    text = re.sub(r"\\.|[\[\]()*_`#>|~]", " ", text)
    return re.sub(r"\s+", " ", text).strip().lower()


def _plain_text(folded: str) -> str:
    """The folded answer without punctuation, letters spelled out ("c o r r e c t", "c-o-r-r-e-c-t") joined."""
    text = re.sub(r"[\s.!:;,'\"]+", " ", folded).strip()
    if re.fullmatch(r"(?:\w[ -]){2,}\w", text):
        text = re.sub(r"[ -]", "", text)
    return text


def _word_set(plain: str) -> set[str]:
    return set(plain.replace("-", " ").split())


def _verdict_like(text: str) -> bool:
    words = _word_set(_plain_text(_folded(text)))
    return bool(words) and words <= _VERDICT_WORDS | {"yes", "no"}


def judge_refuses(answer: str, reference: str) -> str:
    """Why this answer must not go to the judge (a known way to fool one), or empty. Verdict words are
    answers too where the reference is one ("True, False, True")."""
    bare = re.sub(r"\\[A-Za-z]+|[{}$]", " ", answer)  # LaTeX commands and wrappers: \boxed{}, \text{Correct}
    if not any(c.isalnum() for c in bare):
        return "the answer has no letters or digits (empty braces, bare symbols)"
    folded = _folded(answer)
    plain = _plain_text(folded)
    words = _word_set(plain)
    if _JUDGING.match(plain) or (not _verdict_like(reference) and (
            plain in _VERDICTS or (words and words <= _VERDICT_WORDS) or _MARKED.match(plain))):
        return "the answer is a verdict word"
    if _CLAIM.search(folded):
        return "the answer claims to be correct"
    if _DEFERS.search(plain):
        return "the answer points to the reference instead of giving one"
    if _DONT_KNOW.search(answer) or _DONT_KNOW.search(plain):
        return "the answer says it does not know"
    if _INJECTION.search(_unicode_folded(answer)):
        return "the answer addresses the judge"
    if reference.strip() and reference.strip().lower() in answer.lower() and _REFUSAL.search(answer):
        return "the answer echoes the reference inside a refusal"
    return ""
