"""The app end to end in Debian's chromium (Playwright): map, clicks, reader links, language,
phone layout, escaping, no remount on click, and nothing fetched from outside the machine.

Each module-scoped server (conftest's ``app_url``, and ``xss_url`` here) runs ``streamlit run
app.py`` on a free port and stops it after.
Every wait in the browser polls for what the test needs (``expect``, ``wait_for_function``).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import (
    FEATURE_POINT,
    MAP_IFRAME,
    ROOT,
    SHOTS,
    Session,
    click_feature,
    edit_feature,
    fire,
    hover_feature,
    map_frame,
    open_app_map,
    passage,
    serve_app,
    settle,
    wait_until_still,
)

from hedong_geo.assets import served_url

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = pytest.mark.browser

APP = ROOT / "app.py"
SE = "park.quadrant.se"
SE_PASSAGE = "以核理化院和国机集团天津电气院为核心"
STATION_ZONE = "station.zone.whole"  # an area the mouse can reach at the opening view
STATION_ZONE_NAME = "天津站站产城融合发展片区（全域，河东·和平·河北）"
XSS = "<img src=x onerror=alert(1)>"
XSS_FEATURE = "park.yijichuang"  # in renewal.geojson
XSS_MOUSE_FEATURE = "culture.wanda-plaza"  # a point the mouse can reach at the opening view


# --- the app server (app_url, the browser and the pages: conftest) ------------------------------


@pytest.fixture(scope="module")
def xss_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app over a copy of the layers where one feature is named with HTML."""
    folder = tmp_path_factory.mktemp("xss")
    layers = folder / "layers"
    shutil.copytree(ROOT / "layers", layers)
    for name, fid in (("renewal", XSS_FEATURE), ("consumption_culture", XSS_MOUSE_FEATURE)):
        edit_feature(layers / f"{name}.geojson", fid, name_zh=XSS, name_en=XSS)
    env = {"HEDONG_GEO_LAYERS_DIR": str(layers)}
    with serve_app(env, folder / "streamlit.log", script=APP) as url:
        yield url


def _title_clear_of_header(page: Any) -> None:
    """The page's title starts below Streamlit's header, which is opaque and over the page."""
    header = page.locator("[data-testid=stHeader]").bounding_box()
    title = page.locator("h1").first.bounding_box()
    assert header and title and title["y"] >= header["y"] + header["height"], (header, title)


# --- tests --------------------------------------------------------------------------------------


def test_map_loads_offline(session: Session, app_url: str) -> None:
    page = session.page
    page.goto(app_url)
    frame = map_frame(page)
    expect(frame.locator(".leaflet-container")).to_be_visible()
    # Leaflet and our helpers come from the installed packages (assets.serve), not a CDN.
    assert any(served_url("vendor/leaflet/leaflet.js") in u for u in session.requests)
    assert frame.evaluate("() => typeof window.HedongGeo.layer") == "function"
    expect(page.locator("h1", has_text="河东区规划地图")).to_be_visible()
    settle(page)
    _title_clear_of_header(page)
    session.assert_local()
    assert not session.errors, session.errors


def test_click_shows_passage_without_remounting_the_map(session: Session, app_url: str) -> None:
    page = session.page
    frame = open_app_map(page, app_url)
    frame.evaluate("() => { window.__marker = 1; HedongGeo.map.__marker = 1; }")
    # The SE quadrant: Leaflet's click on its layer (the mouse cannot reach it, see below).
    click_feature(page, frame, SE, mouse=False)
    expect(passage(page, SE_PASSAGE)).to_be_visible()
    expect(page.get_by_role("heading", name="金贸产业园东南片区")).to_be_visible()
    expect(page).to_have_url(re.compile(r"feature=park\.quadrant\.se"))
    settle(page)
    # Same iframe, same Leaflet map: the rerun did not rebuild the component.
    assert len([f for f in page.frames if "/map-" in f.url]) == 1
    assert not frame.is_detached()
    assert frame.evaluate("() => [window.__marker, HedongGeo.map.__marker]") == [1, 1]
    # A real mouse click on another area still keeps the map.
    click_feature(page, frame, STATION_ZONE)
    expect(page.get_by_role("heading", name=STATION_ZONE_NAME)).to_be_visible()
    expect(page).to_have_url(re.compile(r"feature=station\.zone\.whole"))
    settle(page)
    assert frame.evaluate("() => [window.__marker, HedongGeo.map.__marker]") == [1, 1]
    expect(passage(page, SE_PASSAGE)).to_have_count(0)
    assert len([f for f in page.frames if "/map-" in f.url]) == 1
    session.assert_local()


def test_quadrants_are_clickable_with_the_mouse(session: Session, app_url: str) -> None:
    page = session.page
    frame = open_app_map(page, app_url)
    wait_until_still(frame)  # a point looked for while the map moves would be missed
    for quadrant in ("ne", "nw", "se", "sw"):
        assert frame.evaluate(FEATURE_POINT, [f"park.quadrant.{quadrant}", False]), quadrant
    click_feature(page, frame, SE, mouse=True)
    expect(passage(page, SE_PASSAGE)).to_be_visible(timeout=5000)
    # The legend opens from its title and does not hide the park until asked.
    legend = frame.locator(".hd-legend")
    expect(legend).to_have_class(re.compile(r"\bhd-collapsed\b"))
    legend.locator("h4").click()
    expect(legend).not_to_have_class(re.compile(r"\bhd-collapsed\b"))
    expect(legend.get_by_text("示意范围（虚线）")).to_be_visible()


def test_para_opens_the_reader_at_the_block(session: Session, app_url: str) -> None:
    page = session.page
    page.goto(app_url + "?para=fyp.box1.r2")
    block = page.locator("#blk-fyp-box1-r2")
    expect(block).to_have_class(re.compile(r"\bhd-hit\b"))
    expect(block).to_be_in_viewport()
    expect(page).to_have_url(re.compile(r"view=reader"))
    link = block.locator("a.hd-place").first
    feature = link.get_attribute("data-feature")
    assert feature and link.get_attribute("href") == f"?view=map&feature={feature}"
    link.click()
    expect(page).to_have_url(re.compile(rf"view=map&feature={re.escape(feature)}"))
    map_frame(page)
    expect(page.locator("h3", has_text=re.compile(r"\S"))).not_to_have_count(0)
    expect(page.get_by_test_id("stAlert")).to_have_count(0)
    session.assert_local()


def test_lang_en_switches_the_ui(session: Session, app_url: str) -> None:
    page = session.page
    page.goto(app_url + f"?lang=en&feature={SE}")
    expect(page.locator("h1", has_text="Hedong Planning Explorer")).to_be_visible()
    expect(page.get_by_role("heading", name="Jinmao park, south-east quadrant")).to_be_visible()
    expect(page.get_by_text("What the plan says")).to_be_visible()
    frame = map_frame(page)
    expect(frame.locator(".hd-legend h4")).to_have_text("Legend")
    # And back to Chinese with the sidebar radio, kept in the URL.
    page.get_by_text("中文", exact=True).click()
    expect(page.locator("h1", has_text="河东区规划地图")).to_be_visible()
    expect(page).not_to_have_url(re.compile("lang=en"))
    session.assert_local()


def test_phone_layout(phone: Session, app_url: str) -> None:
    page = phone.page
    frame = open_app_map(page, app_url + f"?feature={SE}")
    # The pictures show the map as a person sees it: fitted to the feature and drawn.
    wait_until_still(frame, frames=10)
    frame.wait_for_function("() => HedongGeo.drawn()")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "phone-top.png"))
    _title_clear_of_header(page)
    page.screenshot(path=str(SHOTS / "phone-full.png"), full_page=True)
    iframe = frame.frame_element()
    iframe.scroll_into_view_if_needed()
    expect(page.locator(MAP_IFRAME)).to_be_visible()
    box = iframe.bounding_box()
    assert box["width"] <= 390 and box["width"] > 300 and box["height"] >= 300, box
    expect(frame.locator(".leaflet-container")).to_be_visible()
    text = passage(page, SE_PASSAGE)
    text.scroll_into_view_if_needed()
    expect(text).to_be_in_viewport()
    # The columns stack: the panel is below the map, and nothing is wider than the screen.
    assert text.bounding_box()["y"] > box["y"]
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, width
    page.screenshot(path=str(SHOTS / "phone-panel.png"))
    phone.assert_local()


def test_data_text_is_escaped(session: Session, xss_url: str) -> None:
    page = session.page
    page.goto(xss_url + f"?feature={XSS_FEATURE}")
    frame = map_frame(page)
    heading = page.get_by_role("heading", name=XSS)
    expect(heading).to_be_visible()
    settle(page)
    # Tooltips put the name into innerHTML: it must arrive escaped. The renewal feature is under
    # other features' accuracy circles, so Leaflet's mouseover; the mall with the real mouse.
    for fid, mouse in ((XSS_FEATURE, False), (XSS_MOUSE_FEATURE, True)):
        tooltip = frame.locator(".hd-tooltip", has_text=XSS)
        hover_feature(page, frame, fid, mouse=mouse, shown=tooltip)
        expect(tooltip.first).to_be_visible()
        assert frame.locator(".hd-tooltip img").count() == 0
        if not mouse:
            fire(frame, fid, "mouseout")
        click_feature(page, frame, fid, mouse=mouse)
        expect(page).to_have_url(re.compile(rf"feature={re.escape(fid)}"))
        expect(heading).to_be_visible()
        settle(page)
    # The projects table and the search list show it too.
    page.goto(xss_url + "?view=projects")
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    search = page.get_by_label("搜索地点或规划原文")
    search.fill("onerror")
    search.press("Enter")
    expect(page.get_by_role("button", name=XSS).first).to_be_visible()
    settle(page)
    for where in page.frames:
        assert where.locator("img[src='x']").count() == 0
    assert not session.dialogs, session.dialogs
    session.assert_local()
