#!/usr/bin/env python3
"""A seeded generator of realistic RL grading traffic, for benchmarks.

    python benchmarks/workload.py [--prompts 250] [--seed 0] [--out DIR]

Each item is what a GRPO/PPO trainer sends a verifier: a model ``response``
(200-4,000 characters of reasoning, sometimes inside ``<think>…</think>``,
ending in an answer), the dataset's ``reference``, and ``expected``, the label
a careful human grader would give (``True`` only for a correct final answer).
Also ``label`` (``correct`` / ``wrong`` / ``none``), ``kind`` (the answer
type), ``style`` (how the answer was stated) and ``prompt`` (the prompt id).

Answer types follow the mix of public math RL sets (GSM8K, MATH, DAPO,
NuminaMath, OpenR1): mostly integers and simple fractions, then decimals,
radicals and pi, LaTeX expressions, sets and tuples, intervals, scientific
notation, multiple-choice letters, text answers and matrices (``KIND_WEIGHTS``).
About 80% of the samples are correct (two thirds written like the reference,
one third in an equivalent but different form: ``0.5`` for ``\\frac12``,
``\\frac{1}{\\sqrt2}`` for ``\\frac{\\sqrt2}2``, a reordered set, …), 15% are
wrong (near misses: off by one, a sign, a missing element, an open end), and
5% have no answer (a chain of thought cut off by the length limit).

Two orderings of the same items:

- ``grouped``: 8 samples per prompt in a row, as GRPO sends them, so the
  reference repeats 8 times and correct answers often repeat too;
- ``shuffled``: the same items in a seeded random order.

``pathological()`` returns hostile items (power towers, huge factorials,
deep nesting, brace bombs, megabyte answers) that are timed separately, and
``long_response(n)`` a response of about ``n`` bytes ending in a boxed answer.

Everything is a pure function of the seed; nothing is read from disk.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
from fractions import Fraction
from pathlib import Path

SAMPLES_PER_PROMPT = 8

# Answer types and their share of prompts, in percent.
KIND_WEIGHTS = {
    "integer": 46, "fraction": 14, "decimal": 6, "radical_pi": 8, "expression": 6, "set_tuple": 5,
    "interval": 4, "scientific": 2, "choice": 4, "text": 3, "matrix": 2,
}
LABEL_WEIGHTS = {"correct": 80, "wrong": 15, "none": 5}

# --------------------------------------------------------------------------- reasoning text

_WORDS = ("first we note that the expression simplifies nicely once we collect like terms and consider the "
          "constraint given in the problem so that each case can be handled separately while checking the "
          "boundary conditions carefully before we continue with the next step of the argument wait let me "
          "recheck this value because it seems too large compared with the previous estimate").split()

_STEPS = (
    "We compute ${a} + {b} = {s}$.",
    "Multiplying, ${a} \\cdot {b} = {p}$.",
    "Let $x$ be the unknown; then $x + {a} = {s2}$, so $x = {x}$.",
    "Subtracting {b} from both sides gives {d}.",
    "Note that $\\gcd({a}, {b})$ divides both terms.",
    "Checking the case $n = {a}$ separately, the inequality still holds.",
    "So far the partial sum is {s}, and we still need the remaining {b} terms.",
    "By symmetry the two halves contribute equally, so each is $\\frac{{{s}}}{{2}}$.",
    "Substituting back into the original equation confirms the value.",
    "The discriminant is ${a}^2 - 4 \\cdot {b} = {disc}$.",
    "Hmm, wait. Let me double-check the answer so far: {s} seems right.",
    "\\[\n{a}x^2 + {b}x - {a} = 0 \\implies x = \\frac{{-{b} \\pm \\sqrt{{{b}^2 + 4 \\cdot {a}^2}}}}{{{twoa}}}\n\\]",
    "From the previous step, $\\frac{{{a}}}{{{b}}} \\approx {ratio}$.",
    "**Step {k}:** we now have {s} possibilities in total.",
    "Since $2^{{{k}}} = {pow2}$, the bound follows.",
)


def _step(rng: random.Random, k: int) -> str:
    if rng.random() < 0.3:
        return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(6, 18))).capitalize() + "."
    a, b = rng.randint(2, 999), rng.randint(2, 99)
    return rng.choice(_STEPS).format(a=a, b=b, s=a + b, p=a * b, s2=a + b + 7, x=b + 7, d=a - b, disc=a * a - 4 * b,
                                     twoa=2 * a, ratio=f"{a / b:.3f}", k=k, pow2=2 ** (k % 20))


def reasoning(rng: random.Random, length: int, cut: bool = False) -> str:
    """Chain-of-thought-like text of about ``length`` characters, in paragraphs: whole
    steps, or (``cut``) exactly ``length`` characters, cut off mid-step like a truncated response."""
    parts: list[str] = []
    size = 0
    k = 1
    while size < length:
        s = _step(rng, k)
        k += 1
        parts.append(s)
        size += len(s) + 1
        if rng.random() < 0.2:
            parts.append("\n\n")
    text = " ".join(parts)
    return text[:length] if cut else text


# --------------------------------------------------------------------------- answers per kind
# Each generator returns (reference, [correct forms, the first is the reference's own
# spelling], [wrong forms]); every correct form is equal in value to the reference.

_NON_SQUARES = (2, 3, 5, 6, 7, 10, 11, 13, 14, 15, 17, 19, 21, 22, 23, 26, 29, 30)


def _frac(p: int, q: int, style: int = 0) -> str:
    sign = "-" if p * q < 0 else ""
    p, q = abs(p), abs(q)
    return (f"{sign}\\frac{{{p}}}{{{q}}}", f"{sign}\\dfrac{{{p}}}{{{q}}}", f"{sign}{p}/{q}")[style]


def _integer(rng: random.Random):
    r = rng.random()
    n = rng.randint(0, 12) if r < 0.25 else rng.randint(13, 999) if r < 0.75 else rng.randint(1000, 2_000_000)
    if rng.random() < 0.08:
        n = -n if n else -1
    ref = str(n)
    forms = [ref]
    if abs(n) >= 1000:
        forms.append(f"{n:,}")
        forms.append(f"{n:,}".replace(",", "{,}"))
    forms += [f"{n}.0", f"{n} \\text{{ units}}", f"x = {n}"]
    wrong = [w for w in (n + 1, n - 1, n * 2, -n if n else 1, n + rng.randint(2, 40)) if w != n]
    return ref, forms, [str(w) for w in wrong]


def _fraction(rng: random.Random):
    q = rng.randint(2, 24)
    p = rng.choice([x for x in range(1, 3 * q) if math.gcd(x, q) == 1])
    if rng.random() < 0.1:
        p = -p
    f = Fraction(p, q)
    style = rng.choice((0, 0, 0, 1, 2))
    ref = _frac(f.numerator, f.denominator, style)
    forms = [ref, _frac(f.numerator, f.denominator, (style + 1) % 3), _frac(2 * f.numerator, 2 * f.denominator)]
    if 1000 % f.denominator == 0 or f.denominator in (2, 4, 5, 8, 16, 20, 25):
        forms.append(f"{float(f):g}")
    else:
        forms.append(f"\\frac{{{f.numerator}}}{{{f.denominator}}}")
    g = f + Fraction(1, rng.randint(2, 9))
    wrong = [_frac(g.numerator, g.denominator), _frac(f.denominator, f.numerator) if f.numerator else "1",
             _frac(f.numerator + 1, f.denominator), f"{float(f) + 0.1:.2f}"]
    return ref, forms, wrong


def _decimal(rng: random.Random):
    q = rng.choice((2, 4, 5, 10, 20, 25, 100))
    f = Fraction(rng.randint(1, 60 * q), q)
    if f.denominator == 1:
        f += Fraction(1, 2)
    dec = f"{float(f):g}"
    ref = dec if rng.random() < 0.8 else f"{dec}\\%" if rng.random() < 0.5 else f"\\${dec}"
    forms = [ref, dec, _frac(f.numerator, f.denominator), f"{float(f):.3f}".rstrip("0") + "0"]
    if "\\%" in ref:
        forms = [ref, f"{dec}\\%", f"{dec}%", f"{dec} \\text{{ percent}}"]
    wrong = [f"{float(f) + 0.5:g}", f"{float(f) * 10:g}", f"{float(f) - 0.25:g}"]
    return ref, forms, wrong


def _radical_pi(rng: random.Random):
    a = rng.choice(_NON_SQUARES)
    k = rng.randint(2, 9)
    n = rng.randint(2, 12)
    form = rng.randrange(6)
    if form == 0:
        ref, alt = f"\\frac{{\\sqrt{{{a}}}}}{{{a}}}", [f"\\frac{{1}}{{\\sqrt{{{a}}}}}", f"\\dfrac{{\\sqrt{{{a}}}}}{{{a}}}"]
    elif form == 1:
        ref, alt = f"{k}\\sqrt{{{a}}}", [f"\\sqrt{{{k * k * a}}}", f"{k} \\sqrt {{{a}}}"]
    elif form == 2:
        ref, alt = f"\\frac{{{k}\\pi}}{{{n}}}", [f"\\frac{{{k}}}{{{n}}}\\pi", f"{k}\\pi/{n}"]
    elif form == 3:
        ref, alt = f"{k}\\pi", [f"{k} \\pi", f"\\pi \\cdot {k}"]
    elif form == 4:
        ref, alt = f"{k}+{n}\\sqrt{{{a}}}", [f"{n}\\sqrt{{{a}}}+{k}", f"{k} + \\sqrt{{{n * n * a}}}"]
    else:
        ref, alt = f"\\sqrt{{{a}}}", [f"{a}^{{1/2}}", f"\\sqrt {a}" if a < 10 else f"\\sqrt{{ {a} }}"]
    b = rng.choice([x for x in _NON_SQUARES if x != a])
    wrong = [f"\\sqrt{{{b}}}", f"{k + 1}\\sqrt{{{a}}}", f"\\frac{{{k}\\pi}}{{{n + 1}}}", f"{k}\\sqrt{{{b}}}"]
    return ref, [ref] + alt, wrong


def _expression(rng: random.Random):
    k = rng.randint(1, 9)
    m = rng.randint(2, 7)
    form = rng.randrange(5)
    if form == 0:
        ref, alt, bad = f"x^2+{2 * k}x+{k * k}", [f"(x+{k})^2", f"x^{{2}} + {2 * k}x + {k * k}"], f"(x+{k + 1})^2"
    elif form == 1:
        ref, alt, bad = f"{m}x+{k}", [f"{k}+{m}x", f"{m} x + {k}"], f"{m}x-{k}"
    elif form == 2:
        ref, alt, bad = f"\\frac{{x+{k}}}{{{m}}}", [f"\\frac{{x}}{{{m}}}+\\frac{{{k}}}{{{m}}}", f"(x+{k})/{m}"], \
            f"\\frac{{x-{k}}}{{{m}}}"
    elif form == 3:
        ref, alt, bad = f"y = {m}x + {k}", [f"y={m}x+{k}", f"y = {k} + {m}x"], f"y = {m}x - {k}"
    else:
        ref, alt, bad = f"{m}n^2-{k}n", [f"n({m}n-{k})", f"{m}n^{{2}} - {k}n"], f"{m}n^2+{k}n"
    return ref, [ref] + alt, [bad, bad.replace(str(m), str(m + 1), 1)]


def _set_tuple(rng: random.Random):
    xs = sorted(rng.sample(range(-9, 20), rng.randint(2, 4)))
    form = rng.randrange(3)
    if form == 0:  # an ordered pair / point
        a, b = xs[0], xs[1]
        ref = f"({a}, {b})"
        return ref, [ref, f"({a},{b})", f"\\left( {a}, {b} \\right)"], [f"({b}, {a})", f"({a}, {b + 1})"]
    if form == 1:  # a set
        ref = "\\{" + ", ".join(map(str, xs)) + "\\}"
        shuffled = xs[:]
        rng.shuffle(shuffled)
        return ref, [ref, "\\{" + ",".join(map(str, shuffled)) + "\\}", "\\{" + ", ".join(map(str, xs)) + "\\}"], \
            ["\\{" + ", ".join(map(str, xs[:-1])) + "\\}", "\\{" + ", ".join(map(str, xs[:-1] + [xs[-1] + 1])) + "\\}"]
    ref = ", ".join(map(str, xs))  # "find all solutions": a bare list
    rev = list(reversed(xs))
    return ref, [ref, ", ".join(map(str, rev)), ",".join(map(str, xs))], \
        [", ".join(map(str, xs[:-1])), ", ".join(map(str, xs[:-1] + [xs[-1] + 2]))]


def _interval(rng: random.Random):
    a = rng.randint(-10, 5)
    b = a + rng.randint(1, 12)
    form = rng.randrange(4)
    if form == 0:
        ref = f"[{a}, {b})"
        return ref, [ref, f"[{a},{b})", f"\\left[{a}, {b}\\right)"], [f"({a}, {b})", f"[{a}, {b}]", f"[{a}, {b + 1})"]
    if form == 1:
        ref = f"(-\\infty, {b}]"
        return ref, [ref, f"(-\\infty,{b}]", f"\\left(-\\infty, {b}\\right]"], [f"(-\\infty, {b})", f"[{b}, \\infty)"]
    if form == 2:
        ref = f"({a}, \\infty)"
        return ref, [ref, f"({a},\\infty)", f"\\left({a}, \\infty\\right)"], [f"[{a}, \\infty)", f"(-\\infty, {a})"]
    ref = f"(-\\infty, {a}) \\cup ({b}, \\infty)"
    return ref, [ref, f"(-\\infty,{a})\\cup({b},\\infty)", f"({b}, \\infty) \\cup (-\\infty, {a})"], \
        [f"({a}, {b})", f"(-\\infty, {a}] \\cup [{b}, \\infty)"]


def _scientific(rng: random.Random):
    mant = rng.randint(11, 99) / 10
    e = rng.randint(3, 9) * rng.choice((1, -1))
    value = Fraction(int(round(mant * 10)), 10) * Fraction(10) ** e
    plain = f"{value.numerator}" if value.denominator == 1 else f"{float(value):.{abs(e) + 1}f}"
    ref = rng.choice((f"{mant}\\times 10^{{{e}}}", plain))
    forms = [ref, f"{mant} \\times 10^{{{e}}}", f"{mant}e{e}", plain]
    wrong = [f"{mant}\\times 10^{{{e + 1}}}", f"{round(mant + 0.1, 1)}\\times 10^{{{e}}}"]
    return ref, forms, wrong


def _choice(rng: random.Random):
    letters = "ABCDE"
    x = rng.choice(letters)
    y = rng.choice([c for c in letters if c != x])
    return x, [x, f"\\text{{{x}}}", f"({x})", f"\\textbf{{({x})}}"], [y, f"({y})"]


_TEXT_ANSWERS = (("\\text{Monday}", "Monday", "\\text{Tuesday}"), ("\\text{even}", "even", "\\text{odd}"),
                 ("\\text{no}", "no", "\\text{yes}"), ("\\text{Alice}", "Alice", "\\text{Bob}"),
                 ("\\text{east}", "East", "\\text{west}"), ("\\text{isosceles}", "isosceles", "\\text{scalene}"))


def _text(rng: random.Random):
    ref, alt, bad = rng.choice(_TEXT_ANSWERS)
    return ref, [ref, alt, f"\\textbf{{{alt}}}"], [bad]


def _matrix(rng: random.Random):
    vals = [rng.randint(-9, 9) for _ in range(4)]
    if rng.random() < 0.5:
        ref = f"\\begin{{pmatrix}} {vals[0]} \\\\ {vals[1]} \\end{{pmatrix}}"
        alt = [f"\\begin{{pmatrix}}{vals[0]}\\\\{vals[1]}\\end{{pmatrix}}", f"\\begin{{bmatrix}} {vals[0]} \\\\ {vals[1]} \\end{{bmatrix}}"]
        bad = f"\\begin{{pmatrix}} {vals[1]} \\\\ {vals[0] + 1} \\end{{pmatrix}}"
    else:
        a, b, c, d = vals
        ref = f"\\begin{{pmatrix}} {a} & {b} \\\\ {c} & {d} \\end{{pmatrix}}"
        alt = [f"\\begin{{pmatrix}}{a}&{b}\\\\{c}&{d}\\end{{pmatrix}}", f"\\begin{{bmatrix}} {a} & {b} \\\\ {c} & {d} \\end{{bmatrix}}"]
        bad = f"\\begin{{pmatrix}} {a} & {c} \\\\ {b} & {d + 1} \\end{{pmatrix}}"
    return ref, [ref] + alt, [bad]


GENERATORS = {"integer": _integer, "fraction": _fraction, "decimal": _decimal, "radical_pi": _radical_pi,
              "expression": _expression, "set_tuple": _set_tuple, "interval": _interval,
              "scientific": _scientific, "choice": _choice, "text": _text, "matrix": _matrix}

# --------------------------------------------------------------------------- how the answer is stated

_STYLE_WEIGHTS = {"boxed": 52, "final_boxed": 12, "answer_is": 14, "minerva": 8, "final_colon": 6, "gsm8k": 8}


def _ending(rng: random.Random, style: str, ans: str) -> str:
    math_ans = f"${ans}$" if "\\" in ans or "^" in ans or "{" in ans else ans
    if style == "boxed":
        return rng.choice((f"\n\nTherefore, the final answer is $\\boxed{{{ans}}}$.",
                           f"\n\nSo the answer is \\(\\boxed{{{ans}}}\\).",
                           f"\n\n\\[\n\\boxed{{{ans}}}\n\\]",
                           f" Thus we get $\\boxed{{{ans}}}$."))
    if style == "final_boxed":
        return f"\n\n**Final Answer**\n\\[\n\\boxed{{{ans}}}\n\\]"
    if style == "answer_is":
        return rng.choice((f"\n\nThe answer is {math_ans}.", f" So the answer is {math_ans}."))
    if style == "minerva":
        return f"\n\nFinal Answer: The final answer is ${ans}$. I hope it is correct."
    if style == "final_colon":
        return f"\n\nFinal Answer: {math_ans}"
    return f"\n#### {ans}"


def _length(rng: random.Random) -> int:
    return int(math.exp(rng.uniform(math.log(200), math.log(4000))))


def _response(rng: random.Random, ans: str | None, style: str) -> str:
    length = _length(rng)
    if ans is None:  # cut off by the length limit, mid-sentence, no final answer
        return reasoning(rng, length, cut=True)
    ending = _ending(rng, style, ans)
    body = reasoning(rng, max(60, length - len(ending)))
    if rng.random() < 0.2:  # an R1-style think block, then a short summary
        cut = body.find(". ", len(body) * 3 // 4) + 1 or len(body)
        body = "<think>\n" + body[:cut] + "\n</think>\n\n" + body[cut:]
    return body + ending


def generate(n_prompts: int = 250, seed: int = 0, samples: int = SAMPLES_PER_PROMPT) -> list[dict]:
    """The items in grouped order: ``samples`` responses per prompt, in a row."""
    rng = random.Random(seed)
    kinds, kind_w = zip(*KIND_WEIGHTS.items())
    labels, label_w = zip(*LABEL_WEIGHTS.items())
    styles, style_w = zip(*_STYLE_WEIGHTS.items())
    items: list[dict] = []
    for p in range(n_prompts):
        kind = rng.choices(kinds, kind_w)[0]
        ref, forms, wrong = GENERATORS[kind](rng)
        for s in range(samples):
            label = rng.choices(labels, label_w)[0]
            style = rng.choices(styles, style_w)[0]
            if label == "correct":
                ans = forms[0] if rng.random() < 2 / 3 else rng.choice(forms[1:])
            elif label == "wrong":
                ans = rng.choice(wrong)
            else:
                ans, style = None, "none"
            if style == "gsm8k" and not re.fullmatch(r"-?[\d,]+", ans):
                style = "boxed"  # "#### 1,234": GSM8K states plain numbers only
            items.append({"id": f"p{p}-s{s}", "prompt": p, "response": _response(rng, ans, style),
                          "reference": ref, "expected": label == "correct", "label": label, "kind": kind,
                          "style": style, "answer": ans})
    return items


def shuffled(items: list[dict], seed: int = 1) -> list[dict]:
    out = list(items)
    random.Random(seed).shuffle(out)
    return out


def orderings(n_prompts: int = 250, seed: int = 0) -> dict[str, list[dict]]:
    grouped = generate(n_prompts, seed)
    return {"grouped": grouped, "shuffled": shuffled(grouped, seed + 1)}


# --------------------------------------------------------------------------- hostile and long inputs

def pathological(seed: int = 0) -> list[dict]:
    """Hostile items, timed apart from the workload. ``expected`` is False for all
    but the last two (a huge but honest answer, and a long response)."""
    rng = random.Random(seed)
    pre = reasoning(rng, 600)
    items = [
        ("power_tower", pre + " so $\\boxed{2^{2^{2^{2^{2^{2}}}}}}$", "2"),
        ("power_tower_10", pre + " so $\\boxed{10^{10^{10^{10}}}}$", "100"),
        ("huge_power", pre + " so $\\boxed{9^{9^{9}}}$", "387420489"),
        ("huge_factorial", pre + " so $\\boxed{1000000!}$", "0"),
        ("deep_nesting", pre + " so $\\boxed{" + "(" * 300 + "1" + ")" * 300 + "}$", "2"),
        ("nested_fracs", pre + " so $\\boxed{" + "\\frac{1}{" * 60 + "2" + "}" * 60 + "}$", "3"),
        ("brace_bomb", pre + " so the answer is " + "{" * 5000 + "1", "1"),
        ("long_sum", pre + " so $\\boxed{" + "+".join(["x"] * 2000) + "}$", "2001x"),
        ("huge_integer_answer", pre + " so $\\boxed{" + "9" * 5000 + "}$", "9" * 5000),
        ("many_boxes", pre + " " + " ".join(f"\\boxed{{{i}}}." for i in range(20_000)) + " \\boxed{7}", "7"),
    ]
    return [{"id": f"path-{name}", "response": r, "reference": ref, "expected": name in ("huge_integer_answer", "many_boxes"),
             "label": "pathological", "kind": name, "style": "pathological"} for name, r, ref in items]


def long_response(size: int, seed: int = 0, answer: str = "\\frac{3}{4}") -> str:
    """About ``size`` characters of reasoning, then a boxed answer (equal to ``0.75``)."""
    rng = random.Random(seed)
    ending = f"\n\nTherefore, the final answer is $\\boxed{{{answer}}}$."
    block = reasoning(rng, 8192)
    body = (block * (size // len(block) + 1))[:max(0, size - len(ending))]
    return body + ending


def worker_warmup_items() -> list[dict]:
    """The workers' own warm-up items (each verifier's ``warm_up`` plans: only sympy decides them),
    to start and warm the grading workers before a timed run: the workload rarely needs them."""
    from grader import verifiers

    plans = [plan for v in verifiers.all_verifiers() for plan in v.warm_up()]
    return [{"id": f"warm-{i}", "kind": "warmup", "label": "correct", "style": "final_boxed", "expected": True,
             "response": plan.item.response, "reference": plan.item.references[0]}
            for i, plan in enumerate(plans)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prompts", type=int, default=250)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, help="write grouped.jsonl, shuffled.jsonl and pathological.jsonl here")
    args = ap.parse_args()
    sets = orderings(args.prompts, args.seed)
    sets["pathological"] = pathological(args.seed)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        for name, items in sets.items():
            with open(args.out / f"{name}.jsonl", "w") as f:
                for it in items:
                    f.write(json.dumps(it) + "\n")
    from collections import Counter
    g = sets["grouped"]
    print(f"{len(g)} items, {len({i['prompt'] for i in g})} prompts")
    print("kinds:", dict(Counter(i["kind"] for i in g).most_common()))
    print("labels:", dict(Counter(i["label"] for i in g).most_common()))
    print("styles:", dict(Counter(i["style"] for i in g).most_common()))
    lens = sorted(len(i["response"]) for i in g)
    print(f"response chars: min {lens[0]} p50 {lens[len(lens) // 2]} max {lens[-1]}")


if __name__ == "__main__":
    main()

