"""The 25 IFEval checkers, each ``(response, constraint) -> (passed, reason)``.

Each follows the official ``instruction_following_eval`` checker's reading (its
counts, case rules and quirks), with two deliberate differences: keywords,
markers and section splitters are literal text, not regular expressions (the
official checker compiles them, so ``C++`` crashes it), and hostile input runs
in linear time (see ``text``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from . import text as t
from .spec import Constraint

Result = tuple[bool, str]

CONSTRAINED_OPTIONS = ("My answer is yes.", "My answer is no.", "My answer is maybe.")


def _compare(count: int, relation: str, threshold: int, unit: str) -> Result:
    passed = count < threshold if relation == "less than" else count >= threshold
    need = f"fewer than {threshold}" if relation == "less than" else f"at least {threshold}"
    return passed, f"{count} {unit}, needs {need}"


def _exactly(count: int, wanted: int, unit: str) -> Result:
    return count == wanted, f"{count} {unit}, needs exactly {wanted}"


def _at_least(count: int, wanted: int, unit: str) -> Result:
    return count >= wanted, f"{count} {unit}, needs at least {wanted}"


# --- keywords -----------------------------------------------------------------------------

def keywords_existence(r: str, c: Constraint) -> Result:
    missing = [k for k in c.arg("keywords") if not re.search(re.escape(k), r, re.IGNORECASE)]
    return not missing, f"missing {', '.join(map(repr, missing))}" if missing else "every keyword appears"


def keyword_frequency(r: str, c: Constraint) -> Result:
    count = len(re.findall(re.escape(c.arg("keyword")), r, re.IGNORECASE))
    return _compare(count, c.arg("relation"), c.arg("frequency"), f"occurrences of {c.arg('keyword')!r}")


def forbidden_words(r: str, c: Constraint) -> Result:
    used = [w for w in c.arg("forbidden_words") if re.search(rf"\b{re.escape(w)}\b", r, re.IGNORECASE)]
    return not used, f"uses {', '.join(map(repr, used))}" if used else "uses none of the forbidden words"


def letter_frequency(r: str, c: Constraint) -> Result:
    count = r.lower().count(c.arg("letter"))
    return _compare(count, c.arg("let_relation"), c.arg("let_frequency"), f"letters {c.arg('letter')!r}")


# --- language and case --------------------------------------------------------------------

def response_language(r: str, c: Constraint) -> Result:
    found = t.detect_language(r)
    if found is None:  # the official checker counts an undetectable language as followed
        return True, "no language detected"
    return found == c.arg("language"), f"detected {found}, needs {c.arg('language')}"


def _english_in_case(r: str, case_ok: bool, case: str) -> Result:
    if not case_ok:
        return False, f"not all {case}"
    found = t.detect_language(r)
    if found is None:
        return True, f"all {case}, no language detected"
    return found == "en", f"all {case}, detected {found}, needs en"


def english_capital(r: str, c: Constraint) -> Result:
    return _english_in_case(r, r.isupper(), "capital letters")


def english_lowercase(r: str, c: Constraint) -> Result:
    return _english_in_case(r, r.islower(), "lowercase")


def capital_word_frequency(r: str, c: Constraint) -> Result:
    count = sum(1 for w in t.treebank_words(r) if w.isupper())
    return _compare(count, c.arg("capital_relation"), c.arg("capital_frequency"), "all-capital words")


# --- length -------------------------------------------------------------------------------

def number_sentences(r: str, c: Constraint) -> Result:
    return _compare(len(t.sentences(r)), c.arg("relation"), c.arg("num_sentences"), "sentences")


def number_words(r: str, c: Constraint) -> Result:
    return _compare(t.words(r), c.arg("relation"), c.arg("num_words"), "words")


def number_paragraphs(r: str, c: Constraint) -> Result:
    parts = re.split(r"\s?\*\*\*\s?", r)
    empty_inside = any(not p.strip() for p in parts[1:-1])
    if empty_inside:
        return False, "an empty paragraph between *** dividers"
    count = len(parts) - (not parts[0].strip()) - (len(parts) > 1 and not parts[-1].strip())
    return _exactly(count, c.arg("num_paragraphs"), "paragraphs separated by ***")


def nth_paragraph_first_word(r: str, c: Constraint) -> Result:
    parts = r.split("\n\n")
    count = sum(1 for p in parts if p.strip())
    nth = c.arg("nth_paragraph")
    # As the official checker: the nth piece of the split, counting empty pieces.
    paragraph = parts[nth - 1].strip() if nth <= count else ""
    if not paragraph:
        return False, f"{count} paragraphs, no paragraph {nth}"
    word = _first_word(paragraph)
    passed = count == c.arg("num_paragraphs") and word == c.arg("first_word")
    return passed, (f"{count} paragraphs (needs {c.arg('num_paragraphs')}), paragraph {nth} starts with "
                    f"{word!r} (needs {c.arg('first_word')!r})")


def _first_word(paragraph: str) -> str:
    word = paragraph.split()[0].strip().lstrip("'").lstrip('"')
    out = []
    for letter in word:
        if letter in ".,?!'\"":
            break
        out.append(letter.lower())
    return "".join(out)


# --- detectable content and format --------------------------------------------------------

def number_placeholders(r: str, c: Constraint) -> Result:
    return _at_least(t.count_placeholders(r), c.arg("num_placeholders"), "[placeholders]")


def postscript(r: str, c: Constraint) -> Result:
    marker = c.arg("postscript_marker")
    if marker == "P.P.S":
        pattern = r"p\.\s?p\.\s?s"
    elif marker == "P.S.":
        pattern = r"p\.\s?s\."
    else:
        pattern = re.escape(marker.lower())
    found = re.search(pattern, r.lower()) is not None
    return found, f"a postscript starting {marker}" if found else f"no postscript starting {marker}"


def bullet_lists(r: str, c: Constraint) -> Result:
    count = t.count_line_items(r, "*") + t.count_line_items(r, "-")
    return _exactly(count, c.arg("num_bullets"), "bullet points")


def constrained_response(r: str, c: Constraint) -> Result:
    found = next((o for o in CONSTRAINED_OPTIONS if o in r.strip()), None)
    return found is not None, f"contains {found!r}" if found else "contains none of the allowed answers"


def highlighted_sections(r: str, c: Constraint) -> Result:
    single = sum(1 for h in re.findall(r"\*[^\n\*]*\*", r) if h.strip("*").strip())
    double = sum(1 for h in re.findall(r"\*\*[^\n\*]*\*\*", r) if h[2:-2].strip())
    return _at_least(single + double, c.arg("num_highlights"), "highlighted sections")


def multiple_sections(r: str, c: Constraint) -> Result:
    splitter = c.arg("section_spliter")
    count = len(re.split(rf"\s?{re.escape(splitter)}\s?\d+\s?", r)) - 1
    return _at_least(count, c.arg("num_sections"), f"sections marked {splitter} N")


def json_format(r: str, c: Constraint) -> Result:
    value = r.strip()
    for fence in ("```json", "```Json", "```JSON", "```"):  # chained, as the official checker does
        value = value.removeprefix(fence)
    value = value.removesuffix("```").strip()
    try:
        json.loads(value)
    except (ValueError, RecursionError) as e:
        return False, f"not JSON ({str(e)[:80]})"
    return True, "the whole response is JSON"


def title(r: str, c: Constraint) -> Result:
    found = any(x.lstrip("<").rstrip(">").strip() for x in t.titles(r))
    return found, "has a <<title>>" if found else "no <<title>>"


# --- combinations, start and end, punctuation ---------------------------------------------

def two_responses(r: str, c: Constraint) -> Result:
    parts = r.split("******")
    if any(not p.strip() for p in parts[1:-1]):
        return False, "an empty response between ****** separators"
    kept = [p.strip() for p in parts if p.strip()]
    if len(kept) != 2:
        return False, f"{len(kept)} responses separated by ******, needs 2"
    return kept[0] != kept[1], "two different responses" if kept[0] != kept[1] else "the two responses are the same"


def repeat_prompt(r: str, c: Constraint) -> Result:
    passed = r.strip().lower().startswith(c.arg("prompt_to_repeat").strip().lower())
    return passed, "starts with the request" if passed else "does not start with the request word for word"


def end_checker(r: str, c: Constraint) -> Result:
    phrase = c.arg("end_phrase").lower()
    passed = r.strip().strip('"').lower().endswith(phrase)
    return passed, f"ends with {c.arg('end_phrase')!r}" if passed else f"does not end with {c.arg('end_phrase')!r}"


def no_comma(r: str, c: Constraint) -> Result:
    count = r.count(",")
    return count == 0, f"{count} commas, needs none"


def quotation(r: str, c: Constraint) -> Result:
    value = r.strip()
    passed = len(value) > 1 and value[0] == '"' and value[-1] == '"'
    return passed, "wrapped in double quotes" if passed else "not wrapped in double quotes"


CHECKERS: dict[str, Callable[[str, Constraint], Result]] = {
    "keywords:existence": keywords_existence,
    "keywords:frequency": keyword_frequency,
    "keywords:forbidden_words": forbidden_words,
    "keywords:letter_frequency": letter_frequency,
    "language:response_language": response_language,
    "length_constraints:number_sentences": number_sentences,
    "length_constraints:number_paragraphs": number_paragraphs,
    "length_constraints:number_words": number_words,
    "length_constraints:nth_paragraph_first_word": nth_paragraph_first_word,
    "detectable_content:number_placeholders": number_placeholders,
    "detectable_content:postscript": postscript,
    "detectable_format:number_bullet_lists": bullet_lists,
    "detectable_format:constrained_response": constrained_response,
    "detectable_format:number_highlighted_sections": highlighted_sections,
    "detectable_format:multiple_sections": multiple_sections,
    "detectable_format:json_format": json_format,
    "detectable_format:title": title,
    "combination:two_responses": two_responses,
    "combination:repeat_prompt": repeat_prompt,
    "startend:end_checker": end_checker,
    "change_case:capital_word_frequency": capital_word_frequency,
    "change_case:english_capital": english_capital,
    "change_case:english_lowercase": english_lowercase,
    "punctuation:no_comma": no_comma,
    "startend:quotation": quotation,
}
