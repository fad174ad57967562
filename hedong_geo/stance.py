"""What each passage states about a place: planned, to start, under way, done, existing or none.

A project's status is not one value: the 2024 report and the 2026 plan each say something about
it, in their own tense. :func:`stance` reads one mention by the rules in
``geodata/review/stance_rules.yaml`` (the verbs governing the mention in its sentence, the tense
of that part of the document) and returns the stance with the exact words that state it and the
rule that fired. A sentence no rule knows gives ``none`` with the reason: the rules never guess.
Reviewed corrections live in ``geodata/review/stance_overrides.csv`` and win over the rules
(:func:`citation_stance`). Pure functions over text: no dependency on the built layers.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from hedong_geo import plan, schema, text
from hedong_geo._errors import LayerError
from hedong_geo.paths import GEODATA

__all__ = [
    "OVERRIDES",
    "RULES",
    "STANCES",
    "Override",
    "Rules",
    "Stance",
    "citation_stance",
    "current",
    "load_overrides",
    "load_rules",
    "register_status",
    "stance",
    "tense",
    "words_in",
]

REVIEW = GEODATA / "review"
RULES = REVIEW / "stance_rules.yaml"
OVERRIDES = REVIEW / "stance_overrides.csv"
STANCES = schema.vocabulary("stance")  # declared with the layer schema
MARK = "@"
WORD_GROUPS = ("w", "w2", "w3")
GAP = "…"  # joins the pieces of ``Stance.words`` that stand apart in the text


@dataclass(frozen=True)
class Stance:
    """The stance of one passage about one place.

    ``words`` is the exact text that states it (pieces standing apart joined by ``…``), ``rule``
    the rule (or ``override``) that gave it, ``reason`` why it is ``none`` (empty otherwise).
    """

    stance: str
    words: str
    rule: str
    tense: str
    reason: str = ""


@dataclass(frozen=True)
class Rule:
    id: str
    stance: str
    patterns: tuple[re.Pattern[str], ...]
    tenses: tuple[str, ...]


@dataclass(frozen=True)
class Rules:
    """The parsed rule file: the rules in order, the tenses by block prefix, the mappings."""

    rules: tuple[Rule, ...]
    tenses: tuple[tuple[str, str, str], ...]
    register_status: dict[str, str]
    strength: tuple[str, ...]


@dataclass(frozen=True)
class Override:
    """A reviewed stance for one (feature, block) where the rules are wrong or cannot apply."""

    feature_id: str
    block_id: str
    stance: str
    words: str
    reason: str


def _parse_rules(data: Any, where: str) -> Rules:
    problems: list[str] = []
    rules = []
    for i, raw in enumerate(data.get("rules") or []):
        label = f"{where}: rule {i} ({raw.get('id', '?')!r})"
        if raw.get("stance") not in STANCES:
            problems.append(f"{label}: stance {raw.get('stance')!r} is not one of {STANCES}")
            continue
        given = raw.get("pattern")
        try:
            patterns = tuple(re.compile(p) for p in ([given] if isinstance(given, str) else given))
        except (TypeError, re.error) as exc:
            problems.append(f"{label}: bad or missing pattern: {exc}")
            continue
        if not patterns or any(not set(p.groupindex) & set(WORD_GROUPS) for p in patterns):
            problems.append(f"{label}: a pattern names no words group (?P<w>...)")
        rules.append(Rule(raw["id"], raw["stance"], patterns, tuple(raw.get("tenses") or ())))
    tenses = tuple((t["prefix"], t["tense"], str(t["period"])) for t in data.get("tenses") or ())
    if problems:
        raise LayerError(f"{len(problems)} problem(s):\n  " + "\n  ".join(problems))
    return Rules(tuple(rules), tenses, dict(data["register_status"]), tuple(data["strength"]))


@lru_cache(maxsize=4)
def load_rules(path: str | Path = RULES) -> Rules:
    """Read and check the stance rules (cached); a bad rule raises naming the file and the rule."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise LayerError(f"{path.name}: cannot read the stance rules: {exc}") from None
    return _parse_rules(data, path.name)


def tense(block_id: str, rules: Rules | None = None) -> tuple[str, str]:
    """The tense (``past``, ``present``, ``plan``) and period of the part holding ``block_id``."""
    rules = rules or load_rules()
    for prefix, name, period in rules.tenses:
        if block_id.startswith(prefix):
            return name, period
    return "plan", ""


def stance(block_text: str, start: int, end: int, block_id: str) -> Stance:
    """The stance of the passage about the place mentioned at ``block_text[start:end]``.

    Parameters
    ----------
    block_text : str
        The block's text (``plan.block(block_id).text``).
    start, end : int
        The mention's offsets.
    block_id : str
        Where the text stands: it gives the tense (a review or a plan) and the block kind.

    Returns
    -------
    Stance
        ``none`` with a reason when the block is a heading or no rule matches.
    """
    rules = load_rules()
    when, _ = tense(block_id, rules)
    if plan.has_block(block_id) and plan.block(block_id).kind == "heading":
        return Stance("none", "", "heading", when, "a heading names the place, it states nothing")
    left, right = text.sentence_span(block_text, start, end)
    marked = block_text[left:start] + MARK + block_text[end:right]

    def where(i: int) -> int:  # an offset in ``marked`` → an offset in ``block_text``
        at = start - left
        return left + i if i <= at else end + (i - at - len(MARK))

    for rule in rules.rules:
        if rule.tenses and when not in rule.tenses:
            continue
        for pattern in rule.patterns:
            found = pattern.search(marked)
            if found is None:
                continue
            pieces = [
                block_text[where(found.start(g)) : where(found.end(g))]
                for g in WORD_GROUPS
                if g in pattern.groupindex and found.group(g) is not None
            ]
            return Stance(rule.stance, GAP.join(pieces), rule.id, when)
    return Stance("none", "", "", when, f"no rule knows the words around the mention: {marked!r}")


def words_in(words: str, block_text: str) -> bool:
    """Whether every piece of ``words`` (pieces joined by ``…``) stands in ``block_text``."""
    pieces = [p for p in words.split(GAP) if p]
    return bool(pieces) and all(p in block_text for p in pieces)


@lru_cache(maxsize=4)
def load_overrides(path: str | Path = OVERRIDES) -> dict[tuple[str, str], Override]:
    """The reviewed stances, keyed by ``(feature_id, block_id)``; every row is checked."""
    path = Path(path)
    problems = []
    out: dict[tuple[str, str], Override] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            o = Override(**{k: (row.get(k) or "").strip() for k in Override.__annotations__})
            where = f"{path.name} line {line} ({o.feature_id}, {o.block_id})"
            if o.stance not in STANCES:
                problems.append(f"{where}: stance {o.stance!r} is not one of {STANCES}")
            elif not plan.has_block(o.block_id):
                problems.append(f"{where}: no block {o.block_id!r}")
            elif o.stance != "none" and not words_in(o.words, plan.block(o.block_id).text):
                problems.append(f"{where}: the words {o.words!r} are not in the passage")
            elif not o.reason:
                problems.append(f"{where}: say why the rules are wrong (reason)")
            if (o.feature_id, o.block_id) in out:
                problems.append(f"{where}: a second override for the same passage")
            out[(o.feature_id, o.block_id)] = o
    if problems:
        raise LayerError(f"{len(problems)} problem(s):\n  " + "\n  ".join(problems))
    return out


def citation_stance(
    feature_id: str,
    block_id: str,
    marks: list[list[int]] | list[tuple[int, int]],
    overrides: dict[tuple[str, str], Override] | None = None,
) -> Stance:
    """The stance of one citation: the reviewed override, else the strongest of its mentions.

    A citation added by review (``cite_extra``) where none of the feature's names stands has no
    marks: without an override its stance is ``none``, with the reason.
    """
    overrides = load_overrides() if overrides is None else overrides
    when, _ = tense(block_id)
    if (feature_id, block_id) in overrides:
        o = overrides[(feature_id, block_id)]
        return Stance(o.stance, o.words, "override", when, o.reason if o.stance == "none" else "")
    block_text = plan.block(block_id).text
    found = [stance(block_text, a, b, block_id) for a, b in marks]
    if not found:
        return Stance("none", "", "", when, "no mention of the feature's names: needs an override")
    order = load_rules().strength
    return min(found, key=lambda s: order.index(s.stance))


def current(timeline: list[tuple[str, Stance]]) -> str:
    """A feature's current stance from its timeline: what the latest document says.

    ``timeline`` holds ``(block_id, Stance)`` in document order. Of the latest document's
    passages, what its plan part says of the project (anything but ``existing``) outranks its
    review of past years, the plan being later in time; where the plan only refers to the place,
    the strongest stance of the whole document stands (``国能集团天津电力…相继落地`` in the review,
    ``依托国能集团天津电力`` in the plan: done). ``none`` if the document states nothing.
    """
    if not timeline:
        return "none"
    docs = [b.split(".", 1)[0] for b, _ in timeline]
    latest = max(docs, key=lambda d: plan.document(d).date)
    said = [s for b, s in timeline if b.split(".", 1)[0] == latest and s.stance != "none"]
    if not said:
        return "none"
    order = load_rules().strength
    planned = [s for s in said if s.tense == "plan" and s.stance != "existing"]
    pool = planned or said
    return min(pool, key=lambda s: order.index(s.stance)).stance


def register_status(stance_name: str) -> str | None:
    """The register's status for a stance (``to_start`` is ``planned``); None for ``none``."""
    return load_rules().register_status.get(stance_name)
