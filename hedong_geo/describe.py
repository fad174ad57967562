"""How a feature's status, figures and 街道 read, in Chinese and English (plain text, no HTML).

One home for these phrases, used by the panel, the map's tooltip and the projects table:

- :func:`steps` / :func:`timeline_text`: the status each document states
  (:func:`hedong_geo.citing.timeline`), e.g. ``2024 政府工作报告: 加快建设 (建设中) · 2026 纲要:
  建成 (已建成)``;
- :func:`fact_value` / :func:`headline`: a figure as the plan gives it (``6.53 km²``);
- :func:`street_text`: the 街道 a feature lies in and how surely, said to be an approximate
  zone (the streets layer is not an official boundary).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hedong_geo.citing import timeline
from hedong_geo.i18n import t

__all__ = [
    "Step",
    "fact_value",
    "headline",
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
