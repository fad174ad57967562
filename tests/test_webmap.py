"""hedong_geo.webmap: layers, styles, escaping, offline links, determinism, payload size."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import branca.element
import folium
import jinja2
import pytest
from conftest import context_feature, edit_feature

from hedong_geo import UnknownIdError
from hedong_geo.layers import STATUSES, load_layers
from hedong_geo.styles import feature_style, load_styles
from hedong_geo.webmap import (
    build_map,
    feature_bounds,
    map_view,
)

URL = re.compile(r"""(?:https?:)?//[^\s"'<>()\\]+""")
LOCAL = re.compile(r"^(?:https?:)?//(?:127\.0\.0\.1|localhost)(?::\d+)?(?:/|$)")


def _box(x0: float, y0: float, x1: float, y1: float) -> dict:
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


CONTEXT = {
    "type": "FeatureCollection",
    "name": "context",
    "title": {"zh": "底图", "en": "Context"},
    "features": [
        context_feature(
            "context.district.hedong",
            "河东区",
            "Hedong District",
            "boundary",
            _box(117.20, 39.07, 117.30, 39.16),
            accuracy_m=50.0,
        ),
        context_feature(
            "context.district.hexi",
            "河西区",
            "Hexi District",
            "boundary",
            _box(117.15, 39.03, 117.21, 39.12),
            accuracy_m=50.0,
        ),
        context_feature(
            "context.haihe",
            "海河",
            "Haihe",
            "river",
            {"type": "LineString", "coordinates": [[117.19, 39.14], [117.25, 39.06]]},
            accuracy_m=50.0,
        ),
        context_feature(
            "context.ref.zhigu",
            "直沽站",
            "Zhigu station",
            "reference_point",
            {"type": "Point", "coordinates": [117.229228, 39.110811]},
            basis="reference",
            accuracy_m=50.0,
        ),
    ],
}


@pytest.fixture
def small(data_dir: Path):
    return load_layers(data_dir / "layers_small")


@pytest.fixture
def with_context(tmp_path: Path, data_dir: Path):
    for path in (data_dir / "layers_small").glob("*.geojson"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "context.geojson").write_text(json.dumps(CONTEXT), encoding="utf-8")
    layers = load_layers(tmp_path)
    assert layers.problems == []
    return layers


def _html(m) -> str:
    return m.get_root().render()


def _layer_data(html: str) -> list[dict]:
    """The FeatureCollections the page hands to HedongGeo.layer, parsed back."""
    calls = re.findall(r"HedongGeo\.layer\(\w+, (\{.*?\}), \{.*?\}\);\n", html)
    return [json.loads(c) for c in calls]


def _features(html: str) -> dict[str, dict]:
    return {f["properties"]["id"]: f for fc in _layer_data(html) for f in fc["features"]}


def _groups(m: folium.Map) -> list[folium.FeatureGroup]:
    """The map's layer groups (the layer control's entries)."""
    return [c for c in m._children.values() if isinstance(c, folium.FeatureGroup)]


def test_one_feature_group_per_located_layer_with_titles(small) -> None:
    m = build_map(small)
    html = _html(m)
    assert len(_layer_data(html)) == 4  # unlocated.geojson has nothing to draw
    assert len(_groups(m)) == 4
    for title in ("天津站片区", "金贸产业园四片区", "城市更新", "基础设施"):
        assert json.dumps(title)[1:-1] in html  # layer-control names are \u-escaped JSON
    en = _html(build_map(small, lang="en"))
    assert "Jinmao park quadrants" in en and "Legend" in en


def test_properties_are_id_style_tooltip_radius_only(small) -> None:
    feats = _features(_html(build_map(small)))
    assert "unlocated.pending" not in feats and all(f["geometry"] for f in feats.values())
    for f in feats.values():
        assert set(f["properties"]) <= {"id", "k", "t", "r", "s", "site", "n", "l", "z"}
    point = feats["renewal.dazhigu"]["properties"]
    assert point["k"] == "points|described" and point["r"] == 600.0
    assert point["s"] in STATUSES
    assert feats["park.quadrant.sw"]["properties"]["k"] == "park|schematic"
    assert "r" not in feats["park.quadrant.sw"]["properties"]


def test_coordinates_rounded_to_six_decimals(small) -> None:
    for f in _features(_html(build_map(small, basemap="gaode"))).values():
        for number in re.findall(r"-?\d+\.\d+", json.dumps(f["geometry"])):
            assert len(number.split(".")[1]) <= 6


def test_styles_by_location_basis(small) -> None:
    html = _html(build_map(small))
    setup = json.loads(re.search(r"HedongGeo\.setup\(\w+, (\{.*?\})\);\n", html).group(1))
    styles = setup["styles"]
    assert styles["park|schematic"]["dashArray"] == feature_style("park", "schematic")["dash"]
    assert styles["park|derived"]["dashArray"] is None
    assert (
        styles["points|described"]["fillOpacity"]
        == feature_style("points", "described")["fill_opacity"]
    )
    assert styles["station|derived"]["color"] == load_styles()["groups"]["station"]["color"]
    assert setup["background"] == load_styles()["background"]
    assert setup["selected"] == load_styles()["selected"]  # the one highlight style


def test_legend_explains_groups_and_bases(small) -> None:
    html = _html(build_map(small))
    legend = json.loads(re.search(r"new L\.Control\.HdLegend\((\{.*?\})\)", html).group(1))["html"]
    styles = load_styles()
    for group in ("station", "belt", "park", "points"):
        assert styles["groups"][group]["label"]["zh"] in legend
        assert styles["groups"][group]["color"] in legend
    for basis in ("derived", "schematic", "described", "reference"):
        assert styles["bases"][basis]["label"]["zh"] in legend
    assert 'stroke-dasharray="8 6"' in legend


def test_names_are_escaped(small) -> None:
    html = _html(build_map(small))
    assert "<img src=x" not in html and "<script>alert" not in html
    tip = _features(html)["renewal.xss"]["properties"]["t"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in tip
    assert "<img" not in tip and "&lt;script&gt;" in tip


def test_data_is_never_read_as_template_syntax(tmp_path: Path, data_dir: Path) -> None:
    for path in (data_dir / "layers_small").glob("*.geojson"):
        shutil.copy(path, tmp_path / path.name)
    template = "{{ 7 * 7 }}{% if true %}x{% endif %}"
    edit_feature(tmp_path / "renewal.geojson", "renewal.dazhigu", name_zh=template)
    m = build_map(load_layers(tmp_path))
    for _ in range(2):  # st_folium renders the same map again
        tips = [f["properties"].get("t", "") for f in _features(_html(m)).values()]
        assert any("{{ 7 * 7 }}{% if true %}x{% endif %}" in tip for tip in tips)


def test_rendering_compiles_no_feature_script_and_patches_nothing(small, monkeypatch) -> None:
    """A rerun renders the map again: our scripts go into the page as they are, without a
    Jinja compile each, and no library class is replaced to get there."""
    assert branca.element.Template is jinja2.Template
    m = build_map(small)
    _html(m)
    compiled: list[str] = []

    def counting(source: str, *args, **kwargs):
        compiled.append(source)
        return jinja2.Template(source, *args, **kwargs)

    monkeypatch.setattr(branca.element, "Template", counting)
    _html(m)
    assert compiled  # the test sees folium's own compiles (its Map header) ...
    assert not [c for c in compiled if "HedongGeo" in c or "addTo(" in c]  # ... and none of ours
    monkeypatch.undo()
    assert branca.element.Template is jinja2.Template


def test_no_remote_urls_in_offline_map(with_context) -> None:
    html = _html(build_map(with_context))
    remote = [u for u in URL.findall(html) if not LOCAL.match(u)]
    assert remote == []
    assert '<script src="/app/static/vendor/leaflet/leaflet.js">' in html
    assert "bootstrap" not in html and "awesome" not in html


def test_asset_base_is_used(small) -> None:
    html = _html(build_map(small, asset_base="static/"))
    assert '<script src="static/vendor/leaflet/leaflet.js">' in html
    assert '<link rel="stylesheet" href="static/hedong/hedong.css"/>' in html


def test_same_arguments_same_html(with_context) -> None:
    m = build_map(with_context, selected="park.quadrant.se", lang="en")
    one = _html(m)
    two = _html(build_map(with_context, selected="park.quadrant.se", lang="en"))
    assert one == two
    assert _html(m) == one  # rendering the same map again (st_folium does) changes nothing
    assert re.search(r"_[0-9a-f]{32}\b", one) is None  # no random folium ids left


def test_payload_is_small(small) -> None:
    size = len(_html(build_map(small)).encode("utf-8"))
    assert 0 < size < 1_000_000


def test_visible_hides_other_layers(small) -> None:
    m = build_map(small, visible=["renewal", "no_such_layer"])
    html = _html(m)
    groups = _groups(m)
    assert len(groups) == 4
    shown = [g for g in groups if g.show]
    assert [g.layer_name for g in shown] == [
        g.layer_name for g in groups if "城市更新" in g.layer_name
    ]
    # Only the shown group is added to the map on opening.
    added = [g for g in groups if f"{g.get_name()}.addTo({m.get_name()})" in html]
    assert added == shown


def test_context_drawn_under_features(with_context) -> None:
    html = _html(build_map(with_context))
    calls = re.findall(r"HedongGeo\.layer\(\w+, (\{.*?\}), (\{.*?\})\);\n", html)
    first, options = json.loads(calls[0][0]), json.loads(calls[0][1])
    assert options == {"interactive": False, "pane": "hdContext"}
    keys = [f["properties"]["k"] for f in first["features"]]
    assert keys == ["ctx|neighbour", "ctx|hedong", "ctx|river"]  # Hedong over its neighbour
    refs = json.loads(calls[1][0])["features"]
    assert refs[0]["properties"]["k"] == "ctx|reference_point"
    assert "河东区界" in html  # legend entry
    # The opening view is Hedong's outline.
    assert map_view(with_context) == [[39.07, 117.2], [39.16, 117.3]]


def _fit(html: str) -> list:
    """The bounds the map opens on (its HedongGeo.fit call)."""
    return json.loads(re.search(r"HedongGeo\.fit\(\w+, (\[\[.*?\]\]), ", html).group(1))


def test_selected_feature_is_highlighted_and_fitted(small) -> None:
    html = _html(build_map(small, selected="renewal.dazhigu"))
    assert re.findall(r"HedongGeo\.select\((.*?)\);", html) == ['"renewal.dazhigu"']
    # Selected after every layer is drawn: the highlight is made from the drawn feature.
    assert html.index("HedongGeo.select(") > html.rindex("HedongGeo.layer(")
    bounds = feature_bounds(small, "renewal.dazhigu")
    (s, w), (n, e) = bounds
    assert s < 39.1108 < n and w < 117.2292 < e
    assert n - s == pytest.approx(2 * 600 / 111_320, rel=1e-3)  # the accuracy circle fits
    assert _fit(html) == bounds
    assert _fit(_html(build_map(small))) == map_view(small)
    with pytest.raises(UnknownIdError):
        build_map(small, selected="no.such.feature")


def test_unlocated_selection_draws_no_highlight(small) -> None:
    unlocated = small.layers["unlocated"]["id"].iloc[0]
    assert feature_bounds(small, unlocated) is None
    assert "HedongGeo.select(" not in _html(build_map(small, selected=unlocated))


def test_gaode_shifts_data_to_gcj02(small, monkeypatch) -> None:
    transform = pytest.importorskip("hedong_geo.transform")
    wgs = _features(_html(build_map(small)))["renewal.dazhigu"]["geometry"]["coordinates"]
    html = _html(build_map(small, basemap="gaode"))
    gcj = _features(html)["renewal.dazhigu"]["geometry"]["coordinates"]
    expected = transform.wgs84_to_gcj02(*wgs)
    assert gcj == pytest.approx(list(expected), abs=1e-6)
    assert "autonavi.com" in html and "openstreetmap" not in html
    assert "GCJ-02" in html


def test_online_basemaps_are_opt_in(small, monkeypatch) -> None:
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    html = _html(build_map(small, basemap="osm"))
    assert "tile.openstreetmap.org" in html and "tianditu" not in html
    assert json.dumps("无底图（离线）")[1:-1] in html  # the offline choice stays
    with pytest.raises(ValueError, match="TIANDITU_KEY"):
        build_map(small, basemap="tianditu")
    monkeypatch.setenv("TIANDITU_KEY", "testkey")
    html = _html(build_map(small, basemap="tianditu"))
    assert "tianditu.gov.cn" in html and "tk=testkey" in html


def test_bad_arguments(small) -> None:
    with pytest.raises(ValueError, match="lang"):
        build_map(small, lang="fr")
    with pytest.raises(ValueError, match="basemap"):
        build_map(small, basemap="google")


def test_streamlit_folium_gets_local_links_only(small) -> None:
    """st_folium loads the js/css links of every element itself: they must be ours."""
    sf = pytest.importorskip("streamlit_folium")
    m = build_map(small)
    m.get_root().render()
    header = sf._get_header(m)
    script = sf._get_map_string(m)
    assert script.count("HedongGeo.layer(") == 4
    assert "map_hedong" not in script and "map_hedong" not in header
    links = [url for el in _walk(m) for _, url in getattr(el, "default_js", [])]
    links += [url for el in _walk(m) for _, url in getattr(el, "default_css", [])]
    assert links and all(u.startswith("/app/static/") for u in links)


def _walk(element):
    yield element
    for child in element._children.values():
        yield from _walk(child)


def test_multipoint_features_keep_their_radius(tmp_path: Path, data_dir: Path) -> None:
    for path in (data_dir / "layers_small").glob("*.geojson"):
        shutil.copy(path, tmp_path / path.name)
    data = json.loads((tmp_path / "renewal.geojson").read_text(encoding="utf-8"))
    data["features"][0]["geometry"] = {
        "type": "MultiPoint",
        "coordinates": [[117.22, 39.11], [117.23, 39.12]],
    }
    (tmp_path / "renewal.geojson").write_text(json.dumps(data), encoding="utf-8")
    feats = _features(_html(build_map(load_layers(tmp_path))))
    multi = feats[data["features"][0]["properties"]["id"]]
    assert multi["geometry"]["type"] == "MultiPoint" and multi["properties"]["r"] > 0


def test_openstreetmap_data_is_credited_on_the_map(data_dir):
    """ODbL: a map that draws features placed from OpenStreetMap says so; one that does not,
    does not."""
    from hedong_geo.places import OSM_ATTRIBUTION

    page = build_map(load_layers()).get_root().render()
    assert "attributionControl.addAttribution" in page and OSM_ATTRIBUTION in page
    small = build_map(load_layers(data_dir / "layers_small")).get_root().render()
    assert OSM_ATTRIBUTION not in small
