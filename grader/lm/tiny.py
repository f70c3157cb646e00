"""A tiny answer-extractor model for tests: trains in a few seconds on 2 CPU cores.

It goes through the same code as ``extractor_model/train.py`` (synthetic data,
WordPiece tokenizer, BERT token classifier, threshold tuning, checkpoint
layout), with a model of about 0.1M parameters. It is not accurate; it finds
the obvious "The answer is 42." most of the time. Needs the repository
checkout (``extractor_model/`` beside ``grader/``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def _train_module():
    try:
        from extractor_model import train
    except ImportError:
        root = Path(__file__).resolve().parent.parent.parent
        if not (root / "extractor_model" / "train.py").is_file():
            raise ImportError("grader.lm.tiny needs the repository's extractor_model/ directory") from None
        sys.path.insert(0, str(root))
        from extractor_model import train
    return train


def build_tiny_model(path: str | os.PathLike, seed: int = 0) -> Path:
    """Generate a small dataset, train a very small tagger, save it to ``path``; return the path."""
    train = _train_module()
    import torch

    threads = torch.get_num_threads()
    # One thread: a model this small gains nothing from two, and a second
    # spinning OpenMP thread is what slows training most when other processes
    # share the cores (a test run beside a busy server). Training is deterministic
    # for a seed; with digit-by-digit numbers 10 epochs were too few to find "42"
    # in "The answer is 42.", 13 were enough, 16 leave a margin.
    cfg = train.Config(
        out=str(path), seed=seed, n_train=900, n_valid=60, n_eval=0, epochs=16, batch_size=16,
        lr=3e-3, warmup=0.05, window_tokens=128, overlap=16, train_windows=1, vocab_size=1200,
        hidden=64, layers=2, heads=2, intermediate=128, dropout=0.0, token_noise=0.0,
        thresholds=(0.1, 0.2, 0.3, 0.5), threads=1, device="cpu", log_every=0, quiet=True, max_chars=400,
    )
    try:
        train.run(cfg)
    finally:
        torch.set_num_threads(threads)
    return Path(path)
