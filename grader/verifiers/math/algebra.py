"""Exact arithmetic on simple closed forms and polynomials, without sympy.

Most symbolic answers in math RL are small: ``\\frac{\\sqrt{3}}{3}``,
``4\\sqrt{2}``, ``\\frac{5\\pi}{6}``, ``(x+3)^2``, ``n(2n-1)``. Parsing them with
latex2sympy costs milliseconds in a worker process; here they become a
canonical form in microseconds, inline.

A value is a finite sum of terms ``c · √r · π^k · x^a · y^b …`` with ``c``
rational, ``r`` a squarefree positive integer and integer exponents (negative
ones allowed: division by a single term). This is a canonical form: square
roots of distinct squarefree integers are linearly independent over the
rationals, and π (transcendental) and free variables are independent of them,
so two values are equal exactly when their term dictionaries are equal. No
floating point decides anything here.

What is not in this class returns None from :func:`parse_exact` and goes to
sympy as before: decimals (their rounding policy lives in ``compare``), ``e``
and ``i`` (whether e and π are algebraically independent is an open problem),
functions, subscripts, division by a sum, roots other than square roots of
non-negative rationals, and anything large (exponents over 64, more than 256
terms, radicands over 10^10).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any, Iterator

_PI = Fraction("3.1415926535897932384626433832795028841971693993751058209749445923078164062862089986")

# Integer parameters: "2n+1" and "2k+1" are the same answer even under strict
# variable matching (see ``grader.symbolic.expr_equal``).
PARAMETER_NAMES = frozenset({"n", "k", "m", "j", "t", "l"})

MAX_EXPONENT = 64
MAX_TERMS = 256
MAX_RADICAND = 10 ** 10
MAX_CHARS = 200
# Nested brackets (and braced groups) the parser descends into. 200 characters of "(" would take
# Python's recursion limit (five frames a level); at 100 levels at most about 500 frames are used
# (a sign costs one frame and a character, so signs within MAX_CHARS need no limit of their own).
MAX_NESTING = 100

# A term's key: (squarefree radicand, power of pi, ((variable, exponent), ...) sorted).
Key = tuple[int, int, tuple[tuple[str, int], ...]]
ONE: Key = (1, 0, ())


class Unsupported(Exception):
    """The text is outside the exact class; sympy decides it."""


class Exact:
    """A canonical sum of terms; equal values compare and hash equal."""

    __slots__ = ("terms", "_hash")

    def __init__(self, terms: dict[Key, Fraction]) -> None:
        self.terms = {k: c for k, c in terms.items() if c}
        if len(self.terms) > MAX_TERMS:
            raise Unsupported("too many terms")
        self._hash: int | None = None

    @classmethod
    def rational(cls, value: Fraction | int) -> "Exact":
        return cls({ONE: Fraction(value)})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Exact) and self.terms == other.terms

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self.terms.items()))
        return self._hash

    def __repr__(self) -> str:
        return f"Exact({self.terms!r})"

    @property
    def variables(self) -> frozenset[str]:
        return frozenset(v for _, _, vs in self.terms for v, _ in vs)

    def as_rational(self) -> Fraction | None:
        if not self.terms:
            return Fraction(0)
        if len(self.terms) == 1 and ONE in self.terms:
            return self.terms[ONE]
        return None

    def decimal(self, places: int = 40) -> Fraction | None:
        """A closed form's value rounded to ``places`` decimal places (None with variables),
        from integer square roots and 80 digits of π: the rounding policy's view of it."""
        if self.variables:
            return None
        scale = 10 ** (places + 20)
        total = Fraction(0)
        for (r, k, _), c in self.terms.items():
            total += c * Fraction(math.isqrt(r * scale * scale), scale) * _PI ** k
        return Fraction(round(total * 10 ** places), 10 ** places)

    # --- arithmetic -------------------------------------------------------------
    def __add__(self, other: "Exact") -> "Exact":
        out = dict(self.terms)
        for k, c in other.terms.items():
            out[k] = out.get(k, Fraction(0)) + c
        return Exact(out)

    def __neg__(self) -> "Exact":
        return Exact({k: -c for k, c in self.terms.items()})

    def __sub__(self, other: "Exact") -> "Exact":
        return self + (-other)

    def __mul__(self, other: "Exact") -> "Exact":
        if len(self.terms) * len(other.terms) > MAX_TERMS * 4:
            raise Unsupported("product too large")
        out: dict[Key, Fraction] = {}
        for ka, ca in self.terms.items():
            for kb, cb in other.terms.items():
                key, scale = _mul_keys(ka, kb)
                out[key] = out.get(key, Fraction(0)) + ca * cb * scale
        return Exact(out)

    def inverse(self) -> "Exact":
        if len(self.terms) != 1:
            raise Unsupported("division by a sum")
        ((r, k, vs), c), = self.terms.items()
        # 1/(c·√r) = √r/(c·r)
        return Exact({(r, -k, tuple((v, -e) for v, e in vs)): 1 / (c * r)})

    def power(self, exponent: Fraction) -> "Exact":
        if exponent.denominator == 1:
            n = exponent.numerator
            if abs(n) > MAX_EXPONENT:
                raise Unsupported("exponent too large")
            base = self if n >= 0 else self.inverse()
            out = Exact.rational(1)
            for _ in range(abs(n)):
                out = out * base
            return out
        if exponent.denominator == 2:
            return sqrt(self).power(Fraction(exponent.numerator))
        raise Unsupported("root other than a square root")

    def to_sympy(self) -> Any:
        """The same value as a sympy expression (built from sympy objects, never from text)."""
        import sympy

        total = sympy.Integer(0)
        for (r, k, vs), c in self.terms.items():
            term = sympy.Rational(c.numerator, c.denominator) * sympy.sqrt(sympy.Integer(r)) * sympy.pi ** k
            for v, e in vs:
                term *= sympy.Symbol(v) ** e
            total += term
        return total


class Infinite:
    """``\\infty`` or ``-\\infty``: an interval end, equal only to the same infinity."""

    __slots__ = ("sign",)
    variables: frozenset[str] = frozenset()

    def __init__(self, sign: int) -> None:
        self.sign = sign

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Infinite) and self.sign == other.sign

    def __hash__(self) -> int:
        return hash(("inf", self.sign))

    def __repr__(self) -> str:
        return "Infinite(+1)" if self.sign > 0 else "Infinite(-1)"

    def as_rational(self) -> None:
        return None

    def decimal(self, places: int = 40) -> None:
        return None

    def to_sympy(self) -> Any:
        import sympy

        return sympy.oo if self.sign > 0 else -sympy.oo


def solve_linear(difference: Exact, name: str) -> Exact | None:
    """``name`` from ``difference = 0`` when it appears in one term only, to the first power,
    times a rational and a product of powers of other variables (``y + 1 + (2x-1)^2`` for ``y``
    gives ``-(2x-1)^2 - 1``; ``xy - 6`` for ``y`` gives ``6/x``); None otherwise."""
    with_name = [k for k in difference.terms if any(v == name for v, _ in k[2])]
    if len(with_name) != 1:
        return None
    key = with_name[0]
    (radicand, pi_power, variables), coefficient = key, difference.terms[key]
    if radicand != 1 or pi_power != 0 or (name, 1) not in variables:
        return None
    divisor = dict(v for v in variables if v[0] != name)  # the other variables' powers beside name

    def divided(k: Key) -> Key:
        exps = dict(k[2])
        for v, e in divisor.items():
            exps[v] = exps.get(v, 0) - e
        return (k[0], k[1], tuple(sorted((v, e) for v, e in exps.items() if e)))

    return Exact({divided(k): -c / coefficient for k, c in difference.terms.items() if k != key})


def renaming_may_apply(a: frozenset[str], b: frozenset[str], rename_any: bool) -> bool:
    """Whether sympy's comparison could rename b's one differing variable to a's."""
    if len(a) != len(b) or len(a - b) != 1:
        return False
    (new,), (old,) = tuple(a - b), tuple(b - a)
    return rename_any or (old in PARAMETER_NAMES and new in PARAMETER_NAMES)


def _mul_keys(a: Key, b: Key) -> tuple[Key, int]:
    g = math.gcd(a[0], b[0])
    radicand = (a[0] // g) * (b[0] // g)  # √a·√b = g·√(a/g · b/g), still squarefree
    exps: dict[str, int] = dict(a[2])
    for v, e in b[2]:
        exps[v] = exps.get(v, 0) + e
    vs = tuple(sorted((v, e) for v, e in exps.items() if e))
    return (radicand, a[1] + b[1], vs), g


def sqrt(x: Exact) -> Exact:
    q = x.as_rational()
    if q is None or q < 0:
        raise Unsupported("square root of a non-rational or negative value")
    # √(p/q) = √(p·q)/q
    n, d = q.numerator * q.denominator, q.denominator
    if n > MAX_RADICAND:
        raise Unsupported("radicand too large")
    if n == 0:
        return Exact.rational(0)
    square, free = _split_square(n)
    return Exact({(free, 0, ()): Fraction(square, d)})


def _split_square(n: int) -> tuple[int, int]:
    """n = s²·f with f squarefree; returns (s, f)."""
    s, f, p = 1, 1, 2
    while p * p <= n:
        e = 0
        while n % p == 0:
            n //= p
            e += 1
        s *= p ** (e // 2)
        f *= p ** (e % 2)
        p += 1 if p == 2 else 2
    return s, f * n


# --- parsing ------------------------------------------------------------------

_TOKEN_RE = re.compile(r"\s+|\\[,;:! ]|\\[a-zA-Z]+|\d+|[a-zA-Z]|.")
_SKIP = {r"\,", r"\;", r"\:", r"\!", "\\ ", r"\left", r"\right"}
_RESERVED = {"e", "i", "f", "g", "h"}  # constants and function names: sympy reads them differently
_ATOM_START = {r"\frac", r"\dfrac", r"\tfrac", r"\sqrt", r"\pi", "(", "{"}


_INFINITIES = {(r"\infty",): 1, ("+", r"\infty"): 1, ("-", r"\infty"): -1}


def parse_exact(text: str) -> Exact | Infinite | None:
    """The canonical value of a LaTeX/plain expression in the exact class, or None."""
    if len(text) > MAX_CHARS or "." in text:
        return None
    tokens = list(_tokens(text))
    if not tokens:
        return None
    if tuple(tokens) in _INFINITIES:
        return Infinite(_INFINITIES[tuple(tokens)])
    parser = _Parser(tokens)
    try:
        value = parser.sum()
        if parser.pos != len(tokens):
            return None
        return value
    except (Unsupported, ZeroDivisionError, IndexError):
        return None
    except RecursionError:  # a caller already deep in its own stack; MAX_NESTING bounds what this adds
        return None


def _tokens(text: str) -> Iterator[str]:
    for m in _TOKEN_RE.finditer(text):
        tok = m.group(0)
        if tok.isspace() or tok in _SKIP:
            continue
        yield tok


class _Parser:
    """Recursive descent: sum → product → signed → power → atom."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.nesting = 0  # brackets open now; no need to unwind on an exception: the first one ends the parse

    def descend(self) -> None:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise Unsupported("nested too deeply")

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        tok = self.tokens[self.pos]
        if expected is not None and tok != expected:
            raise Unsupported(f"expected {expected}")
        self.pos += 1
        return tok

    def sum(self) -> Exact:
        self.descend()
        value = self.signed()
        while self.peek() in ("+", "-"):
            op = self.take()
            rhs = self.product()
            value = value + rhs if op == "+" else value - rhs
        self.nesting -= 1
        return value

    def signed(self) -> Exact:
        if self.peek() == "-":
            self.take()
            return -self.signed()
        if self.peek() == "+":
            self.take()
            return self.signed()
        return self.product()

    def product(self) -> Exact:
        value = self.power()
        prev_number = self._last_was_number
        while True:
            tok = self.peek()
            if tok in ("*", r"\cdot", r"\times"):
                self.take()
                value = value * self.factor()
            elif tok == "/":
                self.take()
                value = value * self.factor().inverse()
                nxt = self.peek()
                if nxt is not None and (nxt in _ATOM_START or _is_variable(nxt) or nxt.isdecimal()):
                    raise Unsupported("a/bc: readers disagree whether c is in the denominator")
            elif tok is not None and (tok in _ATOM_START or _is_variable(tok) or (tok.isdecimal() and not prev_number)):
                value = value * self.implicit_factor(value, prev_number)  # 2x, 3\sqrt{2}, x(x+1)
            else:
                return value
            prev_number = self._last_was_number

    def implicit_factor(self, left: Exact, after_number: bool) -> Exact:
        r"""The right operand of a product written without a sign, where latex2sympy reads it
        as one: "2\frac{1}{2}" is a mixed number to it, "x(3)" and "\pi(2)" are function
        calls, "(2)(3)" and "5(5)" are sums; those are refused (sympy decides them)."""
        tok = self.peek()
        if after_number and tok in (r"\frac", r"\dfrac", r"\tfrac"):
            raise Unsupported("mixed number")
        if tok == "(" and self._last_atom in ("variable", r"\pi") and not self._group_has_sum():
            raise Unsupported("function call")
        right = self.power()
        if tok == "(" and left.as_rational() is not None and right.as_rational() is not None:
            raise Unsupported("juxtaposed constants")
        return right

    def _group_has_sum(self) -> bool:
        """Whether the parenthesized group at the cursor has a binary + or - at its top level."""
        depth = 0
        for i in range(self.pos, len(self.tokens)):
            tok = self.tokens[i]
            if tok in ("(", "{"):
                depth += 1
            elif tok in (")", "}"):
                depth -= 1
                if depth == 0:
                    return False
            elif depth == 1 and tok in ("+", "-") and i > self.pos + 1:
                return True
        return False

    def factor(self) -> Exact:
        if self.peek() == "-":
            self.take()
            return -self.factor()
        return self.power()

    def power(self) -> Exact:
        base = self.atom()
        if self.peek() == "^":
            self.take()
            exponent = self.exponent()
            self._last_was_number = False
            return base.power(exponent)
        return base

    def exponent(self) -> Fraction:
        tok = self.peek()
        if tok == "{":
            self.take()
            value = self.sum()
            self.take("}")
        elif tok is not None and tok.isdecimal() and len(tok) == 1:
            value = Exact.rational(int(self.take()))
        else:
            raise Unsupported("exponent")
        q = value.as_rational()
        if q is None:
            raise Unsupported("non-constant exponent")
        return q

    _last_was_number = False
    _last_atom = ""

    def atom(self) -> Exact:
        tok = self.take()
        self._last_was_number = False
        self._last_atom = "variable" if _is_variable(tok) else tok
        if tok.isdecimal():
            self._last_was_number = True
            return Exact.rational(int(tok))
        if tok in ("(", "{"):
            value = self.sum()
            self.take(")" if tok == "(" else "}")
            return value
        if tok in (r"\frac", r"\dfrac", r"\tfrac"):
            num, den = self.group(), self.group()
            return num * den.inverse()
        if tok == r"\sqrt":
            if self.peek() == "[":
                raise Unsupported("n-th root")
            return sqrt(self.group())
        if tok == r"\pi":
            return Exact({(1, 1, ()): Fraction(1)})
        if tok == r"\gcd":
            return self.gcd()
        if _is_variable(tok):
            return Exact({(1, 0, ((tok, 1),)): Fraction(1)})
        raise Unsupported(f"token {tok!r}")

    def gcd(self) -> Exact:
        """``\\gcd(a, b, …)`` of integers."""
        self.take("(")
        args = [self.sum()]
        while self.peek() == ",":
            self.take()
            args.append(self.sum())
        self.take(")")
        values = [a.as_rational() for a in args]
        if len(values) < 2 or any(v is None or v.denominator != 1 for v in values):
            raise Unsupported("gcd of non-integers")
        return Exact.rational(math.gcd(*(int(v) for v in values)))

    def group(self) -> Exact:
        """A braced argument, or a single digit/letter/command (``\\frac12``, ``\\sqrt2``)."""
        if self.peek() == "{":
            self.take()
            value = self.sum()
            self.take("}")
            return value
        tok = self.peek()
        if tok is not None and tok.isdecimal():
            self.tokens[self.pos] = tok[1:] or ""
            if self.tokens[self.pos] == "":
                self.pos += 1
            return Exact.rational(int(tok[0]))
        return self.atom()


def _is_variable(tok: str) -> bool:
    return len(tok) == 1 and tok.isascii() and tok.isalpha() and tok not in _RESERVED
