"""``multi``'s ``calculate_output``: arithmetic over named sub-scores, read with ``ast``, never ``eval``.

Numbers, ``+ - * / ^`` (``^`` is the power, as OpenAI documents it: right-associative, above unary minus,
so ``-2 ^ 2`` is -4 and ``2 ^ 3 ^ 2`` 512), unary minus, parentheses, ``min``, ``max``, ``abs``, ``floor``,
``ceil``, ``sqrt``, ``log``, ``exp``, and the sub-graders' names. Python's ``**`` is refused (one spelling,
OpenAI's). Anything else is a ``FormulaError`` naming it. Values are floats: a power too large
(``10 ^ 400``, ``9 ^ 9 ^ 9``) is an OverflowError at once, never a huge integer built in memory.
"""

from __future__ import annotations

import ast
import math
from typing import Callable, Mapping

MAX_FORMULA_CHARS = 2000
FUNCTIONS: dict[str, Callable[..., float]] = {
    "min": lambda *a: min(a), "max": lambda *a: max(a), "abs": abs, "sqrt": math.sqrt, "log": math.log,
    "exp": math.exp, "floor": lambda x: float(math.floor(x)), "ceil": lambda x: float(math.ceil(x))}
# How many arguments each function takes (least, most): checked with the formula, not found when it runs.
ARITY = {"min": (1, 1_000), "max": (1, 1_000), "abs": (1, 1), "sqrt": (1, 1), "log": (1, 2), "exp": (1, 1),
         "floor": (1, 1), "ceil": (1, 1)}
# math.pow on floats: OverflowError for a result past float's range, ValueError for (-8) ^ 0.5 or 0 ^ -1.
_BINARY = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
           ast.Div: lambda a, b: a / b, ast.Pow: math.pow}


class FormulaError(ValueError):
    pass


def parse(formula: str, names: set[str]) -> ast.expr:
    """The formula's tree, checked: only the allowed nodes, only known names."""
    if not isinstance(formula, str) or not formula.strip() or len(formula) > MAX_FORMULA_CHARS:
        raise FormulaError(f"calculate_output must be a formula of at most {MAX_FORMULA_CHARS} characters")
    if "**" in formula:
        raise FormulaError("calculate_output writes a power as a ^ b, not a ** b")
    try:
        # Python's ^ is xor, binding looser than + ; its ** binds and associates as a power's ^ should.
        tree = ast.parse(formula.strip().replace("^", "**"), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
        raise FormulaError(f"calculate_output does not parse ({type(e).__name__})") from None
    try:
        _check(tree, names)
    except RecursionError:  # "- - - … a": the parser takes nesting deeper than a recursive walk can
        raise FormulaError("calculate_output is nested too deeply") from None
    return tree


def _check(node: ast.AST, names: set[str]) -> None:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise FormulaError(f"calculate_output allows numbers only, not {node.value!r}")
    elif isinstance(node, ast.Name):
        if node.id not in names:  # a function's bare name ("max") too: it has no value, only a call has
            what = "a function, not called" if node.id in FUNCTIONS else "no sub-grader"
            raise FormulaError(f"calculate_output names {node.id!r}, which is {what}")
    elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        _check(node.left, names), _check(node.right, names)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        _check(node.operand, names)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS \
            and not node.keywords:
        least, most = ARITY[node.func.id]
        if not least <= len(node.args) <= most:
            raise FormulaError(f"calculate_output calls {node.func.id} with {len(node.args)} arguments "
                               f"({least}{'' if most == least else f' to {most}'} allowed)")
        for arg in node.args:
            _check(arg, names)
    else:
        raise FormulaError(f"calculate_output may not use {type(node).__name__} "
                           "(numbers, + - * / ^, parentheses, min, max, abs, floor, ceil, sqrt, log, exp, "
                           "sub-grader names)")


def evaluate(tree: ast.expr, values: Mapping[str, float]) -> float:
    """The formula's value; FormulaError for a division by zero, a math domain error or a value that is not
    finite (an infinite or NaN score would become an infinite or NaN reward)."""
    try:
        value = float(_value(tree, values))
    except (ZeroDivisionError, ValueError, OverflowError, RecursionError) as e:
        raise FormulaError(f"calculate_output failed: {e}") from None
    if not math.isfinite(value):
        raise FormulaError(f"calculate_output failed: its value is {value}, not a finite number")
    return value


def _value(node: ast.AST, values: Mapping[str, float]) -> float:
    if isinstance(node, ast.Constant):
        return float(node.value)  # a float from the start: no integer arithmetic grows without bound
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_value(node.left, values), _value(node.right, values))
    if isinstance(node, ast.UnaryOp):
        operand = _value(node.operand, values)
        return -operand if isinstance(node.op, ast.USub) else operand
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    return FUNCTIONS[node.func.id](*(_value(a, values) for a in node.args))
