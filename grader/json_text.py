"""JSON that is always written: the HTTP gateway's replies and ``grader grade``'s output lines.

Python's ``json`` writes a float NaN or infinity as ``NaN``/``Infinity``, which no other JSON reader takes, and a
lone surrogate (from a ``"\\ud800"`` escape in the input, echoed back) has no UTF-8. Here the first is null and the
second stays escaped, so a reply or a line is never an error.
"""

from __future__ import annotations

import json
from typing import Any


def json_bytes(content: Any, *, compact: bool = False) -> bytes:
    """``content`` as UTF-8 JSON; NaN and infinities as null; ASCII with escapes where a lone surrogate has no UTF-8."""
    separators = (",", ":") if compact else None
    try:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=separators)
    except ValueError:  # a NaN or infinity: json's own reading of NaN/Infinity as null (no Python recursion)
        content = json.loads(json.dumps(content), parse_constant=lambda _: None)
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=separators)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=separators).encode("ascii")
