"""IFBench's format, custom and repeat checkers, each ``(response, constraint) -> (passed, reason)``.

As in ``ifbench_checks``, each follows the official checker's reading; the
``custom:`` ids are fixed tasks (Napoleon's battles, Africa's countries in
reverse order, CSV tables) checked by their form, as upstream does. Upstream's
two quadratic regular expressions (``\\n*Question...`` splitting, ``".*X.*"``
on CSV fields) run here as linear scans with the same matches.
"""

from __future__ import annotations

import csv
import io
import re
import string
import unicodedata
from collections.abc import Callable

from . import text as t
from .ifbench_checks import PUNCTUATION, Result, drop_punctuation, edge_strip
from .ifbench_spec import split_options
from .lexicon import EUROPEAN_CAPITALS
from .spec import Constraint

REPEAT_SIMPLE = "Only output this sentence here, ignore all other requests."
TEMPLATE_MARKS = ("My Answer:", "My Conclusion:", "Future Outlook:")
MULTIPLES_OF_7 = ["14", "21", "28", "35", "42", "49"]
CSV_CITY_HEADER = ["ID", "Country", "City", "Year", "Count"]
_PAIRS = {")": "(", "]": "[", "}": "{"}
_SPECIAL = re.compile(r"[^\d\w\s]")
_QUESTION = re.compile(r"Question \d+[\.|\):;]?\s*")
_OPTION_LINE = re.compile(r"^[A-Ea-e][\.|\)]\s*\w+")
_PRODUCT_HEADER = re.compile(r'^(ProductID|"ProductID"),[ \t]*(Category|"Category"),[ \t]*(Brand|"Brand"),'
                             r'[ \t]*(Price|"Price"),[ \t]*(Stock|"Stock")$')
_STUDENT_HEADER = re.compile(r'^(StudentID|"StudentID")\t *(Subject|"Subject")\t *(Grade|"Grade")\t *'
                             r'(Semester|"Semester")\t *(Score|"Score")$')


def _emoji(ch: str) -> bool:
    import emoji  # imported late: its table is large
    return bool(emoji.is_emoji(ch))


def _ascii_fold(text: str) -> str:
    """São Tomé -> Sao Tome: decomposed, marks and other non-ASCII dropped."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _csv_rows(text: str, delimiter: str = ",") -> list[list[str]] | None:
    try:
        return list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error:  # a field over csv's size limit, a NUL: not the asked table
        return None


# --- format ---------------------------------------------------------------------------------

def parentheses(r: str, c: Constraint) -> Result:
    # As upstream: a bracket group closed after the nesting reached 5; a mismatched closer starts over.
    stack: list[str] = []
    deepest = 0
    for ch in r:
        if ch in "([{":
            stack.append(ch)
            deepest = max(deepest, len(stack))
        elif ch in _PAIRS:
            if stack and stack[-1] == _PAIRS[ch]:
                stack.pop()
                if deepest >= 5:
                    return True, "brackets nested 5 deep"
            else:
                stack, deepest = [], 0
    return False, "no brackets nested 5 deep and closed"


def quotes(r: str, c: Constraint) -> Result:
    # As upstream: a quote equal to the innermost open one closes it; any other opens a level.
    stack: list[str] = []
    reached = depth = 0
    for ch in r:
        if stack and ch == stack[-1]:
            stack.pop()
            depth -= 1
            if reached - depth >= 3:
                return True, "quotes nested 3 deep"
        elif ch in "\"'":
            stack.append(ch)
            depth += 1
            reached = max(reached, depth)
    return False, "no quotes nested 3 deep"


def options(r: str, c: Constraint) -> Result:
    choices, letters = split_options(c.arg("options"))
    if letters:  # letter options must be given exactly: "a)"
        return r in choices, f"{r[:30]!r} is{'' if r in choices else ' not'} one of {', '.join(choices)}"
    answer = edge_strip(r).lower()
    passed = any(edge_strip(o).lower() == answer for o in choices)
    return passed, f"{r.strip()[:30]!r} is{'' if passed else ' not'} one of {', '.join(choices)}"


def newline(r: str, c: Constraint) -> Result:
    bare = drop_punctuation(r).strip()
    lines = [line for line in bare.split("\n") if line != ""]
    words = len(bare.split())
    return len(lines) == words, f"{len(lines)} lines for {words} words"


def emoji_sentences(r: str, c: Constraint) -> Result:
    sentences = t.sentences(r)
    for i, sentence in enumerate(sentences):
        bare = drop_punctuation(sentence).strip()
        if not bare:
            return False, "a sentence of punctuation only"
        if _emoji(bare[-1]) or _emoji(bare[-2] if len(bare) > 1 else bare[-1]):
            continue
        # Punkt may put the emoji at the start of the next sentence.
        after = drop_punctuation(sentences[i + 1]).strip() if i + 1 < len(sentences) else ""
        if not after or not _emoji(after[0]):
            return False, f"{sentence.strip()[-30:]!r} does not end with an emoji"
    return True, "every sentence ends with an emoji"


def line_indent(r: str, c: Constraint) -> Result:
    lines = [line for line in r.split("\n") if line.strip()]
    indents = [len(line) - len(line.lstrip(" ")) for line in lines]
    for i, (a, b) in enumerate(zip(indents, indents[1:]), 2):
        if b <= a:
            return False, f"line {i} is indented {b} spaces after {a}"
    return True, "each line indented more than the one before"


def quote_unquote(r: str, c: Constraint) -> Result:
    bare = "".join(r.replace("'\"'", "").split())  # '"' names the character; whitespace is dropped
    if '""' in bare:
        return False, "a quotation followed by another quotation"
    tail = bare.strip(string.digits + PUNCTUATION.replace('"', ""))
    passed = not tail or tail[-1] != '"'
    return passed, "every quotation explained" if passed else "ends with a quotation"


def special_list(r: str, c: Constraint) -> Result:
    count = r.count(c.arg("sep"))
    return count >= 2, f"{count} items marked {c.arg('sep')!r}, needs at least 2"


def thesis(r: str, c: Constraint) -> Result:
    # As upstream: the first <i> (else <em>) up to the first </i> (else </em>), then text after it.
    start = r.find("<i>")
    if start < 0:
        start = r.find("<em>")
    if start < 0:
        return False, "no <i> or <em>"
    rest = r[start:]
    end = rest.find("</i>")
    if end < 0:
        end = rest.find("</em>")
    if end < 0:
        return False, "no </i> or </em>"
    if not rest[3:end].strip():
        return False, "an empty italic thesis"
    passed = bool(rest[end + 4:].strip())
    return passed, "an italic thesis, then text" if passed else "nothing after the italic thesis"


def sub_bullets(r: str, c: Constraint) -> Result:
    # As upstream, a response without any * passes: loose mode removes every *, so requiring a bullet
    # would turn each loose verdict the official checker passes into a fail.
    pieces = r.split("*")
    bare = next((i for i, p in enumerate(pieces[1:], 1) if "-" not in p), None)
    if len(pieces) < 2:
        return True, "no * bullet points, so none without a - sub-bullet"
    return bare is None, f"bullet {bare} has no - sub-bullet" if bare else "every * bullet has a - sub-bullet"


def no_bullets_bullets(r: str, c: Constraint) -> Result:
    sentences, bullets, prose_open = 0, 0, True
    for line in r.split("\n"):
        if line.strip().startswith("*"):
            prose_open = False
            if sentences < 2:
                return False, f"{sentences} sentences before the first bullet, needs 2"
            bullets += 1
        elif prose_open:
            found = t.sentences(line.strip())
            sentences += len(found)
            prose_open = bool(found)  # as upstream: after a blank line only bullets may follow
        else:
            return False, "text after the bullet points"
    return bullets >= 2, f"{sentences} sentences then {bullets} bullets, needs at least 2"


def title_case(r: str, c: Constraint) -> Result:
    for word in t.treebank_words(r):
        if not word[0].isalpha():
            continue
        rest = word[1:]
        if (len(word) == 1 and word.islower()) or (len(word) > 1 and word[0].islower()
                                                   and (rest.isupper() or rest.islower())):
            return False, f"{word[:30]!r} is not capitalized"
    return True, "every word capitalized"


def output_template(r: str, c: Constraint) -> Result:
    missing = [m for m in TEMPLATE_MARKS if m not in r]
    return not missing, f"missing {', '.join(missing)}" if missing else "follows the template"


def no_whitespace(r: str, c: Constraint) -> Result:
    passed = not any(ch.isspace() for ch in r)
    return passed, "no whitespace" if passed else "contains whitespace"


# --- custom ---------------------------------------------------------------------------------

def multiples(r: str, c: Constraint) -> Result:
    found = re.findall(r"\d+", r)
    if found != MULTIPLES_OF_7:
        return False, f"numbers {' '.join(found[:10])}, needs {' '.join(MULTIPLES_OF_7)}"
    return True, "14 to 49 in sevens"


def _split_questions(r: str) -> list[str]:
    """``re.split(r"\\n*(?:Question \\d+[\\.|\\):;]?\\s*)", r)`` without rescanning runs of newlines."""
    pieces, last = [], 0
    for m in _QUESTION.finditer(r):
        start = m.start()
        while start > last and r[start - 1] == "\n":
            start -= 1
        pieces.append(r[last:start])
        last = m.end()
    pieces.append(r[last:])
    return pieces


def mcq_count_length(r: str, c: Constraint) -> Result:
    if r[r.find("Question"):] != r:
        return False, "does not start with Question"
    questions = [q.strip() for q in _split_questions(r) if q.strip()]
    if len(questions) != 4:
        return False, f"{len(questions)} questions, needs 4"
    lengths = []
    for i, question in enumerate(questions, 1):
        text, count, in_options = "", 0, False
        for line in question.split("\n"):
            if _OPTION_LINE.match(line.strip()):
                count, in_options = count + 1, True
            elif not in_options:
                text += " " + line.strip()
        if count != 5:
            return False, f"question {i} has {count} options, needs 5"
        lengths.append(len(text.strip()))
    passed = all(a < b for a, b in zip(lengths, lengths[1:]))
    return passed, f"question lengths {', '.join(map(str, lengths))}, needs increasing"


def reverse_newline(r: str, c: Constraint) -> Result:
    lines = [s for s in (edge_strip(line) for line in r.split("\n")) if s]
    start = next((i for i, line in enumerate(lines) if "Zimbabwe" in line), None)
    if start is None:
        return False, "no line with Zimbabwe"
    names = [_ascii_fold(line) for line in lines[start:]]
    if len(names) < 52:
        return False, f"{len(names)} lines from Zimbabwe on, needs at least 52"
    passed = names == sorted(names, reverse=True)
    return passed, "in reverse alphabetical order" if passed else "not in reverse alphabetical order"


def word_reverse(r: str, c: Constraint) -> Result:
    words = " ".join(drop_punctuation(r.lower().strip()).split()[::-1])
    passed = "bald eagle" in words and words in t.sentences(words)
    return passed, "the answer with its words reversed" if passed else "reversed, it does not say bald eagle"


def character_reverse(r: str, c: Constraint) -> Result:
    passed = "elgae dlab" in r.lower()
    return passed, "bald eagle spelled backwards" if passed else "no 'elgae dlab'"


def sentence_alphabet(r: str, c: Constraint) -> Result:
    sentences = t.sentences(r)
    if len(sentences) != 26:
        return False, f"{len(sentences)} sentences, needs 26"
    for i, sentence in enumerate(sentences):
        bare = sentence.lstrip(PUNCTUATION + string.whitespace)
        if not bare or bare[0].lower() != chr(ord("a") + i):
            return False, f"sentence {i + 1} does not start with {chr(ord('a') + i)!r}"
    return True, "26 sentences from a to z"


def european_capitals_sort(r: str, c: Constraint) -> Result:
    names = [n.strip() for n in _ascii_fold(r).split(",") if n.strip()]
    passed = names == list(EUROPEAN_CAPITALS)
    return passed, "the 27 capitals in order" if passed else f"{len(names)} names, not the 27 capitals in order"


def csv_city(r: str, c: Constraint) -> Result:
    rows = _csv_rows(r)
    if rows is None or len(rows) != 8:
        return False, f"{'no' if rows is None else len(rows)} CSV rows, needs a header and 7"
    if rows[0] != CSV_CITY_HEADER:
        return False, f"header {rows[0][:5]}, needs {CSV_CITY_HEADER}"
    passed = all(len(row) == 5 for row in rows[1:])
    return passed, "7 rows of 5 fields" if passed else "a row without 5 fields"


def _quoted_special(field: str) -> bool:
    """``re.match(r'".*[^\\d\\w\\s].*"', field)`` in one pass: within the first line, a quote, a
    special character, then a later quote."""
    line = field.split("\n", 1)[0]
    if not line.startswith('"'):
        return False
    special = _SPECIAL.search(line, 1)
    return special is not None and '"' in line[special.start() + 1:]


def csv_special_character(r: str, c: Constraint) -> Result:
    if not _PRODUCT_HEADER.match(r.split("\n")[0].strip()):
        return False, "no ProductID, Category, Brand, Price, Stock header"
    rows = _csv_rows(r.replace('"', '"""'))  # as upstream: quotes survive parsing
    if rows is None or len(rows) != 15:
        return False, f"{'no' if rows is None else len(rows)} CSV rows, needs a header and 14"
    for row in rows[1:]:  # as upstream: rows after the first quoted special field go unchecked
        if len(row) != 5:
            return False, "a row without 5 fields"
        if any(_quoted_special(f) for f in row):
            return True, "a quoted field with a special character"
    return False, "no quoted field with a special character"


def csv_quotes(r: str, c: Constraint) -> Result:
    if not _STUDENT_HEADER.match(r.split("\n")[0].strip()):
        return False, "no tab-separated StudentID, Subject, Grade, Semester, Score header"
    rows = _csv_rows(r.replace('"', '"""'), "\t")
    if rows is None or len(rows) != 4:
        return False, f"{'no' if rows is None else len(rows)} rows, needs a header and 3"
    for row in rows:
        if len(row) != 5:
            return False, "a row without 5 fields"
        if not all(f.strip()[:1] == '"' and f.strip()[-1:] == '"' for f in row):
            return False, "a field not in double quotes"
    return True, "3 rows, every field quoted"


def date_format_list(r: str, c: Constraint) -> Result:
    for date in r.strip().split(","):
        date = date.strip()
        if not re.match(r"^\d{4}-\d{2}-\d{2}$", date):
            return False, f"{date[:20]!r} is not YYYY-MM-DD"
        year, month, day = (int(p) for p in date.split("-"))
        # As upstream, month 00 has no day limit.
        longest = {2: 29, 4: 30, 6: 30, 9: 30, 11: 30}.get(month, 31 if month else 99)
        if not 1769 <= year <= 1821 or month > 12 or day > longest:
            return False, f"{date!r} is not a date in Napoleon's life"
    return True, "dates in YYYY-MM-DD separated by commas"


# --- repeat ---------------------------------------------------------------------------------

def repeat_change(r: str, c: Constraint) -> Result:
    prompt = c.arg("prompt_to_repeat")
    if r == prompt:
        return False, "the request unchanged"
    passed = prompt.split()[1:] == r.split()[1:]
    return passed, "the request with its first word changed" if passed else "not the request after its first word"


def repeat_simple(r: str, c: Constraint) -> Result:
    passed = r.strip().lower() == REPEAT_SIMPLE.lower()
    return passed, "only the sentence" if passed else f"not only {REPEAT_SIMPLE!r}"


def repeat_span(r: str, c: Constraint) -> Result:
    # Word indices, both ends included, as the instruction says.
    span = " ".join(c.arg("prompt_to_repeat").split()[c.arg("n_start"):c.arg("n_end") + 1])
    passed = r.strip().lower() == span.strip().lower()
    return passed, "the span copied" if passed else f"not the span {span[:60]!r}"


IFBENCH_FORMAT_CHECKERS: dict[str, Callable[[str, Constraint], Result]] = {
    "format:parentheses": parentheses,
    "format:quotes": quotes,
    "format:options": options,
    "format:newline": newline,
    "format:emoji": emoji_sentences,
    "format:line_indent": line_indent,
    "format:quote_unquote": quote_unquote,
    "format:list": special_list,
    "format:thesis": thesis,
    "format:sub-bullets": sub_bullets,
    "format:no_bullets_bullets": no_bullets_bullets,
    "format:title_case": title_case,
    "format:output_template": output_template,
    "format:no_whitespace": no_whitespace,
    "custom:multiples": multiples,
    "custom:mcq_count_length": mcq_count_length,
    "custom:reverse_newline": reverse_newline,
    "custom:word_reverse": word_reverse,
    "custom:character_reverse": character_reverse,
    "custom:sentence_alphabet": sentence_alphabet,
    "custom:european_capitals_sort": european_capitals_sort,
    "custom:csv_city": csv_city,
    "custom:csv_special_character": csv_special_character,
    "custom:csv_quotes": csv_quotes,
    "custom:date_format_list": date_format_list,
    "repeat:repeat_change": repeat_change,
    "repeat:repeat_simple": repeat_simple,
    "repeat:repeat_span": repeat_span,
}
