"""The program in an LM answer: the last fenced block of its language outside ``<think>``
(```python``/``py``/``python3``, or ```cpp``/``c++``/``cc``/``cxx``; unlabelled fences too), else
the whole answer if it parses as Python (or, for C++, holds ``#include`` and ``main(``)."""

from __future__ import annotations

import ast
import re

LABELS = {"python": frozenset({"", "python", "py", "python3"}), "cpp": frozenset({"", "cpp", "c++", "cc", "cxx"})}
# The longest answer parsed with ``ast`` where items are planned (the server's event loop, before any budget):
# parsing costs about 3 s a megabyte. Real solutions are far shorter; a longer one goes to the sandbox unparsed.
MAX_PARSED_CHARS = 50_000
# Possessive label and line (``*+``): a fence line with no newline after it ("```aaaa…") is given up at
# once, where backtracking between two greedy runs took time quadratic in its length (minutes at 200 kB,
# on the thread that plans the item, before any budget applies).
_FENCE = re.compile(r"^[ \t]*```[ \t]*([\w+#.-]*+)[^\n]*+\n(.*?)^[ \t]*```", re.DOTALL | re.MULTILINE)


def without_reasoning(response: str) -> str:
    """The response with its <think> blocks removed; an unclosed one runs to the end.

    A scan with ``str.find``: ``<think>.*?</think>`` took time quadratic in the number of unclosed tags."""
    kept: list[str] = []
    pos = 0
    while (opened := response.find("<think>", pos)) >= 0:
        kept.append(response[pos:opened])
        closed = response.find("</think>", opened + len("<think>"))
        if closed < 0:
            return "".join(kept)
        pos = closed + len("</think>")
    kept.append(response[pos:])
    return "".join(kept)


def extract_program(response: str, language: str = "python") -> str | None:
    text = without_reasoning(response)
    blocks = [body for label, body in _FENCE.findall(text) if label.lower() in LABELS[language]]
    if blocks:
        return blocks[-1]
    if "```" in text or not text.strip():
        return None
    if language == "cpp":  # a bare answer that is a whole C++ program
        return text if "#include" in text and "main(" in text else None
    if len(text) > MAX_PARSED_CHARS:
        return text  # too long to parse where items are planned: the sandbox reports a syntax error
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return text


def defines(program: str, name: str) -> bool:
    """Whether the program defines ``name`` at its top level (a function, class or assignment); a program
    too long to parse where items are planned is taken to define it."""
    if len(program) > MAX_PARSED_CHARS:
        return True
    try:
        module = ast.parse(program)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    for node in module.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return True
    return False
