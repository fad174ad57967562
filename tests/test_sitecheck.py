"""The site check: every fixture of tests/data/sitecheck/ (README.md there) with its expected
result or error, the limits, the CRS choices, the shift warning, the report and the CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from hedong_geo import paths, sitecheck, uploads
from hedong_geo._errors import (
    UploadCRSError,
    UploadError,
    UploadFormatError,
    UploadGeometryError,
    UploadTooLargeError,
)
from hedong_geo.cli import main
from hedong_geo.layers import load_layers
from hedong_geo.ui_sitecheck import crs_options, report_name

DATA = Path(__file__).parent / "data" / "sitecheck"
# Read as it should be, the site holds the 一机床 project and its parcel, lies in the park and
# two of its quadrants, and touches three approximate 街道 zones.
CERTAIN = {"park.yijichuang", "park.yijichuang-industrial-parcel"}
ZONES = {"park.jinmao", "park.quadrant.se", "park.quadrant.sw"}
STREETS = {"street.120102003", "street.120102004", "street.120102005"}

# file, crs stated by the user, the CRS it is read in, stated in the file?, warnings expected
GOOD = [
    ("site_wgs84.geojson", None, "wgs84", True, set()),
    ("site_cgcs2000_4490.geojson", None, "cgcs2000", True, set()),
    ("site_cgcs2000_4527.gpkg", None, "EPSG:4527", True, set()),
    ("site_cgcs2000_cm117_shp.zip", None, "EPSG:4548", True, set()),
    ("site_gk39.dxf", None, "EPSG:4527", False, {"site_warn_guessed"}),
    ("site_gcj02.kml", "gcj02", "gcj02", True, set()),
    ("site_gcj02_declared_wgs84.geojson", "GCJ-02", "gcj02", True, set()),
    ("site_bd09.geojson", "bd09", "bd09", True, set()),
    ("site_gk39.dxf", "EPSG:4527", "EPSG:4527", True, set()),
]
# file, crs stated, error class, words the message holds
BAD = [
    ("bad_malformed.geojson", None, UploadFormatError, "cannot be read as geojson"),
    ("bad_points_only.geojson", None, UploadGeometryError, "holds no area (Point)"),
    ("bad_outside_tianjin.geojson", None, UploadGeometryError, "outside Tianjin"),
    ("bad_web_mercator.gpkg", None, UploadCRSError, "EPSG:3857"),
    ("bad_oversized.zip", None, UploadTooLargeError, "unpacks to 63 MB"),
    ("bad_traversal.zip", None, UploadFormatError, "outside the archive"),
    ("bad_open_outline.dxf", None, UploadGeometryError, "no closed polyline"),
    ("site_wgs84.geojson", "EPSG:3857", UploadCRSError, "unknown coordinate system"),
    ("README.md", None, UploadFormatError, "cannot read '.md'"),
    ("make_fixtures.py", None, UploadFormatError, "send GeoJSON, GeoPackage"),
    ("site_gk39.dxf", "wgs84", UploadGeometryError, "outside Tianjin"),
]


@pytest.fixture(scope="module")
def layers():
    return load_layers()


@pytest.mark.parametrize(("name", "crs", "read_as", "stated", "warned"), GOOD)
def test_each_format_and_crs_finds_the_same_plan(layers, name, crs, read_as, stated, warned):
    site = uploads.read_site(DATA / name, crs=crs)
    assert (site.crs, site.crs_stated) == (read_as, stated)
    assert {w.key for w in site.warnings} == warned
    result = sitecheck.check_site(layers, site, 200)
    assert {h.id for h in result.of_kind("certain")} == CERTAIN
    assert {h.id for h in result.of_kind("zone")} == ZONES
    assert set(result.streets) == STREETS
    assert result.area_km2 == pytest.approx(0.72, abs=0.002)
    maybe = {h.id: h for h in result.of_kind("maybe")}
    assert maybe["park.tianjin-electric-institute"].via == "park.quadrant.se"  # not located


@pytest.mark.parametrize("name", ["site_gcj02_declared_wgs84.geojson", "site_gcj02.kml"])
def test_a_gcj02_file_read_as_wgs84_is_warned(layers, name):
    site = uploads.read_site(DATA / name)
    assert site.crs == "wgs84"
    [warning] = site.warnings
    assert warning.key == "site_warn_shift"
    en, zh = warning.text("en"), warning.text("zh")
    assert "GCJ-02" in en and "天津第一机床厂" in en and "look shifted" in en
    assert "坐标疑似偏移" in zh and "GCJ-02" in zh
    result = sitecheck.check_site(layers, site, 200)
    assert not {h.id for h in result.of_kind("certain")} >= CERTAIN  # why it matters
    assert en in sitecheck.warnings_text(result, "en")


def test_a_bd09_file_read_as_wgs84_is_warned():
    [warning] = uploads.read_site(DATA / "site_bd09.geojson").warnings
    assert "BD-09" in warning.text("en")


@pytest.mark.parametrize(("name", "crs", "error", "words"), BAD)
def test_bad_files_are_refused_naming_the_problem(name, crs, error, words):
    with pytest.raises(error) as caught:
        uploads.read_site(DATA / name, crs=crs)
    assert isinstance(caught.value, UploadError)
    assert words in str(caught.value)
    assert repr(name) in str(caught.value)


def test_limits_on_bytes_and_vertices(tmp_path):
    with pytest.raises(UploadTooLargeError, match="at most 10 MB"):
        uploads.read_site_bytes(b" " * (uploads.MAX_BYTES + 1), "big.geojson")
    ring = [
        [
            117.27 + 0.01 * __import__("math").cos(i / 9000),
            39.09 + 0.01 * __import__("math").sin(i / 9000),
        ]
        for i in range(uploads.MAX_VERTICES + 1)
    ]
    ring.append(ring[0])
    doc = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    path = tmp_path / "dense.geojson"
    path.write_text(json.dumps(doc))
    with pytest.raises(UploadTooLargeError, match="vertices"):
        uploads.read_site(path)


def test_uploads_go_to_a_temporary_folder_only(monkeypatch, tmp_path):
    before = sorted(p.name for p in paths.LAYERS.iterdir())
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    data = (DATA / "site_wgs84.geojson").read_bytes()
    site = uploads.read_site_bytes(data, "../../layers/renewal.geojson")
    assert site.file == "renewal.geojson"
    assert list(tmp_path.iterdir()) == []  # removed after reading
    assert sorted(p.name for p in paths.LAYERS.iterdir()) == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, None),
        ("auto", None),
        ("WGS84", "wgs84"),
        ("EPSG:4326", "wgs84"),
        ("cgcs2000", "cgcs2000"),
        ("4490", "cgcs2000"),
        ("GCJ-02", "gcj02"),
        ("bd_09", "bd09"),
        ("epsg:4527", "EPSG:4527"),
        ("4513", "EPSG:4513"),
        ("EPSG:4548", "EPSG:4548"),
    ],
)
def test_crs_choices(text, expected):
    assert uploads.parse_crs(text) == expected


@pytest.mark.parametrize("text", ["EPSG:4512", "4555", "mars", "EPSG:3857"])
def test_unknown_crs_choices_are_errors(text):
    with pytest.raises(UploadCRSError, match="unknown coordinate system"):
        uploads.parse_crs(text)


def test_distance_widens_the_near_list(layers):
    site = uploads.read_site(DATA / "site_wgs84.geojson")
    near = {h.id for h in sitecheck.check_site(layers, site, 0).of_kind("near")}
    wide = {h.id for h in sitecheck.check_site(layers, site, 2000).of_kind("near")}
    assert near < wide
    with pytest.raises(ValueError, match="out of range"):
        sitecheck.check_site(layers, site, -5)


def test_result_html_is_an_escaped_fragment(layers):
    site = uploads.read_site(DATA / "site_gcj02_declared_wgs84.geojson")
    site.name = "<b>site</b>"
    result = sitecheck.check_site(layers, site, 200)
    html = sitecheck.result_html(layers, result, "en")
    assert "<b>site</b>" not in html and "&lt;b&gt;site&lt;/b&gt;" in html
    assert 'role="alert"' in html and "GCJ-02" in html
    for hit in result.hits:
        assert f'data-feature="{hit.id}"' in html
    assert "<html" not in html


def test_report_and_cli(layers, tmp_path, capsys):
    out = tmp_path / "report.pdf"
    code = main(
        [
            "sitecheck",
            str(DATA / "site_gcj02_declared_wgs84.geojson"),
            "--lang",
            "en",
            "--distance",
            "200",
            "--out",
            str(out),
        ]
    )
    assert code == 0 and out.read_bytes().startswith(b"%PDF")
    assert "look shifted" in capsys.readouterr().err
    pdffonts = shutil.which("pdffonts")
    if pdffonts:
        fonts = subprocess.run([pdffonts, out], capture_output=True, text=True).stdout
        assert "CJK" in fonts
    pdftotext = shutil.which("pdftotext")
    if pdftotext:
        text = subprocess.run([pdftotext, out, "-"], capture_output=True, text=True).stdout
        assert "Certainly inside" in text and "look shifted" in text
    assert (
        main(["sitecheck", str(DATA / "bad_oversized.zip"), "--out", str(tmp_path / "x.pdf")]) == 2
    )
    assert "bad_oversized.zip" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()


def test_ui_helpers():
    assert crs_options()[0] is None and "gcj02" in crs_options() and "EPSG:4527" in crs_options()
    name = report_name("天津第一机床厂 地块/../x", __import__("datetime").date(2026, 11, 23))
    assert name == "sitecheck_天津第一机床厂_地块_x_2026-11-23.pdf"


def test_ui_panel_renders_without_an_upload():
    from streamlit.testing.v1 import AppTest

    def app():
        from hedong_geo.layers import load_layers_cached
        from hedong_geo.ui_sitecheck import site_check_panel

        site_check_panel(load_layers_cached(), "en")

    at = AppTest.from_function(app).run(timeout=60)
    assert not at.exception
    assert at.selectbox[0].label == "Coordinate system"
    assert at.number_input[0].value == 200


# --- an area drawn on the map -------------------------------------------------------------------


def test_an_area_drawn_on_the_map_is_checked_like_an_upload() -> None:
    """The map's area tool gives a WGS84 ring (hedong_geo.ui_map's ``area``): around the
    金贸产业园 south-east quadrant it finds the quadrant."""
    layers = load_layers()
    west, south, east, north = layers.feature("park.quadrant.se").geometry.bounds
    pad = 0.002
    ring = [
        [west - pad, south - pad],
        [east + pad, south - pad],
        [east + pad, north + pad],
        [west - pad, north + pad],
        [west - pad, south - pad],
    ]
    site = uploads.site_from_drawing({"type": "Polygon", "coordinates": [ring]}, "drawn")
    assert site.crs == "wgs84" and site.format == "drawn" and site.name == "drawn"
    found = {hit.id for hit in sitecheck.check_site(layers, site, 100.0).hits}
    assert "park.quadrant.se" in found


@pytest.mark.parametrize(
    "polygon",
    [
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},  # not Tianjin
        {"type": "Point", "coordinates": [117.25, 39.12]},  # not an area
        {"type": "Polygon"},  # no coordinates
    ],
)
def test_a_bad_drawing_is_a_clear_error(polygon: dict) -> None:
    with pytest.raises(UploadGeometryError, match="'drawn'"):
        uploads.site_from_drawing(polygon, "drawn")
