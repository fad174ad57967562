"""The web map in a real browser (Debian's chromium via Playwright), served from 127.0.0.1.

Proves what unit tests cannot: the page loads with every request on this machine, Leaflet runs,
the layers, legend and tools appear, hostile names do not execute, and the tools work.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import CHROMIUM_ARGS, LOCAL_HOSTS
from test_webmap import CONTEXT

from hedong_geo.assets import inline_assets, install_static
from hedong_geo.layers import load_layers
from hedong_geo.webmap import build_map

pytestmark = pytest.mark.browser


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def _serve(folder: Path) -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def layers(tmp_path: Path, data_dir: Path):
    """The small fixture layers plus a context layer (districts, the Haihe, a reference point)."""
    folder = tmp_path / "layers"
    folder.mkdir()
    for path in (data_dir / "layers_small").glob("*.geojson"):
        shutil.copy(path, folder / path.name)
    (folder / "context.geojson").write_text(json.dumps(CONTEXT), encoding="utf-8")
    return load_layers(folder)


@pytest.fixture
def site(tmp_path: Path, layers) -> Iterator[str]:
    """The fixture map as /index.html with the assets under /app/static, as Streamlit serves."""
    root = tmp_path / "site"
    install_static(root / "app" / "static")
    page = build_map(layers, lang="zh").get_root().render()
    (root / "index.html").write_text(page, encoding="utf-8")
    for base in _serve(root):
        yield f"{base}/index.html"


@pytest.fixture
def component_site(tmp_path: Path, layers) -> Iterator[str]:
    """The map as streamlit-folium's component builds it: links, header, map_div, script."""
    sf = pytest.importorskip("streamlit_folium")
    root = tmp_path / "component"
    install_static(root / "app" / "static")
    m = build_map(layers, lang="en", selected="park.quadrant.se")
    m.get_root().render()
    header, script = sf._get_header(m), sf._get_map_string(m)
    js, css = [], []
    for element in _walk(m):
        js += [url for _, url in getattr(element, "default_js", [])]
        css += [url for _, url in getattr(element, "default_css", [])]
    links = "".join(f'<link rel="stylesheet" href="{u}">' for u in dict.fromkeys(css))
    scripts = "".join(f'<script src="{u}"></script>' for u in dict.fromkeys(js))
    page = (
        f"<!DOCTYPE html><html><head>{links}{header}</head><body>"
        f'<div id="map_div" style="height:600px"></div>{scripts}'
        f"<script>{script}\nwindow.map = map_div;</script></body></html>"
    )
    (root / "index.html").write_text(page, encoding="utf-8")
    for base in _serve(root):
        yield f"{base}/index.html"


def _walk(element):
    yield element
    for child in element._children.values():
        yield from _walk(child)


def _open(p, chromium_path: str, url: str):
    browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
    page = browser.new_page(viewport={"width": 1000, "height": 700})
    seen = {"requests": [], "dialogs": [], "errors": []}
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.goto(url)
    page.wait_for_selector(".leaflet-container path.leaflet-interactive >> visible=true")
    return browser, page, seen


def _foreign(urls: list[str]) -> list[str]:
    return [
        u
        for u in urls
        if not u.startswith(("data:", "blob:", "about:"))
        and (urlsplit(u).scheme not in ("http", "https", "file") or urlsplit(u).hostname or "")
        not in LOCAL_HOSTS
    ]


def test_map_loads_offline_and_renders(site: str, chromium_path: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser, page, seen = _open(p, chromium_path, site)
        try:
            assert page.evaluate("typeof window.L") == "object"
            assert page.locator(".leaflet-container").is_visible()
            assert page.locator("path.leaflet-interactive").count() >= 6
            assert page.locator(".hd-legend").is_visible()
            assert "图例" in page.locator(".hd-legend").inner_text()
            assert page.locator(".leaflet-control-scale").is_visible()
            assert page.locator(".hd-measure a").count() == 2
            assert page.locator(".hd-fullscreen a").count() == 1
            # Dashed (schematic) outlines reach the SVG.
            assert page.locator("path[stroke-dasharray='8 6']").count() >= 1
            # Hover the hostile point: its tooltip shows the name as text, no <img> is made.
            # Hover the hostile point with the mouse: the tooltip shows its name as text.
            x, y = page.evaluate(
                """() => {
                  for (const id in map_hedong._layers) {
                    const l = map_hedong._layers[id];
                    if (l.feature && l.feature.properties.id === 'renewal.xss'
                        && l instanceof L.CircleMarker && !(l instanceof L.Circle)) {
                      const pt = map_hedong.latLngToContainerPoint(l.getLatLng());
                      const box = map_hedong.getContainer().getBoundingClientRect();
                      return [box.left + pt.x, box.top + pt.y];
                    }
                  }
                }"""
            )
            page.mouse.move(x, y)
            tooltip = page.locator(".hd-tooltip").first
            assert "<img src=x onerror=alert(1)>" in tooltip.inner_text()
            assert page.locator(".leaflet-container img[src='x']").count() == 0
            page.screenshot(path="/tmp/webmap.png")
            page.wait_for_timeout(300)
        finally:
            browser.close()
    assert seen["dialogs"] == []
    assert seen["errors"] == []
    assert _foreign(seen["requests"]) == []
    assert any(u.endswith("/app/static/vendor/leaflet/leaflet.js") for u in seen["requests"])


def test_click_reports_feature_id_and_measure_works(site: str, chromium_path: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser, page, seen = _open(p, chromium_path, site)
        try:
            # What streamlit-folium reads on a click: event.layer.toGeoJSON().properties.id.
            page.evaluate(
                """() => {
                  window.clicked = [];
                  for (const id in map_hedong._layers) {
                    map_hedong._layers[id].on('click', e => {
                      if (e.layer) window.clicked.push(e.layer.toGeoJSON().properties.id);
                    });
                  }
                }"""
            )
            box = page.locator("path[stroke-dasharray='8 6']").first.bounding_box()
            page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            clicked = page.evaluate("window.clicked")
            assert clicked and all(c for c in clicked)
            # Measure a distance: two clicks and a double-click give a label in metres.
            page.locator(".hd-measure a").first.click()
            page.mouse.click(300, 300)
            page.mouse.click(500, 300)
            page.mouse.dblclick(500, 400)
            label = page.locator(".hd-measure-label").inner_text()
            assert page.locator(".hd-measure-label").count() == 1
            assert label.endswith(("m", "km"))
        finally:
            browser.close()
    assert seen["errors"] == []
    assert _foreign(seen["requests"]) == []


def test_inlined_page_works_from_file(tmp_path: Path, data_dir: Path, chromium_path: str) -> None:
    from playwright.sync_api import sync_playwright

    layers = load_layers(data_dir / "layers_small")
    page_html = inline_assets(build_map(layers, lang="en").get_root().render())
    path = tmp_path / "map.html"
    path.write_text(page_html, encoding="utf-8")
    with sync_playwright() as p:
        browser, page, seen = _open(p, chromium_path, path.as_uri())
        try:
            assert page.locator(".hd-legend").is_visible()
            assert "Legend" in page.locator(".hd-legend").inner_text()
        finally:
            browser.close()
    assert seen["errors"] == []
    assert [u for u in seen["requests"] if not u.startswith(("file:", "data:"))] == []


def test_map_runs_as_streamlit_folium_component(component_site: str, chromium_path: str) -> None:
    """The pieces st_folium sends its iframe (header, js/css links, script) make a working map."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser, page, seen = _open(p, chromium_path, component_site)
        try:
            assert page.locator(".hd-legend").is_visible()
            assert page.locator(".leaflet-control-scale").is_visible()
            # The selected quadrant is highlighted on top and the view fits it.
            assert page.locator(".leaflet-hdSelected-pane path").count() == 1
            zoom = page.evaluate("map_div.getZoom()")
            assert zoom >= 14
        finally:
            browser.close()
    assert seen["errors"] == []
    assert seen["dialogs"] == []
    assert _foreign(seen["requests"]) == []
