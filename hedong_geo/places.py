"""OpenStreetMap objects and the 街道 zones: the committed files, and which 街道 a place lies in.

``geodata/osm/pois.geojson`` (named OSM objects around Hedong) and
``geodata/streets/streets.geojson`` (Hedong's 13 街道 as approximate zones) are written by
``geodata/build_places.py``; see their READMEs. The register places features at OSM objects by
id (the ``osm`` recipe of :mod:`hedong_geo.placing`), never by a name looked up at run time.

:func:`street_of` says which 街道 a located feature lies in and how surely (the rule is in
``street_confidence`` of ``hedong_geo/schema/layer.schema.json``); the build writes the answer
into every feature, and :func:`members` answers "which features are in 二号桥街?".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from hedong_geo._errors import LayerError, UnknownIdError
from hedong_geo.paths import GEODATA
from hedong_geo.transform import to_metric

__all__ = [
    "OSM_ATTRIBUTION",
    "OSM_MARK",
    "POIS",
    "STREETS",
    "Poi",
    "Zone",
    "load_pois",
    "load_zones",
    "members",
    "osm_drawn",
    "resolve_street",
    "street_of",
]

POIS = GEODATA / "osm" / "pois.geojson"
STREETS = GEODATA / "streets" / "streets.geojson"
#: What every feature drawn from OpenStreetMap says in its source; exports look for it.
OSM_MARK = "© OpenStreetMap contributors"
OSM_ATTRIBUTION = f"{OSM_MARK} (ODbL 1.0)"
#: Below this share of a line or area inside one zone, the feature spans several 街道.
MOST_IN_ONE = 0.5


@dataclass(frozen=True)
class Poi:
    """One committed OSM object: its id, name, class, kind, point (metres) and accuracy."""

    poi_id: str
    name: str
    fclass: str
    kind: str
    accuracy_m: float
    rule: str
    point: Point

    def source(self) -> str:
        """The object in words a reviewer can check, with the attribution."""
        what = "node" if self.kind == "node" else "way/area centroid"
        return (
            f"OpenStreetMap {self.poi_id} ({what}) '{self.name}' ({self.fclass}; ± "
            f"{self.accuracy_m:.0f} m by the '{self.rule}' rule of geodata/osm/README.md), "
            f"{OSM_ATTRIBUTION}"
        )


@dataclass(frozen=True)
class Zone:
    """One 街道: id ``street.<code>``, names, the approximate zone (metres, or None) and its
    accuracy."""

    id: str
    code: str
    name_zh: str
    name_en: str
    geometry: BaseGeometry | None
    accuracy_m: float | None
    basis: str
    note: str

    @property
    def short(self) -> str:
        """The name without 街道/街 (二号桥), as people say it."""
        return self.name_zh.removesuffix("街道").removesuffix("街")


def _read(path: Path) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LayerError(
            f"{Path(path).name}: not found in {str(Path(path).parent)!r}; run "
            "python geodata/build_places.py"
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError, OSError) as exc:
        raise LayerError(f"{Path(path).name}: cannot be read ({exc}); rebuild it") from None


@cache
def load_pois(path: Path = POIS) -> dict[str, Poi]:
    """The committed OSM objects by ``poi_id`` (``osm.node.…``/``osm.area.…``), in metres."""
    out = {}
    for feat in _read(path)["features"]:
        p = feat["properties"]
        out[p["poi_id"]] = Poi(
            p["poi_id"],
            p["name"],
            p["fclass"],
            p["kind"],
            float(p["accuracy_m"]),
            p["accuracy_rule"],
            to_metric(shape(feat["geometry"])),
        )
    return out


@cache
def load_zones(path: Path = STREETS) -> tuple[Zone, ...]:
    """The 13 街道 in code order; a zone without geometry (天津铁厂街道) has ``geometry`` None."""
    zones = []
    for feat in _read(path)["features"]:
        p = feat["properties"]
        geom = to_metric(shape(feat["geometry"])) if feat["geometry"] else None
        acc = float(p["accuracy_m"]) if p["accuracy_m"] is not None else None
        zones.append(
            Zone(p["id"], p["code"], p["name_zh"], p["name_en"], geom, acc, p["basis"], p["note"])
        )
    return tuple(zones)


def resolve_street(name: str, zones: tuple[Zone, ...] | None = None) -> Zone:
    """The 街道 a user means: its id (``street.120102005``), code, full name (二号桥街道), the
    plan's short form (二号桥街) or the bare name (二号桥). Raises :class:`UnknownIdError`
    listing the known names."""
    zones = load_zones() if zones is None else zones
    key = name.strip()
    for zone in zones:
        if key in (zone.id, zone.code, zone.name_zh, zone.short, zone.short + "街"):
            return zone
        if key.lower() == zone.name_en.lower():
            return zone
    known = ", ".join(f"{z.name_zh} ({z.code})" for z in zones)
    raise UnknownIdError(f"no 街道 named {name!r}; the 13 are: {known}")


def street_of(
    geometry: BaseGeometry | None, accuracy_m: float | None, zones: tuple[Zone, ...] | None = None
) -> tuple[str | None, str | None]:
    """Which 街道 a feature (geometry in metres) lies in, and how surely.

    ``certain``: the geometry widened by its accuracy lies inside one zone shrunk by the zone's
    accuracy. ``likely``: the point (a point itself; else the representative point, with at
    least half of the line or area inside the same zone) is inside the zone. ``unknown``
    otherwise, with no 街道. ``(None, None)`` for an unlocated feature.
    """
    if geometry is None or geometry.is_empty:
        return None, None
    zones = load_zones() if zones is None else zones
    widened = geometry.buffer(accuracy_m or 0.0)
    point = geometry if geometry.geom_type == "Point" else geometry.representative_point()
    for zone in zones:
        if zone.geometry is None:
            continue
        core = zone.geometry.buffer(-(zone.accuracy_m or 0.0))
        if not core.is_empty and core.contains(widened):
            return zone.id, "certain"
    for zone in zones:
        if zone.geometry is None or not zone.geometry.contains(point):
            continue
        if geometry.geom_type == "Point" or _share(geometry, zone) >= MOST_IN_ONE:
            return zone.id, "likely"
    return None, "unknown"


def _share(geometry: BaseGeometry, zone: Zone) -> float:
    """The share of a line's length or an area's surface inside the zone (0 for scattered
    points: a gathering of places is in no single 街道)."""
    inside = geometry.intersection(zone.geometry)
    if geometry.area > 0:
        return inside.area / geometry.area
    return inside.length / geometry.length if geometry.length > 0 else 0.0


@dataclass(frozen=True)
class Member:
    """A feature in (or perhaps in) a 街道, and why."""

    id: str
    name_zh: str
    layer: str
    confidence: str
    why: str


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None  # pandas gives NaN for a missing value


def _reaches(row: Any, reach: BaseGeometry) -> bool:
    return to_metric(row.geometry).buffer(row.accuracy_m or 0.0).intersects(reach)


def members(features: Any, zone: Zone) -> list[Member]:
    """The features of ``features`` (a frame of layer rows, WGS84) in ``zone``.

    First those the build put there (``certain``, ``likely``) and the unlocated places listed in
    one of them (``parent``; they take its confidence); then those that may be (``maybe``):
    placed elsewhere or in no single 街道, but whose geometry widened by its accuracy reaches
    the zone widened by its own.
    """
    out: dict[str, Member] = {}
    reach = zone.geometry.buffer(zone.accuracy_m or 0.0) if zone.geometry is not None else None
    rows = [r for r in features.itertuples() if r.layer != "context" and r.id != zone.id]
    for row in rows:
        if row.geometry is None:
            continue
        confidence = _text(getattr(row, "street_confidence", None))
        if _text(getattr(row, "street", None)) == zone.id:
            why = (
                f"its ± {row.accuracy_m:.0f} m lies inside the zone shrunk by the zone's "
                f"± {zone.accuracy_m:.0f} m"
                if confidence == "certain"
                else "its point is inside the zone, but the accuracies allow a neighbour"
            )
            out[row.id] = Member(row.id, row.name_zh, row.layer, confidence or "likely", why)
        elif reach is not None and row.category != "street_zone" and _reaches(row, reach):
            street = _text(getattr(row, "street", None))
            where = f"placed in {street}" if street else "placed in no single 街道"
            why = (
                f"{where}, but its ± {row.accuracy_m:.0f} m and the zone's ± "
                f"{zone.accuracy_m:.0f} m edge overlap"
            )
            out[row.id] = Member(row.id, row.name_zh, row.layer, "maybe", why)
    unlocated = [r for r in rows if r.geometry is None and _text(r.parent)]
    for _ in range(5):  # members of members, a few levels deep
        for row in unlocated:
            parent = out.get(row.parent) if row.parent != zone.id else None
            if row.id in out or (parent is None and row.parent != zone.id):
                continue
            confidence = parent.confidence if parent else "likely"
            why = f"not located itself; listed in {row.parent}"
            out[row.id] = Member(row.id, row.name_zh, row.layer, confidence, why)
    order = {"certain": 0, "likely": 1, "maybe": 2}
    return sorted(out.values(), key=lambda m: (order.get(m.confidence, 3), m.id))


def osm_drawn(features: Any) -> bool:
    """Whether any of ``features`` (layer rows) is drawn from OpenStreetMap data: then the map
    that shows them must credit "© OpenStreetMap contributors" (ODbL 1.0)."""
    if "geometry_source" not in features:
        return False
    located = features[features.geometry.notna()] if hasattr(features, "geometry") else features
    return any(OSM_MARK in str(s) for s in located["geometry_source"])
