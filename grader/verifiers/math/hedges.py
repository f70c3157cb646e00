"""Whether an answer sentence commits to its value: words before it that negate it or make it a range or a
choice, and text after it that offers another value. One pass over the words or clauses each: these run on
every answer marker's sentence of a response, so no pattern here may backtrack over a long run."""

from __future__ import annotations

import re

from .number_words import last_number_phrase

# Words before a value that negate it or make it a range or a choice: "not 5", "never 5", "cannot be 5",
# "either 3 or 5", "between 3 and 5", "any integer from 1 to 100", "could be 5". A strict comparison ("less than
# 5", "more than 5") excludes the value; negated ("no more than 6", "cannot buy more than 6", "not less than 4")
# it is a bound, which is how the answer to a least/most question is put, as are "at least 4", "at most 6" and
# "up to 6". "probably 12" and "most likely 12" still state one value, and so does a bare "no" ("no doubt").
_HEDGE_WORDS = frozenset({"not", "never", "neither", "nor", "either", "or", "between", "any", "could", "might",
                          "cannot"})
_NEGATIONS = frozenset({"not", "no", "never", "cannot"})
COMPARATIVES = frozenset({"less", "more", "fewer", "greater", "smaller", "larger", "bigger", "higher", "lower"})
_WORD_EDGES = "\"'“”‘’.,;:!?()[]{}*_$"
# After the value: another value offered ("five or six"), or a doubt that offers one ("3, but it could also be
# 5", "3, but it might be 5"). A doubt that offers none states the value ("5, but I could be wrong", "6, although
# other approaches could be used"), and so does a remark ("12, which could be checked by …").
# ("12 or, equivalently, one dozen" restates the value.)
_OR_NEXT_RE = re.compile(r"[\s,;]*(?:or|and/or|nor)\b(?![\s,]*(?:equivalently|in other words|that is|i\.e\.))",
                         re.IGNORECASE)
_DOUBT_RE = re.compile(r"\b(?:but|or|though|although)\b", re.IGNORECASE)
_MODAL_RE = re.compile(r"\b(?:could|might|may)\b", re.IGNORECASE)
_ALSO_BE_RE = re.compile(r"\s+also\s+be\b", re.IGNORECASE)
CLAUSE_RE = re.compile(r"[^,;:]+")  # a clause: the text between commas, semicolons and colons
_DIGIT_RE = re.compile(r"\d")


def last_clause(text: str) -> str:
    """The text after the last comma, semicolon or colon (all of it where there is none)."""
    return text[max(text.rfind(","), text.rfind(";"), text.rfind(":")) + 1:]


def _negation(token: str) -> bool:
    return token in _NEGATIONS or token.endswith(("n't", "n’t"))


def hedges(before: str, last: int | None = None) -> bool:
    """Whether the words before a value negate it or make it a range or a choice (only the ``last`` few words,
    when given; a negation that turns a comparison into a bound may stand a little earlier). One pass."""
    tokens = [w.strip(_WORD_EDGES).lower() for w in before.split()]  # a number or math is a word of the window
    lo = 0 if last is None else max(0, len(tokens) - last)
    bounding: set[int] = set()
    for k in range(max(lo, 1), len(tokens)):
        if tokens[k] == "than" and tokens[k - 1] in COMPARATIVES:
            negation = next((j for j in range(k - 2, max(k - 5, -1), -1) if _negation(tokens[j])), None)
            if negation is None:
                return True  # "less than 5": a strict comparison excludes the value
            bounding.add(negation)  # "no more than 6", "cannot buy more than 6": a bound
    return any(j not in bounding and (t in _HEDGE_WORDS or (t != "no" and _negation(t))
                                      or (t == "may" and tokens[j + 1:j + 2] == ["be"]))
               for j, t in enumerate(tokens[lo:], lo))


def offers_alternative(after: str) -> bool:
    """Whether the text after a value offers another value beside it: "or 6" right after it, or a clause with a
    modal ("could", "might", "may") followed by a value, after "but"/"or"/"though"/"although" or as "… could also
    be 6". One pass over the clauses (a pattern ``but .* could`` tried from each "but" was quadratic)."""
    if _OR_NEXT_RE.match(after):
        return True
    if _MODAL_RE.search(after) is None:
        return False
    doubt = _DOUBT_RE.search(after)
    for clause in CLAUSE_RE.finditer(after):
        text = clause.group(0)
        value_at = _last_value_start(text)
        if value_at < 0:
            continue
        for modal in _MODAL_RE.finditer(text, 0, value_at):
            if modal.end() > value_at:
                break
            if (doubt is not None and doubt.start() < clause.start() + modal.start()) \
                    or _ALSO_BE_RE.match(text, modal.end()):
                return True
    return False


def _last_value_start(text: str) -> int:
    """Where the last value in ``text`` starts (a digit, or a number in words), or -1."""
    digit = -1
    for digit_match in _DIGIT_RE.finditer(text):
        digit = digit_match.start()
    worded = last_number_phrase(text)
    return max(digit, worded.start() if worded is not None else -1)
