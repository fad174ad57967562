"""A tiled layer in a real browser (Debian's chromium): drawn from its tiles (in a Web Worker)
below, within and above the zooms the tiles were cut for, and a real mouse click on a parcel
opens that parcel's panel in the published site. Waits poll; none sleeps."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import numpy as np
import pytest
import shapely
from conftest import open_session, serve_folder

from bench.parcels import make_parcels
from hedong_geo import tiles
from hedong_geo.exports import publish_site
from hedong_geo.layers import LayerSet

pytestmark = pytest.mark.browser
pytest.importorskip("playwright.sync_api")

_SETTLED = """() => !!(window.HedongGeo && HedongGeo.map && HedongGeo.map._loaded
  && HedongGeo.tilesLoading && !HedongGeo.tilesLoading() && !HedongGeo.map._animatingZoom
  && document.querySelectorAll('.leaflet-hdTiled-pane canvas.leaflet-tile-loaded').length > 0)"""
# How many of the tiled pane's map tiles have drawn pixels (each copied onto a 2D canvas).
_INKED = """() => [...document.querySelectorAll('.leaflet-hdTiled-pane canvas.leaflet-tile-loaded')]
  .filter((tile) => { const c = document.createElement('canvas'); c.width = c.height = 64;
    const ctx = c.getContext('2d'); ctx.drawImage(tile, 0, 0, 64, 64);
    return ctx.getImageData(0, 0, 64, 64).data.some((v, i) => i % 4 === 3 && v > 0); }).length"""


@pytest.fixture(scope="module")
def parcels():
    return make_parcels(400, seed=7)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parcels) -> Path:
    """A published site whose only layer, the parcels, is drawn as vector tiles."""
    monkeypatch.setenv("HEDONG_GEO_TILE_THRESHOLD", "100")
    monkeypatch.setenv("HEDONG_GEO_TILE_CACHE", str(tmp_path / "cache"))
    out = publish_site(LayerSet(layers={"parcels": parcels}), tmp_path / "site", lang="en")
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "HedongGeo.tiles(" in index and "gen.parcel.00000" not in index
    return out


def _view(page: Any, lat: float, lng: float, zoom: int) -> None:
    page.evaluate(f"() => {{ HedongGeo.map.setView([{lat}, {lng}], {zoom}, {{animate: false}}); }}")
    page.wait_for_function(f"() => HedongGeo.map.getZoom() === {zoom}")
    page.wait_for_function(_SETTLED)


def test_tiles_draw_below_within_and_above_their_zooms(site: Path, browser: Any, parcels) -> None:
    centre = shapely.union_all(parcels.geometry.values).representative_point()
    with serve_folder(site) as base, open_session(browser, 1000, 700) as seen:
        page = seen.page
        page.goto(f"{base}/index.html")
        page.wait_for_function(_SETTLED)
        assert page.evaluate("() => HedongGeo.tilesInWorker") is True, "drawn off the main thread"
        for zoom in (tiles.MIN_ZOOM - 1, tiles.MIN_ZOOM, 14, tiles.MAX_ZOOM, tiles.MAX_ZOOM + 2):
            _view(page, centre.y, centre.x, zoom)
            assert page.evaluate(_INKED) > 0, f"zoom {zoom}: some map tile has the parcels drawn"
        stats = page.evaluate("() => HedongGeo.tileStats()")
        assert stats["tiles"] > 0 and stats["maps"] > 0
        assert not seen.errors, seen.errors
        seen.assert_local()


@pytest.mark.parametrize("zoom", [13, 17])
def test_a_click_on_a_tiled_parcel_opens_its_panel(
    site: Path, browser: Any, parcels, zoom: int
) -> None:
    # A big parcel away from the district's edge: click at its representative point.
    areas = shapely.area(parcels.geometry.values)  # degrees²: only to pick the largest
    target = parcels.iloc[int(areas.argmax())]
    point = target.geometry.representative_point()
    with serve_folder(site) as base, open_session(browser, 1000, 700) as seen:
        page = seen.page
        page.goto(f"{base}/index.html")
        page.wait_for_function(_SETTLED)
        page.evaluate("() => { window.got = []; HedongGeo.on('click', (id) => got.push(id)); }")
        _view(page, point.y, point.x, zoom)
        xy = page.evaluate(
            f"""() => {{
              const p = HedongGeo.map.latLngToContainerPoint([{point.y}, {point.x}]);
              const r = HedongGeo.map.getContainer().getBoundingClientRect();
              return [r.left + p.x, r.top + p.y];
            }}"""
        )
        page.mouse.click(xy[0], xy[1])
        page.wait_for_function("() => window.got.length > 0")
        assert page.evaluate("() => window.got") == [target["id"]]
        # The site's panel shows the parcel: its names, from the tile.
        detail = page.locator(f"#hd-detail[data-feature='{target['id']}']")
        detail.wait_for()
        assert target["name_en"] in detail.inner_text()
        # The selection highlights it, as for any feature.
        page.wait_for_function(
            "() => document.querySelectorAll('.leaflet-hdSelected-pane path').length > 0"
        )
        assert not seen.errors, seen.errors
        seen.assert_local()


# The alpha of the tiled pane's pixel at client point (x, y): the map tile there, copied onto
# a 2D canvas (-1 when no drawn map tile is there).
_ALPHA_AT = """([x, y]) => { for (const tile of document.querySelectorAll(
    '.leaflet-hdTiled-pane canvas.leaflet-tile-loaded')) {
    const r = tile.getBoundingClientRect();
    if (x < r.left || x >= r.right || y < r.top || y >= r.bottom) continue;
    const c = document.createElement('canvas'); c.width = tile.width; c.height = tile.height;
    const ctx = c.getContext('2d'); ctx.drawImage(tile, 0, 0);
    const px = Math.floor((x - r.left) * tile.width / r.width);
    const py = Math.floor((y - r.top) * tile.height / r.height);
    return ctx.getImageData(px, py, 1, 1).data[3]; }
  return -1; }"""


def _client_xy(page: Any, lat: float, lng: float) -> list[float]:
    return page.evaluate(
        f"""() => {{
          const p = HedongGeo.map.latLngToContainerPoint([{lat}, {lng}]);
          const r = HedongGeo.map.getContainer().getBoundingClientRect();
          return [r.left + p.x, r.top + p.y];
        }}"""
    )


def test_a_small_parcel_drawn_in_the_coverage_is_still_clicked(
    site: Path, browser: Any, parcels, tmp_path: Path
) -> None:
    """At MIN_ZOOM a parcel a few pixels across is not in its tile one by one but in the
    dissolved coverage shape: the map is inked where it lies, and a click there still opens that
    parcel (the click is hit-tested against the MAX_ZOOM tile, which has every parcel)."""
    zoom = tiles.MIN_ZOOM
    px_deg = 360 / (256 * 2**zoom)  # a pixel at zoom, in degrees of longitude
    geoms = parcels.geometry.values
    west, south, east, north = shapely.bounds(geoms).T
    merc = lambda lat: np.arcsinh(np.tan(np.radians(lat))) / (2 * np.pi)  # noqa: E731
    across = np.maximum((east - west) / px_deg, (merc(north) - merc(south)) * 256 * 2**zoom)
    small = across < tiles.COVERAGE_PX
    assert small.any(), "the generated parcels include some drawn in the coverage at MIN_ZOOM"
    # Of those, the one with the widest inside: the click lands inside it despite rounding.
    circles = shapely.maximum_inscribed_circle(geoms[small])
    best = int(shapely.length(circles).argmax())
    target = parcels[small].iloc[best]
    point = shapely.get_point(circles[best], 0)
    assert shapely.length(circles[best]) > px_deg, "a pixel lies well inside it"
    # Its tile at MIN_ZOOM has it only in the coverage layer, not one by one.
    ts = tiles.ensure_tiles(parcels, "parcels", tmp_path / "cache")
    world = 2**zoom * 256
    tx = int((point.x + 180) / 360 * world // 256)
    ty = int((1 - math.asinh(math.tan(math.radians(point.y))) / math.pi) / 2 * world // 256)
    data = (ts.folder / str(zoom) / str(tx) / f"{ty}.pbf").read_bytes()
    decoded = mapbox_vector_tile.decode(data)
    assert decoded["parcels" + tiles.COVERAGE_SUFFIX]["features"]
    ones = decoded.get("parcels", {}).get("features", [])
    assert target["id"] not in {f["properties"]["id"] for f in ones}
    with serve_folder(site) as base, open_session(browser, 1000, 700) as seen:
        page = seen.page
        page.goto(f"{base}/index.html")
        page.wait_for_function(_SETTLED)
        page.evaluate("() => { window.got = []; HedongGeo.on('click', (id) => got.push(id)); }")
        _view(page, point.y, point.x, zoom)
        xy = _client_xy(page, point.y, point.x)
        assert page.evaluate(_ALPHA_AT, xy) > 0, "the coverage is drawn where the parcel is"
        page.mouse.click(xy[0], xy[1])
        page.wait_for_function("() => window.got.length > 0")
        assert page.evaluate("() => window.got") == [target["id"]]
        page.locator(f"#hd-detail[data-feature='{target['id']}']").wait_for()
        assert not seen.errors, seen.errors
        seen.assert_local()


def test_the_legend_counts_a_tiled_layer(site: Path, browser: Any, parcels) -> None:
    # The page holds none of a tiled layer's features: the legend counts them from the tiles'
    # counts, and drops them when the layer is toggled off.
    groups = parcels["group"].value_counts().to_dict()
    statuses = parcels["status"].value_counts().to_dict()
    shown = """() => Object.fromEntries([...document.querySelectorAll('.hd-legend [data-count]')]
      .map((row) => [row.getAttribute('data-count'), Number(row.getAttribute('data-n'))]))"""
    with serve_folder(site) as base, open_session(browser, 1000, 700) as seen:
        page = seen.page
        page.goto(f"{base}/index.html")
        page.wait_for_function(_SETTLED)
        page.wait_for_function(f"() => ({shown})()['group:{next(iter(groups))}'] > 0")
        counts = page.evaluate(shown)
        for group, n in groups.items():
            assert counts[f"group:{group}"] == n, (group, counts)
        for status, n in statuses.items():
            assert counts[f"status:{status}"] == n, (status, counts)
        page.evaluate(
            "() => document.querySelector('.leaflet-control-layers-overlays input').click()"
        )
        page.wait_for_function(f"() => ({shown})()['group:{next(iter(groups))}'] === 0")
        assert not seen.errors, seen.errors


def test_tiles_show_at_once_and_their_canvases_are_used_again(
    site: Path, browser: Any, parcels
) -> None:
    # No fade after a zoom (a translucent tile is a layer of its own for the compositor), and
    # the canvases of the tiles gone draw the next ones.
    centre = shapely.union_all(parcels.geometry.values).representative_point()
    tiles_now = "[...document.querySelectorAll('.leaflet-hdTiled-pane canvas')]"
    with serve_folder(site) as base, open_session(browser, 1000, 700) as seen:
        page = seen.page
        page.goto(f"{base}/index.html")
        page.wait_for_function(_SETTLED)
        _view(page, centre.y, centre.x, 15)
        page.evaluate(f"() => {{ window.__before = new Set({tiles_now}); }}")
        # Every opacity a tile is given while the zoom's tiles arrive.
        page.evaluate(
            """() => { window.__faded = [];
              new MutationObserver((changes) => changes.forEach((c) => {
                if (c.target.tagName === 'CANVAS' && c.target.style.opacity !== '')
                  window.__faded.push(c.target.style.opacity); }))
              .observe(document.querySelector('.leaflet-hdTiled-pane'),
                       {subtree: true, attributes: true, attributeFilter: ['style']}); }"""
        )
        page.evaluate("() => { HedongGeo.map.zoomIn(); }")
        page.wait_for_function("() => HedongGeo.map.getZoom() === 16")
        page.wait_for_function(_SETTLED)
        assert page.evaluate("() => window.__faded.filter((o) => Number(o) < 1)") == []
        assert page.evaluate(f"() => {tiles_now}.length") > 0
        page.evaluate("() => { HedongGeo.map.zoomOut(); }")
        page.wait_for_function("() => HedongGeo.map.getZoom() === 15")
        page.wait_for_function(_SETTLED)
        reused = page.evaluate(f"() => {tiles_now}.filter((c) => window.__before.has(c)).length")
        fresh = page.evaluate(f"() => {tiles_now}.length")
        assert 0 < reused <= fresh, (reused, fresh)
        assert page.evaluate(_INKED) > 0
        assert not seen.errors, seen.errors


def test_a_zoom_finds_its_tiles_decoded_ahead_and_asks_for_them_as_it_starts(
    site: Path, browser: Any, parcels
) -> None:
    # Once a view is drawn the worker decodes the tiles a zoom in or out would draw, so the zoom
    # only draws. The zoom's map tiles are asked for a frame into its animation, not in the
    # frame that starts it (which already moves every zoomed element).
    centre = shapely.union_all(parcels.geometry.values).representative_point()
    still = f"() => ({_SETTLED})() && !HedongGeo.tilesReadingAhead()"
    on_demand = "() => HedongGeo.tileStats().then((s) => s.onDemand)"
    # How many of the new zoom's tiles exist as the zoom starts, and whether they were asked
    # for (Leaflet's _setView with an update) while it ran.
    watch = """() => { const m = HedongGeo.map; let layer;
      m.eachLayer((l) => { if (l.readAhead) layer = l; });
      const at = (z) => Object.values(layer._tiles).filter((t) => t.coords.z === z).length;
      window.__asked = {atStart: null, during: false};
      layer._setView = function (center, zoom, noPrune, noUpdate) {
        if (!noUpdate && m._animatingZoom) window.__asked.during = true;
        return L.GridLayer.prototype._setView.apply(this, arguments); };
      m.once('zoomanim', (e) => { window.__asked.atStart = at(e.zoom); }); }"""
    with serve_folder(site) as base, open_session(browser, 1000, 700) as seen:
        page = seen.page
        page.goto(f"{base}/index.html")
        page.wait_for_function(_SETTLED)
        _view(page, centre.y, centre.x, 14)
        page.wait_for_function(still)
        before = page.evaluate(on_demand)
        assert page.evaluate("() => HedongGeo.tileStats()")["ahead"] > 0
        for step, zoom in (("zoomIn", 15), ("zoomOut", 14), ("zoomOut", 13)):
            page.evaluate(watch)
            page.evaluate(f"() => {{ HedongGeo.map.{step}(); }}")
            page.wait_for_function(f"() => HedongGeo.map.getZoom() === {zoom}")
            page.wait_for_function(still)
            asked = page.evaluate("() => window.__asked")
            assert asked == {"atStart": 0, "during": True}, (step, zoom, asked)
            assert page.evaluate(on_demand) == before, f"{step} to {zoom} decoded on demand"
            assert page.evaluate(_INKED) > 0
        assert not seen.errors, seen.errors


def test_tiles_draw_in_the_page_where_there_is_no_worker(site: Path, browser: Any, parcels) -> None:
    # The same engine (tileengine.js) runs in the page, one task at a time.
    centre = shapely.union_all(parcels.geometry.values).representative_point()
    with serve_folder(site) as base, open_session(browser, 1000, 700) as seen:
        page = seen.page
        page.add_init_script("delete window.Worker;")
        page.goto(f"{base}/index.html")
        page.wait_for_function(_SETTLED)
        assert page.evaluate("() => HedongGeo.tilesInWorker") is False
        for zoom in (tiles.MIN_ZOOM, tiles.MAX_ZOOM + 1, 14):  # 14 last: it reads 13 and 15 ahead
            _view(page, centre.y, centre.x, zoom)
            assert page.evaluate(_INKED) > 0, f"zoom {zoom}: some map tile has the parcels drawn"
        page.wait_for_function("() => !HedongGeo.tilesReadingAhead()")
        stats = page.evaluate("() => HedongGeo.tileStats()")
        assert stats["maps"] > 0 and stats["ahead"] > 0, stats
        assert not seen.errors, seen.errors
