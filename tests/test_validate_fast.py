"""The vectorised ``validate`` checks report exactly what the row-wise checks reported.

``bench/baseline_validate.py`` keeps the row-wise code as it was (issue 14: "validate at 50k
parcels took 147 s"); every test here runs both over the same layers and compares the whole
list of problems as text, in order: one message changed, added or gone fails the test. The
layers: the real ones, the bad-input corpus (``tests/data/bad/layers``) beside them, the small
fixture layers, the real layers broken for every rule (invalid, empty and misplaced geometry,
duplicate ids, citations, figures, GCJ-02 and BD-09 coordinates) and generated parcels.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

import hedong_geo._validate as fast
from bench import baseline_validate as rowwise
from bench.parcels import make_parcels
from hedong_geo import transform
from hedong_geo.layers import LayerSet, load_layers
from hedong_geo.paths import LAYERS

ROOT = Path(__file__).resolve().parent.parent
BAD = ROOT / "tests" / "data" / "bad"
CASES = json.loads((BAD / "cases.json").read_text(encoding="utf-8"))
CORPUS = sorted(name for name, case in CASES["layers"].items() if "make" not in case)
# A piece of every message each rule writes: the proof must see every rule at work.
EVERY_RULE = [
    "geometry is empty",
    "invalid geometry: Self-intersection",
    "lies outside Hedong",
    "looks like GCJ-02 labelled as WGS84",
    "looks like BD-09 labelled as WGS84",
    "has no citation",
    "no block 'fyp.ch6.s2.p99'",
    "id is used by 2 features",
    "the plan says 6.53 km²",
    "do not tile it",
    "does not contain 'station.zone.hedong'",
]


def _both_on_folder(folder: Path) -> tuple[list[str], list[str]]:
    new = [str(p) for p in fast.validate_layers(folder)]
    old = [str(p) for p in rowwise.validate_layers_rowwise(folder)]
    return new, old


def _both_on_layers(layers: LayerSet, monkeypatch: pytest.MonkeyPatch):
    """Both checks over layers made in memory (geometries no file can hold, e.g. empty)."""
    with monkeypatch.context() as patch:
        patch.setattr(fast, "load_layers", lambda _folder: layers)
        patch.setattr(rowwise, "load_layers", lambda _folder: layers)
        new = [str(p) for p in fast.validate_layers("in memory")]
        old = [str(p) for p in rowwise.validate_layers_rowwise("in memory")]
    return new, old


def test_the_real_layers_give_the_same_problems():
    new, old = _both_on_folder(LAYERS)
    assert new == old == []


def test_the_small_fixture_layers_give_the_same_problems():
    new, old = _both_on_folder(ROOT / "tests" / "data" / "layers_small")
    assert new and new == old


@pytest.mark.parametrize("with_real_layers", [False, True], ids=["alone", "beside-real"])
def test_the_bad_input_corpus_gives_the_same_problems(tmp_path, with_real_layers):
    if with_real_layers:
        shutil.copytree(LAYERS, tmp_path, dirs_exist_ok=True)
    for name in CORPUS:
        shutil.copyfile(BAD / "layers" / name, tmp_path / name)
    new, old = _both_on_folder(tmp_path)
    assert len(new) > len(CORPUS)
    assert new == old


def _edit(frame: gpd.GeoDataFrame, feature_id: str, **values) -> None:
    row = int(np.flatnonzero(frame["id"] == feature_id)[0])
    for column, value in values.items():
        if column == "geometry":
            frame.loc[frame.index[row], "geometry"] = value
        else:
            cells = frame[column].tolist()
            cells[row] = value
            frame[column] = cells


def _shifted(frame: gpd.GeoDataFrame, datum: str) -> gpd.GeoDataFrame:
    """``frame`` with every vertex moved as a GCJ-02 or BD-09 source would have it."""

    def move(xy: np.ndarray) -> np.ndarray:
        lon, lat = transform.wgs84_to_gcj02_array(xy[:, 0], xy[:, 1])
        if datum == "BD-09":
            lon, lat = transform.gcj02_to_bd09_array(lon, lat)
        return np.round(np.column_stack([lon, lat]), 6)

    out = frame.copy()
    out["geometry"] = shapely.transform(np.asarray(frame.geometry.array, dtype=object), move)
    return out


def _broken_layers() -> LayerSet:
    """The real layers, broken once for every rule ``validate`` checks after loading."""
    layers = load_layers(LAYERS)
    quadrants, cultures = layers.layers["jinmao_quadrants"], layers.layers["consumption_culture"]
    bowtie = shapely.Polygon([(117.29, 39.09), (117.30, 39.10), (117.30, 39.09), (117.29, 39.10)])
    north_east = quadrants.geometry[quadrants["id"] == "park.quadrant.ne"].iloc[0]
    _edit(quadrants, "park.quadrant.ne", geometry=shapely.affinity.translate(north_east, 0.001))
    hebei = shapely.Point(117.19, 39.17)
    _edit(cultures, "culture.wanda-plaza", geometry=hebei)
    _edit(cultures, cultures["id"].iloc[0], geometry=bowtie)
    _edit(cultures, cultures["id"].iloc[1], geometry=hebei, cross_district=True)
    _edit(cultures, cultures["id"].iloc[2], geometry=shapely.Polygon())
    _edit(cultures, cultures["id"].iloc[3], citations=[])
    _edit(cultures, cultures["id"].iloc[4], id="park.hulihuayuan")
    unlocated = layers.layers["unlocated"]
    cite = dict(unlocated["citations"].iloc[0][0], block="fyp.ch6.s2.p99")
    _edit(unlocated, unlocated["id"].iloc[0], citations=[cite])
    cite = dict(unlocated["citations"].iloc[1][0], quote="四号台将建成全国最高的摩天轮")
    _edit(unlocated, unlocated["id"].iloc[1], citations=[cite])
    zone = layers.layers["station_zone"]
    square = shapely.box(117.25, 39.12, 117.26, 39.13, ccw=True)  # east of the whole zone
    _edit(zone, "station.zone.hedong", geometry=square)
    layers.layers["riverside"] = _shifted(layers.layers["riverside"], "GCJ-02")
    layers.layers["streets"] = _shifted(layers.layers["streets"], "BD-09")
    return LayerSet(layers=layers.layers, problems=layers.problems)


def test_the_real_layers_broken_for_every_rule_give_the_same_problems(monkeypatch):
    new, old = _both_on_layers(_broken_layers(), monkeypatch)
    assert new == old
    text = "\n".join(new)
    missing = [piece for piece in EVERY_RULE if piece not in text]
    assert not missing, f"no rule produced {missing}; the proof would not cover it"


def test_generated_parcels_in_three_datums_give_the_same_problems(monkeypatch):
    layers = load_layers(LAYERS)
    layers.layers["parcels"] = make_parcels(1500)
    for datum, name in (("GCJ-02", "parcels_gcj"), ("BD-09", "parcels_bd")):
        layers.layers[name] = _shifted(make_parcels(800, seed=1, layer=name), datum)
    new, old = _both_on_layers(layers, monkeypatch)
    assert new == old
    text = "\n".join(new)
    assert "parcels.geojson: feature 'gen.parcel.01499': has no citation" in text
    assert "parcels_gcj.geojson: looks like GCJ-02" in text
    assert "parcels_bd.geojson: looks like BD-09" in text


def test_the_array_bd09_inverse_is_bit_identical_to_the_one_point_version():
    rng = np.random.default_rng(7)
    lon = np.concatenate([rng.uniform(117.0, 117.6, 3000), rng.uniform(73.0, 135.0, 1000)])
    lat = np.concatenate([rng.uniform(38.9, 39.4, 3000), rng.uniform(18.0, 53.0, 1000)])
    one = np.array(
        [transform.bd09_to_gcj02(float(x), float(y)) for x, y in zip(lon, lat, strict=True)]
    )
    gx, gy = transform.bd09_to_gcj02_array(lon, lat)
    assert np.array_equal(one[:, 0], gx) and np.array_equal(one[:, 1], gy)
    forward = np.array(
        [transform.gcj02_to_bd09(float(x), float(y)) for x, y in zip(gx, gy, strict=True)]
    )
    bx, by = transform.gcj02_to_bd09_array(gx, gy)
    assert np.array_equal(forward[:, 0], bx) and np.array_equal(forward[:, 1], by)
