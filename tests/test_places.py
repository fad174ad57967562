"""Places by OpenStreetMap id, the 街道 zones, the park from its anchors, and the rules that
keep every placement honest (issue 10). Each rule runs over the whole register or all layers."""

from __future__ import annotations

import csv
import itertools
import math
from pathlib import Path

import pytest
import yaml
from shapely.geometry import Point

from hedong_geo import places
from hedong_geo._errors import LayerError
from hedong_geo.build import build_layers
from hedong_geo.cli import main
from hedong_geo.coverage import coverage
from hedong_geo.layers import load_layers
from hedong_geo.paths import GEODATA, LAYERS
from hedong_geo.register import REGISTER, layer_titles, load_register, parse_register
from hedong_geo.transform import to_metric

MATCHES = GEODATA / "osm" / "register_matches.csv"
STREETS_LAYER = "streets"


@pytest.fixture(scope="module")
def layers():
    return load_layers(LAYERS)


@pytest.fixture(scope="module")
def entries():
    return {e.id: e for e in load_register()}


def _matches() -> list[dict[str, str]]:
    with MATCHES.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _osm_ids(entry) -> list[str]:
    g = entry.geometry
    if g["recipe"] == "osm":
        return [g["poi"], *g.get("also", [])]
    if g["recipe"] == "park":
        return [pid for q in ("ne", "nw", "se", "sw") for pid in g.get(q, [])]
    return []


# --- the osm recipe ------------------------------------------------------------------------------


def test_every_reviewed_match_is_placed_at_its_object(entries):
    """Each register place whose OSM candidate was reviewed as `match` is placed there."""
    rows = [r for r in _matches() if r["verdict"] == "match"]
    assert len(rows) >= 20
    for row in rows:
        entry = entries[row["feature_id"]]
        assert row["poi_id"] in _osm_ids(entry), row["feature_id"]


def test_a_probable_match_is_used_only_with_a_reason(entries):
    probable = {(r["feature_id"], r["poi_id"]) for r in _matches() if r["verdict"] == "probable"}
    rejected = {(r["feature_id"], r["poi_id"]) for r in _matches() if r["verdict"] == "reject"}
    for entry in entries.values():
        for pid in _osm_ids(entry):
            assert (entry.id, pid) not in rejected, entry.id
            if (entry.id, pid) in probable and entry.geometry["recipe"] == "osm":
                assert "probable; confirmed" in (entry.note or ""), entry.id


def test_an_osm_feature_sits_on_its_object_and_credits_it(layers, entries):
    pois = places.load_pois()
    count = 0
    for row in layers.features().itertuples():
        entry = entries.get(row.id)
        if entry is None or entry.geometry["recipe"] != "osm" or entry.geometry.get("also"):
            continue
        poi = pois[entry.geometry["poi"]]
        # rounding only: to the decimals its accuracy supports (a tenth of it)
        assert to_metric(row.geometry).distance(poi.point) <= row.accuracy_m / 10, row.id
        assert row.accuracy_m >= poi.accuracy_m, row.id
        assert poi.poi_id in row.geometry_source and places.OSM_MARK in row.geometry_source
        assert row.location_basis in ("reference", "described", "schematic")
        count += 1
    assert count >= 25


def _register_with(geometry: dict, tmp_path: Path) -> list[dict]:
    data = yaml.safe_load(REGISTER.read_text(encoding="utf-8"))
    for raw in data:
        if raw["id"] == "culture.aegean-mall":
            raw["geometry"] = geometry
    return data


def test_an_osm_id_not_in_the_committed_file_is_an_error_naming_the_entry(tmp_path):
    data = _register_with({"recipe": "osm", "poi": "osm.area.999999999999"}, tmp_path)
    with pytest.raises(LayerError) as caught:
        parse_register(data, layer_titles())
    text = str(caught.value)
    assert "'culture.aegean-mall'" in text and "'osm.area.999999999999'" in text
    assert "geodata/osm/pois.geojson" in text


def test_a_bad_osm_id_stops_the_build_before_anything_is_written(tmp_path, monkeypatch):
    path = tmp_path / "features.yaml"
    data = _register_with({"recipe": "osm", "poi": "osm.node.1"}, tmp_path)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    load_register.cache_clear()
    monkeypatch.setattr("hedong_geo.build.load_register", lambda: load_register(path))
    out = tmp_path / "out"
    with pytest.raises(LayerError, match=r"'osm\.node\.1' is not an OpenStreetMap object"):
        build_layers(out)
    assert not out.exists() or not any(out.iterdir())
    load_register.cache_clear()


def test_an_accuracy_tighter_than_the_object_is_refused(tmp_path):
    from hedong_geo.paths import CONTEXT_DIR
    from hedong_geo.placing import Geography, place_all

    data = _register_with(
        {"recipe": "osm", "poi": "osm.area.1226944861", "accuracy_m": 10}, tmp_path
    )
    entries = tuple(parse_register(data, layer_titles()))
    with pytest.raises(LayerError, match=r"culture\.aegean-mall.*tighter than its OSM object"):
        place_all(entries, Geography(CONTEXT_DIR))


# --- the 街道 ------------------------------------------------------------------------------------


def test_the_13_streets_are_listed_and_drawn_as_approximate(layers):
    zones = layers.layers[STREETS_LAYER]
    assert len(zones) == 12 and set(zones["category"]) == {"street_zone"}
    assert set(zones["location_basis"]) == {"schematic"}
    assert all("NOT an official boundary" in s for s in zones["geometry_source"])
    iron = layers.feature("street.120102013")
    assert iron["geometry"] is None and iron["layer"] == "unlocated"
    assert "exclave" in iron["geometry_source"]
    codes = {z.id for z in places.load_zones()}
    assert codes == set(zones["id"]) | {"street.120102013"}


def test_every_located_feature_carries_its_street_by_the_stated_rule(layers):
    zones = {z.id: z for z in places.load_zones()}
    counts = {"certain": 0, "likely": 0, "unknown": 0}
    for row in layers.features().itertuples():
        if row.geometry is None or row.category == "street_zone":
            assert not isinstance(row.street, str), row.id
            assert not isinstance(row.street_confidence, str), row.id
            continue
        counts[row.street_confidence] += 1
        shape = to_metric(row.geometry)
        if row.street_confidence == "certain":
            zone = zones[row.street]
            core = zone.geometry.buffer(-zone.accuracy_m)
            assert core.buffer(1.0).contains(shape.buffer(row.accuracy_m)), row.id
        elif row.street_confidence == "likely":
            point = shape if shape.geom_type == "Point" else shape.representative_point()
            # the layer's coordinates are rounded (to a tenth of the accuracy) after the build
            slack = row.accuracy_m / 10 + 1.0
            assert zones[row.street].geometry.buffer(slack).contains(point), row.id
        else:
            assert not isinstance(row.street, str), row.id
    # No zone is known better than ± 750 m and the widest is about 2 km across: shrunk by its own
    # accuracy, little or nothing is left, so today no feature is "certain" of its 街道.
    assert counts["likely"] > 30


def test_street_command_answers_which_features_are_in_a_street(capsys):
    assert main(["street", "二号桥街"]) == 0
    out = capsys.readouterr().out
    assert "二号桥街道" in out and "not an official boundary" in out
    assert "[likely] park.yijichuang " in out and "park.meijian5" in out
    assert "may be in it" in out
    for name in ("二号桥", "street.120102005", "120102005", "二号桥街道"):
        assert main(["street", name]) == 0
        assert capsys.readouterr().out == out


def test_an_unknown_street_is_exit_2_with_the_known_names(capsys):
    assert main(["street", "火星街"]) == 2
    err = capsys.readouterr().err
    assert "'火星街'" in err and "二号桥街道 (120102005)" in err and "天津铁厂街道" in err


# --- the park from its anchors -------------------------------------------------------------------


def test_the_park_lies_in_erhaoqiao_and_reaches_the_southern_boundary(layers):
    park = to_metric(layers.feature("park.jinmao").geometry)
    zone = {z.code: z for z in places.load_zones()}["120102005"]
    assert zone.geometry.buffer(1.0).contains(park)
    hedong = to_metric(layers.feature("context.district.120102").geometry)
    assert park.boundary.intersection(hedong.boundary).length > 100  # 南接: on the boundary


def test_each_quadrant_contains_the_located_anchors_the_plan_names_for_it(layers, entries):
    park = entries["park.jinmao"].geometry
    pois = places.load_pois()
    checked = 0
    for quadrant in ("ne", "nw", "se", "sw"):
        shape = to_metric(layers.feature(f"park.quadrant.{quadrant}").geometry)
        for pid in park.get(quadrant, []):
            assert shape.contains(pois[pid].point), (quadrant, pid)
            located = [
                e.id for e in entries.values() if pid in _osm_ids(e) and e.id != "park.jinmao"
            ]
            assert located, pid  # the anchor is itself a located feature
            checked += 1
    assert checked >= 3


# --- no invented points ---------------------------------------------------------------------------


def _points(layers):
    for row in layers.features().itertuples():
        if row.layer == "context" or row.geometry is None:
            continue
        if row.geometry.geom_type == "Point":
            yield row, (row.geometry.x, row.geometry.y)


def test_no_two_distinct_features_share_a_coordinate(layers, entries):
    """Unless they are the same site: placed at the same OSM object, one the other's parent
    (一机床项目 and its 产业地块; 棉3创意街区 and its 展馆)."""
    by_xy: dict[tuple, list] = {}
    for row, xy in _points(layers):
        by_xy.setdefault(xy, []).append(row)
    for rows in by_xy.values():
        for a, b in itertools.combinations(rows, 2):
            same_object = set(_osm_ids(entries[a.id])) & set(_osm_ids(entries[b.id]))
            related = a.parent == b.id or b.parent == a.id
            assert same_object and related, (a.id, b.id)


def test_no_accuracy_circle_is_larger_than_its_parent_zone(layers):
    for row, _ in _points(layers):
        if not isinstance(row.parent, str):
            continue
        parent = layers.feature(row.parent)
        if parent["geometry"] is None or parent["geometry"].geom_type == "Point":
            continue
        area = to_metric(parent["geometry"]).area
        assert math.pi * row.accuracy_m**2 <= area, row.id


def test_no_feature_is_a_point_invented_inside_a_zone(entries):
    assert all(e.geometry["recipe"] != "inside" for e in entries.values())


# --- the classes of over-claim the review found, each a rule over the whole register -------------


def test_a_station_square_lies_on_the_side_its_name_gives(layers):
    hub = layers.feature("station.hub")["geometry"]
    for row, (_, y) in _points(layers):
        if "北广场" in row.name_zh:
            assert y > hub.y, row.id
        if "南广场" in row.name_zh:
            assert y < hub.y, row.id


def test_no_site_is_placed_at_a_metro_station_named_after_a_road(entries):
    """A station named after a road (东兴路, 十一经路) does not place a site on that road."""
    refs = places_refs()
    for entry in entries.values():
        if entry.geometry["recipe"] in ("near", "reference"):
            name = refs[entry.geometry["ref"]]
            assert not name.endswith(("路", "道")), (entry.id, name)


def places_refs() -> dict[str, str]:
    import json

    data = json.loads((GEODATA / "context" / "reference_points.geojson").read_text("utf-8"))
    return {f["properties"]["ref_id"]: f["properties"]["name_zh"] for f in data["features"]}


def test_a_shangquan_spans_only_malls_the_register_locates(entries):
    """A 商圈 drawn over malls names only malls at which a feature of the register is placed."""
    pois = places.load_pois()
    for entry in entries.values():
        if not entry.name_zh.endswith("商圈") or entry.geometry["recipe"] != "osm":
            continue
        for pid in _osm_ids(entry):
            if pois[pid].fclass != "mall":
                continue
            others = [e.id for e in entries.values() if e.id != entry.id and pid in _osm_ids(e)]
            assert others, (entry.id, pid)


def test_a_gathering_is_no_surer_than_its_members(layers, entries):
    order = ("derived", "reference", "described", "schematic")
    for entry in entries.values():
        if entry.geometry["recipe"] != "points_of":
            continue
        members = layers.features(entry.geometry["layers"])
        bases = [b for b in members["location_basis"] if b != "unlocated"]
        weakest = max(bases, key=order.index)
        assert layers.feature(entry.id)["location_basis"] == weakest, entry.id


def test_a_schematic_band_is_no_surer_than_its_invented_width(entries):
    for entry in entries.values():
        g = entry.geometry
        if g["recipe"] in ("belt", "frontage_segment"):
            assert g["accuracy_m"] >= g["width_m"], entry.id


# --- coverage and attribution ---------------------------------------------------------------------


def test_coverage_counts_by_source_and_says_why_a_place_is_unlocated():
    report = coverage(LAYERS)
    assert report.by_source["OpenStreetMap"] >= 25
    assert report.by_source["街道 zones"] == 12
    why = {fid: reason for fid, _, _, reason in report.unlocated}
    assert why["park.meijian5"] == "listed in park.quadrant.nw"


def test_osm_attribution_in_the_snapshot_only_when_osm_data_is_drawn(layers, data_dir):
    from hedong_geo.exports.snapshot import render_snapshot

    def note(fig) -> str:
        return " ".join(t.get_text() for t in fig.texts if t.get_gid() == "note")

    with_osm = render_snapshot(layers, layers=["science"], dpi=50, lang="en")
    assert "© OpenStreetMap contributors" in note(with_osm)
    small = load_layers(data_dir / "layers_small")
    named = render_snapshot(small, dpi=50, lang="en")  # OSM place names in the basemap
    assert "Place names: © OpenStreetMap contributors" in note(named).replace("\n", " ")
    far = (116.80, 38.60, 116.85, 38.65)  # in Tianjin, far from every feature and OSM place
    without = render_snapshot(small, extent=far, dpi=50, lang="en")
    assert "OpenStreetMap" not in note(without)


def test_osm_attribution_on_the_html_map_page(layers, data_dir, tmp_path):
    from hedong_geo.exports.site import export_html

    page = export_html(layers, tmp_path / "map.html").read_text("utf-8")
    assert 'class="hd-attribution"' in page and "© OpenStreetMap contributors" in page
    small = load_layers(data_dir / "layers_small")
    other = export_html(small, tmp_path / "small.html").read_text("utf-8")
    assert 'class="hd-attribution"' not in other


def test_osm_points_are_rounded_to_their_accuracy(layers):
    for row, (x, y) in _points(layers):
        if places.OSM_MARK in row.geometry_source:
            assert Point(x, y).equals(Point(round(x, 6), round(y, 6))), row.id
