"""``format``: the response's layout, the format term of R1-style rewards; 1 when every rule asked for holds,
else 0, with the check naming each rule that failed.

The answer is looked for after the last ``</think>`` (the whole ``input`` where there is none). Rules, at
least one:

- ``think``: the text begins with ``<think>`` (leading whitespace allowed) and has one ``</think>``, and
  opens no second think block;
- ``answer_tag`` (a tag name such as ``answer``): exactly one ``<answer>…</answer>``, not blank inside;
- ``boxed``: a ``\\boxed{…}`` with balanced braces (inside the answer tag when both are asked);
- ``nothing_after``: only whitespace after the answer's end (the closing tag with ``answer_tag``, else
  the last box's closing brace); needs ``answer_tag`` or ``boxed``.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from ...types import Check
from . import field_checks
from .kinds import GraderKind, Sample, Scored, field_error, passes, register

_TAG_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,31}")
BOX = "\\boxed{"


def box_end(text: str) -> int | None:
    """The index just past the closing brace of the last ``\\boxed{…}``, None if there is none or it never closes."""
    start = text.rfind(BOX)
    if start < 0:
        return None
    depth = 0
    for i in range(start + len(BOX) - 1, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i + 1
    return None


def layout_failures(text: str, think: bool, tag: str | None, boxed: bool, nothing_after: bool) -> list[str]:
    """What breaks the asked layout, one phrase a rule; empty when it holds."""
    failures: list[str] = []
    closed = text.rfind("</think>")
    if think:
        if not text.lstrip().startswith("<think>"):
            failures.append("does not begin with <think>")
        elif closed < 0:
            failures.append("<think> is never closed")
        elif text.count("<think>") > 1 or text.count("</think>") > 1:
            failures.append("more than one think block")
    rest = text[closed + len("</think>"):] if closed >= 0 else text
    answer, end = rest, None
    if tag:
        opening, closing = f"<{tag}>", f"</{tag}>"
        opened, shut = rest.count(opening), rest.count(closing)
        first, last = rest.find(opening), rest.find(closing)
        if opened != 1 or shut != 1 or last < first:
            failures.append(f"not exactly one {opening}…{closing} (found {opened} {opening}, {shut} {closing})")
        elif not rest[first + len(opening):last].strip():
            failures.append(f"{opening}…{closing} is empty")
        else:
            answer, end = rest[first + len(opening):last], last + len(closing)
    if boxed:
        found = box_end(answer)
        if found is None:
            failures.append("no closed \\boxed{…}" + (f" in <{tag}>" if tag else ""))
        elif not tag:
            end = found
    if nothing_after and end is not None and rest[end:].strip():
        failures.append(f"{len(rest[end:].strip())} characters after the answer")
    return failures


class Format(GraderKind):
    type = "format"
    fields = frozenset({"input", "think", "answer_tag", "boxed", "nothing_after"})

    def validate(self, config: Mapping[str, Any], where: str, depth: int) -> None:
        field_checks.templates(config, where, "input")
        for key in ("think", "boxed", "nothing_after"):
            field_checks.flag(config, where, key)
        tag = config.get("answer_tag")
        if tag is not None and not (isinstance(tag, str) and _TAG_NAME.fullmatch(tag)):
            raise field_error(f"{where}.answer_tag", "must be a tag name such as 'answer' (letters, digits, _ or -)")
        if config.get("nothing_after") and not (tag or config.get("boxed")):
            raise field_error(f"{where}.nothing_after", "needs answer_tag or boxed (what the answer's end is)")
        if not (config.get("think") or tag or config.get("boxed")):
            raise field_error(where, "a format grader needs at least one of think, answer_tag, boxed")

    def score(self, config: Mapping[str, Any], sample: Sample) -> Scored:
        failures = layout_failures(field_checks.response(config, sample), config.get("think", False),
                                   config.get("answer_tag"), config.get("boxed", False),
                                   config.get("nothing_after", False))
        score = 0.0 if failures else 1.0
        return Scored(score, [Check(config.get("name") or self.type, passes(config, score), score,
                                    "; ".join(failures))])


register(Format())
