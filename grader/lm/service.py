"""The process-wide LM extractor: loaded once, shared through an InferenceBatcher.

``default_service()`` loads the default model (``$GRADER_EXTRACTOR_MODEL`` or
``extractor_model/default``) on first use and returns None when it cannot,
or when ``GRADER_EXTRACTOR=off``; grading then falls back to rules only.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Protocol

from .batcher import InferenceBatcher

log = logging.getLogger("grader.lm")


class SpanLike(Protocol):
    start: int
    end: int
    text: str
    confidence: float


class LMService:
    """An extractor behind a batcher: concurrent callers share forward passes."""

    def __init__(self, extractor, *, max_batch: int = 32, max_wait_ms: float = 2.0, max_queue: int = 4096) -> None:
        self.extractor = extractor
        self.batcher = InferenceBatcher(extractor.extract_batch, max_batch=max_batch, max_wait_ms=max_wait_ms,
                                        max_queue=max_queue)

    @classmethod
    def load(cls, path: str | None = None, device: str = "auto", **batcher_kw) -> "LMService":
        from .extractor import AnswerExtractor

        return cls(AnswerExtractor.load(path, device=device), **batcher_kw)

    def extract(self, text: str, timeout: float | None = None) -> SpanLike | None:
        return self.batcher(text, timeout)

    async def extract_async(self, text: str) -> SpanLike | None:
        return await self.batcher.run(text)

    def close(self) -> None:
        self.batcher.close()


_lock = threading.Lock()
_service: LMService | None = None
_tried = False


def default_service() -> LMService | None:
    global _service, _tried
    if os.environ.get("GRADER_EXTRACTOR", "").lower() in ("off", "0", "false", "none"):
        return None
    with _lock:
        if not _tried:
            _tried = True
            try:
                _service = LMService.load(device=os.environ.get("GRADER_DEVICE", "auto"))
            except Exception as exc:  # a missing model must not break rule grading
                log.warning("LM extractor unavailable, grading with rules only: %s", exc)
        return _service
