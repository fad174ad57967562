"""Snapshot and data export: files GDAL, geojson and Excel-style readers accept; figures with
their furniture; bad requests that fail clearly and leave no file behind."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
import subprocess
import warnings
from pathlib import Path
from xml.etree import ElementTree

import geojson
import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from conftest import context_feature
from matplotlib import font_manager
from matplotlib.image import imread
from PIL import Image

from hedong_geo import exports
from hedong_geo._errors import ExportError, UnknownIdError, WriteError
from hedong_geo.cli import main
from hedong_geo.exports import data as export_data_module
from hedong_geo.exports import furniture
from hedong_geo.layers import load_layers
from hedong_geo.styles import load_styles
from hedong_geo.transform import to_metric

DAY = dt.date(2026, 3, 1)
XSS = "<img src=x onerror=alert(1)>"
COUNTS = {
    "infrastructure": 1,
    "jinmao_quadrants": 4,
    "renewal": 2,
    "station_zone": 1,
    "unlocated": 1,
}


@pytest.fixture
def small(data_dir: Path) -> Path:
    return data_dir / "layers_small"


@pytest.fixture
def layerset(small: Path):
    return load_layers(small)


@pytest.fixture
def with_context(small: Path, tmp_path: Path) -> Path:
    """The small layers plus a context layer: Hedong, one neighbour, a river, a reference point."""
    folder = tmp_path / "layers"
    shutil.copytree(small, folder)
    hedong = shapely.box(117.19, 39.07, 117.30, 39.15)
    neighbour = shapely.box(117.15, 39.07, 117.19, 39.15)
    river = shapely.LineString([(117.19, 39.15), (117.19, 39.07)])
    features = [
        context_feature("context.district.hedong", "河东区", "Hedong", "boundary", hedong),
        context_feature("context.district.heping", "和平区", "Heping", "boundary", neighbour),
        context_feature("context.haihe", "海河", "Haihe", "river", river),
        context_feature(
            "context.ref.zhigu", "直沽", "Zhigu", "reference_point", shapely.Point(117.229, 39.11)
        ),
    ]
    for feat in features:
        feat["geometry"] = shapely.geometry.mapping(feat["geometry"])
    collection = {"type": "FeatureCollection", "name": "context", "features": features}
    (folder / "context.geojson").write_text(json.dumps(collection), encoding="utf-8")
    return folder


def _find(fig, gid: str) -> list:
    return fig.findobj(lambda artist: artist.get_gid() == gid)


# --- data -------------------------------------------------------------------------------------


def test_select_by_layers_and_ids(layerset):
    assert len(exports.select_features(layerset)) == sum(COUNTS.values())
    assert set(exports.select_features(layerset, ["renewal"])["id"]) == {
        "renewal.dazhigu",
        "renewal.xss",
    }
    one = exports.select_features(layerset, None, ["station.zone.hedong"])
    assert list(one["id"]) == ["station.zone.hedong"]


def test_select_unknown_layer_or_id(layerset):
    with pytest.raises(UnknownIdError, match=r"unknown layer 'nope'; expected one of \["):
        exports.select_features(layerset, ["nope"])
    with pytest.raises(UnknownIdError, match=r"'renewal.dazhigu' in layers \['station_zone'\]"):
        exports.select_features(layerset, ["station_zone"], ["renewal.dazhigu"])


def test_gpkg_opens_in_ogrinfo(layerset, tmp_path, ogrinfo_path):
    out = exports.export_data(layerset, tmp_path / "sel.gpkg", "gpkg")
    listing = subprocess.run(
        [ogrinfo_path, "-ro", str(out)], capture_output=True, text=True, check=True
    )
    assert "Warning" not in listing.stderr, listing.stderr
    for name in COUNTS:
        assert re.search(rf"^\d+: {name}\b", listing.stdout, re.M), listing.stdout
    summary = subprocess.run(
        [ogrinfo_path, "-ro", "-so", "-al", str(out)], capture_output=True, text=True, check=True
    ).stdout
    counts = dict(re.findall(r"Layer name: (\S+).*?Feature Count: (\d+)", summary, re.S))
    assert {k: int(v) for k, v in counts.items()} == COUNTS
    assert "citations: String" in summary
    # the unlocated feature is kept, with a NULL geometry in a spatial table
    unlocated = subprocess.run(
        [ogrinfo_path, "-ro", "-al", str(out), "unlocated"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "id (String) = unlocated.longtanlu" in unlocated


def test_gpkg_list_columns_are_json(layerset, tmp_path):
    out = exports.export_data(layerset, tmp_path / "sel.gpkg", "gpkg", layers=["station_zone"])
    assert pyogrio.list_layers(out)[:, 0].tolist() == ["station_zone"]
    table = pyogrio.read_dataframe(out, layer="station_zone")
    assert json.loads(table.loc[0, "citations"]) == [
        {
            "doc": "fyp",
            "block": "fyp.box2.r1",
            "quote": "6.53",
            "marks": [],
            "stance": {"value": "none", "words": "", "rule": "", "reason": "test fixture"},
        }
    ]
    assert json.loads(table.loc[0, "anchors"]) == []


def test_geojson_valid_and_round_trips(layerset, tmp_path):
    out = exports.export_data(layerset, tmp_path / "sel.geojson", "geojson")
    text = out.read_text(encoding="utf-8")
    obj = geojson.loads(text)
    assert obj.is_valid, obj.errors()
    assert not obj.errors()
    data = json.loads(text)
    assert "crs" not in data
    nulls = [f for f in data["features"] if f["geometry"] is None]
    assert [f["properties"]["id"] for f in nulls] == ["unlocated.longtanlu"]
    assert nulls[0]["properties"]["location_basis"] == "unlocated"

    back = gpd.read_file(out).set_index("id")
    source = layerset.features().set_index("id")
    assert sorted(back.index) == sorted(source.index)
    for fid, geom in source.geometry.items():
        if geom is None:
            assert back.geometry[fid] is None or back.geometry[fid].is_empty
        else:
            assert back.geometry[fid].equals_exact(geom, 1e-6), fid
    for feat in data["features"]:
        if feat["geometry"] and feat["geometry"]["type"] == "Polygon":
            ring = shapely.LinearRing(feat["geometry"]["coordinates"][0])
            assert ring.is_ccw  # RFC 7946 right-hand rule


def test_geojson_of_a_filtered_frame(layerset, tmp_path):
    frame = layerset.features()
    frame = frame[frame["category"] == "quadrant"]
    out = exports.export_data(frame, tmp_path / "q.geojson", "geojson")
    ids = [f["properties"]["id"] for f in json.loads(out.read_text("utf-8"))["features"]]
    assert sorted(ids) == sorted(frame["id"])


def test_csv_reads_back(layerset, tmp_path):
    out = exports.export_data(layerset, tmp_path / "sel.csv", "csv")
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = {row["id"]: row for row in csv.DictReader(f)}
    assert list(next(iter(rows.values()))) == list(exports.CSV_COLUMNS)
    assert len(rows) == sum(COUNTS.values())
    zone = rows["station.zone.hedong"]
    assert zone["name_zh"] == "天津站站产城融合发展片区（河东部分）"
    assert zone["citations"] == "fyp fyp.box2.r1: 6.53"
    assert shapely.from_wkt(zone["wkt"]).contains(
        shapely.Point(float(zone["lon"]), float(zone["lat"]))
    )
    point = rows["renewal.dazhigu"]
    assert (float(point["lon"]), float(point["lat"])) == (117.2292, 39.1108)
    assert point["accuracy_m"] == "600.0"
    gone = rows["unlocated.longtanlu"]
    assert (gone["lon"], gone["lat"], gone["wkt"]) == ("", "", "")
    assert gone["location_basis"] == "unlocated"


# --- snapshot ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paper", "orientation", "dpi", "size_mm"),
    [("A4", "landscape", 300, (297, 210)), ("A3", "portrait", 72, (297, 420))],
)
def test_png_page_size_and_dpi(layerset, tmp_path, paper, orientation, dpi, size_mm):
    out = exports.export_snapshot(
        layerset, tmp_path / "map.png", "png", paper=paper, orientation=orientation, dpi=dpi
    )
    with Image.open(out) as image:
        width, height = image.size
        assert image.info["dpi"] == pytest.approx((dpi, dpi), abs=0.01)
    assert abs(width - size_mm[0] / 25.4 * dpi) <= 1
    assert abs(height - size_mm[1] / 25.4 * dpi) <= 1
    assert imread(out).shape[:2] == (height, width)


def test_pdf_media_box(layerset, tmp_path):
    out = exports.export_snapshot(layerset, tmp_path / "map.pdf", "pdf", orientation="portrait")
    data = out.read_bytes()
    box = re.search(rb"/MediaBox \[ *0 0 ([\d.]+) ([\d.]+) *\]", data)
    assert (float(box[1]), float(box[2])) == pytest.approx((210 / 25.4 * 72, 297 / 25.4 * 72))
    assert b"NotoSansCJK" in data  # the CJK font is embedded


def test_no_missing_glyphs_in_any_format(layerset, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fmt in exports.SNAPSHOT_FORMATS:
            for lang in ("zh", "en"):
                exports.export_snapshot(
                    layerset, tmp_path / f"m_{lang}.{fmt}", fmt, dpi=72, lang=lang, date=DAY
                )


def test_chinese_text_uses_a_cjk_font(layerset):
    fig = exports.render_snapshot(layerset, dpi=72, lang="zh", date=DAY)
    chinese = [
        t
        for t in fig.findobj(lambda a: hasattr(a, "get_text") and hasattr(a, "get_fontproperties"))
        if re.search(r"[\u4e00-\u9fff]", t.get_text())
    ]
    assert any("东南片区" in t.get_text() for t in chinese)
    for text in chinese:
        path = font_manager.findfont(text.get_fontproperties(), fallback_to_default=False)
        assert "CJK" in Path(path).name, (text.get_text(), path)


def test_furniture_is_present(layerset):
    fig = exports.render_snapshot(layerset, dpi=72, lang="en", date=DAY)
    for gid in ("map", "legend", "scalebar", "north_arrow", "title", "subtitle", "note"):
        assert _find(fig, gid), gid
    (legend,) = _find(fig, "legend")
    labels = [t.get_text() for t in legend.get_texts()]
    styles = load_styles()
    for group in ("station", "park", "points"):
        assert styles["groups"][group]["label"]["en"] in labels
    assert styles["bases"]["schematic"]["label"]["en"] in labels
    assert styles["bases"]["described"]["label"]["en"] in labels
    (north,) = _find(fig, "north_arrow")
    assert north.get_text() == "N"
    (subtitle,) = _find(fig, "subtitle")
    assert "2026-03-01" in subtitle.get_text()
    assert "Five-Year Plan" in subtitle.get_text()  # the document cited


def test_feature_list_numbers_features_with_citations(layerset):
    fig = exports.render_snapshot(layerset, dpi=72, lang="zh", date=DAY)
    (listing,) = _find(fig, "feature_list")
    text = listing.get_text()
    assert "1. 天津站站产城融合发展片区（河东部分）" in text
    assert "《河东区“十五五”规划纲要》" in text
    assert "龙潭路" not in text  # unlocated: not drawn, counted in the note
    (note,) = _find(fig, "note")
    assert "1 个要素尚未定位" in note.get_text()
    labels = [t.get_text().replace("\n", "") for t in _find(fig, "feature_label")]
    assert len(labels) == 8
    assert "1 天津站站产城融合发展片区（河东部分）" in labels


def test_styles_match_the_web_map(layerset):
    fig = exports.render_snapshot(layerset, dpi=72, date=DAY, extent="station.zone.hedong")
    (ax,) = _find(fig, "map")
    colour = load_styles()["groups"]["station"]["color"]
    edges = [c for c in ax.collections if len(c.get_edgecolor())]
    station = [c for c in edges if np.allclose(c.get_edgecolor()[0][:3], _rgb(colour))]
    assert station, "station zone not drawn in the station colour"
    dash = station[0].get_linestyle()[0]
    assert dash[1] is not None  # schematic: dashed


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    return tuple(int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))


def test_accuracy_circle_is_drawn_in_metres(layerset):
    fig = exports.render_snapshot(layerset, dpi=72, extent="renewal.dazhigu", date=DAY)
    (ax,) = _find(fig, "map")
    widths = [
        path.get_extents().width for c in ax.collections for path in c.get_paths() if len(path)
    ]
    assert any(abs(w - 1200) < 10 for w in widths), widths  # accuracy_m 600 → 1200 m across


def test_scale_bar_length_is_round():
    assert furniture.nice_length(10_000) == 2000
    assert furniture.nice_length(4_000) == 500
    assert furniture.nice_length(26_000) == 5000
    assert furniture.scale_label(2000) == "2 km"
    assert furniture.scale_label(500) == "500 m"


def test_svg_holds_no_markup_from_the_data(layerset, tmp_path):
    """The project draws SVG text as glyph outlines (``svg.fonttype: path``), so a hostile name
    (the fixture's ``renewal.xss``, and here the title) can only reach the file as the escaped
    metadata title, never as markup or text elements."""
    for lang in ("zh", "en"):
        out = exports.export_snapshot(
            layerset, tmp_path / f"m_{lang}.svg", "svg", dpi=72, lang=lang, title=XSS
        )
        text = out.read_text(encoding="utf-8")
        assert "<img" not in text
        assert "<script" not in text
        root = ElementTree.fromstring(text)
        tags = {element.tag.rsplit("}", 1)[-1] for element in root.iter()}
        assert "text" not in tags  # names are outlines, not text a browser would parse
        assert not tags & {"script", "img", "foreignObject", "a"}
        attributes = {name.lower() for element in root.iter() for name in element.attrib}
        assert not [name for name in attributes if name.startswith("on")]
        titles = [element.text for element in root.iter() if element.tag.endswith("}title")]
        assert XSS in titles  # the metadata title, as text


def test_context_layer_is_drawn_and_sets_the_district(with_context):
    layerset = load_layers(with_context)
    fig = exports.render_snapshot(layerset, dpi=72, lang="zh", date=DAY)
    (legend,) = _find(fig, "legend")
    labels = [t.get_text() for t in legend.get_texts()]
    assert {"河东区界", "相邻区界", "海河", "参考点"} <= set(labels)
    (ax,) = _find(fig, "map")
    hedong = to_metric(layerset.features(["context"])).geometry.iloc[0]
    view = shapely.box(ax.get_xlim()[0], ax.get_ylim()[0], ax.get_xlim()[1], ax.get_ylim()[1])
    assert view.contains(hedong)
    assert view.area < 2 * hedong.area
    (listing,) = _find(fig, "feature_list")
    assert "和平区" not in listing.get_text()  # context is not a shown feature


def test_extents(layerset):
    located = to_metric(layerset.features()).set_index("id").geometry.dropna()
    district = shapely.box(*exports.resolve_extent(layerset, "district"))
    assert district.contains(shapely.union_all(located.values))
    for fid in ("station.zone.hedong", "park.quadrant.se", "renewal.dazhigu"):
        extent = shapely.box(*exports.resolve_extent(layerset, fid))
        assert extent.contains(located[fid])
        assert extent.area > 1.2 * located[fid].envelope.area  # padded
    bbox = exports.resolve_extent(layerset, "117.20,39.08,117.30,39.14")
    assert bbox[2] - bbox[0] == pytest.approx(8640, rel=0.02)  # 0.1° of longitude at 39.1°N


@pytest.mark.parametrize(
    ("extent", "message"),
    [
        ("116.0,39.0,117.3,39.2", r"\(116\.0, 39\.0, 117\.3, 39\.2\) is outside Tianjin"),
        ("117.3,39.1,117.2,39.2", "is empty"),
        ("117.2,39.1,117.3", "expected 'district', a feature id"),
        ("a,b,c,d", r"'a,b,c,d' is not four numbers"),
        ("unlocated.longtanlu", r"'unlocated.longtanlu' is unlocated"),
    ],
)
def test_bad_extent(layerset, tmp_path, extent, message):
    with pytest.raises(ExportError, match=message):
        exports.export_snapshot(layerset, tmp_path / "m.png", "png", extent=extent)
    assert list(tmp_path.iterdir()) == []


# --- failures leave nothing behind ------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda ls, d: exports.export_data(ls, d / "out.shp", "shp"),
            ExportError,
            "unknown format 'shp'",
        ),
        (lambda ls, d: exports.export_snapshot(ls, d / "out.jpg", "jpg"), ExportError, "'jpg'"),
        (
            lambda ls, d: exports.export_data(ls, d / "out.csv", "csv", layers=["nope"]),
            UnknownIdError,
            "unknown layer 'nope'",
        ),
        (
            lambda ls, d: exports.export_snapshot(ls, d / "out.png", "png", feature="no.such"),
            UnknownIdError,
            "no feature with id 'no.such'",
        ),
        (
            lambda ls, d: exports.export_snapshot(ls, d / "out.png", "png", paper="A5"),
            ExportError,
            "unknown paper 'A5'",
        ),
    ],
)
def test_bad_requests_write_nothing(layerset, tmp_path, call, error, message):
    with pytest.raises(error, match=message):
        call(layerset, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_is_a_clear_error(layerset, tmp_path):
    out = tmp_path / "missing" / "sel.csv"
    with pytest.raises(WriteError, match=r"folder '.*missing' does not exist"):
        exports.export_data(layerset, out, "csv")
    with pytest.raises(WriteError, match="is a folder"):
        exports.export_data(layerset, tmp_path, "csv")
    assert list(tmp_path.iterdir()) == []


def test_failure_mid_write_keeps_the_old_file(layerset, tmp_path, monkeypatch):
    out = tmp_path / "sel.gpkg"
    out.write_bytes(b"old")

    def broken(df, path, **kwargs):
        Path(path).write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(export_data_module.pyogrio, "write_dataframe", broken)
    with pytest.raises(WriteError, match="disk full"):
        exports.export_data(layerset, out, "gpkg", overwrite=True)
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["sel.gpkg"]


# --- command line -----------------------------------------------------------------------------


def test_cli_exports(small, tmp_path, capsys):
    out = tmp_path / "sel.csv"
    args = ["export", "--layers-dir", str(small), "--format", "csv", "--out", str(out)]
    assert main([*args, "--layers", "renewal,station_zone"]) == 0
    with out.open(encoding="utf-8-sig") as f:
        assert len(list(csv.DictReader(f))) == 3
    png = tmp_path / "zone.png"
    argv = ["export", "--layers-dir", str(small), "--format", "png", "--out", str(png)]
    argv += ["--feature", "station.zone.hedong", "--dpi", "50", "--lang", "en"]
    assert main(argv) == 0
    assert png.stat().st_size > 0
    assert str(png) in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--format", "gpkg", "--feature", "no.such"], "no feature with id 'no.such'"),
        (["--format", "png", "--extent", "120,30,121,31"], "outside Tianjin"),
        (["--format", "csv", "--layers", "nope"], "unknown layer 'nope'"),
    ],
)
def test_cli_errors(small, tmp_path, capsys, extra, message):
    out = tmp_path / f"out.{extra[1]}"
    assert main(["export", "--layers-dir", str(small), "--out", str(out), *extra]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_cli_without_layers(tmp_path, capsys):
    empty = tmp_path / "none"
    empty.mkdir()
    argv = ["export", "--layers-dir", str(empty), "--format", "csv", "--out", str(tmp_path / "x")]
    assert main(argv) == 2
    assert "no layer files in" in capsys.readouterr().err
