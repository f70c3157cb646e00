"""``score_model`` and ``label_model`` questions for the judge backends: templated chat messages,
answered with a number in a range or one of a set of labels.

The grader verifier builds the requests (``grader.verifiers.graders.models``); the judge service
(``grader.lm.judge.JudgeService``) answers them with whichever backend it holds:

- ``EndpointJudge``: the messages as one chat completion (``sampling_params`` mapped onto the
  request, temperature 0 unless given), and the reply's text read. A label must be one of the
  labels exactly (surrounding whitespace, quotes and a final period aside, or a JSON
  ``{"result": label}``); a score is read from the reply with any Markdown code fence taken off: a
  JSON number, a JSON object's ``result`` (else ``score``) and nothing else of it, else the number
  after the last "score" or "result" label ("Score: 7", "**Result:** 0.5"), else the text's last
  number that is neither a list's numbering ("1.") nor a denominator ("/10", "out of 10"); a score
  outside the range is clamped into it (OpenAI truncates to the range), NaN and infinity fail.
- ``HFJudge``: one forward pass, no generation: the next-token logits after the prompt. A label
  is the most likely of the labels' first tokens (labels that share a first token, or whose first
  token is the tokenizer's unknown token, cannot be told apart: an error); a score is the mean of
  the integers in the range whose text is a single token of their own, weighted by their
  probabilities renormalised among them (it needs two such integers: a range of [0.0, 0.5]
  cannot be scored this way, and an error says so).

An answer that cannot be had is an answer with ``error`` set, never an exception, so the grader
records it as a failed check.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Sequence

MAX_MESSAGE_CHARS = 8000  # each templated message, kept from its start
MAX_REPLY_CHARS = 300  # of an endpoint's reply, kept in a check's reason
MAX_SCORED_INTEGERS = 1001  # integers a local model weighs for a score_model range
DEFAULT_MAX_TOKENS = 512
SAMPLING_PARAMS = {"temperature": "temperature", "top_p": "top_p", "seed": "seed",
                   "max_completions_tokens": "max_tokens", "reasoning_effort": "reasoning_effort"}
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
# The whole reply one Markdown code fence: "```json\n{...}\n```". (A fence inside prose quotes something, such
# as the response under judgement: it is not the judge's answer.) Possessive runs: a long unclosed fence is one
# pass, not a retry from every position.
_FENCE = re.compile(r"```[A-Za-z0-9_-]*+[ \t]*+\n?+(.*)```", re.DOTALL)
# "Score: 7", "**Result:** 0.5", "final score is 3", '"score": 1': the number right after the label.
_LABELLED = re.compile(r"\b(?:score|result)\b[\s\"'*_:=]*(?:(?:is|of|was)[\s\"'*_:=]*)?"
                       r"([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)", re.IGNORECASE)
_ENUMERATION = re.compile(r"\d+[.)][ \t]")  # "1. ", "2) " (at a line's start: _numbering)
_DENOMINATOR = re.compile(r"(?:/|\bout of)\s*\Z", re.IGNORECASE)
_NOT_JSON = object()


@dataclass(frozen=True)
class ModelGraderRequest:
    """One model sub-grader's question: ``labels`` for a label_model, ``range`` for a score_model."""

    messages: tuple[tuple[str, str], ...]  # (role, content), templated
    model: str  # the config's model: the endpoint's model name unless the service pins one
    labels: tuple[str, ...] = ()
    range: tuple[float, float] | None = None
    sampling: tuple[tuple[str, Any], ...] = ()  # OpenAI's sampling_params, validated

    def chat(self) -> list[dict[str, str]]:
        return [{"role": role, "content": content[:MAX_MESSAGE_CHARS]} for role, content in self.messages]

    def size(self) -> int:
        return sum(min(len(content), MAX_MESSAGE_CHARS) for _, content in self.messages)


@dataclass(frozen=True)
class ModelGraderAnswer:
    """The score (score_model) or the label with its score 1 or 0 (label_model), or why there is none."""

    score: float = 0.0
    label: str = ""
    probability: float | None = None  # the local model's probability of the label it chose
    error: str = ""
    backend: str = ""
    reply: str = ""  # what the endpoint said, capped


def failed(reason: str, backend: str = "") -> ModelGraderAnswer:
    return ModelGraderAnswer(error=reason[:MAX_REPLY_CHARS], backend=backend)


# --- the endpoint: a chat completion, its text read ---------------------------------------------

def chat_body(request: ModelGraderRequest, model: str) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "messages": request.chat(), "max_tokens": DEFAULT_MAX_TOKENS,
                            "temperature": 0}
    for key, value in request.sampling:
        body[SAMPLING_PARAMS[key]] = value
    return body


def read_reply(request: ModelGraderRequest, reply: Any) -> ModelGraderAnswer:
    """The answer in a chat-completions reply, or why it is none."""
    try:
        text = reply["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        return failed("the endpoint's reply has no choices[0].message.content", "endpoint")
    if not isinstance(text, str):
        return failed("the endpoint's reply has no text", "endpoint")
    shown = text.strip()[:MAX_REPLY_CHARS]
    if request.labels:
        label = _label_in(text, request.labels)
        if label is None:
            return failed(f"the model answered {shown!r}, which is none of the labels", "endpoint")
        return ModelGraderAnswer(label=label, backend="endpoint", reply=shown)
    value = _number_in(text)
    lo, hi = request.range or (0.0, 1.0)
    if value is None:
        return failed(f"the model answered {shown!r}, with no number in it", "endpoint")
    return ModelGraderAnswer(score=min(max(value, lo), hi), backend="endpoint", reply=shown)


def _unfenced(text: str) -> str:
    """The text inside a Markdown code fence (```json ... ```), where the whole reply is one; else the text."""
    match = _FENCE.fullmatch(text.strip())
    return match.group(1).strip() if match else text.strip()


def _json(text: str) -> Any:
    """The reply as JSON (unfenced), or _NOT_JSON."""
    try:
        return json.loads(_unfenced(text))
    except (ValueError, RecursionError):
        return _NOT_JSON


def _structured(text: str) -> Any:
    """A JSON reply's answer: an object's ``result`` (else ``score``), or the value itself; _NOT_JSON."""
    value = _json(text)
    if isinstance(value, dict):
        return value.get("result", value.get("score"))
    return value


def _label_in(text: str, labels: Sequence[str]) -> str | None:
    """The label the reply is: itself, quoted, with a final period, or a JSON {"result": label}."""
    structured = _structured(text.strip())
    candidates = [structured] if isinstance(structured, str) else []
    candidates.append(text.strip().rstrip(".").strip("\"'`").rstrip("."))  # "Yes". and "Yes."
    for candidate in candidates:
        if candidate in labels:
            return candidate
    return None


def _number_in(text: str) -> float | None:
    """The score in a reply (see the module's docstring), or None; never NaN or infinity."""
    structured = _structured(text)
    if structured is not _NOT_JSON:  # JSON: only its result counts ({"steps": ["check 1"], "result": 0})
        value = _as_number(structured)
    else:
        labelled = _LABELLED.findall(text)
        value = float(labelled[-1]) if labelled else _last_bare_number(text)
    return value if value is not None and math.isfinite(value) else None


def _as_number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        return float(value.strip())
    return None


def _last_bare_number(text: str) -> float | None:
    """The last number that is not a list's numbering ("1. Wrong") nor a denominator ("7/10", "out of 10")."""
    numbers = [m for m in _NUMBER.finditer(text) if not _numbering(text, m.start())
               and not _DENOMINATOR.search(text[max(0, m.start() - 16):m.start()])]
    return float(numbers[-1].group()) if numbers else None


def _numbering(text: str, start: int) -> bool:
    """Whether the number at ``start`` begins its line as "1. " or "2) " does."""
    line_start = text.rfind("\n", 0, start) + 1
    return not text[line_start:start].strip() and _ENUMERATION.match(text, start) is not None


# --- a local causal LM: the next-token logits ----------------------------------------------------

def single_token(tokenizer: Any, text: str) -> int | None:
    """The one token ``text`` is (bare or after a space), or None; never the unknown token."""
    for variant in (text, " " + text):
        ids = tokenizer.encode(variant, add_special_tokens=False)
        if len(ids) == 1 and ids[0] != tokenizer.unk_token_id:
            return ids[0]
    return None


def first_token(tokenizer: Any, text: str) -> int | None:
    ids = tokenizer.encode(text, add_special_tokens=False) or tokenizer.encode(" " + text, add_special_tokens=False)
    return ids[0] if ids and ids[0] != tokenizer.unk_token_id else None


def label_tokens(tokenizer: Any, labels: Sequence[str]) -> list[int] | str:
    """Each label's first token, or why the labels cannot be told apart by one."""
    ids = []
    for label in labels:
        token = first_token(tokenizer, label)
        if token is None:
            return f"the judge model's tokenizer has no token for the label {label!r}"
        if token in ids:
            other = labels[ids.index(token)]
            return f"the labels {other!r} and {label!r} begin with the same token for the judge model"
        ids.append(token)
    return ids


def score_tokens(tokenizer: Any, lo: float, hi: float) -> dict[int, int] | str:
    """The integers in [lo, hi] that are one token each (token -> integer), or why there are too few."""
    first, last = math.ceil(lo), math.floor(hi)
    if last - first + 1 > MAX_SCORED_INTEGERS:
        return f"the local judge weighs at most {MAX_SCORED_INTEGERS} integers; the range has {last - first + 1}"
    tokens: dict[int, int] = {}
    shared: set[int] = set()
    for value in range(first, last + 1):
        token = single_token(tokenizer, str(value))
        if token is None:
            continue
        if token in tokens:
            shared.add(token)
        tokens[token] = value
    for token in shared:
        del tokens[token]
    if len(tokens) < 2:
        return (f"the local judge scores by the integers in the range that are one token each, and [{lo:g}, {hi:g}] "
                "has fewer than two for this model (use an endpoint judge for such a range)")
    return tokens


def decide(tokenizer: Any, request: ModelGraderRequest, logits: Any) -> ModelGraderAnswer:
    """A label or a score from one row of next-token logits (a 1-d float tensor)."""
    import torch

    if request.labels:
        ids = label_tokens(tokenizer, request.labels)
        if isinstance(ids, str):
            return failed(ids, "hf")
        p = torch.softmax(logits[ids], dim=0)
        best = int(torch.argmax(p))
        return ModelGraderAnswer(label=request.labels[best], probability=float(p[best]), backend="hf")
    lo, hi = request.range or (0.0, 1.0)
    tokens = score_tokens(tokenizer, lo, hi)
    if isinstance(tokens, str):
        return failed(tokens, "hf")
    p = torch.softmax(logits[list(tokens)], dim=0)
    values = torch.tensor(list(tokens.values()), dtype=p.dtype)
    return ModelGraderAnswer(score=float((p * values).sum()), backend="hf")
