"""Tile sources as data (hedong_geo.tilesources, basemaps, localtiles): the catalogue, a bureau's
own file, local .mbtiles/.pmtiles unpacked for serving, and clear errors for bad sources.

The local tile files are made here, by :func:`make_tiles` (Pillow draws each tile, sqlite3 and
the pmtiles writer store them): no binary fixture is committed.
"""

from __future__ import annotations

import io
import json
import math
import re
import sqlite3
from pathlib import Path

import pytest
import yaml
from test_webmap import _features, _html

from hedong_geo import assets, basemaps, localtiles, tilesources
from hedong_geo.layers import load_layers
from hedong_geo.settings import SettingsError, from_environ
from hedong_geo.tilesources import TileSourceError, catalogue, load_file
from hedong_geo.webmap import build_map

#: The fixture tiles cover central Hedong (west, south, east, north) at these zooms.
TILE_BOUNDS = (117.15, 39.05, 117.35, 39.20)
TILE_ZOOMS = range(10, 15)
#: Their colour: a lavender no style of the map uses, found again in the browser.
TILE_RGB = (236, 214, 250)


def tile_range(z: int, bounds=TILE_BOUNDS) -> tuple[range, range]:
    """The XYZ columns and rows of zoom ``z`` that cover ``bounds``."""
    west, south, east, north = bounds

    def col(lon: float) -> int:
        return int((lon + 180) / 360 * 2**z)

    def row(lat: float) -> int:
        r = math.radians(lat)
        return int((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * 2**z)

    return range(col(west), col(east) + 1), range(row(north), row(south) + 1)


def tile_png(z: int, x: int, y: int) -> bytes:
    """One tile: :data:`TILE_RGB` with a darker frame and its ``z/x/y`` written in it."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (256, 256), TILE_RGB)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, 255, 255], outline=(120, 60, 160), width=2)
    draw.text((12, 12), f"{z}/{x}/{y}", fill=(120, 60, 160))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def all_tiles() -> list[tuple[int, int, int]]:
    return [(z, x, y) for z in TILE_ZOOMS for x in tile_range(z)[0] for y in tile_range(z)[1]]


def make_mbtiles(path: Path, fmt: str = "png") -> Path:
    """An MBTiles file of the fixture tiles (rows counted from the south, as MBTiles does)."""
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE metadata (name text, value text);"
        "CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer,"
        " tile_data blob);"
    )
    meta = {"name": "fixture", "format": fmt, "bounds": ",".join(map(str, TILE_BOUNDS))}
    meta["attribution"] = "test tiles"
    db.executemany("INSERT INTO metadata VALUES (?, ?)", meta.items())
    rows = [(z, x, (1 << z) - 1 - y, tile_png(z, x, y)) for z, x, y in all_tiles()]
    db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", rows)
    db.commit()
    db.close()
    return path


def make_pmtiles(path: Path) -> Path:
    """A PMTiles (v3) archive of the same tiles."""
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import Writer

    west, south, east, north = TILE_BOUNDS
    with open(path, "wb") as f:
        writer = Writer(f)
        for tid, (z, x, y) in sorted((zxy_to_tileid(*t), t) for t in all_tiles()):
            writer.write_tile(tid, tile_png(z, x, y))
        header = {
            "tile_type": TileType.PNG,
            "tile_compression": Compression.NONE,
            "min_lon_e7": int(west * 1e7),
            "min_lat_e7": int(south * 1e7),
            "max_lon_e7": int(east * 1e7),
            "max_lat_e7": int(north * 1e7),
            "center_zoom": 12,
            "center_lon_e7": int((west + east) / 2 * 1e7),
            "center_lat_e7": int((south + north) / 2 * 1e7),
        }
        writer.finalize(header, {"attribution": "test tiles"})
    return path


def write_sources(folder: Path, sources: dict, name: str = "sources.yaml") -> Path:
    path = folder / name
    text = yaml.safe_dump({"sources": sources}, allow_unicode=True)
    path.write_text(text if name.endswith((".yaml", ".yml")) else json.dumps({"sources": sources}))
    return path


def bureau(kind: str = "mbtiles", **more) -> dict:
    entry = {
        "name": {"zh": "区局底图", "en": "Bureau basemap"},
        "kind": kind,
        "crs": "cgcs2000",
        "attribution": "© 河东区规划和自然资源局",
    }
    return {**entry, **more}


@pytest.fixture
def small(data_dir: Path):
    return load_layers(data_dir / "layers_small")


@pytest.fixture
def tile_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A bureau's sources file with a local .mbtiles, and a tile cache, in the environment."""
    make_mbtiles(tmp_path / "hedong.mbtiles")
    sources = write_sources(tmp_path, {"bureau": bureau(path="hedong.mbtiles")})
    monkeypatch.setenv("HEDONG_GEO_TILE_SOURCES", str(sources))
    monkeypatch.setenv("HEDONG_GEO_TILE_CACHE", str(tmp_path / "cache"))
    return tmp_path


# --- the catalogue --------------------------------------------------------------------------------


def test_the_package_catalogue() -> None:
    sources = tilesources.builtin()
    assert list(sources) == ["osm", "gaode", "tianditu"]
    assert sources["osm"].template == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert sources["gaode"].shifted and not sources["tianditu"].shifted
    tianditu = sources["tianditu"]
    assert tianditu.crs == "cgcs2000"  # within a metre of WGS84: drawn as it is
    assert "TILEMATRIXSET=w&" in tianditu.template and "tk={key}" in tianditu.template
    assert "LAYER=cva&" in tianditu.labels.template
    assert basemaps.BASEMAPS == ("none", "osm", "gaode", "tianditu")


def test_a_bureau_file_of_xyz_and_wmts(tmp_path: Path) -> None:
    path = write_sources(
        tmp_path,
        {
            "intranet": bureau(
                "xyz", url="http://10.1.2.3/tiles/{z}/{x}/{-y}.png", tms=True, max_zoom=18
            ),
            "kvp": bureau(
                "wmts",
                url="http://gis.local/geoserver/gwc/service/wmts",
                layer="hedong:base",
                tile_matrix_set="EPSG:900913",
                tile_matrix="EPSG:900913:{z}",
                format="image/png",
            ),
            "rest": bureau(
                "wmts",
                encoding="rest",
                url="https://gis.local/wmts/{Layer}/{Style}/{TileMatrixSet}/{TileMatrix}/"
                "{TileRow}/{TileCol}.png",
                layer="base",
                tile_matrix_set="GoogleMapsCompatible",
                crs="gcj02",
            ),
        },
    )
    sources = load_file(path)
    assert sources["intranet"].tms and sources["intranet"].max_zoom == 18
    assert sources["kvp"].template == (
        "http://gis.local/geoserver/gwc/service/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
        "&LAYER=hedong:base&STYLE=default&TILEMATRIXSET=EPSG:900913&FORMAT=image%2Fpng"
        "&TILEMATRIX=EPSG:900913:{z}&TILEROW={y}&TILECOL={x}"
    )
    assert sources["rest"].template == (
        "https://gis.local/wmts/base/default/GoogleMapsCompatible/{z}/{y}/{x}.png"
    )
    assert sources["rest"].shifted
    # JSON works as YAML does; a source of the file draws with its own name.
    assert (
        load_file(
            write_sources(tmp_path, {"x": bureau("xyz", url="http://h/{z}/{x}/{y}")}, "s.json")
        )["x"].template
        == "http://h/{z}/{x}/{y}"
    )


def _bad(tmp_path: Path, entry: dict | str, sid: str = "bad") -> str:
    if isinstance(entry, str):
        path = tmp_path / "sources.yaml"
        path.write_text(entry, encoding="utf-8")
    else:
        path = write_sources(tmp_path, {sid: entry})
    with pytest.raises(TileSourceError) as caught:
        catalogue(path)
    message = str(caught.value)
    assert str(path) in message  # every error names the file
    return message


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (bureau("tiles", url="http://h/{z}/{x}/{y}"), r"bad\.kind is 'tiles'; expected one of"),
        (bureau("xyz", url="http://h/{z}/{x}/{y}", crs="bd09"), r"bad\.crs is 'bd09'.*Baidu"),
        (bureau("xyz", url="http://h/{z}/{x}.png"), r"source 'bad': .*lacks .*\{y\}"),
        (bureau("xyz", url="http://h/{z}/{x}/{y}/{q}"), r"unknown placeholder\(s\) \['q'\]"),
        (bureau("xyz", url="ftp://h/{z}/{x}/{y}"), "expected an http:// or https:// address"),
        (bureau("xyz", url="http://h/{z}/{x}/{y}", layer="a"), "are WMTS fields"),
        (bureau("wmts", url="http://h/wmts"), r"needs \['layer', 'tile_matrix_set'\]"),
        (
            bureau("wmts", url="http://h/wmts", layer="vec", tile_matrix_set="c"),
            "a grid in degrees; the map draws Web Mercator",
        ),
        (
            bureau(
                "wmts",
                encoding="rest",
                url="http://h/{TileMatrix}/{TileCol}.png",
                layer="a",
                tile_matrix_set="w",
            ),
            r"lacks .*\{TileRow\}",
        ),
        (bureau("mbtiles"), "needs 'path'"),
        (bureau("mbtiles", path="nowhere.mbtiles"), "nowhere.mbtiles: no such file"),
        (bureau("pmtiles", path="x.mbtiles"), r"does not end in \.pmtiles"),
        (bureau("xyz", url="http://h/{z}/{x}/{y}", min_zoom=15, max_zoom=12), "min_zoom 15"),
        (
            {"kind": "xyz", "url": "http://h/{z}/{x}/{y}", "crs": "wgs84", "attribution": "a"},
            "property 'name' is missing",
        ),
        (bureau("xyz", url="http://h/{z}/{x}/{y}", colour="red"), "unknown key 'colour'"),
        ("sources:\n  bad: [unclosed\n", "cannot be read"),
    ],
)
def test_a_bad_source_is_a_clear_error(tmp_path: Path, entry, expected: str) -> None:
    assert re.search(expected, _bad(tmp_path, entry), re.S)


def test_local_files_that_cannot_be_drawn(tmp_path: Path) -> None:
    make_mbtiles(tmp_path / "vector.mbtiles", fmt="pbf")
    message = _bad(tmp_path, bureau(path="vector.mbtiles"))
    assert "source 'bad'" in message and "tile format is 'pbf'" in message
    (tmp_path / "text.mbtiles").write_text("not a database")
    assert "not an MBTiles file" in _bad(tmp_path, bureau(path="text.mbtiles"))
    (tmp_path / "text.pmtiles").write_text("not an archive")
    assert "not a PMTiles" in _bad(tmp_path, bureau("pmtiles", path="text.pmtiles"))


def test_a_bureau_source_may_not_take_a_builtin_id(tmp_path: Path) -> None:
    message = _bad(tmp_path, bureau("xyz", url="http://h/{z}/{x}/{y}"), sid="osm")
    assert "source 'osm': is the id of a built-in source" in message


# --- settings -------------------------------------------------------------------------------------


def test_settings_offer_the_bureau_sources(tmp_path: Path) -> None:
    make_mbtiles(tmp_path / "hedong.mbtiles")
    path = write_sources(tmp_path, {"bureau": bureau(path="hedong.mbtiles")})
    s = from_environ({"HEDONG_GEO_TILE_SOURCES": str(path)})
    assert s.tile_sources == path and s.basemaps == ("bureau", "osm", "gaode")
    s = from_environ({"HEDONG_GEO_TILE_SOURCES": str(path), "HEDONG_GEO_BASEMAPS": "bureau"})
    assert s.basemaps == ("bureau",)
    with pytest.raises(SettingsError, match=r"unknown basemap\(s\) \['bureau'\]"):
        from_environ({"HEDONG_GEO_BASEMAPS": "bureau"})


def test_a_bad_sources_file_is_a_settings_error(tmp_path: Path) -> None:
    path = write_sources(tmp_path, {"bad": bureau("xyz", url="http://h/{z}/{x}")})
    with pytest.raises(SettingsError) as caught:
        from_environ({"HEDONG_GEO_TILE_SOURCES": str(path)})
    message = str(caught.value)
    assert message.startswith(f"HEDONG_GEO_TILE_SOURCES={str(path)!r}: {path}: source 'bad'")
    assert "lacks the placeholder(s) ['{y}']" in message
    with pytest.raises(SettingsError, match="no such file"):
        from_environ({"HEDONG_GEO_TILE_SOURCES": str(tmp_path / "missing.yaml")})


# --- local files ----------------------------------------------------------------------------------


def _folder_tiles(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.png"))}


def test_local_files_are_unpacked_once_as_xyz(tmp_path: Path) -> None:
    mb = make_mbtiles(tmp_path / "a.mbtiles")
    pm = make_pmtiles(tmp_path / "a.pmtiles")
    info = localtiles.inspect(mb, "mbtiles")
    assert (info.ext, info.min_zoom, info.max_zoom) == ("png", 10, 14)
    assert info.bounds == TILE_BOUNDS and info.attribution == "test tiles"
    folder = localtiles.extract(info, tmp_path / "cache")
    tiles = _folder_tiles(folder)
    assert len(tiles) == len(all_tiles())
    z, x, y = all_tiles()[0]
    assert tiles[f"{z}/{x}/{y}.png"] == tile_png(z, x, y)  # rows flipped from MBTiles' TMS
    stamp = (folder / f"{z}/{x}/{y}.png").stat().st_mtime_ns
    assert localtiles.extract(info, tmp_path / "cache") == folder  # once
    assert (folder / f"{z}/{x}/{y}.png").stat().st_mtime_ns == stamp
    pm_info = localtiles.inspect(pm, "pmtiles")
    assert (pm_info.min_zoom, pm_info.max_zoom) == (10, 14)
    assert pm_info.bounds == pytest.approx(TILE_BOUNDS)
    assert _folder_tiles(localtiles.extract(pm_info, tmp_path / "cache")) == tiles


def test_a_changed_file_is_unpacked_again(tmp_path: Path) -> None:
    mb = make_mbtiles(tmp_path / "a.mbtiles")
    first = localtiles.extract(localtiles.inspect(mb, "mbtiles"), tmp_path / "cache")
    mb.unlink()
    make_mbtiles(mb)
    db = sqlite3.connect(mb)
    db.execute("DELETE FROM tiles WHERE zoom_level = 14")
    db.commit()
    db.close()
    second = localtiles.extract(localtiles.inspect(mb, "mbtiles"), tmp_path / "cache")
    assert second != first and not list(second.glob("14"))


# --- on the map -----------------------------------------------------------------------------------


def test_a_local_source_on_the_map(small, tile_env: Path) -> None:
    assert basemaps.label("bureau", "en") == "Bureau basemap"
    assert basemaps.label("gaode", "zh") == "高德地图（GCJ-02）"
    html = _html(build_map(small, basemap="bureau", lang="en"))
    assert "/app/static/tiles/bureau/{z}/{x}/{y}.png" in html
    assert json.dumps("© 河东区规划和自然资源局")[1:-1] in html  # plain text, escaped
    assert "/app/static/hedong/tilesources.js" in html
    assert '"maxNativeZoom": 14' in html and '"minZoom": 10' in html
    # Leaflet asks for no tile outside the file's bounds (each one would count as failed).
    assert re.search(r'"bounds": \[\s*\[\s*39\.05,\s*117\.15,\s*\],\s*\[\s*39\.2,', html)
    # In the app the folder is a Streamlit component of its own.
    assert assets.served_url("tiles/bureau/") == "/component/hedong_geo.assets.tiles_bureau/"
    html = _html(build_map(small, basemap="bureau", asset_base=assets.served_url))
    assert "/component/hedong_geo.assets.tiles_bureau/{z}/{x}/{y}.png" in html
    installed = basemaps.install_tiles(tile_env / "static")
    assert installed == [tile_env / "static" / "tiles" / "bureau"]
    assert len(list(installed[0].rglob("*.png"))) == len(all_tiles())


def test_a_gcj02_bureau_source_shifts_the_data(small, tmp_path, monkeypatch) -> None:
    url = "http://10.0.0.1/{z}/{x}/{y}.png"
    path = write_sources(tmp_path, {"amap_local": bureau("xyz", url=url, crs="gcj02")})
    monkeypatch.setenv("HEDONG_GEO_TILE_SOURCES", str(path))
    gaode = _features(_html(build_map(small, basemap="gaode")))
    mine = _features(_html(build_map(small, basemap="amap_local")))
    assert mine == gaode
    assert basemaps.shifted("amap_local") and not basemaps.shifted("osm")


def test_the_failure_message_is_in_both_languages(small) -> None:
    for lang, words in (("zh", "的瓦片无法加载"), ("en", "could not be loaded")):
        html = _html(build_map(small, basemap="osm", lang=lang))
        assert json.dumps(words, ensure_ascii=False)[1:-1] in html
    assert "HedongTiles.watch" not in _html(build_map(small))  # offline: nothing to watch


def test_the_bureau_guide_example_loads(tmp_path: Path) -> None:
    """docs/basemaps.md's example file is valid, and its table names every field there is."""
    doc = (Path(__file__).resolve().parent.parent / "docs" / "basemaps.md").read_text("utf-8")
    example = re.search(r"```yaml\n(.*?)```", doc, re.S).group(1)
    (tmp_path / "tiles").mkdir()
    make_mbtiles(tmp_path / "tiles" / "hedong.mbtiles")
    (tmp_path / "tilesources.yaml").write_text(example, encoding="utf-8")
    sources = load_file(tmp_path / "tilesources.yaml")
    assert list(sources) == ["bureau_vec", "bureau_wmts", "bureau_rest", "hedong_file"]
    assert sources["bureau_rest"].shifted and sources["hedong_file"].local
    fields = json.loads(
        (Path(tilesources.__file__).parent / "schema" / "tilesources.schema.json").read_text(
            "utf-8"
        )
    )["$defs"]["source"]["properties"]
    missing = [f for f in fields if f"`{f}`" not in doc and f != "key"]  # key: built-in only
    assert missing == []
