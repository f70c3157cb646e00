"""The math verifier's two signals: an answer that is no value, and a leaf only sympy can read."""

from __future__ import annotations

from ..base import NeedsWorker


class ParseError(ValueError):
    """The answer could not be read as any value."""


class NeedsSympy(NeedsWorker):
    """A leaf is not a plain number; parse again inside a worker with sympy."""
