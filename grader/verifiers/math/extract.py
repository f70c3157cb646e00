"""Stage 1: find the final answer in a model's response, by rules.

Every function here is a linear scan (regexes without nested quantifiers, one
pass of brace matching), so a megabyte response costs a few milliseconds.
The result is a list of candidates, best first; the engine takes the first
one that parses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from .hedges import CLAUSE_RE, COMPARATIVES, hedges, last_clause, offers_alternative
from .number_words import NUMBER_WORDS_RE, last_number_phrase, words_value

# Families, matching Math-Verify's ``match_types``: "latex" candidates come from
# boxes, math delimiters and answer markers; "expr" from plain-text numbers.
LATEX = "latex"
EXPR = "expr"

# The methods of candidates that state the answer explicitly (a box, an answer marker, GSM8K's
# final line, an answer tag): the question's rules (ordinals, focus) never go before them, and
# the LM may only adjust their boundaries, never replace them with text from elsewhere.
STRONG_METHODS = ("boxed", "answer_is", "gsm8k", "answer_tag")

# The end of an item's prompt that is read with the response (by the rules and the LM extractor):
# the asking sentence is usually at the end of a prompt.
QUESTION_CHARS = 2000

# How far past a marker an answer may run. Longer candidates are kept whole,
# never cut (a cut answer is a different answer); the parser refuses them.
MAX_CANDIDATE_CHARS = 5_000


@dataclass(frozen=True)
class Extraction:
    """One answer candidate: its text, how it was found, and where."""

    text: str
    method: str
    family: str
    start: int = 0
    # Why a final statement states no answer (an empty box, a marker that negates or hedges its value):
    # such a candidate ends the search, so no weaker candidate elsewhere answers for it.
    refused: str = ""


def final_section(response: str) -> str:
    """Prefer the text after the last ``</think>``, when there is any; drop a next chat turn.
    A ``<think>`` never closed is reasoning cut off, not an answer: only the text before it counts."""
    turn = _CHAT_TOKEN_RE.search(response)
    if turn and response[:turn.start()].strip():
        response = response[:turn.start()]
    opened = unclosed_think(response)
    if opened >= 0:
        response = response[:opened]
    idx = response.rfind("</think>")
    if idx >= 0:
        tail = response[idx + len("</think>"):]
        if tail.strip():
            return tail
        return response[:idx].replace("<think>", "")
    return response


def unclosed_think(response: str) -> int:
    """Where a ``<think>`` opens that no ``</think>`` closes (a response cut off while reasoning), or -1.
    A lone ``</think>`` (a chat template that opened the block in the prompt) is no unclosed block."""
    opened = response.rfind("<think>")
    return opened if opened > response.rfind("</think>") else -1


# --- boxes -----------------------------------------------------------------

_BOX_RE = re.compile(r"\\(?:boxed|fbox)\b\s*")


_CLOSING = {"{": "}", "(": ")", "[": "]"}


def closing_bracket(text: str, open_idx: int) -> int:
    """Index just past the bracket closing ``text[open_idx]`` (a brace, parenthesis or square bracket),
    or -1 if unclosed; escaped brackets (``\\{``) do not count."""
    opening = text[open_idx]
    closing = _CLOSING[opening]
    depth = 0
    i = open_idx
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == opening:
            depth += 1
        elif c == closing:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return -1


def find_boxes(text: str) -> list[tuple[int, int, str]]:
    """All top-level ``\\boxed``/``\\fbox`` contents as (start, end, content).

    ``\\boxed 5`` takes the next token; an unclosed box (a truncated response)
    takes the rest of the text.
    """
    boxes: list[tuple[int, int, str]] = []
    pos = 0
    for m in _BOX_RE.finditer(text):
        if m.start() < pos:
            continue  # nested inside the previous box
        j = m.end()
        if j < len(text) and text[j] == "{":
            end = closing_bracket(text, j)
            if end < 0:
                content, end = text[j + 1:], len(text)
            else:
                content = text[j + 1:end - 1]
        else:
            tok = re.match(r"[^\s$.,;]+", text[j:j + 200])
            if not tok:
                continue
            content, end = tok.group(0), j + tok.end()
        boxes.append((m.start(), end, content))
        pos = end
    return boxes


# Text allowed between two boxes that together state one answer:
# "\boxed{1} and \boxed{2}", "\boxed{-2} \quad \text{and} \quad \boxed{1}",
# "\boxed{1} papers and \boxed{2}". Anything else means the later box wins.
_BOX_JOINER_RE = re.compile(
    r"^[\s$.,;:]*(?:\\quad|\\qquad|\\text\{\s*(?:and|or|,)\s*\}|\\\)|\\\(|\\\]|\\\[|\\,|\\;|[a-zA-Z]{1,12}\s)?"
    r"[\s$.,;:]*(?:and|or|,|;|\\text\{\s*(?:and|or)\s*\}|\\quad|\\qquad|&)?[\s$.,;:]*"
    r"(?:\\quad|\\qquad|\\text\{[^{}]{0,30}\}|\\\)|\\\(|\\\]|\\\[|y_\d\s*=|x_\d\s*=)?[\s$.,;:]*$"
)


def _joinable(between: str) -> bool:
    if len(between) > 60:
        return False
    if not re.search(r",|;|\band\b|\bor\b|\\quad|\\qquad|^\s*$", between):
        return False
    return bool(_BOX_JOINER_RE.match(between))


def extract_boxed(text: str) -> Extraction | None:
    """The last box, joined with the boxes just before it when they form a list."""
    boxes = find_boxes(text)
    if not boxes:
        return None
    group = [boxes[-1]]  # built from the last box back, then turned (inserting at the front was quadratic)
    for prev in reversed(boxes[:-1]):
        if _joinable(text[prev[1]:group[-1][0]]):
            group.append(prev)
        else:
            break
    group.reverse()
    content = ", ".join(b[2].strip() for b in group)
    if _PERCENT_AFTER_RE.match(text, group[-1][1]):
        content += "\\%"  # "\boxed{20} percent"
    refused = "The final box is empty." if not content.strip() else ""
    return Extraction(content, "boxed", LATEX, group[0][0], refused)


_PERCENT_AFTER_RE = re.compile(r"[\s$]*(?:\\%|%|percent\b)")


# --- answer markers ---------------------------------------------------------

_MARKER_RE = re.compile(
    r"(?:\bfinal\s+answer\b[^\n:]{0,40}?\bis\b|\bfinal\s+answer\s*[:：]|\*\*\s*final\s+answer\s*\*\*\s*[:：]?"
    r"|\bthe\s+answer\s+is\b|\banswer\s+is\b|\banswer\s*[:：]|\bresponse\s*[:：]"
    # "The correct option is (B)": only where an option's letter follows ("the best option is to factor" is no
    # statement of the answer).
    r"|\b(?:correct|right|best)\s+(?:option|choice)\s+is\b"  # a capital letter standing alone, or in brackets
    r"(?=[\s:：*]*(?:\([A-Ea-e]\)|(?-i:[A-E])(?![\w\\])(?!\s+[a-zA-Z])))"
    r"|\bantwort\s*[:：]|\bréponse\s*[:：]|\brespuesta\s*[:：]|答案\s*[:：是为])",
    re.IGNORECASE,
)
_GSM8K_RE = re.compile(r"####[ \t]*([^\n]+)")
# GSM8K's few-shot format ends with a line "A: 72": only as the response's last line.
_FINAL_A_RE = re.compile(r"(?:^|\n)[ \t]*A:[ \t]*([^\n]+?)[ \t]*\n?\s*$")
# Calculator annotations "<<3*4=12>>": notes for a tool, never an answer or a math delimiter.
_CALCULATOR_RE = re.compile(r"<<[^<>\n]{0,200}>>")
_ANSWER_TAG_RE = re.compile(r"<answer>(.*?)(?:</answer>|$)", re.DOTALL | re.IGNORECASE)
_HOPE_RE = re.compile(r"I hope it is correct", re.IGNORECASE)
_SENTENCE_END_RE = re.compile(r"\.(?=\s|$)|\n")
_CHAT_TOKEN_RE = re.compile(r"<\|(?:im_start|im_end|endoftext|eot_id|end_of_text|start_header_id)\|>")


def _after_marker(text: str, start: int) -> str | None:
    """The answer stated right after a marker: a math block or the rest of the sentence; None where the
    sentence negates or hedges it ("The answer is not 5.")."""
    raw = text[start:start + MAX_CANDIDATE_CHARS]
    rest = raw.lstrip(" \t*:：")
    # "The answer is **B**": markdown's bold around the answer, closed after it by as many stars.
    stars = raw[:len(raw) - len(rest)].count("*")
    if rest.startswith("\n"):
        rest = rest.lstrip()
        if rest.startswith(("$$", "\\[")) or "\\boxed" in rest[:200]:
            pass
        else:
            rest = rest.split("\n", 1)[0]
    block = _leading_math(rest)
    if block is None:
        # The sentence first, then "I hope it is correct" off it: the same answer, where the pattern run over the
        # whole 5,000-character window for each of 100,000 empty markers ("answer: . " repeated) took 23 s.
        m = _SENTENCE_END_RE.search(rest)
        block = without_hope(rest[:m.start()] if m else rest)
    if stars and block.rstrip().endswith("*" * stars):
        block = block.rstrip()[:-stars].rstrip()
    if "\\boxed" in block or "\\fbox" in block:
        box = extract_boxed(block)  # "the answer is $\boxed{5}$": the box itself
        if box is not None:
            return box.text
    return block if block.startswith(("$", "\\[", "\\(")) else reduce_sentence(block.strip())


def without_hope(text: str) -> str:
    """``text`` up to "I hope it is correct" (Minerva's sign-off), less the space and the one period before it.
    A literal search, then a strip: the pattern ``\\.?\\s*I hope…`` tried from each space of a long run
    scanned the run again (quadratic: 50,000 spaces took 18 s)."""
    m = _HOPE_RE.search(text)
    if m is None:
        return text
    head = text[:m.start()].rstrip()
    return head[:-1] if head.endswith(".") else head


_PROSE_WORD_RE = re.compile(r"(?<![\\a-zA-Z{])[a-zA-Z]{3,}(?![a-zA-Z}])")
_IS_RE = re.compile(r"\b(?:is|are|equals|was)\b\s*:?\s*")


def without_unclosed_parens(text: str) -> str:
    """``text`` with each ``\\(`` that no ``\\)`` follows on its line made two NULs: no pattern here can match
    at one, so every match is the same, but the lazy pattern for ``\\( … \\)`` tried from each of them scanned to
    the line's end again (quadratic: "\\(" 25,000 times in a math block took 2 s)."""
    if "\\(" not in text:
        return text
    lines = text.split("\n")
    for i, line in enumerate(lines):
        close = line.rfind("\\)")  # a "\(" before it is closed on this line; none can straddle it
        if "\\(" in line[max(close, 0):]:
            lines[i] = line[:max(close, 0)] + line[max(close, 0):].replace("\\(", "\0\0")
    return "\n".join(lines)


def is_prose(text: str) -> bool:
    """Two or more plain words outside math: a sentence, not an expression."""
    outside = re.sub(r"\$[^$]*\$|\\\(.*?\\\)|\\text\{[^{}]*\}", " ", without_unclosed_parens(text))
    return len(_PROSE_WORD_RE.findall(outside)) >= 2


_TOKEN_RE = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?")
_DIGIT_RE = re.compile(r"\d")
# "not 12 but 13": a correction, whose value is the one after "but".
_BUT_RE = re.compile(r"[\s,]*but\s+(?:rather\s+|instead\s+)?", re.IGNORECASE)
_CORRECTION_RE = re.compile(r"\bnot\s+[^\s,;]+\s+but(?:\s+rather|\s+instead)?\s*$", re.IGNORECASE)
# "There are 6 cookies left, not 7.": a one-line answer, then the value it is not.
_TRAILING_NOT_RE = re.compile(r"[,;]\s*(?:and\s+|but\s+)?not\s+[^\s,;]+(?:\s+[A-Za-z]+)?\s*[.!]?\s*$",
                              re.IGNORECASE)
# A word right after the first value that computes with it ("2 times 3, which is 6", "10 more than 5, so 15"):
# the sentence is a calculation, read as a description (its copula's value, else its last number).
_ARITHMETIC_RE = re.compile(r"\s*(?:times|plus|minus|divided\s+by|multiplied\s+by|(?:more|less|fewer|greater)\s+than"
                            r"|added\s+to|subtracted\s+from)\b", re.IGNORECASE)
# A sign word before the value and a scale word after it belong to it: "negative 12", "12 thousand".
_SIGN_WORD_RE = re.compile(r"(?:negative|minus)\s+$", re.IGNORECASE)
_VALUE_ENDS = tuple("0123456789)]}$")
_SCALE_WORD_RE = re.compile(r"\s+(?:hundred|thousand|million|billion|trillion|dozen)\b", re.IGNORECASE)
_COPULA_WORDS = frozenset({"is", "are", "was", "equals"})
_PUNCT_GAP_RE = re.compile(r"[\s,:;]*")
_ARTICLE_GAP_RE = re.compile(r"(?:[\s,:;]|\b(?:a|an)\b)*", re.IGNORECASE)
_TRAILING_CHARS = frozenset(" \t\n\r,;:—–")
_JOINER_WORDS = frozenset({"and", "or"})
_ARTICLES = frozenset({"a", "an"})
# How far back from a value its sign word, a "not … but" correction or a trailing "…, not 7" is looked for.
_LOOK_BACK = 80
# Filler words a marker's value may follow ("definitely 12", "that she has 12"); past this the sentence is a
# description, read as before (its copula's value, else its last number).
MAX_LEAD_WORDS = 4


def reduce_sentence(sentence: str, correcting: bool = False) -> str | None:
    """The value an answer marker's sentence states right after the marker and a few filler words:
    "12 since she had 20 and gave away 8" → "12", "that she has 12 apples" → "12", "the largest $n$ is 34" →
    "34", "negative 12" and "12 thousand" as written, "not 12 but 13" → "13". None where those words negate or
    hedge it, or another value is offered beside it ("not 5", "less than 5", "five or six"): the statement gives
    no answer, and nothing else may answer for it. A value that a word computes with ("2 times 3, which is 6")
    leaves the sentence to be read as a description."""
    words = plain_words(sentence)
    if not words:
        return sentence  # an expression: "x = 5", "\\frac{1}{2}", "3 or 5"
    span = _marked_value(sentence, words)
    if span is None:
        return _described(sentence)
    start, end = _signed_scaled(sentence, *span)
    if _ARITHMETIC_RE.match(sentence, end):
        return _described(sentence)
    before = sentence[:start]
    correction = _BUT_RE.match(sentence, end)
    if correction is not None and not correcting:
        negated = _TOKEN_RE.findall(before[-_LOOK_BACK:])
        if negated and negated[-1].lower() == "not":  # "not 12 but 13"
            if hedges(before[:before.lower().rfind("not")]):
                return None
            return reduce_sentence(sentence[correction.end():], correcting=True)
    if hedges(before) or offers_alternative(sentence[end:]):
        # "the distance between the two points, which is 12": the words before "two" were a description, and
        # the sentence states its value after a copula; "between 3 and 5" states none.
        return _stated_later(sentence[end:])
    value = sentence[start:end]
    if start > 0 and not is_prose(sentence) and not any(c.isdigit() for c in value):
        return sentence  # one word before a letter, read with it: "option F" (a letter only A-E names)
    return value


def _stated_later(rest: str) -> str | None:
    """The value a copula states later in a marker's sentence ("…, which is 12"), unless its words hedge it."""
    copulas = list(_IS_RE.finditer(rest))
    if not copulas:
        return None
    value = rest[copulas[-1].end():].strip().rstrip(".")
    if not value or hedges(value, last=3) or not any(c.isdigit() for c in value):
        return None
    return reduce_sentence(value) if plain_words(value) else value


def _signed_scaled(sentence: str, start: int, end: int) -> tuple[int, int]:
    """The value's span with a sign word before it ("negative 12") and a scale word after it ("12 thousand")."""
    head = sentence[max(0, start - _LOOK_BACK):start]
    sign = _SIGN_WORD_RE.search(head)
    if sign is not None and sentence[start:start + 1] not in ("-", "+", "−"):
        at = start - len(head) + sign.start()
        # a word of its own, not after a value ("5 minus 3" computes)
        if at == 0 or (not sentence[at - 1].isalpha() and head[:sign.start()].rstrip()[-1:] not in _VALUE_ENDS):
            start = at
    scale = _SCALE_WORD_RE.match(sentence, end)
    return start, scale.end() if scale is not None else end


def _described(sentence: str) -> str | None:
    """A sentence with no value after a few words: only words ("the empty set"), or a description; its
    copula's value, else its last number, unless the words of that number's clause hedge it."""
    stated = _stated(sentence, _IS_RE, is_prose)
    if stated is not None:
        return stated
    num = extract_last_number(sentence)
    if num is None:
        return sentence
    return None if hedges(last_clause(sentence[:sentence.rfind(num.text)])) else num.text


def _marked_value(sentence: str, words: list[re.Match]) -> tuple[int, int] | None:
    """(start, end) of the first value after at most ``MAX_LEAD_WORDS`` plain words; a value followed by
    a copula is its subject ("$n$ is 34"), and the value after the copula is taken instead."""
    pos = lead = i = 0
    subject = None
    while lead <= MAX_LEAD_WORDS:
        phrase = _number_phrase_at(sentence, _PUNCT_GAP_RE.match(sentence, pos).end()) \
            or _number_phrase_at(sentence, _ARTICLE_GAP_RE.match(sentence, pos).end())
        if phrase is not None:
            return phrase
        gap = _ARTICLE_GAP_RE.match(sentence, pos).end()
        while i < len(words) and words[i].start() < gap:
            i += 1
        if gap >= len(sentence):
            return subject
        if i < len(words) and words[i].start() == gap:  # a filler word
            lead, pos, i = lead + 1, words[i].end(), i + 1
            continue
        end = words[i].start() if i < len(words) else len(sentence)
        if sentence[gap:end].strip().lower() == "no" and i + 1 < len(words) \
                and words[i].group(0).lower() in COMPARATIVES and words[i + 1].group(0).lower() == "than":
            lead, pos = lead + 1, gap + 2  # "no more than 5": a bound's first word, not the answer "no"
            continue
        value_end = _value_end(sentence, gap, end, before_word=i < len(words))
        if not (i < len(words) and words[i].group(0).lower() in _COPULA_WORDS):
            return gap, value_end
        subject = (gap, value_end)
        lead, pos, i = lead + 1, words[i].end(), i + 1
    return None


def _value_end(text: str, lo: int, hi: int, before_word: bool) -> int:
    """Where the value in ``text[lo:hi]`` ends, less what trails it: spaces and punctuation, a dash ("12 - a
    nice number"), a joining "and"/"or", and before a word an article ("6; a different method"; at the end "a"
    is a variable: "3 - a"). One step back per character (an anchored pattern retried from each start of a
    long run of spaces was quadratic)."""
    e = hi
    while e > lo:
        c = text[e - 1]
        if c in _TRAILING_CHARS or (c == "-" and e - 1 > lo and text[e - 2] in " \t"):
            e -= 1
            continue
        if not c.isalpha():
            break
        w = e - 1
        while w > lo and text[w - 1].isalpha():
            w -= 1
        word = text[w:e].lower()
        if w > lo and text[w - 1] in _TRAILING_CHARS and (word in _JOINER_WORDS or (before_word and word in _ARTICLES)):
            e = w
            continue
        break
    return e


def _number_phrase_at(text: str, pos: int) -> tuple[int, int] | None:
    """A number in words starting at ``pos`` ("five", "a half", "twenty one"), as (start, end)."""
    m = NUMBER_WORDS_RE.match(text, pos)
    if m is None or text[m.end():m.end() + 1] == "-" or words_value(m.group(0)) is None:
        return None
    return m.start(), m.end()


def _stated(sentence: str, copula: re.Pattern[str], wordy: Callable[[str], object]) -> str | None:
    """What follows the last copula when it is no more words ("… is 34"), else the last math block."""
    copulas = list(copula.finditer(sentence))
    if copulas:
        tail = sentence[copulas[-1].end():].strip()
        if tail and not wordy(tail):
            return tail
    blocks = find_math_blocks(sentence)
    return blocks[-1][1].strip() if blocks else None


def _leading_math(text: str) -> str | None:
    for opener, closer in (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("$", "$")):
        if text.startswith(opener):
            end = text.find(closer, len(opener))
            if end > 0:
                # "$x$ and $y$" keeps going: let the sentence rule take it.
                if re.match(r"\s*(?:,|and\b|or\b)", text[end + len(closer):end + len(closer) + 8]):
                    return None
                return text[:end + len(closer)]
    return None


# Every marker contains one of these; searching for them from the end keeps a
# megabyte response from being run through the whole marker regex.
_MARKER_KEYWORDS = ("answer", "response", "antwort", "réponse", "respuesta", "答案", "option", "choice")


# How many of a keyword's occurrences are tried, from the last back, for a marker stating an answer: real text has
# a few; a response of 100,000 empty markers ("answer: . " repeated) cost 2 s on the thread that grades inline.
MAX_MARKERS_TRIED = 1_000


def _last_marker(text: str, lo: int = 0) -> Extraction | None:
    lower = text[lo:].lower()  # only the part after ``lo`` is searched
    best: Extraction | None = None
    for keyword in _MARKER_KEYWORDS:
        end = len(lower)
        tried = 0
        while (tried := tried + 1) <= MAX_MARKERS_TRIED and (j := lower.rfind(keyword, 0, end)) >= 0 \
                and (best is None or j + lo > best.start):
            i = j + lo
            found = None
            for m in _MARKER_RE.finditer(text, max(0, i - 60), min(len(text), i + len(keyword) + 60)):
                if m.start() <= i < m.end():
                    found = m
            if found is not None and found.start() >= lo:
                cand = _after_marker(text, found.end())
                if cand is None:  # the final statement hedges: no earlier one answers for it
                    if best is None or found.start() > best.start:
                        best = Extraction("", "answer_is", LATEX, found.start(), _HEDGED)
                    break
                if cand:
                    if best is None or found.start() > best.start:
                        best = Extraction(cand, "answer_is", LATEX, found.start())
                    break
            end = j
    return best


_HEDGED = "The answer statement negates or hedges its value, or offers another beside it."


def extract_marked(text: str, lo: int = 0) -> Extraction | None:
    """The last "answer is"/"Final Answer:"/"####"/``<answer>`` statement (starting at ``lo`` or later)."""
    best = _last_marker(text, lo)
    m = None
    for m in _GSM8K_RE.finditer(text):  # from the start: a match runs to the end of its line
        pass
    if m is not None and m.start() >= lo and (best is None or m.start() > best.start):
        best = Extraction(m.group(1).strip(), "gsm8k", EXPR, m.start())
    final = _FINAL_A_RE.search(text, max(lo, len(text) - 300))
    if final is not None and (best is None or final.start(1) > best.start):
        best = Extraction(final.group(1).strip(), "gsm8k", EXPR, final.start(1))
    tag = None
    tail = text[lo:]
    idx = tail.lower().rfind("<answer>") if "<" in tail else -1
    if idx >= 0:
        idx += lo
        tag = _ANSWER_TAG_RE.match(text, idx)
    if tag and tag.group(1).strip() and (best is None or tag.start() > best.start):
        best = Extraction(tag.group(1).strip(), "answer_tag", LATEX, tag.start())
    return best


# --- math delimiters and markdown ------------------------------------------

_DELIM_RE = re.compile(r"\$\$|\\\[|\\\]|\\\(|\\\)|(?<!\\)\$")
_CLOSER = {"$$": "$$", "\\[": "\\]", "\\(": "\\)", "$": "$"}


def find_math_blocks(text: str, broken: list[tuple[int, int]] | None = None) -> list[tuple[int, str]]:
    """``$…$``, ``$$…$$``, ``\\[…\\]`` and ``\\(…\\)`` blocks as (start, content).

    Inline ``$…$`` and ``\\(…\\)`` may not span a line break, as in Math-Verify
    (a lone ``$`` is often currency). The (start, end) of each delimiter pair
    refused for that reason is appended to ``broken`` when given.
    """
    blocks: list[tuple[int, str]] = []
    open_tok: str | None = None
    open_end = 0
    open_start = 0
    for m in _DELIM_RE.finditer(text):
        tok = m.group(0)
        if open_tok is None:
            if tok in _CLOSER:
                open_tok, open_start, open_end = tok, m.start(), m.end()
            continue
        if tok == _CLOSER[open_tok]:
            content = text[open_end:m.start()]
            if not (open_tok in ("$", "\\(") and "\n" in content):
                if content.strip():
                    blocks.append((open_start, content))
                open_tok = None
            elif tok in _CLOSER:  # a "$" after a line break opens a new block
                if broken is not None:
                    broken.append((open_start, m.end()))
                open_tok, open_start, open_end = tok, m.start(), m.end()
            else:  # "\(" … line break … "\)": no block
                if broken is not None:
                    broken.append((open_start, m.end()))
                open_tok = None
        elif tok in _CLOSER and open_tok == "$" and "\n" in text[open_end:m.start()]:
            open_tok, open_start, open_end = tok, m.start(), m.end()
    return blocks


def in_broken_inline_math(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` lies between inline math delimiters that a
    line break keeps from pairing (``$`` ⏎ 9 ⏎ ``$``): text the rules read as no math."""
    broken: list[tuple[int, int]] = []
    find_math_blocks(text, broken)
    return any(a < start and end < b for a, b in broken)


MATH_TAIL_CHARS = 50_000


def _tail_start(text: str, size: int) -> int:
    """Where to start reading the last ``size`` characters: at a line start, so
    inline math delimiters pair up as they would from the beginning."""
    if len(text) <= size:
        return 0
    nl = text.find("\n", len(text) - size)
    return nl + 1 if nl >= 0 else len(text) - size


_BOLD_RE = re.compile(r"\*\*([^*\n]{1,80})\*\*")


def _is_currency(content: str) -> bool:
    """"$2 per egg and 9 left so 2 * 9 = $": two dollar signs around prose are prices, not math."""
    return content[:1].isdigit() and is_prose(content)


def extract_bold(text: str) -> Extraction | None:
    last = None
    for m in _BOLD_RE.finditer(text):
        if re.search(r"\d", m.group(1)):
            last = m
    if last is None:
        return None
    return Extraction(last.group(1).strip(), "bold", LATEX, last.start())


# --- plain numbers ------------------------------------------------------------

# A power of ten after a mantissa, in every spelling the normalizer reads:
# "5 x 10^-2", "5*10^-2", "5 \times 10^{-2}", "5 \cdot 10^{-2}", "5·10⁻²".
_TIMES_TEN = (r"(?:[ \t]*(?:x|×|\*|·|\\times|\\cdot)[ \t]*10[ \t]*(?:\^[ \t]*(?:\{[ \t]*[-+−]?\d+[ \t]*\}|[-+−]?\d+)"
              r"|[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+))?")
# A number token not glued to a preceding letter: thousands groups, decimals
# (also with a decimal comma), mixed numbers "2 1/2", fractions, powers of ten, percent.
# Fullwidth signs, points, slashes and percent count too ("－３", "３．５", "１／３", "５０％": CJK output;
# \d already takes fullwidth digits, and the normalizer folds what is extracted).
NUMBER_RE = re.compile(
    r"(?<![A-Za-z0-9_.．])[-+−－＋]?(?:"
    r"\d{1,3}(?:(?:,|\u2009|\u202f|\u00a0| )\d{3})+(?:\.\d+)?(?:[ \u00a0]\d+/\d+)?"
    r"|\d+(?:[.,．]\d+)?(?:[eE][-+]?\d+)?" + _TIMES_TEN + r"(?:\s*[/／]\s*\d+(?:[.．]\d+)?|[ \u00a0]\d+/\d+)?"
    r"|[.．]\d+(?:[eE][-+]?\d+)?" + _TIMES_TEN +
    r")(?:\s*(?:\\?[%％]|percent(?:age)?|pct))?"
)


# "4 4/9 2": several numbers in a row are not one answer; the last one is.
_NUMBER_RUN_RE = re.compile(r"^[-+]?[\d./]+(?:\s+[-+]?[\d./]+){2,}$|^[-+]?\d+/\d+\s+[-+]?[\d./]+$|^[-+]?[\d.]+\s+[-+]?\d+(?:\.\d+)?$")


def extract_last_number(text: str) -> Extraction | None:
    """The last number in the text's tail, in digits or in words ("there are twelve in all")."""
    tail = text[-20_000:]
    last = None
    for last in NUMBER_RE.finditer(tail):
        pass
    worded = last_number_phrase(tail, last.end() if last is not None else 0)  # not a bare "one"
    found = worded or last
    if found is None:
        return None
    return Extraction(found.group(0).strip(), "last_number", EXPR, max(0, len(text) - 20_000) + found.start())


# --- the whole pipeline ----------------------------------------------------

def _short_answer_like(text: str) -> bool:
    """A short response that may be the bare answer: "$x=2$", "1,000", "Monday", not "no idea"."""
    if not text or len(text) > 200 or "\n" in text or is_prose(text) or _NUMBER_RUN_RE.match(text):
        return False
    letters_only = re.fullmatch(r"[A-Za-z' ]+", text) is not None
    return not (letters_only and len(text.split()) > 1)


# Words of two or more letters outside LaTeX commands and math blocks, and those that belong to math.
_WORD_RE = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{2,}(?![A-Za-z])")
_MATH_WORDS = frozenset({"sin", "cos", "tan", "cot", "sec", "csc", "log", "ln", "lg", "exp", "pi", "mod", "gcd",
                         "lcm", "max", "min", "det", "and", "or", "arcsin", "arccos", "arctan", "sinh", "cosh",
                         "tanh", "infty", "inf", "no", "yes", "none", "true", "false", "percent", "percentage",
                         "pct"})
_COPULA_RE = re.compile(r"\b(?:is|are|equals|was|were|be|becomes|gives|get|gets|got|makes)\b\s*:?\s*", re.IGNORECASE)
_LABEL_RE = re.compile(r"^[A-Za-z]{3,}\s+\d+$")  # "Part 2", "Step 1": a label, not a sentence about 2
_NEXT_SENTENCE_RE = re.compile(r"[.!?]\s+[A-Z]")  # "Therefore x equals 4. Check: ...": two sentences
_JOINER_RE = re.compile(r"\b(?:and|or)\b")
_NOT_WORDS_RE = re.compile(r"\$[^$]*\$|\\\(.*?\\\)|\\(?:text|begin|end|mathrm|operatorname)\{[^{}]*\}|\\[A-Za-z]+")


def plain_words(text: str) -> list[re.Match]:
    """Plain words, with positions: not math, not LaTeX commands or environment names, not math's own words."""
    masked = _NOT_WORDS_RE.sub(lambda m: " " * len(m.group(0)), without_unclosed_parens(text))  # positions stay
    return [m for m in _WORD_RE.finditer(masked) if m.group(0).lower() not in _MATH_WORDS]


def sentence_answer(text: str) -> str | None:
    """The answer a short sentence states: "It is 42." → "42", "We get .05" → ".05",
    "It is x+1." → "x+1", "It equals 5*10^-2 mol" → "5*10^-2"; None when the text is no
    sentence (no plain words, or no digits)."""
    correction = _TRAILING_NOT_RE.search(text, max(0, len(text) - _LOOK_BACK))
    if correction is not None and _DIGIT_RE.search(text, 0, correction.start()):
        text = text[:correction.start()]  # "There are 6 cookies left, not 7.": the answer, then what it is not
    words = plain_words(text)
    if not words or _LABEL_RE.match(text) or not any(c.isdigit() for c in text) or _NEXT_SENTENCE_RE.search(text):
        return None
    stated = _stated(text, _COPULA_RE, plain_words)
    if stated is not None:
        return stated
    # The last stretch between plain words (or "and", "or") that holds a digit: the math the words talk about.
    words += _JOINER_RE.finditer(text)
    words.sort(key=lambda w: w.start())
    bounds = [0] + [i for w in words for i in (w.start(), w.end())] + [len(text)]
    for lo, hi in reversed(list(zip(bounds[::2], bounds[1::2]))):
        stretch = text[lo:hi].strip(" \t,;:")
        if any(c.isdigit() for c in stretch):
            start = text.index(stretch, lo)
            start, end = _signed_scaled(text, start, start + len(stretch))  # "It is negative 12", "12 thousand"
            return text[start:end]
    return None


def extract_candidates(response: str, match_types: tuple[str, ...] = (LATEX, EXPR)) -> list[Extraction]:
    """Answer candidates in the order the engine should try them."""
    return list(iter_candidates(response, match_types))


def lazy_candidates(response: str, match_types: tuple[str, ...] = (LATEX, EXPR)) -> "Candidates":
    """The same candidates, each found only when asked for: most responses are decided by
    their box or answer marker, and the later scans (math blocks, the last number) are
    then never run (a fifth of the rule path's time, per benchmarks/profile_rules.py)."""
    return Candidates(iter_candidates(response, match_types))


def iter_candidates(response: str, match_types: tuple[str, ...] = (LATEX, EXPR)) -> Iterator[Extraction]:
    text = final_section(response)
    seen: set[str] = set()
    for c in _candidates_in_order(text, match_types):
        if not seen and _states_nothing(c):
            yield c  # the final statement says nothing: no weaker candidate may answer for it
            return
        if c.text and c.text not in seen:  # keep the first of equal texts
            seen.add(c.text)
            yield c


def _hedged_one_liner(text: str) -> Extraction | None:
    """A one-line response whose sentence negates its value or makes it a range or a choice ("It is not 5.",
    "The result is less than 5."), as a refused candidate, or, where an earlier clause states a value plainly
    and offers no other ("12, since it cannot be 11"), that value as the candidate; None for any other text."""
    stripped = text.strip()
    if len(stripped) > 200 or "\n" in stripped:
        return None
    stated = sentence_answer(stripped)
    start = stripped.rfind(stated) if stated else -1
    if start < 0:
        return None
    head = stripped[:start]
    correction = _CORRECTION_RE.search(head, max(0, len(head) - _LOOK_BACK))
    if correction is not None:  # "It is not 1/2 but 1/3": a correction, not a negation of 1/3
        head = head[:correction.start()]
    # What the value's clause says of it (``_said``), its last three words: "There is no doubt it is 5" and "No,
    # it is 5" do not negate 5; "It is not 5" does.
    if hedges(_said(last_clause(head)), last=3) or offers_alternative(stripped[start + len(stated):]):
        earlier = _earlier_statement(head)
        # "The answer must be 12, since it cannot be 11" is 12; "It is 5, or maybe 6" offers two
        if earlier is not None and not offers_alternative(stripped[earlier[1] + len(earlier[0]):]):
            value, at = earlier
            return Extraction(value, "sentence", EXPR, text.find(stripped) + at)
        return Extraction("", "sentence", EXPR, text.find(stripped), _HEDGED)
    return None


def _said(clause: str) -> str:
    """What a clause says of its value: from its last copula and the word before it, where it has one ("The
    number of people who did not attend is", "The largest integer less than 13 is": the subject's words say
    nothing of the value; "It cannot be" does), else the whole clause."""
    copulas = list(_COPULA_RE.finditer(clause))
    if not copulas:
        return clause
    return " ".join(clause[:copulas[-1].start()].split()[-1:]) + " " + clause[copulas[-1].start():]


def _earlier_statement(head: str) -> tuple[str, int] | None:
    """The value an earlier clause of a one-line answer states plainly, and where, when the last clause
    negates or hedges its own ("12, since it cannot be 11"); None where none does."""
    clauses = list(CLAUSE_RE.finditer(head))[:-1]
    for clause in reversed(clauses):
        text = clause.group(0)
        value = sentence_answer(text.strip()) if any(c.isdigit() for c in text) else None
        if value:
            at = text.rfind(value)
            if at >= 0 and not hedges(_said(text[:at]), last=3):
                return value, clause.start() + at
            return None
    return None


def _states_nothing(c: Extraction) -> bool:
    """An empty final box (``\\boxed{}``) or a marker whose sentence negates or hedges its value."""
    return bool(c.refused) or (c.method == "boxed" and not c.text.strip())


def _candidates_in_order(text: str, match_types: tuple[str, ...]) -> Iterator[Extraction]:
    if "<<" in text:  # blanked, not removed: offsets into the text stay true
        text = _CALCULATOR_RE.sub(lambda m: " " * len(m.group(0)), text)
    if LATEX in match_types:
        # The last box or marker first. A box beats a marker that merely restates it
        # ("... is \boxed{5}"); a marker before the box is only looked for when the
        # box itself does not parse.
        box = extract_boxed(text)
        later = extract_marked(text, box.start + 1) if box else extract_marked(text)
        if later and later.refused and box:
            later = None  # a hedging remark after the box ("… not 6") does not take back the boxed answer
        if not (box or later):
            hedged = _hedged_one_liner(text)
            if hedged is not None:  # "It is not $5$.": neither its math block nor its last number answers
                yield hedged
                return
        if later:
            yield later
        if box:
            yield box
            if not later:
                earlier = extract_marked(text)
                if earlier:
                    yield earlier
        tail = _tail_start(text, MATH_TAIL_CHARS)
        blocks = find_math_blocks(text[tail:])
        for start, content in reversed([b for b in blocks if not _is_currency(b[1])][-3:]):
            yield Extraction(content.strip(), "math", LATEX, tail + start)
        bold = extract_bold(text)
        if bold:
            yield bold
    stripped = text.strip()
    stated = sentence_answer(stripped) if len(stripped) <= 200 and "\n" not in stripped else None
    if stated is not None:  # a one-line sentence: what it says the answer is
        yield Extraction(stated, "sentence", EXPR, max(0, text.find(stated)))
    elif _short_answer_like(stripped):
        yield Extraction(stripped, "whole", LATEX if LATEX in match_types else EXPR, 0)
    if EXPR in match_types:
        num = extract_last_number(text)
        if num:
            yield num


class Candidates(Sequence):
    """A list of candidates computed on demand; pickles as a plain list."""

    def __init__(self, items: Iterator[Extraction]) -> None:
        self._items = items
        self._done: list[Extraction] = []

    def _fill(self, n: int | None) -> None:
        while self._items is not None and (n is None or len(self._done) < n):
            nxt = next(self._items, None)
            if nxt is None:
                self._items = None
            else:
                self._done.append(nxt)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice) or index < 0:
            self._fill(None)
        else:
            self._fill(index + 1)
        return self._done[index]

    def __len__(self) -> int:
        self._fill(None)
        return len(self._done)

    def __bool__(self) -> bool:
        self._fill(1)
        return bool(self._done)

    def __iter__(self) -> Iterator[Extraction]:
        i = 0
        while True:
            self._fill(i + 1)
            if i >= len(self._done):
                return
            yield self._done[i]
            i += 1

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, (list, Candidates)) else NotImplemented

    def __reduce__(self):
        return (list, (list(self),))
