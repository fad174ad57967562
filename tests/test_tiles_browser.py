"""A tiled layer in a real browser (Debian's chromium): drawn from its tiles, and a click on a
parcel reaches HedongGeo's click and selection with that parcel's id. Waits poll; none sleeps."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import shapely
from conftest import open_session, serve_folder

from bench.parcels import make_parcels
from hedong_geo.assets import install_static
from hedong_geo.layers import LayerSet
from hedong_geo.webmap import build_map

pytestmark = pytest.mark.browser
pytest.importorskip("playwright.sync_api")

_TILES_DRAWN = """() => !!(window.HedongGeo && HedongGeo.map && HedongGeo.map._loaded
  && document.querySelectorAll('.leaflet-pane canvas.leaflet-tile-loaded').length > 0)"""


def test_a_tiled_parcel_is_drawn_and_clicked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, browser: Any
) -> None:
    monkeypatch.setenv("HEDONG_GEO_TILE_THRESHOLD", "100")
    monkeypatch.setenv("HEDONG_GEO_TILE_CACHE", str(tmp_path / "cache"))
    parcels = make_parcels(400, seed=7)
    layers = LayerSet(layers={"parcels": parcels})
    root = tmp_path / "site"
    install_static(root / "app" / "static")
    page_html = build_map(layers, lang="en", tile_base="/tiles").get_root().render()
    assert "HedongGeo.tiles(" in page_html and "gen.parcel.00000" not in page_html
    (root / "index.html").write_text(page_html, encoding="utf-8")
    shutil.copytree(tmp_path / "cache", root / "tiles")
    # A big parcel away from the district's edge: click inside its representative point.
    areas = shapely.area(parcels.geometry.values)  # degrees²: only to pick the largest
    target = parcels.iloc[int(areas.argmax())]
    point = target.geometry.representative_point()
    with serve_folder(root) as base, open_session(browser, 1000, 700) as seen:
        page = seen.page
        page.goto(f"{base}/index.html")
        page.wait_for_function(_TILES_DRAWN)
        page.evaluate("() => { window.got = []; HedongGeo.on('click', (id) => got.push(id)); }")
        page.evaluate(
            f"() => HedongGeo.map.setView([{point.y}, {point.x}], 17, {{animate: false}})"
        )
        xy = page.evaluate(
            f"""() => {{
              const p = HedongGeo.map.latLngToContainerPoint([{point.y}, {point.x}]);
              const r = HedongGeo.map.getContainer().getBoundingClientRect();
              return [r.left + p.x, r.top + p.y];
            }}"""
        )
        # The tile under the point is decoded once it is drawn: wait for it, then click.
        page.wait_for_function(
            f"() => !!HedongGeo.tiledAt(L.latLng({point.y}, {point.x}))", timeout=30_000
        )
        page.mouse.click(xy[0], xy[1])
        page.wait_for_function("() => window.got.length > 0")
        assert page.evaluate("() => window.got") == [target["id"]]
        # The selection path highlights it, as for any feature.
        assert page.evaluate(f"() => HedongGeo.select({target['id']!r})") is True
        assert page.locator(".leaflet-hdSelected-pane path").count() >= 1
        assert not seen.errors, seen.errors
        seen.assert_local()
