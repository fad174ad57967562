"""Geometry recipes: pure functions that derive geometry from source data.

Each recipe takes and returns shapely geometries in WGS84 longitude/latitude (unless its name
says GCJ-02) and does one documented step, so a reviewer can check how a layer's geometry was
made. ``geodata/build_context.py`` and the layer build call these; none of them reads files.

Sections:

- Output hygiene: rounding and RFC 7946 orientation.
- Context recipes: district outlines from Amap (GCJ-02) data, shared boundaries, the Haihe
  frontage, and the comparison of two boundary sources.
- Layer recipes (metric, EPSG:4527): outlines calibrated to the plan's figures, bands along the
  river, the park from its anchors and its quadrants, a circle over several objects, a schematic
  tributary.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np
import shapely
from shapely.geometry import (
    LineString,
    MultiLineString,
    MultiPoint,
    MultiPolygon,
    Point,
    Polygon,
    box,
)
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient
from shapely.ops import linemerge, substring, unary_union

from hedong_geo._errors import LayerError
from hedong_geo.transform import geometry_from_gcj02, to_metric

__all__ = [
    "belt",
    "boundary_distances_m",
    "calibrate_area",
    "covering_circle",
    "decimals_for",
    "district_from_gcj02",
    "frontage",
    "frontage_segment",
    "merge_lines",
    "orient_north_to_south",
    "orient_rfc7946",
    "park_from_anchors",
    "quadrants",
    "round_coordinates",
    "shared_boundary",
    "station_zone",
    "station_zone_whole",
    "tributary",
]


# --- output hygiene -----------------------------------------------------------------------------


def round_coordinates(geom: BaseGeometry, ndigits: int = 6) -> BaseGeometry:
    """Round every coordinate to ``ndigits`` decimals (6 decimals ≈ 0.1 m).

    Files are written from rounded geometry so that what is measured is what is published.
    """
    return shapely.transform(geom, lambda xy: np.round(xy, ndigits))


def decimals_for(accuracy_m: float) -> int:
    """Decimal places of a degree that state a position no finer than a tenth of its accuracy.

    A point known to ± 1 km is written to 4 decimals (≈ 11 m), one known to ± 50 m to 5: a
    coordinate's digits should not claim more than its source knows. Between 3 and 6.
    """
    metres_per_degree = 111_320.0
    return int(min(6, max(3, math.ceil(math.log10(10 * metres_per_degree / accuracy_m)))))


def orient_rfc7946(geom: BaseGeometry) -> BaseGeometry:
    """Polygons with counter-clockwise exteriors and clockwise holes (RFC 7946 §3.1.6).

    Other geometry types are returned unchanged.
    """
    if isinstance(geom, Polygon):
        return orient(geom, sign=1.0)
    if isinstance(geom, MultiPolygon):
        return MultiPolygon([orient(part, sign=1.0) for part in geom.geoms])
    return geom


# --- context recipes ----------------------------------------------------------------------------


def district_from_gcj02(geom: BaseGeometry) -> Polygon | MultiPolygon:
    """A district outline from Amap data (GCJ-02) as a WGS84 polygon.

    Converts every vertex with the iterative GCJ-02 inverse (so shared vertices of neighbouring
    districts stay shared and the districts still tile), unwraps a one-part MultiPolygon, and
    orients rings as RFC 7946 asks.
    """
    if not isinstance(geom, (Polygon, MultiPolygon)):
        raise LayerError(f"district geometry is a {type(geom).__name__}; expected a polygon")
    wgs = geometry_from_gcj02(geom)
    if isinstance(wgs, MultiPolygon) and len(wgs.geoms) == 1:
        wgs = wgs.geoms[0]
    if not wgs.is_valid:
        raise LayerError(
            f"district outline is invalid after conversion: {shapely.is_valid_reason(wgs)}"
        )
    return orient_rfc7946(wgs)


def _line_parts(geom: BaseGeometry) -> list[LineString]:
    """The LineStrings in a geometry, however nested; points and polygons are dropped."""
    if isinstance(geom, LineString):
        return [] if geom.is_empty else [geom]
    if hasattr(geom, "geoms"):
        return [line for part in geom.geoms for line in _line_parts(part)]
    return []


def shared_boundary(a: BaseGeometry, b: BaseGeometry) -> LineString | MultiLineString:
    """The boundary two adjacent polygons share, as merged lines.

    Needs polygons that share vertices along their common edge (as district sets from one source
    do); touching points are dropped. Empty when the polygons do not share an edge.
    """
    parts = _line_parts(a.boundary.intersection(b.boundary))
    if not parts:
        return LineString()
    return linemerge(parts)


def merge_lines(lines: Iterable[BaseGeometry]) -> LineString:
    """Merge line pieces that join end to end into one LineString.

    Raises
    ------
    LayerError
        If the pieces do not form one connected, unbranched line.
    """
    merged = linemerge([part for line in lines for part in _line_parts(line)])
    if not isinstance(merged, LineString):
        count = len(getattr(merged, "geoms", []))
        raise LayerError(f"the lines merge into {count} separate pieces; expected one line")
    return merged


def orient_north_to_south(line: LineString) -> LineString:
    """The line running from its northern end to its southern end."""
    (_, y0), (_, y1) = line.coords[0], line.coords[-1]
    return line if y0 >= y1 else line.reverse()


def frontage(district: BaseGeometry, across: Iterable[BaseGeometry]) -> LineString:
    """A district's river frontage: its boundary shared with the districts across the river.

    Where a district boundary follows a river (Hedong's with 和平 and 河西 follow the Haihe
    centreline), the shared boundary is a fair proxy of the river line. Returned as one line,
    north to south.
    """
    return orient_north_to_south(merge_lines(shared_boundary(district, n) for n in across))


def boundary_distances_m(a: BaseGeometry, b: BaseGeometry, step_m: float = 20.0) -> np.ndarray:
    """How far the boundary of ``a`` lies from the boundary of ``b``, in metres.

    ``a``'s boundary (or ``a`` itself, if a line) is sampled every ``step_m`` metres in
    EPSG:4527; the result holds each sample's distance to ``b``'s boundary. Its percentiles
    measure how much two sources of the same outline disagree; the largest value of both
    directions is their Hausdorff distance.
    """
    line_a = to_metric(a if a.geom_type.endswith("LineString") else a.boundary)
    line_b = to_metric(b if b.geom_type.endswith("LineString") else b.boundary)
    samples = shapely.points(shapely.get_coordinates(shapely.segmentize(line_a, step_m)))
    return shapely.distance(samples, line_b)


# --- Layer recipes ------------------------------------------------------------------------------
# These work in a metric CRS (EPSG:4527, metres): the build projects its inputs with
# hedong_geo.transform.to_metric and the results back with from_metric.


def calibrate_area(
    make: Callable[[float], BaseGeometry],
    target_m2: float,
    low: float,
    high: float,
    rel_tol: float = 1e-4,
) -> tuple[BaseGeometry, float]:
    """Find the parameter of ``make`` whose geometry has area ``target_m2``, by bisection.

    ``make(p)`` must grow with ``p``. Used to calibrate a schematic outline to an area the plan
    states (the station zone's 6.53 km²), so the outline is honest about its size if not its
    shape. Returns the geometry and the parameter.
    """
    if not make(low).area <= target_m2 <= make(high).area:
        raise ValueError(
            f"target area {target_m2 / 1e6:.3f} km² is outside what the recipe can make "
            f"({make(low).area / 1e6:.3f}–{make(high).area / 1e6:.3f} km²)"
        )
    for _ in range(100):
        middle = (low + high) / 2
        geom = make(middle)
        if abs(geom.area - target_m2) <= rel_tol * target_m2:
            return geom, middle
        low, high = (middle, high) if geom.area < target_m2 else (low, middle)
    return geom, middle


def station_zone(
    district: BaseGeometry, hub: Point, south_anchor: Point, area_m2: float
) -> tuple[BaseGeometry, float]:
    """The station zone's Hedong part: the district within a calibrated distance of the
    line from the station hub to the southern anchor (the 十一经路 riverside), with the area
    the plan gives. Returns the polygon and the distance in metres."""
    core = LineString([hub, south_anchor])
    return calibrate_area(
        lambda r: district.intersection(core.buffer(r, quad_segs=32)), area_m2, 1.0, 10_000.0
    )


def station_zone_whole(
    hedong_part: BaseGeometry, neighbours: BaseGeometry, hub: Point, area_m2: float
) -> tuple[BaseGeometry, float]:
    """The whole zone over three districts: the Hedong part plus the neighbours (和平, 河北)
    within a calibrated radius of the hub, with the total area the plan gives."""
    return calibrate_area(
        lambda r: unary_union([hedong_part, neighbours.intersection(hub.buffer(r, quad_segs=32))]),
        area_m2,
        1.0,
        10_000.0,
    )


def belt(frontage_line: LineString, district: BaseGeometry, width_m: float) -> BaseGeometry:
    """A band ``width_m`` wide along a river frontage, on the district's side of it."""
    return district.intersection(frontage_line.buffer(width_m, quad_segs=16))


def frontage_segment(
    frontage_line: LineString, district: BaseGeometry, a: Point, b: Point, width_m: float
) -> BaseGeometry:
    """The part of the belt between the points of the frontage nearest to ``a`` and ``b``."""
    start, end = sorted((frontage_line.project(a), frontage_line.project(b)))
    piece = substring(frontage_line, start, end)
    return belt(piece, district, width_m)


def park_from_anchors(
    anchors: dict[str, list[tuple[Point, float]]], district: BaseGeometry, zone: BaseGeometry
) -> tuple[BaseGeometry, Point]:
    """A park drawn around located anchors, and the point where its quadrants meet.

    ``anchors`` maps a quadrant (``ne``, ``nw``, ``se``, ``sw``) to the (point, accuracy)
    pairs the plan puts in it. The outline is the convex hull of the anchors' accuracy circles,
    extended due south to the district's boundary (the park "南接" what lies beyond it), then
    clipped to the district and to ``zone`` (the 街道 the plan places it in). The centre lies
    midway between the anchors of the western and eastern quadrants, and between those of the
    southern and northern ones, so each anchor falls in its quadrant.

    Raises
    ------
    ValueError
        When no anchor is given, or the anchors do not lie west/east and south/north of each
        other as their quadrants say.
    """
    items = [(q, p, a) for q, pairs in anchors.items() for p, a in pairs]
    if not items:
        raise ValueError("the park needs at least one located anchor")
    hull = unary_union([p.buffer(a, quad_segs=16) for _, p, a in items]).convex_hull
    minx, miny, maxx, maxy = hull.bounds
    south = box(minx, miny - 50_000, maxx, (miny + maxy) / 2)
    shape = unary_union([hull, south]).intersection(district).intersection(zone)
    shape = max(getattr(shape, "geoms", [shape]), key=lambda part: part.area)
    centre = Point(
        _between(
            [p.x for q, p, _ in items if q[1] == "w"],
            [p.x for q, p, _ in items if q[1] == "e"],
            shape.centroid.x,
            "west",
            "east",
        ),
        _between(
            [p.y for q, p, _ in items if q[0] == "s"],
            [p.y for q, p, _ in items if q[0] == "n"],
            shape.centroid.y,
            "south",
            "north",
        ),
    )
    return shape, centre


def _between(low: list[float], high: list[float], default: float, lo: str, hi: str) -> float:
    """A coordinate between the largest of ``low`` and the smallest of ``high`` (midway), or
    beside the one side that has anchors, or ``default``."""
    if low and high:
        if max(low) >= min(high):
            raise ValueError(f"the {lo}ern anchors do not all lie {lo} of the {hi}ern ones")
        return (max(low) + min(high)) / 2
    if low:
        return max(default, max(low) + 1.0)
    if high:
        return min(default, min(high) - 1.0)
    return default


def covering_circle(objects: list[tuple[Point, float]]) -> tuple[Point, float]:
    """The centre of several (point, accuracy) objects and the radius that covers every one of
    them with its accuracy: where a place that spans them all may be said to be. One object
    gives itself."""
    if len(objects) == 1:
        point, accuracy = objects[0]
        return point, float(accuracy)
    centre = MultiPoint([p for p, _ in objects]).centroid
    return centre, float(max(centre.distance(p) + a for p, a in objects))


def quadrants(area: BaseGeometry, centre: Point) -> dict[str, BaseGeometry]:
    """Split ``area`` into four quadrants (``ne``, ``nw``, ``se``, ``sw``) at ``centre``.

    The pieces tile the area exactly: their union is the area and they share only edges.
    """
    minx, miny, maxx, maxy = area.bounds
    cx, cy = centre.x, centre.y
    cells = {
        "ne": box(cx, cy, max(maxx, cx), max(maxy, cy)),
        "nw": box(min(minx, cx), cy, cx, max(maxy, cy)),
        "se": box(cx, min(miny, cy), max(maxx, cx), cy),
        "sw": box(min(minx, cx), min(miny, cy), cx, cy),
    }
    return {name: _polygonal(area.intersection(cell)) for name, cell in cells.items()}


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """The polygons of an intersection, without the lines and points where it only touches."""
    if geom.geom_type != "GeometryCollection":
        return geom
    return unary_union([g for g in geom.geoms if g.geom_type in ("Polygon", "MultiPolygon")])


def tributary(
    frontage_line: LineString, district: BaseGeometry, length_m: float, steps: int = 72
) -> LineString:
    """A schematic tributary: a straight line of ``length_m`` leaving the frontage at its
    midpoint into the district, turned in 5° steps from the direction of the district's centre
    until it lies within the district. Shows that a river exists and how long it is, nothing
    more."""
    start = frontage_line.interpolate(0.5, normalized=True)
    centre = district.representative_point()
    heading = math.atan2(centre.y - start.y, centre.x - start.x)
    inner = district.buffer(1.0)
    for step in range(steps):
        turn = math.radians(5 * ((step + 1) // 2)) * (1 if step % 2 else -1)
        angle = heading + turn
        end = (start.x + length_m * math.cos(angle), start.y + length_m * math.sin(angle))
        line = LineString([start, end])
        if inner.contains(line):
            return line
    raise ValueError(f"no straight line of {length_m:.0f} m from the frontage fits the district")
