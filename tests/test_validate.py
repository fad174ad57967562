"""`validate` finds every problem in corrupted copies of the layers, and says what to do."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hedong_geo._validate import validate_layers
from hedong_geo.cli import main
from hedong_geo.layers import load_layers
from hedong_geo.paths import LAYERS


@pytest.fixture
def copy(tmp_path) -> Path:
    out = tmp_path / "layers"
    shutil.copytree(LAYERS, out)
    return out


def _edit(path: Path, feature_id: str, change) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    for feature in data["features"]:
        if feature["properties"]["id"] == feature_id:
            change(feature)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _messages(folder: Path) -> list[str]:
    return [str(p) for p in validate_layers(folder)]


def test_committed_layers_are_valid(capsys):
    assert validate_layers(LAYERS) == []
    assert main(["validate"]) == 0


def test_every_corruption_is_reported_at_once(copy, capsys):
    (copy / "science.geojson").write_text('{"type": "FeatureCollection", "features": [', "utf-8")

    def bowtie(feature):
        feature["geometry"] = {
            "type": "Polygon",
            "coordinates": [
                [
                    [117.29, 39.09],
                    [117.30, 39.10],
                    [117.30, 39.09],
                    [117.29, 39.10],
                    [117.29, 39.09],
                ]
            ],
        }

    _edit(copy / "jinmao_quadrants.geojson", "park.quadrant.se", bowtie)

    def unknown_block(feature):
        feature["properties"]["citations"][0]["block"] = "fyp.ch6.s2.p99"

    _edit(copy / "unlocated.geojson", "renewal.sihaotai", unknown_block)

    def wrong_quote(feature):
        feature["properties"]["citations"][0]["quote"] = "四号台将建成全国最高的摩天轮"

    _edit(copy / "unlocated.geojson", "renewal.mianyi", wrong_quote)

    def into_hebei(feature):
        feature["geometry"] = {"type": "Point", "coordinates": [117.19, 39.17]}

    _edit(copy / "consumption_culture.geojson", "culture.wanda-plaza", into_hebei)

    messages = _messages(copy)
    text = "\n".join(messages)
    assert "science.geojson: not valid JSON" in text
    assert (
        "jinmao_quadrants.geojson: feature 'park.quadrant.se': invalid geometry: Self-intersection"
        in text
    )
    assert "renewal.sihaotai" in text and "'fyp.ch6.s2.p99'" in text
    assert "renewal.mianyi" in text and "四号台将建成全国最高的摩天轮" in text
    assert "culture.wanda-plaza': lies outside Hedong" in text and "cross_district" in text
    assert len(messages) >= 5  # nothing stops at the first problem
    assert main(["validate", "--layers-dir", str(copy)]) == 2
    err = capsys.readouterr().err
    assert "problem(s) found" in err


def test_a_broken_file_does_not_stop_the_others(copy):
    (copy / "science.geojson").write_text("not json", "utf-8")
    layers = load_layers(copy)
    assert "science" not in layers.layers
    assert "unlocated" in layers.layers and len(layers.layers["unlocated"]) > 10
    assert any(p.file == "science.geojson" for p in layers.problems)


def test_wrong_crs_and_missing_property_are_named(copy):
    data = json.loads((copy / "renewal.geojson").read_text("utf-8"))
    data["crs"] = {"type": "name", "properties": {"name": "EPSG:3857"}}
    (copy / "renewal.geojson").write_text(json.dumps(data), "utf-8")
    _edit(copy / "science.geojson", "park.hulihuayuan", lambda f: f["properties"].pop("accuracy_m"))
    text = "\n".join(_messages(copy))
    assert "renewal.geojson: has a 'crs' member" in text and "EPSG:4326" in text
    assert "park.hulihuayuan': property 'accuracy_m' is missing" in text


def test_figures_are_held_to_the_plan(copy):
    def shrink(feature):
        feature["geometry"] = {
            "type": "Polygon",
            "coordinates": [
                [
                    [117.21, 39.12],
                    [117.22, 39.12],
                    [117.22, 39.13],
                    [117.21, 39.13],
                    [117.21, 39.12],
                ]
            ],
        }

    _edit(copy / "station_zone.geojson", "station.zone.hedong", shrink)
    text = "\n".join(_messages(copy))
    assert "station.zone.hedong': measures" in text and "6.53 km²" in text


def test_duplicate_ids_are_found(copy):
    _edit(
        copy / "science.geojson",
        "science.ocean-info-centre",
        lambda f: f["properties"].update(id="park.hulihuayuan"),
    )
    assert any("is used by 2 features" in m for m in _messages(copy))


def _shift(path: Path, convert) -> None:
    """Rewrite every coordinate of a layer file with ``convert(lon, lat)``."""

    def walk(coords):
        if coords and isinstance(coords[0], (int, float)):
            return [round(v, 6) for v in convert(*coords[:2])]
        return [walk(c) for c in coords]

    data = json.loads(path.read_text(encoding="utf-8"))
    for feature in data["features"]:
        if feature["geometry"]:
            feature["geometry"]["coordinates"] = walk(feature["geometry"]["coordinates"])
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize("datum", ["GCJ-02", "BD-09"])
def test_a_layer_in_another_datum_is_named(copy, datum):
    from hedong_geo.transform import gcj02_to_bd09, wgs84_to_gcj02

    def convert(lon, lat):
        gcj = wgs84_to_gcj02(lon, lat)
        return gcj if datum == "GCJ-02" else gcj02_to_bd09(*gcj)

    _shift(copy / "riverside.geojson", convert)
    _shift(copy / "station_zone.geojson", convert)
    found = [m for m in _messages(copy) if "labelled as WGS84" in m]
    assert len(found) == 2, found
    assert all(f"looks like {datum} labelled as WGS84" in m for m in found)
    assert {m.split(":")[0] for m in found} == {"riverside.geojson", "station_zone.geojson"}


def test_every_bad_vertex_is_named(copy):
    def spoil(feature):
        ring = feature["geometry"]["coordinates"][0]
        ring[1] = [float("nan"), ring[1][1]]
        ring[2] = [ring[2][0], 95.0]
        ring[3] = [float("inf"), ring[3][1]]

    _edit(copy / "jinmao_quadrants.geojson", "park.quadrant.nw", spoil)
    text = "\n".join(_messages(copy))
    where = "jinmao_quadrants.geojson: feature 'park.quadrant.nw': geometry.coordinates[0]"
    assert f"{where}[1][0] is nan; expected a finite longitude" in text
    assert f"{where}[2][1] is 95.0; expected a finite latitude" in text
    assert f"{where}[3][0] is inf; expected a finite longitude" in text
    assert "park.quadrant.ne" not in text  # the other quadrants still load and pass
