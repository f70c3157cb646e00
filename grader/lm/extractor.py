"""The small-LM answer extractor: a token tagger that points at the final answer.

The model (a BERT-style token classifier with labels O, B-ANS, I-ANS) reads a
window of the response's tokens and tags the final answer. It cannot invent
text: a :class:`Span` is a pair of character offsets into the text passed in,
and ``span.text == text[span.start:span.end]`` always holds.

Long responses are read from the end: the last ``window_tokens`` tokens first;
only when that window holds no answer does the extractor look at the window
before it (windows overlap by ``overlap`` tokens so an answer cut by one window
edge is whole in the next), up to ``max_windows`` windows.

A question-aware model (``question_tokens`` > 0 in ``extractor.json``) also
reads the question the response answers: BERT pair input, the question's last
``question_tokens`` tokens as segment A, the response window as segment B
(token type 1), so the window holds that many fewer response tokens. Spans
come only from the response's tokens. Without a question, or with a model that
is not question-aware, the input is the single response window, as before.

torch and transformers are imported inside :meth:`AnswerExtractor.load` so
that ``import grader`` stays light.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

LABELS = ("O", "B-ANS", "I-ANS")
EXTRACTOR_CONFIG = "extractor.json"  # decoding settings saved beside the checkpoint
ENV_MODEL = "GRADER_EXTRACTOR_MODEL"

# widen_threshold: the bar for a span in an earlier window, read only when the
# windows after it held none (None: the same as threshold).
# question_tokens: the most tokens of a question read with the response (0: the model
# is not question-aware and questions are ignored; checkpoints before issue #14).
DEFAULTS = {"threshold": 0.5, "widen_threshold": None, "overlap": 32, "max_windows": 8, "batch_size": 64,
            "question_tokens": 0}


@dataclass(frozen=True)
class Span:
    start: int  # character offsets into the ORIGINAL text passed in
    end: int
    text: str  # == original_text[start:end]
    confidence: float  # 0..1


def default_model_path() -> Path:
    """``$GRADER_EXTRACTOR_MODEL``, else the shipped model (package ``extractor_model``, folder ``default``)."""
    env = os.environ.get(ENV_MODEL)
    if env:
        return Path(env)
    return Path(str(importlib.resources.files("extractor_model") / "default"))


def window_bounds(n_tokens: int, content: int, overlap: int, k: int) -> tuple[int, int] | None:
    """Token range ``[lo, hi)`` of window ``k`` counted from the end, or None past the start.

    Window 0 is the last ``content`` tokens; window k+1 ends ``overlap``
    tokens after window k starts.
    """
    if n_tokens <= 0 or content <= 0:
        return None
    stride = max(1, content - overlap)
    if k > 0 and n_tokens - (k - 1) * stride - content <= 0:
        return None  # window k-1 already reached the first token
    hi = n_tokens - k * stride
    return max(0, hi - content), hi


def question_ids(backend: Any, questions: Sequence[str | None], max_tokens: int) -> list[list[int]]:
    """Per question, the token ids of its last ``max_tokens`` tokens (the asking sentence and
    any instruction are usually at the end of a prompt); ``[]`` for None, a blank question,
    or ``max_tokens`` 0. ``backend`` is a ``tokenizers.Tokenizer``."""
    out: list[list[int]] = [[] for _ in questions]
    todo = [i for i, q in enumerate(questions) if max_tokens > 0 and q is not None and q.strip()]
    if todo:
        # the prompt's tail only: a long problem statement costs no tokenizing beyond what is kept
        encs = backend.encode_batch([questions[i][-max_tokens * 16:] for i in todo], add_special_tokens=False)
        for i, enc in zip(todo, encs):
            ids = [t for t, (a, b) in zip(enc.ids, enc.offsets) if b > a]
            out[i] = ids[-max_tokens:]
    return out


def window_content(window_tokens: int, n_question: int) -> int:
    """Response tokens in one window: ``[CLS] window [SEP]``, or ``[CLS] question [SEP] window [SEP]``."""
    return window_tokens - 2 - (n_question + 1 if n_question else 0)


def pair_row(cls_id: int, sep_id: int, question: Sequence[int], window: Sequence[int]
             ) -> tuple[list[int], list[int], int]:
    """The model input for one window: (ids, token type ids, index of the window's first token).
    Without question tokens exactly the single-segment ``[CLS] window [SEP]``."""
    if not question:
        return [cls_id, *window, sep_id], [0] * (len(window) + 2), 1
    ids = [cls_id, *question, sep_id, *window, sep_id]
    return ids, [0] * (len(question) + 2) + [1] * (len(window) + 1), len(question) + 2


def _word_char(c: str) -> bool:
    """Letters and digits that join into one word (CJK characters and kana stand alone)."""
    return (c.isascii() and c.isalnum()) or (c.isalpha() and ord(c) < 0x2E80)


_SIGN_OR_OPEN = frozenset("-−+([√")
_NUMBER_INNER = frozenset("./,^√")


def _in_number(text: str, i: int) -> bool:
    """Whether characters ``i - 1`` and ``i`` lie inside one number-like atom:
    a sign or opening bracket before a digit (``-7``, ``(25``), a decimal point,
    thousands separator, slash, root or power between digits (``0.5``, ``9,792``,
    ``113/187``, ``12√11``), ``{,}`` and ``\\,`` groups, an exponent sign
    (``5E-02``), and a unit's slash (``km/h``)."""
    a, b = text[i - 1], text[i]
    nxt = text[i + 1] if i + 1 < len(text) else ""
    prev = text[i - 2] if i >= 2 else ""
    if b.isdigit():
        if (a in _SIGN_OR_OPEN or a == ".") and prev != "\\":  # \\( and \\[ are delimiters
            return True
        if a in ",/^" and (prev.isdigit() or (a == "," and prev == "\\")):
            return True
        if a == "}" and text[max(0, i - 3):i] == "{,}":
            return True
    if a.isdigit() and b in _NUMBER_INNER and nxt.isdigit():
        return True
    if a.isdigit() and ((text.startswith("{,}", i) and text[i + 3:i + 4].isdigit())
                        or (text.startswith("\\,", i) and text[i + 2:i + 3].isdigit())):
        return True
    if text[i - 1:i + 2] == "{,}" or text[max(0, i - 2):i + 1] == "{,}":
        return True
    if a == "\\" and b == "," and prev.isdigit() and nxt.isdigit():
        return True
    if a in "eE" and b in "-+" and prev.isdigit() and nxt.isdigit():
        return True
    if (a == "/" and b.isalpha() and prev.isalpha()) or (b == "/" and a.isalpha() and nxt.isalpha()):
        return True
    return False


def _joined(text: str, i: int) -> bool:
    """Whether characters ``i - 1`` and ``i`` belong together: one word, or one run of dots ("...")."""
    if not 0 < i < len(text):
        return False
    a, b = text[i - 1], text[i]
    return (_word_char(a) and _word_char(b)) or a == b == "."


def boundary_flags(text: str, offsets: Sequence[tuple[int, int]]) -> tuple[list[bool], list[bool]]:
    """Per token: may a span start at it, may a span end at it (never inside a word or an ellipsis)."""
    return [not _joined(text, a) for a, _ in offsets], [not _joined(text, b) for _, b in offsets]


def decode_span(
    probs: Sequence[Sequence[float]],
    threshold: float,
    can_start: Sequence[bool] | None = None,
    can_end: Sequence[bool] | None = None,
) -> tuple[int, int, float] | None:
    """The best contiguous B/I run in per-token (O, B, I) probabilities.

    The run starts at the token most likely to be B (among those that may
    start a span) and extends over the following tokens whose most likely
    label is I, then to the end of the word it stops in. Returns (first, last,
    confidence) with confidence the mean probability of the run's labels, or
    None when no token is B with probability >= ``threshold``.
    """
    if not probs:
        return None
    cands = [i for i in range(len(probs)) if can_start is None or can_start[i]]
    if not cands:
        return None
    best = max(cands, key=lambda i: probs[i][1])
    p_b = probs[best][1]
    if p_b < threshold:
        return None
    last = best
    total = p_b
    while last + 1 < len(probs):
        p_o, b, p_i = probs[last + 1]
        if (p_i > p_o and p_i > b) or (can_end is not None and not can_end[last]):
            last += 1
            total += p_i
        else:
            break
    return best, last, float(total / (last - best + 1))


_PERCENT_AFTER_RE = re.compile(r"[ \t]*(?:\\?%|pct\b|percent(?:age)?\b)", re.IGNORECASE)
_SCI_AFTER_RE = re.compile(r"[ \t]*(?:x|×|\\times|\*|·|\\cdot)[ \t]*10[ \t]*\^[ \t]*(?:\{[ \t]*[-−+]?\d+[ \t]*\}|[-−+]?\d+)")
_ONE_ARG_FRAC_RE = re.compile(r"\\[dt]?frac[ \t]*\{[^{}]*\}$")
_OPEN_ENV_RE = re.compile(r"\\begin\{(\w+\*?)\}")
_NEXT_GROUP_RE = re.compile(r"[ \t]*(\{[^{}\n]*\}|[-−+]?\w+)")  # a fraction's second argument, an exponent
_COMMAND_END_RE = re.compile(r"\\[A-Za-z]+$")  # "\text" cut before its argument
_ELLIPSIS_AFTER_RE = re.compile(r"[ \t]*,?[ \t]*(?:\.\.\.|…|\\[lc]?dots(?![A-Za-z])|\\dotsc(?![A-Za-z]))")


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """transformers' progress bars and load reports off, for the duration (restored after)."""
    from transformers.utils import logging as hf_logging

    bars, verbosity = hf_logging.is_progress_bar_enabled(), hf_logging.get_verbosity()
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def window_bar(k: int, threshold: float, widen_threshold: float) -> float:
    """The B probability a span of window ``k`` (0: the tail) must reach."""
    return threshold if k == 0 else widen_threshold


def first_clearing(windows: Sequence[tuple[float, Span | None]], threshold: float,
                   widen_threshold: float) -> Span | None:
    """What the extractor returns for a text whose windows' best spans are ``windows``
    (:meth:`AnswerExtractor.window_candidates`): the first, tail first, that clears its bar."""
    for k, (p_b, span) in enumerate(windows):
        if span is not None and p_b >= window_bar(k, threshold, widen_threshold):
            return span
    return None


def snap_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Span edges moved to the span convention where the tagger is off by a piece:
    a number is never cut (:func:`_in_number`); braces pair up
    (:func:`balance_braces`); a line break outside a LaTeX group or environment
    is never inside an answer (the last line is kept: "11⏎5/6" is not one
    number); a dollar sign is inside when it is currency
    (:func:`_currency_start`); cut brackets, fractions and environments are
    completed (:func:`_complete_structure`); a percent marker or a ``× 10^k``
    right after the number belongs to it."""
    while start > 0 and (_in_number(text, start) or _joined(text, start)):
        start -= 1
    while end < len(text) and (_in_number(text, end) or _joined(text, end)):
        end += 1
    end = balance_braces(text, start, end)
    span = text[start:end]
    if "\n" in span and "\\begin" not in span:
        depth, cut = 0, None
        for k, c in enumerate(span):
            depth += (c == "{") - (c == "}")
            if c == "\n" and depth == 0:
                cut = k
        if cut is not None and span[cut + 1:].strip():
            start += cut + 1
            while start < end and text[start].isspace():
                start += 1
    while start < end - 1 and (text[start] in ",;: \t" or (text[start] == "." and not text[start + 1].isdigit())):
        start += 1
    start = _currency_start(text, start, end)
    end = _complete_structure(text, start, end)
    start, end = _bare_set(text, start, end)
    span = text[start:end]
    m = _PERCENT_AFTER_RE.match(text, end)
    if m and "%" not in span and "percent" not in span.lower():
        end = m.end()
    m = _SCI_AFTER_RE.match(text, end)
    if m and span[-1:].isdigit() and "10^" not in span.replace(" ", ""):
        end = m.end()
    m = _ELLIPSIS_AFTER_RE.match(text, end)
    if m and "," in span:  # "1, 2, 3, ..." goes on: without its ellipsis the list would be another answer
        end = m.end()
    return start, end


def _currency_start(text: str, start: int, end: int) -> int:
    """A dollar sign is part of the answer when it is currency and outside when it
    delimits math: ``\\$18.90`` and a ``$18.90`` with no ``$`` after it on its line
    are currency, the ``$`` of ``$991$`` is a delimiter."""
    if text[start] == "$" and end < len(text) and text[end] == "$":
        return start + 1
    if start > 0 and text[start - 1] == "$" and text[start:start + 1].isdigit():
        if start > 1 and text[start - 2] == "\\":
            return start - 2
        line_end = text.find("\n", end)
        rest = text[end:line_end if line_end != -1 else len(text)]
        if "$" not in rest.replace("\\$", ""):
            return start - 1
    return start


def _bracket_depth(span: str) -> int:
    """Round and square brackets opened minus closed, not counting the ``\\(``/``\\[`` delimiters."""
    bare = span.replace("\\(", "").replace("\\)", "").replace("\\[", "").replace("\\]", "")
    return bare.count("(") + bare.count("[") - bare.count(")") - bare.count("]")


def _complete_structure(text: str, start: int, end: int, reach: int = 64) -> int:
    """The span's end moved past structures it cuts: a bracket opened in the span
    (``(25`` → ``(25, 3, -20)``, ``[19`` → ``[19, 44)``), a fraction with one
    argument (``\\dfrac{107}`` → ``\\dfrac{107}{163}``), an environment with no
    ``\\end``, a power with no exponent; a bracket closed but never opened
    (``B)``) is dropped."""
    span = text[start:end]
    env = _OPEN_ENV_RE.search(span)
    if env:
        end_tag = f"\\end{{{env.group(1)}}}"
        close = -1 if end_tag in span else text.find(end_tag, end, end + 16 * reach)
        if close != -1:
            return close + len(end_tag)
    depth = _bracket_depth(span)
    if depth > 0:
        close = _close_brackets(text, end, depth, "([", ")]", end + reach)
        if close is not None:
            return close
    elif depth < 0 and span[-1:] in (")", "]") and end - start > 1:
        return end - 1
    if _ONE_ARG_FRAC_RE.search(span) or span.endswith("^"):
        group = _NEXT_GROUP_RE.match(text[end:end + reach])
        if group:
            return end + group.end()
    if end < len(text) and text[end] == "{" and _COMMAND_END_RE.search(span):
        return _close_brackets(text, end, 0, "{", "}", end + reach) or end
    if end < len(text) and text[end] == "(" and span[-1:].isalpha():
        return _close_brackets(text, end, 0, "(", ")", end + reach) or end
    return end


def _close_brackets(text: str, j: int, depth: int, opens: str, closes: str, limit: int) -> int | None:
    """Scanning from ``j``, the index just past where ``depth`` open brackets (and any
    opened on the way) are closed; None when a line break or ``limit`` comes first.
    Escaped brackets (``\\(``, ``\\{``) do not count."""
    while j < min(len(text), limit) and text[j] != "\n":
        if text[j - 1] != "\\":
            depth += (text[j] in opens) - (text[j] in closes)
        j += 1
        if depth == 0:
            return j
    return None


def _bare_set(text: str, start: int, end: int) -> tuple[int, int]:
    """Bare braces around the whole span are a set (``{-9, -2}``) and belong to it;
    the braces of a command's argument, a power or a subscript (``\\boxed{5}``,
    ``^{2}``) do not."""
    if 0 < start and end < len(text) and text[start - 1] == "{" and text[end] == "}":
        before = text[start - 2] if start > 1 else " "
        if not (before.isalnum() or before in "\\^_{}"):
            return start - 1, end + 1
    return start, end


def balance_braces(text: str, start: int, end: int, reach: int = 64) -> int:
    """The span's end moved so that its braces pair up: a closing brace of the wrapper
    (``\\boxed{5}``) is dropped, a cut group (``\\{-5\\``) is closed when its brace
    follows within ``reach`` characters. The span convention never leaves one unpaired."""
    depth = text.count("{", start, end) - text.count("}", start, end)
    while depth < 0 and end > start and text[end - 1] == "}":
        end -= 1
        depth += 1
    j = end
    while depth > 0 and j < min(len(text), end + reach):
        depth += (text[j] == "{") - (text[j] == "}")
        j += 1
    return j if depth == 0 else end


def encode_tails(backend: Any, texts: list[str], max_chars: int) -> list[tuple[list[int], list[tuple[int, int]]]]:
    """Token ids and absolute character offsets of the last ``max_chars`` characters of each text.

    ``backend`` is a ``tokenizers.Tokenizer``; offsets are Python string
    indices. Tokens that cover no character are dropped (they can't bound a
    span). Training and inference both tokenize through here.
    """
    bases = [max(0, len(t) - max_chars) for t in texts]
    encs = backend.encode_batch([t[b:] for t, b in zip(texts, bases)], add_special_tokens=False)
    out = []
    for enc, base in zip(encs, bases):
        ids, offs = [], []
        for tid, (a, b) in zip(enc.ids, enc.offsets):
            if b <= a:
                continue
            ids.append(tid)
            offs.append((a + base, b + base))
        out.append((ids, offs))
    return out


class AnswerExtractor:
    """Extract final-answer spans from reasoning responses with a token tagger."""

    device: str

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        device: str = "cpu",
        window_tokens: int = 256,
        threshold: float = DEFAULTS["threshold"],
        widen_threshold: float | None = None,
        overlap: int = DEFAULTS["overlap"],
        max_windows: int = DEFAULTS["max_windows"],
        batch_size: int = DEFAULTS["batch_size"],
        question_tokens: int = DEFAULTS["question_tokens"],
    ) -> None:
        import torch

        self._torch = torch
        self.model = model
        self.device = device
        self.window_tokens = int(window_tokens)
        max_pos = getattr(getattr(model, "config", None), "max_position_embeddings", None)
        if max_pos and self.window_tokens > max_pos:
            self.window_tokens = int(max_pos)
        if self.window_tokens < 8:
            raise ValueError("window_tokens must be at least 8")
        self.threshold = float(threshold)
        self.widen_threshold = self.threshold if widen_threshold is None else float(widen_threshold)
        self.overlap = max(0, min(int(overlap), self.window_tokens // 2))
        self.max_windows = max(1, int(max_windows))
        self.batch_size = max(1, int(batch_size))
        # A model with one token type cannot tell a question from the response: it ignores questions.
        types = getattr(getattr(model, "config", None), "type_vocab_size", 2)
        self.question_tokens = max(0, min(int(question_tokens), self.window_tokens // 2)) if types >= 2 else 0
        # Longest tail of a text ever tokenized: enough characters for
        # max_windows windows of even very short tokens (digits, symbols).
        self.max_tail_chars = max(8192, self.window_tokens * self.max_windows * 8)
        self._lock = threading.Lock()
        self._tokenizer = tokenizer
        backend = getattr(tokenizer, "backend_tokenizer", tokenizer)
        from tokenizers import Tokenizer

        self._backend = Tokenizer.from_str(backend.to_str())
        self._backend.no_truncation()
        self._backend.no_padding()
        self._cls = self._special_id(tokenizer, "cls_token", "[CLS]")
        self._sep = self._special_id(tokenizer, "sep_token", "[SEP]")
        self._pad = self._special_id(tokenizer, "pad_token", "[PAD]")
        self._dtype = next(model.parameters()).dtype

    def _special_id(self, tokenizer: Any, attr: str, fallback: str) -> int:
        tid = getattr(tokenizer, f"{attr}_id", None)
        if tid is None:
            tid = self._backend.token_to_id(fallback)
        if tid is None:
            raise ValueError(f"the tokenizer has no {fallback} token")
        return int(tid)

    # -- loading --------------------------------------------------------------

    @classmethod
    def load(
        cls,
        path: str | os.PathLike | None = None,
        device: str = "auto",
        window_tokens: int = 256,
        **overrides: Any,
    ) -> "AnswerExtractor":
        """Load a token-classification checkpoint from a local directory (never the network).

        ``path`` None: ``$GRADER_EXTRACTOR_MODEL`` or ``extractor_model/default``.
        ``device`` "auto": CUDA (bf16 where supported, else fp16) when available,
        else CPU in float32. ``overrides`` replace the decoding settings saved in
        ``extractor.json`` (threshold, widen_threshold, overlap, max_windows, batch_size,
        question_tokens; a checkpoint without question_tokens ignores questions).
        """
        import torch
        from transformers import AutoModelForTokenClassification, AutoTokenizer

        model_dir = Path(path) if path is not None else default_model_path()
        if not (model_dir / "config.json").is_file():
            raise FileNotFoundError(f"no extractor model at {model_dir} (config.json missing)")
        settings = dict(DEFAULTS)
        cfg_file = model_dir / EXTRACTOR_CONFIG
        if cfg_file.is_file():
            saved = json.loads(cfg_file.read_text(encoding="utf-8"))
            settings.update({k: saved[k] for k in DEFAULTS if k in saved})
        settings.update({k: v for k, v in overrides.items() if v is not None})
        unknown = set(settings) - set(DEFAULTS)
        if unknown:
            raise TypeError(f"unknown extractor settings: {sorted(unknown)}")

        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if device.startswith("cuda"):
            dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        else:
            dtype = torch.float32
        with quiet_transformers():  # no "Loading weights" bar in a CLI's or a server's output
            tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
            model = AutoModelForTokenClassification.from_pretrained(
                str(model_dir), local_files_only=True, dtype=dtype
            )
        model.to(device)
        model.eval()
        return cls(model, tokenizer, device=device, window_tokens=window_tokens, **settings)

    # -- extraction -----------------------------------------------------------

    @property
    def question_aware(self) -> bool:
        """Whether questions passed in are read (``question_tokens`` > 0)."""
        return self.question_tokens > 0

    def extract(self, text: str, question: str | None = None) -> Span | None:
        return self.extract_batch([text], [question])[0]

    def extract_batch(self, texts: list[str], questions: Sequence[str | None] | None = None) -> list[Span | None]:
        """One result per text, in input order: the answer span, or None. ``questions``: per
        text, the question it answers or None (read only by a question-aware model)."""
        texts = list(texts)
        qs = self._check_inputs(texts, questions)
        with self._lock, self._torch.inference_mode():
            return self._extract(texts, qs)

    @staticmethod
    def _check_inputs(texts: list[str], questions: Sequence[str | None] | None) -> list[str | None]:
        for t in texts:
            if not isinstance(t, str):
                raise TypeError(f"texts must be str, not {type(t).__name__}")
        if questions is None:
            return [None] * len(texts)
        qs = list(questions)
        if len(qs) != len(texts):
            raise ValueError(f"{len(qs)} questions for {len(texts)} texts")
        for q in qs:
            if q is not None and not isinstance(q, str):
                raise TypeError(f"questions must be str or None, not {type(q).__name__}")
        return qs

    def _encode_tails(self, texts: list[str]) -> list[tuple[list[int], list[tuple[int, int]]]]:
        return encode_tails(self._backend, texts, self.max_tail_chars)

    def _question_ids(self, questions: Sequence[str | None]) -> list[list[int]]:
        return question_ids(self._backend, questions, self.question_tokens)

    def _extract(self, texts: list[str], questions: Sequence[str | None]) -> list[Span | None]:
        results: list[Span | None] = [None] * len(texts)
        encoded = self._encode_tails(texts)
        qids = self._question_ids(questions)
        pending = [i for i, (ids, _) in enumerate(encoded) if ids]
        for k in range(self.max_windows):
            if not pending:
                break
            still = []
            jobs = self._window_jobs(encoded, qids, pending, k)
            bar = window_bar(k, self.threshold, self.widen_threshold)
            for i, best in self._score_windows(texts, encoded, qids, jobs, bar).items():
                if best is None:
                    still.append(i)
                else:
                    results[i] = best[1]
            pending = still
        return results

    def window_candidates(self, texts: list[str], questions: Sequence[str | None] | None = None
                          ) -> list[list[tuple[float, Span | None]]]:
        """Every window's best span, whatever its score: per text, tail window first, a
        list of (probability of its B token, span). For tuning the two thresholds at once."""
        texts = list(texts)
        qs = self._check_inputs(texts, questions)
        out: list[list[tuple[float, Span | None]]] = [[] for _ in texts]
        with self._lock, self._torch.inference_mode():
            encoded = self._encode_tails(texts)
            qids = self._question_ids(qs)
            pending = [i for i, (ids, _) in enumerate(encoded) if ids]
            for k in range(self.max_windows):
                found = self._score_windows(texts, encoded, qids, self._window_jobs(encoded, qids, pending, k), 0.0)
                for i, best in found.items():
                    out[i].append(best if best is not None else (0.0, None))
                pending = list(found)
        return out

    def _window_jobs(self, encoded, qids: list[list[int]], pending: list[int], k: int) -> list[tuple[int, int, int]]:
        jobs = []
        for i in pending:
            bounds = window_bounds(len(encoded[i][0]), window_content(self.window_tokens, len(qids[i])),
                                   self.overlap, k)
            if bounds is not None:
                jobs.append((i, bounds[0], bounds[1]))
        return jobs

    def _score_windows(self, texts, encoded, qids, jobs, bar: float) -> dict[int, tuple[float, Span] | None]:
        """Tag each window (grouped by length into padded batches); per text, the window's
        best span with the probability of its B token, or None when none reaches ``bar``."""
        torch = self._torch
        found: dict[int, tuple[float, Span] | None] = {}
        jobs = sorted(jobs, key=lambda j: j[2] - j[1] + len(qids[j[0]]))
        for g in range(0, len(jobs), self.batch_size):
            group = jobs[g:g + self.batch_size]
            rows = [pair_row(self._cls, self._sep, qids[i], encoded[i][0][lo:hi]) for i, lo, hi in group]
            width = max(len(row) for row, _, _ in rows)
            ids = torch.full((len(group), width), self._pad, dtype=torch.long)
            mask = torch.zeros((len(group), width), dtype=torch.long)
            types = torch.zeros((len(group), width), dtype=torch.long)
            for r, (row, row_types, _) in enumerate(rows):
                ids[r, :len(row)] = torch.tensor(row, dtype=torch.long)
                mask[r, :len(row)] = 1
                types[r, :len(row)] = torch.tensor(row_types, dtype=torch.long)
            inputs = {"input_ids": ids.to(self.device), "attention_mask": mask.to(self.device)}
            if any(qids[i] for i, _, _ in group):  # without questions: exactly the single-segment call
                inputs["token_type_ids"] = types.to(self.device)
            logits = self.model(**inputs).logits
            probs = logits.float().softmax(-1).cpu()
            for r, (i, lo, hi) in enumerate(group):
                first_token = rows[r][2]
                window = probs[r, first_token:first_token + hi - lo].tolist()
                starts, ends = boundary_flags(texts[i], encoded[i][1][lo:hi])
                hit = decode_span(window, bar, starts, ends)
                if hit is None:
                    found[i] = None
                    continue
                first, last, conf = hit
                offs = encoded[i][1]
                start, end = snap_span(texts[i], offs[lo + first][0], offs[lo + last][1])
                if start >= end:  # snapped to nothing (a lone closing brace): no answer in this window
                    found[i] = None
                    continue
                found[i] = (window[first][1], Span(start, end, texts[i][start:end], min(1.0, max(0.0, conf))))
        return found
