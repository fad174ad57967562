"""Links that work (issue 12): the address bar is the view, reload reproduces it, Back steps.

The app in Debian chromium: a view opened from a link keeps every part of the link (filters,
basemap, colouring, document, selection, the map's position); a reload gives the same view;
clicks on the map are history entries that Back and Forward step through one at a time; a bad
parameter is reported once and dropped from the address bar; a phone's drawer closes after a
pick and the vertical swipe over the map scrolls the page.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import (
    MAP_IFRAME,
    Session,
    feature_point,
    map_frame,
    open_session,
    settle,
    wait_until,
    wait_until_still,
)

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = pytest.mark.browser

PANEL = ".hd-mv-panel"


def until(check, what: str) -> None:
    """Poll ``check`` (Python side: the address bar, a panel attribute) until it holds."""
    wait_until(check, what, timeout=20)


def query(page) -> dict[str, str]:
    """The address bar's parameters (one value each)."""
    return {k: v[-1] for k, v in parse_qs(urlsplit(page.url).query).items()}


def shown_query(page, params: dict[str, str]) -> dict[str, str]:
    """The address bar's parameters; the map's position only when the link gave one (the
    map adds it as soon as it has moved)."""
    return {k: v for k, v in query(page).items() if k != "at" or "at" in params}


def panel_feature(page) -> str | None:
    return page.locator(PANEL).get_attribute("data-feature")


def wait_panel(page, feature_id: str) -> None:
    expect(page.locator(PANEL)).to_have_attribute("data-feature", feature_id)


# Views a link can name: each must come back whole after a reload.
VIEWS = [
    {"view": "map", "feature": "park.quadrant.se", "at": "39.0913,117.2815,14"},
    {"view": "map", "statuses": "planned", "colour": "status", "lang": "en"},
    {"view": "map", "layers": "renewal,jinmao_quadrants", "feature": "park.quadrant.ne"},
    {"view": "map", "bases": "derived,schematic", "docs": "fyp"},
    {"view": "reader", "doc": "wr"},
    {"view": "reader", "para": "fyp.box1.r2"},
    {"view": "projects", "categories": "zone"},
]


def _link(params: dict[str, str]) -> str:
    return "?" + "&".join(f"{k}={v}" for k, v in params.items())


@pytest.mark.parametrize("params", VIEWS, ids=lambda p: "-".join(f"{k}" for k in p))
def test_link_reload_reproduces_the_view(session: Session, app_url: str, params: dict) -> None:
    page = session.page
    page.goto(app_url + _link(params))
    if params["view"] == "map":
        frame = map_frame(page)
    settle(page)
    until(lambda: shown_query(page, params) == params, f"the address bar says {params}")
    assert not page.get_by_test_id("stAlert").count()
    for attempt in range(2):  # as opened, then after a reload
        if params["view"] == "map":
            frame = map_frame(page)
            if "feature" in params:
                wait_panel(page, params["feature"])
            if "at" in params:
                lat, lng, zoom = params["at"].split(",")
                view = frame.evaluate(
                    "() => { const c = HedongGeo.map.getCenter();"
                    " return [c.lat, c.lng, HedongGeo.map.getZoom()]; }"
                )
                assert abs(view[0] - float(lat)) < 1e-3 and abs(view[1] - float(lng)) < 1e-3
                assert view[2] == int(zoom)
            if params.get("colour") == "status":  # told to the map once it is ready
                frame.wait_for_function("() => HedongGeo.colouring === 'status'")
        if params.get("lang") == "en":
            expect(page.locator("h1", has_text="Hedong Planning Explorer")).to_be_visible()
        if "para" in params:
            expect(page.locator("#blk-" + params["para"].replace(".", "-"))).to_be_in_viewport()
        assert shown_query(page, params) == params
        if attempt == 0:
            page.reload()
            settle(page)
    session.assert_local()


def test_back_and_forward_step_one_view_at_a_time(session: Session, app_url: str) -> None:
    page = session.page
    page.goto(app_url)
    frame = map_frame(page)
    settle(page)
    first, second = "culture.hedong-stadium", "culture.tianfei-palace"
    for fid in (first, second):
        page.mouse.click(*feature_point(frame, fid, zoom=False))
        wait_panel(page, fid)
        expect(page).to_have_url(re.compile(rf"feature={re.escape(fid)}"))
        settle(page)
    page.go_back()
    expect(page).to_have_url(re.compile(rf"feature={re.escape(first)}"))
    wait_panel(page, first)
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"feature="))
    until(lambda: panel_feature(page) is None, "the panel shows no feature")
    page.go_forward()
    expect(page).to_have_url(re.compile(rf"feature={re.escape(first)}"))
    wait_panel(page, first)
    assert not frame.is_detached()  # stepping through history never rebuilt the map
    session.assert_local()


def test_bad_parameter_is_reported_once_and_dropped(session: Session, app_url: str) -> None:
    page = session.page
    page.goto(app_url + "?view=map&statuses=planned,nonsense&colour=purple")
    map_frame(page)
    settle(page)
    expect(page.get_by_test_id("stAlert")).to_have_count(2)
    want = {"view": "map", "statuses": "planned"}
    until(lambda: shown_query(page, want) == want, "bad values dropped")
    page.reload()
    map_frame(page)
    settle(page)
    expect(page.get_by_test_id("stAlert")).to_have_count(0)


def test_copy_link_copies_the_absolute_address(session: Session, app_url: str) -> None:
    page = session.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(app_url + "?view=map&feature=park.quadrant.se")
    frame = map_frame(page)
    settle(page)
    wait_until_still(frame, frames=10)  # the flight to the feature has ended: the address is final
    page.get_by_role("button", name="复制链接").click()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == page.url and copied.startswith("http://127.0.0.1:")


def test_phone_swipe_scrolls_the_page_and_the_drawer_closes(browser, app_url: str) -> None:
    with open_session(
        browser, 390, 844, device_scale_factor=2, is_mobile=True, has_touch=True
    ) as phone:
        page = phone.page
        page.goto(app_url)
        frame = map_frame(page)
        settle(page)
        # One finger on the map scrolls the page (two move the map: Leaflet.GestureHandling).
        assert frame.evaluate("() => HedongGeo.map.gestureHandling.enabled()")
        box = page.locator(MAP_IFRAME).bounding_box()
        assert box["width"] <= 390
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, width
        # The search drawer: a pick closes it and the answer is in view.
        page.get_by_test_id("stExpandSidebarButton").click()
        search = page.get_by_role("searchbox", name=re.compile("搜索"))
        search.fill("一机床")
        page.get_by_role("button", name=re.compile("一机床")).first.click()
        until(
            lambda: (
                not page.get_by_test_id("stSidebar").is_visible()
                or page.get_by_test_id("stSidebar").bounding_box()["x"] < -100
            ),
            "the sidebar drawer closed after the pick",
        )
        expect(page.locator(PANEL)).to_have_attribute("data-feature", re.compile(r"\S"))
        phone.assert_local()
