"""Every feature on the map can be reached, and what is not drawn is said (Debian's chromium).

The real layers' map page (``build_map``) served from 127.0.0.1, driven with the real mouse:

- every located feature (plan layers, 街道 zones, reference points) opens with a click on the
  map, from the chooser when several features lie under the pointer (hedong_geo/js/pick.js);
- stacked features (one site) are offered each, and spread apart when zoomed in; accuracy
  circles take no clicks; the selection is drawn on top;
- the legend counts the features by status and by group;
- "N places not yet located" opens their list, and a pick reports the place (its zone drawn);
- the tour (geodata/tour.json) opens from #tour=1, flies to each step and reports it.

Every wait polls; screenshots at 1440×900 and 390×844 go to /tmp/hedong-geo-shots.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import (
    MAP_READY,
    SHOTS,
    Session,
    hover_until,
    open_session,
    serve_maps,
    wait_until_still,
)
from helpers import REACH_SPOT

from hedong_geo.layers import load_layers
from hedong_geo.mapdata import located
from hedong_geo.tour import load_tour
from hedong_geo.webmap import build_map

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

SITE = ("park.yijichuang", "park.yijichuang-industrial-parcel")  # two features, one site

# Records every reported click in window.__clicks.
_LISTEN = "() => { window.__clicks = []; HedongGeo.on('click', (id) => window.__clicks.push(id)); }"


@pytest.fixture(scope="module")
def layers():
    return load_layers()


@pytest.fixture(scope="module")
def map_url(tmp_path_factory: pytest.TempPathFactory, layers) -> Iterator[str]:
    root = tmp_path_factory.mktemp("reach")
    SHOTS.mkdir(exist_ok=True)
    with serve_maps(root, {lang: build_map(layers, lang=lang) for lang in ("zh", "en")}) as base:
        yield base


def _open(session: Session, url: str) -> Any:
    page = session.page
    page.goto(url)
    page.wait_for_function(MAP_READY)
    page.evaluate(_LISTEN)
    wait_until_still(page)
    return page


def _clicks(page: Any) -> list[str]:
    return page.evaluate("() => window.__clicks")


def _selected(page: Any) -> str | None:
    """The feature the map highlights (drawn in the pane on top of every feature)."""
    return page.evaluate(
        """() => { let drawn = false; HedongGeo.map.eachLayer((l) => {
          if (l.options.pane === 'hdSelected') drawn = true; });
          return drawn ? HedongGeo.highlighted : null; }"""
    )


def _close_popup(page: Any) -> None:
    """Close the chooser as a user would (once it has opened, if a click has one on its way)
    and wait until it has faded out."""
    page.wait_for_function("() => !HedongGeo.choosing")
    page.evaluate("() => { HedongGeo.map.closePopup(); }")
    page.wait_for_function("() => !document.querySelector('.leaflet-popup')")


def _chooser_ids(page: Any) -> list[str]:
    buttons = page.locator(".hd-chooser button")
    return [buttons.nth(i).get_attribute("data-feature") for i in range(buttons.count())]


def test_every_located_feature_opens_with_a_mouse_click(desk: Session, map_url: str, layers):
    page = _open(desk, f"{map_url}/zh.html")
    drawn = page.evaluate(
        "() => [...new Set(HedongGeo.entries.filter((e) => e.layer._map)"
        ".map((e) => e.f.properties.id))]"
    )
    expected = {
        fid
        for name, gdf in layers.layers.items()
        for fid in located(gdf)["id"]
        if name != "context" or fid in drawn  # context: its reference points are clickable
    }
    assert expected <= set(drawn), sorted(expected - set(drawn))
    via_chooser = []
    for fid in sorted(expected):
        _close_popup(page)
        wait_until_still(page)
        spot = page.evaluate(REACH_SPOT, fid)
        assert spot, f"no point of the map reaches {fid}"
        before = len(_clicks(page))
        page.mouse.click(spot[0], spot[1])
        page.wait_for_function("(n) => window.__clicks.length > n", arg=before)
        if _clicks(page)[-1] != fid:
            via_chooser.append(fid)
            button = page.locator(f".hd-chooser button[data-feature='{fid}']")
            offered = _chooser_ids(page)
            expect(button, f"{fid}: clicked {_clicks(page)[-1]}, offered {offered}").to_be_visible()
            box = button.bounding_box()
            assert box["height"] >= 43.9, box  # 44 px, up to rounding
            button.click()
            page.wait_for_function("(id) => window.__clicks.at(-1) === id", arg=fid)
            expect(page.locator(".hd-chooser")).to_have_count(0)
    assert len(via_chooser) < len(expected)
    assert not desk.errors, desk.errors
    desk.assert_local()


def test_stacked_features_are_offered_each_and_spread_when_zoomed(desk: Session, map_url: str):
    page = _open(desk, f"{map_url}/zh.html")
    # At the opening view the two features of one site lie on one spot: the click offers each,
    # with the areas and the 街道 zone under it, the one under the pointer first.
    centre = page.evaluate(
        """(id) => { let p = null; HedongGeo.entries.find((e) => e.f.properties.id === id).layer
          .eachLayer((l) => { if (!(l instanceof L.Circle)) p = l._point; });
          const c = HedongGeo.map.layerPointToContainerPoint(p); return [c.x, c.y]; }""",
        SITE[0],
    )
    page.mouse.click(*centre)
    expect(page.locator(".hd-chooser")).to_be_visible()
    ids = _chooser_ids(page)
    assert set(SITE) <= set(ids), ids
    assert ids[0] in SITE
    assert any(i.startswith("street.") for i in ids) and "park.jinmao" in ids, ids
    expect(page.locator(".hd-chooser")).to_contain_text("城市更新片区与地块")
    expect(page.locator(".hd-chooser")).to_contain_text("街道（近似范围")
    page.locator(f".hd-chooser button[data-feature='{SITE[1]}']").click()
    page.wait_for_function("(id) => window.__clicks.at(-1) === id", arg=SITE[1])
    # Zoomed in, the two markers stand apart and each is clicked directly.
    page.evaluate(
        """(id) => { const e = HedongGeo.entries.find((x) => x.f.properties.id === id);
        HedongGeo.map.setView(e.layer.getBounds().getCenter(), 16, {animate: false}); }""",
        SITE[0],
    )
    wait_until_still(page)
    apart = page.evaluate(
        """(ids) => { const pts = ids.map((id) => {
          let p = null; HedongGeo.entries.find((e) => e.f.properties.id === id).layer
            .eachLayer((l) => { if (!(l instanceof L.Circle)) p = l._point; });
          return p; });
          return pts[0].distanceTo(pts[1]); }""",
        list(SITE),
    )
    assert apart >= 20, apart
    for fid in SITE:
        spot = page.evaluate(REACH_SPOT, fid)
        assert spot and spot[2], fid
        page.mouse.click(spot[0], spot[1])
        page.wait_for_function("(id) => window.__clicks.at(-1) === id", arg=fid)
    page.screenshot(path=str(SHOTS / "reach-spread-1440.png"))
    assert not desk.errors, desk.errors


def test_accuracy_circles_take_no_clicks_and_the_selection_is_on_top(desk: Session, map_url: str):
    page = _open(desk, f"{map_url}/zh.html")
    # Half way out in 大直沽's 1 km circle: the circle is not hit, not even by the hit test.
    inside = page.evaluate(
        """() => { const e = HedongGeo.entries.find((x) => x.f.properties.id === 'belt.dazhigu');
        const c = e.layer.getBounds().getCenter();
        const at = L.latLng(c.lat + 0.5 * e.f.properties.r / 111320, c.lng);
        const hits = HedongGeo.hitTest(at, null).map((h) => h.f.properties.id);
        const pt = HedongGeo.map.latLngToContainerPoint(at);
        const under = HedongGeo.shapeAt([pt.x, pt.y]);
        const circle = under instanceof L.Circle;
        const drawn = e.layer.getLayers().some((l) => l instanceof L.Circle
                                                     && l.options.dashArray === '3 5');
        return {hits, circle, drawn}; }"""
    )
    assert inside["drawn"], inside  # the dashed circle is there, and takes no click
    assert "belt.dazhigu" not in inside["hits"] and not inside["circle"], inside
    page.evaluate("() => HedongGeo.select('belt.dazhigu')")
    panes = page.evaluate(
        """() => { const out = []; HedongGeo.map.eachLayer((l) => {
          const marker = l instanceof L.CircleMarker && !(l instanceof L.Circle);
          if (l.options.pane === 'hdSelected' && marker)
            out.push(l.options.fill === false ? 'ring' : 'marker'); });
          return out.sort(); }"""
    )
    assert panes == ["marker", "ring"], panes


def test_legend_counts_by_status_and_group(desk: Session, map_url: str, layers):
    page = _open(desk, f"{map_url}/zh.html")
    legend = page.locator(".hd-legend")
    painted = sum(
        len(located(gdf))
        for name, gdf in layers.layers.items()
        if name not in ("context", "streets")
    )
    counts = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.hd-legend [data-count]')]
          .map((r) => [r.getAttribute('data-count'), +r.getAttribute('data-n')]))"""
    )
    assert sum(n for k, n in counts.items() if k.startswith("status:")) == painted, counts
    assert sum(n for k, n in counts.items() if k.startswith("group:")) == painted, counts
    # The app colours by status through the bridge: the legend follows and shows the counts.
    page.evaluate("() => HedongGeo.colourBy('status')")
    assert "hd-status-colours" in legend.get_attribute("class")
    expect(legend.locator("[data-count='status:planned'] .hd-count")).to_be_visible()
    expect(legend.locator("[data-count='status:planned']")).to_contain_text(
        f"({counts['status:planned']})"
    )
    assert legend.locator("input[value=status]").is_checked()
    page.screenshot(path=str(SHOTS / "reach-status-1440.png"))


def test_unlocated_places_listed_and_picked(phone: Session, map_url: str, layers):
    page = _open(phone, f"{map_url}/zh.html")
    unlocated = [
        row
        for name, gdf in layers.layers.items()
        if name not in ("context", "streets")
        for row in gdf.itertuples()
        if row.geometry is None or row.geometry.is_empty
    ]
    toggle = page.locator(".hd-unlocated-toggle")
    expect(toggle).to_have_text(f"{len(unlocated)} 处尚未定位")
    assert toggle.bounding_box()["height"] >= 43.9
    toggle.click()
    items = page.locator(".hd-unlocated-list button")
    expect(items).to_have_count(len(unlocated))
    panel = page.locator(".hd-unlocated-panel").bounding_box()
    assert panel["x"] >= 0 and panel["x"] + panel["width"] <= 390, panel
    page.screenshot(path=str(SHOTS / "reach-unlocated-390.png"))
    # A place the text ties to a zone: listed with its zone; picking it reports the place and
    # draws the zone.
    item = items.filter(has_text="华勘集团总部")
    expect(item).to_contain_text("在 金贸产业园东北片区")
    item.click()
    page.wait_for_function("() => window.__clicks.at(-1) === 'park.huakan-hq'")
    expect(page.locator(".hd-unlocated-panel")).to_be_hidden()
    assert _selected(page) == "park.quadrant.ne"
    wait_until_still(page)
    page.screenshot(path=str(SHOTS / "reach-unlocated-pick-390.png"))
    assert not phone.errors, phone.errors


def _tour_at_rest(page: Any, step: int) -> None:
    page.wait_for_function(
        "(i) => { const c = document.querySelector('.hd-tour-card');"
        " return !c.hidden && c.dataset.step === String(i) && !c.hasAttribute('data-flying'); }",
        arg=step,
    )
    wait_until_still(page)


def _in_view(page: Any, fid: str) -> bool:
    return page.evaluate(
        """(id) => { const e = HedongGeo.entries.find((x) => x.f.properties.id === id);
        return HedongGeo.map.getBounds().contains(e.layer.getBounds().getCenter()); }""",
        fid,
    )


@pytest.mark.parametrize("size", [(390, 844), (1440, 900)])
def test_tour_opens_from_the_hash_and_steps_through(browser: Any, map_url: str, size) -> None:
    steps = load_tour()
    width, height = size
    with open_session(browser, width, height) as session:
        page = session.page
        page.goto(f"{map_url}/zh.html#tour=1")
        page.wait_for_function(MAP_READY)
        page.evaluate(_LISTEN)
        _tour_at_rest(page, 0)
        card = page.locator(".hd-tour-card")
        expect(card).to_contain_text(steps[0]["title"]["zh"])
        expect(card.locator("blockquote")).to_have_text(steps[0]["quote"])
        box = card.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, box
        for button in card.locator("button").all():
            assert button.bounding_box()["height"] >= 43.9
        page.screenshot(path=str(SHOTS / f"tour-step1-{width}.png"))
        for i, step in enumerate(steps[1:], start=1):
            card.locator(".hd-tour-next").click()
            _tour_at_rest(page, i)
            page.wait_for_function("(id) => window.__clicks.at(-1) === id", arg=step["feature"])
            expect(card.locator("h4")).to_have_text(step["title"]["zh"])
            assert _in_view(page, step["feature"]), step["feature"]
            assert _selected(page) == step["feature"]
        page.screenshot(path=str(SHOTS / f"tour-last-{width}.png"))
        card.locator(".hd-tour-prev").click()
        _tour_at_rest(page, len(steps) - 2)
        card.locator(".hd-close").click()
        expect(card).to_be_hidden()
        # Opened again from its button, in the map's language.
        page.locator(".hd-tour-start").click()
        _tour_at_rest(page, 0)
        assert not session.errors, session.errors
        session.assert_local()


def test_english_map_words(desk: Session, map_url: str) -> None:
    page = _open(desk, f"{map_url}/en.html")
    expect(page.locator(".hd-unlocated-toggle")).to_contain_text("places not yet located")
    expect(page.locator(".hd-tour-start")).to_have_text("Tour")
    page.locator(".hd-tour-start").click()
    _tour_at_rest(page, 0)
    expect(page.locator(".hd-tour-card")).to_contain_text("One station")
    expect(page.locator(".hd-tour-card figcaption")).to_contain_text("authoritative")
    page.screenshot(path=str(SHOTS / "tour-en-1440.png"))


def test_the_canvas_under_the_labels_is_hovered_and_clicked_through_the_one_over_it(
    desk: Session, map_url: str
):
    # A metro station of the context layer is drawn on the canvas under the basemap labels; the
    # canvas over them (the plan's areas, lines and points) covers the whole map and takes the
    # pointer's events, so it answers for the one below: the tooltip, the pointer, the click.
    page = _open(desk, f"{map_url}/zh.html")
    fid = "ref.dongxinglu_line_9"
    spot = page.evaluate(REACH_SPOT, fid)
    wait_until_still(page)
    spot = page.evaluate(REACH_SPOT, fid)  # after any fit REACH_SPOT made
    assert spot and spot[2], spot
    at = page.evaluate(
        """([x, y]) => { const r = HedongGeo.map.getContainer().getBoundingClientRect();
          const s = HedongGeo.shapeAt([x - r.left, y - r.top]);
          return s && [s.feature.properties.id, s.options.pane]; }""",
        spot[:2],
    )
    assert at == [fid, "hdContext"], at
    hover_until(page, spot[:2], page.locator(".hd-tooltip"))
    expect(page.locator(".hd-tooltip")).to_contain_text("东兴路")
    cursor = "() => getComputedStyle(document.querySelector('.leaflet-hdAreas-pane canvas')).cursor"
    page.wait_for_function(f"() => ({cursor})() === 'pointer'")
    before = len(_clicks(page))
    page.mouse.click(spot[0], spot[1])
    page.wait_for_function("(n) => window.__clicks.length > n", arg=before)
    assert _clicks(page)[-1] == fid
    assert not desk.errors, desk.errors
