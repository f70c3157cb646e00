"""The 25 IFEval checkers and IFEvalG's 29, each ``(response, constraint) -> (passed, reason)``;
CHECKERS adds IFBench's 58 (``ifbench_checks``, ``ifbench_format``).

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
from .ifbench_checks import IFBENCH_WORD_CHECKERS
from .ifbench_format import IFBENCH_FORMAT_CHECKERS
from .spec import Constraint

Result = tuple[bool, str]

CONSTRAINED_OPTIONS = ("My answer is yes.", "My answer is no.", "My answer is maybe.")


def around_tolerance(threshold: int) -> int:
    """if_functions.py's "around N" for words and capital words: within 10% of N (Python's round), at least 1."""
    return max(round(threshold * 0.1), 1)


def _compare(count: int, relation: str, threshold: int, unit: str, tolerance: int | None = None) -> Result:
    # "at most", "exactly" and "around" come only from RLVR-IFeval's func_name form (spec.FUNC_NAMES).
    if relation == "around":
        slack = around_tolerance(threshold) if tolerance is None else tolerance
        return abs(count - threshold) <= slack, f"{count} {unit}, needs {threshold - slack} to {threshold + slack}"
    passed, need = {"less than": (count < threshold, f"fewer than {threshold}"),
                    "at least": (count >= threshold, f"at least {threshold}"),
                    "at most": (count <= threshold, f"at most {threshold}"),
                    "exactly": (count == threshold, f"exactly {threshold}")}[relation]
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
    # if_functions.py's "around N sentences" is N ± 1.
    return _compare(len(t.sentences(r)), c.arg("relation"), c.arg("num_sentences"), "sentences", tolerance=1)


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


def choice(r: str, c: Constraint) -> Result:
    # RLVR-IFeval's validate_choice: one of the options appears, as whole words (upstream's substring
    # test passes option "A" on any capital A, "Apple" included).
    found = next((o for o in c.arg("options") if t.contains_words(r, o)), None)
    return found is not None, f"contains {found!r}" if found else "contains none of the options"


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


# --- IFEvalG: open-instruct's 29 extra IF-RLVR ids --------------------------------------------
# Written from each instruction's wording. Keywords are literal whole words (upstream compiles
# them as regular expressions and counts substrings), and nothing is filled in at random.

_EDGE_PUNCT = re.compile(r"^[^\w]+|[^\w]+$")
_WORD_TOKEN = re.compile(r"\w+(?:['\u2019-]\w+)*")


def _bare(token: str) -> str:
    """A whitespace token without the punctuation around it, lowercased ("Hello," -> "hello")."""
    return _EDGE_PUNCT.sub("", token).lower()


def _word_tokens(text: str) -> list[str]:
    """Whitespace tokens that hold a word character, without their edge punctuation, lowercased."""
    return [b for b in (_bare(tok) for tok in text.split()) if b]


def _whole_word_count(text: str, keyword: str) -> int:
    return len(re.findall(rf"(?<!\w){re.escape(keyword)}(?!\w)", text, re.IGNORECASE))


def _same_text(a: str, b: str) -> bool:
    return a.strip().lower() == b.strip().lower()


def repeat_phrase(r: str, c: Constraint) -> Result:
    phrase = [_bare(w) for w in c.arg("phrase").split()]
    size, tokens = len(phrase), [_bare(w) for w in r.split()]
    found, i = 0, 0
    while i + size <= len(tokens):
        if tokens[i] == phrase[0] and tokens[i + size - 1] == phrase[-1]:
            changed = sum(1 for a, b in zip(tokens[i + 1:i + size - 1], phrase[1:-1]) if a != b)
            if changed == 1:
                found += 1
                i += size
                continue
        i += 1
    return _exactly(found, c.arg("small_n"), "repetitions with one middle word replaced")


def copy_verbatim(r: str, c: Constraint) -> Result:
    passed = _same_text(r, c.arg("prompt_to_repeat"))
    return passed, "the request copied" if passed else "not the request copied verbatim"


def copy_span(r: str, c: Constraint) -> Result:
    # The instruction says "between (and including) index n_start and n_end": n_end is included.
    span = c.arg("prompt_to_repeat")[c.arg("n_start"):c.arg("n_end") + 1]
    passed = _same_text(r, span)
    return passed, "the span copied" if passed else f"not the span {span.strip()[:60]!r}"


def sentence_hyphens(r: str, c: Constraint) -> Result:
    pieces = r.strip().split("-")
    for piece in pieces:
        if not piece or piece != piece.strip():
            return False, "a space or an empty piece around a hyphen"
        if len(t.sentences(piece)) != 1:
            return False, f"{piece[:40]!r} is not one sentence"
    return True, f"{len(pieces)} sentences joined by hyphens"


def no_adjacent_consecutive(r: str, c: Constraint) -> Result:
    words = r.split()
    for a, b in zip(words, words[1:]):
        x, y = a[0].lower(), b[0].lower()
        if "a" <= x <= "z" and "a" <= y <= "z" and ord(y) - ord(x) == 1:
            return False, f"{a!r} then {b!r} start with consecutive letters"
    return True, "no adjacent words start with consecutive letters"


def square_brackets(r: str, c: Constraint) -> Result:
    bad = next((w for w in r.split() if not (w.startswith("[") and w.endswith("]"))), None)
    return bad is None, "every word in [brackets]" if bad is None else f"{bad[:40]!r} is not in [brackets]"


def word_once(r: str, c: Constraint) -> Result:
    return _exactly(_whole_word_count(r, c.arg("keyword")), 1, f"occurrences of {c.arg('keyword')!r}")


def word_count_different_numbers(r: str, c: Constraint) -> Result:
    return _compare(_whole_word_count(r, c.arg("keyword")), c.arg("relation"), c.arg("frequency"),
                    f"occurrences of {c.arg('keyword')!r}")


def exclude_word_harder(r: str, c: Constraint) -> Result:
    count = _whole_word_count(r, c.arg("keyword"))
    return count == 0, f"{count} occurrences of {c.arg('keyword')!r}, needs none"


def two_star_paragraphs(r: str, c: Constraint) -> Result:
    return _paragraphs(re.split(r"\s?\*\*\*\s?", r), 2, "paragraphs separated by ***")


def two_blank_line_paragraphs(r: str, c: Constraint) -> Result:
    return _paragraphs(r.split("\n\n"), 2, "paragraphs separated by a blank line")


def _paragraphs(parts: list[str], wanted: int, unit: str) -> Result:
    if any(not p.strip() for p in parts[1:-1]):
        return False, "an empty paragraph between separators"
    count = len(parts) - (not parts[0].strip()) - (len(parts) > 1 and not parts[-1].strip())
    return _exactly(count, wanted, unit)


def first_word_sent(r: str, c: Constraint) -> Result:
    want = _bare(c.arg("first_word"))
    for sentence in t.sentences(r):
        words = _word_tokens(sentence)
        if not words or words[0] != want:
            return False, f"a sentence starts with {words[0] if words else ''!r}, needs {want!r}"
    return True, f"every sentence starts with {want!r}"


def first_word_answer(r: str, c: Constraint) -> Result:
    want, words = _bare(c.arg("first_word")), _word_tokens(r)
    got = words[0] if words else ""
    return got == want, f"starts with {got!r}, needs {want!r}"


def last_word_sent(r: str, c: Constraint) -> Result:
    want = _bare(c.arg("last_word"))
    for sentence in t.sentences(r):
        words = _word_tokens(sentence)
        if not words or words[-1] != want:
            return False, f"a sentence ends with {words[-1] if words else ''!r}, needs {want!r}"
    return True, f"every sentence ends with {want!r}"


def last_word_answer(r: str, c: Constraint) -> Result:
    want, words = _bare(c.arg("last_word")), _word_tokens(r)
    got = words[-1] if words else ""
    return got == want, f"ends with {got!r}, needs {want!r}"


def bigram_wrapping(r: str, c: Constraint) -> Result:
    # Words in pairs, each pair <<wrapped>> (punctuation may follow); an odd last word alone: <<word>>.
    words = r.split()
    for i in range(0, len(words), 2):
        group = " ".join(words[i:i + 2]).rstrip(".,;:!?")
        inner = group[2:-2]
        if not (group.startswith("<<") and group.endswith(">>") and inner.strip()
                and "<<" not in inner and ">>" not in inner):
            return False, f"{group[:40]!r} is not a <<word bigram>>"
    return True, f"{(len(words) + 1) // 2} <<bigrams>>"


def copying_multiple(r: str, c: Constraint) -> Result:
    parts = r.split("******")
    if len(parts) != c.arg("N"):
        return False, f"{len(parts)} copies separated by ******, needs {c.arg('N')}"
    passed = all(_same_text(p, c.arg("prompt_to_repeat")) for p in parts)
    return passed, f"{len(parts)} copies of the request" if passed else "a copy differs from the request"


def no_dot(r: str, c: Constraint) -> Result:
    count = r.count(".")
    return count == 0, f"{count} dots, needs none"


def no_exclamation(r: str, c: Constraint) -> Result:
    count = r.count("!")
    return count == 0, f"{count} exclamation marks, needs none"


def lowercase_counting(r: str, c: Constraint) -> Result:
    # "all lowercase words should appear at most N times": each lowercase word, counted on its own.
    counts: dict[str, int] = {}
    for word in re.findall(r"\b[a-z]+\b", r):
        counts[word] = counts.get(word, 0) + 1
    worst = max(counts.items(), key=lambda kv: kv[1], default=("", 0))
    passed = worst[1] <= c.arg("N")
    return passed, (f"every lowercase word at most {c.arg('N')} times" if passed
                    else f"{worst[0]!r} appears {worst[1]} times, needs at most {c.arg('N')}")


def letter_counting(r: str, c: Constraint) -> Result:
    return _compare(sum(1 for ch in r if ch.isalpha()), c.arg("relation"), c.arg("N"), "letters")


def counting_composition(r: str, c: Constraint) -> Result:
    # "3 paragraphs, delimited by the markdown divider: * * *": *** or * * *.
    parts = re.split(r"\s?\*[ \t]?\*[ \t]?\*\s?", r)
    passed, reason = _paragraphs(parts, 3, "paragraphs separated by * * *")
    if not passed:
        return passed, reason
    for paragraph in (p for p in parts if p.strip()):
        sentences = t.sentences(paragraph.strip())
        if len(sentences) != c.arg("n_sent"):
            return False, f"a paragraph has {len(sentences)} sentences, needs {c.arg('n_sent')}"
        for sentence in sentences:
            count = len(_word_tokens(sentence))
            if count != c.arg("n_words"):
                return False, f"a sentence has {count} words, needs {c.arg('n_words')}"
    return True, f"3 paragraphs of {c.arg('n_sent')} sentences of {c.arg('n_words')} words"


def count_unique(r: str, c: Constraint) -> Result:
    seen: set[str] = set()
    for word in _WORD_TOKEN.findall(r):
        if word.lower() in seen:
            return False, f"{word!r} is repeated"
        seen.add(word.lower())
    return True, f"{len(seen)} words, none repeated"


def count_increment_word(r: str, c: Constraint) -> Result:
    one, two = (_whole_word_count(r, c.arg(k)) for k in ("keyword1", "keyword2"))
    passed = one == 1 and two == 2
    return passed, (f"{c.arg('keyword1')!r} {one} times (needs 1), {c.arg('keyword2')!r} {two} times (needs 2)")


def palindrome(r: str, c: Constraint) -> Result:
    # A word of three or more letters or digits that reads the same reversed ("level", "racecar").
    found = next((w for w in re.findall(r"[^\W_]+", r.lower()) if len(w) >= 3 and w == w[::-1]), None)
    return found is not None, f"includes the palindrome {found!r}" if found else "no palindrome of 3 or more letters"


def keyword_specific_position(r: str, c: Constraint) -> Result:
    n, m, want = c.arg("n"), c.arg("m"), _bare(c.arg("keyword"))
    sentences = t.sentences(r)
    if len(sentences) < n:
        return False, f"{len(sentences)} sentences, no sentence {n}"
    words = _word_tokens(sentences[n - 1])
    got = words[m - 1] if len(words) >= m else ""
    return got == want, f"word {m} of sentence {n} is {got!r}, needs {want!r}"


def start_end(r: str, c: Constraint) -> Result:
    words = _WORD_TOKEN.findall(r)
    if len(words) < 2:
        return False, f"{len(words)} words, needs a first and a last"
    if not r.rstrip()[-1:].isalnum():
        return False, "something follows the last word"
    first, last = words[0].lower(), words[-1].lower()
    return first == last, f"starts with {first!r} and ends with {last!r}"


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
    "rlvr:validate_choice": choice,
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
    # IFEvalG
    "copy:repeat_phrase": repeat_phrase,
    "copy:copy": copy_verbatim,
    "new:copy_span_idx": copy_span,
    "detectable_format:sentence_hyphens": sentence_hyphens,
    "keywords:no_adjacent_consecutive": no_adjacent_consecutive,
    "detectable_format:square_brackets": square_brackets,
    "keywords:word_once": word_once,
    "keywords:word_count_different_numbers": word_count_different_numbers,
    "keywords:exclude_word_harder": exclude_word_harder,
    "paragraphs:paragraphs": two_star_paragraphs,
    "paragraphs:paragraphs2": two_blank_line_paragraphs,
    "first_word:first_word_sent": first_word_sent,
    "first_word:first_word_answer": first_word_answer,
    "last_word:last_word_sent": last_word_sent,
    "last_word:last_word_answer": last_word_answer,
    "detectable_format:bigram_wrapping": bigram_wrapping,
    "copy:copying_simple": copy_verbatim,
    "copy:copying_multiple": copying_multiple,
    "punctuation:punctuation_dot": no_dot,
    "punctuation:punctuation_exclamation": no_exclamation,
    "count:lowercase_counting": lowercase_counting,
    "letters:letter_counting": letter_counting,
    "letters:letter_counting2": letter_frequency,
    "count:counting_composition": counting_composition,
    "count:count_unique": count_unique,
    "count:count_increment_word": count_increment_word,
    "keywords:palindrome": palindrome,
    "keywords:keyword_specific_position": keyword_specific_position,
    "keywords:start_end": start_end,
}
# IFBench's 58 (ifbench_checks, ifbench_format).
CHECKERS.update(IFBENCH_WORD_CHECKERS)
CHECKERS.update(IFBENCH_FORMAT_CHECKERS)
