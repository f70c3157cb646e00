"""Reading a reference into constraints: IFEval's evaluation form, validated once.

The ids are IFEval's 25, IFEvalG's 29 and IFBench's 58 (``ifbench_spec``), one table.

The reference is ``{"instruction_id_list": [...], "kwargs": [{...}, ...]}`` as a
JSON string, one kwargs mapping per id; a null means "not given" (Hugging Face's
copy of IFEval gives every id every argument name, nulls for the others). The
official checker fills a missing argument at random; here it is INVALID_ARGUMENT.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, replace
from typing import Any, Mapping

from ..base import InvalidItem
from .ifbench_spec import IFBENCH_ARGUMENTS, check_ifbench_consistent
from .parsers import (RELATIONS, Parser, _count, _language, _letter, _lower_text, _options, _positive, _raw_text,
                      _relation, _text, _texts, _word)

Args = Mapping[str, Any]


@dataclass(frozen=True)
class Constraint:
    """One instruction to check: its IFEval id and its validated arguments."""

    id: str
    args: tuple[tuple[str, Any], ...]

    def arg(self, name: str) -> Any:
        return dict(self.args)[name]


# Every id's arguments, all required (prompt_to_repeat falls back to the item's prompt).
ARGUMENTS: dict[str, dict[str, Parser]] = {
    "keywords:existence": {"keywords": _texts},
    "keywords:frequency": {"keyword": _text, "frequency": _count, "relation": _relation},
    "keywords:forbidden_words": {"forbidden_words": _texts},
    "keywords:letter_frequency": {"letter": _letter, "let_frequency": _count, "let_relation": _relation},
    "language:response_language": {"language": _language},
    "length_constraints:number_sentences": {"num_sentences": _count, "relation": _relation},
    "length_constraints:number_paragraphs": {"num_paragraphs": _count},
    "length_constraints:number_words": {"num_words": _count, "relation": _relation},
    "length_constraints:nth_paragraph_first_word": {"num_paragraphs": _count, "nth_paragraph": _count,
                                                    "first_word": _lower_text},
    "detectable_content:number_placeholders": {"num_placeholders": _count},
    "detectable_content:postscript": {"postscript_marker": _text},
    "detectable_format:number_bullet_lists": {"num_bullets": _count},
    "detectable_format:constrained_response": {},
    "detectable_format:number_highlighted_sections": {"num_highlights": _count},
    "detectable_format:multiple_sections": {"section_spliter": _text, "num_sections": _count},
    "detectable_format:json_format": {},
    "detectable_format:title": {},
    "combination:two_responses": {},
    "combination:repeat_prompt": {"prompt_to_repeat": _text},
    "startend:end_checker": {"end_phrase": _text},
    "change_case:capital_word_frequency": {"capital_frequency": _count, "capital_relation": _relation},
    "change_case:english_capital": {},
    "change_case:english_lowercase": {},
    "punctuation:no_comma": {},
    "startend:quotation": {},
}

# open-instruct's IFEvalG: the 29 ids its IF-RLVR training data adds to IFEval's 25.
IFEVALG_ARGUMENTS: dict[str, dict[str, Parser]] = {
    "copy:repeat_phrase": {"phrase": _text, "small_n": _positive},
    "copy:copy": {"prompt_to_repeat": _text},
    "new:copy_span_idx": {"prompt_to_repeat": _raw_text, "n_start": _count, "n_end": _count},
    "detectable_format:sentence_hyphens": {},
    "keywords:no_adjacent_consecutive": {},
    "detectable_format:square_brackets": {},
    "keywords:word_once": {"keyword": _text},
    "keywords:word_count_different_numbers": {"keyword": _text, "frequency": _count, "relation": _relation},
    "keywords:exclude_word_harder": {"keyword": _text},
    "paragraphs:paragraphs": {},
    "paragraphs:paragraphs2": {},
    "first_word:first_word_sent": {"first_word": _word},
    "first_word:first_word_answer": {"first_word": _word},
    "last_word:last_word_sent": {"last_word": _word},
    "last_word:last_word_answer": {"last_word": _word},
    "detectable_format:bigram_wrapping": {},
    "copy:copying_simple": {"prompt_to_repeat": _text},
    "copy:copying_multiple": {"prompt_to_repeat": _text, "N": _positive},
    "punctuation:punctuation_dot": {},
    "punctuation:punctuation_exclamation": {},
    "count:lowercase_counting": {"N": _count},
    "letters:letter_counting": {"N": _count, "relation": _relation},
    "letters:letter_counting2": {"letter": _letter, "let_frequency": _count, "let_relation": _relation},
    "count:counting_composition": {"n_sent": _positive, "n_words": _positive},
    "count:count_unique": {},
    "count:count_increment_word": {"keyword1": _text, "keyword2": _text},
    "keywords:palindrome": {},
    "keywords:keyword_specific_position": {"keyword": _word, "n": _positive, "m": _positive},
    "keywords:start_end": {},
}
ARGUMENTS.update(IFEVALG_ARGUMENTS)
# IFBench's 58 out-of-distribution constraints (ifbench_spec).
ARGUMENTS.update(IFBENCH_ARGUMENTS)

# RLVR-IFeval's validate_choice ("Answer with one of the following options: ...") has no IFEval id
# (IFEval's constrained_response fixes its three options): its check goes by this name.
CHOICE_ID = "rlvr:validate_choice"
ARGUMENTS[CHOICE_ID] = {"options": _options}

MAX_REFERENCE_CHARS = 100_000
MAX_PHRASE_WORDS = 100  # copy:repeat_phrase compares each window word by word

# open-instruct's RLVR-IFeval ground truth ({"func_name": ..., "N": ..., "quantifier": ...}): each
# func_name as the IFEval id it checks, and how its argument names read as that id's kwargs.
# A count with no quantifier (verify_keyword_frequency, verify_letter_frequency) means exactly N.
FUNC_NAMES: dict[str, tuple[str, dict[str, str]]] = {
    "verify_keywords": ("keywords:existence", {"keyword_list": "keywords"}),
    "verify_keyword_frequency": ("keywords:word_count_different_numbers", {"word": "keyword", "N": "frequency"}),
    "validate_forbidden_words": ("keywords:forbidden_words", {"forbidden_words": "forbidden_words"}),
    "verify_letter_frequency": ("keywords:letter_frequency", {"letter": "letter", "N": "let_frequency"}),
    "validate_response_language": ("language:response_language", {"language": "language"}),
    "verify_paragraph_count": ("length_constraints:number_paragraphs", {"N": "num_paragraphs"}),
    "validate_word_constraint": ("length_constraints:number_words", {"N": "num_words", "quantifier": "relation"}),
    "verify_sentence_constraint": ("length_constraints:number_sentences",
                                   {"N": "num_sentences", "quantifier": "relation"}),
    "validate_paragraphs": ("length_constraints:nth_paragraph_first_word",
                            {"N": "num_paragraphs", "i": "nth_paragraph", "first_word": "first_word"}),
    "verify_postscript": ("detectable_content:postscript", {"postscript_marker": "postscript_marker"}),
    "validate_placeholders": ("detectable_content:number_placeholders", {"N": "num_placeholders"}),
    "verify_bullet_points": ("detectable_format:number_bullet_lists", {"N": "num_bullets"}),
    "validate_title": ("detectable_format:title", {}),
    "validate_highlighted_sections": ("detectable_format:number_highlighted_sections", {"N": "num_highlights"}),
    "validate_sections": ("detectable_format:multiple_sections",
                          {"N": "num_sections", "section_splitter": "section_spliter"}),
    "validate_json_format": ("detectable_format:json_format", {}),
    "validate_repeat_prompt": ("combination:repeat_prompt", {"original_prompt": "prompt_to_repeat"}),
    "validate_two_responses": ("combination:two_responses", {}),
    "validate_uppercase": ("change_case:english_capital", {}),
    "validate_lowercase": ("change_case:english_lowercase", {}),
    "validate_frequency_capital_words": ("change_case:capital_word_frequency",
                                         {"N": "capital_frequency", "quantifier": "capital_relation"}),
    "validate_end": ("startend:end_checker", {"end_phrase": "end_phrase"}),
    "validate_quotation": ("startend:quotation", {}),
    "validate_no_commas": ("punctuation:no_comma", {}),
    "validate_choice": (CHOICE_ID, {"options": "options"}),
}
# Relations only this format asks for: "at most" and "exactly" as integer comparisons, "around"
# within if_functions.py's tolerance (checks.around_tolerance).
EXTRA_RELATIONS = ("at most", "exactly", "around")


# NeMo-Gym's grading_mode, as this verifier's scoring option.
GRADING_MODES = {"binary": "all", "fraction": "fraction"}


@dataclass(frozen=True)
class Instructions:
    """What a reference asks for: its constraints, and the scoring it names (NeMo-Gym's grading_mode)."""

    constraints: tuple[Constraint, ...]
    scoring: str | None = None


# The fields of a task row (Google IFEval's input_data.jsonl, a NeMo-Gym instruction-following row)
# that make its reference.
ROW_FIELDS = ("instruction_id_list", "kwargs", "prompt", "grading_mode", "verifier_metadata")


def is_task_row(row: Mapping[str, Any]) -> bool:
    """Whether a dataset row carries its instructions as fields of its own (IFEval's ``instruction_id_list``
    and ``kwargs``, or NeMo-Gym's ``verifier_metadata``) rather than as a reference string."""
    return "instruction_id_list" in row or isinstance(row.get("verifier_metadata"), dict)


def reference_from_row(row: Mapping[str, Any]) -> str:
    """The reference string (IFEval's JSON form) for a task row's own fields; ``parse_reference`` validates it."""
    return json.dumps({key: row[key] for key in ROW_FIELDS if key in row})


def parse_reference(reference: str, prompt: str) -> Instructions:
    """The instructions a reference asks for; InvalidItem names what is malformed or missing.

    Four forms, told apart by their content: IFEval's ``{"instruction_id_list", "kwargs"}`` JSON
    (a NeMo-Gym row is one, with ``grading_mode``, or holds one in ``verifier_metadata``),
    open-instruct's RLVR-IFeval ``{"func_name": ...}`` JSON, and IF_multi_constraints'
    Python literal ``[{'instruction_id': [...], 'kwargs': [...]}]``.
    """
    if len(reference) > MAX_REFERENCE_CHARS:
        raise InvalidItem(f"the ifeval reference is over {MAX_REFERENCE_CHARS} characters ({len(reference)})")
    if reference.lstrip().startswith("["):
        return Instructions(_parse_multi(reference, prompt))
    try:
        data = json.loads(reference)
    except (ValueError, RecursionError) as e:
        raise InvalidItem(f"the ifeval reference is not JSON ({e})") from None
    if isinstance(data, dict) and "verifier_metadata" in data:
        data = data["verifier_metadata"]
        if not isinstance(data, dict):
            raise InvalidItem("the ifeval reference's 'verifier_metadata' must be a JSON object")
    if isinstance(data, dict) and "func_name" in data:
        return Instructions((_func_name_constraint(data, prompt),))
    if not isinstance(data, dict):
        raise InvalidItem("the ifeval reference must be a JSON object with 'instruction_id_list' and 'kwargs'")
    scoring = _grading_mode(data.get("grading_mode"))
    if not prompt.strip() and isinstance(data.get("prompt"), str):
        prompt = data["prompt"]  # a NeMo-Gym row carries its prompt
    if "instruction_id_list" not in data and "instruction_id" in data:
        return Instructions(_constraints(data.get("instruction_id"), data.get("kwargs"), prompt, "instruction_id"),
                            scoring)
    if not isinstance(data.get("instruction_id_list"), list):
        raise InvalidItem("the ifeval reference must be a JSON object with 'instruction_id_list' and 'kwargs'")
    return Instructions(_constraints(data["instruction_id_list"], data.get("kwargs"), prompt, "instruction_id_list"),
                        scoring)


def _grading_mode(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value not in GRADING_MODES:  # a list: no "unhashable type" TypeError
        raise InvalidItem(f"the ifeval reference's 'grading_mode' must be 'binary' or 'fraction', not {value!r}")
    return GRADING_MODES[value]


def _constraints(ids: Any, kwargs: Any, prompt: str, ids_key: str) -> tuple[Constraint, ...]:
    if not isinstance(ids, list):
        raise InvalidItem(f"the ifeval reference's '{ids_key}' must be a list of instruction ids")
    if kwargs is None:
        kwargs = [{} for _ in ids]
    if not ids:
        raise InvalidItem(f"the ifeval reference's '{ids_key}' is empty")
    if not isinstance(kwargs, list) or len(kwargs) != len(ids):
        raise InvalidItem(f"the ifeval reference needs one 'kwargs' mapping per instruction id ({len(ids)})")
    return tuple(_constraint(i, k, prompt) for i, k in zip(ids, kwargs))


def _parse_multi(reference: str, prompt: str) -> tuple[Constraint, ...]:
    """IF_multi_constraints' ground truth: a Python literal (read by ast.literal_eval, never eval)."""
    try:
        data = ast.literal_eval(reference.strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as e:
        raise InvalidItem(f"the ifeval reference is not a Python literal list ({type(e).__name__})") from None
    if not isinstance(data, list) or len(data) != 1:
        raise InvalidItem("the ifeval reference must be a JSON object with 'instruction_id_list' and 'kwargs', "
                          "or an IF_multi_constraints list holding one {'instruction_id': [...], 'kwargs': [...]} "
                          "mapping")
    entry = data[0]
    if isinstance(entry, str):  # some copies hold the mapping as a JSON string
        try:
            entry = json.loads(entry)
        except (ValueError, RecursionError) as e:
            raise InvalidItem(f"the IF_multi_constraints entry is not JSON ({e})") from None
    if not isinstance(entry, dict) or "instruction_id" not in entry:
        raise InvalidItem("an IF_multi_constraints reference's mapping needs 'instruction_id' and 'kwargs'")
    return _constraints(entry["instruction_id"], entry.get("kwargs"), prompt, "instruction_id")


def _func_name_constraint(data: dict[str, Any], prompt: str) -> Constraint:
    """RLVR-IFeval's ground truth: one func_name, its arguments as fields (null: not given)."""
    name = data["func_name"]
    if not isinstance(name, str) or name not in FUNC_NAMES:
        raise InvalidItem(f"unknown func_name {name!r}; known: {', '.join(FUNC_NAMES)}")
    instruction, names = FUNC_NAMES[name]
    given = {k: v for k, v in data.items() if k != "func_name" and v is not None}
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise InvalidItem(f"func_name {name} takes no argument {unknown[0]!r}"
                          + (f"; it takes {', '.join(names)}" if names else ""))
    missing = [k for k in names if k not in given]
    if missing:
        raise InvalidItem(f"func_name {name} needs argument {missing[0]!r}")
    kwargs = {names[k]: v for k, v in given.items()}
    relation_key = next((k for k in ("relation", "capital_relation", "let_relation") if k in ARGUMENTS[instruction]),
                        None)
    wanted = kwargs.get(relation_key, "exactly") if relation_key else None
    if wanted is not None:
        if wanted not in RELATIONS + EXTRA_RELATIONS:
            raise InvalidItem(f"func_name {name} quantifier must be 'at least', 'around' or 'at most', "
                              f"not {wanted!r}")
        kwargs[relation_key] = "at least"  # validated as IFEval reads it, then given the asked relation
    constraint = _constraint(instruction, kwargs, prompt)
    if wanted is not None:
        constraint = replace(constraint, args=tuple((k, wanted if k == relation_key else v)
                                                    for k, v in constraint.args))
    return constraint


def _constraint(instruction: Any, kwargs: Any, prompt: str) -> Constraint:
    if not isinstance(instruction, str) or instruction not in ARGUMENTS:
        raise InvalidItem(f"unknown instruction id {instruction!r}; known ids: {', '.join(ARGUMENTS)}")
    if kwargs is None:
        kwargs = {}
    if not isinstance(kwargs, dict):
        raise InvalidItem(f"the kwargs of {instruction} must be a JSON object")
    given = {k: v for k, v in kwargs.items() if v is not None}
    if instruction == "combination:repeat_prompt" and "prompt_to_repeat" not in given and prompt.strip():
        given["prompt_to_repeat"] = prompt  # the item's prompt is the request to repeat
    parsers = ARGUMENTS[instruction]
    unknown = sorted(set(given) - set(parsers))
    if unknown:
        raise InvalidItem(f"{instruction} takes no argument {unknown[0]!r}"
                          + (f"; it takes {', '.join(parsers)}" if parsers else ""))
    missing = [name for name in parsers if name not in given]
    if missing:
        raise InvalidItem(f"{instruction} needs argument {missing[0]!r}")
    args = tuple((name, parse(f"{instruction} argument {name!r}", given[name])) for name, parse in parsers.items())
    constraint = Constraint(instruction, args)
    _check_consistent(constraint)
    return constraint


def _check_consistent(c: Constraint) -> None:
    if c.id in IFBENCH_ARGUMENTS:
        check_ifbench_consistent(c.id, dict(c.args))
    elif c.id == "length_constraints:nth_paragraph_first_word":
        nth, num = c.arg("nth_paragraph"), c.arg("num_paragraphs")
        if not 1 <= nth <= num:
            raise InvalidItem(f"{c.id} argument 'nth_paragraph' must be between 1 and num_paragraphs ({num})")
    elif c.id == "new:copy_span_idx":
        start, end, text = c.arg("n_start"), c.arg("n_end"), c.arg("prompt_to_repeat")
        if not start <= end < len(text):
            raise InvalidItem(f"{c.id} arguments 'n_start' and 'n_end' must satisfy n_start <= n_end < "
                              f"{len(text)} (the length of prompt_to_repeat)")
    elif c.id == "copy:repeat_phrase":
        words = len(c.arg("phrase").split())
        if not 3 <= words <= MAX_PHRASE_WORDS:
            raise InvalidItem(f"{c.id} argument 'phrase' must have 3 to {MAX_PHRASE_WORDS} words (a first, "
                              f"a last and a middle word to replace), not {words}")
    elif c.id == "count:count_increment_word":
        if c.arg("keyword1").lower() == c.arg("keyword2").lower():
            raise InvalidItem(f"{c.id} arguments 'keyword1' and 'keyword2' must differ (once and twice)")
