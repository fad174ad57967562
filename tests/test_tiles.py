"""hedong_geo.tiles: large layers cut into vector tiles, cached by content, and published.

The tiles are decoded back with ``mapbox_vector_tile`` (the reference decoder, not ours): every
feature's id and properties come back, and its geometry within the tolerance of its zoom.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import mapbox_vector_tile
import numpy as np
import pytest
import shapely

from bench.parcels import make_parcels, write_parcels_layer
from hedong_geo import schema, tiles
from hedong_geo.exports import publish_site
from hedong_geo.layers import load_layers, read_layer


@pytest.fixture(scope="module")
def parcels():
    return make_parcels(300, seed=3)


def _decode(folder: Path, zoom: int, xy: str) -> list[dict]:
    data = (folder / str(zoom) / f"{xy}.pbf").read_bytes()
    layers = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})
    return layers["parcels"]["features"]


def _to_lonlat(coords: np.ndarray, zoom: int, x: int, y: int) -> np.ndarray:
    """Tile units back to longitude/latitude (inverse Web Mercator)."""
    world = (2**zoom) * tiles.EXTENT
    gx, gy = (coords[:, 0] + x * tiles.EXTENT) / world, (coords[:, 1] + y * tiles.EXTENT) / world
    lon = gx * 360 - 180
    lat = np.degrees(np.arctan(np.sinh(math.pi * (1 - 2 * gy))))
    return np.column_stack([lon, lat])


def _px_across(row, zoom: int) -> float:
    """How many pixels ``row``'s geometry spans at ``zoom`` (the larger side of its box)."""
    west, south, east, north = row.geometry.bounds
    y = [math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) for lat in (south, north)]
    world = 256 * 2**zoom
    return max((east - west) / 360 * world, (y[1] - y[0]) / (2 * math.pi) * world)


def test_generated_parcels_are_a_valid_layer(tmp_path: Path) -> None:
    path = write_parcels_layer(120, tmp_path, seed=1)
    gdf, problems = read_layer(path)
    assert problems == [] and len(gdf) == 120
    assert gdf["id"].is_unique and (gdf["location_basis"] == "schematic").all()
    assert gdf.geometry.is_valid.all() and gdf.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    assert all("GENERATED TEST DATA" in s for s in gdf["geometry_source"])
    assert list(gdf.columns[:-1]) == list(schema.property_order())


def test_tiles_decode_back_to_the_features(tmp_path: Path, parcels) -> None:
    ts = tiles.ensure_tiles(parcels, "parcels", tmp_path)
    by_id = {row.id: row for row in parcels.itertuples()}
    for zoom in (tiles.MIN_ZOOM, tiles.MAX_ZOOM):
        seen: dict[str, list] = {}
        for xy in ts.meta["tiles"][str(zoom)]:
            x, y = map(int, xy.split("/"))
            for f in _decode(ts.folder, zoom, xy):
                props = f["properties"]
                row = by_id[props["id"]]
                assert props["k"] == f"{row.group}|{row.location_basis}"
                assert props["s"] == row.status
                if zoom == tiles.MAX_ZOOM:
                    assert (props["name_zh"], props["name_en"]) == (row.name_zh, row.name_en)
                rings = f["geometry"]["coordinates"]
                if f["geometry"]["type"] == "MultiPolygon":
                    rings = [r for part in rings for r in part]
                pieces = [
                    shapely.Polygon(_to_lonlat(np.asarray(r, float), zoom, x, y)) for r in rings
                ]
                seen.setdefault(props["id"], []).extend(pieces)
        # Every feature is in some tile, or (below MAX_ZOOM) small there: in the coverage.
        missing = set(by_id) - set(seen)
        assert set(seen) <= set(by_id) and all(_px_across(by_id[f], zoom) < 8 for f in missing)
        assert zoom != tiles.MAX_ZOOM or not missing, "the deepest zoom has every feature"
        # The pieces drawn cover the feature and stay on it, within the zoom's tolerance
        # (about a pixel at MIN_ZOOM, a fraction of one at MAX_ZOOM), in metres.
        px_m = 40_075_016 * math.cos(math.radians(39.1)) / (256 * 2**zoom)
        tol_m = 2 * px_m if zoom == tiles.MIN_ZOOM else px_m
        for fid, pieces in seen.items():
            original = by_id[fid].geometry
            drawn = shapely.union_all(shapely.make_valid(np.asarray(pieces)))
            out = shapely.distance(original, shapely.points(shapely.get_coordinates(drawn)))
            back = shapely.distance(drawn, shapely.points(shapely.get_coordinates(original)))
            far = max(out.max(), back.max()) * 111_320
            assert far <= tol_m + 1, (zoom, fid, far, tol_m)


def test_cache_reused_when_unchanged_and_rebuilt_when_changed(tmp_path: Path, parcels) -> None:
    first = tiles.ensure_tiles(parcels, "parcels", tmp_path)
    tile = min(first.folder.rglob("*.pbf"))
    stamp = tile.stat().st_ino, tile.stat().st_mtime_ns
    os.utime(first.folder / tiles.META, (1, 1))
    again = tiles.ensure_tiles(parcels.copy(), "parcels", tmp_path)
    assert again.folder == first.folder
    assert (tile.stat().st_ino, tile.stat().st_mtime_ns) == stamp, "not cut again"
    assert (again.folder / tiles.META).stat().st_mtime > 1, "marked used (cache prune keeps it)"
    changed = parcels.copy()
    changed.loc[0, "status"] = "done" if changed.loc[0, "status"] != "done" else "planned"
    other = tiles.ensure_tiles(changed, "parcels", tmp_path)
    assert other.key != first.key and (other.folder / tiles.META).is_file()
    moved = parcels.copy()
    moved.loc[5, "geometry"] = shapely.affinity.translate(moved.geometry[5], 1e-4, 0)
    assert tiles.tile_key(moved, "parcels") not in (first.key, other.key)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary left"


def test_threshold_setting(monkeypatch: pytest.MonkeyPatch, parcels) -> None:
    monkeypatch.setenv("HEDONG_GEO_TILE_THRESHOLD", "301")
    assert not tiles.should_tile(parcels)
    monkeypatch.setenv("HEDONG_GEO_TILE_THRESHOLD", "300")
    assert tiles.should_tile(parcels)
    monkeypatch.setenv("HEDONG_GEO_TILE_THRESHOLD", "0")
    assert not tiles.should_tile(parcels)


def test_publish_writes_tiles_and_a_small_first_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 5k parcels layer beside the repository's layers: tiles, a data file, no inlining."""
    monkeypatch.setenv("HEDONG_GEO_TILE_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "layers"
    write_parcels_layer(5000, folder, with_layers=True)
    layers = load_layers(folder)
    assert not layers.problems and len(layers.layers["parcels"]) == 5000
    site = publish_site(layers, tmp_path / "site")
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "gen.parcel." not in index, "no parcel inlined in the first page"
    assert "HedongGeo.tiles(" in index
    assert not list((site / "features").glob("gen.parcel.*"))
    (key,) = [p.name for p in (site / "tiles").iterdir()]
    meta = json.loads((site / "tiles" / key / tiles.META).read_text(encoding="utf-8"))
    assert meta["count"] == 5000
    for zoom, listed in meta["tiles"].items():
        for xy in listed:
            assert (site / "tiles" / key / zoom / f"{xy}.pbf").is_file()
    data = json.loads((site / "data" / "parcels.geojson").read_text(encoding="utf-8"))
    assert len(data["features"]) == 5000
    written = json.loads((site / ".hedong-geo-site").read_text(encoding="utf-8"))["files"]
    assert f"tiles/{key}/meta.json" in written
    # The first page holds the tiled layer as a few kilobytes of options, not its features.
    call = index[index.index("HedongGeo.tiles(") :]
    assert len(call[: call.index(");")]) < 20_000


def test_small_parcels_are_one_coverage_shape_at_low_zooms(tmp_path: Path) -> None:
    """3 000 parcels (≈ 120 m across: a few pixels at MIN_ZOOM): below MAX_ZOOM the small ones
    are not in the tiles one by one but dissolved into the coverage layer, a few shapes that
    cover just their area; MAX_ZOOM (the clicked tiles) still has every parcel."""
    many = make_parcels(3000, seed=5)
    ts = tiles.ensure_tiles(many, "parcels", tmp_path)
    cover_name = "parcels" + tiles.COVERAGE_SUFFIX
    zoom = tiles.MIN_ZOOM
    pieces, singles, covers = [], set(), 0
    for xy in ts.meta["tiles"][str(zoom)]:
        x, y = map(int, xy.split("/"))
        data = (ts.folder / str(zoom) / f"{xy}.pbf").read_bytes()
        decoded = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})
        singles |= {f["properties"]["id"] for f in decoded.get("parcels", {}).get("features", [])}
        for f in decoded[cover_name]["features"]:
            assert f["properties"] == {"k": "points|schematic"}
            covers += 1
            polygons = f["geometry"]["coordinates"]
            if f["geometry"]["type"] == "Polygon":
                polygons = [polygons]
            for rings in polygons:
                shell, *holes = [_to_lonlat(np.asarray(r, float), zoom, x, y) for r in rings]
                pieces.append(shapely.Polygon(shell, holes))
    assert covers <= len(ts.meta["tiles"][str(zoom)]), "one coverage shape per tile and style"
    assert len(singles) < len(many) / 10, "the small parcels are not drawn one by one"
    # The coverage is the small parcels' area: the district, within a couple of pixels.
    small = many[~many["id"].isin(singles)]
    drawn = shapely.union_all(shapely.make_valid(np.asarray(pieces)))
    truth = shapely.union_all(small.geometry.values)
    px_deg = 360 / (256 * 2**zoom)
    assert shapely.hausdorff_distance(drawn, truth) <= 3 * px_deg
    assert abs(drawn.area - truth.area) <= 0.02 * truth.area
    # The deepest zoom, hit-tested on a click, has every parcel and no coverage.
    deepest: set[str] = set()
    for xy in ts.meta["tiles"][str(tiles.MAX_ZOOM)]:
        data = (ts.folder / str(tiles.MAX_ZOOM) / f"{xy}.pbf").read_bytes()
        decoded = mapbox_vector_tile.decode(data)
        assert cover_name not in decoded
        deepest |= {f["properties"]["id"] for f in decoded["parcels"]["features"]}
    assert deepest == set(many["id"])
