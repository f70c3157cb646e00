"""The sympy side of the engine: LaTeX leaves to sympy, symbolic and numeric equality.

Imported only where sympy work happens (a grading worker process); the fast
path never imports this module. Nothing here turns a parsed object back into
a string, since a huge value could take unbounded time to print.
"""

from __future__ import annotations

import random
import re
from fractions import Fraction
from typing import Any

import sympy
from latex2sympy2_extended import latex2sympy
from sympy import Float, I, Rational, Symbol
from sympy.core.evalf import PrecisionExhausted

from .algebra import PARAMETER_NAMES as _PARAMETER_NAMES  # integer parameters: "pi/6 + n pi" is "pi/6 + k pi"
from .errors import ParseError
from .latex2sympy_compat import install_number_reader

install_number_reader()

_IMAG_UNIT = Symbol("i")
_DOUBLE_BRACES_RE = re.compile(r"\{\{([^{}]*)\}\}")
_MAX_INT_BITS = 100_000


MAX_LEAF_NESTING = 10  # latex2sympy's parser slows exponentially with nested groups


def _nesting(s: str) -> int:
    depth = deepest = 0
    for c in s:
        if c in "({[":
            depth += 1
            deepest = max(deepest, depth)
        elif c in ")}]":
            depth -= 1
    return deepest


def latex_to_sympy(s: str) -> Any:
    """Parse one LaTeX leaf (no top-level commas) into a sympy object."""
    while True:  # "{{x}}" is "{x}"
        collapsed = _DOUBLE_BRACES_RE.sub(r"{\1}", s)
        if collapsed == s:
            break
        s = collapsed
    if _nesting(s) > MAX_LEAF_NESTING:
        raise ParseError(f"expression nested more than {MAX_LEAF_NESTING} levels deep")
    try:
        expr = latex2sympy(s, normalization_config=None)
    except RecursionError as exc:
        raise ParseError("expression nested too deeply") from exc
    except Exception as exc:  # latex2sympy raises bare Exception on syntax errors
        raise ParseError(f"invalid LaTeX: {type(exc).__name__}") from exc
    if isinstance(expr, (list, tuple)):
        raise ParseError("a list where one value was expected")
    if not isinstance(expr, sympy.Basic) and not isinstance(expr, sympy.MatrixBase):
        raise ParseError("not a mathematical value")
    return _exact(expr)


def _exact(expr: Any) -> Any:
    """Floats written as decimals become exact rationals; ``i`` becomes the imaginary unit."""
    if isinstance(expr, sympy.MatrixBase):
        return expr.applyfunc(_exact)
    if not isinstance(expr, sympy.Basic):
        return expr
    floats = expr.atoms(Float)
    if floats:
        expr = expr.xreplace({f: Rational(str(f)) for f in floats})
    if _IMAG_UNIT in expr.free_symbols:
        expr = expr.xreplace({_IMAG_UNIT: I})
    return expr


def rename_symbols(expr: Any, renames: dict[str, str]) -> Any:
    """Rename free symbols (a function's bound argument) by name."""
    if not isinstance(expr, sympy.Basic):
        return expr
    mapping = {s: Symbol(renames[s.name]) for s in expr.free_symbols if getattr(s, "name", None) in renames}
    return expr.xreplace(mapping) if mapping else expr


def to_sympy_number(value: Fraction) -> Any:
    return Rational(value.numerator, value.denominator)


def numeric_value(expr: Any, digits: int = 40) -> complex | None:
    """High-precision numeric value of a closed expression, or None."""
    if not isinstance(expr, sympy.Expr) or expr.free_symbols:
        return None
    try:
        val = expr.evalf(digits)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    if not val.is_number:
        return None
    re_part, im_part = val.as_real_imag()
    if not (re_part.is_finite and im_part.is_finite):
        return None
    return re_part, im_part  # type: ignore[return-value]


def expr_equal(a: Any, b: Any, rename_any: bool = False) -> bool:
    """Symbolic equality of two sympy expressions, cheapest checks first."""
    if a == b:
        return True
    if isinstance(a, sympy.MatrixBase) or isinstance(b, sympy.MatrixBase):
        if not (isinstance(a, sympy.MatrixBase) and isinstance(b, sympy.MatrixBase)) or a.shape != b.shape:
            return False
        return all(expr_equal(x, y, rename_any) for x, y in zip(a, b))
    if not (isinstance(a, sympy.Expr) and isinstance(b, sympy.Expr)):
        try:
            return bool(a.equals(b)) if hasattr(a, "equals") else False
        except Exception:
            return False
    fa, fb = a.free_symbols, b.free_symbols
    if fa != fb:
        b = _rename_parameter(a, b, rename_any)
        fb = b.free_symbols
        if fa != fb:
            return False
    if not fa:
        return _closed_equal(a, b)
    diff = a - b
    try:
        if sympy.expand(diff) == 0:
            return True
    except Exception:
        pass
    return _spot_check(diff, fa) and not _differ_off_the_samples(a, b, fa)


def _rename_parameter(a: Any, b: Any, rename_any: bool) -> Any:
    """Rename b's one differing symbol to a's: always for integer parameters
    (n, k, m), for any symbol when strict variable matching is off."""
    fa, fb = a.free_symbols, b.free_symbols
    if len(fa) == len(fb) and len(fa - fb) == 1:
        (old,) = fb - fa
        (new,) = fa - fb
        if rename_any or (old.name in _PARAMETER_NAMES and new.name in _PARAMETER_NAMES):
            return b.xreplace({old: new})
    return b


def _closed_equal(a: Any, b: Any) -> bool:
    va, vb = numeric_value(a), numeric_value(b)
    if va is None or vb is None:
        try:
            return sympy.simplify(a - b) == 0
        except Exception:
            return False
    (ar, ai), (br, bi) = va, vb
    scale = max(abs(ar), abs(br), abs(ai), abs(bi), 1)
    if abs(ar - br) > scale * sympy.Float(10) ** -30 or abs(ai - bi) > scale * sympy.Float(10) ** -30:
        return False
    return _no_exact_difference(a - b)


def _no_exact_difference(diff: Any) -> bool:
    """Values within float noise of each other are equal unless their difference is a nonzero exact value
    (``e^{-100}``, ``10^{-100}``, ``5 + e^{-100}`` against 5): sympy evaluates a true difference to full
    precision, and gives up on a cancellation it cannot tell from zero (``equals`` would decide that too, but
    took 13 s on nested radicals)."""
    try:
        return diff == 0 or diff.evalf(40, strict=True) == 0
    except PrecisionExhausted:
        return True  # no digit of the difference is known: zero, as far as 40 digits can tell
    except Exception:
        return True  # as before this check: numerically equal


def _spot_check(diff: Any, symbols: set) -> bool:
    """diff vanishes at several random points: equal as functions (with very high probability)."""
    rng = random.Random(0)
    syms = sorted(symbols, key=lambda s: s.name)
    hits = 0
    for _ in range(6):
        point = {s: Rational(rng.randint(11, 97), rng.randint(3, 13)) for s in syms}
        try:
            val = diff.xreplace(point).evalf(30)
        except Exception:
            return False
        if not val.is_number:
            return False
        re_part, im_part = val.as_real_imag()
        if not (re_part.is_finite and im_part.is_finite):
            continue
        if abs(re_part) > sympy.Float(10) ** -20 or abs(im_part) > sympy.Float(10) ** -20:
            return False
        hits += 1
    return hits >= 3


# Where the random points (all in about [1, 32]) never look: negative values, values between 0 and 1, and
# large ones; |x| and x, \sqrt{x^2} and x, \min(x, 15) and x agree on all the random points.
_OFF_SAMPLE_VALUES = (Rational(-7, 3), Rational(-29, 4), Rational(3, 7), Rational(5, 11), Rational(263, 5),
                      Rational(-1, 3), Rational(1009, 3))
_SIGNIFICANT = sympy.Float(10) ** -15


def _differ_off_the_samples(a: Any, b: Any, symbols: set) -> bool:
    r"""a and b differ at a negative, fractional or large point where both (and every power and function
    inside them) are finite real numbers. A point where either side is undefined or not real says nothing:
    \ln x and \sqrt{x} are only defined for positive x."""
    syms = sorted(symbols, key=lambda s: s.name)
    n = len(_OFF_SAMPLE_VALUES)
    for k in range(n):
        point = {s: _OFF_SAMPLE_VALUES[(k + 3 * i) % n] for i, s in enumerate(syms)}
        va, vb = _real_value_at(a, point), _real_value_at(b, point)
        if va is not None and vb is not None and abs(va - vb) > _SIGNIFICANT * max(abs(va), abs(vb), 1):
            return True
    return False


MAX_NODES_CHECKED = 200


def _real_value_at(expr: Any, point: dict) -> Any | None:
    """The expression's value at the point when it and every power and function inside it is a finite real
    number, else None (√x·√(x+1) is real at x = -3 only through two imaginary factors: no evidence)."""
    nodes = [n for n in sympy.preorder_traversal(expr) if isinstance(n, (sympy.Pow, sympy.Function))
             and n.free_symbols][:MAX_NODES_CHECKED + 1]
    if len(nodes) > MAX_NODES_CHECKED:
        return None
    value = None
    for node in [*nodes, expr]:
        value = _real_number(node.xreplace(point))
        if value is None:
            return None
    return value


def _real_number(closed: Any) -> Any | None:
    """A closed expression's value when it is a finite real number, else None."""
    try:
        val = closed.evalf(30)
        if not val.is_number:
            return None
        re_part, im_part = val.as_real_imag()
        if not (re_part.is_finite and im_part.is_finite) or abs(im_part) > _SIGNIFICANT * max(abs(re_part), 1):
            return None
        return re_part
    except Exception:  # sympy's own errors on an undefined value (nan comparisons, division by zero)
        return None


def equations_equivalent(lhs1: Any, rhs1: Any, lhs2: Any, rhs2: Any) -> bool:
    """``l1 = r1`` and ``l2 = r2`` describe the same set: the differences are proportional."""
    d1, d2 = sympy.expand(lhs1 - rhs1), sympy.expand(lhs2 - rhs2)
    if d1 == 0 or d2 == 0:
        return d1 == d2
    if d1.free_symbols != d2.free_symbols:
        return False
    ratio = sympy.cancel(d1 / d2)
    return ratio.is_number and ratio != 0 and not ratio.has(sympy.zoo, sympy.nan)


def relation_set(ops: tuple[str, ...], exprs: tuple) -> Any | None:
    """The solution set (over the reals) of a one-variable inequality chain."""
    symbols = set().union(*(e.free_symbols for e in exprs if isinstance(e, sympy.Basic)))
    if len(symbols) != 1:
        return None
    (var,) = symbols
    rels = []
    table = {"<": sympy.StrictLessThan, ">": sympy.StrictGreaterThan, "\\le": sympy.LessThan,
             "\\ge": sympy.GreaterThan, "\\ne": sympy.Unequality, "=": sympy.Eq}
    for op, left, right in zip(ops, exprs, exprs[1:]):
        rels.append(table[op](left, right))
    try:
        sol = sympy.S.Reals
        for r in rels:
            sol = sol.intersect(sympy.solveset(r, var, sympy.S.Reals))
        return sol
    except Exception:
        return None
