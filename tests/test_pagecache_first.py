"""A fresh process's first map, found in the page cache before the layers are read
(hedong_geo.pagecache.first_key / read_first, mapview.cached_first_map, app.first_map).

Real layer files copied to a temporary folder, a real cache folder; the app itself run in fresh
interpreters (Streamlit's AppTest) to see what it has imported when it sends the map.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from conftest import edit_feature, wait_until

from hedong_geo import pagecache
from hedong_geo.assets import served_url
from hedong_geo.layers import load_layers
from hedong_geo.links import AppLinks
from hedong_geo.mapview import (
    MapArgs,
    cached_first_map,
    keep_first_map,
    start_panel_data,
    write_map_page,
)

ROOT = Path(__file__).resolve().parent.parent
TILES = "/component/hedong_geo.assets.vtiles"
PICKS = (("categories", ()), ("statuses", ()), ("docs", ()), ("bases", ()))
ARGS = {"visible": None, "lang": "zh", "basemap": "none", "asset_base": served_url}

# The app's first run in a fresh interpreter: whether pandas was imported when the map was
# sent, and the map page's URL it was given.
PROBE = """
import json, sys
from streamlit.testing.v1 import AppTest
import hedong_geo.ui_map as ui_map
seen = []
real = ui_map.map_component
def spy(**kwargs):
    seen.append({"pandas": "pandas" in sys.modules, "page": kwargs["page"]})
    return real(**kwargs)
ui_map.map_component = spy
at = AppTest.from_file(sys.argv[1], default_timeout=120)
at.run()
print(json.dumps({"seen": seen, "errors": [e.message for e in at.exception]}))
"""


def _first(layers_dir: Path) -> tuple[str, str] | None:
    links = AppLinks("zh")
    return cached_first_map(
        layers_dir, MapArgs(filters=PICKS, tile_base=TILES, links=links, **ARGS)
    )


def _keep(layers_dir: Path) -> None:
    """What the app does once it has made a map's files: the page, the panels, the note."""
    layers = load_layers(layers_dir)
    links = AppLinks("zh")
    write_map_page(layers, tile_base=TILES, **ARGS)
    panels = start_panel_data(layers, layers, "zh", links, key=uuid.uuid4().hex)  # written anew
    args = MapArgs(filters=PICKS, tile_base=TILES, links=links, **ARGS)
    keep_first_map(layers_dir, layers, layers, args)
    key = pagecache.panels_key(layers, layers, "zh", links)
    wait_until(lambda: pagecache.read_panels(key) is not None, panels, timeout=120)


def test_first_map_is_found_by_the_files_content(page_cache: Path, layers_dir: Path) -> None:
    assert _first(layers_dir) is None  # nothing kept yet
    _keep(layers_dir)
    page, panels = _first(layers_dir)
    assert page.endswith(".html") and panels.endswith(".json")
    for layer_file in layers_dir.glob("*.geojson"):  # touched, not changed: still found
        os.utime(layer_file)
    assert _first(layers_dir) == (page, panels)
    edit_feature(layers_dir / "jinmao_quadrants.geojson", "park.quadrant.se", name_en="Changed")
    assert _first(layers_dir) is None  # other content: another first map
    links = AppLinks("zh")
    other = dict(ARGS, lang="en")
    assert (
        cached_first_map(layers_dir, MapArgs(filters=PICKS, tile_base=TILES, links=links, **other))
        is None
    )


def test_first_map_needs_both_entries(page_cache: Path, layers_dir: Path) -> None:
    _keep(layers_dir)
    for entry in page_cache.glob("panels-*.json"):
        entry.unlink()
    assert _first(layers_dir) is None
    _keep(layers_dir)
    entry = next(page_cache.glob("first-*.json"))
    entry.write_text(entry.read_text("utf-8")[:-5], "utf-8")  # damaged: ignored
    assert _first(layers_dir) is None


def test_app_sends_its_first_map_before_pandas(page_cache: Path) -> None:
    env = {**os.environ, "HEDONG_GEO_PAGE_CACHE": str(page_cache), "PYTHONPATH": str(ROOT)}
    env.pop("HEDONG_GEO_LAYERS_DIR", None)

    def first_run() -> dict:
        cmd = [sys.executable, "-c", PROBE, str(ROOT / "app.py")]
        out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    cold = first_run()  # an empty cache: the map is made, after the layers are read
    assert not cold["errors"] and len(cold["seen"]) == 1 and cold["seen"][0]["pandas"]
    assert next(page_cache.glob("first-*.json"), None) is not None
    warm = first_run()  # a fresh process: the map is sent before pandas is imported
    assert not warm["errors"] and len(warm["seen"]) == 1, warm
    assert not warm["seen"][0]["pandas"]
    assert warm["seen"][0]["page"] == cold["seen"][0]["page"]  # the same page, byte for byte
