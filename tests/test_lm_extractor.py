"""The small-LM answer extractor (grader.lm): offsets, no-answer, batching, long inputs, loading.

Most tests use a tiny model trained in a few seconds into a tmp dir; the last
one checks the shipped default model (skipped only where extractor_model/default
is missing).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("transformers")
pytest.importorskip("tokenizers")

from grader.lm import AnswerExtractor, Span  # noqa: E402
from grader.lm.extractor import decode_span, window_bounds  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DIR = REPO / "extractor_model" / "default"

TRICKY = [
    "答案是 15。",
    "答案是15。我们检查：3×5=15。",
    "La respuesta es $\\frac{1}{20}$. ¿Está bien? Sí — ñandú, émigré, naïve.",
    "Die Antwort ist 12 °C. Überprüfung: 2·6 = 12 ✓ 😊🎉",
    "So the answer is $\\boxed{\\begin{pmatrix}1 & 2\\\\3 & 4\\end{pmatrix}}$.",
    "Emoji first 👩‍👩‍👧‍👦 then math \\(x^2+1\\) and the answer is −7.",
    "Tabs\tand\r\nwindows line ends\u00a0with nbsp and zero\u200bwidth: the answer is 42.",
    "Ｆｕｌｌｗｉｄｔｈ ｄｉｇｉｔｓ １２３ and the answer is 123.",
    "Combining ́ accents: e\u0301 a\u0300, the answer is \\$18.90.",
    "x" * 300 + " the answer is 7",
    "🙂" * 200 + " Final answer: 99",
]


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory) -> Path:
    from grader.lm.tiny import build_tiny_model

    path = tmp_path_factory.mktemp("tiny_extractor")
    t0 = time.time()
    build_tiny_model(path, seed=0)
    assert time.time() - t0 < 120  # a few seconds on an idle 2-core machine
    return path


@pytest.fixture(scope="module")
def tiny(tiny_dir) -> AnswerExtractor:
    return AnswerExtractor.load(tiny_dir, device="cpu")


@pytest.fixture(scope="module")
def tiny_always(tiny_dir) -> AnswerExtractor:
    """Threshold 0: a span for every non-empty text, to exercise offsets everywhere."""
    return AnswerExtractor.load(tiny_dir, device="cpu", threshold=0.0)


def _key(spans):
    """Spans without the confidence (padding changes it in the last float bits)."""
    return [None if s is None else (s.start, s.end, s.text) for s in spans]


def _check_span(span: Span | None, text: str) -> None:
    if span is None:
        return
    assert isinstance(span, Span)
    assert 0 <= span.start < span.end <= len(text)
    assert span.text == text[span.start:span.end]
    assert span.text.strip() == span.text  # never starts or ends on whitespace
    assert 0.0 <= span.confidence <= 1.0


def test_checkpoint_layout_and_load_from_path(tiny_dir):
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    for name in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                 "extractor.json", "metrics.json"):
        assert (tiny_dir / name).is_file(), name
    model = AutoModelForTokenClassification.from_pretrained(tiny_dir, local_files_only=True)
    assert model.config.id2label == {0: "O", 1: "B-ANS", 2: "I-ANS"}
    assert AutoTokenizer.from_pretrained(tiny_dir, local_files_only=True) is not None
    ex = AnswerExtractor.load(str(tiny_dir), device="cpu")
    assert ex.device == "cpu"
    assert ex.window_tokens <= 256


def test_load_missing_path_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        AnswerExtractor.load(tmp_path / "nothing-here", device="cpu")


def test_offsets_map_back_exactly(tiny_always):
    spans = tiny_always.extract_batch(TRICKY)
    assert len(spans) == len(TRICKY)
    for text, span in zip(TRICKY, spans):
        assert span is not None, text
        _check_span(span, text)


def test_offsets_one_by_one_equal_batch(tiny_always):
    batch = tiny_always.extract_batch(TRICKY)
    assert _key([tiny_always.extract(t) for t in TRICKY]) == _key(batch)


def test_no_answer(tiny_dir, tiny):
    assert tiny.extract("") is None
    assert tiny.extract("   \n\t ") is None
    assert tiny.extract_batch([]) == []
    never = AnswerExtractor.load(tiny_dir, device="cpu", threshold=1.01)
    assert never.extract_batch(["The answer is 42.", "答案是 15。", "x" * 20_000]) == [None, None, None]


def test_obvious_case(tiny_always):
    """The tiny model is not accurate, but it points at the obvious answer."""
    cases = ["The answer is 42.", "So the answer is 42.", "Therefore, the answer is 42."]
    spans = tiny_always.extract_batch(cases)
    for text, span in zip(cases, spans):
        _check_span(span, text)
    assert sum(s is not None and s.text == "42" for s in spans) >= 2, spans


def test_batch_order_preserved(tiny_always):
    texts = [f"{'Some reasoning. ' * (i % 7 * 40)}The answer is {i}." for i in range(20)]
    texts[3] = ""
    texts[11] = "答案是 15。"
    batch = tiny_always.extract_batch(texts)
    assert len(batch) == len(texts)
    assert batch[3] is None
    for text, span in zip(texts, batch):
        _check_span(span, text)
    assert _key(batch) == _key([tiny_always.extract(t) for t in texts])
    assert _key(tiny_always.extract_batch(texts[::-1])) == _key(batch[::-1])


def test_long_input_reads_the_tail(tiny_always, tiny):
    filler = "We compute 3 + 4 = 7 and then 12 / 3 = 4. " * 400
    text = filler + "The answer is 42."
    assert len(text) > 10_000
    t0 = time.time()
    span = tiny_always.extract(text)
    _check_span(span, text)
    assert span.start > len(text) - 2_000  # found in the tail window
    got = tiny.extract(text)
    _check_span(got, text)
    huge = "reasoning 1 2 3 " * 70_000 + "The answer is 42."  # about 1 MB
    _check_span(tiny.extract(huge), huge)
    assert time.time() - t0 < 20


def test_widening_reads_earlier_windows(tiny_dir):
    """With no answer in the tail, the extractor widens window by window, up to max_windows."""
    ex = AnswerExtractor.load(tiny_dir, device="cpu", threshold=1.01, max_windows=3)
    calls = []
    real = ex._score_windows

    def spy(texts, encoded, jobs, bar):
        calls.append([(lo, hi) for _, lo, hi in jobs])
        return real(texts, encoded, jobs, bar)

    ex._score_windows = spy
    assert ex.extract("word " * 5_000) is None
    assert len(calls) == 3
    his = [c[0][1] for c in calls]
    assert his[0] > his[1] > his[2]


def test_earlier_windows_have_their_own_threshold(tiny_dir):
    """``threshold`` is the tail window's bar, ``widen_threshold`` the earlier windows'."""
    text = "The answer is 42. " + "word " * 2_000
    tail_only = AnswerExtractor.load(tiny_dir, device="cpu", threshold=0.0, widen_threshold=1.01)
    content = tail_only.window_tokens - 2  # tokens per window; each "word " is one token
    span = tail_only.extract(text)
    _check_span(span, text)
    assert span.start >= len(text) - content * 5  # from the tail window
    earlier = AnswerExtractor.load(tiny_dir, device="cpu", threshold=1.01, widen_threshold=0.0)
    span = earlier.extract(text)
    _check_span(span, text)
    assert span.end <= len(text) - (content - earlier.overlap) * 5  # the tail was passed over: window 1
    assert earlier.widen_threshold == 0.0
    unset = AnswerExtractor(earlier.model, earlier._tokenizer, threshold=0.3)
    assert unset.widen_threshold == 0.3  # not given: the same bar for every window


def test_window_candidates_replay_extract(tiny_dir):
    """Replaying window_candidates with the two thresholds gives what extract gives:
    the thresholds are tuned on exactly what the extractor reads."""
    texts = ["The answer is 42.", "答案是 15。", "", "So 3 + 4 = 7. " * 300 + "Final answer: 9", "word " * 3_000]
    probe = AnswerExtractor.load(tiny_dir, device="cpu")
    cands = probe.window_candidates(texts)
    assert len(cands) == len(texts) and cands[2] == []
    assert len(cands[4]) > 1  # a long text: every window is scored
    for bar, widen in ((0.0, 0.0), (0.3, 0.9), (1.01, 0.0), (0.5, 1.01)):
        ex = AnswerExtractor.load(tiny_dir, device="cpu", threshold=bar, widen_threshold=widen)
        want = []
        for windows in cands:
            hit = next((span for k, (p_b, span) in enumerate(windows)
                        if span is not None and p_b >= (bar if k == 0 else widen)), None)
            want.append(hit)
        assert _key(ex.extract_batch(texts)) == _key(want), (bar, widen)


def test_retune_rewrites_only_the_thresholds(tiny_dir, tmp_path):
    """``train.py --retune DIR`` re-tunes a saved checkpoint's thresholds; weights and training figures stay."""
    import json
    import shutil

    from grader.lm.tiny import _train_module

    train = _train_module()
    ckpt = tmp_path / "ckpt"
    shutil.copytree(tiny_dir, ckpt)
    settings = json.loads((ckpt / "extractor.json").read_text())
    settings.update(threshold=0.99, widen_threshold=0.99)
    (ckpt / "extractor.json").write_text(json.dumps(settings))
    trained = json.loads((ckpt / "metrics.json").read_text())["train"]
    cfg = train.Config(n_valid=40, n_eval=0, thresholds=(0.1, 0.3), widen_thresholds=(0.5,), threads=1,
                       max_chars=400, quiet=True)
    train.retune(cfg, str(ckpt))
    settings = json.loads((ckpt / "extractor.json").read_text())
    assert settings["threshold"] in (0.1, 0.3) and settings["widen_threshold"] == 0.5
    metrics = json.loads((ckpt / "metrics.json").read_text())
    assert metrics["train"] == trained and metrics["retuned"]["n_valid"] == 40
    assert set(metrics["valid_em_by_thresholds"]) == {"0.1/0.5", "0.3/0.5"}
    assert (ckpt / "model.safetensors").read_bytes() == (tiny_dir / "model.safetensors").read_bytes()
    ex = AnswerExtractor.load(ckpt, device="cpu")
    assert (ex.threshold, ex.widen_threshold) == (settings["threshold"], 0.5)


def test_window_bounds_and_decode():
    assert window_bounds(0, 254, 32, 0) is None
    assert window_bounds(10, 254, 32, 0) == (0, 10)
    assert window_bounds(10, 254, 32, 1) is None
    assert window_bounds(1000, 254, 32, 0) == (746, 1000)
    assert window_bounds(1000, 254, 32, 1) == (524, 778)  # overlaps window 0 by 32 tokens
    lo, hi = window_bounds(300, 254, 32, 1)
    assert lo == 0 and hi == 300 - 222
    assert window_bounds(300, 254, 32, 2) is None
    probs = [[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.2, 0.1, 0.7], [0.8, 0.1, 0.1]]
    first, last, conf = decode_span(probs, 0.5)
    assert (first, last) == (1, 3)
    assert conf == pytest.approx((0.8 + 0.8 + 0.7) / 3)
    assert decode_span(probs, 0.9) is None
    assert decode_span([], 0.5) is None


def test_thread_safety(tiny):
    texts = ["The answer is 42.", "答案是 15。", "Final answer: 7"] * 5
    expected = tiny.extract_batch(texts)
    out = [None] * 4

    def work(i):
        out[i] = tiny.extract_batch(texts)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(_key(o) == _key(expected) for o in out)


def test_import_grader_stays_light():
    code = "import sys, grader, grader.lm; assert 'torch' not in sys.modules; assert 'transformers' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.skipif(not (DEFAULT_DIR / "config.json").is_file(), reason="extractor_model/default is missing")
def test_default_model_clear_examples():
    t0 = time.time()
    ex = AnswerExtractor.load(device="cpu")
    load_s = time.time() - t0
    assert load_s < 30  # about 2-3 s on an idle machine
    cases = [
        ("Let's solve 2x + 3 = 11. Subtracting 3 gives 2x = 8. Therefore x equals 4. Check: 2·4 + 3 = 11.", "4"),
        ("Adding up, 5 + 7 = 12, so the answer is 12. Wait, I made an error: it is 8 + 7. "
         "Recomputing, 8 + 7 = 15, so it is 15.", "15"),
        ("The probability is one over twenty, so the answer is $\\frac{1}{20}$.", "\\frac{1}{20}"),
        ("The options are (A) 3 (B) 4 (C) 5 (D) 6. Since 2 + 2 = 4, the answer is (B).", "B"),
        ("Die Antwort ist 12. Check: 3 · 4 = 12.", "12"),
        ("答案是 15。", "15"),
        ("I'm not sure how to proceed from here.", None),
        ("So the answer is 42.", "42"),
    ]
    spans = ex.extract_batch([c[0] for c in cases])
    got = [None if span is None else span.text for span in spans]
    for (text, _), span in zip(cases, spans):
        _check_span(span, text)
    # Every one, the self-correction included (the earlier scratch models gave
    # no answer or "8 +" there).
    assert got == [want for _, want in cases]


@pytest.mark.skipif(not (DEFAULT_DIR / "tokenizer.json").is_file(), reason="extractor_model/default is missing")
def test_default_tokenizer_reads_numbers_digit_by_digit():
    """The shipped (uncased MiniLM) tokenizer splits every number into digits, so values
    of lengths training never saw tokenize like seen ones, and offsets index the cased text."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(DEFAULT_DIR / "tokenizer.json"))
    text = "The Answer is 5465, i.e. 12.75 km/h."
    enc = tok.encode(text, add_special_tokens=False)
    digits = [t for t in enc.tokens if any(c.isdigit() for c in t)]
    assert digits == ["5", "##4", "##6", "##5", "1", "##2", "7", "##5"]
    assert enc.tokens[:2] == ["the", "answer"]
    assert [text[a:b] for a, b in enc.offsets][:2] == ["The", "Answer"]


def test_span_never_ends_inside_an_ellipsis():
    from grader.lm.extractor import boundary_flags

    text = "$1, 2, 3, ...$"
    dots = [(i, i + 1) for i, c in enumerate(text) if c == "."]
    starts, ends = boundary_flags(text, dots)
    assert ends == [False, False, True]  # only the last dot may close a span
    assert starts == [True, False, False]


def test_training_is_reproducible_from_a_seed(tiny_dir, tmp_path):
    """Another process, the same seed: the same vocabulary and the same weights."""
    code = ("import sys; from grader.lm.tiny import build_tiny_model; "
            "build_tiny_model(sys.argv[1], seed=0)")
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, timeout=300,
                   cwd=Path(__file__).resolve().parents[1])
    for name in ("tokenizer.json", "model.safetensors"):
        assert (tmp_path / name).read_bytes() == (tiny_dir / name).read_bytes(), name


@pytest.mark.parametrize("text,cut,expected", [
    (r"we get $\boxed{12\text{ cm}^2}$.", r"12\text{ cm}^2}", r"12\text{ cm}^2"),  # the box's brace is outside
    (r"so \[\boxed{\{-5\}}\]", "\\{-5\\", r"\{-5\}"),  # a cut set is closed
    (r"so $\frac{1}{2}$", r"\frac{1}{2}", r"\frac{1}{2}"),  # balanced: unchanged
    ("so {{{{ 7", "{{{{ 7", "{{{{ 7"),  # no closing brace in reach: unchanged
])
def test_span_braces_pair_up(text, cut, expected):
    from grader.lm.extractor import balance_braces

    start = text.index(cut)
    assert text[start:balance_braces(text, start, start + len(cut))] == expected


@pytest.mark.parametrize("text,cut,expected", [
    ("11\n5/6", "11\n5/6", "5/6"),  # a line break is never inside a plain answer
    ("so $\\begin{pmatrix}1\\\\\n2\\end{pmatrix}$", "\\begin{pmatrix}1\\\\\n2\\end{pmatrix}",
     "\\begin{pmatrix}1\\\\\n2\\end{pmatrix}"),  # but inside an environment it may be
    ("it is 4 4/9 pct.", "4 4/9", "4 4/9 pct"),  # a percent marker belongs to its number
    ("so 28%!", "28", "28%"),
    ("so 28 people", "28", "28"),
    ("we have $-43{,}453{,}862$ as", "-", "-43{,}453{,}862"),  # a number is never cut
    ("is 12\\,345.", "12", "12\\,345"),
    ("so .944\n", ".", ".944"),
    ("so 113/187 and", "113", "113/187"),
    ("so 12√11.", "12", "12√11"),
    ("at 0.4824 km/h.", "0.4824 km/", "0.4824 km/h"),
    ("is 9,792 or 5, 6", "-9,"[1:], "9,792"),
    ("so it is 5.", "5", "5"),  # a full stop ends the sentence, not the number
    ("Hence \\(165812\\).", "165812", "165812"),  # \( is a delimiter, not a bracket
    ("we obtain (25, 3, -20).", "(", "(25, 3, -20)"),  # a cut bracket is closed
    ("we have [19, 44) here", "[19", "[19, 44)"),
    ("The answer is (B).", "B)", "B"),  # a bracket never opened is dropped
    ("so \\dfrac{107}{163} ok", "\\dfrac{107}", "\\dfrac{107}{163}"),  # a fraction gets both arguments
    ("$\\begin{pmatrix}1 & 2\\\\3 & 4\\end{pmatrix}$", "\\begin{pmatrix}1 & 2", "\\begin{pmatrix}1 & 2\\\\3 & 4\\end{pmatrix}"),
    ("is 7.57 x 10^-11.", "7.57", "7.57 x 10^-11"),  # scientific notation is one value
    ("is 5 \\times 10^{-2}$", "5", "5 \\times 10^{-2}"),
    ("is 5E-02.", "5E", "5E-02"),
    ("is, 42.", ", 42", "42"),  # never starts at punctuation
    ("has to be $991$.", "$991", "991"),  # a math delimiter is outside
    ("costs \\$277.42 in all", "277.42", "\\$277.42"),  # currency is inside
    ("costs $444.97 in all", "444.97", "$444.97"),
    ("so $x = 5$ here", "5", "5"),
    ("as our answer: \\(0.5\\text{ square units}\\).", "0.5\\text", "0.5\\text{ square units}"),  # a command keeps its argument
    ("we have sqrt(16) as", "sqrt", "sqrt(16)"),  # a function keeps its call
    ("so x (in cm) is", "x", "x"),  # a space before the bracket: not a call
    ("Bottom line: {-9, -2}", "-9, -2", "{-9, -2}"),  # bare braces around the span are a set
    ("=> {129}.", "129", "{129}"),
    ("is \\boxed{129}.", "129", "129"),  # a command's braces are not
    ("so $x^{2}$", "2", "2"),
    ("ok. 4 x 10^-10 is", ". 4 x 10^-10", "4 x 10^-10"),  # never starts at a full stop
    ("so .5 it is", ".5", ".5"),  # unless it is a decimal point
])
def test_span_snaps_to_the_convention(text, cut, expected):
    from grader.lm.extractor import snap_span

    start = text.index(cut)
    a, b = snap_span(text, start, start + len(cut))
    assert text[a:b] == expected


def test_training_continues_from_a_checkpoint(tiny_dir, tmp_path):
    """--init: the checkpoint's tokenizer and base are kept, its weights trained further
    on fresh responses (--train-seed), and the result still loads and extracts."""
    from extractor_model import train

    cfg = train.Config(
        init=str(tiny_dir), base="minilm", train_seed=1, out=str(tmp_path), seed=0, n_train=40, n_valid=20,
        n_eval=0, epochs=1, batch_size=16, lr=1e-3, window_tokens=128, overlap=16, train_windows=1,
        token_noise=0.0, thresholds=(0.3,), widen_thresholds=(0.9,), threads=1, device="cpu",
        log_every=0, quiet=True, max_chars=400,
    )
    metrics = train.run(cfg)
    assert metrics["base"] == "scratch"  # from the checkpoint, not from cfg.base
    assert (tmp_path / "tokenizer.json").read_bytes() == (tiny_dir / "tokenizer.json").read_bytes()
    assert (tmp_path / "model.safetensors").read_bytes() != (tiny_dir / "model.safetensors").read_bytes()
    ex = AnswerExtractor.load(tmp_path, device="cpu")
    _check_span(ex.extract("Adding 40 and 2 gives 42. The answer is 42."), "Adding 40 and 2 gives 42. The answer is 42.")
