"""Whether an uploaded site looks shifted: read in its declared coordinate system it misses the
places it names or the boundary it follows, read as GCJ-02 or BD-09 it fits.

Two kinds of evidence, each against committed data: an **anchor** (an OpenStreetMap object of
``geodata/osm/`` whose name the file's attributes give: 天津第一机床厂 地块) that lies outside
the site as declared (by :data:`FIT_M` or more) and inside it as the other reading; an
**edge** (the site's vertices run along a district boundary of ``geodata/context/``, which is
WGS84) that the vertices miss as declared and touch as the other reading.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from hedong_geo.context import load_context
from hedong_geo.places import load_pois
from hedong_geo.transform import from_metric, to_metric

__all__ = ["shift_notices"]

SHIFT_EVIDENCE_M = 100.0  # an edge this far off under the declared reading…
FIT_M = 25.0  # …and within this under the other reading: the file looks shifted
OTHER_READINGS = ("gcj02", "bd09")
MIN_NAME = 3  # shorter names ("公园") would match anything


@lru_cache(maxsize=1)
def _anchors() -> dict[str, BaseGeometry]:
    """OSM object name → its point (WGS84)."""
    return {p.name: from_metric(p.point) for p in load_pois().values() if len(p.name) >= MIN_NAME}


@lru_cache(maxsize=1)
def _edges() -> BaseGeometry:
    """Every district boundary around Hedong as lines, in metres."""
    districts = load_context()["districts"]
    return to_metric(shapely.union_all(districts.geometry.boundary.values))


def _anchor_miss(site: BaseGeometry, anchor: BaseGeometry) -> float:
    return float(to_metric(site).distance(to_metric(anchor)))


def _edge_gap(site: BaseGeometry) -> float:
    """The median distance of the site's vertices from the nearest district boundary."""
    points = shapely.points(shapely.get_coordinates(to_metric(site)))
    return float(np.median(shapely.distance(points, _edges())))


def _evidence(declared: BaseGeometry, other: BaseGeometry, names: list[str]):
    """The first evidence that ``other`` fits where ``declared`` does not: (key, values)."""
    anchors = _anchors()
    for text in names:
        for name, point in anchors.items():
            if name not in text:
                continue
            miss, fit = _anchor_miss(declared, point), _anchor_miss(other, point)
            if miss >= FIT_M and fit == 0:
                return "site_ev_anchor", (("name", name), ("d", f"{miss:.0f}"))
    gap, fit = _edge_gap(declared), _edge_gap(other)
    if gap >= SHIFT_EVIDENCE_M and fit <= FIT_M:
        return "site_ev_edge", (("d", f"{gap:.0f}"),)
    return None


def shift_notices(wgs: BaseGeometry, raw: BaseGeometry, crs: str, names: list[str]) -> list:
    """A notice when the site ``wgs`` (as read in ``crs`` from the file's ``raw`` numbers)
    looks shifted: only for lon/lat read as WGS84 or CGCS2000, the readings a GCJ-02 or BD-09
    file is mistaken for."""
    from hedong_geo.uploads import Notice, crs_label, to_wgs84

    if crs not in ("wgs84", "cgcs2000"):
        return []
    for reading in OTHER_READINGS:
        other = to_wgs84(raw, reading)
        found = _evidence(wgs, other, names)
        if found is None:
            continue
        key, values = found
        apart = to_metric(wgs.centroid).distance(to_metric(other.centroid))
        return [
            Notice(
                "site_warn_shift",
                (
                    ("declared", crs_label(crs)),
                    ("other", crs_label(reading)),
                    ("evidence", Notice(key, values)),
                    ("m", f"{apart:.0f}"),
                ),
            )
        ]
    return []
