"""Stage 2a: turn an answer's spelling into one canonical LaTeX-ish string.

These are pure string rewrites (no parsing, no sympy): they remove what never
changes a value (sizing commands, spacing, ``\\displaystyle``, units, trailing
punctuation), unify synonyms (``\\dfrac`` → ``\\frac``, ``≤`` → ``\\le``), and
repair references damaged by JSON escaping. ``parse.py`` reads the result.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from fractions import Fraction

from .extract import closing_bracket
from .number_words import spell_out

# JSON decoding turns "\f", "\t", "\b", "\r" inside LaTeX into control
# characters: "\frac" arrives as FORM FEED + "rac". Put the backslash back.
_CONTROL_ESCAPES = {"\x0c": "\\f", "\t": "\\t", "\x08": "\\b", "\x07": "\\a", "\x0b": "\\v"}
_CR_MACROS = ("right", "rangle", "rceil", "rfloor", "rho", "rm")
_NL_MACROS = ("neq", "ne", "nu", "ni", "not", "nabla")
_CR_MACRO_RE = re.compile(r"\r(?=(?:%s)(?![a-zA-Z]))" % "|".join(_CR_MACROS))
_NL_MACRO_RE = re.compile(r"\n(?=(?:%s)(?![a-zA-Z]))" % "|".join(_NL_MACROS))


_DOUBLE_BACKSLASH_RE = re.compile(r"(?<!\\)\\\\(?=[a-zA-Z])")
_TEXT_KEY_DROP_RE = re.compile(r"[{}\\$]|\s+")


def repair_escapes(text: str) -> str:
    """Undo JSON damage: control characters for ``\\f``/``\\t``…, doubled backslashes."""
    for ch, rep in _CONTROL_ESCAPES.items():
        if ch in text:
            text = re.sub(re.escape(ch) + r"(?=[a-zA-Z])", lambda _m, r=rep: r, text)
    if "\r" in text:
        text = _CR_MACRO_RE.sub(r"\\r", text)
    if "\n" in text:
        text = _NL_MACRO_RE.sub(r"\\n", text)
    # "\\frac" (an escaped backslash kept literally) means "\frac"; three or more
    # backslashes are a row break followed by a command and stay.
    if "\\\\" in text:
        text = _DOUBLE_BACKSLASH_RE.sub(r"\\", text)
    return text


_UNICODE = {
    "∞": r"\infty ", "π": r"\pi ", "√": r"\sqrt", "∛": r"\sqrt[3]", "∜": r"\sqrt[4]", "≤": r"\le ", "≥": r"\ge ",
    "≠": r"\ne ", "∪": r"\cup ", "∩": r"\cap ", "×": r"\times ", "·": r"\cdot ", "⋅": r"\cdot ", "−": "-",
    "–": "-", "÷": "/", "∈": r"\in ", "°": r"^\circ",
    "\u2009": " ", "\u202f": " ", "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u200b": "",
    "\u200e": "", "\u200f": "", "\u202a": "", "\u202b": "", "\u202c": "", "\u202d": "", "\u202e": "",
    # The isolates and the Arabic letter mark are invisible direction marks too: a box that holds them was once
    # unreadable and fell back to the last number; now that no number stands in for a box, they must go.
    "\u2066": "", "\u2067": "", "\u2068": "", "\u2069": "", "\u061c": "",
    "ℝ": r"\mathbb{R}", "α": r"\alpha ", "β": r"\beta ", "θ": r"\theta ", "λ": r"\lambda ", "∅": r"\emptyset ",
}
# Fullwidth ASCII (CJK output: "３．５", "－３", "ｘ＋１", "（１，２）") and the ideographic space.
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_SUPERSCRIPT_RE = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+")
_SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
_SUBSCRIPT_RE = re.compile(r"[₀₁₂₃₄₅₆₇₈₉]+")  # "log₂8", "a₁"
# Circled numbers (①-⑳, ⓪, ❶-❿, ➀-➉, ➊-➓), numbered choices: a run of them is a list ("①③" is 1,3).
_CIRCLED_RE = re.compile("[\u2460-\u2473\u24ea\u2776-\u2793]+")
_VULGAR = {"½": "1/2", "⅓": "1/3", "⅔": "2/3", "¼": "1/4", "¾": "3/4", "⅕": "1/5", "⅖": "2/5", "⅗": "3/5",
           "⅘": "4/5", "⅙": "1/6", "⅚": "5/6", "⅐": "1/7", "⅛": "1/8", "⅜": "3/8", "⅝": "5/8", "⅞": "7/8",
           "⅑": "1/9", "⅒": "1/10"}
_VULGAR_RE = re.compile(r"(\d?)\s*([%s])" % "".join(_VULGAR))  # "2½" is the mixed number 2 1/2, not 21/2
# A root sign takes the whole number after it ("√27" is \sqrt{27}, not \sqrt{2}7 as "\sqrt27" reads in LaTeX).
_ROOT_OF_NUMBER_RE = re.compile(r"([√∛∜])\s*(\d+(?:\.\d+)?)")
_ROOT_INDEX = {"√": "", "∛": "[3]", "∜": "[4]"}


def _circled_list(match: re.Match[str]) -> str:
    """A run of circled numbers as a list; a digit beside it is another item ("1②" is 1,2, not 12)."""
    text, start, end = match.string, match.start(), match.end()
    numbers = ",".join(str(int(unicodedata.numeric(c))) for c in match.group(0))
    return ("," if start and text[start - 1].isdigit() else "") + numbers + (
        "," if end < len(text) and text[end].isdigit() else "")


def replace_unicode(text: str) -> str:
    if text.isascii():
        return text
    text = text.translate(_FULLWIDTH)
    text = _CIRCLED_RE.sub(_circled_list, text)
    text = _VULGAR_RE.sub(lambda m: (m.group(1) + " " if m.group(1) else "") + _VULGAR[m.group(2)], text)
    text = _ROOT_OF_NUMBER_RE.sub(lambda m: rf"\sqrt{_ROOT_INDEX[m.group(1)]}{{{m.group(2)}}}", text)
    text = _SUPERSCRIPT_RE.sub(lambda m: "^{" + m.group(0).translate(_SUPERSCRIPTS) + "}", text)
    text = _SUBSCRIPT_RE.sub(lambda m: "_{" + m.group(0).translate(_SUBSCRIPTS) + "}", text)
    for k, v in _UNICODE.items():
        if k in text:
            text = text.replace(k, v)
    return text


# Plain-text math as models write it outside LaTeX ("sqrt(2)", "pi/2", "sin(pi/6)", "log_2 8", "e^(2x)"), as
# LaTeX commands: no text is ever handed to an expression evaluator. A function name becomes a command only
# with an argument after it, so a text answer ("tan", a colour) stays a word.
_PLAIN_MATH_RE = re.compile(
    r"(?<![A-Za-z\\])(?:sqrt\s*(?P<root>\d+(?:\.\d+)?)"  # "sqrt27": the whole number
    r"|(?P<name>sqrt|pi|inf)(?![A-Za-z])"
    r"|(?P<function>arcsin|arccos|arctan|sinh|cosh|tanh|sin|cos|tan|cot|sec|csc|log|ln|exp)"
    r"(?=\s*[(_^{\d]|\s+[A-Za-z](?![A-Za-z])))")
_PLAIN_NAMES = {"sqrt": r"\sqrt", "pi": r"\pi ", "inf": r"\infty "}
_PAREN_POWER_RE = re.compile(r"\^\s*\(([^()]*)\)")  # "e^(2x)" is e^{2x}


def _latex_name(match: re.Match[str]) -> str:
    if match.group("root"):
        return rf"\sqrt{{{match.group('root')}}}"
    if match.group("name"):
        return _PLAIN_NAMES[match.group("name")]
    return "\\" + match.group("function")


def latex_plain_math(text: str) -> str:
    """``sqrt(x+1)`` → ``\\sqrt{x+1}``, ``pi/2`` → ``\\pi /2``, ``log_2 8`` → ``\\log_2 8``, ``e^(2x)`` → ``e^{2x}``."""
    if "^" in text:
        text = _PAREN_POWER_RE.sub(r"^{\1}", text)
    text = _PLAIN_MATH_RE.sub(_latex_name, text)
    return _root_braces(text) if "(" in text and "\\sqrt" in text else text


_ROOT_PAREN_RE = re.compile(r"\\sqrt\s*(\[[^\[\]]*\])?\s*\(")
_MAX_ROOTS = 32


def _root_braces(text: str) -> str:
    """``\\sqrt(x+1)`` → ``\\sqrt{x+1}``: LaTeX would take the parenthesis alone as the radicand."""
    pos = 0
    for _ in range(_MAX_ROOTS):
        match = _ROOT_PAREN_RE.search(text, pos)
        if match is None:
            break
        end = closing_bracket(text, match.end() - 1)
        if end < 0:
            break
        text = (text[:match.start()] + "\\sqrt" + (match.group(1) or "") + "{" + text[match.end():end - 1] + "}"
                + text[end:])
        pos = match.start() + 1  # a root inside the radicand is next
    return text


_TEXT_CMD_RE = re.compile(r"\\(?:text|textbf|textit|textrm|textnormal|mathrm|mathbf|mathit|mbox|operatorname\*?|rm|bf|textsf|mathsf)\s*\{([^{}]*)\}")
# Units of one letter (m, h, s, g, l) can also be variables ("\frac{3}{2}n + \frac{1}{2}m"): they are
# dropped only inside \text{} or after a plain number and a space ("5 m", "x = 3 s"), never after a
# brace or a letter (but "1,000.99m^2", square metres after a decimal, is a unit; "12m^2" is 12·m²).
_LETTER_UNITS = r"(?:m|h|s|g|l)"
_UNIT_WORDS = (
    r"(?:square\s+|cubic\s+|sq\.?\s*)?(?:units?|cm|mm|km|meters?|metres?|kilometers?|centimeters?|millimeters?|inches|inch|in|feet|foot|ft|yards?|yd|miles?|mi|"
    r"mph|kph|km/h|m/s|hours?|hrs?|minutes?|mins?|seconds?|secs?|days?|weeks?|months?|years?|yrs?|"
    r"grams?|kg|kilograms?|mg|pounds?|lbs?|ounces?|oz|liters?|litres?|ml|gallons?|"
    r"dollars?|cents?|yuan|euros?|rupees?|points?|people|persons?|students?|ways|times|degrees?|deg|radians?|rad|"
    r"apples|books|marbles|cookies|coins|balls|boxes|pages|cars|trees|items|pieces|hats|sq|units\^2)"
)
_TRAILING_UNIT_RE = re.compile(
    # the closing brace only with its own opening: in "\text{12 cm}" it closes the number's \text
    r"(?<=[0-9}.)\s])\s*(?:\\,|\\ |~)?\s*(?:(?:\\text\{\s*|\\mbox\{\s*|\\mathrm\{\s*|\\textnormal\{\s*)"
    + _UNIT_WORDS + r"\s*\}|" + _UNIT_WORDS + r")(?:\s*\^\s*\{?[23]\}?)?\s*$"
    r"|(?<=[0-9}.)\s])\s*(?:\\,|\\ |~)?\s*(?:\\text\{|\\mbox\{|\\mathrm\{|\\textnormal\{)\s*"
    + _LETTER_UNITS + r"\s*\}(?:\s*\^\s*\{?[23]\}?)?\s*$"
    r"|(?<=[0-9])(?:[ \t]|\\,|\\ |~)+" + _LETTER_UNITS + r"(?:\s*\^\s*\{?[23]\}?)?\s*$"
    r"|(?<=[.,][0-9])m\s*\^\s*\{?[23]\}?\s*$"  # "1,000.99m²": square and cubic metres after a decimal
    r"|(?<=[.,][0-9]{2})m\s*\^\s*\{?[23]\}?\s*$|(?<=[.,][0-9]{3})m\s*\^\s*\{?[23]\}?\s*$",
    re.IGNORECASE,
)


_TRAILING_TEXT_RE = re.compile(
    r"(?<=[0-9}])\s*\\(?:text|textbf|textit|textrm|textnormal|mathrm|mbox)\s*\{\s*[A-Za-z][A-Za-z .]*\}(?:\s*\^\s*\{?[23]\}?)?\s*$"
)


def strip_units(text: str) -> str:
    """Drop a trailing unit after a numeric answer (``15 \\text{ cm}^2`` → ``15``)."""
    prev = None
    while prev != text:
        prev = text
        text = _TRAILING_UNIT_RE.sub("", text).rstrip()
        text = _TRAILING_TEXT_RE.sub("", text).rstrip()
    return text


_SPACING_RE = re.compile(r"(?<!\\)\\(?:quad|qquad|,|;|:|!|>| |enspace|thinspace|medspace|thickspace)|~")
_ORDINAL_RE = re.compile(r"(?<=\d)\s*(?:\^\s*\{?\s*)?(?:\\(?:text|mathrm|textrm)\s*\{\s*)?(?:st|nd|rd|th)\b\s*\}?\s*\}?")
# Sizing commands (\\bigl, \\Big) are left in place: like Math-Verify, a candidate that
# uses them does not parse, and the next candidate is tried.
_DROP_RE = re.compile(r"\\(?:displaystyle|textstyle|scriptstyle|limits|nolimits|mathdisplay)(?![a-zA-Z])")
# This and _DMS_RE start only where a number starts ((?<![\d.])): tried from inside a run of digits, each
# start scanned the rest of the run again before failing (quadratic: 100,000 boxed digits took 30 s).
_REPEATING_RE = re.compile(r"(?<![\d.])(\d*\.\d*)\s*\\(?:overline|bar|dot)\s*\{?\s*(\d+)\s*\}?")
_FRAC_SYNONYM_RE = re.compile(r"\\[dtc]frac(?![a-zA-Z])")
_FRAC_SHORT_RE = re.compile(r"\\frac\s*([0-9a-zA-Z])\s*([0-9a-zA-Z])")
_FRAC_HALF_RE = re.compile(r"\\frac\s*([0-9a-zA-Z])\s*(?=\{)")
_FRAC_HALF2_RE = re.compile(r"\\frac\s*(\{[^{}]*\})\s*([0-9a-zA-Z])")
_SQRT_SHORT_RE = re.compile(r"\\sqrt\s*([0-9a-zA-Z])")
_DEGREE_MARK = r"\^\s*\{?\s*\\circ\s*\}?|\\circ|\\degree"
_DEGREE_RE = re.compile(_DEGREE_MARK + r"|\^\s*\{\s*o\s*\}")
# "60^\\circ 42'" (and seconds): degrees and minutes, read as decimal degrees.
_DMS_RE = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)?)\s*(?:" + _DEGREE_MARK + r")\s*(\d+(?:\.\d+)?)\s*(?:\\?'|\^\s*\{?\s*\\prime\s*\}?|\\prime|′)"
    r"(?:\s*(\d+(?:\.\d+)?)\s*(?:\\?''|\\?\"|\^\s*\{?\s*\\prime\\prime\s*\}?|″))?"
)


def _decimal_degrees(m: re.Match) -> str:
    value = Fraction(m.group(1)) + Fraction(m.group(2)) / 60 + Fraction(m.group(3) or 0) / 3600
    return str(value.numerator) if value.denominator == 1 else f"\\frac{{{value.numerator}}}{{{value.denominator}}}"


def has_degrees(text: str) -> bool:
    """Whether an answer is written in degrees (``30^\\circ``, ``90°`` after Unicode replacement)."""
    return "circ" in text or "degree" in text or "°" in text
_SYNONYMS = [
    (re.compile(r"\\leq?slant(?![a-zA-Z])|\\leqq(?![a-zA-Z])|\\leq(?![a-zA-Z])|<=|=<"), r"\\le "),
    (re.compile(r"\\geq?slant(?![a-zA-Z])|\\geqq(?![a-zA-Z])|\\geq(?![a-zA-Z])|>=|=>"), r"\\ge "),
    # "\not=" and "\not =" are LaTeX's other spelling of \neq (not a variable named \not equal to 5).
    (re.compile(r"\\neq(?![a-zA-Z])|!=|\\not\s*="), r"\\ne "),
    (re.compile(r"\\lt(?![a-zA-Z])"), "<"),
    (re.compile(r"\\gt(?![a-zA-Z])"), ">"),

    (re.compile(r"\\(?:varnothing|O)(?![a-zA-Z])"), r"\\emptyset"),
    (re.compile(r"\\infin(?![a-zA-Z])|\\infinity(?![a-zA-Z])"), r"\\infty"),
    (re.compile(r"\\(?:bmatrix|Bmatrix|vmatrix|Vmatrix|matrix|smallmatrix)(?![a-zA-Z])"), r"\\pmatrix"),
    (re.compile(r"\\(?:mathbb|mathcal|mathscr|mathfrak|mathbf|boldsymbol|bm|vec|overrightarrow|overline|widehat|hat|bar)\s*\{([^{}]*)\}"), r"\1"),
    (re.compile(r"\\mathbb\s*([A-Z])(?![a-zA-Z])"), r"\1"),  # "\mathbb R", without braces
    (re.compile(r"\\dots[bcmo]?(?![a-zA-Z])|\\ldots(?![a-zA-Z])|\\cdots(?![a-zA-Z])"), r"\\dots"),
    (re.compile(r"\\lvert(?![a-zA-Z])|\\rvert(?![a-zA-Z])|\\vert(?![a-zA-Z])|\\mid(?![a-zA-Z])"), "|"),
    (re.compile(r"\\lbrace(?![a-zA-Z])"), r"\\{"),
    (re.compile(r"\\rbrace(?![a-zA-Z])"), r"\\}"),
    (re.compile(r"\\lbrack(?![a-zA-Z])"), "["),
    (re.compile(r"\\rbrack(?![a-zA-Z])"), "]"),
    (re.compile(r"\\ln(?![a-zA-Z])"), r"\\log"),
    (re.compile(r"\\dbinom(?![a-zA-Z])|\\tbinom(?![a-zA-Z])"), r"\\binom"),
    (re.compile(r"\\(?:arc)?tg(?![a-zA-Z])"), r"\\tan"),
]
_PERCENT_RE = re.compile(r"\s*(?:\\+%|%|\\text\{\s*%\s*\}|\s*percent(?:age)?\b|\s*pct\b)\s*$", re.IGNORECASE)
_CURRENCY_RE = re.compile(r"\\\$|\\text\{\s*\\?\$\s*\}|\$|€|£|¥|\\euro|\bUSD\b|\bRs\.?")


_IMPLICATION_RE = re.compile(r"\\(?:implies|Rightarrow|Longrightarrow)(?![a-zA-Z])")


# Answers normalization cannot change: integers, decimals, a/b, \frac{a}{b} (checked
# against the full path by tests/test_equivalence.py).
_ALREADY_NORMAL_RE = re.compile(
    r"-?(?:0|[1-9][0-9]{0,30})(?:\.[0-9]{1,30})?|[1-9][0-9]{0,9}/[1-9][0-9]{0,9}|-?\\frac\{[1-9][0-9]{0,9}\}\{[1-9][0-9]{0,9}\}"
)


# Past this, an answer is compared as written: no value is parsed from one (parse.MAX_ANSWER_CHARS), and the
# patterns below cost time that grows with its length (on the thread that grades inline, before any budget).
MAX_NORMALIZED_CHARS = 10_000


@functools.lru_cache(maxsize=8192)
def normalize_answer(text: str) -> tuple[str, bool]:
    """Canonical string for an answer and whether it was marked as a percent."""
    if _ALREADY_NORMAL_RE.fullmatch(text) or len(text) > MAX_NORMALIZED_CHARS:
        return text, False  # most answers: nothing below would change them
    s = repair_escapes(text)
    s = replace_unicode(s)
    s = latex_plain_math(s)
    # One space for any run: later patterns anchored at the end then never backtrack over long runs.
    s = _WHITESPACE_RE.sub(" ", s).strip()
    s = re.sub(r"^\\\[|\\\]$|^\\\(|\\\)$", "", s).strip()
    s = _DROP_RE.sub("", s)
    if "phantom" in s:
        s = drop_phantoms(s)
    s = re.sub(r"\\(?:left|right)(?![a-zA-Z])\s*(?:\\?\.)?", "", s)
    s = re.sub(r",\s*\\!\s*(?=\d{3})", ",", s)  # 11,\!111 is a thousands separator
    s = re.sub(r"\s*\{\s*,\s*\}\s*", ",", s)
    s = _SPACING_RE.sub(" ", s)
    s = _REPEATING_RE.sub(r"\1(\2)", s)  # 0.1\overline{6} → 0.1(6), before \overline is dropped
    s = _FRAC_SYNONYM_RE.sub(r"\\frac", s)
    s = _FRAC_SHORT_RE.sub(r"\\frac{\1}{\2}", s)
    s = _FRAC_HALF_RE.sub(r"\\frac{\1}", s)
    s = _FRAC_HALF2_RE.sub(r"\\frac\1{\2}", s)
    s = _SQRT_SHORT_RE.sub(r"\\sqrt{\1}", s)
    for pattern, repl in _SYNONYMS:
        s = pattern.sub(repl, s)
    s = re.sub(r"\\begin\{array\}\{[^{}]*\}", r"\\begin{pmatrix}", s)
    s = re.sub(r"\\end\{array\}", r"\\end{pmatrix}", s)
    s = re.sub(r"\\(begin|end)\{(?:bmatrix|Bmatrix|vmatrix|Vmatrix|matrix|smallmatrix)\}", r"\\\1{pmatrix}", s)
    s = _drop_approximation(s)
    if "'" in s or "prime" in s or "′" in s:
        s = _DMS_RE.sub(_decimal_degrees, s)
    s = _DEGREE_RE.sub("", s)
    s = _ORDINAL_RE.sub("", s)
    s = _CURRENCY_RE.sub("", s)
    s = s.strip()
    s = _strip_trailing_punctuation(s)
    # "23x^2 + 73x - 23 = 0 \implies x = …": a derivation's conclusion is what follows its last arrow.
    s = _IMPLICATION_RE.split(s)[-1].strip() or s
    s = re.sub(r"^(?:[a-zA-Z]\s*\\in|\\therefore|\\Rightarrow|\\implies)\s*", "", s)
    s = _drop_leading_words(s)  # "\text{the minimum is } 3" is 3, "\text{all } n \ge 3" is n \ge 3
    s = _OPTION_WORD_RE.sub(r"\1", s)  # "option C" is the letter C
    s = _REAL_LINE_RE.sub("R", s)  # as \mathbb{R} reads: "(-\infty, \infty)" and "all real numbers" are R
    s = _EMPTY_SET_RE.sub(r"\\emptyset", s)  # "no solution", "\{\}" and "the empty set" are \emptyset
    s = _yes_or_no(s)  # "Yes, it is possible" is Yes
    s = _NUMBER_IN_TEXT_RE.sub(r"\1", s)  # "\text{12 cm}": the number and its unit, out of the \text
    s = _SCALE_IN_TEXT_RE.sub(r" \1", s)  # "2.5 \text{ million}" is 2.5 million, not 2.5 and a unit
    # Percent signs and units only ever end an answer: read just the tail.
    head, tail = s[:-_TAIL], s[-_TAIL:]
    tail, percent = _strip_percent(tail)
    tail = strip_units(tail)
    tail, percent2 = _strip_percent(tail)
    s = _WHITESPACE_RE.sub(" ", head + tail).strip()
    s = _signed_and_scaled(s)  # "negative 12" is -12, "12 thousand" is 12000 (not 12 and a word)
    if (s[:1].isalpha() or s.startswith("\\")) and not any(c.isdigit() for c in s):  # "twelve", "\\text{half}"
        s = spell_out(unwrap_text(s)) or s
    return s, percent or percent2


_WHITESPACE_RE = re.compile(r"\s+")
_TAIL = 200

# A sign word before a whole answer's number ("negative 12", "minus three") and a scale word after its digits
# ("12 thousand", "1.5 million", "2 dozen"): the parser read "12 thousand" as 12 and a word.
_SIGN_WORD_RE = re.compile(r"^(?i:negative|minus)\s+(?=\S)")
_SCALED_RE = re.compile(r"^([-+]?)(\d{1,3}(?:,\d{3}){1,10}|\d{1,30})(?:\.(\d{1,30}))?\s+"
                        r"(?i:(hundred|thousand|million|billion|trillion|dozen))\b")
# A scale word in \text after a number, and any unit after it there: "2.5 \text{ million}", "3\text{ thousand
# dollars}". Units are dropped after a number; a scale word is part of the number.
_SCALE_IN_TEXT_RE = re.compile(r"(?<=[0-9])\s*\\(?:text|textrm|textnormal|mathrm|mbox)\s*\{\s*"
                               r"((?i:hundred|thousand|million|billion|trillion|dozen))\b[A-Za-z .]*\}")
_SCALE = {"hundred": 100, "thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12, "dozen": 12}


def _signed_and_scaled(s: str) -> str:
    sign = _SIGN_WORD_RE.match(s)
    if sign is not None:
        rest = s[sign.end():]
        if rest[:1].isdigit() or (rest[:1] == "." and rest[1:2].isdigit()):
            s = "-" + rest
        elif rest[:1].isalpha() and not any(c.isdigit() for c in rest):
            spelled = spell_out(rest)
            if spelled is not None:
                s = "-" + spelled
    m = _SCALED_RE.match(s)
    if m is None:
        return s
    places = m.group(3) or ""
    digits = str(int(m.group(2).replace(",", "") + places) * _SCALE[m.group(4).lower()]).rjust(len(places) + 1, "0")
    whole, fraction = (digits[:-len(places)], digits[-len(places):].rstrip("0")) if places else (digits, "")
    return m.group(1) + whole + ("." + fraction if fraction else "") + s[m.end():]
# A whole answer that is the real line: the interval, or in words.
_REAL_LINE_RE = re.compile(r"^\(\s*-\s*\\infty\s*,\s*\+?\s*\\infty\s*\)$"
                           r"|^-\s*\\infty\s*<\s*[a-zA-Z]\s*<\s*\+?\s*\\infty$"  # -\infty < x < \infty
                           r"|^(?i:(?:\\text\s*\{\s*)?(?:all\s+)?(?:the\s+)?real\s+numbers\s*\}?)$"
                           r"|^(?i:(?:\\text\s*\{\s*)?all\s+real(?:\s+numbers)?\s*\}?\s*[a-z]\s*\}?)$")  # all real x

# A whole answer that is a number with words after it, all in one \text{}: "\text{12 cm}", "\text{5 apples}".
_NUMBER_IN_TEXT_RE = re.compile(r"^\\(?:text|mbox|textrm|textnormal|mathrm)\s*\{\s*([-+]?\d[\d,.]*(?:\s+[A-Za-z][A-Za-z.]*)+)\s*\}$")

# A whole answer that is the empty set: braces with nothing inside, or in words ("no real solutions").
_EMPTY_SET_RE = re.compile(r"^\\\{\s*\\\}$"  # not "{}": an empty group, not a set
                           r"|^(?i:(?:\\text\s*\{\s*)?(?:(?:there\s+(?:is|are)\s+)?no\s+(?:real\s+)?"
                           r"(?:solutions?|roots?)|(?:the\s+)?empty\s+set)\s*\}?)$")

# Words that only lead into the answer that follows them in math: "\text{the minimum value is } 3",
# "\text{is } 3", "\text{for all } n \ge 3". Only words that name the quantity (a closed list): any other
# word may turn the statement around ("x cannot be", "it is a myth that x is", "x might be").
_LEADING_WORDS_RE = re.compile(r"^\\text\s*\{\s*(?:((?:[A-Za-z]+\s+)*)(?:is|are|equals|was)\s*:?"
                               r"|(?:for\s+)?(?:all|any|every))\s*\}\s*(?=[\w\\({\[-])")
_QUANTITY_WORDS = frozenset("""the a an final answer result value values minimum maximum min max least greatest
    smallest largest biggest possible required desired sum total product number count of ways area length perimeter
    volume probability distance radius height width side angle measure ratio remainder solution solutions""".split())


# "option C", "Choice (B)", "\text{option } D": a multiple-choice answer named by its letter alone.
_OPTION_WORD_RE = re.compile(r"^(?:\\text\s*\{\s*)?(?i:option|choice)\s*\}?\s*(\([A-E]\)|[A-E])$")


def _drop_leading_words(s: str) -> str:
    """Words in ``\\text{}`` that only name the quantity before the math that is it (a variable's one letter
    too: "x is"); any other word keeps the answer as written."""
    m = _LEADING_WORDS_RE.match(s)
    if m is None or any(w.lower() not in _QUANTITY_WORDS and len(w) > 1 for w in (m.group(1) or "").split()):
        return s
    return s[m.end():]


# "Yes, it is possible." / "\text{No, it cannot be done}": the verdict word, then a reason that only says
# it again, in a closed list of words; a no's reason holds exactly one negation ("not impossible" is a
# yes). Any other word ("Yes, if n is even", "Yes, probably", "No, it is possible") keeps it as written.
_YES_NO_RE = re.compile(r"^(?:\\text(?:bf)?\s*\{\s*)?(yes|no)\s*[,.;:!]\s*([A-Za-z ,.;'’-]*?)\}?$", re.IGNORECASE)
_RESTATING = frozenset("""it is was are this that there such a an the one can be done does do exist exists
    hold holds possible true valid""".split())
_NEGATING = frozenset("""not no never none cannot impossible false""".split()) | {"can't", "doesn't", "isn't",
                                                                                  "don't", "won't", "aren't"}


def _yes_or_no(s: str) -> str:
    """A whole answer that is "yes" or "no" with a reason that only restates it: just the word."""
    m = _YES_NO_RE.match(s)
    if m is None:
        return s
    word = m.group(1)
    reason = [w.lower().replace("’", "'") for w in re.findall(r"[A-Za-z'’]+", m.group(2))]
    negations = sum(w in _NEGATING for w in reason)
    if not reason or any(w not in _RESTATING and w not in _NEGATING for w in reason) \
            or negations != (1 if word.lower() == "no" else 0):
        return s
    return word


_PHANTOM_RE = re.compile(r"\\[hv]?phantom\s*(?=\{)")
MAX_PHANTOMS = 32


def drop_phantoms(s: str) -> str:
    """``\\phantom{5}`` (and ``\\hphantom``, ``\\vphantom``) typesets blank space: its content is not shown,
    so it is no part of the answer (``\\boxed{\\phantom{5}}`` is an empty box)."""
    for _ in range(MAX_PHANTOMS):
        m = _PHANTOM_RE.search(s)
        if m is None:
            break
        end = closing_bracket(s, m.end())
        s = s[:m.start()] + (s[end:] if end >= 0 else "")  # unclosed: the rest is inside it
    return s


def _strip_trailing_punctuation(s: str) -> str:
    """``$\\frac{1}{3}.$`` → ``\\frac{1}{3}``; keeps ``...``/``\\dots`` (an open list) and ``!`` (factorial)."""
    if s.endswith(("...", "\\dots")):
        return s
    while s:
        if s[-1] in " .,;:?":
            s = s[:-1]
        elif s.endswith("\\\\"):
            s = s[:-2]
        else:
            break
    return s


_APPROX_RE = re.compile(r"\\approx(?![a-zA-Z])|\\simeq(?![a-zA-Z])|\\doteq(?![a-zA-Z])|≈")


def _drop_approximation(s: str) -> str:
    """``x = 1/3 \\approx 0.33`` → ``x = 1/3``; a lone ``x \\approx 11`` → ``x = 11``."""
    parts = _APPROX_RE.split(s)
    if len(parts) == 1:
        return s
    if "=" in parts[0]:
        return parts[0].strip()
    return "=".join(parts)


def _strip_percent(s: str) -> tuple[str, bool]:
    m = _PERCENT_RE.search(s)
    if m and m.start() > 0:
        return s[:m.start()].rstrip(), True
    return s, False


# Wrappers unwrapped inside one another: real answers nest two or three (\text{\textbf{5}}); each pass costs the
# whole text, so 5,000 nested ones took 2 s. Deeper ones stay wrapped, and compare as written.
MAX_TEXT_NESTING = 8


def unwrap_text(s: str) -> str:
    """``\\text{Monday}`` → ``Monday``, repeatedly (nested wrappers, up to ``MAX_TEXT_NESTING``)."""
    for _ in range(MAX_TEXT_NESTING):
        unwrapped = _TEXT_CMD_RE.sub(lambda m: m.group(1), s)
        if unwrapped == s:
            break
        s = unwrapped
    return s


@functools.lru_cache(maxsize=8192)
def canonical_text(s: str) -> str:
    """A case- and space-insensitive key for text answers."""
    s = unwrap_text(s)
    s = _TEXT_KEY_DROP_RE.sub("", s)
    return s.casefold().rstrip(".")
