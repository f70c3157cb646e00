"""The process-wide LM extractor: loaded once, shared through an InferenceBatcher.

``default_service()`` loads the default model (``$GRADER_EXTRACTOR_MODEL`` or
the shipped ``extractor_model/default``) on first use and returns None when it
cannot, or when ``GRADER_EXTRACTOR=off``; grading then falls back to rules only.

Where the model's forward pass is cheap (on an accelerator, or when
``GRADER_EXTRACTOR=on`` says so) the pipeline asks it by default; elsewhere
only items that ask for it (``extraction: auto`` or ``lm``) do: on CPU a
forward pass costs tens of milliseconds against the rules' tens of microseconds.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from dataclasses import dataclass
from typing import Any, Protocol, Sequence

from .batcher import InferenceBatcher

log = logging.getLogger("grader.lm")


class SpanLike(Protocol):
    start: int
    end: int
    text: str
    confidence: float


@dataclass(frozen=True)
class ExtractionRequest:
    """One caller's input to the batched extractor: the response text and the question it answers."""

    text: str
    question: str | None = None

    def size(self) -> int:
        return len(self.text) + len(self.question or "")


class LMService:
    """An extractor behind a batcher: concurrent callers share forward passes."""

    def __init__(self, extractor, *, max_batch: int = 32, max_wait_ms: float = 2.0, max_queue: int = 4096) -> None:
        self.extractor = extractor
        self.batcher: InferenceBatcher[ExtractionRequest, SpanLike | None] = InferenceBatcher(
            self._extract_batch, max_batch=max_batch, max_wait_ms=max_wait_ms, max_queue=max_queue,
            size_of=ExtractionRequest.size)

    def _extract_batch(self, requests: Sequence[ExtractionRequest]) -> Sequence[Any]:
        texts = [r.text for r in requests]
        if all(r.question is None for r in requests):
            return self.extractor.extract_batch(texts)  # the text-only call every extractor has
        return self.extractor.extract_batch(texts, [r.question for r in requests])

    @classmethod
    def load(cls, path: str | None = None, device: str = "auto", **batcher_kw) -> "LMService":
        from .extractor import AnswerExtractor

        return cls(AnswerExtractor.load(path, device=device), **batcher_kw)

    def extract(self, text: str, timeout: float | None = None, question: str | None = None) -> SpanLike | None:
        return self.batcher(ExtractionRequest(text, question), timeout)

    async def extract_async(self, text: str, question: str | None = None) -> SpanLike | None:
        return await self.batcher.run(ExtractionRequest(text, question))

    def ask(self, query: Any, timeout: float | None = None) -> SpanLike | None:
        """The model-stage call the pipelines make (a ``ModelQuery``: its text and question)."""
        return self.extract(query.text, timeout, query.question)

    async def ask_async(self, query: Any) -> SpanLike | None:
        return await self.extract_async(query.text, query.question)

    @property
    def on_accelerator(self) -> bool:
        return str(getattr(self.extractor, "device", "cpu")) != "cpu"

    def close(self) -> None:
        self.batcher.close()


_lock = threading.Lock()
_service: LMService | None = None
_tried = False


def _switch() -> str:
    """``GRADER_EXTRACTOR``: "off", "on", or "" (decide by the hardware)."""
    value = os.environ.get("GRADER_EXTRACTOR", "").lower()
    return "off" if value in ("off", "0", "false", "none") else "on" if value in ("on", "1", "true") else ""


def asked_by_default(service: LMService | None = None) -> bool:
    """Whether items that do not choose an extraction mode get the LM's second opinion:
    ``GRADER_EXTRACTOR=on``, or the model runs (``service``) or would run on an accelerator."""
    switch = _switch()
    if switch:
        return switch == "on"
    return service.on_accelerator if service is not None else accelerator_present()


@functools.lru_cache(maxsize=1)
def accelerator_present() -> bool:
    """A CUDA device is usable here. Checked once, and torch is imported only where a
    driver is installed: a CPU-only process never pays for the import."""
    if not (os.path.exists("/proc/driver/nvidia/version") or os.path.exists("/dev/nvidiactl")):
        return False
    try:
        import torch

        return bool(torch.cuda.is_available())
    except Exception:  # a broken driver or build: the CPU it is
        return False


def default_service() -> LMService | None:
    global _service, _tried
    if _switch() == "off":
        return None
    with _lock:
        if not _tried:
            _tried = True
            try:
                _service = LMService.load(device=os.environ.get("GRADER_DEVICE", "auto"))
            except Exception as exc:  # a missing model must not break rule grading
                log.warning("LM extractor unavailable, grading with rules only: %s", exc)
        return _service
