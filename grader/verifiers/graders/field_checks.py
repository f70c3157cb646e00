"""Config field checks for the rule-based grader types; each raises ``field_error`` naming its field."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from .kinds import Sample, field_error
from .templates import render

RESPONSE = "{{sample.output_text}}"


def templates(config: Mapping[str, Any], where: str, *keys: str) -> None:
    """Each of these optional keys, where given, is a string (a template)."""
    for key in keys:
        if key in config and not isinstance(config[key], str):
            raise field_error(f"{where}.{key}", "must be a string (templates allowed)")


def choice(config: Mapping[str, Any], where: str, key: str, choices: Sequence[str]) -> None:
    if key in config and config[key] not in choices:
        raise field_error(f"{where}.{key}", f"must be one of {', '.join(choices)}, not {config[key]!r}")


def whole(value: Any) -> int | None:
    """An integer, also as an integral float (JSON through gRPC's Struct carries every number as a double)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def integer(config: Mapping[str, Any], where: str, key: str, low: int, high: int, *, required: bool = False) -> None:
    if key not in config and not required:
        return
    value = whole(config.get(key))
    if value is None or not low <= value <= high:
        raise field_error(f"{where}.{key}", f"must be a whole number from {low:g} to {high:g}")


def integer_of(config: Mapping[str, Any], key: str, default: int) -> int:
    """A field ``integer`` accepted, as an int (400.0 from gRPC is 400)."""
    return int(config.get(key, default))


def number(config: Mapping[str, Any], where: str, key: str, low: float, high: float, *,
           above_low: bool = False) -> None:
    """An optional number in [low, high] (or (low, high] with ``above_low``)."""
    if key not in config:
        return
    value = config[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high \
            or (above_low and value == low):
        raise field_error(f"{where}.{key}", f"must be a number in {'(' if above_low else '['}{low:g}, {high:g}]")


def flag(config: Mapping[str, Any], where: str, key: str) -> None:
    if key in config and not isinstance(config[key], bool):
        raise field_error(f"{where}.{key}", "must be true or false")


def only_with(config: Mapping[str, Any], where: str, key: str, allowed: bool, when: str) -> None:
    """``key`` may be given only ``when`` (a field that would be ignored is a mistake worth naming)."""
    if key in config and not allowed:
        raise field_error(f"{where}.{key}", f"applies only {when}")


def response(config: Mapping[str, Any], sample: Sample) -> str:
    """The rendered ``input``, by default the response."""
    return render(config.get("input", RESPONSE), sample.namespace)


def reference_texts(config: Mapping[str, Any], sample: Sample) -> list[str]:
    """The rendered ``reference``, else all the item's references."""
    if "reference" in config:
        return [render(config["reference"], sample.namespace)]
    return list(sample.graded.references) if sample.graded is not None else []
