"""BASELINE: the row-wise ``validate`` checks as they were before issue 14's vectorising.

A frozen copy of ``hedong_geo/_validate.py``'s per-row checks (commit 58de598; the review and
figure checks, a handful of rows, were not vectorised and are imported), kept for two jobs only:
``bench/bench_validate.py`` times it against the vectorised checks in the same run, and
``tests/test_validate_fast.py`` proves both give exactly the same problems (every message, in
order) for the bad-input corpus, the real layers and a generated parcels layer. Not used by the
app. Also :func:`geojson_rowwise`, the row-by-row GeoJSON text ``publish`` and ``export`` wrote
(``to_geojson`` then ``json.dumps``), the baseline of :func:`hedong_geo.exports.data.geojson_text`.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.ops import unary_union
from shapely.validation import explain_validity

from hedong_geo import citing, plan, schema
from hedong_geo._errors import HedongGeoError
from hedong_geo._validate import _figure_problems, _review_problems  # not vectorised
from hedong_geo.context import hedong_boundary
from hedong_geo.exports.data import to_geojson
from hedong_geo.layers import LayerSet, Problem, load_layers
from hedong_geo.paths import LAYERS
from hedong_geo.register import figures
from hedong_geo.transform import (
    bd09_to_gcj02,
    buffer_m,
    gcj02_to_wgs84_array,
    to_metric,
)

DISTRICT_TOLERANCE_M = 250  # the Hedong outline's own accuracy (geodata/context/README.md)
DATUM_MATCH_M = 30  # a vertex this close to the reference geography coincides with it
DATUM_MIN_MATCHES = 3


def _file(layers: LayerSet, layer: str) -> str:
    return f"{layer}.geojson"


def _geometry_problems(layers: LayerSet) -> list[Problem]:
    problems = []
    hedong = buffer_m(hedong_boundary(), DISTRICT_TOLERANCE_M)
    for name, gdf in layers.layers.items():
        for row in gdf.itertuples():
            geom = row.geometry
            if geom is None:
                continue
            if geom.is_empty:
                problems.append(Problem(_file(layers, name), row.id, "geometry is empty"))
                continue
            if not geom.is_valid:
                problems.append(
                    Problem(
                        _file(layers, name),
                        row.id,
                        f"invalid geometry: {explain_validity(geom)}; fix the recipe or the "
                        "source outline (shapely.make_valid shows a repaired version)",
                    )
                )
                continue
            if name != "context" and not row.cross_district and not hedong.contains(geom):
                problems.append(
                    Problem(
                        _file(layers, name),
                        row.id,
                        f"lies outside Hedong (beyond the outline's {DISTRICT_TOLERANCE_M} m "
                        f"tolerance) at {geom.representative_point().wkt}; correct the location "
                        "or set cross_district: true in geodata/features.yaml",
                    )
                )
    return problems


def _citation_problems(layers: LayerSet) -> list[Problem]:
    problems = []
    for name, gdf in layers.layers.items():
        for row in gdf.itertuples():
            # The 街道 zones are geography, not places of the plan: cited only where it names one.
            if name != "context" and row.category != "street_zone" and not row.citations:
                problems.append(
                    Problem(_file(layers, name), row.id, "has no citation: every place needs one")
                )
            for cite in row.citations or []:
                try:
                    plan.cite(cite["block"], cite["quote"], doc=cite["doc"])
                except HedongGeoError as exc:
                    problems.append(Problem(_file(layers, name), row.id, str(exc)))
                    continue
                for message in citing.citation_problems(row.id, cite):
                    problems.append(Problem(_file(layers, name), row.id, message))
    return problems


def _bd09_to_wgs84(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    gcj = np.array([bd09_to_gcj02(float(x), float(y)) for x, y in zip(lon, lat, strict=True)])
    return gcj02_to_wgs84_array(gcj[:, 0], gcj[:, 1])


# What a mislabelled layer would have to be converted with to become WGS84.
_DATUMS = {"GCJ-02": gcj02_to_wgs84_array, "BD-09": _bd09_to_wgs84}


def _matches(lon: np.ndarray, lat: np.ndarray, reference) -> int:
    """How many of the points lie within ``DATUM_MATCH_M`` of ``reference`` (metres)."""
    points = to_metric(shapely.multipoints(np.column_stack([lon, lat])))
    parts = shapely.get_parts(points)
    return int(np.count_nonzero(shapely.dwithin(parts, reference, DATUM_MATCH_M)))


def _datum_problems(layers: LayerSet) -> list[Problem]:
    """Layers whose coordinates look like GCJ-02 or BD-09 labelled as WGS84.

    The rule: the layers are built from the reference geography (Hedong's outline, the Haihe
    frontage, the reference points of the context layer), so many vertices of a WGS84 layer
    coincide with it (within ``DATUM_MATCH_M``). A layer is flagged when at least
    ``DATUM_MIN_MATCHES`` of its vertices coincide with it only after undoing a GCJ-02 (≈ 550 m
    in Tianjin) or BD-09 shift, and more than twice as many as coincide as written. A layer of
    points that coincide with nothing either way cannot be judged and is not flagged.
    """
    context = layers.layers.get("context")
    if context is None or context.geometry.isna().all():
        return []
    reference = to_metric(
        unary_union(
            [
                g.boundary if g.geom_type.endswith("Polygon") else g
                for g in context.geometry.dropna()
            ]
        )
    )
    shapely.prepare(reference)
    problems = []
    for name, gdf in layers.layers.items():
        geoms = [g for g in gdf.geometry if g is not None and not g.is_empty]
        if name == "context" or not geoms:
            continue
        coords = shapely.get_coordinates(geoms)
        lon, lat = coords[:, 0], coords[:, 1]
        as_written = _matches(lon, lat, reference)
        for datum, to_wgs84 in _DATUMS.items():
            shifted = _matches(*to_wgs84(lon, lat), reference)
            if shifted >= DATUM_MIN_MATCHES and shifted > 2 * as_written:
                problems.append(
                    Problem(
                        _file(layers, name),
                        None,
                        f"looks like {datum} labelled as WGS84: {shifted} of its {len(lon)} "
                        f"vertices meet the reference geography (Hedong's outline, the Haihe, "
                        f"the reference points) once a {datum} shift is undone, {as_written} as "
                        "written; convert the source coordinates to WGS84 "
                        "(hedong_geo.transform) and rebuild",
                    )
                )
                break
    return problems


def validate_layers_rowwise(layers_dir: str | Path = LAYERS) -> list[Problem]:
    """Every problem with the layer files in ``layers_dir``, in one list (empty when all is well).

    Checks: JSON and the layer schema (via :func:`load_layers`: types, ranges, closed and
    counter-clockwise rings, size limits, every bad vertex), unique ids, valid non-empty
    geometry, inside Hedong unless ``cross_district``, the datum (:func:`_datum_problems`),
    every citation resolves and quotes verbatim, every place has a citation, the plan's figures
    (``geodata/figures.json``), and a UI string for every vocabulary value.
    """
    layers = load_layers(layers_dir)
    problems = list(layers.problems)
    if not layers.layers:  # nothing to check the plan, figures and review against
        return problems
    counts = Counter(row.id for gdf in layers.layers.values() for row in gdf.itertuples())
    for fid, n in sorted(counts.items()):
        if n > 1:
            problems.append(
                Problem("layers", fid, f"id is used by {n} features; ids must be unique")
            )
    problems += _geometry_problems(layers)
    problems += _datum_problems(layers)
    problems += _citation_problems(layers)
    problems += _review_problems(layers)
    problems += _figure_problems(layers, figures())
    problems += [Problem("geodata/i18n.json", None, m) for m in schema.ui_problems()]
    return problems


# --- GeoJSON, row by row: data.to_geojson (unchanged) then json.dumps, as publish/export did ----


def geojson_rowwise(
    selection: gpd.GeoDataFrame, name: str | None = None, indent: int | None = None
) -> str:
    """The text ``publish`` (``name``, no indent) and ``export`` (``indent=1``) wrote."""
    top: dict[str, Any] = {"type": "FeatureCollection"}
    if name is not None:
        top["name"] = name
    payload = {**top, **to_geojson(selection)}
    return json.dumps(payload, ensure_ascii=False, indent=indent)
