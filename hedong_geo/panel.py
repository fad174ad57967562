"""What the detail panel shows for one feature, as plain data and escaped HTML (no Streamlit).

:func:`feature_detail` gathers the names, status, location basis, every citing passage (with the
place marked where the build found it: the citation's ``marks``) and the related features found
by a spatial query. HTML comes from the templates ``panel.html.j2`` and ``marked.html.j2``, which
escape every text from the data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pandas as pd

from hedong_geo import places, plan
from hedong_geo.describe import (
    Step,
    fact_label,
    fact_value,
    source_words,
    steps,
    street_text,
    summary,
)
from hedong_geo.i18n import block_position, heading_path, t
from hedong_geo.layers import LayerSet
from hedong_geo.links import AppLinks, Links
from hedong_geo.mapdata import highlight_target
from hedong_geo.register import layer_titles
from hedong_geo.templating import Markup, render
from hedong_geo.text import segments
from hedong_geo.transform import to_metric

# Zones a feature can lie in, for the "related" list: the zones of the 一站一带一园 layout.
ZONE_CATEGORIES = ("zone", "quadrant", "layout", "renewal_area")


@dataclass(frozen=True)
class Passage:
    """One citing passage: where it stands and its text as HTML with the place marked."""

    doc: str
    doc_title: str
    block_id: str
    headings: tuple[str, ...]
    html: Markup
    quote: str
    position: str = ""  # where it stands under its heading, in words: 第 2 段 / para. 2
    stance: str = "none"  # what this passage states: planned, to_start, … or none
    stance_label: str = ""
    stance_words: str = ""
    text: str = ""  # the block's plain text and the cited mentions in it (for the dossier's PDF)
    marks: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class FactLine:
    """One figure the plan gives, as the panel shows it: ``建筑面积 37 万 m²`` and its words."""

    label: str
    value: str
    qualifier: str
    words: str
    block_id: str


@dataclass(frozen=True)
class Related:
    """Another feature and how it relates to this one."""

    id: str
    name: str
    relation: str


@dataclass
class Detail:
    """Everything the panel shows for one feature."""

    id: str
    name: str
    other_name: str
    layer_title: str
    category: str
    status: str
    basis: str
    accuracy_m: float | None
    geometry_source: str  # where the geometry comes from, in plain words (describe.source_words)
    located: bool
    passages: list[Passage] = field(default_factory=list)
    related: list[Related] = field(default_factory=list)
    street: str | None = None
    timeline: list[Step] = field(default_factory=list)
    facts: list[FactLine] = field(default_factory=list)
    members: list[Related] = field(default_factory=list)
    zone: Related | None = None  # the zone the map highlights for a feature it cannot draw
    summary: str = ""  # in English: what the Chinese passages say (describe.summary)


def mark_html(text: str, marks: Iterable[Sequence[int]]) -> Markup:
    """``text`` as escaped HTML with each ``[start, end]`` of ``marks`` in ``<mark>``."""
    pieces = segments(text, [(a, b, True) for a, b in marks])
    return render("marked.html.j2", pieces=pieces)


def cite_block(citation: dict[str, Any], lang: str = "zh") -> Passage:
    """One citation (``{doc, block, quote, marks}``) as a :class:`Passage`: the whole block,
    escaped, with the mentions the build cited (``marks``) marked; the heading path says where
    it stands."""
    blk = plan.block(citation["block"])
    said = citation.get("stance") or {}
    value = said.get("value", "none")
    marks = tuple((int(a), int(b)) for a, b in citation.get("marks") or [])
    return Passage(
        doc=blk.doc,
        doc_title=t(f"doc_{blk.doc}", lang),
        block_id=blk.id,
        headings=heading_path(blk, lang),
        html=mark_html(blk.text, marks),
        quote=citation["quote"],
        position=block_position(blk, lang),
        stance=value,
        stance_label=t(f"stance_{value}", lang),
        stance_words=said.get("words", ""),
        text=blk.text,
        marks=marks,
    )


def surely_inside(geom, accuracy_m: float | None, zone) -> bool:
    """Whether a feature lies in ``zone`` whatever its stated inaccuracy: a point counts only
    when its accuracy circle fits in the zone, an area or line when its representative point
    lies in the zone. Stacked points placed "somewhere in the park" are then not claimed for
    the quadrant they happen to be drawn in."""
    here = geom.representative_point()
    if not zone.contains(here):
        return False
    if geom.geom_type not in ("Point", "MultiPoint") or not accuracy_m:
        return True
    zone_m, here_m = to_metric(zone), to_metric(here)
    return (
        zone_m.exterior.distance(here_m) >= accuracy_m
        if zone_m.geom_type == "Polygon"
        else (zone_m.boundary.distance(here_m) >= accuracy_m)
    )


@dataclass(frozen=True)
class _Record:
    """One plan feature as plain values, for the panel's many small lookups."""

    id: str
    parent: str | None
    category: str
    names: tuple[str, str]  # zh, en
    geometry: Any
    accuracy_m: Any
    point: Any  # a representative point of the geometry (None when unlocated)


_RECORDS: dict[int, tuple[Any, list[_Record]]] = {}


def _records(layers: LayerSet) -> list[_Record]:
    """The plan features (context left out) of ``layers`` as records, made once per loaded
    frame: the panel of every feature is built at once for the map (hedong_geo.mapview), and
    filtering a GeoDataFrame per lookup cost 45 ms a feature."""
    frame = layers.features()
    hit = _RECORDS.get(id(frame))
    if hit is not None and hit[0] is frame:
        return hit[1]
    plan_rows = frame[frame["layer"] != "context"]
    records = []
    for row in plan_rows.itertuples():
        geom = row.geometry
        located = geom is not None and not geom.is_empty
        parent = row.parent if isinstance(row.parent, str) and row.parent else None
        records.append(
            _Record(
                row.id,
                parent,
                row.category,
                (row.name_zh, row.name_en),
                geom if located else None,
                row.accuracy_m,
                geom.representative_point() if located else None,
            )
        )
    if len(_RECORDS) >= 8:
        _RECORDS.clear()
    _RECORDS[id(frame)] = (frame, records)
    return records


def related_features(layers: LayerSet, feature_id: str, lang: str = "zh") -> list[Related]:
    """Features related to this one: the zones it surely lies in and the features surely in it
    (a spatial query that respects ``accuracy_m``), the parent and children the register names,
    and those sharing its parent."""
    records = _records(layers)
    by_id = {r.id: r for r in records}
    row = by_id.get(feature_id)
    if row is None:
        return []
    pick = 0 if lang == "zh" else 1
    found: dict[str, Related] = {}

    def add(other: _Record, relation: str) -> None:
        found.setdefault(other.id, Related(other.id, other.names[pick], t(relation, lang)))

    if row.parent in by_id:
        add(by_id[row.parent], "rel_within")
    for other in records:
        if other.parent == feature_id:
            add(other, "rel_contains")
    geom = row.geometry
    if geom is not None:
        located = [r for r in records if r.geometry is not None and r.id != feature_id]
        is_area = geom.geom_type.endswith("Polygon")
        for zone in located:
            shape = zone.geometry
            if (
                zone.category not in ZONE_CATEGORIES
                or shape.geom_type not in ("Polygon", "MultiPolygon")
                or not shape.contains(row.point)
            ):
                continue
            # Both areas in degrees²: fine for telling which of two nearby shapes is larger.
            if is_area and shape.area < geom.area:
                continue
            if surely_inside(geom, row.accuracy_m, shape):
                add(zone, "rel_within")
        if is_area:
            for other in located:
                if other.point.within(geom) and surely_inside(
                    other.geometry, other.accuracy_m, geom
                ):
                    add(other, "rel_contains")
    if row.parent:
        for other in records:
            if other.parent == row.parent and other.id != feature_id:
                add(other, "rel_sibling")
    return sorted(found.values(), key=lambda r: (r.relation, r.id))


def feature_detail(layers: LayerSet, feature_id: str, lang: str = "zh") -> Detail:
    """The panel's content for ``feature_id``; raises ``UnknownIdError`` naming a wrong id."""
    row: pd.Series = layers.feature(feature_id)
    zh, en = row["name_zh"], row["name_en"]
    titles = layer_titles()
    basis = row["location_basis"]
    citations = row["citations"] or []
    located = row.geometry is not None
    target = highlight_target(layers, feature_id)
    street = street_of(layers, row, lang)
    detail = Detail(
        id=feature_id,
        name=zh if lang == "zh" else en,
        other_name=en if lang == "zh" else zh,
        layer_title=titles.get(row["layer"], {}).get(lang, row["layer"]),
        category=row["category"],
        status=_status(row, lang),
        basis=t(f"basis_{basis}", lang),
        accuracy_m=row["accuracy_m"],
        geometry_source=source_words(feature_id, basis, row["accuracy_m"], located, lang),
        located=located,
        passages=[cite_block(c, lang) for c in citations],
        related=related_features(layers, feature_id, lang),
        street=street_text(*street, lang) if street else None,
        timeline=steps(citations, lang),
        facts=[fact_line(f, lang) for f in _list(row.get("facts"))],
        members=zone_members(layers, feature_id, lang),
        zone=_named(layers, target, lang) if target and target != feature_id else None,
    )
    if lang == "en":
        detail.summary = summary(
            detail.name,
            detail.layer_title,
            detail.timeline,
            _list(row.get("facts")),
            street,
            len(detail.passages),
            lang,
        )
    return detail


def _list(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else []


def _named(layers: LayerSet, feature_id: str, lang: str, relation: str = "") -> Related:
    row = layers.feature(feature_id)
    return Related(feature_id, row["name_zh" if lang == "zh" else "name_en"], relation)


def fact_line(fact: dict[str, Any], lang: str = "zh") -> FactLine:
    """One fact of a layer (``{kind, value, unit, qualifier, block, words}``) for the panel;
    the qualifier is English data, shown in English only (in Chinese the quoted words say
    what the figure measures)."""
    return FactLine(
        label=fact_label(fact, lang),
        value=fact_value(fact, lang),
        qualifier=fact["qualifier"] if lang == "en" else "",
        words=fact["words"],
        block_id=fact["block"],
    )


def street_line(layers: LayerSet, row: Any, lang: str) -> str | None:
    """The 街道 line of a located feature (:func:`hedong_geo.describe.street_text`; None for
    the unlocated and the 街道 themselves)."""
    found = street_of(layers, row, lang)
    return street_text(*found, lang) if found else None


def street_of(layers: LayerSet, row: Any, lang: str) -> tuple[str | None, str | None] | None:
    """The 街道 a located feature lies in, by name in ``lang``, and how surely (None for the
    unlocated and the 街道 themselves)."""
    street, confidence = row.get("street"), row.get("street_confidence")
    if row["category"] == "street_zone" or row.geometry is None:
        return None
    name = None
    if isinstance(street, str) and street:
        try:
            name = layers.feature(street)["name_zh" if lang == "zh" else "name_en"]
        except KeyError:  # the streets layer is not loaded: the register's zones name it
            zone = _zones().get(street)
            name = (zone.name_zh if lang == "zh" else zone.name_en) if zone else None
    return name, confidence if isinstance(confidence, str) else None


@lru_cache(maxsize=1)
def _zones() -> dict[str, places.Zone]:
    return {zone.id: zone for zone in places.load_zones()}


def zone_members(layers: LayerSet, feature_id: str, lang: str = "zh") -> list[Related]:
    """What a zone holds, each with how it belongs: the features the register lists in it
    (``parent``, located or not) and, for a 街道, the features the build put in it with their
    confidence (:func:`hedong_geo.places.members`; ``maybe`` ones left out)."""
    pick = 0 if lang == "zh" else 1
    found: dict[str, Related] = {}
    for row in _records(layers):
        if row.parent == feature_id:
            found[row.id] = Related(row.id, row.names[pick], t("member_listed", lang))
    zone = _zones().get(feature_id) if feature_id.startswith("street.") else None
    if zone is not None:
        features = layers.features()
        features = features[features["layer"] != "context"]
        names = {r.id: r.names[pick] for r in _records(layers)}
        for member in places.members(features, zone):
            if member.confidence in ("certain", "likely") and member.id in names:
                relation = t(f"street_{member.confidence}", lang)
                found.setdefault(member.id, Related(member.id, names[member.id], relation))
    return list(found.values())


def _status(row: Any, lang: str) -> str:
    text = t(f"status_{row['status']}", lang)
    year = row["status_year"]
    return f"{text} ({int(year)})" if year and not pd.isna(year) else text


def detail_html(
    detail: Detail,
    lang: str = "zh",
    links: Links | None = None,
    related: bool = True,
    style: bool = True,
) -> str:
    """The panel as one HTML fragment (escaped); ``links`` says where passage ids link to
    (default: the app's reader in ``lang``; a link of ``None`` shows the id as text).
    ``related`` lists the related features (links to them). ``style`` puts the panel's
    stylesheet (``templates/panel.css``) in the fragment; the app's map component has it once
    for every panel instead (:func:`hedong_geo.templating.panel_css`).

    A plain string of finished HTML: to put it into another template, wrap it in
    :class:`~markupsafe.Markup`."""
    accuracy = f"± {detail.accuracy_m:.0f} m" if detail.accuracy_m else t("not_located", lang)
    html = render(
        "panel.html.j2",
        detail=detail,
        accuracy=accuracy,
        links=links or AppLinks(lang),
        related=related,
        style=style,
        t=lambda key: t(key, lang),
    )
    return str(html)
