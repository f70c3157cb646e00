"""The verifier registry: one class per family, looked up by name.

Adding a family means adding ``grader/verifiers/<family>/`` with a
:class:`Verifier` subclass and one ``register`` line below; the pipeline, the
server (``ListVerifiers``), the CLI (``--verifier``) and the fuzz and property
tests read this registry.
"""

from __future__ import annotations

from .base import FuzzItem, InvalidItem, ModelQuery, NeedsWorker, Placement, Plan, Verifier
from .options import Options

_REGISTRY: dict[str, Verifier] = {}


def register(verifier: Verifier) -> Verifier:
    if verifier.name in _REGISTRY:
        raise ValueError(f"a verifier named {verifier.name!r} is already registered")
    _REGISTRY[verifier.name] = verifier
    return verifier


def get(name: str) -> Verifier | None:
    return _REGISTRY.get(name)


def names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def all_verifiers() -> tuple[Verifier, ...]:
    return tuple(_REGISTRY.values())


def markdown_table() -> str:
    """The registered verifiers and their options as the README's Markdown table (``grader verifiers``)."""
    rows = ["| verifier | option | default | meaning |", "|---|---|---|---|"]
    for v in all_verifiers():
        rows.append(f"| `{v.name}` | | | {v.description} {_WHERE[v.placement]} |")
        for name, f in v.options_type.fields().items():
            aliases = [a for a, target in v.options_type.ALIASES.items() if target == name]
            alias = f" (alias {', '.join(f'`{a}`' for a in aliases)})" if aliases else ""
            default = "none" if f.default is None else _show(f.default)
            rows.append(f"| | `{name}`{alias} | {default} | {f.metadata['help']} |")
    return "\n".join(rows)


_WHERE = {Placement.INLINE: "Grades inline.", Placement.WORKER: "Grades inline, in a killable worker when needed.",
          Placement.SANDBOX: "Runs code in the sandbox."}


def _show(value: object) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(map(str, value)) + "]" if value else "[]"
    return f"`{str(value).lower() if isinstance(value, bool) else value}`"


from .choice import MultipleChoiceVerifier  # noqa: E402  (registration order is the listing order)
from .code import CodeVerifier  # noqa: E402
from .graders import GraderVerifier  # noqa: E402
from .exact import ExactVerifier  # noqa: E402
from .ifeval import IFEvalVerifier  # noqa: E402
from .math import MathVerifier  # noqa: E402
from .qa import QAVerifier  # noqa: E402

register(MathVerifier())
register(MultipleChoiceVerifier())
register(ExactVerifier())
register(IFEvalVerifier())
register(CodeVerifier())
register(GraderVerifier())
register(QAVerifier())

__all__ = ["FuzzItem", "InvalidItem", "ModelQuery", "NeedsWorker", "Options", "Placement", "Plan", "Verifier",
           "all_verifiers", "get", "markdown_table", "names", "register"]
