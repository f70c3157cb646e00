"""Question-aware extraction (issue #14): the pair input, its length budget, and checkpoints with and without it.

As in test_lm_extractor.py, a stub tagger gives known per-token probabilities, so the
tests assert what the extractor feeds the model and which tokens a span may come
from, never what a trained model predicts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("transformers")
pytest.importorskip("tokenizers")

import torch  # noqa: E402
from test_lm_extractor import O_ROW, _check_span, b_row, hand_tokenizer  # noqa: E402

from extractor_model import data as datagen  # noqa: E402
from grader.lm import AnswerExtractor  # noqa: E402
from grader.lm.extractor import pair_row, question_ids, window_bounds, window_content  # noqa: E402


class PairStub(torch.nn.Module):
    """A tagger stand-in that checks the pair layout of every row and records it: B 0.99 on
    every digit token it is given (the question's too), 0.6 on the digits listed in ``answers``."""

    def __init__(self, tokenizer, type_vocab_size: int = 2) -> None:
        super().__init__()
        self.config = type("Config", (), {"max_position_embeddings": 512, "type_vocab_size": type_vocab_size})()
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.tok = tokenizer
        self.cls, self.sep, self.pad = (tokenizer.token_to_id(t) for t in ("[CLS]", "[SEP]", "[PAD]"))
        self.rows: list[tuple[list[str], list[int] | None]] = []

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        logits = torch.zeros(*input_ids.shape, 3)
        for r, (ids, mask) in enumerate(zip(input_ids.tolist(), attention_mask.tolist())):
            n = sum(mask)
            assert ids[0] == self.cls and ids[n - 1] == self.sep
            types = None if token_type_ids is None else token_type_ids[r].tolist()[:n]
            if types is not None and 1 in types:
                split = types.index(1)  # the first response token
                assert ids[split - 1] == self.sep and set(types[:split]) == {0} and set(types[split:]) == {1}
            tokens = [self.tok.id_to_token(i) for i in ids[:n]]
            self.rows.append((tokens, types))
            rows = [b_row(0.99 if t == "7" else 0.6) if t.isdigit() else O_ROW for t in tokens]
            logits[r, :n] = torch.tensor(rows, dtype=torch.float32).log()
        return type("Output", (), {"logits": logits})()


def pair_extractor(question_tokens: int = 8, window_tokens: int = 32, type_vocab_size: int = 2):
    tok = hand_tokenizer()
    model = PairStub(tok, type_vocab_size)
    ex = AnswerExtractor(model, tok, window_tokens=window_tokens, overlap=4, threshold=0.5, widen_threshold=0.5,
                         question_tokens=question_tokens)
    return ex, model


def test_pair_row_layout():
    assert pair_row(2, 3, [], [10, 11]) == ([2, 10, 11, 3], [0, 0, 0, 0], 1)
    assert pair_row(2, 3, [7, 8], [10, 11]) == ([2, 7, 8, 3, 10, 11, 3], [0, 0, 0, 0, 1, 1, 1], 4)
    assert window_content(256, 0) == 254  # [CLS] window [SEP]: as before
    assert window_content(256, 64) == 256 - 3 - 64  # [CLS] question [SEP] window [SEP]


def test_question_ids_keep_the_last_tokens():
    tok = hand_tokenizer()
    long_q = "word " * 200 + "so the answer is 5"
    ids = question_ids(tok, [None, "", "   ", "the answer", long_q], 8)
    assert ids[:3] == [[], [], []]
    assert [tok.id_to_token(i) for i in ids[3]] == ["the", "answer"]
    assert [tok.id_to_token(i) for i in ids[4]] == ["word", "word", "word", "so", "the", "answer", "is", "5"]
    assert question_ids(tok, ["the answer"], 0) == [[]]  # not question-aware: nothing read


def test_question_tokens_are_never_part_of_a_span():
    """The question's digits get the higher B probability, yet the span is the response's:
    only response tokens are decoded, and offsets index the response."""
    ex, model = pair_extractor()
    text = "so the answer is 42 ."
    span = ex.extract(text, question="is it 7 or 8")
    assert (span.start, span.end, span.text) == (17, 19, "42")
    tokens, types = model.rows[-1]
    assert tokens[:7] == ["[CLS]", "is", "[UNK]", "7", "[UNK]", "8", "[SEP]"]  # "it", "or": not in the hand vocabulary
    assert types == [0] * 7 + [1] * (len(tokens) - 7)
    _check_span(span, text)
    # a question with the only digits: no span from it
    assert ex.extract("so the answer is word .", question="7 7 7") is None


def test_the_window_budget_counts_the_question():
    """With a question of q tokens a window holds window_tokens - 3 - q response tokens, and
    the windows tile the response as window_bounds says for that content."""
    ex, model = pair_extractor(question_tokens=8, window_tokens=32)
    text = "word " * 60 + "the answer 4"
    ex.extract_batch([text], ["word word word word word word word word word word"])  # 10 tokens, 8 kept
    n_resp = len(ex._encode_tails([text])[0][0])
    content = window_content(32, 8)
    assert content == 21
    rows = model.rows
    assert rows and all(len(tokens) <= 32 for tokens, _ in rows)
    expected = window_bounds(n_resp, content, ex.overlap, 0)
    tokens, types = rows[0]
    assert tokens.count("[SEP]") == 2 and len(tokens) == 3 + 8 + (expected[1] - expected[0])


def test_without_a_question_the_input_is_unchanged():
    """No question (or a model that is not question-aware): the single-segment [CLS] window [SEP]
    and no token types, exactly as before."""
    text = "word " * 40 + "so the answer is 42 ."
    for question_tokens, type_vocab_size, question in ((8, 2, None), (0, 2, "is it 7"), (8, 1, "is it 7")):
        ex, model = pair_extractor(question_tokens, type_vocab_size=type_vocab_size)
        assert ex.question_aware == (question_tokens > 0 and type_vocab_size > 1)
        span = ex.extract(text, question=question)
        assert span is not None and span.text == "42"
        assert all(types is None for _, types in model.rows)
        assert all(tokens.count("[SEP]") == 1 for tokens, _ in model.rows)


def test_mixed_batch_matches_one_by_one():
    ex, _ = pair_extractor()
    texts = ["so the answer is 42 .", "word " * 50 + "the answer is 3 .", "maybe 5 , word 6", ""]
    questions = ["is it 7", None, "7 7 7 7 7 7 7 7 7 7 7 7", "7"]
    batch = ex.extract_batch(texts, questions)
    singles = [ex.extract(t, q) for t, q in zip(texts, questions)]
    key = [None if s is None else (s.start, s.end, s.text) for s in batch]
    assert key == [None if s is None else (s.start, s.end, s.text) for s in singles]
    with pytest.raises(ValueError):
        ex.extract_batch(texts, questions[:2])
    with pytest.raises(TypeError):
        ex.extract_batch(["x"], [3])  # type: ignore[list-item]


def test_featurize_labels_only_response_tokens():
    from extractor_model import train

    tok = train._fast_tokenizer(hand_tokenizer())
    cfg = train.Config(window_tokens=32, overlap=4, train_windows=2, questions=1.0, question_tokens=8)
    text = "word " * 30 + "so the answer is 42 ."
    start = text.index("42")
    with_q = datagen.Example(text, start, start + 2, "int", "plain", question="word word the answer 7")
    without = datagen.Example(text, start, start + 2, "int", "plain")
    feats, stats = train.featurize(tok, [with_q, without], cfg)
    assert stats["question_windows"] == 1 and stats["answer_windows"] == 2
    (ids_q, labels_q, types_q), (ids_n, labels_n, types_n) = feats
    n_q = 5
    assert len(ids_q) <= 32 and len(ids_q) == len(labels_q) == len(types_q)
    assert labels_q[:n_q + 2] == [train.IGNORE] * (n_q + 2) and labels_q[-1] == train.IGNORE
    assert types_q == [0] * (n_q + 2) + [1] * (len(ids_q) - n_q - 2)
    b = labels_q.index(train.B)
    assert tok.convert_ids_to_tokens(ids_q[b:b + 2]) == ["4", "##2"] and labels_q[b + 1] == train.I
    assert set(types_n) == {0} and labels_n[0] == train.IGNORE and ids_n[0] == tok.cls_token_id


@pytest.fixture(scope="module")
def tiny_question_dir(tmp_path_factory) -> Path:
    from tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny_question_extractor"), seed=0, questions=0.5)


def test_question_aware_checkpoint_records_it_and_old_ones_ignore_questions(tiny_question_dir, tmp_path):
    import shutil

    saved = json.loads((tiny_question_dir / "extractor.json").read_text())
    assert saved["question_tokens"] == 16
    ex = AnswerExtractor.load(tiny_question_dir, device="cpu", threshold=0.0)
    assert ex.question_aware and ex.question_tokens == 16
    texts = ["The smallest such number is 120. Other values like 240 and 360 also work but are larger.",
             "So the answer is 42.", "答案是 15。"]
    questions = ["What is the smallest positive integer divisible by 8, 12 and 15?", None, "什么？ " * 50]
    for span, text in zip(ex.extract_batch(texts, questions), texts):
        assert span is not None  # threshold 0: always a span, and it lies in the response
        _check_span(span, text)
    # the same weights with an extractor.json from before issue #14 (no question_tokens): questions ignored
    old_dir = tmp_path / "old"
    shutil.copytree(tiny_question_dir, old_dir)
    del saved["question_tokens"]
    (old_dir / "extractor.json").write_text(json.dumps(saved))
    old = AnswerExtractor.load(old_dir, device="cpu", threshold=0.0)
    assert not old.question_aware
    key = [(s.start, s.end) for s in old.extract_batch(texts, questions)]
    assert key == [(s.start, s.end) for s in old.extract_batch(texts)]


SHIPPED_DIR = Path(__file__).resolve().parents[2] / "extractor_model" / "default"


@pytest.mark.skipif(not (SHIPPED_DIR / "config.json").is_file(), reason="extractor_model/default is missing")
def test_the_shipped_extractor_finds_the_quantity_the_question_asks_for():
    ex = AnswerExtractor.load(str(SHIPPED_DIR), device="cpu")
    assert ex.question_aware
    text = "The perimeter is 26 cm. The area is 40 cm^2. The diagonal is about 9.4 cm. Nice problem!"
    asked = {"Find the area of the rectangle.": "40", "Find the perimeter of the rectangle.": "26",
             "What is the length of the diagonal?": "9.4"}
    spans = ex.extract_batch([text] * len(asked), questions=list(asked))
    assert [span.text.split()[0] if span else None for span in spans] == list(asked.values())
