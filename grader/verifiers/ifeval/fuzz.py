"""Generated ifeval items for make fuzz and the property tests: real constraints, noisy responses."""

from __future__ import annotations

import json
import random
from typing import Any, Iterator

from ..base import FuzzItem

_CONSTRAINTS: list[tuple[str, dict[str, Any]]] = [
    ("keywords:existence", {"keywords": ["cat", "C++"]}),
    ("keywords:frequency", {"keyword": "the", "frequency": 2, "relation": "at least"}),
    ("keywords:forbidden_words", {"forbidden_words": ["dog"]}),
    ("keywords:letter_frequency", {"letter": "e", "let_frequency": 3, "let_relation": "less than"}),
    ("language:response_language", {"language": "en"}),
    ("length_constraints:number_sentences", {"num_sentences": 2, "relation": "at least"}),
    ("length_constraints:number_paragraphs", {"num_paragraphs": 2}),
    ("length_constraints:number_words", {"num_words": 5, "relation": "less than"}),
    ("length_constraints:nth_paragraph_first_word", {"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "the"}),
    ("detectable_content:number_placeholders", {"num_placeholders": 1}),
    ("detectable_content:postscript", {"postscript_marker": "P.S."}),
    ("detectable_format:number_bullet_lists", {"num_bullets": 2}),
    ("detectable_format:constrained_response", {}),
    ("detectable_format:number_highlighted_sections", {"num_highlights": 1}),
    ("detectable_format:multiple_sections", {"section_spliter": "Section", "num_sections": 2}),
    ("detectable_format:json_format", {}),
    ("detectable_format:title", {}),
    ("combination:two_responses", {}),
    ("combination:repeat_prompt", {"prompt_to_repeat": "Say hi."}),
    ("startend:end_checker", {"end_phrase": "Any other questions?"}),
    ("change_case:capital_word_frequency", {"capital_frequency": 2, "capital_relation": "at least"}),
    ("change_case:english_capital", {}),
    ("change_case:english_lowercase", {}),
    ("punctuation:no_comma", {}),
    ("startend:quotation", {}),
    ("copy:repeat_phrase", {"phrase": "the cat sat", "small_n": 2}),
    ("detectable_format:sentence_hyphens", {}),
    ("detectable_format:bigram_wrapping", {}),
    ("count:counting_composition", {"n_sent": 1, "n_words": 2}),
    ("count:count_unique", {}),
    ("keywords:keyword_specific_position", {"keyword": "cat", "n": 1, "m": 2}),
    ("keywords:start_end", {}),
    ("last_word:last_word_sent", {"last_word": "hi"}),
    ("rlvr:validate_choice", {"options": ["A", "My answer is yes."]}),
    # IFBench
    ("count:word_count_range", {"min_words": 2, "max_words": 6}),
    ("count:conjunctions", {"small_n": 2}),
    ("count:numbers", {"N": 1}),
    ("count:punctuation", {}),
    ("count:words_japanese", {"N": 2}),
    ("count:pronouns", {"N": 2}),
    ("count:keywords_multiple", {"keyword1": "cat", "keyword2": "C++", "keyword3": "the", "keyword4": "a",
                                 "keyword5": "b"}),
    ("ratio:stop_words", {"percentage": 50}),
    ("ratio:sentence_type", {}),
    ("ratio:overlap", {"reference_text": "Say hi. the cat", "percentage": 50}),
    ("ratio:sentence_words", {}),
    ("words:alphabet", {}),
    ("words:start_verb", {}),
    ("words:odd_even_syllables", {}),
    ("words:last_first", {}),
    ("words:keywords_specific_position", {"keyword": "cat", "n": 1, "m": 2}),
    ("sentence:alliteration_increment", {}),
    ("sentence:increment", {"small_n": 1}),
    ("format:parentheses", {}),
    ("format:quotes", {}),
    ("format:options", {"options": "a), b), c), d)"}),
    ("format:emoji", {}),
    ("format:line_indent", {}),
    ("format:quote_unquote", {}),
    ("format:thesis", {}),
    ("format:sub-bullets", {}),
    ("format:no_bullets_bullets", {}),
    ("format:title_case", {}),
    ("custom:mcq_count_length", {}),
    ("custom:reverse_newline", {}),
    ("custom:csv_special_character", {}),
    ("custom:csv_quotes", {}),
    ("custom:date_format_list", {}),
    ("repeat:repeat_change", {"prompt_to_repeat": "Say hi."}),
    ("repeat:repeat_span", {"prompt_to_repeat": "Say hi to the cat", "n_start": 1, "n_end": 3}),
]

_PIECES = ["Say hi.", "the cat", "DOG", "*", "**bold**", "***", "******", "\n", "\n\n", "* item", "- item",
           "[name]", "<<Title>>", "P.S. bye", "Section 1", '"', "{", '{"a": 1}', "```json", ",", "My answer is yes.",
           "Any other questions?", "é", "Привет мир", "   ", "[[[[", "<<<<", "DON'T", "Dr. Smith left.",
           "Question 1:", "A) Cubism", "((([{", ")]}", "'\"", "🐱", "猫", "?!", "<i>thesis</i>", "  - sub", "\t",
           '"a & b"', "ProductID,Category,Brand,Price,Stock", "1805-12-02,", "Zimbabwe", "14, 21"]


def fuzz_items(rng: random.Random) -> Iterator[FuzzItem]:
    while True:
        chosen = rng.sample(_CONSTRAINTS, rng.randint(1, 3))
        reference: dict[str, Any] = {"instruction_id_list": [c[0] for c in chosen], "kwargs": [c[1] for c in chosen]}
        if rng.random() < 0.2:  # a NeMo-Gym row
            reference = {"verifier_metadata": {**reference, "grading_mode": rng.choice(["binary", "fraction"])}}
        response = " ".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 12)))
        yield FuzzItem(response, json.dumps(reference), {"mode": rng.choice(["strict", "loose"])})
