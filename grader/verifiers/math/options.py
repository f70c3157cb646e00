"""The math verifier's options, with Math-Verify's names for them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from ..options import Options, boolean, one_of, option

PercentPolicy = Literal["auto", "strict", "lenient"]


def _precision(key: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 50 or value != int(value):
        raise ValueError(f"option {key!r} must be an integer between 0 and 50")
    return int(value)


def _match_types(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not value or not set(value) <= {"latex", "expr"}:
        raise ValueError(f"option {key!r} needs one or both of 'latex' and 'expr'")
    return tuple(value)


@dataclass(frozen=True)
class MathOptions(Options):
    """Options that change how a math answer is read or compared (the README's Options table)."""

    ALIASES: ClassVar[dict[str, str]] = {
        **Options.ALIASES,
        "float_rounding": "precision",
        "allow_set_relation_comp": "allow_set_relation",
        "percent_policy": "percent",
    }
    IGNORED: ClassVar[frozenset[str]] = frozenset({"numeric_precision"})
    NESTED_CONFIG: ClassVar[bool] = True  # Math-Verify's extraction config

    precision: int | None = option(None, _precision, "round both sides to this many decimal places when either "
                                                     "is a decimal (Math-Verify's precision)")
    percent: PercentPolicy = option("auto", one_of("auto", "strict", "lenient"),
                                    "how P% reads: auto, strict (P/100 on both sides) or lenient")
    strict: bool = option(True, boolean, "false lets a single differing variable name match (f(y) vs f(x))")
    match_types: tuple[str, ...] = option(("latex", "expr"), _match_types,
                                          "extraction families: latex (boxes, math, markers), expr (plain numbers)")
    allow_set_relation: bool = option(True, boolean,
                                      "when false, an inequality answer does not match an interval reference")
    degrees_match_radians: bool = option(True, boolean, "an angle in degrees matches the same angle in radians "
                                         "(30^\\circ and \\frac{\\pi}{6}), as human graders judge")
    extraction: str | None = option(None, one_of("auto", "rules", "lm"),
                                    "auto: the LM extractor's second opinion on rule misses; rules; lm (model "
                                    "only); unset: auto where the model runs on a GPU or GRADER_EXTRACTOR=on, "
                                    "else rules")
    judge: str | None = option(None, one_of("off", "on-miss", "always"),
                               "ask the judge model (grader serve --judge-model / --judge-url): off, on-miss "
                               "(when the rules say incorrect or find no answer), always; unset: on-miss where a "
                               "judge is configured")
