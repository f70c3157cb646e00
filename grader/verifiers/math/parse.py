"""Stage 2b: read a normalized answer string into a structured value.

Structure (lists, tuples, sets, intervals, unions, matrices, equations,
inequalities, text) is read here by a bracket-aware scanner; each leaf goes
through the exact number parser first and only then, when ``use_sympy`` is
set, through latex2sympy. Without ``use_sympy`` a non-numeric leaf raises
``NeedsSympy`` so the caller can move the work into a killable worker.

User text never reaches ``sympify``/``parse_expr``: latex2sympy builds sympy
objects from its own parse tree.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, Union

from .algebra import Exact, parse_exact
from .errors import NeedsSympy, ParseError
from .normalize import MAX_NORMALIZED_CHARS, canonical_text, normalize_answer, unwrap_text
from .numbers import InvalidNumber, Number, number_or_none, parse_comma_decimal, parse_number




@dataclass(frozen=True)
class Scalar:
    text: str
    num: Number | None = None
    expr: Any = field(default=None, compare=False)
    percent: bool = False


@dataclass(frozen=True)
class Text:
    text: str
    key: str


@dataclass(frozen=True)
class Seq:
    items: tuple
    kind: str  # "tuple" (ordered, parenthesized), "list" (bare commas), "set" (braces), "ratio"


@dataclass(frozen=True)
class Interval:
    lo: "Value"
    hi: "Value"
    lo_open: bool
    hi_open: bool
    from_relation: bool = field(default=False, compare=False)  # written as a < x < b


@dataclass(frozen=True)
class UnionOf:
    parts: tuple


@dataclass(frozen=True)
class Matrix:
    rows: tuple


@dataclass(frozen=True)
class Named:
    """``x = 5``, ``f(x) = 2x``, ``(p, q) = (3, 2)``: a name and its value."""

    name: str
    value: "Value"
    bound: tuple[str, ...] = ()  # f(x)'s argument names, renamable


@dataclass(frozen=True)
class Relation:
    """An equation or inequality (chain) that is not a plain assignment."""

    ops: tuple[str, ...]
    terms: tuple[str, ...]
    exprs: tuple = field(default=(), compare=False)
    last_number: Number | None = field(default=None, compare=False)  # the last term, when it is a number


@dataclass(frozen=True)
class Labelled:
    """An AMC answer as AoPS writes it, ``\\textbf{(C)}\\ 12``: the choice's letter and its value."""

    letter: "Value"
    value: "Value"


Value = Union[Scalar, Text, Seq, Interval, UnionOf, Matrix, Named, Relation, Labelled]

_OPEN = "([{"
_CLOSE = ")]}"
MAX_DEPTH = 200
MAX_ANSWER_CHARS = MAX_NORMALIZED_CHARS


def split_top(s: str, seps: re.Pattern[str], found: list[str] | None = None) -> list[str]:
    """Split ``s`` at matches of ``seps`` that are outside every bracket.

    When ``found`` is given, the matched separators are appended to it.
    """
    parts: list[str] = []
    depth = 0
    last = 0
    i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if depth == 0 and c not in _OPEN and c not in _CLOSE:
            m = seps.match(s, i)
            if m and m.end() > i:
                if found is not None:
                    found.append(m.group(1) if m.groups() else m.group(0))
                parts.append(s[last:i])
                last = i = m.end()
                continue
        if c == "\\" and i + 1 < n:
            if s[i + 1] == "{":
                depth += 1
            elif s[i + 1] == "}":
                depth -= 1
            i += 2
            continue
        if c in _OPEN:
            depth += 1
            if depth > MAX_DEPTH:
                raise ParseError("nesting too deep")
        elif c in _CLOSE:
            depth -= 1
        i += 1
    parts.append(s[last:])
    return parts


def _balanced_span(s: str) -> bool:
    """True when the first character's bracket closes at the very end of ``s``."""
    depth = 0
    i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if c == "\\" and i + 1 < n:
            if s[i + 1] == "{":
                depth += 1
            elif s[i + 1] == "}":
                depth -= 1
                if depth == 0 and i + 2 < n:
                    return False
            i += 2
            continue
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth -= 1
            if depth == 0 and i < n - 1:
                return False
        i += 1
    return depth == 0


_LIST_SEP_RE = re.compile(r"\s*(?:,|;|\band\b|\bor\b|\\text\{\s*(?:and|or|,)\s*\})\s*")
_SEMI_RE = re.compile(r"\s*;\s*")
_COMMA_RE = re.compile(r"\s*,\s*|\s*;\s*")
_REL_RE = re.compile(r"\s*(\\le(?![a-z])|\\ge(?![a-z])|\\ne(?![a-z])|<|>|=)\s*")
_CUP_RE = re.compile(r"\s*\\cup\s*|\s*∪\s*|\s*\bU\b\s*")
_PM_RE = re.compile(r"\\pm|\\mp|±")
_NAME_RE = re.compile(
    r"^(?:[A-Za-z](?:_\{?[\w\\ ]*\}?)?'*|[A-Za-z][A-Za-z0-9 ]*|\|[A-Za-z]+\||\\angle\s*[A-Za-z]+|\\[a-zA-Z]+(?:_\{?\w*\}?)?"
    r"|[A-Za-z]+(?:_\{?\w+\}?)?\([^()=<>]{1,20}\)|[A-Za-z]_\{?\\?\w+\s*\}?"
    r"|[A-Za-z](?:_\{?\w+\}?)?\s*[:/]\s*[A-Za-z](?:_\{?\w+\}?)?|\\frac\{[A-Za-z]+\}\{[A-Za-z]+\})$"
)
_FUNC_RE = re.compile(r"^([A-Za-z]+(?:_\{?\w+\}?)?)\(\s*([A-Za-z](?:\s*,\s*[A-Za-z])*)\s*\)$")
_QUALIFIER_RE = re.compile(
    r"\s*(?:,\s*)?(?:\b(?:for|where|with)\s+(?:all|every|any|each|some)?\b.*?(?=(?:,|;|\band\b|\bor\b)|$))",
    re.IGNORECASE,
)
_WORDS_RE = re.compile(r"^[A-Za-z][A-Za-z' -]*[A-Za-z.]$")
_NUM_WITH_WORDS_RE = re.compile(r"^([-+]?[\d.,/]+)\s+[A-Za-z]{2,}(?:\s+[A-Za-z]{2,})*$")
_LABEL_RE = re.compile(r"^[A-Za-z]{3,}\s+\d+$")  # "Step 1", "Part 2": a label, not a product of letters


def parse_normal_form(norm: str, percent: bool, *, use_sympy: bool) -> list[Value]:
    """The readings of an answer already through ``normalize_answer``.

    Cached: a GRPO batch sends the same reference many times, and values are immutable.
    """
    return list(_parse_cached(norm, percent, use_sympy))


@functools.lru_cache(maxsize=4096)
def _parse_cached(norm: str, percent: bool, use_sympy: bool) -> tuple[Value, ...]:
    if not norm:
        raise ParseError("empty answer")
    readings = []
    if "," in norm and " " not in norm.strip():
        # "7,425,000" is a number; "5,100" may be one too, or a list.
        try:
            num = parse_number(norm)
        except InvalidNumber:
            num = None
        if num is not None:
            readings.append(Scalar(norm, num, percent=percent))
    try:
        readings.append(_parse(norm, percent, use_sympy, 0))
    except ParseError:
        if not readings:
            raise
    alt = parse_comma_decimal(norm)
    if alt is not None:
        readings.append(Scalar(norm.replace(",", "."), alt, percent=percent))
    return tuple(readings)


def _parse(s: str, percent: bool, use_sympy: bool, depth: int) -> Value:
    if depth > 20:
        raise ParseError("nesting too deep")
    s = s.strip()
    if not s:
        raise ParseError("empty element")
    s = _unwrap_braces(s)
    if "\\text" in s or "\\mathrm" in s or "\\mbox" in s or "\\textbf" in s:
        plain = unwrap_text(s)
        if _WORDS_RE.match(plain.strip()) and len(plain.split()) > 0 and not re.search(r"\d", plain):
            return _text(plain.strip(), percent, use_sympy, depth)
        s = plain
    s = _QUALIFIER_RE.sub("", s).strip()
    if not s:
        raise ParseError("empty element")
    removed = _REALS_WITHOUT_RE.fullmatch(s)
    if removed:  # "\mathbb{R} \setminus \{0, 1\}": the open intervals between the points
        return _reals_without(removed.group(1), use_sympy, depth)

    groups = split_top(s, _SEMI_RE)
    if len(groups) > 1 and any("," in g for g in groups):
        # "p=5,q=2; p=7,q=2": a list of tuples
        parsed = [_parse(g, percent, use_sympy, depth + 1) for g in groups if g.strip()]
        return Seq(tuple(Seq(v.items, "tuple") if isinstance(v, Seq) and v.kind == "list" else v for v in parsed), "list")

    seps: list[str] = []
    items = split_top(s, _LIST_SEP_RE, seps)
    items = [i for i in items if i.strip()]
    if len(items) > 1:
        values = tuple(_parse(i, percent, use_sympy, depth + 1) for i in items)
        if any("or" in sep for sep in seps):  # "x < -1 or x > 2": conditions on one variable are a union
            union = _union_of_conditions(items, values, use_sympy, depth)
            if union is not None:
                return union
        return _flatten_list(values)

    # a \pm b: both roots, as a list
    pm = split_top(s, _PM_RE)
    if len(pm) == 2:
        plus, minus = pm[0] + "+" + pm[1], pm[0] + "-" + pm[1]
        return Seq((_parse(plus, percent, use_sympy, depth + 1), _parse(minus, percent, use_sympy, depth + 1)), "list")

    rel = split_top(s, _REL_RE)
    if len(rel) > 1:
        return _parse_relation(s, percent, use_sympy, depth)

    unions = split_top(s, _CUP_RE)
    if len(unions) > 1:
        return UnionOf(tuple(_parse(u, percent, use_sympy, depth + 1) for u in unions))

    if len(s) > 2 and s[0] in "([" and s[-1] in ")]" and s[1:].startswith("\\begin{pmatrix}"):
        s = s[1:-1].strip()
    if s.startswith("\\begin{pmatrix}") and s.endswith("\\end{pmatrix}") and s.count("\\end{pmatrix}") == 1:
        return _parse_matrix(s, percent, use_sympy, depth)

    if len(s) >= 2 and s[0] in "([" and s[-1] in ")]" and _balanced_span(s):
        inner = s[1:-1]
        parts = split_top(inner, _COMMA_RE)
        if len(parts) == 2 and (s[0] == "[" or s[-1] == "]"):
            lo, hi = (_parse(p, False, use_sympy, depth + 1) for p in parts)
            return Interval(lo, hi, s[0] == "(", s[-1] == ")")
        if len(parts) >= 2 and s[0] == "(" and s[-1] == ")":
            signed = [i for i, p in enumerate(parts) if _PM_RE.search(p)]
            if 0 < len(signed) <= MAX_PM_PARTS:  # "(\\pm\\sqrt2, 0)": each sign choice is a tuple of its own
                return Seq(tuple(_parse("(" + ", ".join(choice) + ")", percent, use_sympy, depth + 1)
                                 for choice in _sign_choices(parts, signed)), "list")
            return Seq(tuple(_parse(p, percent, use_sympy, depth + 1) for p in parts), "tuple")
        if len(parts) == 1 and s[0] == "(":
            return _parse(inner, percent, use_sympy, depth + 1)
    if s.startswith("\\{") and s.endswith("\\}") and _balanced_span(s):
        inner = s[2:-2].strip()
        if not inner:
            return Seq((), "set")
        builder = _SET_BUILDER_RE.match(inner)
        if builder:  # "\{x \mid -1 < x < 1\}": the set the condition describes
            return _set_described(builder.group(1), builder.group(2), use_sympy, depth)
        parts = split_top(inner, _COMMA_RE)
        return Seq(_flatten_list(tuple(_parse(p, percent, use_sympy, depth + 1) for p in parts)).items, "set")
    if s.startswith("{") and s.endswith("}") and _balanced_span(s) and "," in s:
        parts = split_top(s[1:-1], _COMMA_RE)
        return Seq(_flatten_list(tuple(_parse(p, percent, use_sympy, depth + 1) for p in parts)).items, "set")

    ratio = split_top(s, re.compile(r"\s*:\s*"))
    if len(ratio) == 2 and all(parse_number(r) is not None for r in ratio):
        return Seq(tuple(_parse(r, False, use_sympy, depth + 1) for r in ratio), "ratio")
    if len(ratio) == 2 and _NAME_RE.match(ratio[0].strip()):
        return Named(ratio[0].strip(), _parse(ratio[1], percent, use_sympy, depth + 1))

    return _parse_scalar(s, percent, use_sympy)


# The real line (normalized to R) less a finite set of points.
_REALS_WITHOUT_RE = re.compile(r"R\s*(?:\\setminus|\\backslash|-)\s*\\\{(.+)\\\}")
MAX_REMOVED_POINTS = 20


def _reals_without(points: str, use_sympy: bool, depth: int) -> Value:
    """The union of open intervals that the real line less these numbers is; ParseError unless they are
    plain numbers (they must be put in order exactly)."""
    parts = split_top(points, _COMMA_RE)
    numbers = [parse_number(p.strip()) for p in parts]
    if not 0 < len(numbers) <= MAX_REMOVED_POINTS or any(n is None for n in numbers):
        raise ParseError("the real line less something other than a few numbers")
    ordered = sorted({n.value for n in numbers if n is not None})
    ends = [_parse("-\\infty", False, use_sympy, depth + 1), *(Scalar(str(v), Number(v)) for v in ordered),
            _parse("\\infty", False, use_sympy, depth + 1)]
    return UnionOf(tuple(Interval(lo, hi, True, True) for lo, hi in zip(ends, ends[1:])))


_SET_BUILDER_RE = re.compile(r"^([A-Za-z])\s*(?:\||:)\s*(.+)$")
_INEQUALITY_SIDES = {"<": (None, True), "\\le": (None, False), ">": (True, None), "\\ge": (False, None)}


def _set_described(name: str, condition: str, use_sympy: bool, depth: int) -> Value:
    value = _parse(condition, False, use_sympy, depth + 1)
    if isinstance(value, UnionOf):
        return value
    part = _condition_part(name, condition, value, use_sympy, depth)
    if part is None:
        raise ParseError("a set-builder condition that is not an interval")
    return part


def _union_of_conditions(items: list[str], values: tuple, use_sympy: bool, depth: int) -> UnionOf | None:
    """``4 < m \\le 8`` or ``10 \\le m < 12`` or ``m = 20``: the union of the intervals and points,
    when every item is a condition on the same one variable."""
    names = {_condition_name(raw) for raw in items}
    if len(names) != 1 or None in names:
        return None
    name = names.pop()
    parts = [_condition_part(name, raw, value, use_sympy, depth) for raw, value in zip(items, values)]
    if any(p is None for p in parts):
        return None
    if all(isinstance(p, Seq) for p in parts):  # "x = 1 or x = 2": the set {1, 2}
        return Seq(tuple(v for p in parts for v in p.items), "set")
    return UnionOf(tuple(parts))


def _condition_name(raw: str) -> str | None:
    """The variable of ``x < 3``, ``3 \\ge x``, ``-1 < x \\le 2`` or ``x = 5``, when it is one letter."""
    terms = split_top(raw.strip(), _REL_RE)
    letters = [t.strip() for t in terms if re.fullmatch(r"[A-Za-z]", t.strip())]
    return letters[0] if len(letters) == 1 and len(terms) in (2, 3) else None


def _condition_part(name: str, raw: str, value: Value, use_sympy: bool, depth: int) -> Value | None:
    """A condition on ``name`` as a set: an Interval (a chain, or one side open to infinity), or a point set."""
    if isinstance(value, Interval):
        return value
    if isinstance(value, Named) and value.name == name and isinstance(value.value, Scalar):
        return Seq((value.value,), "set")
    ops: list[str] = []
    terms = [t.strip() for t in split_top(raw.strip(), _REL_RE, ops)]
    if len(terms) != 2 or ops[0] not in _INEQUALITY_SIDES:
        return None
    if terms[0] == name:
        bound, (lo_open, hi_open) = terms[1], _INEQUALITY_SIDES[ops[0]]
    elif terms[1] == name:  # "3 > x" is "x < 3"
        flipped = {"<": ">", ">": "<", "\\le": "\\ge", "\\ge": "\\le"}[ops[0]]
        bound, (lo_open, hi_open) = terms[0], _INEQUALITY_SIDES[flipped]
    else:
        return None
    end = _parse(bound, False, use_sympy, depth + 1)
    if lo_open is None:  # x < b: (-inf, b)
        return Interval(_parse("-\\infty", False, use_sympy, depth + 1), end, True, hi_open, True)
    return Interval(end, _parse("\\infty", False, use_sympy, depth + 1), lo_open, True, True)


MAX_PM_PARTS = 4  # 16 tuples at most


def _sign_choices(parts: list[str], signed: list[int]) -> list[list[str]]:
    choices = [list(parts)]
    for i in signed:
        choices = [c[:i] + [_PM_RE.sub(sign, c[i], count=1)] + c[i + 1:] for c in choices for sign in ("+", "-")]
    return choices


def _unwrap_braces(s: str) -> str:
    while len(s) >= 2 and s[0] == "{" and s[-1] == "}" and _balanced_span(s) and "," not in s:
        s = s[1:-1].strip()
    return s


def _flatten_list(values: tuple) -> Seq:
    flat: list = []
    for v in values:
        if isinstance(v, Seq) and v.kind == "list":
            flat.extend(v.items)
        else:
            flat.append(v)
    return Seq(tuple(flat), "list")


def _parse_relation(s: str, percent: bool, use_sympy: bool, depth: int) -> Value:
    ops: list[str] = []
    terms = [t.strip() for t in split_top(s, _REL_RE, ops)]
    if any(not t for t in terms):
        raise ParseError("relation with an empty side")
    if all(op == "=" for op in ops):
        lhs = terms[0]
        if _NAME_RE.match(lhs) or _is_name_tuple(lhs):
            func = _FUNC_RE.match(lhs)
            bound = tuple(a.strip() for a in func.group(2).split(",")) if func else ()
            return Named(lhs, _parse(terms[-1], percent, use_sympy, depth + 1), bound)
        if len(terms) > 2 and (_NAME_RE.match(terms[-2]) or parse_number(terms[-1]) is not None) \
                and not _all_constant(terms):
            # "x = 5+5+1 = 7 = 11": the chain's last value is the answer ("3 + 4 = 7 = 8", all constants, stays a
            # Relation: compare checks that such a chain holds)
            return Named(lhs, _parse(terms[-1], percent, use_sympy, depth + 1))
    interval = _chain_interval(ops, terms, use_sympy, depth)
    if interval is not None:
        return interval
    last = number_or_none(terms[-1])
    exact = tuple(_exact_term(t) for t in terms)
    if all(e is not None for e in exact):
        return Relation(tuple(ops), tuple(terms), exact, last)  # compare converts them where sympy must decide
    if not use_sympy:
        raise NeedsSympy(s)
    exprs = tuple(_to_sympy(t) for t in terms)
    return Relation(tuple(ops), tuple(terms), exprs, last)


def _all_constant(terms: list[str]) -> bool:
    """Every term is an exact value without variables ("3 + 4", "7", "\\sqrt{2}")."""
    exact = [_exact_term(t) for t in terms]
    return all(isinstance(e, Exact) and not e.variables for e in exact)


def _exact_term(s: str) -> Any:
    """A relation's term as an exact value: a canonical form, or a number (decimals exactly)."""
    exact = parse_exact(s)
    if exact is None:
        num = number_or_none(s)
        exact = Exact.rational(num.value) if num is not None else None
    return exact


def _chain_interval(ops: list[str], terms: list[str], use_sympy: bool, depth: int) -> Interval | None:
    """``a < x \\le b`` (or ``b > x \\ge a``) with a name in the middle: an interval."""
    if len(ops) != 2 or not _NAME_RE.match(terms[1]):
        return None
    up = {"<": True, "\\le": False}
    down = {">": True, "\\ge": False}
    if ops[0] in up and ops[1] in up:
        lo, hi, lo_open, hi_open = terms[0], terms[2], up[ops[0]], up[ops[1]]
    elif ops[0] in down and ops[1] in down:
        lo, hi, lo_open, hi_open = terms[2], terms[0], down[ops[1]], down[ops[0]]
    else:
        return None
    return Interval(_parse(lo, False, use_sympy, depth + 1), _parse(hi, False, use_sympy, depth + 1), lo_open, hi_open, True)


def _is_name_tuple(s: str) -> bool:
    if not (s.startswith("(") and s.endswith(")")):
        return False
    parts = [p.strip() for p in s[1:-1].split(",")]
    return len(parts) >= 2 and all(_NAME_RE.match(p) for p in parts)


def _parse_matrix(s: str, percent: bool, use_sympy: bool, depth: int) -> Matrix:
    body = s[len("\\begin{pmatrix}"):-len("\\end{pmatrix}")]
    rows = [r for r in re.split(r"\\\\", body) if r.strip()]
    parsed = tuple(tuple(_parse(c, percent, use_sympy, depth + 1) for c in r.split("&")) for r in rows)
    if not parsed or len({len(r) for r in parsed}) != 1:
        raise ParseError("ragged matrix")
    return Matrix(parsed)


# Words that say "infinity" as an answer ("infinitely many" solutions, "there are infinitely many pairs",
# an "infinite" count), matched on their canonical text (lower case, no spaces).
_INFINITY_WORDS_RE = re.compile(
    r"(?:there(?:are|is|exist|exists))?(?:infinitelymany|aninfinitenumber(?:of)?|infinite|infinity|positiveinfinity)"
    r"(?:such)?(?:solutions?|values?|roots?|pairs?|triples?|integers?|numbers?|ways?|points?)?")


def _text(s: str, percent: bool, use_sympy: bool, depth: int) -> Value:
    """A text answer, or the value its words name ("infinitely many" is ∞)."""
    key = canonical_text(s)
    if _INFINITY_WORDS_RE.fullmatch(key.rstrip(".")):
        return _parse("\\infty", percent, use_sympy, depth + 1)
    return Text(s, key)


def _parse_scalar(s: str, percent: bool, use_sympy: bool) -> Value:
    try:
        num = parse_number(s)
    except InvalidNumber as exc:
        raise ParseError(str(exc)) from exc
    if num is not None:
        return Scalar(s, num, percent=percent)
    m = _NUM_WITH_WORDS_RE.match(s)
    if m:
        try:
            num = parse_number(m.group(1))
        except InvalidNumber as exc:
            raise ParseError(str(exc)) from exc
        if num is not None:
            return Scalar(m.group(1), num, percent=percent)
    if (_WORDS_RE.match(s) and len(s) > 1 and (" " in s or len(s) > 3) and "\\" not in s) or _LABEL_RE.match(s):
        return _text(s, percent, use_sympy, 0)
    if _PM_RE.search(s):
        # "\frac{-1 \pm \sqrt{13}}{4}": both values
        return Seq(tuple(_parse_scalar(_PM_RE.sub(sign, s, count=1), percent, use_sympy) for sign in ("+", "-")), "list")
    exact = None if percent else parse_exact(s)
    if exact is not None:
        return Scalar(s, None, exact, percent)
    if not use_sympy:
        raise NeedsSympy(s)
    return Scalar(s, None, _to_sympy(s), percent)


# --- sympy leaves ---------------------------------------------------------------

def _to_sympy(s: str) -> Any:
    from .symbolic import latex_to_sympy

    return latex_to_sympy(s)
