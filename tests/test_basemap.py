"""The offline basemap: geodata/basemap/ equals its rebuild, says where it came from and how
good it is, and the web map draws it under the plan layers with its labels, legend and credit."""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import shutil

import pytest
from conftest import load_build_script

from hedong_geo import LayerError
from hedong_geo.basemap_layers import (
    BASEMAP_DIR,
    BASEMAP_FILES,
    basemap_legend_rows,
    label_rows,
    load_basemap,
)
from hedong_geo.context import load_context
from hedong_geo.layers import load_layers
from hedong_geo.legend import legend_html
from hedong_geo.paths import GEODATA, REFERENCE_DIR
from hedong_geo.places import OSM_MARK
from hedong_geo.styles import load_styles
from hedong_geo.transform import area_km2, length_km, to_metric
from hedong_geo.webmap import build_map

INSTALL = "pip install pypinyin==0.55.0"


@pytest.fixture(scope="module")
def builder():
    if importlib.util.find_spec("pypinyin") is None:
        pytest.skip(f"pypinyin is not installed: {INSTALL}")
    return load_build_script("build_basemap")


@pytest.fixture(scope="module")
def basemap():
    return load_basemap()


def _features(name: str) -> list[dict]:
    return json.loads((BASEMAP_DIR / f"{name}.geojson").read_text(encoding="utf-8"))["features"]


def test_committed_files_equal_a_fresh_build(builder, tmp_path):
    paths = builder.build(tmp_path)
    assert sorted(paths) == sorted([*BASEMAP_FILES, "README"])
    for path in paths.values():
        committed = BASEMAP_DIR / path.name
        assert committed.read_bytes() == path.read_bytes(), (
            f"{committed} differs from a fresh build: run python geodata/build_basemap.py"
        )


def test_files_are_rfc7946_one_feature_a_line():
    for name in BASEMAP_FILES:
        text = (BASEMAP_DIR / f"{name}.geojson").read_text(encoding="utf-8")
        data = json.loads(text)
        assert data["type"] == "FeatureCollection" and "crs" not in data
        assert text.endswith("\n]}\n")
        assert len(text.splitlines()) == len(data["features"]) + 2


def test_water_is_a_band_of_the_stated_width_around_the_centreline(basemap):
    water = basemap["water"].iloc[0]
    centreline = load_context()["haihe_frontage"].geometry.iloc[0]
    assert water["width_m"] == 100 and water["width_accuracy_m"] == 50
    assert water["accuracy_m"] == 200  # no better than the centreline proxy
    assert "解放桥" in water["width_basis"] and "96.7 m" in water["width_basis"]
    assert "haihe_frontage" in water["centreline"]
    # Area ≈ length × width (flat ends), within the 4-decimal rounding.
    expected = length_km(centreline) * water["width_m"] / 1000
    assert area_km2(water.geometry) == pytest.approx(expected, rel=0.03)
    band = to_metric(water.geometry)
    line = to_metric(centreline)
    assert band.buffer(15).covers(line)
    assert band.hausdorff_distance(line) < water["width_m"] / 2 + 20
    # Never more precise than ±200 m: 4 decimals (≈ 10 m).
    for x, y in water.geometry.exterior.coords:
        assert round(x, 4) == x and round(y, 4) == y


def test_district_labels_lie_in_their_district_near_hedong(basemap):
    districts = basemap["districts"].set_index("adcode")
    labels = basemap["district_labels"]
    assert sorted(labels["adcode"]) == sorted(districts.index)
    hedong = to_metric(districts.loc["120102"].geometry)
    for row in labels.itertuples():
        outline = districts.loc[row.adcode].geometry
        assert outline.contains(row.geometry), row.name_zh
        assert row.name_zh == districts.loc[row.adcode]["name_zh"]
        assert to_metric(row.geometry).distance(hedong) <= 4000, row.name_zh


def test_places_are_osm_objects_with_credit_class_and_zoom(basemap):
    pois = {
        f["properties"]["poi_id"]: f
        for f in json.loads((GEODATA / "osm" / "pois.geojson").read_text(encoding="utf-8"))[
            "features"
        ]
    }
    head = json.loads((BASEMAP_DIR / "places.geojson").read_text(encoding="utf-8"))
    assert head["attribution"] == OSM_MARK and "ODbL" in head["licence"]
    classes = load_styles()["basemap"]["places"]
    places = _features("places")
    assert len(places) > 300
    for f in places:
        p = f["properties"]
        poi = pois[p["poi_id"]]
        assert f["geometry"] == poi["geometry"], p["poi_id"]  # the OSM position, unchanged
        assert p["name_zh"] == poi["properties"]["name"]
        assert p["attribution"] == OSM_MARK
        assert p["class"] in classes and isinstance(p["min_zoom"], int)
        assert p["name_en"] and not re.search(r"[\u4e00-\u9fff]", p["name_en"]), p["name_en"]
    kinds = {f["properties"]["class"] for f in places}
    assert {"school", "hospital", "park", "mall", "station", "residential"} <= kinds
    # Major places come first: the order labels are tried in.
    major = [f["properties"]["major"] for f in places]
    assert major == sorted(major, reverse=True)


def test_metro_stations_are_the_line_9_rows_once_each(basemap):
    with open(REFERENCE_DIR / "points.csv", encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["kind"] == "metro_station"]
    metro = basemap["metro"]
    assert len(rows) == 10 and len(metro) == 9  # 直沽 has two rows
    assert set(metro["name_zh"]) == {r["name_zh"].split("（")[0] for r in rows}
    zhigu = metro[metro["name_zh"] == "直沽"].iloc[0]
    assert zhigu["accuracy_m"] == 100 and zhigu["also"] == ["ref.zhigu_line_9_line_5_interchange"]
    assert metro["accuracy_m"].between(50, 200).all()
    assert list(metro.geometry.x) == sorted(metro.geometry.x)  # west to east


def test_readme_states_sources_accuracy_and_licence():
    text = (BASEMAP_DIR / "README.md").read_text(encoding="utf-8")
    for needle in ("ODbL", OSM_MARK, "±200 m", "machine pinyin", "single source", "100 m"):
        assert needle in text, needle


def test_load_basemap_gives_frames_for_any_drawing(basemap):
    assert set(basemap) == {*BASEMAP_FILES, "districts", "streets"}
    for name, frame in basemap.items():
        assert frame.crs.to_epsg() == 4326, name
        assert len(frame), name
    assert not basemap["streets"]["official_boundary"].any()
    mine = load_basemap()
    mine["places"]["name_zh"] = "changed"
    assert "changed" not in set(load_basemap()["places"]["name_zh"])  # a copy each time


def test_a_missing_file_is_named(tmp_path):
    for name in BASEMAP_FILES:
        shutil.copy(BASEMAP_DIR / f"{name}.geojson", tmp_path / f"{name}.geojson")
    (tmp_path / "metro.geojson").unlink()
    with pytest.raises(LayerError, match=r"metro\.geojson.*build_basemap"):
        load_basemap(tmp_path)


def test_labels_in_priority_order_and_language(basemap):
    zh, en = label_rows(basemap, "zh"), label_rows(basemap, "en")
    priority = load_styles()["basemap"]["labels"]
    order = [priority[row[3]]["priority"] for row in zh]
    assert order == sorted(order)
    assert [r[3] for r in zh[:7]].count("hedong") == 1 and "河东区" in [r[2] for r in zh]
    assert "Hedong District" in [r[2] for r in en] and "Dawangzhuang" in [r[2] for r in en]
    shifted = label_rows(basemap, "zh", gcj02=True)
    assert abs(shifted[0][0] - zh[0][0]) > 0.003  # GCJ-02 is ≈ 500 m off in Tianjin


def test_map_draws_the_basemap_with_the_context_layer():
    layers = load_layers()
    page = build_map(layers).get_root().render()
    assert page.count("HedongLabels.basemap(") == 1
    assert "HedongLabels.add(" in page  # the 街道 names go through the same collisions
    assert "hedong/labels.js" in page and "hedong/labels.css" in page
    assert "中山门公园" in page and "东丽区" in page and "basemap.water.haihe" in page
    assert OSM_MARK in page
    en = build_map(layers, lang="en").get_root().render()
    assert "Zhongshanmen Park" in en and "Dongli District" in en


def test_legend_has_a_row_for_everything_the_basemap_draws():
    zh, en = legend_html("zh", True), legend_html("en", True)
    for row in basemap_legend_rows("zh"):
        assert row["label"] in zh
    assert "海河（示意水面" in zh and "The Haihe (schematic band" in en
    assert "地铁 9 号线车站" in zh and "Residential compound" in en
    assert "OpenStreetMap" in zh and "OpenStreetMap" in en
    assert "海河（示意水面" not in legend_html("zh", False)
