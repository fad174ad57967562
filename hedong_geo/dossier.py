"""A dossier of one place or zone: everything the plan says about it, on paper and as HTML.

:func:`build_dossier` gathers, for a feature or zone id, a :class:`Dossier`: the map of the
place in its context, every passage of both documents that names it (in full, with its heading
path), the status each document states (:func:`hedong_geo.citing.timeline` via
:func:`hedong_geo.describe.steps`), the figures (the layer's ``facts``), where its geometry
comes from and how accurate it is (in words, no developer ids: :func:`provenance`), its 街道,
the zones it lies in, what lies in it (a zone's members, each with its own passages) and what
lies near it. The site check (:mod:`hedong_geo.sitecheck`) fills the same :class:`Dossier`.

:func:`dossier_html` renders it with ``templates/dossier.html.j2`` (autoescape; the map
embedded, so the file stands alone offline); :mod:`hedong_geo.dossier_pdf` sets it as a PDF.
:func:`write_dossier` writes either, atomically. The map comes from one function,
:func:`map_png`, the only place that asks the exports for a figure.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd
from shapely.geometry.base import BaseGeometry

from hedong_geo import exports
from hedong_geo._errors import ExportError
from hedong_geo._io import atomic_write, check_new_file
from hedong_geo.describe import Step, steps
from hedong_geo.i18n import LANGS, t
from hedong_geo.layers import LayerSet
from hedong_geo.mapdata import highlight_target
from hedong_geo.panel import (
    ZONE_CATEGORIES,
    FactLine,
    Passage,
    cite_block,
    fact_line,
    related_features,
    street_line,
    zone_members,
)
from hedong_geo.places import OSM_MARK
from hedong_geo.register import layer_titles
from hedong_geo.templating import render
from hedong_geo.transform import to_metric

__all__ = [
    "DOSSIER_FORMATS",
    "Dossier",
    "Entry",
    "Section",
    "build_dossier",
    "check_dossier_target",
    "dossier_html",
    "entry_for",
    "map_png",
    "provenance",
    "write_dossier",
]

DOSSIER_FORMATS = ("pdf", "html")
#: What "near" means in a feature's dossier, in metres from its drawn edge.
NEAR_M = 300.0
#: The map's resolution: sharp on paper, and the dossier stays within its time budget.
MAP_DPI = 200
ZONE_KINDS = (*ZONE_CATEGORIES, "street_zone")


@dataclass
class Entry:
    """One feature in a dossier: the subject, a member, a neighbour or a hit of a site check."""

    id: str
    name: str
    other_name: str
    layer_title: str
    status: str
    relation: str = ""  # how it relates to the subject ("lies inside", "about 120 m away")
    street: str | None = None
    zones: list[str] = field(default_factory=list)  # names of the zones it lies in
    provenance: list[str] = field(default_factory=list)
    timeline: list[Step] = field(default_factory=list)
    facts: list[FactLine] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    full: bool = True  # False: a line with its name and relation only


@dataclass
class Section:
    """A list of entries under one heading ("In it", "Within 300 m", "Certainly inside")."""

    title: str
    entries: list[Entry]
    note: str = ""


@dataclass
class Dossier:
    """Everything a dossier shows, in one language; rendered by the template and the PDF."""

    lang: str
    kind: str  # feature, zone or site
    title: str
    subtitle: str
    subject: Entry | None
    map_png: bytes | None
    map_note: str
    summary: list[tuple[str, str]] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def map_data_uri(self) -> str:
        """The map as a ``data:`` URI, so the HTML file needs nothing beside it."""
        if self.map_png is None:
            return ""
        return "data:image/png;base64," + base64.b64encode(self.map_png).decode("ascii")


# --- the map ----------------------------------------------------------------------------------


def map_png(
    layers: LayerSet,
    *,
    extent: str | Sequence[float] | None,
    feature: str | None,
    lang: str,
    overlay: BaseGeometry | None = None,
    dpi: int = MAP_DPI,
) -> bytes:
    """The map of the place in its context as PNG bytes: the exports' A4 landscape sheet
    (title, legend, scale bar, feature list, attributions), ``feature`` outlined, framed on
    ``extent``; ``overlay`` (a WGS84 area, e.g. an uploaded site) drawn on the map in red.

    The only call into the figure exports, so the dossier follows the print layout as it
    changes."""
    fig = exports.render_snapshot(
        layers, extent=extent, feature=feature, lang=lang, paper="A4", dpi=dpi
    )
    if overlay is not None:
        ax = next(a for a in fig.axes if a.get_gid() == "map")
        shape = to_metric(overlay)
        for part in getattr(shape, "geoms", [shape]):
            ax.plot(*part.exterior.xy, color="#d62728", linewidth=1.6, zorder=50)
    from hedong_geo.exports.typeset import rc  # the sheet's fonts, as the exports save it

    buffer = io.BytesIO()
    with matplotlib.rc_context(rc()):
        fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


# --- one feature ------------------------------------------------------------------------------

# Developer ids in a geometry source, and what a reader sees instead.
_OSM_ID = re.compile(r"\s*osm\.(?:area|node|way|relation)\.\d+(?:\s*\((?:way/area|node)[^)]*\))?")
_REF_ID = re.compile(r"\bref\.[a-z0-9_]+")
_FILE = re.compile(r"\s*(?:;|,|of|in|by)?\s*\b[\w./-]+\.(?:md|csv|geojson|json|yaml|py)\b:?")
_LAYER_LIST = re.compile(r"layers \[([^\]]*)\]")


def _readable_source(source: str, names: dict[str, str], lang: str) -> str:
    """A geometry source without developer ids: OSM object ids dropped (the name and class
    stay), reference point ids replaced by their names, file paths and layer ids by words."""
    text = _OSM_ID.sub("", source)
    text = _REF_ID.sub(lambda m: names.get(m[0], t("dos_reference_point", lang)), text)
    text = _LAYER_LIST.sub(
        lambda m: "、".join(
            layer_titles().get(n.strip(" '\""), {}).get(lang, n) for n in m[1].split(",")
        ),
        text,
    )
    text = _FILE.sub("", text)
    return re.sub(r"\(\s*[;,]?\s*\)|\s+(?=[),;.])", "", text).strip()


def provenance(layers: LayerSet, row: Any, lang: str = "zh") -> list[str]:
    """Where a feature's geometry comes from and how accurate it is, as sentences for people:
    what its location basis means, its accuracy in metres, the source in words (no ids)."""
    basis = row["location_basis"]
    lines = [f"{t(f'basis_{basis}', lang)}{t('colon', lang)}{t(f'dos_basis_{basis}', lang)}"]
    accuracy = row["accuracy_m"]
    if accuracy and not pd.isna(accuracy) and row.geometry is not None:
        lines.append(t("dos_accuracy", lang).format(m=f"{accuracy:.0f}"))
    source = row["geometry_source"]
    if isinstance(source, str) and source:
        context = layers.features()
        names = dict(
            zip(context["id"], context["name_zh" if lang == "zh" else "name_en"], strict=True)
        )
        lines.append(
            f"{t('dos_source', lang)}{t('colon', lang)}{_readable_source(source, names, lang)}"
        )
    return lines


def _list(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else []


def _status(row: Any, lang: str) -> str:
    text = t(f"status_{row['status']}", lang)
    year = row["status_year"]
    return f"{text} ({int(year)})" if year and not pd.isna(year) else text


def entry_for(
    layers: LayerSet, feature_id: str, lang: str = "zh", relation: str = "", full: bool = True
) -> Entry:
    """One feature as a dossier :class:`Entry`: names, status, 街道, the zones it lies in, its
    provenance, timeline, figures and every passage (``full=False``: names and relation only)."""
    row = layers.feature(feature_id)
    zh, en = row["name_zh"], row["name_en"]
    entry = Entry(
        id=feature_id,
        name=zh if lang == "zh" else en,
        other_name=en if lang == "zh" else zh,
        layer_title=layer_titles().get(row["layer"], {}).get(lang, row["layer"]),
        status=_status(row, lang),
        relation=relation,
        street=street_line(layers, row, lang),
        full=full,
    )
    if not full:
        return entry
    citations = _list(row["citations"])
    entry.zones = [
        r.name
        for r in related_features(layers, feature_id, lang)
        if r.relation == t("rel_within", lang)
    ]
    entry.provenance = provenance(layers, row, lang)
    entry.timeline = steps(citations, lang)
    entry.facts = [fact_line(f, lang) for f in _list(row.get("facts"))]
    entry.passages = [cite_block(c, lang) for c in citations]
    return entry


# --- the dossier ------------------------------------------------------------------------------


def _is_zone(row: Any, members: list) -> bool:
    return row["category"] in ZONE_KINDS or bool(members)


def _members(layers: LayerSet, feature_id: str, lang: str) -> list[tuple[str, str]]:
    """What lies in a zone, with how: the members the register and the 街道 give
    (:func:`hedong_geo.panel.zone_members`), then what a spatial query finds surely inside."""
    found = {m.id: m.relation for m in zone_members(layers, feature_id, lang)}
    for rel in related_features(layers, feature_id, lang):
        if rel.relation == t("rel_contains", lang):
            found.setdefault(rel.id, rel.relation)
    return list(found.items())


def _near(
    layers: LayerSet, feature_id: str, skip: set[str], near_m: float, lang: str
) -> list[Entry]:
    """Located features within ``near_m`` of the feature's drawn edge (zones and 街道 left out:
    they are said as where it lies), nearest first, as one-line entries."""
    row = layers.feature(feature_id)
    if row.geometry is None or row.geometry.is_empty:
        return []
    features = layers.features()
    located = features[
        features.geometry.notna()
        & (features["layer"] != "context")
        & ~features["category"].isin(ZONE_KINDS)
        & ~features["id"].isin([*skip, feature_id])
    ]
    if located.empty:
        return []
    metric = to_metric(located)
    distance = metric.distance(to_metric(row.geometry))
    out = []
    for index in distance[distance <= near_m].sort_values().index:
        other = located.loc[index]
        how = t("dos_near_row", lang).format(d=f"{distance[index]:.0f}")
        if other["accuracy_m"] and not pd.isna(other["accuracy_m"]):
            how += f" (± {other['accuracy_m']:.0f} m)"
        out.append(entry_for(layers, other["id"], lang, relation=how, full=False))
    return out


def _map_frame(layers: LayerSet, feature_id: str) -> tuple[str, str | None]:
    """The map's extent and outlined feature: the feature when it is drawn, the zone the plan
    ties it to when not, else the whole district."""
    target = highlight_target(layers, feature_id)
    return (target, target) if target else ("district", None)


def _map_note(layers: LayerSet, feature_id: str, target: str | None, lang: str) -> str:
    if target == feature_id:
        return t("dos_map", lang)
    if target is None:
        return t("dos_map_none", lang)
    zone = layers.feature(target)["name_zh" if lang == "zh" else "name_en"]
    return t("dos_map_zone", lang).format(zone=zone)


def _notes(layers: LayerSet, ids: list[str], lang: str) -> list[str]:
    """The notes under every dossier: the Chinese text is the authoritative one; OpenStreetMap
    credited when any geometry shown comes from it; a 街道 is an approximate zone."""
    notes = [t("dos_authoritative", lang)]
    features = layers.features()
    shown = features[features["id"].isin(ids)]
    if any(OSM_MARK in str(s) for s in shown["geometry_source"]):
        notes.append(t("credit_osm", lang))
    if (shown["category"] == "street_zone").any():
        notes.append(t("dos_street_note", lang))
    return notes


def build_dossier(
    layers: LayerSet,
    feature_id: str,
    lang: str = "zh",
    *,
    near_m: float = NEAR_M,
    date: dt.date | None = None,
    with_map: bool = True,
) -> Dossier:
    """The dossier of a feature or zone; raises ``UnknownIdError`` naming a wrong id.

    A zone (a quadrant, the station zone, a 街道, or any feature the register lists others in)
    gets its members with their own passages; every feature gets what lies within ``near_m``
    metres of it, as one line each."""
    if lang not in LANGS:
        raise ExportError(f"unknown lang {lang!r}; expected one of {list(LANGS)}")
    row = layers.feature(feature_id)  # UnknownIdError naming it
    subject = entry_for(layers, feature_id, lang)
    members = _members(layers, feature_id, lang)
    kind = "zone" if _is_zone(row, members) else "feature"
    member_entries = [entry_for(layers, mid, lang, relation=how) for mid, how in members]
    near = _near(layers, feature_id, {m for m, _ in members}, near_m, lang)
    extent, target = _map_frame(layers, feature_id)
    sections = []
    if kind == "zone":
        sections.append(Section(f"{t('members', lang)} ({len(member_entries)})", member_entries))
    sections.append(
        Section(t("dos_near", lang).format(m=f"{near_m:.0f}"), near, note=t("dos_near_note", lang))
    )
    when = (date or dt.date.today()).isoformat()
    return Dossier(
        lang=lang,
        kind=kind,
        title=t(f"dos_title_{kind}", lang).format(name=subject.name),
        subtitle=t("dos_generated", lang).format(date=when),
        subject=subject,
        map_png=map_png(layers, extent=extent, feature=target, lang=lang) if with_map else None,
        map_note=_map_note(layers, feature_id, target, lang),
        sections=sections,
        notes=_notes(layers, [feature_id, *(m for m, _ in members), *(e.id for e in near)], lang),
    )


# --- writing ----------------------------------------------------------------------------------


def dossier_html(dossier: Dossier) -> str:
    """The dossier as one standalone HTML page (escaped; the map embedded as a data URI)."""
    lang = dossier.lang
    return str(render("dossier.html.j2", d=dossier, t=lambda key: t(key, lang)))


def check_dossier_target(out: str | os.PathLike, *, overwrite: bool = False) -> str:
    """The format ``out`` names (``pdf`` or ``html``) if a dossier may be written there; else
    :class:`~hedong_geo._errors.WriteError` saying why. Call it before the slow work."""
    check_new_file(out, suffixes=(".pdf", ".html", ".htm"), overwrite=overwrite, what="a dossier")
    return "html" if Path(out).suffix.lower() in (".html", ".htm") else "pdf"


def write_dossier(dossier: Dossier, out: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write ``dossier`` to ``out`` as PDF or HTML (by its suffix), atomically; an existing file
    is replaced only with ``overwrite``; never into the project's ``layers/`` or ``geodata/``."""
    if check_dossier_target(out, overwrite=overwrite) == "html":
        html = dossier_html(dossier)
        return atomic_write(
            out, lambda tmp: tmp.write_text(html, encoding="utf-8"), overwrite=overwrite
        )
    from hedong_geo.dossier_pdf import dossier_pdf

    data = dossier_pdf(dossier)
    return atomic_write(out, lambda tmp: tmp.write_bytes(data), overwrite=overwrite)
