"""The feature register, ``geodata/features.yaml``: one entry per place the plan names.

The register is data, not code. :func:`load_register` reads it, checks every entry and raises
once with every problem found, so a reviewer fixes them all in one pass.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from hedong_geo._errors import LayerError
from hedong_geo.layers import BASES, GROUPS, STATUSES
from hedong_geo.paths import GEODATA

REGISTER = GEODATA / "features.yaml"
LAYER_TITLES = GEODATA / "layers.json"
FIGURES = GEODATA / "figures.json"
RECIPES = {
    "district": set(),
    "frontage": set(),
    "belt": {"width_m", "accuracy_m"},
    "frontage_segment": {"from", "to", "width_m", "accuracy_m"},
    "reference": {"ref"},
    "near": {"ref", "basis", "accuracy_m"},
    "station_zone": {"area_km2", "hub", "south", "accuracy_m"},
    "station_zone_whole": {"area_km2", "hub", "accuracy_m"},
    "park": {"side_m", "anchor", "accuracy_m"},
    "quadrant": {"which"},
    "inside": {"parent"},
    "tributary": {"length_km", "accuracy_m"},
    "points_of": {"layers"},
    "unlocated": set(),
}
_ID = re.compile(r"^[a-z0-9_.-]+$")


@dataclass(frozen=True)
class Entry:
    """One place of the register. ``geometry`` holds the recipe name and its arguments."""

    id: str
    name_zh: str
    name_en: str
    layer: str
    group: str
    category: str
    status: str
    geometry: dict[str, Any]
    aliases: tuple[str, ...] = ()
    status_year: int | None = None
    cross_district: bool = False
    parent: str | None = None
    anchors: tuple[str, ...] = ()
    note: str | None = None
    cite_exclude_words: tuple[str, ...] = ()
    cite_extra: tuple[tuple[str, str], ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """The Chinese name and every alias, without repeats: what the mention finder seeks."""
        return tuple(dict.fromkeys((self.name_zh, *self.aliases)))


def layer_titles() -> dict[str, dict[str, str]]:
    """Titles (``zh``, ``en``) of every layer, in map order, from ``geodata/layers.json``."""
    return json.loads(LAYER_TITLES.read_text(encoding="utf-8"))


def figures() -> dict[str, list[dict[str, Any]]]:
    """The figures the plan states (areas, lengths, tilings) from ``geodata/figures.json``."""
    return json.loads(FIGURES.read_text(encoding="utf-8"))


def _entry_problems(raw: dict, index: int, titles: dict) -> list[str]:
    where = f"entry {index} ({raw.get('id', '?')!r})"
    problems = []
    for key in ("id", "name_zh", "name_en", "layer", "group", "category", "status", "geometry"):
        if key not in raw:
            problems.append(f"{where}: {key!r} is missing")
    if problems:
        return problems
    if not _ID.match(str(raw["id"])):
        problems.append(f"{where}: id {raw['id']!r} must match [a-z0-9_.-]+")
    if raw["layer"] not in titles:
        problems.append(f"{where}: layer {raw['layer']!r} is not one of {sorted(titles)}")
    if raw["group"] not in GROUPS:
        problems.append(f"{where}: group {raw['group']!r} is not one of {list(GROUPS)}")
    if raw["status"] not in STATUSES:
        problems.append(f"{where}: status {raw['status']!r} is not one of {list(STATUSES)}")
    geometry = raw["geometry"]
    recipe = geometry.get("recipe") if isinstance(geometry, dict) else None
    if recipe not in RECIPES:
        problems.append(f"{where}: recipe {recipe!r} is not one of {sorted(RECIPES)}")
    else:
        missing = RECIPES[recipe] - set(geometry)
        if missing:
            problems.append(f"{where}: recipe {recipe!r} needs {sorted(missing)}")
        if recipe == "near" and geometry.get("basis") not in BASES:
            problems.append(f"{where}: basis {geometry.get('basis')!r} not one of {list(BASES)}")
        if (recipe == "unlocated") != (raw["layer"] == "unlocated"):
            problems.append(f"{where}: the unlocated recipe and layer 'unlocated' go together")
    return problems


def parse_register(data: Any, titles: dict[str, dict[str, str]]) -> list[Entry]:
    """Check a parsed register and turn it into entries; raise once with every problem."""
    if not isinstance(data, list):
        raise LayerError(f"the register must be a list of entries, not {type(data).__name__}")
    problems: list[str] = []
    seen: set[str] = set()
    entries = []
    known = {"id", "name_zh", "name_en", "layer", "group", "category", "status", "geometry"}
    known |= {"aliases", "status_year", "cross_district", "parent", "anchors", "note"}
    known |= {"cite_exclude_words", "cite_extra"}
    for index, raw in enumerate(data):
        if not isinstance(raw, dict):
            problems.append(f"entry {index}: {raw!r} is not a mapping")
            continue
        found = _entry_problems(raw, index, titles)
        if raw.get("id") in seen:
            found.append(f"entry {index}: id {raw['id']!r} is used twice")
        for key in sorted(set(raw) - known):  # a misspelt key would be ignored silently
            found.append(
                f"entry {index} ({raw.get('id')!r}): unknown key {key!r}; "
                f"expected one of {sorted(known)}"
            )
        seen.add(raw.get("id"))
        problems.extend(found)
        if found:
            continue
        entries.append(
            Entry(
                id=raw["id"],
                name_zh=raw["name_zh"],
                name_en=raw["name_en"],
                layer=raw["layer"],
                group=raw["group"],
                category=raw["category"],
                status=raw["status"],
                geometry=dict(raw["geometry"]),
                aliases=tuple(raw.get("aliases") or ()),
                status_year=raw.get("status_year"),
                cross_district=bool(raw.get("cross_district", False)),
                parent=raw.get("parent"),
                anchors=tuple(raw.get("anchors") or ()),
                note=raw.get("note"),
                cite_exclude_words=tuple(raw.get("cite_exclude_words") or ()),
                cite_extra=tuple((c["block"], c["quote"]) for c in raw.get("cite_extra") or ()),
            )
        )
    for entry in entries:
        refs = [entry.parent, entry.geometry.get("parent")]
        for ref in filter(None, refs):
            if ref not in seen:
                problems.append(f"entry {entry.id!r}: parent {ref!r} is not in the register")
    if problems:
        raise LayerError(
            f"{REGISTER.name}: {len(problems)} problem(s):\n  " + "\n  ".join(problems)
        )
    return entries


@lru_cache(maxsize=2)
def load_register(path: str | Path = REGISTER) -> tuple[Entry, ...]:
    """Read and check the register (cached). Raises :class:`LayerError` listing every problem."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise LayerError(f"{path.name}: not valid YAML: {exc}") from None
    return tuple(parse_register(data, layer_titles()))
