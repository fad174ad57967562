"""The part of the district a snapshot shows, in EPSG:4527 metres.

The snapshot is drawn in a metric CRS (EPSG:4527, CGCS2000 / 3-degree Gauss-Kruger, central
meridian 117°E) so that accuracy circles are true metres and the scale bar is exact.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import geopandas as gpd
import pandas as pd
from pyproj import Transformer

from hedong_geo._errors import ExportError
from hedong_geo.context import is_hedong
from hedong_geo.layers import LayerSet
from hedong_geo.transform import METRIC_CRS, to_metric

__all__ = [
    "METRIC_CRS",
    "at_scale",
    "fit_aspect",
    "hedong_outline",
    "parse_extent",
    "resolve_extent",
]

# Any requested lon/lat extent must lie within Tianjin municipality.
TIANJIN_LON = (116.7, 118.1)
TIANJIN_LAT = (38.5, 40.3)
# How far beyond what is shown the view reaches: (share of the larger side, at least metres).
DISTRICT_PAD = (0.04, 200.0)
FEATURE_PAD = (0.25, 300.0)


def parse_extent(text: str) -> str | tuple[float, float, float, float]:
    """``"district"``, a feature id, or ``"minlon,minlat,maxlon,maxlat"`` as a float tuple."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) == 1:
        return parts[0]
    if len(parts) != 4:
        raise ExportError(
            f"extent {text!r} has {len(parts)} parts; expected 'district', a feature id "
            "or minlon,minlat,maxlon,maxlat"
        )
    try:
        minlon, minlat, maxlon, maxlat = (float(p) for p in parts)
    except ValueError:
        raise ExportError(
            f"extent {text!r} is not four numbers; expected minlon,minlat,maxlon,maxlat"
        ) from None
    return (minlon, minlat, maxlon, maxlat)


def _check_bbox(bbox: Sequence[float]) -> tuple[float, float, float, float]:
    minlon, minlat, maxlon, maxlat = (float(v) for v in bbox)
    if not all(math.isfinite(v) for v in (minlon, minlat, maxlon, maxlat)):
        raise ExportError(f"extent {tuple(bbox)!r} has a non-finite number")
    if not (minlon < maxlon and minlat < maxlat):
        raise ExportError(
            f"extent {tuple(bbox)!r} is empty; expected minlon < maxlon and minlat < maxlat"
        )
    inside = (
        TIANJIN_LON[0] <= minlon
        and maxlon <= TIANJIN_LON[1]
        and TIANJIN_LAT[0] <= minlat
        and maxlat <= TIANJIN_LAT[1]
    )
    if not inside:
        raise ExportError(
            f"extent {tuple(bbox)!r} is outside Tianjin; expected lon within {TIANJIN_LON} "
            f"and lat within {TIANJIN_LAT}"
        )
    return minlon, minlat, maxlon, maxlat


def _pad(bounds: Sequence[float], fraction: float, minimum_m: float) -> tuple[float, ...]:
    minx, miny, maxx, maxy = bounds
    pad = max(fraction * max(maxx - minx, maxy - miny), minimum_m)
    return (minx - pad, miny - pad, maxx + pad, maxy + pad)


def hedong_outline(context: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The rows of ``context`` that are Hedong's own boundary."""
    hedong = pd.Series(
        [is_hedong(str(f), n) for f, n in zip(context["id"], context["name_zh"], strict=True)],
        index=context.index,
        dtype=bool,
    )
    return context[(context["category"] == "boundary") & hedong]


def _district(layerset: LayerSet) -> tuple[float, ...]:
    """Hedong's outline from the context layer, else the bounds of every located feature."""
    if "context" in layerset.layers:
        context = layerset.layers["context"]
        context = to_metric(context[context.geometry.notna()])
        outline = hedong_outline(context[context["group"] == "context"])
        if len(outline):
            return tuple(outline.total_bounds)
    everything = layerset.features()
    everything = everything[~everything.geometry.isna() & ~everything.geometry.is_empty]
    if everything.empty:
        raise ExportError("no located feature in the layers: nothing to draw")
    to_m = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
    return tuple(to_m.transform_bounds(*everything.total_bounds, densify_pts=21))


def resolve_extent(
    layerset: LayerSet,
    extent: str | Sequence[float] | None = None,
    margin_m: float | None = None,
) -> tuple[float, float, float, float]:
    """Map extent in EPSG:4527 metres for ``"district"`` (default), a feature id or a bbox.

    The district is Hedong's outline from the context layer when there is one, else the bounds
    of every located feature. A feature's extent is padded so its surroundings show (by
    ``margin_m`` when given, else a quarter of its size and at least 300 m; a point's by at
    least its accuracy).
    """
    if isinstance(extent, str):
        extent = parse_extent(extent)
    if extent is None or extent == "district":
        return _pad(_district(layerset), *DISTRICT_PAD)
    if isinstance(extent, str):
        row = layerset.feature(extent)
        if row.geometry is None or row.geometry.is_empty:
            raise ExportError(
                f"feature {extent!r} is unlocated (location_basis 'unlocated'); it has no "
                "extent to show. Use 'district' or a lon/lat bbox"
            )
        one = to_metric(gpd.GeoDataFrame([row], geometry="geometry", crs="EPSG:4326"))
        if margin_m is not None:
            return _pad(one.total_bounds, 0.0, float(margin_m))
        accuracy = float(row["accuracy_m"] or 0.0)
        fraction, minimum = FEATURE_PAD
        return _pad(one.total_bounds, fraction, max(minimum, 1.5 * accuracy))
    minlon, minlat, maxlon, maxlat = _check_bbox(extent)
    to_m = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
    return tuple(to_m.transform_bounds(minlon, minlat, maxlon, maxlat, densify_pts=21))


def at_scale(
    bounds: Sequence[float], frame_mm: tuple[float, float], denominator: int
) -> tuple[float, float, float, float]:
    """The view centred on ``bounds`` that a frame of ``frame_mm`` shows at 1:``denominator``."""
    minx, miny, maxx, maxy = bounds
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    w = frame_mm[0] / 1000 * denominator
    h = frame_mm[1] / 1000 * denominator
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def fit_aspect(bounds: Sequence[float], width: float, height: float) -> tuple[float, ...]:
    """Grow ``bounds`` in one direction so they fill a frame of ``width`` × ``height``."""
    minx, miny, maxx, maxy = bounds
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    w, h = maxx - minx, maxy - miny
    if w / h < width / height:
        w = h * width / height
    else:
        h = w * height / width
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
