"""The on-disk cache of map pages (hedong_geo.pagecache via mapview.write_map_page).

Real layer files copied to a temporary folder, a real cache folder (HEDONG_GEO_PAGE_CACHE);
folium's build is replaced by one that raises to prove a page came from the cache.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hedong_geo import pagecache, projects, webmap
from hedong_geo.assets import served_url
from hedong_geo.layers import load_layers
from hedong_geo.mapview import write_map_page

TILES = "/component/hedong_geo.assets.vtiles"


def _write(layers, folder: Path, **kwargs) -> str:
    args = {"lang": "zh", "asset_base": served_url, "tile_base": TILES} | kwargs
    return write_map_page(layers, folder=folder, cache=True, **args)


def _no_build(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("the map was rendered again instead of read from the cache")

    monkeypatch.setattr(webmap, "build_map", refuse)


def _counting_build(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = webmap.build_map

    def build(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(webmap, "build_map", build)
    return calls


def test_a_second_build_is_read_from_the_cache(page_cache, layers_dir, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    first = _write(load_layers(layers_dir), out)
    assert [p.suffix for p in page_cache.iterdir()] == [".json"]
    _no_build(monkeypatch)
    # A fresh read of the same files (as a new process would make) gives the same page.
    again = _write(load_layers(layers_dir), out)
    assert again == first
    assert (out / first).read_text(encoding="utf-8").lstrip().startswith("<!DOCTYPE html>")


def test_the_cached_page_equals_a_fresh_render(page_cache, layers_dir, tmp_path):
    layers = load_layers(layers_dir)
    cached_out, fresh_out = tmp_path / "a", tmp_path / "b"
    cached_out.mkdir()
    fresh_out.mkdir()
    _write(layers, cached_out)
    cached = _write(layers, cached_out)  # read from the cache
    fresh = write_map_page(
        layers, lang="zh", asset_base=served_url, tile_base=TILES, folder=fresh_out, cache=False
    )
    assert (cached_out / cached).read_bytes() == (fresh_out / fresh).read_bytes()


def test_changing_a_layer_file_gives_a_new_entry(page_cache, layers_dir, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    before = _write(load_layers(layers_dir), out)
    path = layers_dir / "science.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["features"][0]["properties"]["name_en"] += " (renamed)"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    calls = _counting_build(monkeypatch)
    after = _write(load_layers(layers_dir), out)
    assert calls == [1]
    assert after != before
    assert len(list(page_cache.iterdir())) == 2
    assert "(renamed)" in (out / after).read_text(encoding="utf-8")


def test_same_content_new_mtime_is_still_a_hit(page_cache, layers_dir, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    first = _write(load_layers(layers_dir), out)
    path = layers_dir / "science.geojson"
    path.write_bytes(path.read_bytes())  # a new mtime, the same content
    _no_build(monkeypatch)
    assert _write(load_layers(layers_dir), out) == first


def test_language_filters_visible_basemap_and_bases_change_the_key(page_cache, layers_dir):
    layers = load_layers(layers_dir)
    base = {
        "visible": None,
        "lang": "zh",
        "basemap": "none",
        "asset_base": served_url,
        "tile_base": TILES,
    }
    filtered = projects.filter_layers(layers, projects.Filters(statuses=("planned",)))
    keys = {
        pagecache.page_key(layers, **base),
        pagecache.page_key(layers, **(base | {"lang": "en"})),
        pagecache.page_key(filtered, **base),
        pagecache.page_key(layers, **(base | {"visible": ("science",)})),
        pagecache.page_key(layers, **(base | {"basemap": "osm"})),
        pagecache.page_key(layers, **(base | {"asset_base": "/static"})),
        pagecache.page_key(layers, **(base | {"tile_base": "/other/tiles"})),
    }
    assert len(keys) == 7 and None not in keys
    assert pagecache.page_key(layers, **base) == pagecache.page_key(load_layers(layers_dir), **base)


def test_a_function_without_a_name_is_not_cached(page_cache, layers_dir):
    layers = load_layers(layers_dir)
    key = pagecache.page_key(
        layers, visible=None, lang="zh", basemap="none", asset_base=lambda r: r, tile_base=None
    )
    assert key is None


def test_a_changed_code_file_changes_the_key(page_cache, layers_dir, tmp_path, monkeypatch):
    code = tmp_path / "code"
    shutil.copytree(Path(pagecache.__file__).parent / "templates", code / "templates")
    (code / "mod.py").write_text("X = 1\n", encoding="utf-8")
    monkeypatch.setattr(pagecache, "_PACKAGE", code)
    layers = load_layers(layers_dir)
    args = {"visible": None, "lang": "zh", "basemap": "none", "asset_base": "/s", "tile_base": None}
    pagecache._code_files_digest.cache_clear()
    try:
        before = pagecache.page_key(layers, **args)
        (code / "mod.py").write_text("X = 2\n", encoding="utf-8")
        assert pagecache.page_key(layers, **args) == before  # computed once per process
        pagecache._code_files_digest.cache_clear()
        after = pagecache.page_key(layers, **args)
        (code / "__pycache__").mkdir()
        (code / "__pycache__" / "mod.cpython.pyc").write_bytes(b"\0")
        pagecache._code_files_digest.cache_clear()
        assert pagecache.page_key(layers, **args) == after  # compiled files play no part
    finally:
        pagecache._code_files_digest.cache_clear()
    assert after != before


def test_a_settings_change_changes_the_key(page_cache, layers_dir, monkeypatch):
    layers = load_layers(layers_dir)
    args = {"visible": None, "lang": "zh", "basemap": "none", "asset_base": "/s", "tile_base": None}
    before = pagecache.page_key(layers, **args)
    monkeypatch.setenv("HEDONG_GEO_TILE_THRESHOLD", "5")
    assert pagecache.page_key(layers, **args) != before


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),  # truncated
        lambda p: p.write_bytes(b"\xff\xfe not json \x00"),  # not UTF-8, not JSON
        lambda p: p.write_text("[1, 2]", encoding="utf-8"),  # JSON, not an entry
        lambda p: p.write_text(
            json.dumps(json.loads(p.read_text("utf-8")) | {"page": "<p>other</p>"}), "utf-8"
        ),  # the page does not match its hash
        lambda p: (p.unlink(), p.mkdir()),  # unreadable: a folder where the file was
    ],
    ids=["truncated", "garbage", "wrong-json", "wrong-hash", "unreadable"],
)
def test_a_damaged_entry_is_rebuilt(page_cache, layers_dir, tmp_path, monkeypatch, damage):
    out = tmp_path / "out"
    out.mkdir()
    layers = load_layers(layers_dir)
    first = _write(layers, out)
    (entry,) = page_cache.iterdir()
    damage(entry)
    calls = _counting_build(monkeypatch)
    assert _write(layers, out) == first
    assert calls == [1]
    if entry.is_file():  # written again, whole: the next build is a hit
        _no_build(monkeypatch)
        assert _write(layers, out) == first


def test_an_unwritable_cache_still_gives_the_page(tmp_path, layers_dir, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("HEDONG_GEO_PAGE_CACHE", str(blocker / "pages"))
    out = tmp_path / "out"
    out.mkdir()
    assert (out / _write(load_layers(layers_dir), out)).is_file()


def test_a_page_whose_tiles_are_gone_is_not_used(page_cache, tmp_path, monkeypatch):
    tile_cache = tmp_path / "tiles"
    monkeypatch.setenv("HEDONG_GEO_TILE_CACHE", str(tile_cache))
    page = f'<script>x({{"url":"{TILES}/parcels-0123abcd/{{z}}/{{x}}/{{y}}.pbf"}})</script>'
    pagecache.write_page("k1", page, TILES)
    assert pagecache.read_page("k1") is None  # the tiles were never cut here
    (tile_cache / "parcels-0123abcd").mkdir(parents=True)
    (tile_cache / "parcels-0123abcd" / "meta.json").write_text("{}", encoding="utf-8")
    assert pagecache.read_page("k1") == page


def test_the_app_writes_to_the_pages_folder_with_the_cache_by_default(page_cache, layers_dir):
    url = write_map_page(load_layers(layers_dir), asset_base=served_url, tile_base=TILES)
    assert url.startswith("/component/hedong_geo.assets.pages/map-zh-")
    assert len(list(page_cache.iterdir())) == 1
