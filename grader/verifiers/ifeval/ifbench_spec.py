"""IFBench's 58 out-of-distribution constraints (allenai/IFBench): their arguments and cross-checks.

Every argument is required: the official checker fills a missing one at random
(a random keyword, count or separator), which makes its verdict a coin toss.
Counts may come as integral floats (``3.0``): a dataset column holding nulls
stores its integers as floats.
"""

from __future__ import annotations

import re
from typing import Any

from ..base import InvalidItem
from .parsers import Parser, _raw_text, _text


def _whole(where: str, value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidItem(f"{where} must be a non-negative integer, not {value!r}")
    return value


def _positive_whole(where: str, value: Any) -> int:
    if _whole(where, value) < 1:
        raise InvalidItem(f"{where} must be a positive integer, not {value!r}")
    return int(value)


def _percentage(where: str, value: Any) -> int:
    if not 0 <= _whole(where, value) <= 100:
        raise InvalidItem(f"{where} must be a percentage from 0 to 100, not {value!r}")
    return int(value)


IFBENCH_ARGUMENTS: dict[str, dict[str, Parser]] = {
    # count
    "count:word_count_range": {"min_words": _whole, "max_words": _whole},
    "count:unique_word_count": {"N": _whole},
    "count:conjunctions": {"small_n": _whole},
    "count:person_names": {"N": _whole},
    "count:numbers": {"N": _whole},
    "count:punctuation": {},
    "count:words_japanese": {"N": _positive_whole},
    "count:pronouns": {"N": _whole},
    "count:keywords_multiple": {f"keyword{i}": _text for i in range(1, 6)},
    # ratio
    "ratio:stop_words": {"percentage": _percentage},
    "ratio:sentence_type": {},
    "ratio:sentence_balance": {},
    "ratio:overlap": {"reference_text": _text, "percentage": _percentage},
    "ratio:sentence_words": {},
    # words
    "words:alphabet": {},
    "words:vowel": {},
    "words:consonants": {},
    "words:palindrome": {},
    "words:prime_lengths": {},
    "words:start_verb": {},
    "words:repeats": {"small_n": _whole},
    "words:odd_even_syllables": {},
    "words:last_first": {},
    "words:paragraph_last_first": {},
    "words:no_consecutive": {},
    "words:keywords_specific_position": {"keyword": _text, "n": _positive_whole, "m": _positive_whole},
    "words:words_position": {"keyword": _text},
    # sentence
    "sentence:alliteration_increment": {},
    "sentence:keyword": {"word": _text, "N": _positive_whole},
    "sentence:increment": {"small_n": _whole},
    # format
    "format:parentheses": {},
    "format:quotes": {},
    "format:options": {"options": _text},
    "format:newline": {},
    "format:emoji": {},
    "format:line_indent": {},
    "format:quote_unquote": {},
    "format:list": {"sep": _raw_text},
    "format:thesis": {},
    "format:sub-bullets": {},
    "format:no_bullets_bullets": {},
    "format:title_case": {},
    "format:output_template": {},
    "format:no_whitespace": {},
    # custom: each a fixed task, named by the id
    "custom:multiples": {},
    "custom:mcq_count_length": {},
    "custom:reverse_newline": {},
    "custom:word_reverse": {},
    "custom:character_reverse": {},
    "custom:sentence_alphabet": {},
    "custom:european_capitals_sort": {},
    "custom:csv_city": {},
    "custom:csv_special_character": {},
    "custom:csv_quotes": {},
    "custom:date_format_list": {},
    # repeat
    "repeat:repeat_change": {"prompt_to_repeat": _raw_text},
    "repeat:repeat_simple": {},
    "repeat:repeat_span": {"prompt_to_repeat": _raw_text, "n_start": _whole, "n_end": _whole},
}


def check_ifbench_consistent(iid: str, args: dict[str, Any]) -> None:
    """Cross-argument checks for the IFBench ids; InvalidItem names the arguments."""
    if iid == "count:word_count_range" and args["min_words"] > args["max_words"]:
        raise InvalidItem(f"{iid} arguments 'min_words' and 'max_words' must satisfy min_words <= max_words")
    elif iid == "repeat:repeat_span" and args["n_start"] > args["n_end"]:
        # An n_end past the request's last word slices to its end, as upstream (its data once
        # gave character indices): only a reversed span is malformed.
        raise InvalidItem(f"{iid} arguments 'n_start' and 'n_end' must satisfy n_start <= n_end")
    elif iid == "format:options" and len(split_options(args["options"])[0]) < 2:
        raise InvalidItem(f"{iid} argument 'options' must list two or more options (separated by /, 'or' or ,)")


def split_options(options: str) -> tuple[tuple[str, ...], bool]:
    """The options of format:options and whether they are letters (a), b), ...), matched exactly.

    As the official checker: split on ``/`` if present, else on ``or``, else on commas; but ``or``
    only as a whole word (upstream splits "Correct or Incorrect" inside "Inc|or|rect").
    """
    letters = re.match(r"\W*[aA]\W*[bB]\W*[cC]\W*", options) is not None
    if "/" in options:
        parts = options.split("/")
    elif re.search(r"\bor\b", options):
        parts = re.split(r"\bor\b", options)
    else:
        parts = options.split(",")
    return tuple(p.strip() for p in parts), letters
