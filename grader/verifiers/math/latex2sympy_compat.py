"""The one place grader changes latex2sympy2_extended: how it reads number tokens.

latex2sympy reads each number token with ``sympy.Number(text)``, which goes
through sympify/parse_expr: slow (a fifth of a worker's time) and an eval path
we do not want on input text at all. A lexer number token is digits, a dot and
commas, so Integer and Float read it directly.

The patch replaces a private method (``_Latex2Sympy.parse_number``) and a module
function (``convert_number``) of the pinned version; ``check_upstream`` fails
loudly when an upgrade moves either (tests/unit/test_latex2sympy_compat.py).
It is installed by ``symbolic``, which only worker processes import.
"""

from __future__ import annotations

import inspect
from typing import Any

from latex2sympy2_extended import latex2sympy2 as _l2s
from sympy import Float, Integer


def read_number_token(self: Any, text: str) -> Any:
    """The replacement for ``_Latex2Sympy.parse_number``: no sympify."""
    text = text.replace(",", "")
    if text.isdecimal():
        return Integer(int(text))
    return Float(text)


def read_number_literal(number: str) -> Any:
    """The replacement for ``convert_number``."""
    if "," in number and number.startswith("0"):
        number = number.replace(",", ".")  # "0,111" is a decimal, as latex2sympy reads it
    digits = number.translate(str.maketrans("", "", ", "))
    return read_number_token(None, digits)


def check_upstream() -> None:
    """Raise RuntimeError when latex2sympy no longer has what the patch replaces, in the same shape."""
    cls = getattr(_l2s, "_Latex2Sympy", None)
    method = getattr(cls, "parse_number", None)
    function = getattr(_l2s, "convert_number", None)
    if cls is None or method is None or function is None:
        raise RuntimeError("latex2sympy2_extended changed: _Latex2Sympy.parse_number or convert_number is gone; "
                           "review grader/verifiers/math/latex2sympy_compat.py")
    if method is not read_number_token and list(inspect.signature(method).parameters)[:2] != ["self", "text"]:
        raise RuntimeError("latex2sympy2_extended changed the signature of _Latex2Sympy.parse_number")


def install_number_reader() -> None:
    check_upstream()
    _l2s._Latex2Sympy.parse_number = read_number_token
    _l2s.convert_number = read_number_literal
