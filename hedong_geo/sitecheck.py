"""The site check: what does the plan say in and around a site?

:func:`check_site` takes a site (:class:`hedong_geo.uploads.Site`, WGS84) and the layers and
sorts every located feature by how it relates to the site, respecting each feature's stated
accuracy (``accuracy_m``), in metres (EPSG:4527):

- **zone**: a plan zone (the park, a quadrant, the station zone, a renewal area) the site lies
  in or overlaps;
- **certain**: the feature, widened by its accuracy, lies inside the site;
- **maybe**: it may be inside: drawn inside but its accuracy reaches beyond the site, or drawn
  outside but within its accuracy of it; or not located itself but listed by the plan in a
  zone or place that is inside or overlapping;
- **near**: within ``distance_m`` of the site (edge to edge).

The result (:class:`SiteCheck`) is plain data for any interface; :func:`result_html` renders
it as an HTML fragment (``templates/sitecheck.html.j2``) and :func:`site_dossier` turns it into
a :class:`~hedong_geo.dossier.Dossier` for the PDF or HTML report.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import pandas as pd

from hedong_geo._errors import ExportError
from hedong_geo.dossier import Dossier, Section, entry_for, map_png
from hedong_geo.i18n import LANGS, t
from hedong_geo.layers import LayerSet
from hedong_geo.mapdata import highlight_target
from hedong_geo.panel import ZONE_CATEGORIES
from hedong_geo.places import OSM_MARK
from hedong_geo.templating import render
from hedong_geo.transform import area_km2, to_metric
from hedong_geo.uploads import Site

__all__ = ["KINDS", "Hit", "SiteCheck", "check_site", "result_html", "site_dossier"]

KINDS = ("zone", "certain", "maybe", "near")
MAX_DISTANCE_M = 5000.0


@dataclass(frozen=True)
class Hit:
    """One feature and how it relates to the site."""

    id: str
    kind: str  # zone, certain, maybe, near
    distance_m: float  # edge to edge; 0 when it touches or is inside
    accuracy_m: float
    drawn_inside: bool
    via: str | None = None  # for an unlocated feature: the zone or place it is listed in


@dataclass
class SiteCheck:
    """The site check's answer, in no language: ids, kinds and metres."""

    site: Site
    distance_m: float
    area_km2: float
    outside_share: float
    streets: list[str] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    unlocated: int = 0

    def of_kind(self, kind: str) -> list[Hit]:
        """The hits of one kind, nearest first."""
        return [h for h in self.hits if h.kind == kind]


def _classify(geom, accuracy: float, category: str, site_m, distance_m: float):
    """A located feature's kind, distance and whether it is drawn inside (None: unrelated)."""
    distance = float(geom.distance(site_m))
    inside = distance == 0 and site_m.contains(geom.representative_point())
    is_area = geom.geom_type.endswith("Polygon")
    zone = category in ZONE_CATEGORIES and is_area and geom.intersects(site_m)
    if zone and not site_m.contains(geom.buffer(accuracy)):
        return "zone", distance, inside
    if site_m.contains(geom.buffer(accuracy) if accuracy else geom):
        return "certain", distance, True
    if distance <= accuracy:
        return "maybe", distance, inside
    if distance - accuracy <= distance_m:
        return "near", distance, False
    return None


def _listed(layers: LayerSet, features: pd.DataFrame, found: dict[str, Hit]) -> list[Hit]:
    """The unlocated features the plan lists in a zone or place the site holds or overlaps."""
    out = []
    for row in features[features.geometry.isna()].itertuples():
        target = highlight_target(layers, row.id)
        hit = found.get(target) if target else None
        if hit is not None and hit.kind in ("zone", "certain", "maybe"):
            out.append(Hit(row.id, "maybe", 0.0, 0.0, False, via=target))
    return out


def check_site(layers: LayerSet, site: Site, distance_m: float = 200.0) -> SiteCheck:
    """Every feature certainly inside the site, maybe inside it (given its accuracy), in a zone
    the site lies in, or within ``distance_m`` metres of it."""
    if not (isinstance(distance_m, (int, float)) and 0 <= distance_m <= MAX_DISTANCE_M):
        raise ExportError(f"distance {distance_m!r} m is out of range (0 to {MAX_DISTANCE_M:.0f})")
    site_m = to_metric(site.geometry)
    features = layers.features()
    features = features[features["layer"] != "context"]
    located = features[features.geometry.notna()]
    metric = to_metric(located)
    found: dict[str, Hit] = {}
    streets = []
    for row, geom in zip(located.itertuples(), metric.geometry, strict=True):
        if row.category == "street_zone":
            if geom.intersects(site_m):
                streets.append(row.id)
            continue
        accuracy = 0.0 if pd.isna(row.accuracy_m) else float(row.accuracy_m)
        kind = _classify(geom, accuracy, row.category, site_m, distance_m)
        if kind is not None:
            found[row.id] = Hit(row.id, kind[0], kind[1], accuracy, kind[2])
    hits = sorted(found.values(), key=lambda h: (KINDS.index(h.kind), h.distance_m, h.id))
    hits += _listed(layers, features, found)
    hedong = _hedong(layers)
    outside = 0.0
    if hedong is not None:
        outside = 1 - site_m.intersection(hedong).area / site_m.area
    return SiteCheck(
        site=site,
        distance_m=float(distance_m),
        area_km2=area_km2(site.geometry),
        outside_share=max(0.0, outside),
        streets=streets,
        hits=hits,
        unlocated=int(features.geometry.isna().sum()),
    )


def _hedong(layers: LayerSet):
    context = layers.features(["context"]) if "context" in layers.layers else None
    if context is None:
        return None
    outline = context[context["id"] == "context.district.120102"]
    return to_metric(outline.geometry.iloc[0]) if len(outline) else None


# --- in words ---------------------------------------------------------------------------------


def _relation(hit: Hit, layers: LayerSet, lang: str) -> str:
    a, d = f"{hit.accuracy_m:.0f}", f"{hit.distance_m:.0f}"
    if hit.via:
        zone = layers.feature(hit.via)["name_zh" if lang == "zh" else "name_en"]
        return t("site_listed_row", lang).format(zone=zone)
    if hit.kind == "zone":
        return t("site_zone_row", lang)
    if hit.kind == "certain":
        return t("site_certain_row", lang).format(a=a)
    if hit.kind == "maybe":
        key = "site_maybe_in_row" if hit.drawn_inside else "site_maybe_row"
        return t(key, lang).format(a=a, d=d)
    return t("site_near_row", lang).format(d=d, a=a)


def _name(layers: LayerSet, fid: str, lang: str) -> str:
    return layers.feature(fid)["name_zh" if lang == "zh" else "name_en"]


def summary(layers: LayerSet, result: SiteCheck, lang: str) -> list[tuple[str, str]]:
    """The site in label–value rows: the file, how it was read, its area, its 街道."""
    site = result.site
    km2 = result.area_km2
    sep = "、" if lang == "zh" else "; "
    streets = sep.join(_name(layers, s, lang) for s in result.streets) or t("dos_none", lang)
    rows = [
        (t("site_file", lang), f"{site.file} ({site.format.upper()})"),
        (t("site_crs_used", lang), site.crs_label()),
        (
            t("site_area", lang),
            t("site_area_value", lang).format(km2=f"{km2:.3f}", ha=f"{km2 * 100:.1f}"),
        ),
        (t("site_streets", lang), streets),
    ]
    for kind in KINDS:  # the answer at a glance; each feature in full follows
        hits = result.of_kind(kind)
        names = sep.join(dict.fromkeys(_name(layers, h.id, lang) for h in hits))
        title = t(_SECTION_KEYS[kind], lang).format(m=f"{result.distance_m:.0f}")
        rows.append((f"{title} ({len(hits)})", names or t("dos_none", lang)))
    return rows


def warnings_text(result: SiteCheck, lang: str) -> list[str]:
    """Every warning about the site in ``lang``: how the file was read, and what lies outside."""
    out = [n.text(lang) for n in result.site.warnings]
    if result.outside_share >= 0.01:
        share = math.ceil(result.outside_share * 100)
        out.append(t("site_warn_outside", lang).format(share=share))
    return out


_SECTION_KEYS = {
    "zone": "site_zones",
    "certain": "site_certain",
    "maybe": "site_maybe",
    "near": "site_near",
}


def site_dossier(
    layers: LayerSet,
    result: SiteCheck,
    lang: str = "zh",
    *,
    with_map: bool = True,
    date: dt.date | None = None,
) -> Dossier:
    """The site check as a dossier: the site's summary and warnings, the map with the site
    drawn in red, then each kind of hit with every feature in full (passages, 街道, zones)."""
    if lang not in LANGS:
        raise ExportError(f"unknown lang {lang!r}; expected one of {list(LANGS)}")
    sections = []
    for kind in KINDS:
        hits = result.of_kind(kind)
        title = t(_SECTION_KEYS[kind], lang).format(m=f"{result.distance_m:.0f}")
        entries = [entry_for(layers, h.id, lang, relation=_relation(h, layers, lang)) for h in hits]
        sections.append(Section(f"{title} ({len(entries)})", entries))
    sections[2].note = t("site_unlocated", lang).format(n=result.unlocated)
    shown = [h.id for h in result.hits]
    features = layers.features()
    notes = [t("dos_authoritative", lang), t("dos_street_note", lang)]
    if any(OSM_MARK in str(s) for s in features[features["id"].isin(shown)]["geometry_source"]):
        notes.append(t("credit_osm", lang))
    return Dossier(
        lang=lang,
        kind="site",
        title=t("dos_title_site", lang).format(name=result.site.name),
        subtitle=t("dos_generated", lang).format(date=(date or dt.date.today()).isoformat()),
        subject=None,
        map_png=_map(layers, result, lang) if with_map else None,
        map_note=t("site_map", lang),
        summary=summary(layers, result, lang),
        sections=sections,
        warnings=warnings_text(result, lang),
        notes=notes,
    )


def _map(layers: LayerSet, result: SiteCheck, lang: str) -> bytes:
    """The map framed on the site and ``distance_m`` around it (at least 300 m)."""
    minx, miny, maxx, maxy = result.site.geometry.bounds
    pad = max(result.distance_m, 300.0)
    dlat = pad / 111_000
    dlon = pad / (111_000 * math.cos(math.radians((miny + maxy) / 2)))
    extent = (minx - dlon, miny - dlat, maxx + dlon, maxy + dlat)
    return map_png(layers, extent=extent, feature=None, lang=lang, overlay=result.site.geometry)


def result_html(layers: LayerSet, result: SiteCheck, lang: str = "zh") -> str:
    """The result as one HTML fragment (escaped) for a page or the app: the summary, the
    warnings and, per kind, each feature with its relation, 街道, zones and passages."""
    report = site_dossier(layers, result, lang, with_map=False)
    return str(
        render("sitecheck.html.j2", d=report, nothing=not result.hits, t=lambda key: t(key, lang))
    )
