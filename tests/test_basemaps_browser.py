"""Tile basemaps in a real browser (Debian's chromium via Playwright), all served from 127.0.0.1.

- A bureau's local .mbtiles / .pmtiles source: its tiles are asked of this machine, load, and
  are painted (their pixels are the fixture's colour); in the app, Streamlit serves them.
- A failing online source (OpenStreetMap with no internet: every request leaving this machine
  is refused here): the map says so in the page's language, the offline basemap stays (with
  its fill back), and nothing but the tile host was asked.
- Gaode (GCJ-02): the mouse position reads WGS84 again, the JS formula agrees with
  hedong_geo.transform both ways.

Screenshots go to /tmp/hedong-geo-shots/tiles-*.png (1440×900 and 390×844), to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import DESK, LOCAL_HOSTS, MAP_READY, PHONE, SHOTS, open_session, serve_app, serve_maps
from test_basemaps import (
    TILE_RGB,
    all_tiles,
    bureau,
    make_mbtiles,
    make_pmtiles,
    tile_png,
    write_sources,
)

from hedong_geo import basemaps
from hedong_geo.i18n import t
from hedong_geo.transform import wgs84_to_gcj02
from hedong_geo.webmap import build_map

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

SIZES = {"desktop": DESK, "phone": PHONE}
# The centre pixel of each loaded tile (the fixture tiles are plain there), or null while
# fewer than `least` tiles have loaded.
PAINTED = """(least) => {
  const tiles = [...document.querySelectorAll("img.leaflet-tile-loaded")];
  if (tiles.length < least) return null;
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 1;
  const g = canvas.getContext("2d");
  return tiles.map((img) => {
    g.clearRect(0, 0, 1, 1);
    g.drawImage(img, 128, 128, 1, 1, 0, 0, 1, 1);
    return Array.from(g.getImageData(0, 0, 1, 1).data.slice(0, 3));
  });
}"""
# Fill opacity of each context shape drawn (the offline basemap), by style key.
CONTEXT_FILLS = """() => {
  const out = {};
  HedongGeo.map.eachLayer((l) => {
    if (l.feature && l.options.pane === "hdContext" && l instanceof L.Path) {
      out[l.feature.properties.k] = l.options.fillOpacity;
    }
  });
  return out;
}"""
# How many shapes of the offline basemap (the context pane) are drawn on the map.
CONTEXT_SHAPES = """() => { let n = 0;
  HedongGeo.map.eachLayer((l) => { n += l instanceof L.Path && l.options.pane === "hdContext"; });
  return n; }"""


@contextmanager
def map_site(root: Path, layers, **kwargs: Any) -> Iterator[str]:
    """The map as /index.html with the assets (and local tiles) under /app/static."""
    basemaps.install_tiles(root / "app" / "static")
    with serve_maps(root, {"index": build_map(layers, **kwargs)}) as base:
        yield f"{base}/index.html"


def offline(page: Any) -> list[str]:
    """Refuse every request that would leave this machine (as with no internet); the refused
    URLs are listed in the returned list."""
    refused: list[str] = []

    def route(r: Any) -> None:
        if (urlsplit(r.request.url).hostname or "") in LOCAL_HOSTS:
            r.continue_()
        else:
            refused.append(r.request.url)
            r.abort("internetdisconnected")

    page.route("**/*", route)
    return refused


def tile_statuses(page: Any) -> dict[str, int]:
    """The HTTP status of each tile the page asks for, by URL (filled as responses come)."""
    statuses: dict[str, int] = {}

    def seen(response: Any) -> None:
        if "/tiles/" in response.url:
            statuses[response.url] = response.status

    page.on("response", seen)
    return statuses


def shoot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"tiles-{name}.png"))


@pytest.mark.parametrize("kind", ["mbtiles", "pmtiles"])
def test_a_local_tile_file_is_drawn(
    browser, small_layers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    make = make_mbtiles if kind == "mbtiles" else make_pmtiles
    make(tmp_path / f"hedong.{kind}")
    sources = write_sources(tmp_path, {"bureau": bureau(kind, path=f"hedong.{kind}")})
    monkeypatch.setenv("HEDONG_GEO_TILE_SOURCES", str(sources))
    monkeypatch.setenv("HEDONG_GEO_TILE_CACHE", str(tmp_path / "cache"))
    with map_site(tmp_path / "site", small_layers, basemap="bureau", lang="zh") as url:
        for size, (width, height) in SIZES.items():
            with open_session(browser, width, height) as session:
                page = session.page
                statuses = tile_statuses(page)
                page.goto(url)
                page.wait_for_function(MAP_READY)
                pixels = page.wait_for_function(PAINTED, arg=4).json_value()
                assert {tuple(p) for p in pixels} == {TILE_RGB}  # painted, every one
                assert statuses and set(statuses.values()) == {200}
                assert all("/app/static/tiles/bureau/" in u for u in statuses)
                assert page.evaluate("HedongTiles.state.errors") == 0
                expect(page.locator(".hd-tile-message")).to_have_count(0)
                session.assert_local()
                assert session.errors == []
                if kind == "mbtiles":
                    shoot(page, f"local-{size}")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_failing_online_source_is_reported(
    browser, small_layers, tmp_path: Path, lang: str
) -> None:
    with map_site(tmp_path / "site", small_layers, basemap="osm", lang=lang) as url:
        for size, (width, height) in SIZES.items():
            with open_session(browser, width, height) as session:
                page = session.page
                refused = offline(page)
                page.goto(url)
                page.wait_for_function(MAP_READY)
                # Drawn for tiles: the offline basemap in outlines only.
                assert page.evaluate('HedongGeo.styles["ctx|hedong"].fillOpacity') == 0
                message = page.locator(".hd-tile-message")
                expect(message).to_be_visible()
                words = t("map_tiles_failed", lang).format(name=basemaps.label("osm", lang))
                expect(message).to_contain_text(words)
                assert message.get_attribute("role") == "status"
                box = message.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= width  # nothing overflows
                # The offline basemap stays, as drawn with no tiles.
                after = page.evaluate(CONTEXT_FILLS)
                assert after["ctx|hedong"] > 0 and after["ctx|neighbour"] > 0
                assert page.evaluate(CONTEXT_SHAPES) >= 3
                # Only the tile host was asked (and refused): nothing else left the machine.
                hosts = {urlsplit(u).hostname for u in session.outside()}
                assert hosts == {"tile.openstreetmap.org"} and refused
                assert session.errors == []
                shoot(page, f"failed-{lang}-{size}")
                # Closed, it stays closed.
                page.get_by_role("button", name=t("map_close", lang)).click()
                expect(message).to_have_count(0)


# Points of Hedong (WGS84 lon, lat), for the GCJ-02 round trip.
POINTS = [(117.2310, 39.1220), (117.2650, 39.0950), (117.2050, 39.1480), (117.2999, 39.1601)]


def test_gcj02_mouse_position_reads_wgs84(browser, small_layers, tmp_path: Path) -> None:
    with (
        map_site(tmp_path / "site", small_layers, basemap="gaode", lang="en") as url,
        open_session(browser, 1440, 900) as session,
    ):
        page = session.page
        offline(page)
        page.goto(url)
        page.wait_for_function(MAP_READY)
        for lon, lat in POINTS:
            glon, glat = wgs84_to_gcj02(lon, lat)
            js = page.evaluate(
                """([lat, lon, glat, glon]) => {
                  const f = HedongTiles.wgs84ToGcj02(L.latLng(lat, lon));
                  const b = HedongTiles.gcj02ToWgs84(L.latLng(glat, glon));
                  return [f.lat, f.lng, b.lat, b.lng];
                }""",
                [lat, lon, glat, glon],
            )
            assert js[:2] == pytest.approx([glat, glon], abs=1e-9)  # as transform.py
            assert js[2:] == pytest.approx([lat, lon], abs=1e-8)  # the inverse: under 1 mm
            # The real mouse over the shifted map reads the WGS84 point (one pixel ~ 1 m).
            where = page.evaluate(
                """([glat, glon]) => {
                  const map = HedongGeo.map;
                  map.setView([glat, glon], 17, {animate: false});
                  const p = map.latLngToContainerPoint([glat, glon]);
                  const box = map.getContainer().getBoundingClientRect();
                  return [box.left + p.x, box.top + p.y];
                }""",
                [glat, glon],
            )
            page.mouse.move(where[0] + 1, where[1])
            page.mouse.move(*where)
            text = page.locator(".hd-mouse-position").inner_text()
            shown = [float(v) for v in text.split(" (")[0].split(", ")]
            assert shown == pytest.approx([lat, lon], abs=2e-5), text
            assert text.endswith("(" + t("map_datum_gcj02", "en") + ")")
        assert session.errors == []


def test_the_app_serves_a_local_tile_file(browser, tmp_path: Path) -> None:
    """Streamlit serves the unpacked tiles as a component folder (what assets.serve registers)."""
    make_mbtiles(tmp_path / "hedong.mbtiles")
    sources = write_sources(tmp_path, {"bureau": bureau(path="hedong.mbtiles")})
    script = tmp_path / "serve_tiles.py"
    script.write_text(
        "import streamlit as st\nfrom hedong_geo.assets import serve\n"
        "serve()\nst.write('served')\n",
        encoding="utf-8",
    )
    env = {"HEDONG_GEO_TILE_SOURCES": str(sources), "HEDONG_GEO_TILE_CACHE": str(tmp_path / "c")}
    z, x, y = all_tiles()[-1]
    with serve_app(env, script=script) as url, open_session(browser) as session:
        page = session.page
        page.goto(url)
        expect(page.get_by_text("served")).to_be_visible()
        tile = page.request.get(f"{url}component/hedong_geo.assets.tiles_bureau/{z}/{x}/{y}.png")
        assert tile.status == 200 and tile.body() == tile_png(z, x, y)
        missing = page.request.get(f"{url}component/hedong_geo.assets.tiles_bureau/3/0/0.png")
        assert missing.status == 404
