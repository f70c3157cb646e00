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


def option(default: Any, parse: Parser, help: str) -> Any:
    """A dataclass field with its parser and help text."""
    return dataclasses.field(default=default, metadata={"parse": parse, "help": help})


@dataclass(frozen=True)
class Options:
    """Options every verifier reads. Subclasses add their own fields, aliases and ignored keys."""

    # Other graders' names for our options (Math-Verify's, say); keys that are accepted and ignored.
    ALIASES: ClassVar[dict[str, str]] = {"timeout_seconds": "timeout"}
    IGNORED: ClassVar[frozenset[str]] = frozenset()

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
        return key in cls.fields() or key in cls.ALIASES or key in cls.IGNORED or key == "config"

    @classmethod
    def _build(cls: type[O], options: Mapping[str, Any]) -> O:
        flat: dict[str, Any] = {}
        for key, value in options.items():
            if key == "config" and isinstance(value, Mapping):  # Math-Verify's nested extraction config
                flat.update(value)
            else:
                flat[key] = value
        known = cls.fields()
        kwargs: dict[str, Any] = {}
        for key, value in flat.items():
            key = cls.ALIASES.get(key, key)
            if key in cls.IGNORED:
                continue
            if key not in known:
                raise ValueError(f"unknown option {key!r}; known options: {', '.join(sorted(known))}")
            kwargs[key] = known[key].metadata["parse"](key, value)
        return cls(**kwargs)


@functools.lru_cache(maxsize=None)
def _default(cls: type[O]) -> O:
    return cls()


@functools.lru_cache(maxsize=1024)
def _cached(cls: type[O], items: tuple) -> O:
    # Trainers send the same few option sets with every item: parse each once (frozen, so shareable).
    return cls._build({k: v for k, _, v in items})
