"""How a feature's status, figures and 街道 read, in Chinese and English (plain text, no HTML).

One home for these phrases, used by the panel, the map's tooltip and the projects table:

- :func:`steps` / :func:`timeline_text`: the status each document states
  (:func:`hedong_geo.citing.timeline`), e.g. ``2024 政府工作报告: 加快建设 (建设中) · 2026 纲要:
  建成 (已建成)``;
- :func:`fact_value` / :func:`headline`: a figure as the plan gives it (``6.53 km²``);
- :func:`street_text`: the 街道 a feature lies in and how surely, said to be an approximate
  zone (the streets layer is not an official boundary);
- :func:`source_words`: where its geometry comes from, in plain words (no ids);
- :func:`summary`: what the plan says about it, in the language asked for, written from its
  passages' stances, its figures and where it lies.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from hedong_geo import places
from hedong_geo.citing import timeline
from hedong_geo.i18n import counted, t
from hedong_geo.paths import CONTEXT_DIR
from hedong_geo.places import OSM_ATTRIBUTION
from hedong_geo.register import load_register
from hedong_geo.stance import GAP

__all__ = [
    "Step",
    "fact_value",
    "headline",
    "source_words",
    "steps",
    "street_text",
    "timeline_text",
]

# The kinds a tooltip or a table leads with, in this order (what a planner quotes first).
HEADLINE_KINDS = (
    "area_km2",
    "area_wan_m2",
    "floor_area_wan_m2",
    "height_m",
    "length_km",
    "investment_yi",
    "completion_year",
)


# A passage's words stand in for a figure in a tooltip only when they are this short.
SHORT_WORDS = 16


@dataclass(frozen=True)
class Step:
    """One document's word on a project: ``2024 政府工作报告: 加快建设 (建设中)``."""

    doc: str
    year: int
    document: str  # the document's short title in the language asked for
    stance: str  # planned, to_start, under_way, done, existing
    label: str  # the stance in the language asked for
    words: str  # the words of the passage that say it
    block: str

    @property
    def telling_words(self) -> str:
        """``words`` if they say something on their own (two characters or more), else "":
        "以", "即" or "在" only tie the place into its sentence, and quoted alone in a summary
        they read as noise."""
        return self.words if len(self.words.replace(GAP, "")) >= 2 else ""

    def text(self) -> str:
        """The step as one line of text."""
        if self.document.isascii():
            said = f"“{self.words}” " if self.words else ""
            return f"{self.year} {self.document}: {said}({self.label})"
        said = f"“{self.words}”" if self.words else ""
        return f"{self.year} {self.document}：{said}（{self.label}）"


def steps(citations: Iterable[Mapping[str, Any]] | None, lang: str = "zh") -> list[Step]:
    """The status each document states about a feature, oldest document first."""
    return [
        Step(
            doc=s["doc"],
            year=int(s["year"]),
            document=t(f"doc_short_{s['doc']}", lang),
            stance=s["stance"],
            label=t(f"stance_{s['stance']}", lang),
            words=s["words"],
            block=s["block"],
        )
        for s in timeline(list(citations or []))
    ]


def timeline_text(citations: Iterable[Mapping[str, Any]] | None, lang: str = "zh") -> str:
    """The timeline as one line: the steps joined by `` · `` (empty when nothing is stated)."""
    return " · ".join(step.text() for step in steps(citations, lang))


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def fact_value(fact: Mapping[str, Any], lang: str = "zh") -> str:
    """A figure with its unit: ``6.53 km²``, ``37 万 m²``, ``2027 年`` / ``2027``, ``12 firms``
    (a count's own unit is English data: in Chinese the number stands alone, its passage's words
    say what is counted)."""
    number = _number(fact["value"])
    kind, unit = fact["kind"], fact["unit"]
    if kind == "completion_year":
        return f"{number} 年" if lang == "zh" else number
    if kind == "count":
        return number if lang == "zh" else f"{number} {unit}"
    if kind == "days":
        return f"{number} 天" if lang == "zh" else f"{number} days"
    return f"{number} {unit}" if unit not in ("%",) else f"{number}%"


def fact_label(fact: Mapping[str, Any], lang: str = "zh") -> str:
    """What the figure measures, in ``lang`` (``建筑面积`` / ``floor area``)."""
    return t(f"fact_{fact['kind']}", lang)


def headline(facts: Iterable[Mapping[str, Any]] | None, lang: str = "zh", most: int = 2) -> str:
    """The figures a tooltip leads with: up to ``most`` of the feature's sizes, costs and dates
    (``面积 6.53 km² · 完成年份 2027 年``); failing those, its other figures as the text gives
    them (in Chinese the passage's own words when short: a count means nothing without what it
    counts). Empty when the texts give none."""
    facts = list(facts or [])
    rank = {kind: i for i, kind in enumerate(HEADLINE_KINDS)}
    sized = sorted((f for f in facts if f["kind"] in rank), key=lambda f: rank[f["kind"]])
    if sized:
        lines = [f"{fact_label(f, lang)} {fact_value(f, lang)}" for f in sized]
    elif lang == "zh":
        lines = [f["words"] for f in facts if len(f["words"]) <= SHORT_WORDS]
    else:
        lines = [f"{fact_label(f, lang)} {fact_value(f, lang)}" for f in facts]
    return " · ".join(list(dict.fromkeys(lines))[:most])


def street_text(name: str | None, confidence: str | None, lang: str = "zh") -> str | None:
    """The 街道 line: ``二号桥街道（可能位于 · 近似范围）`` / ``Erhaoqiao Subdistrict (likely in —
    approximate zone)``; the unknown case says so; None when there is nothing to say (an
    unlocated feature, a 街道 itself)."""
    if confidence == "unknown":
        return t("street_unknown", lang)
    if not name or confidence not in ("certain", "likely"):
        return None
    how, zone = t(f"street_{confidence}", lang), t("street_zone_note", lang)
    return f"{name}（{how} · {zone}）" if lang == "zh" else f"{name} ({how} — {zone})"


# --- where a feature's geometry comes from, in plain words -----------------------------------


@lru_cache(maxsize=1)
def _recipes() -> dict[str, dict[str, Any]]:
    """Each register entry's geometry (recipe and arguments), by feature id."""
    return {entry.id: dict(entry.geometry) for entry in load_register()}


@lru_cache(maxsize=1)
def _place_names() -> dict[str, dict[str, str]]:
    """The names of the OSM objects and reference points recipes name, by their id."""
    names = {pid: {"zh": poi.name, "en": poi.name} for pid, poi in places.load_pois().items()}
    data = json.loads((CONTEXT_DIR / "reference_points.geojson").read_text(encoding="utf-8"))
    for feature in data["features"]:
        p = feature["properties"]
        names[p["ref_id"]] = {"zh": p["name_zh"], "en": p["name_en"]}
    return names


def source_words(
    feature_id: str, basis: str, accuracy_m: float | None, located: bool, lang: str = "zh"
) -> str:
    """Where a feature's geometry comes from, for people: ``位置取自 OpenStreetMap 上的「棉3创意
    街区」，误差约 250 米。`` / ``Placed at “棉3创意街区” on OpenStreetMap, to within about
    250 m.``, with the OpenStreetMap credit where OSM data is used. No ids and no developer
    notes (those stay in the layer's ``geometry_source``); a feature the register does not
    know is described by its location basis alone."""
    geometry = _recipes().get(feature_id, {})
    recipe = geometry.get("recipe") if located else "unlocated"
    if recipe is None:
        recipe = f"basis_{basis}"
    elif recipe == "osm" and geometry.get("also"):
        recipe = "osm_circle"
    named = _place_names().get(geometry.get("poi") or geometry.get("ref") or "", {})
    fields = {
        "name": named.get(lang, ""),
        "accuracy": f"{accuracy_m:.0f}" if accuracy_m else "",
        "width": geometry.get("width_m", ""),
        "length": geometry.get("length_km", ""),
        "area": geometry.get("area_km2", ""),
    }
    words = t(f"source_{recipe}", lang).format(**fields)
    if recipe.startswith("osm"):
        words += " " + OSM_ATTRIBUTION
    return words


def summary(
    name: str,
    layer_title: str,
    timeline: Iterable[Step],
    facts: Iterable[Mapping[str, Any]],
    street: tuple[str | None, str | None] | None,
    passages: int,
    lang: str = "en",
) -> str:
    """What the plan says about a feature, in a few sentences written from its passages: its
    layer, what each document states (the stance read from the passage, its words quoted),
    the figures the texts give, its 街道 (``street``: its name and how surely, as the build
    found them) and how many passages name it. For a reader of
    ``lang`` who cannot read the Chinese passages the panel quotes (English): ``Tianjin
    Station is in the layer “一站 The station”. The 2024 Work Report states it as existing
    (“…”). …``"""
    parts = [t("summary_lead", lang).format(name=name, layer=layer_title)]
    parts += [
        t("summary_step" if s.telling_words else "summary_step_plain", lang).format(
            year=s.year, document=s.document, label=s.label, words=s.telling_words
        )
        for s in timeline
    ]
    figures = [f"{fact_label(f, lang)} {fact_value(f, lang)}" for f in facts]
    if figures:
        parts.append(t("summary_figures", lang).format(figures="; ".join(dict.fromkeys(figures))))
    name_of_street, confidence = street or (None, None)
    if confidence == "unknown" or (name_of_street and confidence):  # certain, likely
        parts.append(t(f"summary_street_{confidence}", lang).format(street=name_of_street))
    key = "summary_passages_none" if not passages else "summary_passages"
    parts.append(counted(key, passages, lang))
    return " ".join(parts)
