"""Generated math items for ``make fuzz`` and the property tests: LaTeX token soup,
deep nesting, power towers, hostile snippets and plain answers with their spellings."""

from __future__ import annotations

import random
from typing import Iterator

from ..base import FuzzItem

TOKENS = [r"\frac", r"\dfrac", r"\sqrt", r"\boxed", r"\fbox", r"\text", r"\left(", r"\right)", r"\pi", r"\infty",
          r"\cdot", r"\times", r"\le", r"\ge", r"\pm", r"\cup", r"\{", r"\}", r"\begin{pmatrix}", r"\end{pmatrix}",
          r"\\", "&", "{", "}", "(", ")", "[", "]", "^", "_", "$", "$$", r"\[", r"\]", "=", "<", ">", ",", ";", ".",
          "%", "!", "|", "x", "y", "n", "e", "i", "0", "1", "2", "9", "10", "0.5", "1/2", "-", "+", " ", "\n",
          "the answer is ", "Final Answer: ", "#### ", "<answer>", "</answer>", "</think>", "**", "\x00", "\u202e",
          "\x0c", "\t", "__import__('os')", "eval(", "Symbol('x')", r"\def\x{1}", r"\newcommand", "π", "√", "∞", "≤"]
HOSTILE = [r"\boxed{9^{9^{9^{9}}}}", r"\boxed{(10^{10})!}", r"\boxed{10^{10^{8}}}", "(" * 3000 + "1" + ")" * 3000,
           "{" * 5000, r"\boxed{\frac{1}{2", r"\boxed{\frac{}{}}", "\\" * 1000, "$" * 999, r"\boxed{" * 500]
ANSWERS = ["42", "-7", "0.05", r"\frac{1}{20}", "1/20", "5E-02", r"\sqrt{2}", r"2\sqrt{3}", r"\frac{\pi}{6}", "x+1",
           "(1, 2)", r"[0, 1)", r"\{1, 2\}", r"x \le 5", "50\\%", r"\infty", "y = 2x + 3", r"\text{Monday}", "1,000"]


def soup(rng: random.Random, lo: int, hi: int) -> str:
    return "".join(rng.choice(TOKENS) for _ in range(rng.randint(lo, hi)))


def math_items(rng: random.Random) -> Iterator[FuzzItem]:
    while True:
        kind = rng.random()
        reference = rng.choice(ANSWERS)
        if kind < 0.3:
            response = soup(rng, 0, 40)
            reference = soup(rng, 1, 12) or "0"
        elif kind < 0.45:
            response = "".join(chr(rng.randint(0, 0x10FFFF)) for _ in range(rng.randint(0, 200)))
            response = response.encode("utf-8", "replace").decode("utf-8", "replace")
        elif kind < 0.65:
            depth = rng.randint(1, 60)
            core = rng.choice(["1", "x", r"\frac{1}{2}", "0.5", "2^{3}", r"\sqrt{2}"])
            opener, closer = rng.choice([("(", ")"), ("{", "}"), (r"\left(", r"\right)"), (r"\sqrt{", "}")])
            response = rf"The answer is \boxed{{{opener * depth}{core}{closer * depth}}}."
        elif kind < 0.67:
            response = rng.choice(HOSTILE)
        else:
            answer = rng.choice(ANSWERS)
            response = rng.choice([r"So the answer is $\boxed{%s}$.", "The answer is %s", "#### %s", "%s",
                                   "We find %s, then stop."]) % answer
        options: dict = {}
        if rng.random() < 0.1:
            options["precision"] = rng.randint(0, 8)
        if rng.random() < 0.1:
            options["percent"] = rng.choice(["auto", "strict", "lenient"])
        yield FuzzItem(response, reference, options)
