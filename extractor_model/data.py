"""Seeded synthetic reasoning responses with labeled final-answer character spans.

Every example is a model-style reasoning response (100-3,000 characters) and the
character span ``[start, end)`` of its final answer, or no span (about 10% of
examples) when the response never states one.

Span convention (the model is trained to reproduce it exactly):

* The span is the minimal answer text: math delimiters and wrappers stay
  outside it: ``$...$``, ``\\(...\\)``, ``\\[...\\]``, ``$$...$$``,
  ``\\boxed{...}``, markdown ``**...**`` and a leading ``x =`` are not part
  of it; nor is the sentence's closing punctuation.
* What belongs to the value stays inside: a minus sign, a currency sign
  (``\\$18.90``, ``$18.90`` in plain text), ``%``/``\\%``, a measurement unit
  (``15 cm``, ``15\\text{ cm}``), a degree sign (``30^\\circ``, ``30°``), the
  brackets of a set, interval, tuple or matrix. Count nouns are not units:
  "she has 24 apples" -> ``24``.
* Multiple-choice answers are the letter alone: "(B)" -> ``B``.
* When the final answer is stated more than once (restated after a check),
  the span is its last statement. After a self-correction, the corrected value.

Splits (``make_split``):

* ``train`` / ``valid`` / ``heldout``: the SEEN phrasing templates and SEEN
  number ranges, with different seeds (so different values and combinations).
* ``unseen``: the UNSEEN phrasing templates (answer statements, reasoning
  steps, checks, corrections, remarks, openings and closings) and UNSEEN
  number ranges and words. The two template pools are disjoint lists defined
  side by side below; nothing in an UNSEEN list is used to make training data.

Answer spellings are shared by both pools (they are what the grading engine
normalizes); only the values differ.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import asdict, dataclass, replace
from typing import Callable, Iterator

# ---------------------------------------------------------------------------
# Example record


@dataclass(frozen=True)
class Example:
    text: str
    start: int | None  # None: the response states no final answer
    end: int | None
    kind: str  # answer kind ("int", "frac", ...) or "none"
    scenario: str  # how the answer section is laid out
    question: str | None = None  # the prompt the response answers (question-bearing examples only)

    @property
    def answer(self) -> str | None:
        if self.start is None:
            return None
        return self.text[self.start:self.end]

    def to_json(self) -> str:
        d = asdict(self)
        if d["question"] is None:  # records without a question stay as they were
            del d["question"]
        return json.dumps(d, ensure_ascii=False)


# ---------------------------------------------------------------------------
# Number ranges: SEEN for train/valid/heldout, UNSEEN for the unseen split.


@dataclass(frozen=True)
class Ranges:
    ints: tuple[tuple[int, int], ...]  # answer integer magnitudes
    dec_places: tuple[int, ...]  # decimal places of decimal answers
    denominators: tuple[int, int]
    sci_exponents: tuple[int, int]
    small: tuple[int, int]  # intermediate numbers in the reasoning
    words: tuple[str, ...]  # text answers
    names: tuple[str, ...]
    objects: tuple[str, ...]
    letters: str  # multiple-choice letters


SEEN_RANGES = Ranges(
    ints=((0, 999), (10_000, 999_999)),
    dec_places=(1, 2),
    denominators=(2, 40),
    sci_exponents=(2, 6),
    small=(1, 60),
    words=("Monday", "Tuesday", "Wednesday", "Thursday", "blue", "red", "yellow",
           "north", "east", "even", "odd", "yes", "no", "true", "false", "square",
           "triangle", "January", "March", "July", "prime", "Paris", "winter"),
    names=("Alice", "Bob", "Carlos", "Dana", "Emma", "Farid", "Grace", "Hiro"),
    objects=("apples", "marbles", "books", "coins", "pencils", "tickets", "cookies", "cars"),
    letters="ABCD",
)

UNSEEN_RANGES = Ranges(
    ints=((1_000, 9_999), (1_000_000, 99_999_999)),
    dec_places=(3, 4),
    denominators=(41, 199),
    sci_exponents=(7, 12),
    small=(61, 400),
    words=("Friday", "Saturday", "Sunday", "green", "purple", "orange", "south",
           "west", "composite", "hexagon", "circle", "April", "October", "Tokyo",
           "summer", "impossible", "undefined", "maybe"),
    names=("Ivan", "Julia", "Kofi", "Lena", "Mateo", "Nadia", "Omar", "Priya"),
    objects=("oranges", "stamps", "shells", "bottles", "candles", "badges", "kites", "bricks"),
    letters="ABCDE",
)

_UNSEEN_WORD_SET = frozenset(w.lower() for w in UNSEEN_RANGES.words + UNSEEN_RANGES.names)

UNITS = ("cm", "m", "km", "mm", "kg", "g", "s", "m/s", "km/h", "mph", "cm^2", "m^2",
         "cm^3", "L", "mL", "hours", "minutes", "seconds", "meters", "feet", "inches",
         "miles", "liters", "grams", "units", "square units", "cubic meters")
LATEX_UNITS = (r"\text{ cm}", r"\text{ m}", r"\text{ km}", r"\text{ kg}", r"\text{ cm}^2",
               r"\text{ m}^2", r"\text{ m/s}", r"\,\text{cm}", r"\ \text{hours}", r"\text{ units}",
               r"\, \mathrm{kg}", r"\text{ square units}", r"\text{ inches}")


# ---------------------------------------------------------------------------
# Answer spellings. Each returns (surface, modes, category) where modes is
# "plain" (only outside math), "math" (only inside math) or "both".


@dataclass(frozen=True)
class Answer:
    surface: str
    modes: str  # "plain" | "math" | "both"
    category: str  # "num" | "text" | "mc" | "coll"
    kind: str


def _int_value(rng: random.Random, R: Ranges) -> int:
    lo, hi = rng.choice(R.ints)
    return rng.randint(lo, hi)


def _fmt_int(rng: random.Random, v: int, math_ok: bool = True) -> tuple[str, str]:
    """Integer spelling: plain digits or thousands separators."""
    s = str(abs(v))
    sign = "-" if v < 0 else ""
    if abs(v) >= 1000 and rng.random() < 0.6:
        groups = f"{abs(v):,}"
        style = rng.random()
        if style < 0.6:
            return sign + groups, "both"
        if style < 0.85 and math_ok:
            return sign + groups.replace(",", "{,}"), "math"
        if math_ok:
            return sign + groups.replace(",", r"\,"), "math"
        return sign + groups, "both"
    return sign + s, "both"


def ans_int(rng, R):
    s, modes = _fmt_int(rng, _int_value(rng, R))
    return Answer(s, modes, "num", "int")


def ans_negative(rng, R):
    v = -_int_value(rng, R) if rng.random() < 0.6 else -rng.randint(1, 99)
    s, modes = _fmt_int(rng, v)
    if rng.random() < 0.12 and modes != "math":
        return Answer("\u2212" + s[1:], "plain", "num", "negative")
    return Answer(s, modes, "num", "negative")


def _decimal(rng, R) -> str:
    places = rng.choice(R.dec_places)
    whole = rng.choice([0, 0, rng.randint(1, 99), rng.randint(100, 9999)])
    frac = rng.randint(1, 10 ** places - 1)
    s = f"{whole}.{frac:0{places}d}"
    if whole == 0 and rng.random() < 0.35:
        s = s[1:]  # .05
    return s


def ans_decimal(rng, R):
    s = _decimal(rng, R)
    if rng.random() < 0.2:
        s = "-" + s
    return Answer(s, "both", "num", "decimal")


def _frac_parts(rng, R) -> tuple[int, int]:
    d = rng.randint(*R.denominators)
    n = rng.randint(1, max(1, d - 1))
    g = math.gcd(n, d)
    n, d = n // g, d // g
    if d == 1:
        d = rng.randint(*R.denominators)
    return n, d


def ans_fraction(rng, R):
    n, d = _frac_parts(rng, R)
    neg = "-" if rng.random() < 0.15 else ""
    r = rng.random()
    if r < 0.3:
        return Answer(f"{neg}{n}/{d}", "both", "num", "frac")
    cmd = rng.choice([r"\frac", r"\frac", r"\dfrac", r"\tfrac"])
    if r < 0.38 and neg:
        return Answer(f"{cmd}{{-{n}}}{{{d}}}", "math", "num", "frac")
    return Answer(f"{neg}{cmd}{{{n}}}{{{d}}}", "math", "num", "frac")


def ans_mixed(rng, R):
    w = rng.randint(1, 30)
    n, d = _frac_parts(rng, R)
    if rng.random() < 0.45:
        return Answer(f"{w} {n}/{d}", "plain", "num", "mixed")
    cmd = rng.choice([r"\frac", r"\tfrac", r"\dfrac"])
    sep = rng.choice(["", " ", r"\,"])
    return Answer(f"{w}{sep}{cmd}{{{n}}}{{{d}}}", "math", "num", "mixed")


def ans_sci(rng, R):
    mant = rng.choice([str(rng.randint(1, 9)), f"{rng.randint(1, 9)}.{rng.randint(1, 99)}"])
    e = rng.randint(*R.sci_exponents) * rng.choice([1, -1])
    r = rng.random()
    if r < 0.25:
        es = f"{e:+03d}" if rng.random() < 0.5 else str(e)
        return Answer(f"{mant}{rng.choice('Ee')}{es}", "both", "num", "sci")
    if r < 0.45:
        return Answer(f"{mant} x 10^{e}" if rng.random() < 0.5 else f"{mant} × 10^{e}", "plain", "num", "sci")
    if r < 0.55:
        return Answer(f"{mant}*10^{e}", "plain", "num", "sci")
    op = rng.choice([r"\times", r"\times", r"\cdot"])
    sp = rng.choice([" ", ""])
    return Answer(f"{mant}{sp}{op}{sp}10^{{{e}}}", "math", "num", "sci")


def ans_percent(rng, R):
    v = rng.choice([str(rng.randint(1, 100)), _decimal(rng, R).lstrip(".")])
    if v.startswith("."):
        v = "0" + v
    if rng.random() < 0.5:
        return Answer(v + "%", "plain", "num", "percent")
    return Answer(v + r"\%", "math", "num", "percent")


def ans_currency(rng, R):
    v = rng.choice([f"{rng.randint(1, 999)}.{rng.randint(0, 99):02d}", str(_int_value(rng, R))])
    r = rng.random()
    if r < 0.45:
        return Answer(r"\$" + v, "math", "num", "currency")
    if r < 0.8:
        return Answer("$" + v, "plain", "num", "currency")
    if r < 0.9:
        return Answer("€" + v, "plain", "num", "currency")
    return Answer(v + " dollars", "plain", "num", "currency")


def ans_unit(rng, R):
    v = rng.choice([str(rng.randint(1, 999)), _decimal(rng, R).lstrip("."), str(_int_value(rng, R))])
    if rng.random() < 0.55:
        return Answer(f"{v} {rng.choice(UNITS)}", "plain", "num", "unit")
    return Answer(f"{v}{rng.choice(LATEX_UNITS)}", "math", "num", "unit")


def ans_degree(rng, R):
    v = str(rng.randint(1, 359))
    r = rng.random()
    if r < 0.35:
        return Answer(v + rng.choice([r"^\circ", r"^{\circ}"]), "math", "num", "degree")
    if r < 0.7:
        return Answer(v + "°", "both", "num", "degree")
    return Answer(v + " degrees", "plain", "num", "degree")


def ans_expr(rng, R):
    a = rng.randint(2, 12)
    b = rng.randint(2, 12)
    c = rng.randint(1, 20)
    forms = [
        (f"{a}\\sqrt{{{b}}}", "math"),
        (f"\\frac{{\\pi}}{{{a}}}", "math"),
        (f"\\frac{{{a}\\pi}}{{{b}}}", "math"),
        (f"x^2+{c}", "both"),
        (f"x^{a} - {c}x + {b}", "both"),
        (f"{a}x - {c}", "both"),
        (f"\\frac{{\\sqrt{{{b}}}}}{{{a}}}", "math"),
        (f"{a}\\pi", "math"),
        (f"{a}^{{{b}}}", "math"),
        (f"\\sqrt[{rng.randint(3, 5)}]{{{c}}}", "math"),
        (f"e^{{{a}}}", "math"),
        (f"\\ln {a}", "math"),
        (f"\\log_{{{a}}} {b}", "math"),
        (f"\\binom{{{a + b}}}{{{a}}}", "math"),
        (f"{a} + {b}\\sqrt{{{c}}}", "math"),
        (f"\\frac{{{a}}}{{x+{c}}}", "math"),
        (f"(x-{a})(x+{b})", "both"),
        (f"{a}+{b}i", "both"),
        (f"\\sqrt{{{c}}}", "math"),
        (f"{a}√{b}", "plain"),
        (f"sqrt({c})", "plain"),
        (f"{a}n^2 + {b}", "both"),
    ]
    s, modes = rng.choice(forms)
    return Answer(s, modes, "num", "expr")


def _sn(rng, R) -> str:
    v = rng.randint(-20, 40) if rng.random() < 0.8 else rng.randint(*R.small)
    return str(v)


def ans_set(rng, R):
    k = rng.randint(1, 4)
    items = sorted({int(_sn(rng, R)) for _ in range(k)})
    body = ", ".join(str(i) for i in items)
    if rng.random() < 0.6:
        return Answer(r"\{" + body + r"\}", "math", "coll", "set")
    return Answer("{" + body + "}", "plain", "coll", "set")


def ans_interval(rng, R):
    a = int(_sn(rng, R))
    b = a + rng.randint(1, 30)
    lo = rng.choice(["[", "("])
    hi = rng.choice(["]", ")"])
    sa, sb = str(a), str(b)
    r = rng.random()
    if r < 0.2:
        return Answer(f"(-\\infty, {sb}{hi}", "math", "coll", "interval")
    if r < 0.35:
        return Answer(f"{lo}{sa}, \\infty)", "math", "coll", "interval")
    return Answer(f"{lo}{sa}, {sb}{hi}", "both", "coll", "interval")


def ans_tuple(rng, R):
    k = rng.choice([2, 2, 2, 3])
    body = ", ".join(_sn(rng, R) for _ in range(k))
    if rng.random() < 0.15:
        body = body.replace(", ", ",")
    return Answer(f"({body})", "both", "coll", "tuple")


def ans_matrix(rng, R):
    env = rng.choice(["pmatrix", "pmatrix", "bmatrix"])
    rows, cols = rng.choice([(2, 2), (2, 2), (2, 1), (3, 1), (3, 3), (1, 3)])
    sep = rng.choice([r"\\", r" \\ "])
    body = sep.join(" & ".join(_sn(rng, R) for _ in range(cols)) for _ in range(rows))
    if rng.random() < 0.3:
        body = body.replace(" & ", "&")
    return Answer(f"\\begin{{{env}}}{body}\\end{{{env}}}", "math", "coll", "matrix")


def ans_text(rng, R):
    w = rng.choice(R.words + R.names)
    if R is SEEN_RANGES and rng.random() < PSEUDO_TEXT_ANSWERS:
        # any word may be the answer, not only known ones: made-up words of the
        # filler's syllables, and English-looking ones (real words look like those)
        made_up = pseudo_word if rng.random() < 0.5 else word_like
        w = made_up(rng, capital=rng.random() < 0.5)
    if rng.random() < 0.15:
        return Answer(f"\\text{{{w}}}", "math", "text", "text")
    return Answer(w, "plain", "text", "text")


def ans_mc(rng, R):
    return Answer(rng.choice(R.letters), "plain", "mc", "mc")


ANSWER_KINDS: list[tuple[Callable[[random.Random, Ranges], Answer], float]] = [
    (ans_int, 0.18), (ans_negative, 0.06), (ans_decimal, 0.07), (ans_fraction, 0.10),
    (ans_mixed, 0.03), (ans_sci, 0.05), (ans_percent, 0.04), (ans_currency, 0.05),
    (ans_unit, 0.06), (ans_degree, 0.03), (ans_expr, 0.09), (ans_set, 0.03),
    (ans_interval, 0.03), (ans_tuple, 0.04), (ans_matrix, 0.03), (ans_text, 0.05),
    (ans_mc, 0.06),
]


def random_answer(rng: random.Random, R: Ranges, kind_fn=None) -> Answer:
    if kind_fn is None:
        fns, ws = zip(*ANSWER_KINDS)
        kind_fn = rng.choices(fns, weights=ws)[0]
    return kind_fn(rng, R)


# ---------------------------------------------------------------------------
# Phrasing pools. <A> is the answer slot, <V> a subject phrase, <EQ> a short
# equation, numbers are <a> <b> <c> <d> <ab> <k>, <obj> an object noun.


@dataclass(frozen=True)
class Phrasing:
    statements: tuple[str, ...]  # state the final answer
    eq_statements: tuple[str, ...]  # "<VA>" is rendered "var = answer" (same math mode)
    corrected: tuple[str, ...]  # statements after a self-correction
    tentative: tuple[str, ...]  # the first (wrong) statement before a correction
    mc_statements: tuple[str, ...]
    text_statements: tuple[str, ...]
    steps: tuple[str, ...]
    checks: tuple[str, ...]
    corrections: tuple[str, ...]
    remarks: tuple[str, ...]  # distractor numbers after the answer
    restates: tuple[str, ...]  # restate the answer after the checks
    openings: tuple[str, ...]
    closings: tuple[str, ...]
    giveups: tuple[str, ...]  # endings with no answer
    headers: tuple[str, ...]


SEEN = Phrasing(
    statements=(
        "So the answer is <A>.", "Therefore, the answer is <A>.", "The answer is <A>.",
        "Final answer: <A>", "**Answer:** <A>", "**Final Answer:** <A>", "## Final Answer\n\n<A>",
        "Thus we get <A>.", "So we get <A>.", "Therefore <V> equals <A>.", "Therefore, <V> is <A>.",
        "<EQ>, which gives <A>.", "The result is <A>.", "La respuesta es <A>.", "Die Antwort ist <A>.",
        "答案是 <A>。", "答案是<A>。", "Answer: <A>", "Thus, the final answer is <A>.",
        "That gives us <A>.", "So <V> must be <A>.", "The final answer is <A>.",
        "Putting everything together, <V> is <A>.", "Therefore the required value is <A>.",
        "Respuesta final: <A>", "Ergebnis: <A>", "最终答案：<A>", "So, <V> is <A>.",
        "**Final answer**\n<A>", "The answer: <A>", "Hence the answer is <A>.",
        "Therefore, <V> = <A>.", "Simplifying, we get <A>.", "This gives <A>.",
        "So the final result is <A>.", "Finally, <V> is <A>.", "Entonces, <V> es <A>.",
        "Also ist <V> gleich <A>.", "所以答案是 <A>。",
    ),
    eq_statements=(
        "So <VA>.", "Therefore <VA>.", "Hence <VA>.", "We conclude that <VA>.", "Solving, <VA>.",
        "<VA>", "Thus <VA>.", "This gives <VA>.", "So we get <VA>.", "The solution is <VA>.",
    ),
    corrected=(
        "so it is <A>.", "So the correct answer is <A>.", "The corrected answer is <A>.",
        "So the answer is actually <A>.", "Now we get <A>.", "So it should be <A>.",
    ),
    tentative=(
        "So the answer is <A>.", "That gives <A>.", "So <V> is <A>.", "The answer is <A>.",
        "Thus we get <A>.", "So we get <A>.",
    ),
    mc_statements=(
        "The answer is (<A>).", "The correct choice is (<A>).", "So the answer is <A>.",
        "**Answer: (<A>)**", "Answer: <A>", "Therefore the correct option is <A>.",
        "The answer is **<A>**.", "So we choose (<A>).", "Final answer: (<A>)",
        "The answer is (<A>) <X>.", "La respuesta es (<A>).", "答案是 <A>。",
        "Therefore, the answer is option <A>.", "So the correct answer is <A>) <X>.",
    ),
    text_statements=(
        "So the answer is <A>.", "The answer is <A>.", "Therefore, <V> is <A>.",
        "Final answer: <A>", "**Answer:** <A>", "So it must be <A>.", "La respuesta es <A>.",
        "Die Antwort ist <A>.", "The final answer is **<A>**.", "Thus the answer is <A>.",
        "答案是<A>。",
    ),
    steps=(
        "First, we compute <a> + <b> = <a+b>.",
        "Multiplying, we get $<a> \\times <b> = <ab>$.",
        "Let $n$ be the number of <obj>. Then $<a>n = <ab>$, so $n = <b>$.",
        "There are <a> <obj> in each box and <b> boxes.",
        "Subtracting <a> from both sides gives $<b>x = <ab>$.",
        "The discriminant is $<a>^2 - 4 \\cdot <b> \\cdot <c> = <disc>$.",
        "Step <k>: divide <ab> by <a> to get <b>.",
        "An intermediate value is <val>.",
        "From the first equation, $y = <a>x + <b>$.",
        "Since the ratio is <a>:<b>, we scale accordingly.",
        "The area of the rectangle is <a> \\cdot <b> = <ab>.",
        "We can write this as $\\frac{<a>}{<b>}$.",
        "- Item <k>: <a> units",
        "So far we have <val>.",
        "Let's set up the equation: <a>x + <b> = <c>.",
        "Then <a> - <b> = <a-b>.",
        "We know that <name> has <a> <obj> and gives away <b> of them.",
        "Using the formula, $s = \\frac{d}{t} = \\frac{<ab>}{<a>} = <b>$.",
        "The probability of one event is $\\frac{1}{<a>}$.",
        "Adding the two equations: $<a>x = <c>$.",
        "1. Compute <a> × <b> = <ab>.",
        "2. Then add <c> to obtain <ab+c>.",
        "Hmm, let me think about this differently.",
        "Now, <ab> / <b> = <a>.",
        "We need to be careful with the signs here.",
        "Note that $<a>^2 = <a2>$.",
        "This means each of the <b> groups has <a> <obj>.",
        "Converting <a>% to a decimal gives <a/100>.",
        "If we let $x = <a>$, then $2x = <2a>$.",
        "By the Pythagorean theorem, $c^2 = <a>^2 + <b>^2 = <a2+b2>$.",
        "The sum of the first <a> terms is <sum>.",
        "So <name> spent \\$<a> on <obj>.",
        "In total there are <a+b> <obj>.",
        "Let me reconsider the setup.",
    ),
    checks=(
        "Check: <a> \\cdot <b> + <c> = <ab+c>.",
        "Check: $<a> \\cdot <b> + <c> = <ab+c>$ ✓",
        "Let's verify: plugging in, <a> + <b> = <a+b>, which matches.",
        "Verification: <a> × <b> = <ab>. Correct.",
        "Double-checking: <ab> / <a> = <b>. Good.",
        "Substituting back: <a>(<b>) - <c> = <ab-c>, as required.",
        "Let me verify this. <a> + <b> + <c> = <a+b+c>. Yes.",
        "We can check by substitution: $<a> \\cdot <b> = <ab>$.",
        "Check: <ab> - <c> = <ab-c> ✓",
        "Verify: 2·<a> + <c> = <2a+c>.",
    ),
    corrections=(
        "Wait, I made an error.", "Wait, I made an error in step <k>: it should be <a>, not <b>.",
        "Hmm, that's not right. Let me recompute.", "Actually, I mis-added: <a> + <b> = <a+b>, not <c>.",
        "Oops, I forgot to carry the <k>.", "Wait, let me double check that. I think I made a mistake.",
        "Wait, that can't be right.",
    ),
    remarks=(
        "Note that this took <k> steps.", "If instead there were <a> <obj>, the answer would be <b>.",
        "(For reference, we used <a> in step <k>.)", "The other root, <neg>, is rejected since it is negative.",
        "That's approximately <approx>.", "Note: <a> and <b> were only intermediate values.",
        "This is <k> more than in the previous part.",
    ),
    restates=(
        "So the answer is <A>.", "**Final Answer:** <A>", "Therefore, the final answer is <A>.",
        "The answer is confirmed: <A>.", "Final answer: <A>",
    ),
    openings=(
        "Let's solve this step by step.", "To solve this problem, we need to find <V>.",
        "We are given that <a> <obj> cost <b> dollars.", "Let's think step by step.",
        "## Solution", "We want to find <V>.", "First, let's understand the problem.",
    ),
    closings=("I hope this helps!", "Let me know if you have any questions.", "😊", "Hope that helps."),
    giveups=(
        "I'm not sure how to proceed from here.", "I cannot determine the answer without more information.",
        "Could you clarify what <V> refers to?", "I need more information to finish this.",
        "Let me continue this later.", "The problem as stated seems inconsistent.",
    ),
    headers=("### Step <k>", "**Step <k>:**", "## Approach", "**Calculation:**"),
)

UNSEEN = Phrasing(
    statements=(
        "The final result comes out to <A>.", "Our answer: <A>", "In conclusion, <V> is <A>.",
        "Consequently, the value we want is <A>.", "I get <A> as the final value.", "=> <A>",
        "La réponse est <A>.", "A resposta é <A>.", "La risposta è <A>.", "Het antwoord is <A>.",
        "答えは<A>です。", "So, the solution is <A>.", "That makes <A> the answer.",
        "<A> is the answer.", "Result: <A>", "The required quantity is therefore <A>.",
        "All in all, <V> comes to <A>.", "Bottom line: <A>", "**Result:** <A>",
        "### Conclusion\n\n<V> is <A>.", "Altogether, we obtain <A>.", "<EQ>, leading to <A>.",
        "Hence, we have <A> as our answer.", "So the value of <V> turns out to be <A>.",
        "Svaret är <A>.", "Odpowiedź: <A>",
    ),
    eq_statements=(
        "Accordingly <VA>.", "It follows that <VA>.", "Therefore we find <VA>.", "Which leaves <VA>.",
        "⇒ <VA>", "We end up with <VA>.",
    ),
    corrected=(
        "meaning it's actually <A>.", "the right value is <A>.", "So the fixed result is <A>.",
        "With that fixed, I now get <A>.",
    ),
    tentative=("I get <A> as the final value.", "That would make it <A>.", "So, the solution is <A>."),
    mc_statements=(
        "I'd go with (<A>).", "The best option is <A>.", "Option <A> is correct.",
        "**Choice <A>**", "The right choice: (<A>) <X>.", "La réponse est (<A>).", "Selecting <A>.",
    ),
    text_statements=(
        "In conclusion, <V> is <A>.", "Our answer: <A>", "<A> is the answer.", "That makes it <A>.",
        "La réponse est <A>.", "Bottom line: <A>",
    ),
    steps=(
        "Adding up the parts, <a> plus <b> makes <a+b>.",
        "Observe that $<a> \\cdot <b> = <ab>$, which will be useful.",
        "Denote by $m$ the count of <obj>; then $m = <a>$.",
        "Recall the formula $A = \\pi r^2$ with $r = <a>$.",
        "Taking the product gives <ab>.",
        "Now consider the case where <a> exceeds <b>.",
        "Next, divide through by <a>.",
        "A quick estimate suggests something near <val>.",
        "* Part <k>: we obtain <a>.",
        "Splitting <ab> into <b> equal groups leaves <a> per group.",
        "The difference between <a> and <b> is <a-b>.",
        "Squaring, $(<a>)^2$ equals <a2>.",
        "Suppose <name> buys <a> <obj> at <b> each.",
        "We rearrange to isolate the unknown: $<b>y = <ab>$.",
        "Doubling <a> yields <2a>.",
        "Hmm, this part is subtle.",
        "Write the total as <a> + <b> + <c> = <a+b+c>.",
    ),
    checks=(
        "Sanity check: <a> times <b> is <ab>.", "Plugging in gives <a> + <b> = <a+b> as expected.",
        "To confirm, <ab> ÷ <b> = <a>.", "Quick check — <a> - <b> = <a-b>. ✔",
        "Confirming with the original numbers: $<a> \\times <b> = <ab>$.",
    ),
    corrections=(
        "Hold on — there's a mistake above.", "No wait, that's wrong; I dropped a sign.",
        "Let me reconsider: step <k> used <a> instead of <b>.", "Correction: the earlier value was off.",
    ),
    remarks=(
        "Interestingly, <a> is also a prime number.", "For comparison, the previous problem gave <a>.",
        "Had we used <a> instead, we'd have gotten <b>.", "(Roughly <approx> in decimal form.)",
        "Side note: the discarded candidate was <neg>.",
    ),
    restates=("Bottom line: <A>", "So once more, the result is <A>.", "Our answer: <A>"),
    openings=("Alright, let me work through this.", "Okay, so the question asks for <V>.",
              "Here is my reasoning.", "# Working"),
    closings=("Feel free to ask if anything is unclear.", "Thanks for the fun problem!", "Cheers."),
    giveups=("This problem seems to be missing some data.", "Unfortunately I can't finish this computation.",
             "I'm stuck at this point.", "Without the diagram I can't go further."),
    headers=("#### Part <k>", "__Stage <k>__", "Phase <k>:"),
)

# Combinatorial SEEN phrasings: many more statement, check and remark shapes
# than the fixed lists, so that the model learns the structure (a value
# concluded at the end of a clause, followed by checks and remarks) rather
# than a few dozen strings. Their words avoid the UNSEEN templates' wording
# ("result", "solution", "obtain", "comes to", "bottom line", "confirm", ...);
# a combination that equals an UNSEEN template is never produced.
_LEADS = ("So", "Thus", "Hence", "Therefore", "Finally", "Overall", "Clearly", "As a result", "This means",
          "Now", "Then", "In total", "Putting it together", "At the end", "From this", "Given all that",
          "Combining everything", "After simplifying", "Ultimately", "Summing up", "In the end", "To sum up",
          "With this", "That is", "In short", "Evidently", "Put simply", "Wrapping up", "At last",
          "Everything considered", "Taken together", "Once simplified", "After all that", "Last of all")
_SUBJ = ("the answer", "the final answer", "<V>", "the total", "the number we need", "the quantity asked for",
         "the answer to the question", "the final number", "the correct answer", "the required <V2>",
         "the <V2> we want", "the sought <V2>", "what we were asked for", "the requested <V2>", "our <V2>",
         "the unknown", "the final <V2>", "the value asked for")
_VERBS = ("is", "equals", "=", "is equal to", "must be", "should be", "will be", "is exactly", "works out to be",
          "has to be", "is simply", "becomes", "amounts to", "totals", "is given by", "reduces to", "gives",
          "is precisely", "is found to be", "stands at", "evaluates to", "is determined to be")
_LABELS = ("Answer", "Final answer", "Final Answer", "ANSWER", "Ans.", "Final", "The answer", "Answer (final)")
_CHECK_LEADS = ("Check", "Verify", "Verification", "Double-check", "Let's check", "Checking", "Check again",
                "Let me check", "Verifying", "Test", "Cross-check", "Re-check", "Back-substitution", "Proof",
                "Let's make sure", "Testing it", "Validation", "Recheck", "Checking the work")
_CHECK_EQS = ("<a> + <b> = <a+b>", "<a> × <b> = <ab>", "<a>(<b>) = <ab>", "$<a> \\cdot <b> = <ab>$",
              "<ab> / <b> = <a>", "<a> - <b> = <a-b>", "2 · <a> + <c> = <2a+c>", "$<ab> - <c> = <ab-c>$",
              "<a>·<b> + <c> = <ab+c>")
_CHECK_TAILS = ("", " ✓", ", correct.", ". Good.", ", which matches.", ", as required.", ". Yes.", " (ok)",
                ", consistent.", " — fine.")
_REMARKS = ("Note that <a> was only an intermediate value.", "We did not need the value <a>.",
            "If the count were <a> instead, the answer would change to <b>.", "(Step <k> used <a>.)",
            "This is about <approx>.", "The extra value <neg> is dropped.", "Earlier we had <a>, which is not final.",
            "There were <k> steps in total.", "Without the discount it would be <a>.",
            "A common mistake gives <b> instead.")


_MC_SUBJ = ("the correct option", "the answer", "the correct letter", "the choice that fits", "the matching option",
            "the letter we want", "our choice", "the option that works", "the letter to mark")
_MC_FORMS = ("I choose <A>", "We pick <A>", "Pick <A>", "Choose <A>", "My pick: <A>", "Letter: <A>",
             "That is option <A>", "This matches option <A>", "It must be option <A>", "Mark <A>", "Only <A> fits",
             "<A> matches the value we computed", "So I'd mark <A>", "Hence option <A>", "The letter is <A>")


def _combo_mc_statement(rng: random.Random) -> str:
    end = rng.choice([".", ".", "", "!", ".\n"])
    if rng.random() < 0.5:
        return f"{rng.choice(_LEADS)}{rng.choice([', ', ' '])}{rng.choice(_MC_SUBJ)} {rng.choice(_VERBS)} <A>{end}"
    return rng.choice(_MC_FORMS) + end


def _combo_statement(rng: random.Random) -> str:
    r = rng.random()
    end = rng.choice([".", ".", ".", "", "!", ".\n"])
    if r < 0.55:
        lead = rng.choice(_LEADS)
        sep = rng.choice([", ", " ", ", "])
        return f"{lead}{sep}{rng.choice(_SUBJ)} {rng.choice(_VERBS)} <A>{end}"
    if r < 0.75:
        label = rng.choice(_LABELS)
        form = rng.choice(["{L}: <A>", "**{L}:** <A>", "**{L}**: <A>", "### {L}\n<A>", "{L} - <A>", "{L}:\n<A>"])
        return form.replace("{L}", label)
    if r < 0.9:
        return rng.choice(["We find <V> = <A>", "we find that <V> is <A>", "which means <V> is <A>",
                           "and so <V> is <A>", "giving <A>", "so <V> ends up being <A>", "i.e. <A>",
                           "<A> is what we were asked for", "<A> is the value of <V>", "we arrive at <A>",
                           "we have <V> = <A>", "we land on <A>", "the value is therefore <A>",
                           "this yields <A> for <V>", "<V>, then, is <A>", "making <V> equal to <A>"]) + end
    return f"{rng.choice(_SUBJ).capitalize()} {rng.choice(_VERBS)} <A>{end}"


def _combo_check(rng: random.Random) -> str:
    return f"{rng.choice(_CHECK_LEADS)}: {rng.choice(_CHECK_EQS)}{rng.choice(_CHECK_TAILS)}"


# Wildcard phrasings: statements and checks whose words are made-up pseudo-words.
# A model trained only on real marker words fires on those words; with a share
# of made-up ones it must also use the structure: a value concluded after the
# reasoning, then checks that recompute something with "=".
_SYLLABLES = ("ka", "lo", "mi", "ter", "vos", "pra", "en", "dul", "ri", "sa", "bo", "nek", "ta", "gim",
              "ul", "fe", "ron", "zi", "pa", "hul", "de", "mor", "ti", "an")


def pseudo_word(rng: random.Random, capital: bool = False) -> str:
    w = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 3)))
    return w.capitalize() if capital else w


_ONSETS = ("b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "y", "z", "br",
           "ch", "cl", "cr", "dr", "fl", "gr", "pl", "pr", "sh", "sl", "sp", "st", "th", "tr", "wh", "")
_VOWELS = ("a", "e", "i", "o", "u", "a", "e", "i", "o", "ea", "ai", "ou", "ee", "oo", "y")
_CODAS = ("", "", "n", "r", "s", "t", "l", "m", "nd", "st", "rt", "ng", "ck", "th", "sh", "x")


def word_like(rng: random.Random, capital: bool = False) -> str:
    """A made-up word spelled like English ("bruteam", "Shoving"), never an UNSEEN answer word."""
    while True:
        w = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(rng.randint(1, 3))) + rng.choice(_CODAS)
        if len(w) >= 3 and w not in _UNSEEN_WORD_SET:
            return w.capitalize() if capital else w


def _pseudo_phrase(rng: random.Random, n_max: int = 3) -> str:
    words = [pseudo_word(rng) for _ in range(rng.randint(1, n_max))]
    words[0] = words[0].capitalize()
    return " ".join(words)


def _wild_statement(rng: random.Random) -> str:
    r = rng.random()
    end = rng.choice([".", ".", "", "!", ".\n"])
    if r < 0.4:
        form = rng.choice(["{P}: <A>", "**{P}:** <A>", "{P}:\n<A>", "### {P}\n<A>", "{P} — <A>"])
        return form.replace("{P}", _pseudo_phrase(rng))
    if r < 0.75:
        return f"{_pseudo_phrase(rng)}, {rng.choice(_SUBJ)} {pseudo_word(rng)} <A>{end}"
    if r < 0.9:
        return f"{_pseudo_phrase(rng, 4)} <A>{end}"
    return f"<A> {pseudo_word(rng)} {rng.choice(_SUBJ)}{end}"


def _wild_check(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"{_pseudo_phrase(rng)}: {rng.choice(_CHECK_EQS)}{rng.choice(_CHECK_TAILS)}"
    w = pseudo_word(rng)
    return f"{_pseudo_phrase(rng)}: <a> {w} <b> {pseudo_word(rng)} <ab>{rng.choice(_CHECK_TAILS) or '.'}"


# Combinatorial SEEN reasoning steps, give-ups, remarks and closings: the fixed
# lists hold a few dozen sentences, so a model learns them by heart and reads any
# other sentence as noise. Built from fragments; none holds UNSEEN wording
# (_check_partition checks the fragments against _UNSEEN_WORDING).
_STEP_LEADS = ("", "Now ", "Next, ", "Then ", "First, ", "After that, ", "Here ", "Also, ", "Meanwhile, ",
               "In this case ", "For the second part, ", "Similarly, ")
_STEP_BODIES = (
    "we add <a> and <b> to get <a+b>.", "multiplying <a> by <b> gives <ab>.", "<a> times <b> makes <ab>.",
    "we subtract <b> from <a>, which is <a-b>.", "the ratio <ab>/<a> is <b>.", "dividing <ab> by <b> yields <a>.",
    "the number of <obj> is <a>.", "<name> has <a> <obj> left.", "each group holds <b> <obj>.",
    "the width is <a> and the height is <b>.", "we need the value of <V>.", "the next term is <c>.",
    "plug in $x = <a>$.", "the expression becomes $<a>x - <b>$.", "the coefficient of $x$ is <a>.",
    "we simplify the fraction $\\frac{<ab>}{<b>}$.", "the square of <a> is <a2>.", "the sum so far is <a+b+c>.",
    "half of <2a> is <a>.", "the remaining amount is \\$<a>.", "the slope equals <a>/<b>.",
    "we try <a> and it fails.", "the counts are <a>, <b> and <c>.", "$<a> + <b> + <c> = <a+b+c>$.",
    "this leaves <b> choices for the second slot.", "the rate is <a> per hour.",
    "the constraint gives $y \\le <a>$.", "I'll compute <a> · <b> = <ab>.", "we know $<a>^2 = <a2>$.",
)
_GIVEUP_SUBJ = ("I", "I honestly", "Sadly, I", "At the moment I", "Right now I", "I'm afraid I")
_GIVEUP_VERBS = ("cannot", "can not", "am unable to", "don't know how to", "won't be able to", "do not see how to",
                 "could not")
_GIVEUP_OBJS = ("solve this", "complete the problem", "determine <V>", "compute the value", "work out <V>",
                "answer this question", "get a definite value", "pin down <V>", "resolve the last step")
_GIVEUP_LACKS = ("The problem does not give", "The statement does not include", "We are not told",
                 "Nothing in the question gives", "The data here do not include", "Sadly the question leaves out")
_GIVEUP_WHAT = ("enough information", "the value of <V>", "the needed values", "the last measurement", "the rate",
                "the second condition", "all the numbers")
_GIVEUP_ENDS = (", so I cannot conclude.", ", so no final value is possible.", "; I will stop here.",
                ", so this cannot be decided.", ".", ", so the question has no single value.")
_GIVEUP_TAILS = (".", " with the information given.", " from what is given.", " without more details.",
                 " right now.", " without knowing <V>.", " — the problem is underspecified.", " yet.")
_REMARK_LEADS = ("Note", "Remark", "Aside", "By the way", "Incidentally", "FYI", "PS", "Also note",
                 "As an aside", "One more thing")
_REMARK_BODIES = ("the unused value was <a>", "an earlier estimate was <approx>", "the other root <neg> is rejected",
                  "the intermediate total was <ab>", "a wrong guess would give <b>", "step <k> produced <a>",
                  "with <a> <obj> it would be <b>", "the rejected value is <neg>", "this is about <approx>",
                  "the first attempt gave <b>", "in decimals that is about <approx>", "<a> was only a helper value")
_CLOSINGS = ("Good luck!", "Hope this is clear.", "Let me know if anything else comes up.", "Happy studying!",
             "That's it.", "Done.", "Glad to help.", "Any questions, just ask.", "🙂", "Enjoy!", "Thanks for asking!",
             "Have a great day.", "Best of luck with the rest!", "Hope you find this useful.",
             "Let me know if you need more steps.", "See you next time!", "All the best.", "Good question, by the way.")


def _combo_step(rng: random.Random) -> str:
    body = rng.choice(_STEP_BODIES)
    lead = rng.choice(_STEP_LEADS)
    return lead + (body[0].upper() + body[1:] if not lead else body)


def _combo_giveup(rng: random.Random) -> str:
    if rng.random() < 0.4:
        return f"{rng.choice(_GIVEUP_LACKS)} {rng.choice(_GIVEUP_WHAT)}{rng.choice(_GIVEUP_ENDS)}"
    return f"{rng.choice(_GIVEUP_SUBJ)} {rng.choice(_GIVEUP_VERBS)} {rng.choice(_GIVEUP_OBJS)}{rng.choice(_GIVEUP_TAILS)}"


def _combo_remark(rng: random.Random) -> str:
    body = rng.choice(_REMARK_BODIES)
    form = rng.choice(["{L}: {B}.", "({L}: {B}.)", "{L}, {B}.", "({B}.)"])
    return form.replace("{L}", rng.choice(_REMARK_LEADS)).replace("{B}", body)


_COMBO_FRAGMENTS = (_LEADS + _VERBS + _SUBJ + _LABELS + _CHECK_LEADS + _CHECK_TAILS + _REMARKS + _STEP_LEADS + _STEP_BODIES + _GIVEUP_SUBJ + _GIVEUP_VERBS + _GIVEUP_OBJS + _GIVEUP_TAILS
                    + _REMARK_LEADS + _REMARK_BODIES + _CLOSINGS + _MC_SUBJ + _MC_FORMS + _GIVEUP_LACKS
                    + _GIVEUP_WHAT + _GIVEUP_ENDS)
# Distinctive wording of the UNSEEN pools that SEEN text must never contain.
_UNSEEN_WORDING = ("comes out to", "our answer", "in conclusion", "consequently", "as the final value",
                   "the solution is", "that makes", "is the answer", "result:", "required quantity", "all in all",
                   "bottom line", "conclusion", "altogether", "leading to", "turns out", "accordingly",
                   "it follows", "which leaves", "we end up", "it's actually", "right value", "fixed result",
                   "with that fixed", "would make it", "go with", "best option", "is correct", "selecting",
                   "adding up", "observe", "denote", "recall the formula", "taking the product", "consider the case",
                   "divide through", "quick estimate", "part <k>:", "splitting", "difference between", "squaring",
                   "suppose", "rearrange", "doubling", "subtle", "write the total", "sanity", "plugging in",
                   "to confirm", "quick check", "confirming", "hold on", "no wait", "reconsider:", "correction:",
                   "was off", "interestingly", "prime number", "for comparison", "previous problem", "had we used",
                   "roughly", "decimal form", "side note", "discarded", "candidate", "once more", "alright",
                   "okay, so", "here is my reasoning", "# working", "feel free", "fun problem", "cheers",
                   "missing some data", "can't finish", "stuck", "go further", "diagram")


def _wild_step(rng: random.Random) -> str:
    """A made-up-word reasoning step: unknown words with a value are not an answer by themselves."""
    w = pseudo_word
    return rng.choice([
        f"{_pseudo_phrase(rng)} <a> {w(rng)} <b>.", f"{_pseudo_phrase(rng)}: <a> {w(rng)} <b> {w(rng)} <ab>.",
        f"{_pseudo_phrase(rng, 4)} <val>.", f"{_pseudo_phrase(rng)}, {w(rng)} <a> {w(rng)} {w(rng)}.",
        f"{_pseudo_phrase(rng)} $<a> \\cdot <b> = <ab>$.", f"{_pseudo_phrase(rng)} <obj> {w(rng)} <a>.",
    ])


def _wild_remark(rng: random.Random) -> str:
    return rng.choice([f"({_pseudo_phrase(rng)} <approx>.)", f"{_pseudo_phrase(rng)}: {pseudo_word(rng)} <neg>.",
                       f"{_pseudo_phrase(rng)} <a> {pseudo_word(rng)}."])


def _wild_sentence(rng: random.Random) -> str:
    """Made-up words and no value: a give-up or a closing, which only the words tell apart."""
    return _pseudo_phrase(rng, 6) + rng.choice([".", ".", "!", "?", ""])


# Count answers stated with their noun ("there are 12 sequences": the span is "12").
_COUNT_STATEMENTS = ("Therefore, there are <A> <obj>.", "So there are <A> <obj> in total.",
                     "In the end <name> has <A> <obj>.", "Hence <name> needs <A> <obj>.",
                     "So, there are <A> different <obj> that work.")

# Chat-template tokens a sampler may leave after the response.
_TURN_ENDS = ("<|im_end|>", "<|im_start|>user", "</s>", "<|endoftext|>", "<|eot_id|>",
              "<|im_end|>\n<|im_start|>user\n", "<|end|>")


SUBJECTS = {
    "num": ("x", "$x$", "the total", "the area", "the sum", "the probability", "the value of $y$",
            "the perimeter", "the speed", "$n$", "the cost", "the length", "the result", "the product",
            "the volume", "the expression", "the limit", "$f(3)$", "the angle"),
    "text": ("the day", "the color", "the name", "the answer", "the month", "the shape", "the city"),
    "mc": ("the correct option", "the choice", "the answer"),
    "coll": ("the solution set", "the interval", "the point", "the matrix", "the set", "the pair",
             "the answer", "the vector"),
}
VARS = ("x", "y", "n", "a", "k", "t", "m", "P", "A", "S", "z")


# ---------------------------------------------------------------------------
# Rendering


def _fill_numbers(rng: random.Random, R: Ranges, tpl: str, phr: Phrasing, category: str) -> str:
    """Fill the number/word placeholders of a template with consistent values."""
    if "<" not in tpl:
        return tpl
    lo, hi = R.small
    a = rng.randint(lo, hi)
    b = rng.randint(lo, hi)
    c = rng.randint(lo, hi)
    k = rng.randint(1, 9)
    vals = {
        "<a+b+c>": a + b + c, "<ab+c>": a * b + c, "<ab-c>": a * b - c, "<2a+c>": 2 * a + c,
        "<a2+b2>": a * a + b * b, "<a+b>": a + b, "<a-b>": a - b, "<ab>": a * b, "<a2>": a * a,
        "<2a>": 2 * a, "<disc>": a * a - 4 * b * c, "<sum>": a * (a + 1) // 2,
        "<a/100>": a / 100, "<a>": a, "<b>": b, "<c>": c, "<k>": k, "<neg>": -rng.randint(1, 50),
    }
    out = tpl
    for key, v in vals.items():
        if key in out:
            out = out.replace(key, str(v))
    if "<approx>" in out:
        out = out.replace("<approx>", f"{rng.uniform(0, 100):.{rng.randint(1, 3)}f}")
    if "<val>" in out:
        out = out.replace("<val>", _render_inline(rng, random_answer(rng, R)))
    if "<obj>" in out:
        out = out.replace("<obj>", rng.choice(R.objects))
    if "<name>" in out:
        out = out.replace("<name>", rng.choice(R.names))
    if "<V2>" in out:
        out = out.replace("<V2>", rng.choice(("value", "amount", "number", "quantity", "length", "price")))
    if "<V>" in out:
        out = out.replace("<V>", rng.choice(SUBJECTS.get(category, SUBJECTS["num"])))
    if "<EQ>" in out:
        out = out.replace("<EQ>", _equation(rng, R))
    if "<X>" in out:
        out = out.replace("<X>", str(rng.randint(lo, hi)))
    return out


def _equation(rng, R) -> str:
    lo, hi = R.small
    a, b = rng.randint(lo, hi), rng.randint(lo, hi)
    forms = [f"Combining {a} and {b}", f"Dividing both sides by {a}", f"$x + {a} = {a + b}$",
             f"Simplifying ${a}x = {a * b}$", f"Substituting $t = {a}$"]
    return rng.choice(forms)


def _render_inline(rng, ans: Answer) -> str:
    """A distractor value rendered the way an intermediate result would be."""
    if ans.category == "mc":
        return f"({ans.surface})"
    if ans.modes == "math" or (ans.modes == "both" and rng.random() < 0.4):
        return f"${ans.surface}$"
    return ans.surface


# Wrappers: (prefix, suffix, display)
_MATH_WRAPS = [("$", "$", False), ("$", "$", False), ("\\(", "\\)", False), ("$\\boxed{", "}$", False),
               ("\\boxed{", "}", False), ("\n\\[\n", "\n\\]\n", True), ("\n$$", "$$\n", True),
               ("\n\\[\\boxed{", "}\\]\n", True), ("\\[ ", " \\]", True)]
_PLAIN_WRAPS = [("", "", False)] * 8 + [("**", "**", False), ("`", "`", False)]


def _wrap(rng, ans: Answer) -> tuple[str, str, bool]:
    if ans.modes == "plain":
        return rng.choice(_PLAIN_WRAPS)
    if ans.modes == "math":
        return rng.choice(_MATH_WRAPS)
    return rng.choice(_PLAIN_WRAPS) if rng.random() < 0.55 else rng.choice(_MATH_WRAPS)


class Doc:
    """Text under construction, with the answer span tracked by offsets."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.n = 0
        self.span: tuple[int, int] | None = None

    def add(self, s: str) -> None:
        self.parts.append(s)
        self.n += len(s)

    def sep(self, rng) -> None:
        if self.n:
            self.add(rng.choice([" ", " ", "\n", "\n\n", "\n\n", "\n"]))

    def text(self) -> str:
        return "".join(self.parts)


def _statement(rng, R, phr: Phrasing, ans: Answer, pool: tuple[str, ...] | None = None,
               wild: float = 0.0) -> tuple[str, int, int]:
    """Render an answer statement; return (text, span_start, span_end) within it."""
    cat = ans.category
    if pool is None:
        if cat == "mc":
            pool = phr.mc_statements
        elif cat == "text":
            pool = phr.text_statements + phr.statements[:6]
        elif rng.random() < 0.2:
            pool = phr.eq_statements
        else:
            pool = phr.statements
    tpl = rng.choice(pool)
    if cat == "mc":
        combinable = pool is phr.mc_statements
    else:
        combinable = pool in (phr.statements, phr.restates, phr.corrected, phr.tentative, phr.text_statements)
    if phr is SEEN and combinable:
        r = rng.random()
        if r < 0.45:
            tpl = _combo_mc_statement(rng) if cat == "mc" else _combo_statement(rng)
        elif r < 0.45 + wild:
            tpl = _wild_statement(rng)
        elif r < 0.52 + wild and ans.kind == "int" and ans.surface.isdigit():
            tpl = rng.choice(_COUNT_STATEMENTS)
        if tpl in _UNSEEN_ALL:
            tpl = rng.choice(pool)
    if cat == "mc":
        if "<A>" in tpl and "(<A>)" not in tpl and "<A>)" not in tpl and rng.random() < 0.3:
            tpl = tpl.replace("<A>", "(<A>)")
        tpl = _fill_numbers(rng, R, tpl, phr, cat)
        head, tail = tpl.split("<A>", 1)
        if rng.random() < 0.1 and "(" not in head[-1:]:
            head, tail = head + "\\boxed{", "}" + tail
        return head + ans.surface + tail, len(head), len(head) + len(ans.surface)
    if "<VA>" in tpl:
        var = rng.choice(VARS)
        if ans.modes == "plain" or (ans.modes == "both" and rng.random() < 0.5):
            pre, post = f"{var} = ", ""
            if rng.random() < 0.15:
                pre = f"**{var} = "
                post = "**"
        else:
            pre, post, _ = rng.choice([("$", "$", 0), ("\\(", "\\)", 0), ("$\\boxed{", "}$", 0), ("\n$$", "$$\n", 0)])
            pre = pre + f"{var} = "
        tpl = _fill_numbers(rng, R, tpl, phr, cat)
        head, tail = tpl.split("<VA>", 1)
        head = head + pre
        return head + ans.surface + post + tail, len(head), len(head) + len(ans.surface)
    tpl = _fill_numbers(rng, R, tpl, phr, cat)
    head, tail = tpl.split("<A>", 1)
    pre, post, display = _wrap(rng, ans)
    if display:
        head = head.rstrip(" ")
        tail = tail.lstrip(".。")
    if head.endswith("\n") and pre.startswith("\n"):
        pre = pre[1:]
    head = head + pre
    return head + ans.surface + post + tail, len(head), len(head) + len(ans.surface)


def _check(rng, R, phr: Phrasing, cat: str, wild: float = 0.0) -> str:
    if phr is SEEN:
        r = rng.random()
        if r < 0.5:
            return _fill_numbers(rng, R, _combo_check(rng), phr, cat)
        if r < 0.5 + wild:
            return _fill_numbers(rng, R, _wild_check(rng), phr, cat)
    return _fill_numbers(rng, R, rng.choice(phr.checks), phr, cat)


def _seen_variant(rng, R, phr: Phrasing, cat: str, wild: float, combo, made_up, pool: tuple[str, ...]) -> str:
    """A SEEN sentence is combinatorial (share VARIETY), made-up words (share
    ``wild``) or from the fixed pool; an UNSEEN one always from its pool (and
    draws nothing more, so the unseen split never depends on these knobs)."""
    if phr is SEEN:
        r = rng.random()
        if r < VARIETY:
            return _fill_numbers(rng, R, combo(rng), phr, cat)
        if r < VARIETY + wild:
            return _fill_numbers(rng, R, made_up(rng), phr, cat)
    return _fill_numbers(rng, R, rng.choice(pool), phr, cat)


def _remark(rng, R, phr: Phrasing, cat: str, wild: float = 0.0) -> str:
    pool = phr.remarks + _REMARKS if phr is SEEN else phr.remarks
    return _seen_variant(rng, R, phr, cat, wild, _combo_remark, _wild_remark, pool)


def _step(rng, R, phr: Phrasing, cat: str, wild: float = 0.0) -> str:
    return _seen_variant(rng, R, phr, cat, wild, _combo_step, _wild_step, phr.steps)


def _giveup(rng, R, phr: Phrasing, cat: str, wild: float = 0.0) -> str:
    return _seen_variant(rng, R, phr, cat, wild, _combo_giveup, _wild_sentence, phr.giveups)


def _closing(rng, phr: Phrasing, wild: float = 0.0) -> str:
    if phr is SEEN and rng.random() < wild:
        return _wild_sentence(rng)
    return rng.choice(phr.closings + _CLOSINGS if phr is SEEN else phr.closings)


def _mc_options(rng, R, ans: Answer) -> str:
    letters = R.letters
    opts = []
    for L in letters:
        val = _render_inline(rng, random_answer(rng, R, rng.choice([ans_int, ans_fraction, ans_decimal, ans_expr])))
        opts.append(f"({L}) {val}")
    sep = rng.choice(["  ", "\n", ", "])
    return "The options are: " + sep.join(opts)


def _wrong_like(rng, R, ans: Answer) -> Answer:
    """A different value of the same kind (the first, wrong, statement)."""
    fn = {a.__name__: a for a, _ in ANSWER_KINDS}
    name = {"int": "ans_int", "negative": "ans_negative", "decimal": "ans_decimal", "frac": "ans_fraction",
            "mixed": "ans_mixed", "sci": "ans_sci", "percent": "ans_percent", "currency": "ans_currency",
            "unit": "ans_unit", "degree": "ans_degree", "expr": "ans_expr", "set": "ans_set",
            "interval": "ans_interval", "tuple": "ans_tuple", "matrix": "ans_matrix", "text": "ans_text",
            "mc": "ans_mc"}[ans.kind]
    for _ in range(10):
        w = fn[name](rng, R)
        if w.surface != ans.surface:
            return w
    return Answer(ans.surface + "1", ans.modes, ans.category, ans.kind) if ans.category == "num" else w


SCENARIOS = (("plain", 0.30), ("verify", 0.24), ("correction", 0.12), ("distractor", 0.14),
             ("restate", 0.08), ("think", 0.05), ("long_verify", 0.07))


def generate_example(rng: random.Random, phr: Phrasing, R: Ranges, p_none: float = 0.10,
                     max_target: int = 2800, wildcards: float = 0.0) -> Example:
    short = phr is SEEN and rng.random() < SHORT_SHARE  # a bare statement, no reasoning before it
    target = rng.randint(0, 60) if short else int(math.exp(rng.uniform(math.log(110), math.log(max(111, max_target)))))
    ans = random_answer(rng, R)
    cat = ans.category
    names, ws = zip(*SCENARIOS)
    scenario = rng.choices(names, weights=ws)[0]
    no_answer = rng.random() < p_none

    doc = Doc()
    if rng.random() < 0.5:
        doc.add(_fill_numbers(rng, R, rng.choice(phr.openings), phr, cat))
    if scenario == "think":
        doc.sep(rng)
        doc.add("<think>\n")
    if cat == "mc":
        doc.sep(rng)
        doc.add(_mc_options(rng, R, ans))
    # reasoning body up to about the target length
    tail_reserve = 60 if scenario in ("plain", "distractor") else 160
    n_steps = 0
    while doc.n < target - tail_reserve or (n_steps == 0 and not short):
        doc.sep(rng)
        if rng.random() < 0.06:
            doc.add(_fill_numbers(rng, R, rng.choice(phr.headers), phr, cat) + "\n")
        doc.add(_step(rng, R, phr, cat, wildcards))
        n_steps += 1
        if n_steps > 80:
            break

    if no_answer:
        ex = _no_answer(rng, R, phr, ans, doc, scenario, wildcards)
        if phr is SEEN and rng.random() < 0.05:
            ex = Example(ex.text + rng.choice(["", " ", "\n"]) + rng.choice(_TURN_ENDS), None, None, ex.kind, ex.scenario)
        return ex

    def put_statement(pool=None, a: Answer = ans) -> None:
        doc.sep(rng)
        s, i, j = _statement(rng, R, phr, a, pool, wildcards)
        if a is ans:
            doc.span = (doc.n + i, doc.n + j)
        doc.add(s)

    if scenario == "think":
        # a tentative result inside the thinking, the stated answer after it
        if rng.random() < 0.5:
            put_statement(phr.tentative, _wrong_like(rng, R, ans) if rng.random() < 0.3 else ans)
            doc.span = None
        doc.add("\n</think>\n\n")
        if rng.random() < 0.4:
            doc.add(_step(rng, R, phr, cat, wildcards))
        put_statement()
    elif scenario == "correction":
        wrong = _wrong_like(rng, R, ans)
        put_statement(phr.tentative, wrong)
        doc.sep(rng)
        doc.add(_fill_numbers(rng, R, rng.choice(phr.corrections), phr, cat))
        for _ in range(rng.randint(0, 2)):
            doc.sep(rng)
            doc.add(_step(rng, R, phr, cat, wildcards))
        put_statement(phr.corrected if rng.random() < 0.6 else None)
        if rng.random() < 0.3:
            doc.sep(rng)
            doc.add(_check(rng, R, phr, cat, wildcards))
    else:
        put_statement()
        if scenario in ("verify", "restate", "long_verify"):
            n = rng.randint(1, 3) if scenario != "long_verify" else rng.randint(4, 12)
            if scenario == "long_verify" and phr is SEEN and rng.random() < LONG_TAIL_SHARE:
                n = rng.randint(14, 30)  # the answer lies before the tail window: the extractor must widen
            for _ in range(n):
                doc.sep(rng)
                if rng.random() < 0.8 or scenario != "long_verify":
                    doc.add(_check(rng, R, phr, cat, wildcards))
                else:
                    doc.add(_remark(rng, R, phr, cat, wildcards))
            if scenario == "restate":
                put_statement(phr.restates if cat != "mc" else phr.mc_statements)
        elif scenario == "distractor":
            for _ in range(rng.randint(1, 2)):
                doc.sep(rng)
                doc.add(_remark(rng, R, phr, cat, wildcards))
    if rng.random() < 0.25:
        doc.sep(rng)
        doc.add(_closing(rng, phr, wildcards))
    if phr is SEEN and rng.random() < 0.05:
        doc.add(rng.choice(["", " ", "\n"]) + rng.choice(_TURN_ENDS))
    text = doc.text()
    assert doc.span is not None
    s, e = doc.span
    return Example(text, s, e, ans.kind, scenario)


def _no_answer(rng, R, phr, ans, doc: Doc, scenario: str, wild: float = 0.0) -> Example:
    r = rng.random()
    if r < 0.45:
        # ran out of tokens: cut somewhere in the body, possibly mid-word,
        # possibly right after an answer marker ("So the answer is")
        text = doc.text()
        if rng.random() < 0.35:
            lead = rng.choice(["So the answer is", "Therefore,", "The answer is", "Final answer:",
                               "So we get", "Thus", "Hence x ="] if phr is SEEN else
                              ["In conclusion,", "Our answer:", "The final result comes out to", "Result:"])
            text = text + rng.choice([" ", "\n"]) + lead
        elif len(text) > 60:
            text = text[: rng.randint(len(text) // 2, len(text) - 1)]
        return Example(text, None, None, "none", "truncated")
    if r < 0.85:
        doc.sep(rng)
        doc.add(_giveup(rng, R, phr, ans.category, wild))
        if rng.random() < 0.3:
            doc.sep(rng)
            doc.add(_closing(rng, phr, wild))
        return Example(doc.text(), None, None, "none", "giveup")
    # a question back to the user, or checks with no conclusion
    for _ in range(rng.randint(1, 3)):
        doc.sep(rng)
        doc.add(_check(rng, R, phr, ans.category, wild))
    return Example(doc.text(), None, None, "none", "unfinished")


# ---------------------------------------------------------------------------
# Questions (issue #14): a prompt paired with a response that states several
# quantities, the asked one among them, and keeps talking after it (other
# candidates, larger values, checks). The question decides which quantity is
# the answer, so the extractor reads it (as BERT segment A) with the response.


@dataclass(frozen=True)
class QuestionPhrasing:
    asks: tuple[str, ...]  # "<Q>" is the asked quantity's noun phrase
    count_asks: tuple[str, ...]  # how-many questions: <obj>, <name>
    extreme_asks: tuple[str, ...]  # <EXT> smallest/largest, <COND> the condition
    contexts: tuple[str, ...]  # a sentence of problem statement before the question
    suffixes: tuple[str, ...]  # instructions after the question
    states: tuple[str, ...]  # "<S>" the quantity's subject, "<A>" its value
    count_states: tuple[str, ...]  # <name> <A> <obj>
    extreme_states: tuple[str, ...]  # <EXT>, <A>
    afters: tuple[str, ...]  # talk after the answer with other values: <d1> <d2>, <MORE> larger/smaller


# Quantities stated together in one response: (asked noun phrase, subject in the answer).
QUANTITY_FAMILIES = (
    (("the area of the rectangle", "the area"), ("the perimeter of the rectangle", "the perimeter"),
     ("the length of the diagonal", "the diagonal"), ("the width of the rectangle", "the width")),
    (("the volume of the box", "the volume"), ("the surface area of the box", "the surface area"),
     ("the length of the longest edge", "the longest edge")),
    (("the average speed", "the average speed"), ("the total distance", "the total distance"),
     ("the total travel time", "the travel time")),
    (("the mean of the data", "the mean"), ("the median of the data", "the median"),
     ("the range of the data", "the range"), ("the mode of the data", "the mode")),
    (("the sum of the two numbers", "the sum"), ("the product of the two numbers", "the product"),
     ("the difference of the two numbers", "the difference"), ("the larger number", "the larger number")),
    (("the total cost", "the total cost"), ("the price of one item", "the price per item"),
     ("the change she receives", "the change"), ("the profit", "the profit")),
    (("the area of the circle", "the area"), ("the circumference of the circle", "the circumference"),
     ("the radius", "the radius"), ("the diameter", "the diameter")),
    (("the length of the hypotenuse", "the hypotenuse"), ("the area of the triangle", "the area"),
     ("the perimeter of the triangle", "the perimeter")),
    (("the 10th term of the sequence", "the 10th term"), ("the common difference", "the common difference"),
     ("the sum of the first 10 terms", "the sum of the first 10 terms")),
    (("the probability that both are red", "the probability of two reds"),
     ("the probability that at least one is red", "the probability of at least one red"),
     ("the probability that neither is red", "the probability of no red")),
)
# Families only the unseen split states: quantities training never names.
UNSEEN_QUANTITY_FAMILIES = (
    (("the current in the circuit", "the current"), ("the voltage across the resistor", "the voltage"),
     ("the power dissipated", "the power"), ("the total resistance", "the total resistance")),
    (("the time to fill the tank", "the filling time"), ("the capacity of the tank", "the capacity"),
     ("the rate of the pump", "the pump rate")),
    (("the interest earned", "the interest"), ("the final balance", "the final balance"),
     ("the annual rate", "the annual rate"), ("the number of years", "the number of years")),
)
_EXTREME_CONDS = ("positive integer divisible by <a>, <b> and <k>", "multiple of <a> greater than <b>",
                  "integer that leaves remainder <k> when divided by <a>", "value of $n$ with $n^2 > <ab>$",
                  "two-digit number whose digits sum to <k>", "prime factor of <ab>")
# The answer's kinds in question-bearing responses: values that several quantities may take.
_QUESTION_KINDS = ((ans_int, 0.35), (ans_decimal, 0.15), (ans_fraction, 0.12), (ans_unit, 0.12),
                   (ans_currency, 0.08), (ans_percent, 0.06), (ans_negative, 0.06), (ans_expr, 0.06))

SEEN_QUESTIONS = QuestionPhrasing(
    asks=("What is <Q>?", "Find <Q>.", "Compute <Q>.", "What's <Q>?", "Work out <Q>.", "Find <Q>, in simplest form.",
          "What is <Q>? Give the exact value.", "Using these numbers, find <Q>.", "Find <Q> and simplify."),
    count_asks=("How many <obj> does <name> have?", "How many <obj> does <name> have now?",
                "How many <obj> are left for <name>?", "How many <obj> does <name> have at the end?"),
    extreme_asks=("What is the <EXT> <COND>?", "Find the <EXT> <COND>.", "Compute the <EXT> <COND>."),
    contexts=("<name> has the numbers <a>, <b> and <c>.", "A shape has sides <a> and <b>.",
              "There are <a> red and <b> blue balls in a bag.", "A car drives <ab> km in <b> hours.",
              "The data set is <a>, <b>, <c>, <a>.", "A shop sells <obj> for <b> dollars each.",
              "Let the two numbers be <a> and <b>."),
    suffixes=("", "", "", " Put your final answer in \\boxed{}.", " Show your work.", " Explain briefly."),
    states=("<S> is <A>.", "So <S> is <A>.", "Thus <S> = <A>.", "We find that <S> is <A>.", "<S>: <A>",
            "Hence <S> equals <A>.", "Then <S> is <A>.", "This gives <S> = <A>.", "And <S> is <A>."),
    count_states=("<name> has <A> <obj>.", "So <name> has <A> <obj>.", "<name> ends with <A> <obj>.",
                  "That leaves <name> with <A> <obj>."),
    extreme_states=("The <EXT> such number is <A>.", "So the <EXT> value is <A>.", "The <EXT> one is <A>.",
                    "Hence the <EXT> such value is <A>."),
    afters=("Other values like <d1> and <d2> also work but are <MORE>.", "<d1> and <d2> also satisfy it, but they are <MORE>.",
            "Note that <d1> would also fit, but it is <MORE>.", "Values such as <d1> work too; they are <MORE>.",
            "We could also get <d1> or <d2>, but those are <MORE>."),
)
UNSEEN_QUESTIONS = QuestionPhrasing(
    asks=("Determine <Q>.", "Calculate <Q>.", "Could you tell me <Q>?", "Evaluate <Q>.", "Please report <Q>.",
          "I'd like to know <Q>.", "Tell me <Q>."),
    count_asks=("What number of <obj> does <name> end up with?", "Count the <obj> that <name> keeps.",
                "How many <obj> remain with <name>?"),
    extreme_asks=("Determine the <EXT> <COND>.", "Which is the <EXT> <COND>?"),
    contexts=("Consider the numbers <a> and <b>.", "<name> records <a>, <b> and <c>.",
              "Suppose a pump moves <a> liters per minute."),
    suffixes=("", "", " Please reason step by step, and put your final answer within \\boxed{}.",
              " Answer with a number only."),
    states=("<S> comes out to <A>.", "As for <S>, it is <A>.", "Consequently <S> amounts to <A>.",
            "<S> works out at <A>.", "Which puts <S> at <A>."),
    count_states=("<name> is left holding <A> <obj>.", "<name> keeps <A> <obj>.", "In total <name> owns <A> <obj>."),
    extreme_states=("The <EXT> such number is therefore <A>.", "At the <EXT>, it is <A>."),
    afters=("Other candidates like <d1> and <d2> also work but are <MORE>.",
            "Bigger or smaller options such as <d1> qualify too, just <MORE>.",
            "For comparison, <d1> and <d2> are <MORE>."),
)


def _quantity_value(rng, R, kind_fn, taken: set[str]) -> Answer:
    for _ in range(20):
        a = kind_fn(rng, R)
        if a.surface not in taken:
            taken.add(a.surface)
            return a
    a = ans_int(rng, R)
    a = Answer(a.surface + str(len(taken)), "both", "num", "int")  # digits appended: still an integer
    taken.add(a.surface)
    return a


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _question(rng, R, qp: QuestionPhrasing, ask: str) -> str:
    """The prompt: sometimes a sentence of problem statement first, sometimes an instruction after."""
    q = ask
    if rng.random() < 0.35:
        q = _fill_numbers(rng, R, rng.choice(qp.contexts), SEEN, "num") + " " + q
    return q + rng.choice(qp.suffixes)


def _body(rng, R, phr: Phrasing, doc: Doc, target: int, wild: float) -> None:
    if rng.random() < 0.4:
        doc.add(_fill_numbers(rng, R, rng.choice(phr.openings), phr, "num"))
    n = 0
    while doc.n < target or n == 0:
        doc.sep(rng)
        doc.add(_step(rng, R, phr, "num", wild))
        n += 1
        if n > 60:
            break


def _put(doc: Doc, rng, s: str, i: int, j: int, asked: bool) -> None:
    doc.sep(rng)
    if asked:
        doc.span = (doc.n + i, doc.n + j)
    doc.add(s)


def _stated(rng, tpl: str, fills: dict[str, str], ans: Answer) -> tuple[str, int, int]:
    """A statement template with its placeholders filled and the value wrapped; (text, span start, span end)."""
    for key, val in fills.items():
        tpl = tpl.replace(key, val)
    if tpl.startswith(("<S>", "the ")):
        tpl = _cap(tpl)
    head, tail = tpl.split("<A>", 1)
    pre, post, display = _wrap(rng, ans)
    if display:
        head, tail = head.rstrip(" "), tail.lstrip(".")
    head = head + pre
    return head + ans.surface + post + tail, len(head), len(head) + len(ans.surface)


def generate_question_example(rng: random.Random, phr: Phrasing, qp: QuestionPhrasing, R: Ranges,
                              max_target: int = 2800, wildcards: float = 0.0, p_none: float = 0.08) -> Example:
    """A question and a response that states the asked quantity among others and keeps talking.

    Layouts: ``quantities`` (2-4 quantities of one family, the asked one anywhere
    among them), ``count`` (how many objects each person has), ``extreme`` (the
    smallest or largest value, other candidates after it), and ``asked`` (a
    response of :func:`generate_example` with a question about its subject).
    """
    unseen = qp is UNSEEN_QUESTIONS
    layout = rng.choices(("quantities", "count", "extreme", "asked"), weights=(0.4, 0.15, 0.15, 0.3))[0]
    if layout == "asked":
        ex = generate_example(rng, phr, R, max_target=max_target, wildcards=wildcards)
        cat = {"text": "text", "mc": "mc", "set": "coll", "interval": "coll", "tuple": "coll",
               "matrix": "coll"}.get(ex.kind, "num")
        subject = rng.choice(SUBJECTS[cat])
        ask = rng.choice(qp.asks).replace("<Q>", subject)
        return replace(ex, question=_question(rng, R, qp, ask), scenario="q_" + ex.scenario)

    target = int(math.exp(rng.uniform(math.log(60), math.log(max(61, max_target - 300)))))
    doc = Doc()
    _body(rng, R, phr, doc, target, wildcards)
    kind_fn = rng.choices(*zip(*_QUESTION_KINDS))[0]
    taken: set[str] = set()
    after_fills: dict[str, str] = {}
    statements: list[tuple[str, int, int, bool]] = []
    if layout == "quantities":
        families = QUANTITY_FAMILIES + (UNSEEN_QUANTITY_FAMILIES if unseen else ())
        family = rng.choice(families)
        members = rng.sample(family, rng.randint(2, len(family)))
        asked = rng.randrange(len(members))
        ask = rng.choice(qp.asks).replace("<Q>", members[asked][0])
        for m, (_, subject) in enumerate(members):
            val = _quantity_value(rng, R, kind_fn, taken)
            statements.append((*_stated(rng, rng.choice(qp.states), {"<S>": subject}, val), m == asked))
            if m == asked:
                ans = val
    elif layout == "count":
        obj = rng.choice(R.objects)
        names = rng.sample(R.names, rng.randint(2, 3))
        asked = rng.randrange(len(names))
        ask = rng.choice(qp.count_asks).replace("<obj>", obj).replace("<name>", names[asked])
        for m, name in enumerate(names):
            val = _quantity_value(rng, R, ans_int, taken)
            val = Answer(val.surface, "plain", "num", "int")
            statements.append((*_stated(rng, rng.choice(qp.count_states), {"<name>": name, "<obj>": obj}, val),
                               m == asked))
            if m == asked:
                ans = val
    else:  # extreme: the asked end, sometimes the other end stated too, other candidates after
        ext, other = ("smallest", "largest") if rng.random() < 0.6 else ("largest", "smallest")
        cond = _fill_numbers(rng, R, rng.choice(_EXTREME_CONDS), phr, "num")
        ask = rng.choice(qp.extreme_asks).replace("<EXT>", ext).replace("<COND>", cond)
        ends = [ext] + ([other] if rng.random() < 0.4 else [])
        rng.shuffle(ends)
        for e in ends:
            val = _quantity_value(rng, R, kind_fn, taken)
            statements.append((*_stated(rng, rng.choice(qp.extreme_states), {"<EXT>": e}, val), e == ext))
            if e == ext:
                ans = val
        after_fills["<MORE>"] = "larger" if ext == "smallest" else "smaller"
    question = _question(rng, R, qp, ask)
    if rng.random() < p_none:  # cut before the quantities are stated
        text = doc.text()
        if rng.random() < 0.4:
            text += " " + rng.choice(("So", "Therefore", "Then")) + " " + rng.choice(("the", "we get", "it is"))
        elif len(text) > 60:
            text = text[: rng.randint(len(text) // 2, len(text) - 1)]
        return Example(text, None, None, "none", "q_truncated", question)
    for s, i, j, is_asked in statements:
        _put(doc, rng, s, i, j, is_asked)
        if rng.random() < 0.25:
            doc.sep(rng)
            doc.add(_check(rng, R, phr, "num", wildcards))
    # keep talking: other values, checks, remarks
    for _ in range(rng.randint(1, 3)):
        r = rng.random()
        doc.sep(rng)
        if r < 0.45:
            fills = {"<d1>": _render_inline(rng, _quantity_value(rng, R, kind_fn, taken)),
                     "<d2>": _render_inline(rng, _quantity_value(rng, R, kind_fn, taken)),
                     "<MORE>": after_fills.get("<MORE>", rng.choice(("larger", "smaller", "not asked for")))}
            tpl = rng.choice(qp.afters)
            for key, val in fills.items():
                tpl = tpl.replace(key, val)
            doc.add(_cap(tpl))
        elif r < 0.8:
            doc.add(_check(rng, R, phr, "num", wildcards))
        else:
            doc.add(_remark(rng, R, phr, "num", wildcards))
    if rng.random() < 0.2:
        doc.sep(rng)
        doc.add(_closing(rng, phr, wildcards))
    assert doc.span is not None
    return Example(doc.text(), doc.span[0], doc.span[1], ans.kind, "q_" + layout, question)


# ---------------------------------------------------------------------------
# Splits

MIN_CHARS, MAX_CHARS = 100, 3000
MIN_CHARS_SEEN = 12  # the SEEN splits also hold short responses ("So the answer is 42.")
SHORT_SHARE = 0.06
SPLIT_SEEDS = {"train": 1, "valid": 2, "heldout": 3, "unseen": 4}
WILDCARDS = 0.25  # share of pseudo-word statements, checks, steps and remarks in the SEEN splits
VARIETY = 0.5  # share of combinatorial steps, give-ups and remarks in the SEEN splits
PSEUDO_TEXT_ANSWERS = 0.4  # share of made-up words among SEEN text answers
LONG_TAIL_SHARE = 0.0  # share of SEEN long_verify responses with 14-30 checks and remarks after the answer
QUESTION_STREAM = 104_729  # offset of the question-bearing examples' random stream from the split's


def make_split(name: str, n: int, seed: int = 0, max_chars: int = MAX_CHARS,
               wildcards: float = WILDCARDS, questions: float = 0.0) -> list[Example]:
    """``n`` examples of split ``name`` (train, valid, heldout: SEEN pools; unseen: UNSEEN pools).

    ``wildcards``: the share of pseudo-word statements and checks (SEEN pools only).
    ``questions``: the share of question-bearing examples (:func:`generate_question_example`,
    SEEN or UNSEEN question phrasings with the split). They come from a random
    stream of their own, so the examples without a question are those of the
    split at ``questions=0`` (today's split), in the same order.
    """
    if name not in SPLIT_SEEDS:
        raise ValueError(f"unknown split {name!r}")
    if not 0.0 <= questions <= 1.0:
        raise ValueError("questions is a share, 0 to 1")
    rng = random.Random(seed * 1000 + SPLIT_SEEDS[name] * 7919)
    qrng = random.Random(seed * 1000 + SPLIT_SEEDS[name] * 7919 + QUESTION_STREAM)
    phr, R = (UNSEEN, UNSEEN_RANGES) if name == "unseen" else (SEEN, SEEN_RANGES)
    qp = UNSEEN_QUESTIONS if name == "unseen" else SEEN_QUESTIONS
    lo = MIN_CHARS_SEEN if phr is SEEN else MIN_CHARS
    out = []
    while len(out) < n:
        if questions and qrng.random() < questions:
            ex = generate_question_example(qrng, phr, qp, R, max_target=min(2800, max_chars - 200),
                                           wildcards=wildcards)
        else:
            ex = generate_example(rng, phr, R, max_target=min(2800, max_chars - 200), wildcards=wildcards)
        if lo <= len(ex.text) <= max_chars:
            out.append(ex)
    return out


def iter_jsonl(examples: list[Example]) -> Iterator[str]:
    for ex in examples:
        yield ex.to_json()


def write_jsonl(path: str, examples: list[Example]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for line in iter_jsonl(examples):
            f.write(line + "\n")


def _check_partition() -> None:
    """The SEEN and UNSEEN phrasing pools share no template, and the combinatorial
    fragments hold no UNSEEN wording."""
    for field in Phrasing.__dataclass_fields__:
        common = set(getattr(SEEN, field)) & set(getattr(UNSEEN, field))
        if common:
            raise AssertionError(f"{field} shared by SEEN and UNSEEN: {sorted(common)}")
    leaks = sorted({w for f in _COMBO_FRAGMENTS for w in _UNSEEN_WORDING if w in f.lower()})
    if leaks:
        raise AssertionError(f"combinatorial SEEN fragments hold UNSEEN wording: {leaks}")
    for field in QuestionPhrasing.__dataclass_fields__:
        seen, unseen = getattr(SEEN_QUESTIONS, field), getattr(UNSEEN_QUESTIONS, field)
        common = set(seen) & set(unseen) - {""}
        if common:
            raise AssertionError(f"question {field} shared by SEEN and UNSEEN: {sorted(common)}")
        leaks = sorted({w for t in seen for w in _UNSEEN_WORDING if w in t.lower()})
        if leaks:
            raise AssertionError(f"SEEN question {field} hold UNSEEN wording: {leaks}")


_check_partition()
_UNSEEN_ALL = frozenset(t for f in Phrasing.__dataclass_fields__ for t in getattr(UNSEEN, f))


if __name__ == "__main__":  # python extractor_model/data.py [split] [n] [seed] [questions share]: print samples
    import sys

    split = sys.argv[1] if len(sys.argv) > 1 else "train"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    for ex in make_split(split, n, seed=seed, questions=float(sys.argv[4]) if len(sys.argv) > 4 else 0.0):
        print("=" * 70)
        if ex.question is not None:
            print("Q:", ex.question)
        print(ex.text)
        print("-->", repr(ex.answer), ex.kind, ex.scenario)
