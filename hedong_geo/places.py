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
    "POIS",
    "STREETS",
    "Poi",
    "Zone",
    "load_pois",
    "load_zones",
    "members",
    "resolve_street",
    "street_of",
]

POIS = GEODATA / "osm" / "pois.geojson"
STREETS = GEODATA / "streets" / "streets.geojson"
OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL 1.0)"
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
        if geometry.geom_type in ("Point", "MultiPoint") or _share(geometry, zone) >= MOST_IN_ONE:
            return zone.id, "likely"
    return None, "unknown"


def _share(geometry: BaseGeometry, zone: Zone) -> float:
    """The share of a line's length or an area's surface inside the zone."""
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


def members(features: Any, zone: Zone) -> list[Member]:
    """The features of ``features`` (a frame of layer rows, WGS84) in ``zone``: those the build
    put there (``certain``, ``likely``), then those that may be (``maybe``): located elsewhere or
    nowhere, but whose geometry widened by its accuracy reaches the zone widened by its own."""
    out = []
    reach = zone.geometry.buffer(zone.accuracy_m or 0.0) if zone.geometry is not None else None
    for row in features.itertuples():
        if row.id == zone.id or row.layer == "context" or row.geometry is None:
            continue
        street = getattr(row, "street", None)
        confidence = getattr(row, "street_confidence", None)
        if street == zone.id:
            why = (
                f"its ± {row.accuracy_m:.0f} m lies inside the zone shrunk by the zone's "
                f"± {zone.accuracy_m:.0f} m"
                if confidence == "certain"
                else "its point is inside the zone, but the accuracies allow a neighbour"
            )
            out.append(Member(row.id, row.name_zh, row.layer, confidence, why))
            continue
        if reach is None or row.category == "street_zone":
            continue
        shape_m = to_metric(row.geometry)
        if shape_m.buffer(row.accuracy_m or 0.0).intersects(reach):
            where = f"placed in {street}" if street else "placed in no single 街道"
            why = (
                f"{where}, but its ± {row.accuracy_m:.0f} m and the zone's ± "
                f"{zone.accuracy_m:.0f} m edge overlap"
            )
            out.append(Member(row.id, row.name_zh, row.layer, "maybe", why))
    order = {"certain": 0, "likely": 1, "maybe": 2}
    return sorted(out, key=lambda m: (order.get(m.confidence, 3), m.id))
