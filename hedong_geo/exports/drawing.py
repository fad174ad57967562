"""The plan's features on the printed map, styled like the web map, at a cost that follows what
is drawn at the figure's scale.

Polygons and lines go to matplotlib as one collection per style, simplified to half a printed
pixel (the ink cannot show more), not one patch per feature; points are one scatter per style.
Accuracy circles are drawn for layers the figure names one by one; a large layer (more than
:data:`LARGE_LAYER` features in view) is drawn as its shapes only, and summarised in the list.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import matplotlib
import numpy as np
import shapely
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.path import Path as MplPath

from hedong_geo.exports.furniture import CIRCLED_BASES, dashes
from hedong_geo.styles import feature_style, load_styles

__all__ = [
    "LARGE_LAYER",
    "draw_features",
    "draw_selected",
    "fill_polygons",
    "split_large",
    "stroke_lines",
]

LARGE_LAYER = 300  # more features of one layer in view than this: drawn, not named one by one
MARKER_PT2 = 14.0  # a point's marker, in points² (matplotlib's scatter size)


def split_large(shown: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, dict[str, int]]:
    """The features named one by one, and ``{layer: count}`` of the layers too large to name."""
    counts = shown["layer"].value_counts()
    large = {str(k): int(v) for k, v in counts.items() if v > LARGE_LAYER}
    named = shown[~shown["layer"].isin(list(large))] if large else shown
    return named, large


def _ring_paths(geoms: np.ndarray) -> list[MplPath]:
    """One compound path per polygon (exterior and holes), from shapely's flat arrays."""
    kind, coords, offsets = shapely.to_ragged_array(shapely.get_parts(geoms))
    if kind != shapely.GeometryType.POLYGON:
        raise ValueError(f"expected polygons, got {kind!r}")
    rings, polys = offsets  # ring → coords, polygon → rings
    paths = []
    for p in range(len(polys) - 1):
        verts, codes = [], []
        for r in range(polys[p], polys[p + 1]):
            ring = coords[rings[r] : rings[r + 1]]
            verts.append(ring)
            code = np.full(len(ring), MplPath.LINETO, dtype=np.uint8)
            code[0], code[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
            codes.append(code)
        paths.append(MplPath(np.concatenate(verts), np.concatenate(codes)))
    return paths


def _lines(geoms: np.ndarray) -> list[np.ndarray]:
    """The vertices of each line (or ring) part, for a LineCollection."""
    coords, index = shapely.get_coordinates(shapely.get_parts(geoms), return_index=True)
    cuts = np.flatnonzero(np.diff(index)) + 1
    return np.split(coords, cuts) if len(coords) else []


def fill_polygons(ax: Any, geoms: Any, zorder: float, **style: Any) -> None:
    """Polygons as one collection (``facecolors``, ``edgecolors``, ``linewidths``, …)."""
    geoms = np.asarray(geoms)
    if len(geoms):
        ax.add_collection(PathCollection(_ring_paths(geoms), zorder=zorder, **style))


def stroke_lines(ax: Any, geoms: Any, zorder: float, **style: Any) -> None:
    """Lines (or polygon outlines) as one collection (``colors``, ``linewidths``, …)."""
    geoms = np.asarray(geoms)
    if len(geoms):
        ax.add_collection(LineCollection(_lines(geoms), zorder=zorder, **style))


def _circles(ax: Any, points: gpd.GeoDataFrame, fill: Any, colour: str, width: float, line: Any):
    """Accuracy circles in true metres: one fill for their union, each outline drawn."""
    circles = points.geometry.buffer(points["accuracy_m"].astype(float), 48)
    union = shapely.get_parts(np.array([circles.union_all()]))
    ax.add_collection(
        PathCollection(_ring_paths(union), facecolors=[fill], edgecolors="none", zorder=3)
    )
    rims = _lines(shapely.get_exterior_ring(np.asarray(circles.values)))
    ax.add_collection(
        LineCollection(rims, colors=colour, linewidths=0.6 * width, linestyles=line, zorder=3)
    )


def draw_features(
    ax: Any, shown: gpd.GeoDataFrame, tolerance_m: float, circles: bool = True
) -> set[str]:
    """Draw ``shown`` (metres) styled by group and location basis; return the bases drawn.

    ``tolerance_m`` is how far a simplified outline may stray (half a printed pixel).
    ``circles=False`` leaves out the accuracy circles (a large layer's points).
    """
    bases = set()
    kinds = shown.geometry.geom_type
    for (group, basis), part in shown.groupby(["group", "location_basis"], sort=False):
        style = feature_style(group, basis)
        colour = style["color"]
        width = 0.6 * style["weight"]  # Leaflet px to points, thinner for print
        line = dashes(style["dash"])
        fill = matplotlib.colors.to_rgba(colour, style["fill_opacity"])
        geoms = shapely.simplify(np.asarray(part.geometry.values), tolerance_m)
        kind = kinds.loc[part.index]
        polys = geoms[kind.isin(["Polygon", "MultiPolygon"]).to_numpy()]
        if len(polys):
            ax.add_collection(
                PathCollection(
                    _ring_paths(polys),
                    facecolors=[fill],
                    edgecolors=[colour],
                    linewidths=width,
                    linestyles=line,
                    zorder=2,
                )
            )
        lines = geoms[kind.isin(["LineString", "MultiLineString"]).to_numpy()]
        if len(lines):
            ax.add_collection(
                LineCollection(
                    _lines(lines), colors=colour, linewidths=width + 0.6, linestyles=line, zorder=4
                )
            )
        points = part[kind.isin(["Point", "MultiPoint"]).to_numpy()]
        if len(points):
            if circles and basis in CIRCLED_BASES:
                _circles(ax, points, fill, colour, width, line)
            xy = shapely.get_coordinates(points.geometry.values)
            ax.scatter(
                xy[:, 0],
                xy[:, 1],
                s=MARKER_PT2,
                c=colour,
                edgecolors="white",
                linewidths=0.5,
                zorder=5,
            )
        bases.add(basis)
    return bases


def draw_selected(ax: Any, chosen: gpd.GeoDataFrame) -> None:
    """The selected features: a broad band in the selection colour under a black outline."""
    if chosen.empty:
        return
    colour = load_styles()["selected"]["color"]
    geoms = np.asarray(chosen.geometry.values)
    kind = chosen.geometry.geom_type.to_numpy()
    areal = np.isin(kind, ["Polygon", "MultiPolygon"])
    linear = np.isin(kind, ["LineString", "MultiLineString"])
    outlines = list(shapely.boundary(geoms[areal])) + list(geoms[linear])
    if outlines:
        segs = _lines(np.array(outlines, dtype=object))
        ax.add_collection(
            LineCollection(
                segs,
                colors=colour,
                linewidths=5,
                alpha=0.8,
                zorder=1.9,
                capstyle="round",
                joinstyle="round",
            )
        )
        ax.add_collection(LineCollection(segs, colors="black", linewidths=1.4, zorder=6))
    points = geoms[~(areal | linear)]
    if len(points):
        xy = shapely.get_coordinates(points)
        ax.scatter(
            xy[:, 0], xy[:, 1], s=110, c=colour, edgecolors="black", linewidths=1.2, zorder=4.9
        )
