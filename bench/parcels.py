"""GENERATED TEST DATA: a 控规-like parcels layer of ``n`` polygons inside Hedong, for benchmarks.

The bureau's regulatory-plan (控规) parcels are tens of thousands of polygons; the project has
none of them. To measure how the map, the exports and ``publish`` cope with a layer that size,
:func:`make_parcels` draws ``n`` random points inside Hedong's outline
(``geodata/context/districts.geojson``, adcode 120102), takes their Voronoi cells and clips them
to the outline: ``n`` polygons tiling the district, each about ``41.7 km² / n``.

Nothing here is real. Every feature says so: its ``id`` starts with ``gen.parcel.``, its names
say "generated test parcel", ``location_basis`` is ``schematic`` and ``geometry_source`` names
this script and its seed. The layer has no citations (no passage of the plan names these
parcels), so ``validate`` reports "has no citation" for each: the layer passes the schema check
of :func:`hedong_geo.layers.read_layer`, not the plan checks. Never commit it under ``layers/``.

Use::

    from bench.parcels import write_parcels_layer
    write_parcels_layer(50_000, folder)   # folder/parcels.geojson, loadable with load_layers

or ``python bench/parcels.py 5000 /tmp/layers`` (copies the repository's layers there too with
``--with-layers``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hedong_geo import schema  # noqa: E402
from hedong_geo._io import atomic_write_text  # noqa: E402
from hedong_geo.context import hedong_boundary  # noqa: E402
from hedong_geo.paths import LAYERS  # noqa: E402
from hedong_geo.recipes import orient_rfc7946, round_coordinates  # noqa: E402
from hedong_geo.transform import from_metric, to_metric  # noqa: E402

__all__ = ["LAYER", "TITLE", "make_parcels", "write_parcels_layer"]

#: The file stem (and ``layer`` property) of the generated layer.
LAYER = "parcels"
TITLE = {"zh": "生成的测试地块（非真实数据）", "en": "Generated test parcels (not real data)"}
#: Statuses drawn at random, so the map shows the status colours as a real layer would.
_STATUSES = ("planned", "under_way", "done", "existing")
#: Accuracy claimed: the cells are exact by construction, but they are schematic, not surveyed.
_ACCURACY_M = 10.0
_DECIMALS = 6  # ≈ 0.1 m, a tenth of a 1 m vertex: finer than the claimed accuracy, never coarser


def _points_inside(outline, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniformly random points inside ``outline`` (metres), by rejection from its box."""
    shapely.prepare(outline)
    minx, miny, maxx, maxy = outline.bounds
    found: list[np.ndarray] = []
    total = 0
    while total < n:
        batch = rng.uniform((minx, miny), (maxx, maxy), size=(max(2 * (n - total), 64), 2))
        inside = batch[shapely.contains_xy(outline, batch[:, 0], batch[:, 1])]
        found.append(inside)
        total += len(inside)
    return np.concatenate(found)[:n]


def _cells(outline, points: np.ndarray) -> np.ndarray:
    """The Voronoi cell of each point (in the points' order), clipped to ``outline``."""
    multipoint = shapely.multipoints(points)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(multipoint, extend_to=outline.envelope, ordered=True)
    )
    return shapely.intersection(cells, outline)


def _properties(i: int, status: str, seed: int, layer: str) -> dict:
    number = f"{i:05d}"
    props = {
        "id": f"gen.parcel.{number}",
        "name_zh": f"生成测试地块 {number}",
        "name_en": f"Generated test parcel {number}",
        "aliases": [],
        "layer": layer,
        "group": "points",
        "category": "parcel",
        "status": status,
        "status_year": None,
        "location_basis": "schematic",
        "accuracy_m": _ACCURACY_M,
        "geometry_source": (
            f"GENERATED TEST DATA, not a real parcel: bench/parcels.py (seed {seed}), the Voronoi "
            "cell of a random point clipped to Hedong's outline"
        ),
        "cross_district": False,
        "parent": None,
        "anchors": [],
        "street": None,
        "street_confidence": "unknown",
        "citations": [],
        "facts": [],
    }
    return {key: props[key] for key in schema.property_order()}


def make_parcels(n: int, seed: int = 0, layer: str = LAYER) -> gpd.GeoDataFrame:
    """``n`` generated parcels tiling Hedong, as a layer frame (WGS84, the layer schema's columns).

    Parameters
    ----------
    n : int
        How many parcels (≥ 1). Each is about ``41.7 km² / n``: 50,000 gives ≈ 830 m² cells.
    seed : int
        Seed of the random points: the same ``n`` and seed give the same layer.
    layer : str
        The layer name written in each feature's ``layer`` (the file stem).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per parcel, ids ``gen.parcel.00000`` …, columns in the schema's property order,
        geometry rounded to 6 decimals with RFC 7946 ring orientation; ``attrs["title"]``.
    """
    if n < 1:
        raise ValueError(f"n is {n!r}; expected at least 1 parcel")
    rng = np.random.default_rng(seed)
    outline = to_metric(hedong_boundary())
    cells = _cells(outline, _points_inside(outline, n, rng))
    geoms = [from_metric(cell) for cell in cells]
    geoms = [orient_rfc7946(round_coordinates(g, _DECIMALS)) for g in geoms]
    geoms = [g if g.is_valid else orient_rfc7946(shapely.make_valid(g)) for g in geoms]
    statuses = rng.choice(_STATUSES, size=n)
    rows = [_properties(i, str(statuses[i]), seed, layer) for i in range(n)]
    gdf = gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")
    gdf.attrs["title"] = dict(TITLE)
    return gdf


def _feature_line(props: dict, geom) -> str:
    feature = {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(geom)}
    return json.dumps(feature, ensure_ascii=False, separators=(",", ":"))


def write_parcels_layer(
    n: int, folder: str | Path, seed: int = 0, layer: str = LAYER, with_layers: bool = False
) -> Path:
    """Write ``make_parcels(n, seed)`` as ``folder/<layer>.geojson`` (atomically); its path.

    The file is a layer like those of ``layers/`` (one feature per line, ``name`` and
    ``title``), so :func:`hedong_geo.layers.load_layers` on ``folder`` (or
    ``HEDONG_GEO_LAYERS_DIR=folder`` for the app, ``export`` and ``publish``) loads it. With
    ``with_layers`` the repository's own layers are copied into ``folder`` beside it.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if with_layers:
        for path in sorted(LAYERS.glob("*.geojson")):
            shutil.copyfile(path, folder / path.name)
    gdf = make_parcels(n, seed, layer)
    columns = list(schema.property_order())
    lines = [
        _feature_line(dict(zip(columns, values, strict=True)), geom)
        for *values, geom in gdf[[*columns, "geometry"]].itertuples(index=False, name=None)
    ]
    top = {"type": "FeatureCollection", "name": layer, "title": TITLE}
    head = json.dumps(top, ensure_ascii=False)
    text = head[:-1] + ', "features": [\n' + ",\n".join(lines) + "\n]}\n"
    return atomic_write_text(folder / f"{layer}.geojson", text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a generated (not real) parcels layer.")
    parser.add_argument("n", type=int, help="how many parcels")
    parser.add_argument("folder", type=Path, help="folder to write parcels.geojson into")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--with-layers", action="store_true", help="copy layers/ there too")
    args = parser.parse_args(argv)
    path = write_parcels_layer(args.n, args.folder, args.seed, with_layers=args.with_layers)
    print(f"{path}: {args.n} generated parcels, {path.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
