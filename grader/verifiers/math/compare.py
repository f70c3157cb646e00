"""Stage 3: decide whether two parsed values are the same answer.

Exact arithmetic first (``Fraction``, then the canonical forms of
``grader.algebra`` for radicals, π and polynomials), then structure (tuples
in order, sets and "find all" lists in any order, intervals with their ends,
matrices element-wise, equations up to a constant factor), and sympy last,
only for leaves the fast paths could not decide. The tolerance policy for decimals lives
in ``numbers_match``; the README states it.
"""

from __future__ import annotations

import re

from dataclasses import replace
from fractions import Fraction
from typing import Any

from .algebra import Exact, Infinite, parse_exact, renaming_may_apply, solve_linear
from .numbers import Number, number_or_none, round_half_up, truncate
from .errors import NeedsSympy
from .focus import restates_question_around
from .options import MathOptions
from .parse import Interval, Labelled, Matrix, Named, Relation, Scalar, Seq, Text, UnionOf, Value

MIN_SIG_DIGITS = 3  # a rounded decimal must carry at least this many significant digits
MAX_LIST = 200


class Comparison:
    """Compares values under one set of options and records which rule decided."""

    def __init__(self, options: MathOptions, use_sympy: bool = True, question: str = "",
                 stated: bool = False) -> None:
        self.options = options
        self.use_sympy = use_sympy  # False: raise NeedsSympy where only sympy can decide
        self.question = question  # the item's prompt: a text answer may restate it around the reference
        # The answer is the response's own statement (a box, "the answer is"), so a false chain of constants in
        # it ("5 = 6") is a wrong answer; a math block picked from the work may span more than the answer
        # ("$\\frac{1}{2} \\$ = \\frac{10}{9}$"), and its last value stands.
        self.stated = stated
        self.rule = "exact"
        self.renames: dict[str, str] = {}

    # --- entry point ---------------------------------------------------------
    def equal(self, answer: Value, reference: Value) -> bool:
        if isinstance(answer, Labelled) or isinstance(reference, Labelled):
            return self._labelled(answer, reference)
        answer, reference = _as_matrix(answer), _as_matrix(reference)
        if isinstance(reference, Named) and isinstance(answer, Relation):
            return self.sets(answer, _named_equation(reference, self.use_sympy) or reference)
        if isinstance(answer, Named) and isinstance(reference, Relation):
            eq = _named_equation(answer, self.use_sympy)
            return eq is not None and self.sets(eq, reference)
        if isinstance(reference, Named) and not isinstance(answer, Named):
            return self.equal(answer, reference.value)
        if isinstance(answer, Named) and not isinstance(reference, Named):
            if isinstance(reference, Scalar) and self._solves_to(answer, reference):
                return True
            return self.equal(answer.value, reference)
        if isinstance(answer, Named) and isinstance(reference, Named):
            return self._named(answer, reference)
        solved = _solved_form_verdict(answer, reference)
        if solved is not None:
            # "y + 1 = -(2x-1)^2" for "-4x^2 + 4x - 2": the equation solved for the variable the reference lacks
            self.rule = "solved+algebra"
            return solved
        if isinstance(answer, Relation) and set(answer.ops) == {"="} and isinstance(reference, Scalar):
            # "1/2 = 10/9": the last value of an answer's chain is the answer, unless the chain is a false
            # statement about constants ("5 = 6", "3 \\approx 5"): then the answer is wrong
            if self.stated and constant_chain_holds(answer) is False:
                self.rule = "false_chain"
                return False
            last = answer.last_number
            return self.equal(Scalar(answer.terms[-1], last, None if last else answer.exprs[-1]), reference)
        if isinstance(answer, Text) or isinstance(reference, Text):
            self.rule = "text"
            if _text_key(answer) == _text_key(reference) and _text_key(answer) != "":
                return True
            words = _words_of(reference)
            if isinstance(answer, Text) and words and self.question \
                    and restates_question_around(answer.text, words, self.question):
                self.rule = "text+question"  # "Kafelnikov served in the first game" for "Kafelnikov"
                return True
            return False
        if isinstance(answer, Seq) and len(answer.items) == 1 and answer.kind != "tuple":
            return self.equal(answer.items[0], reference)
        if isinstance(reference, Seq) and len(reference.items) == 1 and reference.kind != "tuple":
            return self.equal(answer, reference.items[0])
        if isinstance(answer, Scalar) and isinstance(reference, Scalar):
            return self.scalars(answer, reference)
        if isinstance(answer, Seq) and isinstance(reference, Seq):
            return self.sequences(answer, reference)
        if isinstance(answer, Matrix) or isinstance(reference, Matrix):
            return self.matrices(answer, reference)
        if isinstance(answer, Relation) and isinstance(reference, Seq):
            order = _chain_order_verdict(answer, reference)
            if order is not None:
                self.rule = "order"
                return order
        if isinstance(answer, (Interval, UnionOf, Relation)) or isinstance(reference, (Interval, UnionOf, Relation)):
            return self.sets(answer, reference)
        return False

    def _labelled(self, answer: Value, reference: Value) -> bool:
        """An AMC answer with its letter: against another, letter and value must both match (neither
        alone); against a bare letter or value, that one must."""
        if isinstance(answer, Labelled) and isinstance(reference, Labelled):
            return self.equal(answer.letter, reference.letter) and self.equal(answer.value, reference.value)
        if isinstance(answer, Labelled):
            return self.equal(answer.letter, reference) or self.equal(answer.value, reference)
        assert isinstance(reference, Labelled)
        return self.equal(answer, reference.letter) or self.equal(answer, reference.value)

    def _solves_to(self, answer: Named, reference: Scalar) -> bool:
        """"xy = 6" for "6/x": the equation, in exact terms, solved for the variable the reference lacks."""
        try:
            equation = _named_equation(answer, use_sympy=False)
        except NeedsSympy:
            return False
        if equation is None or not _solved_form_verdict(equation, reference):
            return False
        self.rule = "solved+algebra"
        return True

    def _named(self, a: Named, b: Named) -> bool:
        if a.bound and b.bound and len(a.bound) == len(b.bound) and a.bound != b.bound:
            # f(x) = 2x and f(n) = 2n define the same function
            saved = self.renames
            self.renames = dict(zip(b.bound, a.bound))
            try:
                return self.equal(a.value, b.value)
            finally:
                self.renames = saved
        return self.equal(a.value, b.value)

    # --- scalars --------------------------------------------------------------
    def scalars(self, a: Scalar, b: Scalar) -> bool:
        for av, an in _percent_readings(a, reference=False, policy=self.options.percent, other=b):
            for bv, bn in _percent_readings(b, reference=True, policy=self.options.percent, other=a):
                if self.values(av, an, bv, bn):
                    return True
        return False

    def values(self, av: Any, an: Number | None, bv: Any, bn: Number | None) -> bool:
        av, an = _rational_reading(av, an)
        bv, bn = _rational_reading(bv, bn)
        if isinstance(av, Fraction) and isinstance(bv, Fraction):
            self.rule = "numeric"
            if av == bv:
                return True
            return numbers_match(an, bn, self.options.precision)
        if (isinstance(av, (Exact, Infinite)) or isinstance(bv, (Exact, Infinite))) and not self.renames:
            verdict = exact_verdict(av, an, bv, bn, not self.options.strict, self.options.precision)
            if verdict is not None:
                self.rule = "algebra"
                return verdict
            verdict = decimal_against_closed_form(av, an, bv, bn, self.options.precision)
            if verdict is not None:
                self.rule = "numeric"
                return verdict
        if not self.use_sympy:
            raise NeedsSympy("values the exact paths cannot decide")
        from . import symbolic

        self.rule = "sympy"
        ae = symbolic.to_sympy_number(av) if isinstance(av, Fraction) else _sympy_of(av)
        be = symbolic.to_sympy_number(bv) if isinstance(bv, Fraction) else _sympy_of(bv)
        if self.renames:
            be = symbolic.rename_symbols(be, self.renames)
        if symbolic.expr_equal(ae, be, rename_any=not self.options.strict):
            return True
        # Numerically: a rounded decimal against a closed form (85.71 vs 600/7), or both
        # sides rounded to `precision` places. Closed forms become 40-digit decimals.
        a_num = an if an is not None else _closed_number(symbolic, ae)
        b_num = bn if bn is not None else _closed_number(symbolic, be)
        if a_num is None or b_num is None:
            return False
        return numbers_match(a_num, b_num, self.options.precision)

    # --- structures ---------------------------------------------------------
    def sequences(self, a: Seq, b: Seq) -> bool:
        if max(len(a.items), len(b.items)) > MAX_LIST:
            return False
        if len(a.items) != len(b.items):
            ordered = "tuple" in (a.kind, b.kind) or "ratio" in (a.kind, b.kind)
            if ordered:
                return False
            # "find all" answers that repeat an element: compare as sets
            da, db = self._dedupe(a.items), self._dedupe(b.items)
            if len(da) == len(a.items) and len(db) == len(b.items) or len(da) != len(db):
                return False
            a, b = Seq(tuple(da), a.kind), Seq(tuple(db), b.kind)
        ordered = "tuple" in (a.kind, b.kind) or "ratio" in (a.kind, b.kind)
        if ordered:
            ok = all(self.equal(x, y) for x, y in zip(a.items, b.items))
        else:
            ok = self._multiset(a.items, b.items)
        if ok:
            self.rule = f"{_kind(a, b)}+{self.rule}"
        return ok

    def _dedupe(self, items: tuple) -> list:
        kept: list = []
        for x in items:
            if not any(self.equal(x, k) for k in kept):
                kept.append(x)
        return kept

    def _multiset(self, xs: tuple, ys: tuple) -> bool:
        unused = list(ys)
        for x in xs:
            for i, y in enumerate(unused):
                if self.equal(x, y):
                    del unused[i]
                    break
            else:
                return False
        return True

    def matrices(self, a: Value, b: Value) -> bool:
        ra, rb = _as_rows(a), _as_rows(b)
        if ra is None or rb is None:
            return False
        if len(ra) != len(rb) or any(len(x) != len(y) for x, y in zip(ra, rb)):
            # a column vector written as a tuple
            fa, fb = [c for r in ra for c in r], [c for r in rb for c in r]
            if not (min(len(ra), len(ra[0])) == 1 and min(len(rb), len(rb[0])) == 1 and len(fa) == len(fb)):
                return False
            ok = all(self.equal(x, y) for x, y in zip(fa, fb))
        else:
            ok = all(self.equal(x, y) for r1, r2 in zip(ra, rb) for x, y in zip(r1, r2))
        if ok:
            self.rule = f"matrix+{self.rule}"
        return ok

    def sets(self, a: Value, b: Value) -> bool:
        if isinstance(a, Interval) and isinstance(b, Interval):
            if not self.options.allow_set_relation and a.from_relation and not b.from_relation:
                return False
            ok = a.lo_open == b.lo_open and a.hi_open == b.hi_open and self.equal(a.lo, b.lo) and self.equal(a.hi, b.hi)
            if ok:
                self.rule = f"interval+{self.rule}"
            return ok
        if isinstance(a, (Interval, Seq)) and isinstance(b, (Interval, Seq)):
            ia, ib = _as_interval(a), _as_interval(b)
            return ia is not None and ib is not None and self.sets(ia, ib)
        if isinstance(a, UnionOf) and isinstance(b, UnionOf):
            if len(a.parts) == len(b.parts) and self._multiset(a.parts, b.parts):
                self.rule = f"union+{self.rule}"
                return True
        if isinstance(a, Relation) and isinstance(b, Relation) and set(a.ops) == {"="} == set(b.ops):
            if len(a.exprs) == 2 and len(b.exprs) == 2:
                verdict = _exact_equations_equivalent(a.exprs, b.exprs)
                if verdict is not None:
                    self.rule = "equation+algebra"
                    return verdict
                if not self.use_sympy:
                    raise NeedsSympy("equations only sympy compares")
                from . import symbolic

                self.rule = "equation+sympy"
                try:
                    a0, a1, b0, b1 = (_sympy_of(e) for e in (*a.exprs, *b.exprs))
                    return symbolic.equations_equivalent(a0, a1, b0, b1)
                except Exception:
                    return False
            return False
        if not self.options.allow_set_relation and isinstance(a, Relation) and not isinstance(b, Relation):
            return False  # Math-Verify's allow_set_relation_comp: an inequality answer for an interval
        if _no_solution_set(a) or _no_solution_set(b) or not (_settable(a) and _settable(b)):
            return False
        if not self.use_sympy:
            raise NeedsSympy("sets only sympy compares")
        sa, sb = _as_sympy_set(a), _as_sympy_set(b)
        if sa is None or sb is None:
            return False
        self.rule = "set+sympy"
        try:
            return bool(sa == sb) or bool(sa.symmetric_difference(sb).is_empty)
        except Exception:
            return False


# --- helpers ---

def constant_chain_holds(chain: Relation) -> bool | None:
    """Whether an "=" chain of constants is true (``\\approx`` reads as "=" after normalization): each
    term equals the next or is a written rounding of it ("\\frac{1}{3} = 0.333", "\\pi \\approx 3.14");
    None when a term has variables or no real value."""
    numbers = [_chain_term_number(t, e) for t, e in zip(chain.terms, chain.exprs)]
    if len(numbers) < 2 or any(n is None for n in numbers):
        return None
    return all(_same_or_rounded(a, b) for a, b in zip(numbers, numbers[1:]))


def _chain_term_number(term: str, expr: Any) -> Number | None:
    """A chain's term as a number: as written (a decimal keeps its places), else its exact value or a closed
    form's 40-place value; None for a term with variables."""
    written = number_or_none(term)
    if written is not None:
        return written
    if isinstance(expr, Exact):
        if expr.variables:
            return None
        q = expr.as_rational()
        if q is not None:
            return Number(q)
        value = expr.decimal()
        return None if value is None else Number(value, 40, 40)
    if isinstance(expr, Infinite) or not hasattr(expr, "free_symbols"):
        return None
    from . import symbolic  # only sympy-mode chains hold sympy terms

    return _closed_number(symbolic, expr)


def _same_or_rounded(a: Number, b: Number) -> bool:
    """Equal, or one side rounds or truncates to the other at the other's written places (0 for an integer)."""
    if a.value == b.value:
        return True
    for approx, other in ((a, b), (b, a)):
        places = approx.places if approx.places is not None else (0 if approx.value.denominator == 1 else None)
        if places is not None and places >= 0 and approx.value in (round_half_up(other.value, places),
                                                                     truncate(other.value, places)):
            return True
    return False


def _solved_form_verdict(answer: Value, reference: Value) -> bool | None:
    """An equation in exact terms against an expression: solved for its one variable that the
    reference does not use, the verdict; None where that does not apply (no such variable, or
    not linear in it)."""
    if not (isinstance(answer, Relation) and isinstance(reference, Scalar) and answer.ops == ("=",)
            and len(answer.exprs) == 2 and isinstance(reference.expr, Exact)):
        return None
    lhs, rhs = answer.exprs
    if not (isinstance(lhs, Exact) and isinstance(rhs, Exact)):
        return None
    difference = lhs - rhs
    extra = difference.variables - reference.expr.variables
    if len(extra) != 1:
        return None
    solved = solve_linear(difference, next(iter(extra)))
    return None if solved is None else solved == reference.expr


def _chain_order_verdict(answer: Relation, reference: Seq) -> bool | None:
    """"b < a < d < c" for the list "b, a, d, c": a chain of one strict relation names its terms in
    order, and that order is the list's; None where the chain or the list is not of that shape."""
    if len(set(answer.ops)) != 1 or answer.ops[0] not in ("<", ">") or reference.kind != "list" \
            or len(reference.items) != len(answer.exprs) or not all(isinstance(i, Scalar) for i in reference.items):
        return None
    listed = [_as_exact(item.expr if item.expr is not None else (item.num.value if item.num else None), item.num)
              for item in reference.items]
    chained = [_as_exact(e, None) for e in answer.exprs]
    if any(v is None for v in [*listed, *chained]):
        return None
    return listed == chained


def _as_matrix(v: Value) -> Value:
    """A sympy matrix that latex2sympy built (``A + B``) as a Matrix of scalars."""
    if isinstance(v, Scalar) and getattr(v.expr, "is_Matrix", False):
        try:
            rows, cols = v.expr.shape
            return Matrix(tuple(tuple(Scalar("", None, v.expr[r, c]) for c in range(cols)) for r in range(rows)))
        except Exception:
            return v
    return v


def _named_equation(v: Named, use_sympy: bool) -> "Relation | None":
    """``y = 2x + 3`` as an equation, to compare with ``2x - y + 3 = 0``: exact sides
    when both have canonical forms, else sympy's (NeedsSympy where it may not run)."""
    value = v.value
    if not isinstance(value, Scalar) or v.bound:
        return None
    lhs = parse_exact(v.name)
    rhs = value.expr if isinstance(value.expr, Exact) else None
    if rhs is None and value.num is not None:
        rhs = Exact.rational(value.num.value)
    if isinstance(lhs, Exact) and rhs is not None:
        return Relation(("=",), (v.name, value.text), (lhs, rhs))
    if not use_sympy:
        raise NeedsSympy(v.name)
    from . import symbolic

    try:
        lhs = symbolic.latex_to_sympy(v.name)
    except Exception:
        return None
    rhs = _sympy_of(value.expr)
    if rhs is None and value.num is not None:
        rhs = symbolic.to_sympy_number(value.num.value)
    if rhs is None:
        return None
    return Relation(("=",), (v.name, value.text), (lhs, rhs))

def numbers_match(a: Number | None, b: Number | None, precision: int | None) -> bool:
    """The decimal tolerance policy.

    Integers and fractions are exact: ``1`` never equals ``99999/100000``.
    With ``precision`` set, both sides are rounded to that many decimal places.
    Otherwise a decimal written with ``d`` places and at least three
    significant digits matches a value that rounds or truncates to it at ``d``
    places (``85.71`` for ``600/7``; ``0.333`` for ``1/3``; not ``0.5`` for ``0.52``),
    when that value has no exact decimal form (a fraction like 1/3, an irrational)
    or is itself written as a longer decimal (``3.14`` for ``3.14159``); never
    when the rounded decimal ends in a written zero (``10.0`` is exact).
    """
    if a is None or b is None:
        return False
    if precision is not None:
        if not (a.is_decimal or b.is_decimal):
            return a.value == b.value
        return round_half_up(a.value, precision) == round_half_up(b.value, precision)
    candidates = [x for x in (a, b) if x.is_decimal]
    if not candidates:
        return False
    approx = min(candidates, key=lambda x: x.places)  # the less precise one was rounded
    other = b if approx is a else a
    if approx.sig_digits < MIN_SIG_DIGITS or approx.places is None or approx.places < 0:
        return False
    if approx.places > 0 and (approx.value * 10 ** approx.places) % 10 == 0:
        return False  # "10.0", "2.50": a written trailing zero reads as exact, not as a rounding
    if other.is_decimal and other.places is not None and other.places <= approx.places:
        return False
    if not other.is_decimal and _terminates(other.value):
        return False  # 10501/1000 is exactly 10.501: "10.5" is a different number
    return round_half_up(other.value, approx.places) == approx.value or truncate(other.value, approx.places) == approx.value


def _closed_number(symbolic: Any, expr: Any) -> Number | None:
    """A real closed form as a 40-place decimal approximation, or None."""
    val = symbolic.numeric_value(expr, 40)
    if val is None or val[1] != 0:
        return None
    return Number(Fraction(str(val[0])), 40, 40)


def _terminates(value: Fraction) -> bool:
    """Whether the value has an exact decimal expansion (denominator of 2s and 5s)."""
    d = value.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


def _percent_readings(s: Scalar, *, reference: bool, policy: str, other: Scalar) -> list[tuple[Any, Number | None]]:
    base = s.num.value if s.num is not None else s.expr
    if not s.percent or other.percent:
        return [(base, s.num)]
    hundredth = _scale(s, Fraction(1, 100))
    if policy == "strict":
        return [hundredth]
    if reference or policy == "lenient":
        return [(base, s.num), hundredth]
    return [hundredth]


def _scale(s: Scalar, factor: Fraction) -> tuple[Any, Number | None]:
    if s.num is not None:
        places = None if s.num.places is None else s.num.places + 2
        return s.num.value * factor, replace(s.num, value=s.num.value * factor, places=places)
    from . import symbolic

    return s.expr * symbolic.to_sympy_number(factor), None


def _text_key(v: Value) -> str:
    from .normalize import canonical_text

    if isinstance(v, Text):
        return v.key
    if isinstance(v, Scalar):
        return canonical_text(v.text)
    return ""


_WORDS_RE = re.compile(r"[A-Za-z]{2,}(?: [A-Za-z]+)*")


def _words_of(v: Value) -> str:
    """A text reference's text; also a word that parses as a product of letters ("odd" as o·d·d)."""
    if isinstance(v, Text):
        return v.text
    if isinstance(v, Scalar) and v.num is None and _WORDS_RE.fullmatch(v.text):
        return v.text
    return ""


def _kind(a: Seq, b: Seq) -> str:
    return "tuple" if "tuple" in (a.kind, b.kind) else "set"


def _as_rows(v: Value) -> list[list[Value]] | None:
    if isinstance(v, Matrix):
        return [list(r) for r in v.rows]
    if isinstance(v, Seq) and v.kind in ("tuple", "list"):
        return [[x] for x in v.items]
    return None


def _as_interval(v: Value) -> Interval | None:
    if isinstance(v, Interval):
        return v
    if isinstance(v, Seq) and v.kind == "tuple" and len(v.items) == 2:
        return Interval(v.items[0], v.items[1], True, True)
    return None


def _as_sympy_set(v: Value) -> Any | None:
    from . import symbolic

    try:
        import sympy

        if isinstance(v, Relation):
            return symbolic.relation_set(v.ops, tuple(_sympy_of(e) for e in v.exprs))
        if isinstance(v, Seq) and v.kind == "tuple" and len(v.items) == 2:
            v = Interval(v.items[0], v.items[1], True, True)
        if isinstance(v, Interval):
            lo, hi = _leaf_expr(v.lo), _leaf_expr(v.hi)
            if lo is None or hi is None:
                return None
            return sympy.Interval(lo, hi, v.lo_open, v.hi_open)
        if isinstance(v, UnionOf):
            parts = [_as_sympy_set(p) for p in v.parts]
            if any(p is None for p in parts):
                return None
            return sympy.Union(*parts)
        if isinstance(v, Seq) and v.kind in ("set", "list"):
            leaves = [_leaf_expr(x) for x in v.items]
            if any(x is None for x in leaves):
                return None
            return sympy.FiniteSet(*leaves)
    except Exception:
        return None
    return None


def _leaf_expr(v: Value) -> Any | None:
    from . import symbolic

    if isinstance(v, Scalar):
        if v.num is not None:
            return symbolic.to_sympy_number(v.num.value)
        return _sympy_of(v.expr)
    return None


def _settable(v: Value) -> bool:
    """Whether ``_as_sympy_set`` can read ``v`` as a set at all."""
    if isinstance(v, (Relation, Interval, UnionOf)):
        return True
    return isinstance(v, Seq) and (v.kind in ("set", "list") or (v.kind == "tuple" and len(v.items) == 2))


def _exact_equations_equivalent(a: tuple, b: tuple) -> bool | None:
    """``symbolic.equations_equivalent`` for exact sides: the differences are proportional.
    None where only an irrational factor could make them so (sympy decides)."""
    if not all(isinstance(e, Exact) for e in (*a, *b)):
        return None
    d1, d2 = a[0] - a[1], b[0] - b[1]
    if not d1.terms or not d2.terms:
        return d1 == d2
    if d1.variables != d2.variables:
        return False
    key, coeff = next(iter(d2.terms.items()))
    if key in d1.terms and d1 == d2 * Exact.rational(d1.terms[key] / coeff):
        return True
    return None


def _no_solution_set(v: Value) -> bool:
    """A relation of exact terms without exactly one variable ("2^{6} = 64"): it has no
    solution set to compare, as ``symbolic.relation_set`` would find with sympy."""
    if not isinstance(v, Relation) or not all(isinstance(e, (Exact, Infinite)) for e in v.exprs):
        return False
    return len(frozenset().union(*(e.variables for e in v.exprs))) != 1


def _sympy_of(expr: Any) -> Any:
    return expr.to_sympy() if isinstance(expr, (Exact, Infinite)) else expr


def exact_verdict(av: Any, an: Number | None, bv: Any, bn: Number | None, rename_any: bool,
                  precision: int | None) -> bool | None:
    """Equal or not by canonical forms, or None where sympy's rules must decide (a
    decimal, variables sympy may rename: ``2n`` and ``2k``). Unequal closed forms
    still match when ``precision`` rounds them alike, as on the sympy path."""
    a, b = _as_exact(av, an), _as_exact(bv, bn)
    if a is None or b is None:
        return None
    if a == b:
        return True
    if a.variables != b.variables:
        return None if renaming_may_apply(a.variables, b.variables, rename_any) else False
    da, db = a.decimal(), b.decimal()
    if da is None or db is None:
        return False  # variables (unequal polynomials), or an infinity against anything else
    return numbers_match(Number(da, 40, 40), Number(db, 40, 40), precision)


def decimal_against_closed_form(av: Any, an: Number | None, bv: Any, bn: Number | None,
                                precision: int | None) -> bool | None:
    """A written decimal against an exact closed form (``1.414`` vs ``\\sqrt2``): the
    rounding policy on the closed form's 40-place value; None for other pairs."""
    for dec, num, other in ((av, an, bv), (bv, bn, av)):
        if isinstance(dec, Fraction) and num is not None and num.is_decimal and isinstance(other, (Exact, Infinite)):
            value = other.decimal()
            if value is None:
                return False  # an infinity, or an expression in variables: never a rounded number
            return numbers_match(num, Number(value, 40, 40), precision)
    return None


def _rational_reading(v: Any, num: Number | None) -> tuple[Any, Number | None]:
    """A canonical form that is a plain rational reads as the exact number it is."""
    if isinstance(v, Exact):
        q = v.as_rational()
        if q is not None:
            return q, Number(q)
    return v, num


def _as_exact(v: Any, num: Number | None) -> Exact | Infinite | None:
    if isinstance(v, (Exact, Infinite)):
        return v
    if isinstance(v, Fraction) and (num is None or not num.is_decimal):
        return Exact.rational(v)
    return None
