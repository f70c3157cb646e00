"""The ifeval verifier: each of IFEval's 25 instructions passing and failing, its arguments,
the loose variants, scoring, invalid references, and grading through grader.grade."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import grader
from grader import Status
from grader.verifiers.ifeval.text import count_line_items, count_placeholders, sentences, titles


def ref(*pairs: tuple[str, dict]) -> str:
    return json.dumps({"instruction_id_list": [p[0] for p in pairs], "kwargs": [p[1] for p in pairs]})


def verdict(response: str, iid: str, prompt: str = "", mode: str = "strict", **kwargs) -> bool:
    result = grader.grade(response, ref((iid, kwargs)), verifier="ifeval", prompt=prompt, mode=mode)
    assert result.status is Status.OK, result.reason
    assert [c.name for c in result.checks] == [iid]
    return result.checks[0].passed


def required_arguments(cases) -> list[tuple[str, str]]:
    """Every (instruction id, argument name) the cases give: each is required."""
    return sorted({(iid, name) for iid, kwargs, _, _ in cases for name in kwargs})


def without_argument(cases, iid: str, name: str, prompt: str = "") -> grader.GradeResult:
    """Grading with the case of ``iid`` given every argument but ``name``."""
    kwargs = next(k for i, k, _, _ in cases if i == iid)
    reference = ref((iid, {k: v for k, v in kwargs.items() if k != name}))
    return grader.grade("Some response.", reference, verifier="ifeval", prompt=prompt)


ENGLISH = "The quick brown fox jumps over the lazy dog near the river bank today."

# (id, kwargs, a passing response, a failing response)
CASES = [
    ("keywords:existence", {"keywords": ["fox", "River"]}, ENGLISH, "A fox alone."),
    ("keywords:existence", {"keywords": ["C++"]}, "I like C++ a lot.", "I like C a lot."),
    ("keywords:frequency", {"keyword": "the", "frequency": 3, "relation": "at least"}, ENGLISH, "The fox."),
    ("keywords:frequency", {"keyword": "fox", "frequency": 2, "relation": "less than"}, "a fox", "fox FOX"),
    ("keywords:forbidden_words", {"forbidden_words": ["cat"]}, "A category error.", "The Cat sat."),
    ("keywords:letter_frequency", {"letter": "Z", "let_frequency": 2, "let_relation": "at least"}, "zaz", "zap"),
    ("keywords:letter_frequency", {"letter": "a", "let_frequency": 2, "let_relation": "less than"}, "abc", "aa"),
    ("language:response_language", {"language": "en"}, ENGLISH,
     "Le renard brun rapide saute par-dessus le chien paresseux près de la rivière."),
    ("length_constraints:number_sentences", {"num_sentences": 2, "relation": "at least"},
     "Dr. Smith left. He was tired.", "Dr. Smith left at 5 p.m. today."),
    ("length_constraints:number_sentences", {"num_sentences": 2, "relation": "less than"}, "One.", "One. Two."),
    ("length_constraints:number_paragraphs", {"num_paragraphs": 2}, "***\nOne\n***\nTwo\n***", "One *** *** Two"),
    ("length_constraints:number_words", {"num_words": 4, "relation": "less than"}, "one two, three", "a b c d"),
    ("length_constraints:number_words", {"num_words": 3, "relation": "at least"}, "it's ok", "ok"),
    ("length_constraints:nth_paragraph_first_word", {"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "Then"},
     "First.\n\n\"Then, more.", "First.\n\nNext."),
    ("detectable_content:number_placeholders", {"num_placeholders": 2}, "[name] at [address]", "[name] at [addr"),
    ("detectable_content:postscript", {"postscript_marker": "P.S."}, "Hi.\n\np. s. bye", "Hi. PS bye"),
    ("detectable_content:postscript", {"postscript_marker": "P.P.S"}, "Hi.\nP.P.S bye", "Hi.\nP.S. bye"),
    ("detectable_content:postscript", {"postscript_marker": "Note:"}, "Hi.\nNOTE: x", "Hi.\nNote x"),
    ("detectable_format:number_bullet_lists", {"num_bullets": 2}, "* a\n  - b\n**c**", "* a\n* b\n- c"),
    ("detectable_format:constrained_response", {}, "Well. My answer is no.", "My answer is nope"),
    ("detectable_format:number_highlighted_sections", {"num_highlights": 2}, "*a* and **b**", "*a* and * *"),
    ("detectable_format:multiple_sections", {"section_spliter": "Section", "num_sections": 2},
     "Section 1\nx\nSection 2\ny", "Section 1\nx\nsection 2\ny"),
    ("detectable_format:json_format", {}, '```json\n{"a": [1, 2]}\n```', '{"a": 1} trailing'),
    ("detectable_format:title", {}, "<<Poem of joy>>\ntext", "<< >> and <<\n>>"),
    ("combination:two_responses", {}, "One.\n******\nTwo.", "Same.\n******\nSame."),
    ("combination:repeat_prompt", {"prompt_to_repeat": "Write a poem."}, "write a POEM. Roses...", "Sure! Roses"),
    ("startend:end_checker", {"end_phrase": "Any other questions?"}, 'Done. any other questions?"', "Any other questions? Yes"),
    ("change_case:capital_word_frequency", {"capital_frequency": 3, "capital_relation": "at least"},
     "I DON'T know", "I don't KNOW"),
    ("change_case:capital_word_frequency", {"capital_frequency": 2, "capital_relation": "less than"},
     "a WELL-KNOWN fact", "THE BIG one"),
    ("change_case:english_capital", {}, ENGLISH.upper(), ENGLISH),
    ("change_case:english_lowercase", {}, ENGLISH.lower(), ENGLISH),
    ("punctuation:no_comma", {}, "No commas here.", "One, two."),
    ("startend:quotation", {}, '  "Quoted."  ', '"Half quoted.'),
]


@pytest.mark.parametrize("iid,kwargs,good,bad", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_instruction_passes_and_fails(iid, kwargs, good, bad):
    assert verdict(good, iid, **kwargs)
    assert not verdict(bad, iid, **kwargs)


def test_every_instruction_id_is_covered():
    from grader.verifiers.ifeval.checks import CHECKERS
    from grader.verifiers.ifeval.spec import CHOICE_ID, IFBENCH_ARGUMENTS, IFEVALG_ARGUMENTS
    # IFEvalG's 29 and RLVR-IFeval's validate_choice: tests/unit/test_ifevalg.py; IFBench's 58: test_ifbench.py
    ifeval = set(CHECKERS) - set(IFEVALG_ARGUMENTS) - set(IFBENCH_ARGUMENTS) - {CHOICE_ID}
    assert {c[0] for c in CASES} == ifeval and len(ifeval) == 25


def test_an_empty_response_follows_nothing():
    assert not verdict("   ", "punctuation:no_comma")


def test_repeat_prompt_falls_back_to_the_items_prompt():
    assert verdict("Say hi. Hi!", "combination:repeat_prompt", prompt="Say hi.")
    refused = grader.grade("x", ref(("combination:repeat_prompt", {})), verifier="ifeval")
    assert refused.status is Status.INVALID_ARGUMENT and "prompt_to_repeat" in refused.reason


def test_nulls_mean_not_given_as_in_hugging_faces_copy():
    kwargs = {"num_highlights": None, "relation": None, "num_words": 2, "keywords": None}
    assert verdict("a b", "length_constraints:number_words", **{**kwargs, "relation": "at least"})


# --- loose mode: IFEval's eight variants --------------------------------------------------

def test_loose_drops_the_first_line():
    response = "Sure, here it is:\n\"Quoted answer.\""
    assert not verdict(response, "startend:quotation")
    assert verdict(response, "startend:quotation", mode="loose")


def test_loose_drops_the_last_line():
    response = "Done. Any other questions?\nHope this helps"
    assert not verdict(response, "startend:end_checker", end_phrase="Any other questions?")
    assert verdict(response, "startend:end_checker", mode="loose", end_phrase="Any other questions?")


def test_loose_removes_stars():
    response = "**Done. Any other questions?**"
    assert not verdict(response, "startend:end_checker", end_phrase="Any other questions?")
    assert verdict(response, "startend:end_checker", mode="loose", end_phrase="Any other questions?")


def test_loose_drops_both_lines_and_stars():
    response = "Intro\n*\"Quoted\"*\nOutro"
    assert not verdict(response, "startend:quotation")
    assert verdict(response, "startend:quotation", mode="loose")
    result = grader.grade(response, ref(("startend:quotation", {})), verifier="ifeval", mode="loose")
    assert result.method == "ifeval+loose" and "removed" in result.checks[0].reason


# --- scoring and the result -----------------------------------------------------------------

def test_grading_shows_one_check_per_instruction():
    reference = ref(("punctuation:no_comma", {}), ("length_constraints:number_words",
                                                   {"num_words": 3, "relation": "less than"}))
    result = grader.grade("Hello, world and more", reference, verifier="ifeval", prompt="Say hello.")
    assert (result.status, result.correct, result.score, result.method) == (Status.OK, False, 0.0, "ifeval+strict")
    assert [(c.name, c.passed, c.score) for c in result.checks] == [
        ("punctuation:no_comma", False, 0.0), ("length_constraints:number_words", False, 0.0)]
    assert result.checks[1].reason == "4 words, needs fewer than 3"
    assert grader.grade("Hi there", reference, verifier="ifeval").correct


def test_fraction_scoring_is_the_share_followed():
    reference = ref(("punctuation:no_comma", {}), ("startend:quotation", {}))
    result = grader.grade("No commas", reference, verifier="ifeval", scoring="fraction")
    assert (result.correct, result.score, result.reward) == (False, 0.5, 0.5)
    assert grader.grade("No commas", reference, verifier="ifeval").score == 0.0


# --- NeMo-Gym rows: the IFEval form with grading_mode, or inside verifier_metadata ----------------

NEMO_ROW = {"id": 8654, "instruction_id_list": ["punctuation:no_comma", "detectable_format:title"],
            "kwargs": [{}, None], "prompt": "Write a poem.",
            "responses_create_params": {"input": [{"role": "user", "content": "Write a poem."}]}}


@pytest.mark.parametrize("wrap", [lambda row: row, lambda row: {"verifier_metadata": row}], ids=["row", "metadata"])
def test_nemo_gym_grading_mode_sets_the_scoring(wrap):
    fraction = json.dumps(wrap({**NEMO_ROW, "grading_mode": "fraction"}))
    binary = json.dumps(wrap({**NEMO_ROW, "grading_mode": "binary"}))
    assert grader.grade("No title here", fraction, verifier="ifeval").score == 0.5
    assert grader.grade("No title here", binary, verifier="ifeval").score == 0.0
    assert grader.grade("No title here", json.dumps(wrap(NEMO_ROW)), verifier="ifeval").score == 0.0
    # An explicit scoring option wins over the row's grading_mode.
    assert grader.grade("No title here", fraction, verifier="ifeval", scoring="all").score == 0.0
    assert grader.grade("<<Ode>> no commas", binary, verifier="ifeval").correct


def test_nemo_gym_row_gives_its_prompt_to_repeat_prompt():
    row = {"instruction_id_list": ["combination:repeat_prompt"], "kwargs": [None], "prompt": "Say hi."}
    assert grader.grade("Say hi. Hi!", json.dumps(row), verifier="ifeval").correct
    assert not grader.grade("Hi! Say hi.", json.dumps(row), verifier="ifeval").correct
    # The item's own prompt comes first.
    assert not grader.grade("Say hi. Hi!", json.dumps(row), verifier="ifeval", prompt="Say bye.").correct


@pytest.mark.parametrize("reference,words", [
    (json.dumps({**NEMO_ROW, "grading_mode": "partial"}), "grading_mode"),
    (json.dumps({"verifier_metadata": [1]}), "verifier_metadata"),
    (json.dumps({"verifier_metadata": {"kwargs": []}}), "instruction_id_list"),
])
def test_malformed_nemo_gym_rows_are_invalid(reference, words):
    result = grader.grade("Some response.", reference, verifier="ifeval")
    assert result.status is Status.INVALID_ARGUMENT and words in result.reason, result.reason


def test_bad_options_are_invalid():
    result = grader.grade("x", ref(("punctuation:no_comma", {})), verifier="ifeval", mode="lenient")
    assert result.status is Status.INVALID_ARGUMENT and "mode" in result.reason


# --- invalid references ---------------------------------------------------------------------

@pytest.mark.parametrize("reference,words", [
    ("{not json", "not JSON"),
    ("[1, 2]", "instruction_id_list"),
    (json.dumps({"instruction_id_list": []}), "empty"),
    (json.dumps({"instruction_id_list": ["x:y"], "kwargs": [{}]}), "unknown instruction id 'x:y'"),
    (json.dumps({"instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}, {}]}), "one 'kwargs'"),
    (ref(("keywords:frequency", {"keyword": "a", "relation": "at least"})), "'frequency'"),
    (ref(("keywords:frequency", {"keyword": "a", "frequency": -1, "relation": "at least"})), "non-negative"),
    (ref(("keywords:frequency", {"keyword": "a", "frequency": 1, "relation": "at most"})), "'less than'"),
    (ref(("keywords:existence", {"keywords": []})), "keywords"),
    (ref(("keywords:letter_frequency", {"letter": "ab", "let_frequency": 1, "let_relation": "at least"})), "letter"),
    (ref(("language:response_language", {"language": "english"})), "language code"),
    (ref(("length_constraints:nth_paragraph_first_word",
          {"num_paragraphs": 2, "nth_paragraph": 3, "first_word": "x"})), "nth_paragraph"),
    (ref(("punctuation:no_comma", {"num_words": 3})), "takes no argument 'num_words'"),
    (ref(("startend:end_checker", {"end_phrase": 3})), "end_phrase"),
    (ref(("keywords:frequency", {"keyword": "a", "frequency": 1.5, "relation": "at least"})), "non-negative integer"),
    (json.dumps({"instruction_id_list": [["punctuation:no_comma"]], "kwargs": [{}]}), "unknown instruction id"),
    (json.dumps({"instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}], "grading_mode": ["binary"]}),
     "'grading_mode'"),  # these two were "Unhashable type: 'list'"
])
def test_malformed_references_are_invalid_naming_the_problem(reference, words):
    result = grader.grade("Some response.", reference, verifier="ifeval")
    assert result.status is Status.INVALID_ARGUMENT, result
    assert words.lower() in result.reason.lower(), result.reason


def test_a_whole_number_stored_as_a_float_is_a_count():
    """Hugging Face's IFEval kwargs come from a column holding nulls, so its integers are floats (1.0)."""
    assert verdict("hello world", "length_constraints:number_words", num_words=2.0, relation="at least")
    assert not verdict("hello world", "length_constraints:number_words", num_words=3.0, relation="at least")


@pytest.mark.parametrize("response,relation,n,passed", [
    ("Wow!!!", "less than", 2, False), ("This is great!!!", "at least", 2, True),
    ("I can help. Is there anything else? ...", "at least", 3, True), ("Hi. !!", "at least", 3, True),
])
def test_sentences_are_counted_as_nltk_counts_them(response, relation, n, passed):
    """NLTK (the official count) leaves a span of bare punctuation a sentence of its own ("Wow!!" and "!");
    the Punkt package folded it into the one before, so these verdicts differed from the official checker's."""
    assert verdict(response, "length_constraints:number_sentences", num_sentences=n, relation=relation) is passed
    assert sentences("Wow!!!") == ("Wow!!", "!")


# --- the linear scanners return what the official regular expressions do --------------------

PIECES = st.lists(st.sampled_from(["*", "**", "-", " ", "\n", "\t", "[", "]", "<<", ">>", "<", ">", "a", "\u2028"]),
                  max_size=30).map("".join)


@settings(max_examples=400, deadline=None)
@given(PIECES)
def test_scanners_match_the_official_regexes(text):
    assert count_line_items(text, "*") == len(re.findall(r"^\s*\*[^\*].*$", text, flags=re.MULTILINE))
    assert count_line_items(text, "-") == len(re.findall(r"^\s*-.*$", text, flags=re.MULTILINE))
    assert count_placeholders(text) == len(re.findall(r"\[.*?\]", text))
    assert titles(text) == re.findall(r"<<[^\n]+>>", text)


def test_hostile_input_gets_a_verdict():
    """Inputs that make upstream's patterns backtrack get plain verdicts (how fast: make bench,
    tests/integration/test_bench.py::test_bench_ifeval_hostile_input)."""
    for text in ["[" * 50_000, "<<" * 50_000, "\n" * 50_000 + "x", " \n" * 50_000]:
        assert not verdict(text, "detectable_format:title", mode="loose")
        assert not verdict(text, "detectable_content:number_placeholders", num_placeholders=1)
        assert not verdict(text, "detectable_format:number_bullet_lists", num_bullets=1)


# --- inline cost: each text measured once per item; many instructions on long text go to a worker ------------

class _Counting:
    """A tokenizer or detector that records the text of each call, then answers as the real one."""

    def __init__(self, real, method: str) -> None:
        self.real, self.texts = real, []
        setattr(self, method, self._call)
        self._method = method

    def _call(self, text):
        self.texts.append(text)
        return getattr(self.real, self._method)(text)


def test_an_item_measures_each_text_once(monkeypatch):
    """Sentences, Treebank words and the language of a text are computed once for all of an item's
    instructions and loose variants (they were once per instruction and variant: 92 capital-word
    instructions took seconds on 11,000 characters), and the verdicts stay those of separate items."""
    from grader.verifiers.ifeval import grade_ifeval, language, text
    from grader.verifiers.ifeval.spec import parse_reference

    sentence_calls = _Counting(text._sentence_tokenizer(), "tokenize")
    word_calls = _Counting(text.treebank, "tokenize")
    detect_calls = _Counting(language.detector(), "detect")
    response = "Title line\nThe FOX ran. It SAT down! Did it?\n*Stars* here. The FOX ran.\nLast line"
    instructions = [("change_case:capital_word_frequency", {"capital_frequency": 2, "capital_relation": "at least"}),
                    ("length_constraints:number_sentences", {"num_sentences": 9, "relation": "at least"}),
                    ("language:response_language", {"language": "de"}),
                    ("length_constraints:number_words", {"num_words": 5, "relation": "less than"}),
                    ("first_word:first_word_sent", {"first_word": "the"})]
    expected = [verdict(response, iid, mode="loose", **kwargs) for iid, kwargs in instructions]

    monkeypatch.setattr(text, "_sentence_tokenizer", lambda: sentence_calls)
    monkeypatch.setattr(text, "treebank", word_calls)
    monkeypatch.setattr(language, "detector", lambda: detect_calls)
    constraints = parse_reference(ref(*instructions * 10), "").constraints
    result = grade_ifeval(response, constraints, "loose")

    assert [c.passed for c in result.checks] == expected * 10
    for calls in (sentence_calls, word_calls, detect_calls):
        assert calls.texts and max(Counter(calls.texts).values()) == 1, Counter(calls.texts).most_common(3)
    assert text._MEASURED.get() is None  # nothing kept past the item
    assert isinstance(text.sentences(response), tuple) and isinstance(text.treebank_words(response), tuple)


def _treebank_corpus() -> list[str]:
    """The shared IFEval responses' sentences (where the cases are present), and generated text dense in what
    the Treebank rules split on."""
    import random

    from grader.verifiers.ifeval import text
    from accuracy import CASES_DIR, load_cases

    name = "ifeval_gpt4_dev.jsonl"  # beside a clone as ../shared/cases; without it, the generated text alone
    cases = load_cases(name) if (CASES_DIR / name).exists() else []
    corpus = [s for case in cases for s in text.sentences(case["response"])]
    pieces = list("aA'\"`.,:;!?-—–‒―()[]{}<>«»“”‘’„*@#$%&\\/ \n\t\x1c\u2028\u00a0é\u0301_03") + [
        "can", "not", "gon", "na", "'t", "is", "n't", "'ll", "''", "``", "--", "...", "cannot", "wanna ", "'re",
        "'S", "D'ye", "İ", "ǅ", "gimme", "'tis", "more'n", "Mr.", "U.S."]
    rng = random.Random(11)
    return corpus + ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 30))) for _ in range(6_000)]


def test_treebank_words_are_nltks_without_importing_nltk():
    """Importing nltk for its tokenizer loaded scikit-learn and SciPy: 2 s and 180 MB in each grading process."""
    from nltk.tokenize import NLTKWordTokenizer

    from grader.verifiers.ifeval import treebank

    nltk_words = NLTKWordTokenizer()
    differ = [s for s in _treebank_corpus() if treebank.tokenize(s) != nltk_words.tokenize(s)]
    assert not differ, differ[:3]


def test_word_counts_are_nltks_regexp_tokens():
    """NLTK 3.10 runs RegexpTokenizer(r"\\w+") on the regex engine: "½" is no word and a combining accent stays
    inside its word; counted with re, "Mix ½ cup flour." was 4 words and "cafe\u0301s" 2."""
    from nltk.tokenize import RegexpTokenizer

    from grader.verifiers.ifeval import text

    official = RegexpTokenizer(r"\w+")
    assert text.words("Mix ½ cup flour.") == 3 and text.words("cafe\u0301s नमस्ते") == 2
    differ = [s for s in _treebank_corpus() if text.words(s) != len(official.tokenize(s))]
    assert not differ, differ[:3]


def test_an_opening_curly_quote_after_a_sentence_end_stays_with_that_sentence():
    """NLTK 3.10.4's Punkt pulls ‘ and “ back onto the sentence before, as it does ’ ” and ASCII quotes; the
    Punkt package made them start the next sentence, which changed sentence-type and balance verdicts."""
    assert sentences("Why?‘ No. Yes.") == ("Why?‘", "No.", "Yes.")
    assert sentences("Go! “ Stop. Why?") == ("Go! “", "Stop.", "Why?")
    assert sentences("She said “Hello.” Then she left.") == ("She said “Hello.”", "Then she left.")


def test_many_instructions_on_a_long_response_go_to_a_worker():
    """The inline limit counts instructions x characters too: 40 instructions on 11,000 characters fit
    INLINE_MAX_CHARS but would rescan the response 40 times on the server's event loop."""
    from grader.types import Item
    from grader.verifiers.base import NeedsWorker
    from grader.verifiers.ifeval import IFEvalVerifier

    def inline(response: str, count: int) -> bool:
        verifier = IFEvalVerifier()
        reference = ref(*[("length_constraints:number_words", {"num_words": 5, "relation": "at least"})] * count)
        plan = verifier.prepare(Item(response, (reference,)), {"mode": "loose"})
        try:
            verifier.grade(plan, in_worker=False)
        except NeedsWorker:
            return False
        return True

    assert not inline("word " * 2_200, 40)
    assert inline("word " * 2_200, 10)  # real items: at most ~10 instructions
    assert inline("word " * 3_800, 10)
    assert inline("word " * 200, 40)  # many instructions on a short response stay inline
    assert not inline("word " * 4_100, 1)  # past INLINE_MAX_CHARS, as before
