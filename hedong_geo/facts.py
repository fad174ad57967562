"""The figures the plan texts give about places, as typed facts checked against the text.

``geodata/review/facts.csv`` holds one row per number the texts state about a place: the feature,
the kind of figure (area, floor area, height, …), its value and unit, a qualifier saying what
exactly it measures ("Hedong part", "main tower"), the block and the exact words holding the
number. :func:`check_facts` verifies every row against the register and the text, so a figure is
never quoted that the passage does not state.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from hedong_geo import plan, schema
from hedong_geo.paths import GEODATA

__all__ = ["FACTS", "KINDS", "Fact", "check_facts", "load_facts", "numbers_in"]

FACTS = GEODATA / "review" / "facts.csv"
# What a figure measures → its unit (None: a count names its own); declared with the layer schema.
KINDS = schema.load()["$defs"]["fact_kind"]["x-units"]
_ARABIC = re.compile(r"\d+(?:\.\d+)?")
_CHINESE = re.compile(r"[零一二两三四五六七八九十百]+")
_DIGITS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


@dataclass(frozen=True)
class Fact:
    """One figure about one place, with the passage that states it."""

    feature_id: str
    kind: str
    value: float
    unit: str
    qualifier: str
    block_id: str
    words: str


def _chinese(numeral: str) -> int:
    """一 → 1, 十五 → 15, 二十 → 20, 一百 → 100 (the small numbers the texts spell out)."""
    total, digit = 0, 0
    for ch in numeral:
        if ch == "百":
            total += (digit or 1) * 100
            digit = 0
        elif ch == "十":
            total += (digit or 1) * 10
            digit = 0
        else:
            digit = _DIGITS[ch]
    return total + digit


def numbers_in(words: str) -> set[float]:
    """Every number written in ``words``, in digits (``6.53``) or in Chinese (``两``, ``十五``)."""
    found = {float(m) for m in _ARABIC.findall(words)}
    found |= {float(_chinese(m)) for m in _CHINESE.findall(words)}
    return found


def load_facts(path: str | Path = FACTS) -> list[Fact]:
    """Read the facts file (not checked: see :func:`check_facts`)."""
    path = Path(path)
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    facts = []
    for line, row in enumerate(rows, start=2):
        try:
            value = float(row["value"])
        except (KeyError, TypeError, ValueError):
            raise ValueError(
                f"{path.name} line {line}: value {row.get('value')!r} is not a number"
            ) from None
        facts.append(
            Fact(
                feature_id=row["feature_id"].strip(),
                kind=row["kind"].strip(),
                value=value,
                unit=row["unit"].strip(),
                qualifier=row["qualifier"].strip(),
                block_id=row["block_id"].strip(),
                words=row["words"],
            )
        )
    return facts


def check_facts(facts: list[Fact], feature_ids: set[str], where: str = FACTS.name) -> list[str]:
    """Every problem with the facts: unknown feature, kind or block; words not in the passage;
    the number not in the words; a unit that does not fit the kind. Empty when all is well."""
    problems = []
    for i, f in enumerate(facts):
        label = f"{where} row {i + 1} ({f.feature_id}, {f.kind} {f.value:g})"
        if f.feature_id not in feature_ids:
            problems.append(f"{label}: no feature {f.feature_id!r} in the register")
        if f.kind not in KINDS:
            problems.append(f"{label}: kind {f.kind!r} is not one of {sorted(KINDS)}")
        elif KINDS[f.kind] is not None and f.unit != KINDS[f.kind]:
            problems.append(f"{label}: unit {f.unit!r} for {f.kind} must be {KINDS[f.kind]!r}")
        if not plan.has_block(f.block_id):
            problems.append(f"{label}: no block {f.block_id!r}")
            continue
        if f.words not in plan.block(f.block_id).text:
            problems.append(f"{label}: the words {f.words!r} are not in {f.block_id}")
        elif f.value not in numbers_in(f.words):
            problems.append(f"{label}: the number {f.value:g} is not in the words {f.words!r}")
    return problems
