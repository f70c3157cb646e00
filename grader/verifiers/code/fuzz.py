"""Generated code items for make fuzz and the property tests: real suites, broken and hostile programs."""

from __future__ import annotations

import json
import random
from typing import Iterator

from ..base import FuzzItem

_REFERENCES = [
    json.dumps({"test": "def check(candidate):\n    assert candidate(2) == 4\n    assert candidate(-1) == 1\n",
                "entry_point": "square"}),
    json.dumps({"test_list": ["assert square(3) == 9", "assert square(0) == 0"]}),
    json.dumps({"fn_name": "square", "inputs": [[2], [5]], "outputs": [4, 25]}),
    json.dumps({"inputs": ["2\n", "7\n"], "outputs": ["4\n", "49\n"]}),
]
_PROGRAMS = [
    "def square(x):\n    return x * x\n",
    "def square(x):\n    return x + x\n",
    "print(int(input()) ** 2)\n",
    "def square(x):\n    raise ValueError('no')\n",
    "import sys\nsys.exit(0)\n",
    "def square(x)\n    return x\n",
    "class Solution:\n    def square(self, x):\n        return x * x\n",
    "",
]


_LOOP = "def square(x):\n    while True:\n        pass\n"


def fuzz_items(rng: random.Random) -> Iterator[FuzzItem]:
    while True:
        # A program that spins costs its whole budget of CPU: a few of them test the limits.
        program = _LOOP if rng.random() < 0.03 else rng.choice(_PROGRAMS)
        fence = rng.choice(["```python\n{}```", "```\n{}```", "{}", "<think>```python\nx = 1\n```</think>\n```py\n{}```"])
        yield FuzzItem(fence.format(program), rng.choice(_REFERENCES), {"timeout": 1, "budget": 2})
