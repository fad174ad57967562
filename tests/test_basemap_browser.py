"""The offline basemap in a real browser (Debian's chromium), served from 127.0.0.1.

The landing map of the committed layers, at a desk (1440×900) and on a phone (390×844): the
district names, the Haihe drawn as water, 街道 names and OpenStreetMap place labels are shown,
no two shown labels overlap (measured with getBoundingClientRect), the OSM credit is there,
and no request leaves this machine. Screenshots of both go to the test's folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import DESK, MAP_READY, PHONE, Session, open_session, serve_maps, wait_until_still

from hedong_geo.layers import load_layers
from hedong_geo.places import OSM_MARK
from hedong_geo.styles import load_styles
from hedong_geo.webmap import build_map

pytestmark = pytest.mark.browser
pytest.importorskip("playwright.sync_api")

SIZES = {"desk": DESK, "phone": PHONE}

# The labels shown now, with their boxes on screen (only those at least partly in the map).
SHOWN = """() => {
  const map = HedongGeo.map.getContainer().getBoundingClientRect();
  return [...document.querySelectorAll('.hd-bm-label')]
    .filter((el) => getComputedStyle(el).visibility === 'visible' && el.isConnected)
    .map((el) => { const r = el.getBoundingClientRect();
      return {text: el.textContent, cls: el.dataset.cls,
              box: [r.left, r.top, r.right, r.bottom]}; })
    .filter((l) => l.box[2] > map.left && l.box[0] < map.right
                   && l.box[3] > map.top && l.box[1] < map.bottom);
}"""

# The water: the shapes drawn in the water pane (hedong.js draws the panes under the labels on
# one canvas, in the panes' order), their fill, whether they take clicks, and how much of them
# lies in the map (container pixels).
WATER = """() => {
  const map = HedongGeo.map, size = map.getSize();
  const shapes = [];
  map.eachLayer((l) => l instanceof L.Path && l.options.pane === 'hdBaseWater' && shapes.push(l));
  if (!shapes.length) return null;
  const y = (l, corner) => map.latLngToContainerPoint(l.getBounds()[corner]()).y;
  const top = Math.min(...shapes.map((l) => y(l, 'getNorthWest')));
  const bottom = Math.max(...shapes.map((l) => y(l, 'getSouthEast')));
  const o = shapes[0].options;
  return {fill: o.fillColor, opacity: o.fillOpacity,
          interactive: shapes.some((l) => l.options.interactive),
          canvas: shapes.every((l) => l._renderer instanceof L.Canvas),
          height: Math.min(bottom, size.y) - Math.max(top, 0)};
}"""


# How many basemap labels are on the map (their markers' elements in the page).
ON_MAP = "() => document.querySelectorAll('.hd-bm-anchor').length"


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The landing map (all committed layers) in both languages, served as Streamlit does."""
    layers = load_layers()
    pages = {lang: build_map(layers, lang=lang) for lang in ("zh", "en")}
    with serve_maps(tmp_path_factory.mktemp("basemap_site"), pages) as base:
        yield {lang: f"{base}/{lang}.html" for lang in ("zh", "en")}


def _overlaps(labels: list[dict]) -> list[tuple[str, str]]:
    bad = []
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            x = min(a["box"][2], b["box"][2]) - max(a["box"][0], b["box"][0])
            y = min(a["box"][3], b["box"][3]) - max(a["box"][1], b["box"][1])
            if x > 0.5 and y > 0.5:
                bad.append((a["text"], b["text"]))
    return bad


def _open(session: Any, url: str) -> list[dict]:
    page = session.page
    page.goto(url)
    page.wait_for_function(MAP_READY)
    # Labels are placed when a move ends: measured mid-zoom they would seem to overlap.
    wait_until_still(page, frames=10)
    page.wait_for_function("() => window.HedongLabels && HedongLabels.shown().length > 0")
    return page.evaluate(SHOWN)


@pytest.mark.parametrize("size", sorted(SIZES))
def test_landing_map_reads_as_a_map_of_hedong(
    browser: Any, landing: dict[str, str], size: str, tmp_path: Path
) -> None:
    width, height = SIZES[size]
    with open_session(browser, width, height) as session:
        shown = _open(session, landing["zh"])
        texts = {label["text"] for label in shown}
        by_class = {}
        for label in shown:
            by_class.setdefault(label["cls"], []).append(label["text"])
        assert "河东区" in texts
        assert {"河北区", "河西区", "和平区", "东丽区"} & texts, texts  # neighbours, by name
        assert len(by_class.get("street", [])) >= 5, by_class
        assert by_class.get("metro"), by_class
        assert len(by_class.get("major", [])) >= 2, by_class  # OpenStreetMap places
        assert not _overlaps(shown), _overlaps(shown)

        water = session.page.evaluate(WATER)
        styles = load_styles()["basemap"]["water"]
        assert water is not None, "no water drawn"
        assert water["fill"] == styles["fill_color"] and float(water["opacity"]) == 1
        assert not water["interactive"] and water["canvas"], water  # the basemap takes no clicks
        assert water["height"] > 150  # the Haihe runs across the landing view

        credit = session.page.locator(".leaflet-control-attribution")
        assert OSM_MARK in credit.inner_text()
        session.page.screenshot(path=str(tmp_path / f"basemap_{size}.png"))
        session.assert_local()
        assert not session.errors, session.errors


def test_labels_never_collide_while_zooming_and_follow_the_language(
    desk: Session, landing: dict[str, str]
) -> None:
    page = desk.page
    _open(desk, landing["en"])
    counts = {}
    for zoom in (12, 14, 16, 17):
        page.evaluate(f"() => {{ HedongGeo.map.setZoom({zoom}, {{animate: false}}); }}")
        page.wait_for_function(f"() => HedongGeo.map.getZoom() === {zoom}")
        page.evaluate("HedongLabels.layout()")
        shown = page.evaluate(SHOWN)
        assert not _overlaps(shown), (zoom, _overlaps(shown))
        # Only the labels shown are on the map (in the page): the hidden ones cost no zoom.
        assert page.evaluate(ON_MAP) == page.evaluate("HedongLabels.shown().length") > 0
        counts[zoom] = {label["cls"] for label in shown}
    assert "other" not in counts[12] and "other" in counts[16]  # by zoom level
    names = page.evaluate("HedongLabels.shown().map((l) => l.text)")
    assert all(not any("\u4e00" <= ch <= "\u9fff" for ch in n) for n in names), names
    # The labels take no clicks: what lies under a label is what a click reaches.
    events = page.evaluate(
        "getComputedStyle(document.querySelector('.leaflet-hdBaseLabels-pane')).pointerEvents"
    )
    assert events == "none"
    desk.assert_local()
    assert not desk.errors, desk.errors


def test_hiding_the_context_layer_hides_the_basemap_and_its_credit(
    desk: Session, landing: dict[str, str]
) -> None:
    page = desk.page
    _open(desk, landing["zh"])
    page.locator(".leaflet-control-layers").hover()
    page.locator(".leaflet-control-layers-overlays label", has_text="底图").locator(
        "input"
    ).uncheck()
    page.wait_for_function("() => !document.querySelector('.hd-bm-district')?.isConnected")
    assert page.evaluate(WATER) is None
    # The labels of other layers (the 街道 names) stay, and only those.
    page.wait_for_function(f"() => ({ON_MAP})() === HedongLabels.shown().length")
    assert page.evaluate(SHOWN) and not any(
        label["cls"] == "district" for label in page.evaluate(SHOWN)
    )
    # Shown again: the water and the labels come back, laid out again.
    page.locator(".leaflet-control-layers-overlays label", has_text="底图").locator("input").check()
    page.wait_for_function("() => !!document.querySelector('.hd-bm-district')?.isConnected")
    page.wait_for_function(f"() => ({ON_MAP})() === HedongLabels.shown().length")
    assert page.evaluate(WATER) is not None
    assert not _overlaps(page.evaluate(SHOWN))
    assert not desk.errors, desk.errors
