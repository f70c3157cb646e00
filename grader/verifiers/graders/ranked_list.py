"""``ranked_list``: where the right item lands in the response's ranked list (OpenAI's biology example:
rank the genes that could cause a rare disease). Not an OpenAI type; OpenAI never published its formula,
so this is ours.

**The list.** Read from the rendered ``input`` (default ``{{sample.output_text}}``; a field such as
``{{sample.output_json.genes}}`` renders as a JSON array), in its answer section (the last
``<answer>…</answer>``, else what follows ``</think>``, else all of it):

1. a JSON array (a fenced ```json block around one too): its items in order;
2. else its numbered (``1.``, ``1)``, ``(1)``, ``#1``) or bulleted (``-``, ``*``, ``•``, ``+``) lines, in
   order, other lines ignored; a line's name ends before the first `` - ``, `` – ``, `` — ``, ``: `` or
   `` (`` (``1. **BRCA1** (DNA repair)`` names ``BRCA1``);
3. else a JSON array inside the text (``My ranking: ["A", "B"].``);
4. else one item per line, or, on one line, items separated by commas or semicolons.

**Matching** (``match``): ``normalized`` (default) compares keys: NFKC, casefolded, Greek letters spelled
out (``α`` -> ``alpha``), every character that is not a letter or a digit dropped, so ``BRCA-1``,
``brca1`` and ``BRCA 1`` are one name, as are ``TNF-α`` and ``TNF-alpha``, ``HLA-B*27`` and ``HLA-B27``;
``fuzzy`` compares the same keys with rapidfuzz ``fuzz.ratio / 100 >= threshold`` (default 0.9; short
symbols differ by one character, BRCA1/BRCA2 score 0.8); ``exact`` compares the stripped text.

**The rank.** The references (the rendered ``reference``, default the item's references; a JSON array
gives several) are accepted names of one right answer: list every synonym. Items with the same key count
once, at their first place, and only the first ``max_items`` distinct items (default 100) are read (and at
most ten times as many items in all, repeats included): an item beyond them is not ranked at all, so a
response listing 10,000 genes gains nothing for the ones past ``max_items`` (and under ``top_k`` nothing
past ``k``). ``r`` is the 1-based place, among those distinct
items, of the first one matching any reference. The score (``scoring``), 0 when nothing matches:

- ``reciprocal_rank`` (default): ``1 / r``;
- ``top_1``: 1 when ``r = 1``;
- ``top_k``: 1 when ``r <= k`` (``k`` required);
- ``exponential``: ``decay ** (r - 1)`` (``decay`` in (0, 1), default 0.5).
"""

from __future__ import annotations

import itertools
import json
import re
import unicodedata
from typing import Any, Iterator, Mapping

from ...types import Check, clip
from ..qa.squad import final_answer, reference_answers
from . import field_checks
from .kinds import GraderKind, Sample, Scored, field_error, passes, register

SCORINGS = ("reciprocal_rank", "top_1", "top_k", "exponential")
MATCHES = ("normalized", "fuzzy", "exact")
MAX_ITEMS, MAX_ITEMS_LIMIT = 100, 10_000
RAW_ITEMS_PER_ITEM = 10  # items read in all, repeats included, per distinct item allowed

_GREEK = str.maketrans({letter: name for letter, name in zip(
    "αβγδεζηθικλμνξοπρσςτυφχψω",
    ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu", "nu",
     "xi", "omicron", "pi", "rho", "sigma", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega"])})
_NOT_ALNUM = re.compile(r"[\W_]+")
# Linear on hostile text: no lazy group before a trailing-space run, no \s+ before the dash (each would
# rescan a long run of spaces from every position in it).
_MARKED_LINE = re.compile(r"^[ \t]*(?:\d{1,4}[.):]|\(\d{1,4}\)|#\d{1,4}[.:)]?|[-*•+])[ \t]+(\S[^\n]*)", re.M)
_NAME_END = re.compile(r"\s[-–—]\s|:\s|\s\(")
_LINE, _SEPARATED = re.compile(r"[^\r\n]+"), re.compile(r"[^,;]+")
_FENCE = re.compile(r"^```[A-Za-z]*\n(.*?)\n?```$", re.S)


def name_key(name: str) -> str:
    """The normalized key: ``TNF-α`` and ``tnf alpha`` -> ``tnfalpha``."""
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", name).casefold().translate(_GREEK))


def ranked_items(text: str) -> Iterator[str]:
    """The list's item texts, in order (duplicates included)."""
    text = final_answer(text)
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    listed = _json_list(text) if text.startswith("[") else None
    if listed is not None:
        return listed
    if _MARKED_LINE.search(text):
        return (_line_name(m.group(1)) for m in _MARKED_LINE.finditer(text))
    listed = _json_list(text[text.find("["):text.rfind("]") + 1]) if "[" in text else None
    if listed is not None:  # "My ranking: ["A", "B"]."
        return listed
    parts = _LINE if "\n" in text.strip() else _SEPARATED  # one item a line, else comma-separated
    return (m.group().strip() for m in parts.finditer(text))


def _json_list(text: str) -> Iterator[str] | None:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return (v if isinstance(v, str) else json.dumps(v) for v in value) if isinstance(value, list) else None


def _line_name(line: str) -> str:
    return _NAME_END.split(line, maxsplit=1)[0].strip().strip("*_`").strip()


class Matcher:
    """Whether an item names a reference, under one ``match`` mode."""

    def __init__(self, mode: str, threshold: float, references: list[str]) -> None:
        self.mode, self.threshold = mode, threshold
        self.references = {self.key(r): r for r in references if self.key(r)}

    def key(self, name: str) -> str:
        return name.strip() if self.mode == "exact" else name_key(name)

    def find(self, key: str) -> str | None:
        """The reference the item's key names, if any."""
        if key in self.references:
            return self.references[key]
        if self.mode == "fuzzy":
            from rapidfuzz import fuzz

            cutoff = self.threshold * 100
            for ref_key, reference in self.references.items():
                if fuzz.ratio(key, ref_key, score_cutoff=cutoff):
                    return reference
        return None


def rank_of(items: Iterator[str], matcher: Matcher, max_items: int) -> tuple[int | None, int, str, str]:
    """(the 1-based rank of the first match or None, the distinct items read, the item, the reference).
    Reading stops after ``max_items`` distinct items, or ``RAW_ITEMS_PER_ITEM * max_items`` in all."""
    seen: set[str] = set()
    for item in itertools.islice(items, RAW_ITEMS_PER_ITEM * max_items):
        key = matcher.key(item)
        if not key or key in seen:
            continue
        seen.add(key)
        reference = matcher.find(key)
        if reference is not None:
            return len(seen), len(seen), item, reference
        if len(seen) >= max_items:
            break
    return None, len(seen), "", ""


def rank_score(rank: int | None, scoring: str, k: int, decay: float) -> float:
    if rank is None:
        return 0.0
    if scoring == "reciprocal_rank":
        return 1.0 / rank
    if scoring == "exponential":
        return decay ** (rank - 1)
    return float(rank <= (1 if scoring == "top_1" else k))


class RankedList(GraderKind):
    type = "ranked_list"
    fields = frozenset({"input", "reference", "scoring", "k", "decay", "match", "threshold", "max_items"})

    def validate(self, config: Mapping[str, Any], where: str, depth: int) -> None:
        field_checks.templates(config, where, "input", "reference")
        field_checks.choice(config, where, "scoring", SCORINGS)
        field_checks.choice(config, where, "match", MATCHES)
        scoring = config.get("scoring", "reciprocal_rank")
        field_checks.integer(config, where, "max_items", 1, MAX_ITEMS_LIMIT)
        field_checks.integer(config, where, "k", 1, config.get("max_items", MAX_ITEMS), required=scoring == "top_k")
        field_checks.only_with(config, where, "k", scoring == "top_k", "with scoring top_k")
        field_checks.number(config, where, "decay", 0.0, 1.0, above_low=True)
        field_checks.only_with(config, where, "decay", scoring == "exponential", "with scoring exponential")
        field_checks.number(config, where, "threshold", 0.0, 1.0, above_low=True)
        field_checks.only_with(config, where, "threshold", config.get("match") == "fuzzy", "with match fuzzy")
        if config.get("decay") == 1.0:
            raise field_error(f"{where}.decay", "must be below 1 (1 gives every rank full marks)")

    def score(self, config: Mapping[str, Any], sample: Sample) -> Scored:
        name = config.get("name") or self.type
        references = reference_answers(field_checks.reference_texts(config, sample))
        matcher = Matcher(config.get("match", "normalized"), config.get("threshold", 0.9), references)
        if not matcher.references:
            return Scored(0.0, [Check(name, False, 0.0, "the reference names no item")])
        max_items = field_checks.integer_of(config, "max_items", MAX_ITEMS)
        rank, read, item, reference = rank_of(ranked_items(field_checks.response(config, sample)), matcher, max_items)
        score = rank_score(rank, config.get("scoring", "reciprocal_rank"), field_checks.integer_of(config, "k", 1),
                           config.get("decay", 0.5))
        reason = (f"rank {rank}: {clip(item, 200)!r} names {clip(reference, 200)!r}" if rank is not None else
                  f"none of the {read} distinct items read (at most {max_items}) names a reference")
        return Scored(score, [Check(name, passes(config, score), score, reason)])


register(RankedList())
