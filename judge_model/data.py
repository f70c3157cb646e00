"""Synthetic answer pairs for the default judge: (question, reference, answer, label).

Everything comes from one ``random.Random(seed)``; sympy builds the expressions and
their equivalent and perturbed forms. Each generator returns one pair, correct or not
with even odds, and the wrong answers are near misses (hard negatives): off by one, a
flipped sign, a swapped fraction, a missing or extra solution, another bracket, the
same number in another unit, a neighbouring word. Kinds:

- ``number``: integers, fractions, decimals, thousands separators, scientific notation,
  numbers in words;
- ``expression``: polynomials, rational functions, radicals and constants (sympy);
- ``equation``: ``y = 2x + 1`` against ``2x + 1``, ``xy = 6`` against ``6/x`` (the question decides);
- ``interval``: interval notation, inequalities and set-builder;
- ``solutions``: sets of roots as lists, sets, ``x = a or x = b``, ``\\pm``;
- ``unit``: units (same value in another unit, or a different value), degrees and radians;
- ``text``: text answers with paraphrases and near misses, and names in sentences;
- ``list``: lists in and out of order (order matters when the question asks for an order),
  tuples (order always matters), chains ``b < a < d < c``.

No labelled case (``../shared/cases``) is read here: those are for validation only.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

KINDS = ("number", "expression", "equation", "interval", "solutions", "unit", "text", "list")
WEIGHTS = (16, 16, 8, 10, 12, 10, 16, 12)
EASY_NEGATIVES = 0.2  # share of wrong answers that are another pair's answer, not a near miss


@dataclass(frozen=True)
class Pair:
    question: str
    reference: str
    answer: str
    label: int  # 1: the answer means the reference
    kind: str


def generate(n: int, seed: int) -> list[Pair]:
    """``n`` pairs from ``seed``, kinds in the proportions of ``WEIGHTS``."""
    rng = random.Random(seed)
    makers = [GENERATORS[k] for k in KINDS]
    out = []
    while len(out) < n:
        kind_index = rng.choices(range(len(KINDS)), WEIGHTS)[0]
        positive = rng.random() < 0.5
        question, reference, answer = makers[kind_index](rng, positive)
        if not positive and rng.random() < EASY_NEGATIVES:  # another answer of the same kind entirely
            answer = makers[kind_index](rng, rng.random() < 0.5)[2]
        if not positive and _same(answer, reference):
            continue  # a perturbation that happened to land on the same text
        if rng.random() < 0.3:
            question = ""  # the judge is often asked without the question
        out.append(Pair(question, _dollars(rng, reference), _dollars(rng, answer, 0.15), int(positive),
                        KINDS[kind_index]))
    return out


def _same(a: str, b: str) -> bool:
    return a.replace(" ", "").strip("$") == b.replace(" ", "").strip("$")


def _dollars(rng: random.Random, text: str, p: float = 0.3) -> str:
    """References in the wild often keep their ``$...$``."""
    return f"${text}$" if rng.random() < p and "$" not in text else text


# --- numbers ------------------------------------------------------------------------------------

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
         "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def in_words(n: int) -> str:
    """0..999,999 in English words."""
    if n < 0:
        return "negative " + in_words(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else "-" + _ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return _ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + in_words(rest))
    rest = n % 1000
    return in_words(n // 1000) + " thousand" + ("" if rest == 0 else " " + in_words(rest))


def _int(rng: random.Random) -> int:
    return rng.choice([rng.randint(0, 20), rng.randint(2, 200), rng.randint(100, 99999)])


def _frac(rng: random.Random) -> Fraction:
    while True:
        q = rng.randint(2, 30)
        p = rng.randint(1, 60) * rng.choice([1, 1, 1, -1])
        f = Fraction(p, q)
        if f.denominator > 1:
            return f


def _frac_tex(f: Fraction, rng: random.Random) -> str:
    sign = "-" if f < 0 else ""
    p, q = abs(f.numerator), f.denominator
    return sign + rng.choice([f"\\frac{{{p}}}{{{q}}}", f"\\dfrac{{{p}}}{{{q}}}", f"{p}/{q}", f"\\frac{p}{q}"
                              if p < 10 and q < 10 else f"\\tfrac{{{p}}}{{{q}}}"])


def _decimal(f: Fraction) -> str | None:
    """The exact decimal of ``f`` where it has one of at most 4 places."""
    for places in range(1, 5):
        scaled = f * 10 ** places
        if scaled.denominator == 1:
            return f"{float(f):.{places}f}"
    return None


def _int_forms(n: int, rng: random.Random) -> str:
    forms = [str(n), str(n), f"{n}.0", f"{n:,}" if abs(n) >= 1000 else str(n),
             f"{n:,}".replace(",", "{,}") if abs(n) >= 1000 else f"{n}.00", f"\\text{{{n}}}",
             in_words(n) if 0 <= n < 1000 else str(n)]
    if n % 1000 == 0 and n:
        forms.append(f"{n // 1000} \\times 10^{{3}}")
    return rng.choice(forms)


def _near_int(n: int, rng: random.Random) -> int:
    moves = [n + 1, n - 1, -n if n else 1, n * 10, n + rng.choice([2, 10, 100])]
    s = str(abs(n))
    if len(s) >= 2:
        i = rng.randrange(len(s) - 1)
        swapped = s[:i] + s[i + 1] + s[i] + s[i + 2:]
        moves.append(int(swapped) * (1 if n >= 0 else -1))
    return rng.choice([m for m in moves if m != n] or [n + 1])


def number(rng: random.Random, positive: bool) -> tuple[str, str, str]:
    question = rng.choice(["How many ways are there?", "Compute the value.", "What is the sum of the roots?",
                           "Find the smallest positive integer $n$.", "Evaluate the expression.",
                           "What is the probability?", "Find the area of the triangle.", "Compute $a+b$."])
    if rng.random() < 0.5:
        n = _int(rng)
        reference = str(n) if rng.random() < 0.7 else _int_forms(n, rng)
        value = n if positive else _near_int(n, rng)
        return question, reference, _int_forms(value, rng)
    f = _frac(rng)
    reference = _frac_tex(f, rng) if rng.random() < 0.7 else (_decimal(f) or _frac_tex(f, rng))
    if positive:
        scaled = rng.randint(2, 4)
        forms = [_frac_tex(f, rng), _decimal(f) or _frac_tex(f, rng),
                 f"\\frac{{{f.numerator * scaled}}}{{{f.denominator * scaled}}}"]
        if f < 0:
            forms.append(f"\\frac{{{-f.numerator}}}{{{-f.denominator}}}")
        return question, reference, rng.choice(forms)
    wrong = rng.choice([1 / f if f else f + 1, f + 1, -f, Fraction(f.numerator + 1, f.denominator),
                        Fraction(f.numerator, f.denominator + 1), f * 2])
    return question, reference, rng.choice([_frac_tex(wrong, rng), _decimal(wrong) or _frac_tex(wrong, rng)])


# --- expressions (sympy) ------------------------------------------------------------------------

def _sympy():
    import sympy

    return sympy


def _symbol(rng: random.Random):
    return _sympy().Symbol(rng.choice("xxxntaky"))


def _random_expression(rng: random.Random):
    sp = _sympy()
    x = _symbol(rng)
    a, b, c = (rng.choice([i for i in range(-9, 10) if i]) for _ in range(3))
    shapes = [
        lambda: (x + a) * (x + b),
        lambda: a * x ** 2 + b * x + c,
        lambda: (x + a) / (x + b),
        lambda: sp.Rational(a, abs(b) + 1) * x + c,
        lambda: abs(a) * sp.sqrt(rng.choice([2, 3, 5, 6, 7, 10])),
        lambda: sp.sqrt(rng.choice([2, 3, 5])) / abs(b) + c,
        lambda: a * sp.pi / rng.choice([2, 3, 4, 6, 12]),
        lambda: 1 / (1 + sp.sqrt(rng.choice([2, 3, 5]))),
        lambda: x ** abs(a) * (x + b),
        lambda: sp.log(abs(a) + 1) + b,
        lambda: (x + a) ** 2,
        lambda: 2 ** (abs(a) % 5 + 2) * 3 ** (abs(b) % 3 + 1),
        lambda: sp.Rational(a, 2) * (x ** 2 - b),
        lambda: sp.exp(a) + b,
    ]
    return sp.sympify(rng.choice(shapes)())


def _render(expr, rng: random.Random) -> str:
    sp = _sympy()
    style = rng.random()
    if style < 0.55:
        return sp.latex(expr)
    if style < 0.8:
        return str(expr).replace("**", "^")
    return sp.latex(expr, mul_symbol=rng.choice(["dot", "times", None]))


def _equivalent(expr, rng: random.Random):
    sp = _sympy()
    forms = [sp.expand(expr), sp.factor(expr), sp.together(expr), sp.radsimp(expr), sp.nsimplify(expr)]
    try:
        forms.append(sp.apart(expr))
    except Exception:  # not a rational function of one symbol
        pass
    return rng.choice(forms)


def _perturbed(expr, rng: random.Random):
    """A near miss: one number or sign in the expression changed."""
    sp = _sympy()
    numbers = sorted(expr.atoms(sp.Integer, sp.Rational), key=str)
    change = rng.random()
    if numbers and change < 0.6:
        old = rng.choice(numbers)
        new = old + rng.choice([1, -1, 2]) if rng.random() < 0.7 else -old
        if new == old:
            new = old + 1
        return expr.xreplace({old: new})
    if change < 0.8:
        return -expr
    syms = sorted(expr.free_symbols, key=str)
    if syms and rng.random() < 0.5:
        return expr.subs(syms[0], syms[0] ** 2)
    return expr + rng.choice([1, -1, sp.Rational(1, 2)])


def expression(rng: random.Random, positive: bool) -> tuple[str, str, str]:
    sp = _sympy()
    for _ in range(20):
        expr = _random_expression(rng)
        other = _equivalent(expr, rng) if positive else _perturbed(expr, rng)
        if not positive and sp.simplify(other - expr) == 0:
            continue
        question = rng.choice(["Simplify the expression.", "Find $f(x)$.", "Expand the product.",
                               "Find the exact value.", "Rationalize the denominator.", "Compute the sum.",
                               "Express the answer in simplest radical form.", "Find the general term."])
        return question, _render(expr, rng), _render(other, rng)
    return number(rng, positive)


# --- equations ------------------------------------------------------------------------------------

def equation(rng: random.Random, positive: bool) -> tuple[str, str, str]:
    sp = _sympy()
    x = sp.Symbol("x")
    a, b = rng.choice([2, 3, 4, 5, 6, 8, 12]), rng.choice([i for i in range(-9, 10) if i])
    case = rng.random()
    if case < 0.35:  # xy = a against a/x: the question asks for y
        reference = rng.choice([f"xy = {a}", f"y = \\frac{{{a}}}{{x}}", f"xy={a}"])
        good = rng.choice([f"\\frac{{{a}}}{{x}}", f"{a}/x", f"y = {a}/x", f"y=\\frac{{{a}}}{{x}}"])
        bad = rng.choice([f"\\frac{{{a + 1}}}{{x}}", f"{a}x", f"\\frac{{x}}{{{a}}}", f"xy = {a * 2}"])
        return "Express $y$ in terms of $x$.", reference, good if positive else bad
    if case < 0.7:  # y = expr against expr
        expr = a * x + b if rng.random() < 0.5 else x ** 2 + b * x + a
        lhs = rng.choice(["y", "f(x)", "g(x)", "y(x)"])
        reference = f"{lhs} = {_render(expr, rng)}" if rng.random() < 0.6 else _render(expr, rng)
        shown = expr if positive else _perturbed(expr, rng)
        answer = _render(shown, rng) if rng.random() < 0.5 else f"{lhs} = {_render(shown, rng)}"
        return rng.choice(["Find $f(x)$.", "Find the equation of the line.", "Find all functions $f$."]), \
            reference, answer
    value = rng.randint(-30, 30)  # x = 3 against 3
    var = rng.choice(["x", "n", "k", "a"])
    reference = rng.choice([str(value), f"{var} = {value}", f"{var}={value}"])
    shown = value if positive else _near_int(value, rng)
    return f"Solve for ${var}$.", reference, rng.choice([str(shown), f"{var} = {shown}", f"{var}={shown}"])


# --- intervals, inequalities, set-builder -------------------------------------------------------

def _ends(rng: random.Random) -> tuple[str, str]:
    """Two endpoints, the lower first: a negative one and a positive one, in several notations."""
    low = rng.choice([str(rng.randint(-12, -1)), _frac_tex(-abs(_frac(rng)), rng), "-\\sqrt{2}", "-\\sqrt{5}",
                      "-\\pi", "-\\frac{\\pi}{2}"])
    high = rng.choice([str(rng.randint(0, 12)), _frac_tex(abs(_frac(rng)), rng), "\\sqrt{2}", "\\sqrt{3}",
                       "\\pi", "\\frac{\\pi}{2}"])
    return low, high


def _interval_forms(lo: str | None, hi: str | None, lo_closed: bool, hi_closed: bool, var: str,
                    rng: random.Random) -> str:
    """One rendering of {var : lo <(=) var <(=) hi} (None: unbounded)."""
    le, ge = rng.choice([("\\le", "\\ge"), ("\\leq", "\\geq"), ("<=", ">=")])
    left = "[" if lo_closed and lo is not None else "("
    right = "]" if hi_closed and hi is not None else ")"
    low, high = lo if lo is not None else "-\\infty", hi if hi is not None else "\\infty"
    interval = f"{left}{low}, {high}{right}"
    parts = []
    if lo is not None:
        parts.append(f"{lo} {le if lo_closed else '<'} {var}")
    if hi is not None:
        parts.append(f"{var} {le if hi_closed else '<'} {hi}")
    if lo is not None and hi is not None:
        inequality = f"{lo} {le if lo_closed else '<'} {var} {le if hi_closed else '<'} {hi}"
    elif lo is not None:
        inequality = rng.choice([f"{var} {ge if lo_closed else '>'} {lo}", parts[0]])
    elif hi is not None:
        inequality = parts[0]
    else:
        inequality = f"{var} \\in \\mathbb{{R}}"
    builder = f"\\{{{var} \\mid {inequality}\\}}" if rng.random() < 0.6 else f"\\{{{var} : {inequality}\\}}"
    return rng.choice([interval, interval, inequality, builder, f"{var} \\in {interval}"])


def interval(rng: random.Random, positive: bool) -> tuple[str, str, str]:
    a, b = sorted(rng.sample(range(-12, 13), 2))
    lo, hi = (str(a), str(b)) if rng.random() < 0.7 else _ends(rng)
    if rng.random() < 0.25:
        lo, hi = (None, hi) if rng.random() < 0.5 else (lo, None)
    lc, hc = rng.random() < 0.5, rng.random() < 0.5
    var = rng.choice(["x", "x", "t", "a", "k", "\\lambda"])
    question = rng.choice(["Solve the inequality.", "For which $x$ does the inequality hold?",
                           "Find the range of the function.", "Express your answer in interval notation.",
                           "Find the domain.", "Determine all values of $x$."])
    reference = _interval_forms(lo, hi, lc, hc, var, rng)
    if positive:
        return question, reference, _interval_forms(lo, hi, lc, hc, var, rng)
    change = rng.random()
    if change < 0.35 and (lo is not None or hi is not None):  # another bracket
        if lo is not None and (hi is None or rng.random() < 0.5):
            lc = not lc
        else:
            hc = not hc
    elif change < 0.7:  # another endpoint
        if lo is not None and (hi is None or rng.random() < 0.5):
            lo = str(int(lo) + rng.choice([1, -1])) if lo.lstrip("-").isdigit() else f"-{lo}".replace("--", "")
        elif hi is not None:
            hi = str(int(hi) + rng.choice([1, -1])) if hi.lstrip("-").isdigit() else f"-{hi}".replace("--", "")
        else:
            lo = "0"
    elif lo is not None and hi is not None:  # the complement's side, or one side only
        return question, reference, rng.choice([f"{var} < {lo}", f"{var} > {hi}", f"({hi}, \\infty)",
                                                f"(-\\infty, {lo}) \\cup ({hi}, \\infty)"])
    else:
        lo, hi = (hi, None) if lo is None else (None, lo)
    return question, reference, _interval_forms(lo, hi, lc, hc, var, rng)


# --- solution sets ----------------------------------------------------------------------------------

def _value_text(v: int | Fraction | str, rng: random.Random) -> str:
    if isinstance(v, Fraction):
        return _frac_tex(v, rng)
    return str(v)


def _roots(rng: random.Random) -> list:
    k = rng.choice([1, 2, 2, 2, 3, 3, 4])
    pool: list = rng.sample(range(-15, 16), k)
    if rng.random() < 0.3:
        pool[rng.randrange(k)] = _frac(rng)
    if rng.random() < 0.15:
        r = rng.choice([2, 3, 5, 7, 11, 19])
        c = rng.randint(-3, 3)
        pool = [f"{c} + \\sqrt{{{r}}}" if c else f"\\sqrt{{{r}}}", f"{c} - \\sqrt{{{r}}}" if c else f"-\\sqrt{{{r}}}"]
    return pool


def _solution_forms(roots: list, var: str, rng: random.Random) -> str:
    texts = [_value_text(v, rng) for v in roots]
    rng.shuffle(texts)
    style = rng.random()
    if style < 0.4:
        return ", ".join(texts)
    if style < 0.6:
        return "\\{" + ", ".join(texts) + "\\}"
    if style < 0.8:
        joiner = rng.choice([" \\text{ or } ", ", ", " \\text{ and } ", " or "])
        return joiner.join(f"{var} = {t}" for t in texts)
    if len(roots) == 2 and all(isinstance(v, int) for v in roots) and roots[0] == -roots[1]:
        return f"\\pm {abs(roots[0])}"
    return f"{var} \\in \\{{{', '.join(texts)}\\}}"


def solutions(rng: random.Random, positive: bool) -> tuple[str, str, str]:
    roots = _roots(rng)
    if rng.random() < 0.15 and len(roots) == 2:
        roots = [abs(roots[0]) if isinstance(roots[0], int) and roots[0] else 3, None]
        roots[1] = -roots[0]
    var = rng.choice(["x", "x", "n", "t"])
    question = rng.choice(["Find all real solutions.", "Enter all the solutions, separated by commas.",
                           "Find all integers $n$ such that the equation holds.", "Solve the equation.",
                           "Find all real roots."])
    reference = _solution_forms(roots, var, rng)
    if positive:
        return question, reference, _solution_forms(roots, var, rng)
    change = rng.random()
    wrong = list(roots)
    if change < 0.3 and len(wrong) > 1:
        wrong.pop(rng.randrange(len(wrong)))  # a missing solution
    elif change < 0.55:
        extra = rng.randint(-15, 15)
        wrong.append(extra if extra not in wrong else 16)  # an extra solution
    else:
        i = rng.randrange(len(wrong))
        v = wrong[i]
        if isinstance(v, str):
            wrong[i] = v.replace("+", "@").replace("-", "+").replace("@", "-") if "+" in v or " - " in v else f"-{v}"
        elif isinstance(v, Fraction):
            wrong[i] = rng.choice([-v, 1 / v, v + 1])
        else:
            wrong[i] = rng.choice([-v if v else 1, v + 1, v - 1])
    return question, reference, _solution_forms(wrong, var, rng)


# --- units, degrees and radians --------------------------------------------------------------------

_UNITS = [  # (family, unit, factor to the family's base, spellings)
    ("length", "m", Fraction(1), ["m", "\\text{ m}", "\\,\\mathrm{m}", " meters"]),
    ("length", "cm", Fraction(1, 100), ["cm", "\\text{ cm}", "\\,\\mathrm{cm}", " centimeters"]),
    ("length", "km", Fraction(1000), ["km", "\\text{ km}", " kilometers"]),
    ("time", "min", Fraction(60), [" minutes", "\\text{ min}", " min"]),
    ("time", "h", Fraction(3600), [" hours", "\\text{ h}", " hours"]),
    ("time", "s", Fraction(1), [" seconds", "\\text{ s}", " s"]),
    ("mass", "kg", Fraction(1000), ["kg", "\\text{ kg}", " kilograms"]),
    ("mass", "g", Fraction(1), ["g", "\\text{ g}", " grams"]),
    ("area", "cm2", Fraction(1), ["\\text{ cm}^2", " square centimeters", "\\,\\mathrm{cm}^{2}"]),
    ("money", "$", Fraction(1), ["\\$"]),
    ("money", "cents", Fraction(1, 100), [" cents", "\\text{ cents}"]),
]


def _amount(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else (_decimal(value) or f"{float(value):.3f}")


def _with_unit(value: Fraction, unit, rng: random.Random) -> str:
    spelled = rng.choice(unit[3])
    if unit[1] == "$":
        return f"\\${_amount(value)}" if rng.random() < 0.6 else f"{_amount(value)} dollars"
    return f"{_amount(value)}{spelled}"


def unit(rng: random.Random, positive: bool) -> tuple[str, str, str]:
    if rng.random() < 0.3:
        return _angle(rng, positive)
    base = rng.choice(_UNITS)
    value = Fraction(rng.randint(1, 500), rng.choice([1, 1, 2, 4, 10]))
    question = rng.choice(["How long is the rope?", "How much does it cost?", "How long does the trip take?",
                           "What is the mass of the box?", "Find the area.", "How far did she walk?"])
    reference = _with_unit(value, base, rng) if rng.random() < 0.7 else _amount(value)
    same_family = [u for u in _UNITS if u[0] == base[0] and u[1] != base[1]]
    if positive:
        if same_family and rng.random() < 0.4:
            other = rng.choice(same_family)
            converted = value * base[2] / other[2]
            if converted.denominator in (1, 2, 4, 5, 10, 20, 25, 50, 100):
                return question, reference, _with_unit(converted, other, rng)
        return question, reference, rng.choice([_with_unit(value, base, rng), _amount(value)])
    if same_family and rng.random() < 0.5:  # the same number in another unit: a different value
        return question, reference, _with_unit(value, rng.choice(same_family), rng)
    wrong = rng.choice([value + 1, value - 1 if value > 1 else value + 2, value * 10, value / 2])
    return question, reference, rng.choice([_with_unit(wrong, base, rng), _amount(wrong)])


def _angle(rng: random.Random, positive: bool) -> tuple[str, str, str]:
    degrees = rng.choice([15, 18, 20, 30, 36, 45, 60, 72, 90, 120, 135, 150, 180, 210, 225, 240, 270, 300, 315, 330])

    def radians(d: int) -> str:
        f = Fraction(d, 180)
        if f == 1:
            return "\\pi"
        if f.denominator == 1:
            return f"{f.numerator}\\pi"
        top = "\\pi" if f.numerator == 1 else f"{f.numerator}\\pi"
        return rng.choice([f"\\frac{{{top}}}{{{f.denominator}}}", f"{top}/{f.denominator}"])

    def degree(d: int) -> str:
        return rng.choice([f"{d}^\\circ", f"{d}^{{\\circ}}", f"{d}°", f"{d} degrees", f"{d}"])

    question = rng.choice(["Find the angle $\\theta$.", "Compute the degree measure of angle $C$.",
                           "Find the measure of the angle.", "What is the angle between the vectors?"])
    reference = degree(degrees) if rng.random() < 0.5 else radians(degrees)
    if positive:
        return question, reference, radians(degrees) if rng.random() < 0.5 else degree(degrees)
    wrong = rng.choice([d for d in (degrees + 15, degrees - 15, 180 - degrees, 2 * degrees, degrees + 30)
                        if d > 0 and d != degrees] or [degrees + 15])
    return question, reference, radians(wrong) if rng.random() < 0.5 else degree(wrong)


# --- text answers ----------------------------------------------------------------------------------

# (paraphrases of one answer, near misses)
_CONCEPTS: list[tuple[list[str], list[str]]] = [
    (["\\infty", "\\text{infinitely many}", "infinitely many", "There are infinitely many.", "infinite",
      "\\text{infinitely many solutions}", "infinitely many such numbers"],
     ["finitely many", "0", "1", "\\text{none}", "\\text{finitely many}", "no such number"]),
    (["odd", "\\text{odd}", "Any odd number", "all odd $n$", "$n$ is odd", "any odd number of participants",
      "n \\text{ odd}"],
     ["even", "\\text{even}", "any even number", "$n$ is even", "all $n$", "prime"]),
    (["even", "\\text{even}", "any even number", "$n$ is even", "all even n"],
     ["odd", "\\text{odd}", "$n$ is odd", "any odd number", "all $n$"]),
    (["Yes", "\\text{Yes}", "yes, it is possible", "Yes, such a set exists.", "possible", "It is possible."],
     ["No", "\\text{No}", "no, it is impossible", "impossible", "It is not possible."]),
    (["No", "\\text{No}", "no, it is not possible", "impossible", "No such number exists.", "It cannot."],
     ["Yes", "\\text{Yes}", "yes, it is possible", "possible", "It can."]),
    (["\\emptyset", "\\varnothing", "no solution", "\\text{no solutions}", "There are no solutions.", "\\{\\}",
      "no real solutions"],
     ["0", "x = 0", "\\{0\\}", "infinitely many solutions", "one solution", "\\mathbb{R}"]),
    (["\\mathbb{R}", "all real numbers", "(-\\infty, \\infty)", "\\text{all real } x", "every real number"],
     ["\\mathbb{Z}", "all integers", "x > 0", "(0, \\infty)", "no real number", "\\mathbb{Q}"]),
    (["\\text{prime}", "all primes", "$p$ is prime", "the prime numbers", "every prime"],
     ["composite", "all odd primes", "all even numbers", "\\text{composite}", "odd numbers"]),
    (["the first player", "\\text{first player}", "The first player wins.", "Player 1", "first"],
     ["the second player", "\\text{second player}", "Player 2", "second", "neither player"]),
    (["the second player", "\\text{second player}", "The second player wins.", "Player 2", "second"],
     ["the first player", "\\text{first player}", "Player 1", "first", "neither player"]),
    (["square", "a square", "\\text{square}", "It is a square."],
     ["rectangle", "rhombus", "a rectangle", "\\text{rhombus}", "parallelogram"]),
    (["equilateral", "an equilateral triangle", "\\text{equilateral}", "The triangle is equilateral."],
     ["isosceles", "right", "a right triangle", "\\text{isosceles}", "scalene"]),
    (["always", "\\text{always}", "It always holds.", "for every n"],
     ["never", "sometimes", "\\text{never}", "only for even n"]),
    (["n \\equiv 1 \\pmod{3}", "n = 3k + 1", "n \\equiv 1 \\pmod 3", "n \\equiv 1 \\ (\\text{mod } 3)"],
     ["n \\equiv 2 \\pmod{3}", "n = 3k + 2", "n \\equiv 0 \\pmod 3", "n = 3k"]),
    (["n \\equiv 0 \\pmod{4}", "n = 4k", "$n$ divisible by 4", "multiples of 4"],
     ["n \\equiv 2 \\pmod{4}", "n = 4k + 2", "multiples of 2", "n = 4k + 1"]),
    (["\\text{does not exist}", "does not exist", "DNE", "no such value", "The limit does not exist."],
     ["0", "\\infty", "1", "exists", "it exists"]),
    (["\\text{converges}", "converges", "convergent", "The series converges."],
     ["diverges", "\\text{diverges}", "divergent", "The series diverges."]),
    (["\\text{increasing}", "increasing", "strictly increasing", "It increases."],
     ["decreasing", "\\text{decreasing}", "constant", "It decreases."]),
    (["\\text{maximum}", "a maximum", "local maximum", "maximum"],
     ["minimum", "a minimum", "\\text{minimum}", "saddle point"]),
]

_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]
_SYLLABLES = ["ka", "fel", "ni", "kov", "ma", "ro", "ben", "sa", "li", "to", "ver", "an", "dre", "gor",
              "mi", "el", "su", "zan", "pe", "tra", "lo", "vic", "har", "din"]
_ROLES = ["served in the first game", "won the tournament", "is the liar", "finished first", "is the oldest",
          "sat in the middle", "owns the dog", "told the truth", "scored the most points"]


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def text(rng: random.Random, positive: bool) -> tuple[str, str, str]:
    r = rng.random()
    if r < 0.55:
        goods, bads = rng.choice(_CONCEPTS)
        reference = rng.choice(goods)
        question = rng.choice(["How many solutions are there?", "For which $n$ is this possible?",
                               "Is it possible?", "Who wins with perfect play?", "What shape is it?",
                               "Does the series converge?", "Describe all such $n$.", "Find the limit."])
        if positive:
            return question, reference, rng.choice([g for g in goods if g != reference] or goods)
        return question, reference, rng.choice(bads)
    if r < 0.8:  # a name, bare or in a sentence
        name, other = _name(rng), _name(rng)
        role = rng.choice(_ROLES)
        question = f"Who {role}?"
        reference = name if rng.random() < 0.6 else f"{name} {role}"
        shown = name if positive else rng.choice([other, other, name[:-1] + rng.choice("aeiou") if name[-1] not in
                                                  "aeiou" else name + "n"])
        forms = [shown, f"\\text{{{shown}}}", f"{shown} {role}", f"It was {shown}.", f"{shown} {role}."]
        return question, reference, rng.choice(forms)
    words, what = rng.choice([(_DAYS, "On which day"), (_MONTHS, "In which month")])
    i = rng.randrange(len(words))
    word = words[i] if positive else words[(i + rng.choice([1, -1, 2])) % len(words)]
    reference = words[i] if rng.random() < 0.7 else f"on {words[i]}"
    return f"{what} did it happen?", reference, rng.choice([word, f"on {word}", f"\\text{{{word}}}",
                                                            f"It happened on {word}."])


# --- lists ----------------------------------------------------------------------------------------------

def lists(rng: random.Random, positive: bool) -> tuple[str, str, str]:
    r = rng.random()
    if r < 0.3:  # an order of names: chains and lists
        letters = rng.sample(list("abcdpqrxyz") if rng.random() < 0.6 else ["A", "B", "C", "D", "E"],
                             rng.randint(3, 5))
        question = rng.choice(["Order the numbers from least to greatest.", "Rank them from smallest to largest.",
                               "Arrange the quantities in increasing order."])
        reference = rng.choice([" < ".join(letters), ", ".join(letters)])
        shown = list(letters)
        if not positive:
            i = rng.randrange(len(shown) - 1)
            shown[i], shown[i + 1] = shown[i + 1], shown[i]
        forms = [", ".join(shown), " < ".join(shown), " > ".join(reversed(shown)), "".join(shown)
                 if all(len(s) == 1 for s in shown) else ", ".join(shown)]
        return question, reference, rng.choice(forms)
    if r < 0.6:  # tuples: order inside always matters; the list of tuples is a set unless asked
        k = rng.randint(1, 4)
        dim = rng.choice([2, 2, 3])
        tuples = [tuple(rng.randint(-9, 20) for _ in range(dim)) for _ in range(k)]
        question = rng.choice(["Find all pairs $(m, n)$ of integers.", "Find all triples $(a, b, c)$.",
                               "Find the coordinates of the point.", "Compute $(a, b)$."])

        def show(ts):
            body = ", ".join("(" + ", ".join(str(v) for v in t) + ")" for t in ts)
            return body if rng.random() < 0.8 else "\\{" + body + "\\}"
        reference = show(tuples)
        shown = list(tuples)
        rng.shuffle(shown)
        if not positive:
            change = rng.random()
            i = rng.randrange(len(shown))
            if change < 0.35 and len(set(shown[i])) > 1:
                shown[i] = tuple(reversed(shown[i]))  # a swapped pair
            elif change < 0.55 and len(shown) > 1:
                shown.pop(i)  # a missing solution
            else:
                t = list(shown[i])
                j = rng.randrange(dim)
                t[j] = rng.choice([t[j] + 1, t[j] - 1, -t[j] if t[j] else 2])
                shown[i] = tuple(t)
        return question, reference, show(shown)
    values = rng.sample(range(-20, 50), rng.randint(2, 5))  # plain lists
    ordered = rng.random() < 0.5
    if ordered:
        question = rng.choice(["Compute $d(6)$, $d(16)$ and $d(72)$, in that order.",
                               "List the terms in order.", "Give the first four terms of the sequence.",
                               "Find the minimum and maximum values, in that order."])
    else:
        question = rng.choice(["Find all integers $n$ that satisfy the condition.",
                               "Enter all the solutions, separated by commas.", "Find all such numbers."])
    reference = ", ".join(str(v) for v in values)
    shown = list(values)
    if positive:
        if not ordered:
            rng.shuffle(shown)
    else:
        change = rng.random()
        if ordered and change < 0.5:
            while shown == values:
                rng.shuffle(shown)  # the same values in another order: wrong when the order was asked
        elif change < 0.75:
            i = rng.randrange(len(shown))
            shown[i] = _near_int(shown[i], rng)
        else:
            shown.pop() if len(shown) > 2 else shown.append(rng.randint(51, 60))
        if not ordered:
            rng.shuffle(shown)
    sep = rng.choice([", ", ",", "; ", " \\text{ and } "])
    return question, reference, sep.join(str(v) for v in shown)


GENERATORS: dict[str, Callable[[random.Random, bool], tuple[str, str, str]]] = {
    "number": number, "expression": expression, "equation": equation, "interval": interval,
    "solutions": solutions, "unit": unit, "text": text, "list": lists,
}
