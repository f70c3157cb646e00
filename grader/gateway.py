"""The HTTP gateway: the trainers' own protocols over the server's pipeline (Starlette + uvicorn).

``grader serve --http-port N`` runs it in the gRPC server's process and event loop, on the
same ``ServedPipeline``, with the same bearer token, item limits, budgets and statuses:

- ``POST /v1/grade``: ``{"items": [...], "default_verifier", "default_options", "reward_shaping"}``
  → ``{"results": [...]}``, each result with the fields of ``grader grade``'s output lines;
- ``POST /openrlhf``: OpenRLHF's remote reward model, ``{"query", "prompts", "labels"}`` →
  ``{"rewards", "scores", "extra_logs"}`` (the query is prompt + response: the prompt is cut);
- ``POST /verify``: NeMo-Gym's resources-server verify, the task row plus the policy's
  ``response`` (an OpenAI Responses object) → the row with ``reward`` and the evidence;
- ``POST /v1/endpoint-grader``: Foundry's endpoint grader, ``{"sample", "item", "trace_id"}`` →
  ``{"score", "metadata"}`` (its preview documentation's request and response);
- ``POST /v1/fine_tuning/alpha/graders/run`` and ``/validate``: OpenAI's (and Foundry's) grader API,
  ``{"grader", "model_sample", "item"}`` → ``GraderRunResponse`` and ``{"grader"}`` → ``{"grader"}``, on the
  ``grader`` verifier; errors in OpenAI's shape, ``{"error": {"message", "type", "param", "code"}}``;
- ``GET /healthz`` (no token) and ``GET /metrics`` (Prometheus).

A body is read as it arrives: one over the size limit (chunked or not) is refused at the limit, one that stalls
for ``BODY_READ_TIMEOUT`` seconds is 408. Replies are always written: a lone surrogate echoed back is escaped, a
NaN or infinity is null.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any, Awaitable, Callable, Mapping

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from .execution.batch import Overloaded
from .json_text import json_bytes
from .metrics import Metrics
from .pipeline import Defaults, ServedPipeline, plan_item
from .rewards import Rewards
from .security import bearer_matches
from .server_config import ServerConfig
from .types import GradeResult, Status
from .verifiers.graders.templates import UNRESOLVED
from .verifiers.ifeval.spec import is_task_row, reference_from_row
from .wire import response_too_large

ITEM_FIELDS = ("response", "reference", "verifier", "options", "prompt")
OPENAI_GRADERS = "/v1/fine_tuning/alpha/graders"
# Seconds a body may go without a byte before it is refused (408): uvicorn has no read timeout of its own (its
# keep-alive timeout runs only between requests), so a client that sends headers and part of a body would
# otherwise hold its connection and buffers for as long as it likes.
BODY_READ_TIMEOUT = 20.0


class BadRequest(Exception):
    """The request cannot be read: 400 with this message; ``param`` names the request field at fault."""

    status = 400
    headers: dict[str, str] | None = None

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


class BodyRefused(BadRequest):
    """A body refused before its end (over the limit, or stalled): the rest of it may still be on the connection,
    so the reply closes it rather than leave uvicorn reading and dropping it."""

    headers = {"Connection": "close"}

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class _JSON(JSONResponse):
    """A JSON reply that is always written, where Starlette's raises (a 500): a lone surrogate (a ``"\\ud800"``
    escape in the request, echoed back) has no UTF-8, so such a reply is ASCII with it escaped as it came; a
    NaN or infinity has no JSON, so it is null."""

    def render(self, content: Any) -> bytes:
        return json_bytes(content, compact=True)  # Starlette's separators


def build_app(pipeline: ServedPipeline, config: ServerConfig, metrics: Metrics,
              body_timeout: float = BODY_READ_TIMEOUT) -> Starlette:
    gateway = Gateway(pipeline, config, metrics, body_timeout)
    routes = [Route("/v1/grade", gateway.wrap(gateway.grade), methods=["POST"]),
              Route("/openrlhf", gateway.wrap(gateway.openrlhf), methods=["POST"]),
              Route("/verify", gateway.wrap(gateway.verify), methods=["POST"]),
              Route("/v1/endpoint-grader", gateway.wrap(gateway.endpoint_grader), methods=["POST"]),
              Route(f"{OPENAI_GRADERS}/run", gateway.wrap(gateway.grader_run, openai=True), methods=["POST"]),
              Route(f"{OPENAI_GRADERS}/validate", gateway.wrap(gateway.grader_validate, openai=True),
                    methods=["POST"]),
              Route("/metrics", gateway.wrap(gateway.metrics_text, parse=False), methods=["GET"]),
              Route("/healthz", gateway.healthz, methods=["GET"])]
    return Starlette(routes=routes)


class Gateway:
    def __init__(self, pipeline: ServedPipeline, config: ServerConfig, metrics: Metrics,
                 body_timeout: float = BODY_READ_TIMEOUT) -> None:
        self.pipeline, self.config, self.metrics = pipeline, config, metrics
        self.body_timeout = body_timeout

    def wrap(self, handler: Callable[[Any], Awaitable[Response]], parse: bool = True, openai: bool = False):
        """Auth, body limits and JSON for a handler that takes the parsed body (``openai``: 400s in OpenAI's
        error shape, which its SDK reads into ``BadRequestError``)."""
        async def endpoint(request: Request) -> Response:
            if self.config.auth_token and not bearer_matches(request.headers.get("authorization"),
                                                             self.config.auth_token):
                return _JSON({"error": "missing or wrong bearer token"}, status_code=401,
                             headers={"WWW-Authenticate": "Bearer"})
            try:
                body = await self._body(request) if parse else None
                return await handler(body)
            except BadRequest as e:
                return _JSON(_openai_error(e) if openai else {"error": str(e)}, status_code=e.status,
                             headers=e.headers)
            except Overloaded as e:
                return _JSON({"error": f"server busy: {e}; retry with backoff"}, status_code=503,
                             headers={"Retry-After": "1"})
        return endpoint

    async def _body(self, request: Request) -> Any:
        limit = self.config.max_message_bytes
        if int(request.headers.get("content-length") or 0) > limit:
            raise BodyRefused(f"the body is over {limit} bytes")
        raw = await self._read(request, limit)
        try:
            return json.loads(raw)
        except (ValueError, RecursionError) as e:
            raise BadRequest(f"the body is not JSON ({e})") from None

    async def _read(self, request: Request, limit: int) -> bytearray:
        """The body as it arrives, refused as soon as it passes ``limit`` (a chunked body has no Content-Length
        to check first) or sends nothing for ``body_timeout`` seconds."""
        raw = bytearray()
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.body_timeout) as deadline:
                async for chunk in request.stream():
                    raw += chunk
                    if len(raw) > limit:
                        raise BodyRefused(f"the body is over {limit} bytes")
                    deadline.reschedule(loop.time() + self.body_timeout)
        except TimeoutError:
            raise BodyRefused(f"the body stalled: nothing came for {self.body_timeout:g} s", status=408) from None
        return raw

    async def _grade(self, items: list[Mapping[str, Any] | GradeResult], defaults: Defaults) -> list[GradeResult]:
        if not items:
            raise BadRequest("the request has no items")
        if len(items) > self.config.max_items:
            raise BadRequest(f"{len(items)} items in one request; the limit is {self.config.max_items}")
        limit = self.config.max_response_bytes
        checked = [i if isinstance(i, GradeResult) else response_too_large(i.get("response"), limit) or i
                   for i in items]
        results = await self.pipeline.grade(checked, defaults)
        self.metrics.graded(items, results)
        return results

    async def grade(self, body: Any) -> Response:
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise BadRequest('the body must be {"items": [...]}, each item with response and reference')
        items = [_item(i) for i in body["items"]]
        defaults = _defaults(body)
        results = await self._grade(items, defaults)
        return _JSON({"results": [_result(i, r) for i, r in zip(body["items"], results)]})

    async def openrlhf(self, body: Any) -> Response:
        """OpenRLHF's remote reward: each query is its prompt + the response; labels are references."""
        if not isinstance(body, dict) or not isinstance(body.get("query"), list):
            raise BadRequest('the body must be {"query": [...], "prompts": [...], "labels": [...]}')
        queries = body["query"]
        prompts = body["prompts"] if body.get("prompts") is not None else [""] * len(queries)
        labels = body.get("labels")
        if not isinstance(labels, list) or not isinstance(prompts, list) or not len(labels) == len(prompts) == len(
                queries):
            raise BadRequest("'query', 'prompts' and 'labels' must be lists of the same length")
        items = [{"response": _without_prompt(q, p), "reference": label, "prompt": p if isinstance(p, str) else ""}
                 for q, p, label in zip(queries, prompts, labels)]
        results = await self._grade(items, _defaults(body))
        rewards = [r.reward for r in results]
        return _JSON({"rewards": rewards, "scores": rewards, "extra_logs": {
            "correct": [float(r.correct) for r in results],
            "graded": [float(r.status is Status.OK) for r in results]}})

    async def verify(self, body: Any) -> Response:
        """NeMo-Gym: the task row and the policy's Responses-API output; the reward and its evidence back."""
        if not isinstance(body, dict):
            raise BadRequest("the body must be a NeMo-Gym verify request (a JSON object)")
        text = _responses_text(body.get("response"))
        verifier, reference = _nemo_task(body)
        prompt = body.get("prompt") if isinstance(body.get("prompt"), str) else ""
        result, = await self._grade([{"response": text, "reference": reference, "verifier": verifier,
                                      "prompt": prompt}], Defaults())
        out = {**body, "reward": result.reward, "correct": result.correct, "status": result.status.value,
               "extracted": result.extracted, "reason": result.reason, "checks": [c.to_dict() for c in result.checks]}
        if result.checks and verifier == "ifeval":
            out["follow_instruction_list"] = [c.passed for c in result.checks]
            out["follow_all_instructions"] = result.correct
        return _JSON(out)

    async def endpoint_grader(self, body: Any) -> Response:
        """Foundry's endpoint grader: the dataset ``item`` and the model's ``sample`` (or ``model_sample``
        text, as the graders/run API names it) → the reward, with the evidence in ``metadata``."""
        if not isinstance(body, dict) or not isinstance(body.get("item", {}), dict):
            raise BadRequest('the body must be {"item": {...}, "sample": {"output_text": ...}}')
        item = body.get("item") or {}
        text = _sample_text(body.get("sample")) if "sample" in body else body.get("model_sample")
        if not isinstance(text, str):
            raise BadRequest("the sample's text is missing: give sample.output_text, a chat-completions sample "
                             "(choices[].message.content), or model_sample")
        reference = next((item[k] for k in ("reference", "reference_answer", "answer", "ground_truth", "expected")
                          if k in item), None)
        if reference is None:
            raise BadRequest("the item has no reference: give item.reference (or reference_answer, answer)")
        prompt = next((item[k] for k in ("prompt", "question") if isinstance(item.get(k), str)), "")
        verifier = item.get("verifier") or body.get("verifier") or "math"
        result, = await self._grade([{"response": text, "prompt": prompt, "verifier": verifier,
                                      "reference": reference if isinstance(reference, (str, list))
                                      else json.dumps(reference), "options": item.get("options") or {}}],
                                    Defaults())
        return _JSON({"score": result.reward, "reward": result.reward, **(
            {"trace_id": body["trace_id"]} if isinstance(body.get("trace_id"), str) else {}), "metadata": {
            "correct": result.correct, "status": result.status.value, "method": result.method,
            "extracted": result.extracted, "reason": result.reason, "checks": [c.to_dict() for c in result.checks]}})

    async def grader_run(self, body: Any) -> Response:
        """OpenAI's graders/run: the config graded on ``model_sample`` (the sample's output_text) and ``item``."""
        config, item = _grader_request(body)
        if not isinstance(body.get("model_sample"), str):
            raise BadRequest("model_sample must be a string (the sample's output_text)", "model_sample")
        start = time.perf_counter()
        result, = await self._grade([_grader_item(config, item, body["model_sample"])], Defaults())
        if result.status is Status.INVALID_ARGUMENT and not _invalid_variable(result):
            raise _config_error(result.reason)
        return _JSON(_run_response(config, result, time.perf_counter() - start))

    async def grader_validate(self, body: Any) -> Response:
        """OpenAI's graders/validate: the config back when the grader verifier would take it, else a 400."""
        config, _ = _grader_request(body)
        outcome = plan_item(_grader_item(config, {}, ""), Defaults())  # validation only: nothing is graded
        if isinstance(outcome, GradeResult):
            raise _config_error(outcome.reason)
        return _JSON({"grader": config})

    async def metrics_text(self, _: Any) -> Response:
        body, content_type = self.metrics.exposition()
        return Response(body, media_type=content_type)

    async def healthz(self, request: Request) -> Response:
        return PlainTextResponse("ok")


def _item(raw: Any) -> Mapping[str, Any] | GradeResult:
    if not isinstance(raw, dict):
        return GradeResult.failure(Status.INVALID_ARGUMENT, "An item must be a JSON object.")
    return {k: raw[k] for k in ITEM_FIELDS if k in raw}


def _result(raw: Any, result: GradeResult) -> dict[str, Any]:
    out = result.to_dict()
    if isinstance(raw, dict) and "id" in raw:
        out = {"id": raw["id"], **out}
    return out


def _defaults(body: dict[str, Any]) -> Defaults:
    verifier = body.get("default_verifier") or "math"
    options = body.get("default_options") or {}
    if not isinstance(verifier, str) or not isinstance(options, dict):
        raise BadRequest("'default_verifier' must be a name and 'default_options' an object")
    shaping = body.get("reward_shaping")
    if shaping is not None and not isinstance(shaping, dict):
        raise BadRequest("'reward_shaping' must be an object of rewards, such as {\"correct\": 1, \"incorrect\": 0}")
    try:
        rewards = Rewards.from_mapping(shaping) if shaping else None
    except (TypeError, ValueError, OverflowError) as e:  # OverflowError: an integer past float's range
        raise BadRequest(f"bad 'reward_shaping': {e}") from None
    return Defaults(verifier, options, rewards) if rewards is not None else Defaults(verifier, options)


def _without_prompt(query: Any, prompt: Any) -> Any:
    if isinstance(query, str) and isinstance(prompt, str) and prompt and query.startswith(prompt):
        return query[len(prompt):]
    return query


def _sample_text(sample: Any) -> str | None:
    """A Foundry/OpenAI grader sample's text: ``output_text``, else the last chat-completions choice."""
    if isinstance(sample, str):
        return sample
    if not isinstance(sample, dict):
        return None
    if isinstance(sample.get("output_text"), str):
        return sample["output_text"]
    for choice in reversed(_list(sample.get("choices"), "sample.choices")):
        message = choice.get("message") if isinstance(choice, dict) else None
        if isinstance(message, dict) and isinstance(message.get("content"), str):
            return message["content"]
    return None


def _responses_text(response: Any) -> str:
    """The text of an OpenAI Responses object's last output message (NeMo-Gym's policy output)."""
    if response is None:
        return ""
    if not isinstance(response, dict):
        raise BadRequest("'response' must be an OpenAI Responses object (a JSON object with 'output')")
    outputs = _list(response.get("output"), "response.output")
    for i in reversed(range(len(outputs))):
        output = outputs[i]
        if isinstance(output, dict) and output.get("type", "message") == "message":
            parts = [c.get("text", "") for c in _list(output.get("content"), f"response.output[{i}].content")
                     if isinstance(c, dict) and c.get("type", "output_text") == "output_text"]
            return "".join(p for p in parts if isinstance(p, str))
    return ""


def _list(value: Any, field: str) -> list[Any]:
    """A request field that must be a JSON array when it is there (missing or null: empty)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadRequest(f"'{field}' must be a list (a JSON array)")
    return value


def _nemo_task(body: dict[str, Any]) -> tuple[str, str]:
    """Which verifier a NeMo-Gym task row asks for, and its reference."""
    if is_task_row(body):
        return "ifeval", reference_from_row(body)
    if isinstance(body.get("verifier"), str) and "reference" in body:
        return body["verifier"], body["reference"]
    for key in ("expected_answer", "answer", "ground_truth", "reference"):
        if key in body:
            return "math", body[key] if isinstance(body[key], str) else json.dumps(body[key])
    raise BadRequest("the verify request names no task: give instruction_id_list and kwargs (instruction "
                     "following), expected_answer (math), or verifier and reference")


# OpenAI's GraderRunResponse.metadata.errors: flags, and the details that go with some of them.
_RUN_ERROR_FLAGS = ("formula_parse_error", "invalid_variable_error", "model_grader_parse_error",
                    "model_grader_refusal_error", "model_grader_server_error", "other_error",
                    "python_grader_runtime_error", "python_grader_server_error", "sample_parse_error",
                    "truncated_observation_error", "unresponsive_reward_error")
_RUN_ERROR_DETAILS = ("model_grader_server_error_details", "python_grader_runtime_error_details",
                      "python_grader_server_error_type")
_CONFIG_FIELD = re.compile(r"\s*\(options\.(grader(?:\.[^()]*)?)\)(\.?)$")
# The pipeline wants a reference; the grader's templates read the OpenAI item's own (item.reference).
_RUN_REFERENCE = "(the item)"


def _grader_request(body: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object with 'grader'", None)
    if not isinstance(body.get("grader"), dict):
        raise BadRequest("grader must be a grader config (a JSON object with a 'type')", "grader")
    item = body.get("item")
    if item is not None and not isinstance(item, dict):
        raise BadRequest("item must be a JSON object (the dataset item the templates read)", "item")
    return body["grader"], item or {}


def _grader_item(config: dict[str, Any], item: dict[str, Any], sample: str) -> dict[str, Any]:
    """A grader-verifier item: the templates' ``item`` namespace is the OpenAI item alone."""
    fields = {"reference": None, "prompt": None, **item}
    return {"response": sample, "reference": _RUN_REFERENCE, "verifier": "grader",
            "options": {"grader": config, "item": fields}}


def _config_error(reason: str) -> BadRequest:
    """The grader verifier's INVALID_ARGUMENT as OpenAI names fields: ``(options.grader.x)`` → ``grader.x``."""
    match = _CONFIG_FIELD.search(reason)
    if match is None:
        return BadRequest(reason, None)
    return BadRequest(f"{reason[:match.start()]} ({match.group(1)}){match.group(2)}", match.group(1))


def _openai_error(error: BadRequest) -> dict[str, Any]:
    return {"error": {"message": str(error), "type": "invalid_request_error", "param": error.param, "code": None}}


def _invalid_variable(result: GradeResult) -> bool:
    """The item was refused for a template variable it lacks ({{item.answer}}): OpenAI's invalid_variable_error,
    a run result with reward 0, not a 400 (the config is valid; this item is not)."""
    # failure() capitalises the reason's first letter
    return result.status is Status.INVALID_ARGUMENT and result.reason.lower().startswith(UNRESOLVED)


def _run_response(config: dict[str, Any], result: GradeResult, seconds: float) -> dict[str, Any]:
    """OpenAI's GraderRunResponse: ``metadata.scores`` has every check's score by name, ``sub_rewards`` a
    multi's sub-graders'; no model graded, so no token usage."""
    errors: dict[str, Any] = {**dict.fromkeys(_RUN_ERROR_FLAGS, False), **dict.fromkeys(_RUN_ERROR_DETAILS)}
    errors["formula_parse_error"] = any(c.name == "calculate_output" and not c.passed for c in result.checks)
    errors["unresponsive_reward_error"] = result.status is Status.TIMEOUT
    errors["invalid_variable_error"] = _invalid_variable(result)
    errors["other_error"] = result.status not in (Status.OK, Status.TIMEOUT) and not errors["invalid_variable_error"]
    subs = config.get("graders") if config["type"] == "multi" else {}
    return {"reward": result.score if result.status is Status.OK else 0.0,
            "metadata": {"name": config.get("name", ""), "type": config["type"], "errors": errors,
                         "execution_time": seconds, "scores": {c.name: c.score for c in result.checks},
                         "token_usage": None, "sampled_model_name": None},
            "sub_rewards": {c.name: c.score for c in result.checks if c.name in subs},
            "model_grader_token_usage_per_model": {}}
