"""The web map in a real browser (Debian's chromium via Playwright), served from 127.0.0.1.

Proves what unit tests cannot: the page loads with every request on this machine, Leaflet runs,
the layers, legend and tools appear, hostile names do not execute, the tools work, and the one
selection highlight (``HedongGeo.select``/``highlight``) and click hook do what a page needs.
Every wait polls (Playwright's ``expect`` and ``wait_for_function``); none sleeps.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    CLICKABLE,
    MAP_READY,
    Session,
    feature_point,
    hover_until,
    open_session,
    serve_folder,
    serve_maps,
    wait_until_still,
)

from hedong_geo.assets import inline_assets, install_static
from hedong_geo.layers import load_layers
from hedong_geo.webmap import build_map

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

# How many clickable shapes of one feature the map has (by the feature id hedong.js sets).
_LAYERS_OF = """(id) => {
  const found = [];
  HedongGeo.map.eachLayer((l) => {
    if (l instanceof L.Path && l.options.interactive !== false && l.feature
        && l.feature.properties.id === id) found.push(l);
  });
  return found.length;
}"""
# The ids of the clickable features drawn dashed (schematic outlines), with the dashes the
# canvas strokes them with.
_DASHED = """() => {
  const out = [];
  HedongGeo.map.eachLayer((l) => {
    if (l instanceof L.Path && l.options.interactive && l.feature && l.options.dashArray)
      out.push([l.feature.properties.id, l.options._dashArray]);
  });
  return out;
}"""


@pytest.fixture
def site(tmp_path: Path, small_layers) -> Iterator[str]:
    """The fixture map as /index.html with the assets under /app/static, as Streamlit serves."""
    with serve_maps(tmp_path / "site", {"index": build_map(small_layers, lang="zh")}) as base:
        yield f"{base}/index.html"


@pytest.fixture
def component_site(tmp_path: Path, small_layers) -> Iterator[str]:
    """The map as streamlit-folium's component builds it: links, header, map_div, script."""
    sf = pytest.importorskip("streamlit_folium")
    root = tmp_path / "component"
    install_static(root / "app" / "static")
    m = build_map(small_layers, lang="en", selected="park.quadrant.se")
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
    with serve_folder(root) as base:
        yield f"{base}/index.html"


def _walk(element):
    yield element
    for child in element._children.values():
        yield from _walk(child)


@contextmanager
def _open(browser: Any, url: str) -> Iterator[Session]:
    """A 1000×700 page at ``url`` once the map is ready."""
    with open_session(browser, 1000, 700) as session:
        session.page.goto(url)
        session.page.wait_for_function(MAP_READY)
        yield session


def test_map_loads_offline_and_renders(site: str, browser: Any) -> None:
    with _open(browser, site) as seen:
        page = seen.page
        assert page.evaluate("typeof window.L") == "object"
        expect(page.locator(".leaflet-container")).to_be_visible()
        assert page.evaluate(CLICKABLE) >= 6
        expect(page.locator(".hd-legend")).to_be_visible()
        expect(page.locator(".hd-legend")).to_contain_text("图例")
        expect(page.locator(".leaflet-control-scale")).to_be_visible()
        expect(page.locator(".hd-measure a")).to_have_count(2)
        expect(page.locator(".hd-fullscreen a")).to_have_count(1)
        # Dashed (schematic) outlines reach the canvas as dashes.
        assert [8, 6] in [d[1] for d in page.evaluate(_DASHED)]
        # Hover the hostile point with the mouse: the tooltip shows its name as text.
        wait_until_still(page)
        x, y = page.evaluate(
            """() => {
              const map = HedongGeo.map;
              for (const id in map._layers) {
                const l = map._layers[id];
                if (l.feature && l.feature.properties.id === 'renewal.xss'
                    && l instanceof L.CircleMarker && !(l instanceof L.Circle)) {
                  const pt = map.latLngToContainerPoint(l.getLatLng());
                  const box = map.getContainer().getBoundingClientRect();
                  return [box.left + pt.x, box.top + pt.y];
                }
              }
            }"""
        )
        tooltip = page.locator(".hd-tooltip").first
        hover_until(page, (x, y), tooltip)
        expect(tooltip).to_contain_text("<img src=x onerror=alert(1)>")
        expect(page.locator(".leaflet-container img[src='x']")).to_have_count(0)
    assert seen.dialogs == []
    assert seen.errors == []
    assert seen.outside() == []
    assert any(u.endswith("/app/static/vendor/leaflet/leaflet.js") for u in seen.requests)


def test_click_reports_feature_id_and_measure_works(site: str, browser: Any) -> None:
    with _open(browser, site) as seen:
        page = seen.page
        # What streamlit-folium reads on a click: event.layer.toGeoJSON().properties.id.
        page.evaluate(
            """() => {
              window.clicked = [];
              window.hooked = [];
              const map = HedongGeo.map;
              for (const id in map._layers) {
                map._layers[id].on('click', e => {
                  if (e.layer) window.clicked.push(e.layer.toGeoJSON().properties.id);
                });
              }
              HedongGeo.on('click', (id) => window.hooked.push(id));
            }"""
        )
        dashed = [d[0] for d in page.evaluate(_DASHED) if d[1] == [8, 6]]
        page.mouse.click(*feature_point(page, dashed[0]))
        page.wait_for_function("() => window.clicked.length > 0")
        clicked = page.evaluate("window.clicked")
        assert all(c for c in clicked)
        # The page's click hook names the same feature, once.
        assert page.evaluate("window.hooked") == clicked[:1]
        # Measure a distance: two clicks and a double-click give a label in metres.
        page.locator(".hd-measure a").first.click()
        page.mouse.click(300, 300)
        page.mouse.click(500, 300)
        page.mouse.dblclick(500, 400)
        label = page.locator(".hd-measure-label")
        expect(label).to_have_count(1)
        expect(label).to_have_text(re.compile(r"\d (m|km)$"))
    assert seen.errors == []
    assert seen.outside() == []


def test_inlined_page_works_from_file(tmp_path: Path, data_dir: Path, browser: Any) -> None:
    layers = load_layers(data_dir / "layers_small")
    page_html = inline_assets(build_map(layers, lang="en").get_root().render())
    path = tmp_path / "map.html"
    path.write_text(page_html, encoding="utf-8")
    with _open(browser, path.as_uri()) as seen:
        page = seen.page
        expect(page.locator(".hd-legend")).to_be_visible()
        expect(page.locator(".hd-legend")).to_contain_text("Legend")
    assert seen.errors == []
    assert [u for u in seen.requests if not u.startswith(("file:", "data:"))] == []


def test_map_runs_as_streamlit_folium_component(component_site: str, browser: Any) -> None:
    """The pieces st_folium sends its iframe (header, js/css links, script) make a working map."""
    with _open(browser, component_site) as seen:
        page = seen.page
        expect(page.locator(".hd-legend")).to_be_visible()
        expect(page.locator(".leaflet-control-scale")).to_be_visible()
        # The selected quadrant is highlighted on top and the view fits it.
        expect(page.locator(".leaflet-hdSelected-pane path")).to_have_count(1)
        assert page.evaluate("window.map === HedongGeo.map")
        zoom = page.evaluate("HedongGeo.map.getZoom()")
        assert zoom >= 14
    assert seen.errors == []
    assert seen.dialogs == []
    assert seen.outside() == []


def test_one_selection_highlight(site: str, browser: Any) -> None:
    """HedongGeo.select draws one highlight from the feature as drawn, and replaces it."""
    selected = ".leaflet-hdSelected-pane path"
    with _open(browser, site) as seen:
        page = seen.page
        expect(page.locator(selected)).to_have_count(0)
        assert page.evaluate("HedongGeo.select('park.quadrant.se')") is True
        expect(page.locator(selected)).to_have_count(1)
        # Schematic stays dashed when selected, in the selection's colour, not clickable.
        path = page.locator(selected).first
        expect(path).to_have_attribute("stroke-dasharray", "8 6")
        expect(path).to_have_attribute("stroke", "#f1c40f")
        expect(path).not_to_have_class(re.compile("leaflet-interactive"))
        # A point: its marker again on top, a ring round it and its accuracy circle (outline),
        # replacing the quadrant.
        # With bounds, the map fits them (zooming in from the whole fixture).
        bounds = [[39.10, 117.22], [39.12, 117.24]]
        zoom = page.evaluate("HedongGeo.map.getZoom()")
        page.evaluate("(b) => HedongGeo.select('renewal.dazhigu', {bounds: b})", bounds)
        expect(page.locator(selected)).to_have_count(3)
        page.wait_for_function(
            """([b, zoom]) => { const map = HedongGeo.map;
              return !map._animatingZoom && map.getZoom() > zoom
                && map.getBounds().contains(L.latLngBounds(b)); }""",
            arg=[bounds, zoom],
        )
        # An unknown id draws nothing; null clears the selection.
        assert page.evaluate("HedongGeo.select('no.such.feature')") is False
        expect(page.locator(selected)).to_have_count(0)
        page.evaluate("HedongGeo.select('infra.hucanghe')")
        expect(page.locator(selected)).to_have_count(1)
        page.evaluate("HedongGeo.select(null)")
        expect(page.locator(selected)).to_have_count(0)
        # Into another group (the app's feature_group_to_add): the page's own selection stays.
        page.evaluate("HedongGeo.select('park.quadrant.ne')")
        page.evaluate(
            "HedongGeo.highlight(L.featureGroup().addTo(HedongGeo.map), 'park.quadrant.sw')"
        )
        expect(page.locator(selected)).to_have_count(2)
        assert page.evaluate(_LAYERS_OF, "park.quadrant.se") == 1  # its own shape stays
    assert seen.errors == []


# The pane of each shape on the two shared canvases, in drawing order (ranks in the canvas's
# panes: 0 lowest).
_DRAWING_ORDER = """() => ['hdContext', 'hdAreas'].map((pane) => {
  const canvas = HedongGeo.renderer(pane), ranks = [];
  for (let o = canvas._drawFirst; o; o = o.next)
    ranks.push(canvas.options.panes.indexOf(o.layer.options.pane));
  return ranks;
})"""
# The colour of the canvas over the basemap labels at container point [x, y].
_PIXEL = """([x, y]) => { const canvas = HedongGeo.renderer('hdAreas');
  const at = HedongGeo.map.containerPointToLayerPoint([x, y]).subtract(canvas._bounds.min);
  return Array.from(canvas._ctx.getImageData(at.x, at.y, 1, 1).data); }"""


def test_shared_canvases_draw_in_the_panes_order(site: str, browser: Any) -> None:
    """Areas under lines under points on one canvas, whatever order they are added or brought
    to the front in: a red area added last is drawn under a point's marker."""
    with _open(browser, site) as seen:
        page = seen.page
        wait_until_still(page)  # the opening fit: the marker's point is read once
        for ranks in page.evaluate(_DRAWING_ORDER):
            assert ranks and ranks == sorted(ranks), ranks
        marker = page.evaluate(
            """() => { let at = null; HedongGeo.map.eachLayer((l) => {
              if (!at && l instanceof L.CircleMarker && !(l instanceof L.Circle)
                  && l.options.pane === 'hdPoints') {
                const p = HedongGeo.map.latLngToContainerPoint(l.getLatLng());
                at = [Math.round(p.x), Math.round(p.y)]; } });
              return at; }"""
        )
        page.evaluate(
            """() => { const map = HedongGeo.map, b = map.getBounds();
              const renderer = HedongGeo.renderer('hdAreas');
              window.__red = L.rectangle(b, {pane: 'hdAreas', renderer, color: '#ff0000',
                fillColor: '#ff0000', fillOpacity: 1, interactive: false})
                .addTo(map).bringToFront(); }"""
        )
        page.wait_for_function("() => HedongGeo.drawn()")
        for ranks in page.evaluate(_DRAWING_ORDER):
            assert ranks == sorted(ranks), ranks
        assert page.evaluate(_PIXEL, marker)[:3] != [255, 0, 0]  # the marker, over the area
        assert page.evaluate(_PIXEL, [5, 5])[:3] == [255, 0, 0]  # the area, where nothing is
        assert seen.errors == []


def test_after_a_zoom_each_canvas_draws_in_a_frame_of_its_own(site: str, browser: Any) -> None:
    """The frame that ends a zoom does not draw the canvases again: the one over the labels
    is drawn a frame later, the one under them a frame after that."""
    with _open(browser, site) as seen:
        page = seen.page
        wait_until_still(page)
        page.wait_for_function("() => HedongGeo.drawn()")
        at_end = page.evaluate(
            """() => new Promise((done) => { const map = HedongGeo.map;
              map.once('moveend', () => done({drawn: HedongGeo.drawn(), zoom: map.getZoom(),
                drawnAt: ['hdContext', 'hdAreas'].map((p) => HedongGeo.renderer(p)._zoom)}));
              map.zoomIn(); })"""
        )
        assert at_end["drawn"] is False and at_end["zoom"] not in at_end["drawnAt"], at_end
        page.wait_for_function("() => HedongGeo.drawn()")
        zooms = page.evaluate(
            "() => ['hdContext', 'hdAreas'].map((p) => HedongGeo.renderer(p)._zoom)"
        )
        assert zooms == [at_end["zoom"]] * 2
        assert seen.errors == []
