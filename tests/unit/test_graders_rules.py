"""The rule-based grader types (ranked_list, qa, format, length), the verifier sub-grader that lets
``multi`` shape any verifier's reward, and the qa verifier family."""

from __future__ import annotations

import json

import pytest

import grader
from grader import Status
from grader.integrations.verl import verifier_for
from grader.pipeline import grade_in_worker, grade_inline, plan_item
from grader.verifiers import NeedsWorker
from grader.verifiers.graders.format import layout_failures
from grader.verifiers.graders.length import estimated_tokens, overlong_penalty
from grader.verifiers.graders.ranked_list import name_key, ranked_items
from grader.verifiers.qa.squad import exact_match, final_answer, normalize_answer, substring_match, token_f1


def run(response: str, config: dict, reference: str | list[str] = "ref", **options) -> grader.GradeResult:
    return grader.grade(response, reference, verifier="grader", grader=config, **options)


def invalid(config: dict, words: str) -> None:
    result = run("x", config)
    assert result.status is Status.INVALID_ARGUMENT and words.lower() in result.reason.lower(), result.reason


# --- ranked_list: a synthetic biology-style set -------------------------------------------------

# Each case: the response's ranked list, the accepted names of the causal gene (synonyms as several
# reference items), and the rank the grader must find (None: not listed).
BIOLOGY = [
    ("1. BRCA-1\n2. TP53\n3. PTEN", ["BRCA1"], 1),
    ('["PTEN", "brca1", "ATM"]', ["BRCA1"], 2),
    ("- MLH1\n- MSH2\n- HLA-B*27", ["HLA-B27"], 3),
    ("CFTR, DMD, TNF-α", ["TNF-alpha", "TNFA"], 3),
    ("1) SCN1A: sodium channel\n2) p53 - tumour suppressor", ["TP53", "p53"], 2),
    ("1. **HTT** (huntingtin)\n2. ATXN1", ["HTT"], 1),
    ("1. IL\u20116\n2. IL1B", ["IL-6"], 1),  # a non-breaking hyphen
    ("1. FBN1\n2. COL1A1\n3. TGFBR2", ["ACTA2"], None),
    ("1. β-catenin\n2. APC", ["CTNNB1", "beta-catenin"], 1),
    ("<think>FBN1? no.</think><answer>1. COL3A1\n2. FBN1</answer>", ["FBN1"], 2),
    ("Candidates:\n\n1. GBA\n2. LRRK2\n3. SNCA\n\nI'd start with GBA.", ["SNCA", "PARK1"], 3),
    ("SMN1\nSMN2\nUBA1", ["SMN2"], 2),
]


@pytest.mark.parametrize("response,names,rank", BIOLOGY)
def test_ranked_list_finds_the_causal_gene_on_a_biology_style_set(response, names, rank):
    config = {"type": "ranked_list", "reference": json.dumps(names)}
    result = run(response, config)
    assert result.status is Status.OK and result.method == "grader+ranked_list"
    assert result.score == pytest.approx(0.0 if rank is None else 1 / rank)
    assert (f"rank {rank}:" in result.checks[0].reason) if rank else "names a reference" in result.checks[0].reason


@pytest.mark.parametrize("a,b", [("BRCA-1", "brca1"), ("HLA-B*27", "HLA-B27"), ("TNF-α", "TNF-alpha"),
                                 ("IL\u20136", "il 6"), ("Α1AT", "alpha1at"), ("ﬁbrillin", "FIBRILLIN")])
def test_name_keys_fold_case_punctuation_dashes_and_greek_letters(a, b):
    assert name_key(a) == name_key(b) != ""


def test_different_genes_keep_different_keys():
    assert len({name_key(g) for g in ["BRCA1", "BRCA2", "TP53", "TP63", "HLA-B27", "HLA-B7"]}) == 6


@pytest.mark.parametrize("text,items", [
    ('["A", "B", 3]', ["A", "B", "3"]),
    ('```json\n["A", "B"]\n```', ["A", "B"]),
    ("1. A\n2. B\n(3) C\n#4 D\n* E\n• F", ["A", "B", "C", "D", "E", "F"]),
    ("Here is my list:\n1. A - because\n2. B: also\nThanks", ["A", "B"]),
    ("A; B, C", ["A", "B", "C"]),
    ("A\nB\n\nC", ["A", "B", "C"]),
    ("<answer>X, Y</answer>", ["X", "Y"]),
    ("[not json", ["[not json"]),
    ('My ranking: ["A", "B"].', ["A", "B"]),
    ("1. A\n2. B\nSources: [1]", ["A", "B"]),
])
def test_ranked_items_reads_json_numbered_bulleted_and_separated_lists(text, items):
    assert list(ranked_items(text)) == items


def test_ranked_list_reads_a_json_field_through_a_template():
    config = {"type": "ranked_list", "input": "{{sample.output_json.genes}}", "reference": "{{item.gene}}",
              "scoring": "top_1"}
    response = json.dumps({"genes": ["MECP2", "CDKL5"], "note": "BRCA1"})
    assert run(response, config, item={"gene": "mecp2"}).score == 1.0
    assert run(response, config, item={"gene": "CDKL5"}).score == 0.0


def test_ranked_list_defaults_to_every_reference_of_the_item():
    assert run("1. PKD2\n2. PKD1", {"type": "ranked_list"}, reference=["PKD1", "polycystin-1"]).score == 0.5


@pytest.mark.parametrize("scoring,extra,score", [
    ("reciprocal_rank", {}, 1 / 3), ("top_1", {}, 0.0), ("top_k", {"k": 3}, 1.0), ("top_k", {"k": 2}, 0.0),
    ("exponential", {}, 0.25), ("exponential", {"decay": 0.9}, 0.81),
])
def test_ranked_list_scorings(scoring, extra, score):
    config = {"type": "ranked_list", "reference": "GENE3", "scoring": scoring, **extra}
    assert run("1. GENE1\n2. GENE2\n3. GENE3", config).score == pytest.approx(score)


def test_duplicates_count_once_at_their_first_place():
    config = {"type": "ranked_list", "reference": "BRCA1"}
    assert run("1. BRCA2\n2. brca-2\n3. BRCA 2\n4. BRCA1", config).score == 0.5


def test_a_long_list_earns_nothing_past_max_items():
    genes = [f"GENE{i}" for i in range(10_000)] + ["CFTR"]
    config = {"type": "ranked_list", "reference": "CFTR"}
    long = run(json.dumps(genes), config)
    assert long.score == 0.0 and "100 distinct items" in long.checks[0].reason
    assert run(json.dumps(genes[:4] + ["CFTR"]), config).score == pytest.approx(0.2)
    assert run(json.dumps(genes[:150] + ["CFTR"]), {**config, "max_items": 200}).score == pytest.approx(1 / 151)
    assert run(json.dumps(genes[:20] + ["CFTR"]), {**config, "scoring": "top_k", "k": 10}).score == 0.0


def test_fuzzy_matching_takes_a_threshold_and_exact_takes_the_text_as_written():
    fuzzy = {"type": "ranked_list", "reference": "huntingtin", "match": "fuzzy"}
    assert run("1. ATXN1\n2. Huntingtn", fuzzy).score == 0.5
    assert run("1. BRCA2", {**fuzzy, "reference": "BRCA1"}).score == 0.0  # ratio 0.8 < 0.9
    assert run("1. BRCA2", {**fuzzy, "reference": "BRCA1", "threshold": 0.8}).score == 1.0
    exact = {"type": "ranked_list", "reference": "BRCA1", "match": "exact"}
    assert run("1. brca1\n2. BRCA1", exact).score == 0.5


def test_a_reference_that_names_nothing_scores_zero():
    result = run("1. A", {"type": "ranked_list", "reference": "{{sample.output_json.genes}}"})  # not JSON: ""
    assert result.score == 0.0 and result.checks[0].reason == "the reference names no item"


@pytest.mark.parametrize("extra,field", [
    ({"scoring": "ndcg"}, "scoring"), ({"scoring": "top_k"}, "k"), ({"k": 3}, "k"),
    ({"scoring": "top_k", "k": 500}, "k"), ({"scoring": "exponential", "decay": 1.0}, "decay"),
    ({"decay": 0.5}, "decay"), ({"scoring": "exponential", "decay": 0}, "decay"), ({"threshold": 0.9}, "threshold"),
    ({"match": "fuzzy", "threshold": 2}, "threshold"), ({"match": "regex"}, "match"), ({"max_items": 0}, "max_items"),
    ({"max_items": 10**6}, "max_items"), ({"input": 3}, "input"), ({"reference": ["a"]}, "reference"),
    ({"top_k": 3}, "top_k"),
])
def test_ranked_list_config_errors_name_their_field(extra, field):
    invalid({"type": "ranked_list", **extra}, f"(options.grader.{field})")


# --- qa ------------------------------------------------------------------------------------------

def test_squad_normalization_and_metrics():
    assert normalize_answer("The  U.S.A!") == "usa" and normalize_answer("an Apple a day") == "apple day"
    assert exact_match("the Eiffel Tower.", "Eiffel tower") == 1.0 and exact_match("Eiffel", "Eiffel Tower") == 0.0
    assert token_f1("the cat sat on the mat", "cat on mat") == pytest.approx(6 / 7)
    assert token_f1("dog", "cat") == 0.0 and token_f1("the", "a") == 1.0  # both empty once normalized
    assert substring_match("It is the Eiffel Tower, in Paris", "eiffel tower") == 1.0


@pytest.mark.parametrize("text,answer", [
    ("<answer>a</answer> then <answer> b </answer>", "b"), ("<think>x</think> Paris ", "Paris"),
    ("just Paris", "just Paris"), ("<answer>unclosed", "<answer>unclosed"),
])
def test_the_answer_is_the_last_answer_tag_else_after_thinking_else_everything(text, answer):
    assert final_answer(text) == answer


def test_the_qa_verifier_takes_the_best_of_several_references():
    result = grader.grade("<think>hmm</think><answer>The City of Paris</answer>", ["Lutetia", "city of paris"],
                          verifier="qa")
    assert result.correct and result.score == 1.0 and result.method == "qa+em"
    assert result.extracted == "The City of Paris" and result.normalized == "city of paris"
    f1 = grader.grade("<answer>Paris France</answer>", '["Paris", "Lyon"]', verifier="qa", metric="f1")
    assert not f1.correct and f1.score == pytest.approx(2 / 3) and f1.normalized_reference == "paris"


def test_verl_search_r1_ground_truth_routes_to_qa():
    assert verifier_for("searchR1_nq") == verifier_for("searchR1_hotpotqa") == "qa"
    result = grader.grade("<answer>Barack Obama</answer>", json.dumps({"target": ["Obama", "Barack Obama"]}),
                          verifier="qa")
    assert result.correct
    subem = grader.grade("<answer>Obama</answer>", '{"target": "Barack Obama"}', verifier="qa", metric="subem")
    assert subem.score == 0


def test_qa_without_an_answer_and_with_a_bad_metric():
    assert grader.grade("<answer> </answer>", "x", verifier="qa").status is Status.NO_ANSWER
    bad = grader.grade("x", "x", verifier="qa", metric="bleu")
    assert bad.status is Status.INVALID_ARGUMENT and "metric" in bad.reason


@pytest.mark.parametrize("answer,reference,metric", [("", "The", "em"), ("<answer>the ,</answer>", "A", "em"),
                                                     ("<answer>the ,</answer>", "A", "f1"), ("Paris", "The", "subem")])
def test_what_normalizes_to_nothing_matches_nothing_else(answer: str, reference: str, metric: str):
    """SQuAD scores two empty normalizations a match (and every answer holds the empty string for subem): an
    empty answer took full marks against "The", from the qa grader type and the qa verifier."""
    assert run(answer, {"type": "qa", "metric": metric}, reference=[reference]).score == 0.0
    assert grader.grade(answer, reference, verifier="qa", metric=metric).score == 0.0


@pytest.mark.parametrize("text", ["A", "The The", "an"])
def test_an_answer_of_articles_matches_itself(text: str):
    """Blood type A, the band The The: compared as written where SQuAD's normal form leaves nothing."""
    assert grader.grade(f"<answer>{text.lower()}</answer>", text, verifier="qa").correct
    assert run(text, {"type": "qa"}, reference=[text]).score == 1.0
    assert not grader.grade("<answer>The</answer>", "A", verifier="qa").correct


def test_the_qa_grader_type_reads_templates_and_json_lists():
    config = {"type": "qa", "metric": "f1", "input": "{{sample.output_json.answer}}", "reference": "{{item.answers}}"}
    result = run(json.dumps({"answer": "the Nile river"}), config, item={"answers": ["Amazon", "Nile"]})
    assert result.score == pytest.approx(2 / 3) and "'Nile'" in result.checks[0].reason
    assert run("<answer>Nile</answer>", {"type": "qa"}, reference=["Amazon", "nile"]).score == 1.0
    invalid({"type": "qa", "metric": "rouge"}, "(options.grader.metric)")


# --- format --------------------------------------------------------------------------------------

R1 = {"think": True, "answer_tag": "answer", "nothing_after": True}


@pytest.mark.parametrize("text,rules,failure", [
    ("<think>x</think>\n<answer>4</answer>\n", R1, None),
    ("  <think>x</think><answer>4</answer>", R1, None),
    ("<answer>4</answer>", R1, "does not begin with <think>"),
    ("<think>x <answer>4</answer>", R1, "never closed"),
    ("<think>a</think><think>b</think><answer>4</answer>", R1, "more than one think block"),
    ("<think>x</think><answer>4</answer> and more", R1, "characters after the answer"),
    ("<think>x</think><answer>4</answer><answer>5</answer>", R1, "not exactly one <answer>"),
    ("<think>x</think><answer> </answer>", R1, "is empty"),
    ("<think>x</think></answer>4<answer>", R1, "not exactly one"),
    ("<think>x <answer>1</answer></think> 4", R1, "not exactly one"),  # an answer inside the thinking is none
    (r"so \boxed{\frac{1}{2}}.", {"boxed": True}, None),
    (r"so \boxed{\frac{1}{2}", {"boxed": True}, "no closed \\boxed"),
    (r"\boxed{4} and then", {"boxed": True, "nothing_after": True}, "after the answer"),
    (r"<think>.</think><answer>\boxed{4}</answer>", {**R1, "boxed": True}, None),
    (r"<think>.</think>\boxed{4}<answer>4</answer>", {**R1, "boxed": True}, "no closed \\boxed{…} in <answer>"),
])
def test_format_rules(text, rules, failure):
    config = {"type": "format", **rules}
    result = run(text, config)
    assert result.score == (0.0 if failure else 1.0)
    assert (failure in result.checks[0].reason) if failure else result.checks[0].reason == ""


def test_format_names_every_rule_that_failed():
    failures = layout_failures("no layout at all", True, "answer", True, True)
    assert failures[0] == "does not begin with <think>" and len(failures) == 3


@pytest.mark.parametrize("rules,words", [
    ({}, "at least one of think, answer_tag, boxed (options.grader)"),
    ({"nothing_after": True, "think": True}, "(options.grader.nothing_after)"),
    ({"answer_tag": "<answer>"}, "(options.grader.answer_tag)"), ({"answer_tag": ""}, "(options.grader.answer_tag)"),
    ({"think": "yes"}, "(options.grader.think)"), ({"boxed": 1}, "(options.grader.boxed)"),
    ({"think": True, "input": None}, "(options.grader.input)"),
])
def test_format_config_errors_name_their_field(rules, words):
    invalid({"type": "format", **rules}, words)


# --- length --------------------------------------------------------------------------------------

def _verl_overlong(length: int, max_resp_len: int, buffer: int, factor: float) -> float:
    """verl's DAPORewardManager with overlong_buffer enabled, as written there."""
    expected_len = max_resp_len - buffer
    return min(-(length - expected_len) / buffer * factor, 0)


@pytest.mark.parametrize("length", [0, 100, 3072, 3073, 3500, 4095, 4096])
@pytest.mark.parametrize("factor", [1.0, 0.5])
def test_the_overlong_penalty_is_verls_inside_the_maximum(length, factor):
    assert overlong_penalty(length, 4096, 1024, factor) == pytest.approx(_verl_overlong(length, 4096, 1024, factor))


def test_the_overlong_penalty_is_daposs_piecewise_formula():
    assert overlong_penalty(3072, 4096, 1024) == 0.0 and overlong_penalty(3584, 4096, 1024) == -0.5
    assert overlong_penalty(4096, 4096, 1024) == -1.0 and overlong_penalty(10**6, 4096, 1024) == -1.0
    assert overlong_penalty(10, 10, 0) == 0.0 and overlong_penalty(11, 10, 0) == -1.0  # a hard limit


def test_length_in_characters_tokens_and_a_given_count():
    chars = {"type": "length", "unit": "characters", "max_length": 10, "cache_length": 4}
    assert run("x" * 6, chars).score == 0.0 and run("x" * 8, chars).score == -0.5 and run("x" * 11, chars).score == -1
    within = run("x" * 6, chars)
    assert within.correct and within.checks[0].passed  # pass_threshold defaults to 0 for length
    assert estimated_tokens("Hello, world! x_1 = 3.5") == 9
    tokens = {"type": "length", "max_length": 4, "cache_length": 2}
    assert run("one two three", tokens).score == -0.5
    given = {**tokens, "count": "{{item.response_tokens}}"}
    assert run("one two three", given, item={"response_tokens": 1}).score == 0.0
    assert run("one", given, item={"response_tokens": 4}).score == -1.0
    bad = run("one", given, item={"response_tokens": "²"})
    assert bad.score == 0.0 and "not a whole number" in bad.checks[0].reason


@pytest.mark.parametrize("extra,field", [
    ({"cache_length": 1}, "max_length"), ({"max_length": 0, "cache_length": 0}, "max_length"),
    ({"max_length": 10}, "cache_length"), ({"max_length": 10, "cache_length": 11}, "cache_length"),
    ({"max_length": 10, "cache_length": 1, "unit": "words"}, "unit"),
    ({"max_length": 10, "cache_length": 1, "penalty_factor": 0}, "penalty_factor"),
    ({"max_length": 10, "cache_length": 1, "count": 5}, "count"),
    ({"max_length": True, "cache_length": 1}, "max_length"),
])
def test_length_config_errors_name_their_field(extra, field):
    invalid({"type": "length", **extra}, f"(options.grader.{field})")


# --- the verifier sub-grader: one request, the whole shaped reward -------------------------------

SHAPED = {"type": "multi", "calculate_output": "correctness + 0.1 * format + overlong",
          "graders": {"correctness": {"type": "verifier", "verifier": "math"},
                      "format": {"type": "format", "think": True, "boxed": True, "nothing_after": True},
                      "overlong": {"type": "length", "unit": "characters", "max_length": 60, "cache_length": 20}}}


@pytest.mark.parametrize("response,reference,score", [
    (r"<think>2+2</think> \boxed{4}", "4", 1.1),
    (r"<think>2+2</think> \boxed{5}", "4", 0.1),
    (r"The answer is \boxed{4}", "4", 1.0),
    (r"<think>" + "a" * 26 + r"</think>\boxed{4}", "4", 1.1 - 0.5),  # 50 characters, 10 into the window of 20
    (r"<think>" + "a" * 80 + r"</think>\boxed{4}", "4", 0.1),
])
def test_a_shaped_reward_end_to_end(response, reference, score):
    result = run(response, SHAPED, reference)
    assert result.status is Status.OK and result.score == pytest.approx(score)
    assert [c.name for c in result.checks] == ["correctness", "format", "overlong"]
    correctness = result.checks[0]
    assert correctness.reason.startswith("math ") and correctness.status == "OK"
    assert correctness.score == (1.0 if reference in response else 0)


def test_the_format_terms_reason_reaches_the_multis_check():
    result = run("4", SHAPED, "4")
    assert result.checks[1].reason == "does not begin with <think>; no closed \\boxed{…}"


def test_a_sub_verifier_that_needs_sympy_sends_the_whole_grader_plan_to_a_worker():
    fields = {"response": r"<think>.</think>\boxed{\sin\frac{\pi}{4}}", "reference": r"\frac{\sqrt{2}}{2}",
              "verifier": "grader", "options": {"grader": SHAPED}}  # 41 characters: -0.05 for length
    plan = plan_item(fields)
    assert isinstance(grade_inline(plan), NeedsWorker)
    result = grade_in_worker(plan)
    assert result.status is Status.OK and result.score == pytest.approx(1.05)
    assert "sympy" in result.checks[0].reason
    assert grader.grade(fields["response"], fields["reference"], verifier="grader", grader=SHAPED).score == \
        pytest.approx(1.05)  # the in-process API escalates it (the unit tier's pool runs it inline)
    assert grader.verifiers.get("grader").placement is grader.verifiers.Placement.WORKER


def test_a_sub_verifier_reads_templates_and_its_options():
    config = {"type": "verifier", "verifier": "math", "options": {"precision": 2},
              "input": "{{sample.output_json.value}}", "reference": "{{item.answer}}"}
    assert run(json.dumps({"value": "3.14159"}), config, item={"answer": "3.14"}).score == 1.0
    strict = {**config, "options": {"precision": 4}}
    assert run(json.dumps({"value": "3.14159"}), strict, item={"answer": "3.14"}).score == 0.0
    qa = {"type": "verifier", "verifier": "qa", "options": {"metric": "f1"}}
    assert run("<answer>Paris France</answer>", qa, ["Paris"]).score == pytest.approx(2 / 3)


def test_a_sub_verifier_routes_like_the_pipeline_and_reports_what_it_did_not_grade():
    choice = {"type": "verifier", "verifier": "math", "options": {"config": {}}}  # Math-Verify's config: letters
    result = run("The answer is (B).", choice, "B")
    assert result.score == 1.0 and result.checks[0].name == "multiple_choice"
    none = run("no idea", {"type": "verifier", "verifier": "math"}, "4")
    assert none.score == 0.0 and none.checks[0].status == "NO_ANSWER"
    refused = run("x", {"type": "verifier", "verifier": "ifeval"}, "not an instruction list")
    assert refused.score == 0.0 and refused.checks[0].status == "INVALID_ARGUMENT"
    assert "ifeval refused the item" in refused.checks[0].reason
    empty = run("x", {"type": "verifier", "verifier": "exact", "reference": "{{sample.output_json.x}}"})
    assert empty.checks[0].reason == "the reference is empty"


@pytest.mark.parametrize("extra,words", [
    ({"verifier": "grader"}, "cannot nest itself: put its graders in this config instead (options.grader.verifier)"),
    ({"verifier": "maths"}, "must name a registered verifier (math, multiple_choice"),
    ({}, "(options.grader.verifier)"),
    ({"verifier": "math", "options": []}, "(options.grader.options)"),
    ({"verifier": "math", "options": {"precision": "two"}}, "option 'precision'"),
    ({"verifier": "math", "options": {"precison": 2}}, "unknown option 'precison'"),
    ({"verifier": "math", "options": {"timeout_seconds": 2}}, "(options.grader.options.timeout_seconds)"),
    ({"verifier": "qa", "input": 1}, "(options.grader.input)"),
])
def test_verifier_sub_grader_config_errors_name_their_field(extra, words):
    invalid({"type": "verifier", **extra}, words)


def test_a_nested_error_names_its_path_in_the_multi():
    config = {**SHAPED, "graders": {**SHAPED["graders"], "correctness": {"type": "verifier", "verifier": "grader"}}}
    invalid(config, "(options.grader.graders.correctness.verifier)")
    config = {**SHAPED, "graders": {**SHAPED["graders"], "overlong": {"type": "length", "max_length": 5}}}
    invalid(config, "(options.grader.graders.overlong.cache_length)")


def test_the_readmes_shaped_reward_example():
    shaped = {"type": "multi", "calculate_output": "correctness + 0.1 * format + overlong",
              "graders": {"correctness": {"type": "verifier", "verifier": "math"},
                          "format": {"type": "format", "think": True, "boxed": True, "nothing_after": True},
                          "overlong": {"type": "length", "max_length": 4096, "cache_length": 512,
                                       "count": "{{item.response_tokens}}"}}}
    r = grader.grade(r"<think>2 + 2</think> \boxed{4}", "4", verifier="grader", grader=shaped,
                     item={"response_tokens": 3900})
    assert r.score == pytest.approx(1 + 0.1 - (3900 - 3584) / 512) and r.reward == r.score and not r.correct
    assert r.checks[0].reason.startswith("math ") and r.checks[1].reason == ""
    assert r.checks[2].reason.startswith("3900 tokens")
    full = grader.grade(r"<think>2 + 2</think> \boxed{4}", "4", verifier="grader", grader=shaped,
                        item={"response_tokens": 10})
    assert full.correct and full.reward == pytest.approx(1.1)  # the bonus reaches the trainer past 1


# --- bleu and rouge: the libraries' own scores, counted faster -----------------------------------

def _corpus() -> list[tuple[str, str]]:
    import random

    rng = random.Random(7)
    vocabulary = ["the", "cat", "sat", "on", "mat", ".", ",", "Dog's", "3.5", "1,000", "a-b", "5-6", "&amp;", "\n",
                  "-\n", "é", "(x)", "U.S.", "don't", '"', "!", "x", "y", "<skipped>"]
    pairs = [("", ""), ("", "x"), ("x", ""), ("the cat", "the cat"), ("  ", "x y")]
    for _ in range(150):
        text = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(0, 40)))
        pairs.append((text, text if rng.random() < 0.2 else
                      " ".join(rng.choice(vocabulary) for _ in range(rng.randint(0, 40)))))
    return pairs


def test_bleu_gleu_and_rouge_equal_the_libraries_on_a_fixed_corpus():
    import sacrebleu
    from nltk.translate.gleu_score import sentence_gleu
    from rouge_score import rouge_scorer

    from grader.verifiers.graders import similarity

    kinds = {"rouge_l": "rougeL", **{f"rouge_{n}": f"rouge{n}" for n in range(1, 6)}}
    scorers = {m: rouge_scorer.RougeScorer([k], use_stemmer=False) for m, k in kinds.items()}
    for text, reference in _corpus():
        assert similarity("bleu", text, reference) == pytest.approx(
            sacrebleu.sentence_bleu(text, [reference]).score / 100, abs=1e-12), (text, reference)
        assert similarity("gleu", text, reference) == pytest.approx(
            sentence_gleu([reference.split()], text.split()) if text.split() else 0.0, abs=1e-12), (text, reference)
        for metric, kind in kinds.items():
            assert similarity(metric, text, reference) == pytest.approx(
                scorers[metric].score(reference, text)[kind].fmeasure, abs=1e-12), (metric, text, reference)
    assert similarity("bleu", "a b c d e", "a b c d e") == 1.0 and similarity("rouge_l", "a b", "a b") == 1.0
    assert similarity("gleu", "a b c", "a b c") == 1.0 and similarity("gleu", "a b", "a c") == 1 / 3


@pytest.mark.parametrize("verifier,options", [("grader", {"grader": {"type": "ranked_list"}}), ("qa", {})])
def test_a_huge_response_is_graded_in_a_worker(verifier, options):
    fields = {"response": "1. BRCA1\n" + "x " * 60_000, "reference": "BRCA1", "verifier": verifier,
              "options": options}
    plan = plan_item(fields)
    assert isinstance(grade_inline(plan), NeedsWorker)
    assert grade_in_worker(plan).status is Status.OK
    assert isinstance(grade_inline(plan_item({**fields, "response": "1. BRCA1"})), grader.GradeResult)


def test_reading_a_list_stops_after_ten_items_per_distinct_item_allowed():
    config = {"type": "ranked_list", "reference": "CFTR", "max_items": 5}
    assert run("\n".join(["1. GENE"] * 49 + ["2. CFTR"]), config).score == 0.5
    assert run("\n".join(["1. GENE"] * 50 + ["2. CFTR"]), config).score == 0.0


def test_whole_numbers_may_come_as_doubles_as_grpc_sends_them():
    ranked = {"type": "ranked_list", "reference": "C", "scoring": "top_k", "k": 2.0, "max_items": 5.0}
    assert run("1. A\n2. C", ranked).score == 1.0
    length = {"type": "length", "unit": "characters", "max_length": 10.0, "cache_length": 4.0}
    assert run("x" * 8, length).score == -0.5
    counted = {"type": "length", "max_length": 10, "cache_length": 4, "count": "{{item.tokens}}"}
    assert run("x", counted, item={"tokens": 8.0}).score == -0.5  # renders as 8.0
    invalid({**ranked, "k": 2.5}, "(options.grader.k)")


def test_a_huge_reference_is_graded_in_a_worker():
    """A text_similarity reference is the item's, of any length: a megabyte took 1 to 2 s on the calling thread."""
    config = {"type": "text_similarity", "input": "{{sample.output_text}}", "reference": "{{item.reference}}",
              "evaluation_metric": "fuzzy_match"}
    fields = {"response": "a b", "reference": "a b " * 20_000, "verifier": "grader", "options": {"grader": config}}
    assert isinstance(grade_inline(plan_item(fields)), NeedsWorker)
    assert isinstance(grade_inline(plan_item({**fields, "reference": "a b"})), grader.GradeResult)
