"""Typed verifier options, parsed once from a user mapping.

A verifier's options are a frozen dataclass deriving from :class:`Options`;
each field's ``metadata`` carries its parser (``option(...)``) and a one-line
help text, which ``ListVerifiers``, ``--help`` and the README table show.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Mapping, TypeVar

O = TypeVar("O", bound="Options")
Parser = Callable[[str, Any], Any]


# --- parsers ------------------------------------------------------------------

def seconds(key: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 600:
        raise ValueError(f"option {key!r} must be a number of seconds in (0, 600]")
    return float(value)


def boolean(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"option {key!r} must be true or false")
    return value


def one_of(*choices: str) -> Parser:
    def parse(key: str, value: Any) -> str:
        if value not in choices:
            raise ValueError(f"option {key!r} must be one of {', '.join(choices)}")
        return value
    return parse


def strings(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"option {key!r} must be a list of strings")
    return tuple(value)


def count(key: str, value: Any) -> int | None:
    """A positive integer, or None."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON through protobuf's Struct (gRPC) carries every number as a double
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"option {key!r} must be a positive integer, not {value!r}")
    return value


def megabytes(key: str, value: Any) -> int:
    """An address-space limit in MB, 64 to 4096."""
    limit = count(key, value)
    if limit is None or not 64 <= limit <= 4096:  # 4096: the workers' own address-space ceiling
        raise ValueError(f"option {key!r} must be between 64 and 4096 (MB), not {value!r}")
    return limit


def option(default: Any, parse: Parser, help: str) -> Any:
    """A dataclass field with its parser and help text."""
    return dataclasses.field(default=default, metadata={"parse": parse, "help": help})


@dataclass(frozen=True)
class Options:
    """Options every verifier reads. Subclasses add their own fields, aliases and ignored keys."""

    # Other graders' names for our options (Math-Verify's, say); keys that are accepted and ignored;
    # whether a nested ``config`` mapping (Math-Verify's extraction config) is read as options too.
    ALIASES: ClassVar[dict[str, str]] = {"timeout_seconds": "timeout"}
    IGNORED: ClassVar[frozenset[str]] = frozenset()
    NESTED_CONFIG: ClassVar[bool] = False

    timeout: float | None = option(None, seconds,
                                   "per-item budget in seconds (default: the caller's, 5 in-process)")

    @classmethod
    def from_mapping(cls: type[O], options: Mapping[str, Any] | None) -> O:
        """Options from a user mapping; ValueError names an unknown key or a bad value."""
        if not options:
            return _default(cls)
        try:
            key = tuple(sorted((k, type(v), v) for k, v in options.items()))  # True and 1 stay apart
            hash(key)
        except TypeError:  # lists or dicts inside: build them each time
            return cls._build(options)
        return _cached(cls, key)

    @classmethod
    def fields(cls) -> dict[str, dataclasses.Field]:
        return {f.name: f for f in dataclasses.fields(cls)}

    @classmethod
    def accepts(cls, key: str) -> bool:
        """Whether ``key`` is one of these options (or an alias, an ignored key, a nested config)."""
        return key in _accepted(cls)

    @classmethod
    def canonical(cls, key: str) -> str:
        return cls.ALIASES.get(key, key)

    @classmethod
    def _build(cls: type[O], options: Mapping[str, Any]) -> O:
        items: list[tuple[str, Any]] = []
        for key, value in options.items():
            if key == "config" and cls.NESTED_CONFIG:
                if not isinstance(value, Mapping):
                    raise ValueError("option 'config' must be an object of options (Math-Verify's extraction config)")
                items.extend(value.items())
            else:
                items.append((key, value))
        known = cls.fields()
        kwargs: dict[str, Any] = {}
        given_as: dict[str, str] = {}
        for key, value in items:
            name = cls.canonical(key)
            if name in cls.IGNORED:
                continue
            if name not in known:
                raise ValueError(f"unknown option {key!r}; known options: {', '.join(sorted(known))}")
            if name in given_as:
                raise ValueError(f"option {name!r} is given twice (as {given_as[name]!r} and {key!r})")
            given_as[name] = key
            kwargs[name] = known[name].metadata["parse"](key, value)
        return cls(**kwargs)


@functools.lru_cache(maxsize=None)
def _default(cls: type[O]) -> O:
    return cls()


@functools.lru_cache(maxsize=None)
def _accepted(cls: type[Options]) -> frozenset[str]:
    return frozenset([*cls.fields(), *cls.ALIASES, *cls.IGNORED, *(["config"] if cls.NESTED_CONFIG else [])])


@functools.lru_cache(maxsize=1024)
def _cached(cls: type[O], items: tuple) -> O:
    # Trainers send the same few option sets with every item: parse each once (frozen, so shareable).
    return cls._build({k: v for k, _, v in items})
