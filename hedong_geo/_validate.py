"""Check the layers against the schema, the district, the plan text and the plan's figures.

:func:`validate_layers` gathers every problem and returns them all, so one run of
``python -m hedong_geo validate`` tells a reviewer everything to fix.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import shapely
from shapely.ops import unary_union
from shapely.validation import explain_validity

from hedong_geo import citing, plan, schema
from hedong_geo._errors import HedongGeoError
from hedong_geo.context import hedong_boundary
from hedong_geo.layers import LayerSet, Problem, gc_paused, load_layers
from hedong_geo.paths import LAYERS
from hedong_geo.register import FIGURES, figures
from hedong_geo.transform import (
    area_km2,
    bd09_to_gcj02_array,
    buffer_m,
    gcj02_to_wgs84_array,
    length_km,
    to_metric,
)

DISTRICT_TOLERANCE_M = 250  # the Hedong outline's own accuracy (geodata/context/README.md)
TILING_REL_TOL = 1e-4
DATUM_MATCH_M = 30  # a vertex this close to the reference geography coincides with it
DATUM_MIN_MATCHES = 3


def _file(layers: LayerSet, layer: str) -> str:
    return f"{layer}.geojson"


def _geometry_problems(layers: LayerSet) -> list[Problem]:
    """Empty, invalid, or outside Hedong: each test run once over a layer's geometries."""
    problems = []
    hedong = buffer_m(hedong_boundary(), DISTRICT_TOLERANCE_M)
    shapely.prepare(hedong)
    for name, gdf in layers.layers.items():
        geoms = np.asarray(gdf.geometry.array, dtype=object)
        located = ~shapely.is_missing(geoms)
        empty = located & shapely.is_empty(geoms)
        invalid = located & ~empty & ~shapely.is_valid(geoms)
        outside = np.zeros(len(geoms), dtype=bool)
        if name != "context":
            crossing = np.fromiter(map(bool, gdf["cross_district"]), dtype=bool, count=len(gdf))
            judged = located & ~empty & ~invalid & ~crossing
            outside[judged] = ~shapely.contains(hedong, geoms[judged])
        ids = gdf["id"].tolist()
        for i in np.flatnonzero(empty | invalid | outside):
            problems.append(Problem(_file(layers, name), ids[i], _geometry_message(geoms[i])))
    return problems


def _geometry_message(geom) -> str:
    """What is wrong with ``geom``, known to be empty, invalid, or outside Hedong."""
    if geom.is_empty:
        return "geometry is empty"
    if not geom.is_valid:
        return (
            f"invalid geometry: {explain_validity(geom)}; fix the recipe or the "
            "source outline (shapely.make_valid shows a repaired version)"
        )
    return (
        f"lies outside Hedong (beyond the outline's {DISTRICT_TOLERANCE_M} m "
        f"tolerance) at {geom.representative_point().wkt}; correct the location "
        "or set cross_district: true in geodata/features.yaml"
    )


def _citation_problems(layers: LayerSet) -> list[Problem]:
    problems = []
    for name, gdf in layers.layers.items():
        file = _file(layers, name)
        columns = (gdf["id"].tolist(), gdf["category"].tolist(), gdf["citations"].tolist())
        for fid, category, citations in zip(*columns, strict=True):
            # The 街道 zones are geography, not places of the plan: cited only where it names one.
            if name != "context" and category != "street_zone" and not citations:
                problems.append(Problem(file, fid, "has no citation: every place needs one"))
            for cite in citations or []:
                try:
                    plan.cite(cite["block"], cite["quote"], doc=cite["doc"])
                except HedongGeoError as exc:
                    problems.append(Problem(file, fid, str(exc)))
                    continue
                for message in citing.citation_problems(fid, cite):
                    problems.append(Problem(file, fid, message))
    return problems


def _review_problems(layers: LayerSet) -> list[Problem]:
    """The reviewed data under geodata/review/ against the layers (facts, stance overrides)."""
    frame = layers.features()
    citations = dict(zip(frame["id"], frame["citations"], strict=True))
    found = citing.review_problems(citations, set(citations))
    return [Problem("geodata/review", None, message) for message in found]


def _figure_problems(layers: LayerSet, figures: dict) -> list[Problem]:
    problems = []
    where = {
        fid: (name, geom)
        for name, gdf in layers.layers.items()
        for fid, geom in zip(gdf["id"].tolist(), gdf.geometry.array, strict=True)
    }

    def get(fid: str):
        if fid not in where or where[fid][1] is None:
            problems.append(
                Problem(FIGURES.name, fid, "the figure's feature is missing or unlocated")
            )
            return None, None
        return where[fid]

    for kind, measure, unit in (("area_km2", area_km2, "km²"), ("length_km", length_km, "km")):
        for fig in figures.get(kind, []):
            name, geom = get(fig["feature"])
            if geom is None:
                continue
            value = measure(geom)
            if abs(value - fig["value"]) > fig["rel_tol"] * fig["value"]:
                problems.append(
                    Problem(
                        _file(layers, name),
                        fig["feature"],
                        f"measures {value:.3f} {unit}; the plan says {fig['value']} {unit} "
                        f"(± {fig['rel_tol']:.0%}; {fig['source']})",
                    )
                )
    for fig in figures.get("tiling", []):
        name, whole = get(fig["whole"])
        parts = [get(p)[1] for p in fig["parts"]]
        if whole is None or any(p is None or not p.is_valid for p in [whole, *parts]):
            continue  # missing or invalid geometry is reported on its own
        union = unary_union(parts)
        gap = area_km2(whole.symmetric_difference(union)) if not whole.equals(union) else 0.0
        overlap = sum(
            area_km2(a.intersection(b)) if a.intersects(b) else 0.0
            for i, a in enumerate(parts)
            for b in parts[i + 1 :]
        )
        # Rounding to 6 decimals (≈ 0.1 m) opens slivers of a few m² along the shared edges.
        slack = TILING_REL_TOL * area_km2(whole)
        if gap > slack or overlap > slack:
            problems.append(
                Problem(
                    _file(layers, name),
                    fig["whole"],
                    f"its parts {fig['parts']} do not tile it: {gap * 1e6:.1f} m² differ from "
                    f"the whole, {overlap * 1e6:.1f} m² overlap",
                )
            )
    for fig in figures.get("contains", []):
        name, outer = get(fig["outer"])
        _, inner = get(fig["inner"])
        if outer is not None and inner is not None and not buffer_m(outer, 1).contains(inner):
            problems.append(
                Problem(_file(layers, name), fig["outer"], f"does not contain {fig['inner']!r}")
            )
    return problems


def _bd09_to_wgs84(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return gcj02_to_wgs84_array(*bd09_to_gcj02_array(lon, lat))


# What a mislabelled layer would have to be converted with to become WGS84.
_DATUMS = {"GCJ-02": gcj02_to_wgs84_array, "BD-09": _bd09_to_wgs84}


def _reference_tree(context) -> shapely.STRtree:
    """The reference geography (metres) as a tree of its single segments and points.

    A point lies within a distance of a set of lines iff it lies within it of one of their
    segments; short segments keep each query to the few segments near the point.
    """
    reference = to_metric(
        unary_union(
            [
                g.boundary if g.geom_type.endswith("Polygon") else g
                for g in context.geometry.dropna()
            ]
        )
    )
    parts = shapely.get_parts(reference)
    kinds = shapely.get_type_id(parts)
    lines = np.isin(kinds, (1, 2))  # LineString, LinearRing
    coords, index = shapely.get_coordinates(parts[lines], return_index=True)
    joined = index[:-1] == index[1:]  # consecutive vertices of the same line
    segments = shapely.linestrings(np.stack([coords[:-1][joined], coords[1:][joined]], axis=1))
    return shapely.STRtree(np.concatenate([segments, parts[~lines]]))


def _matches(lon: np.ndarray, lat: np.ndarray, weight: np.ndarray, tree: shapely.STRtree) -> int:
    """How many vertices lie within ``DATUM_MATCH_M`` of the reference (metres).

    ``lon, lat`` are the distinct vertices and ``weight`` how often each occurs.
    """
    points = shapely.get_parts(to_metric(shapely.multipoints(np.column_stack([lon, lat]))))
    near = tree.query(points, predicate="dwithin", distance=DATUM_MATCH_M)[0]
    return int(weight[np.unique(near)].sum())


def _distinct_vertices(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct vertices of ``geoms`` (lon, lat, in order of first appearance) and how
    often each occurs: neighbouring parcels share most of theirs."""
    coords = np.ascontiguousarray(shapely.get_coordinates(geoms))
    keys = coords.view(np.complex128)[:, 0]
    _, first, counts = np.unique(keys, return_index=True, return_counts=True)
    order = np.argsort(first)
    distinct = coords[first[order]]
    return distinct[:, 0].copy(), distinct[:, 1].copy(), counts[order]


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
    tree = _reference_tree(context)
    problems = []
    for name, gdf in layers.layers.items():
        geoms = np.asarray(gdf.geometry.array, dtype=object)
        geoms = geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)]
        if name == "context" or not len(geoms):
            continue
        lon, lat, weight = _distinct_vertices(geoms)
        total = int(weight.sum())
        as_written = _matches(lon, lat, weight, tree)
        for datum, to_wgs84 in _DATUMS.items():
            shifted = _matches(*to_wgs84(lon, lat), weight, tree)
            if shifted >= DATUM_MIN_MATCHES and shifted > 2 * as_written:
                problems.append(
                    Problem(
                        _file(layers, name),
                        None,
                        f"looks like {datum} labelled as WGS84: {shifted} of its {total} "
                        f"vertices meet the reference geography (Hedong's outline, the Haihe, "
                        f"the reference points) once a {datum} shift is undone, {as_written} as "
                        "written; convert the source coordinates to WGS84 "
                        "(hedong_geo.transform) and rebuild",
                    )
                )
                break
    return problems


def _duplicate_id_problems(layers: LayerSet) -> list[Problem]:
    counts = Counter(fid for gdf in layers.layers.values() for fid in gdf["id"].tolist())
    shared = sorted((fid, n) for fid, n in counts.items() if n > 1)
    return [
        Problem("layers", fid, f"id is used by {n} features; ids must be unique")
        for fid, n in shared
    ]


def validate_layers(layers_dir: str | Path = LAYERS) -> list[Problem]:
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
    # The checks make a Problem (and lists) per bad feature: with 50,000 parcels loaded, the
    # collector's full passes over them took as long as the checks themselves.
    with gc_paused():
        problems += _duplicate_id_problems(layers)
        problems += _geometry_problems(layers)
        problems += _datum_problems(layers)
        problems += _citation_problems(layers)
        problems += _review_problems(layers)
        problems += _figure_problems(layers, figures())
        problems += [Problem("geodata/i18n.json", None, m) for m in schema.ui_problems()]
    return problems
