"""A tiny answer-extractor model for tests: trains in a few seconds on 2 CPU cores.

It goes through the same code as ``extractor_model/train.py`` (synthetic data,
WordPiece tokenizer, BERT token classifier, threshold tuning, checkpoint
layout), with a model of about 0.1M parameters. It is not accurate, and what
it outputs depends on the CPU's kernels: tests use it for layout, loading,
batching and serving, never for what it extracts.
"""

from __future__ import annotations

import os
from pathlib import Path


def build_tiny_model(path: str | os.PathLike, seed: int = 0, questions: float = 0.0) -> Path:
    """Generate a small dataset, train a very small tagger, save it to ``path``; return the path.
    ``questions`` > 0: that share of examples carries a question, and the model is question-aware."""
    import torch

    from extractor_model import train

    threads = torch.get_num_threads()
    # One thread: a model this small gains nothing from two, and a second
    # spinning OpenMP thread is what slows training most when other processes
    # share the cores (a test run beside a busy server). 16 epochs: with
    # digit-by-digit numbers 13 were the fewest to find "42" in "The answer is 42.".
    cfg = train.Config(
        out=str(path), seed=seed, n_train=900, n_valid=60, n_eval=0, epochs=16, batch_size=16,
        lr=3e-3, warmup=0.05, window_tokens=128, overlap=16, train_windows=1, vocab_size=1200,
        hidden=64, layers=2, heads=2, intermediate=128, dropout=0.0, token_noise=0.0,
        thresholds=(0.1, 0.2, 0.3, 0.5), threads=1, device="cpu", log_every=0, quiet=True, max_chars=400,
        questions=questions, question_tokens=16,
    )
    try:
        train.run(cfg)
    finally:
        torch.set_num_threads(threads)
    return Path(path)
