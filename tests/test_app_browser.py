"""The app end to end in Debian's chromium (Playwright): map, clicks, reader links, language,
phone layout, escaping, no remount on click, and nothing fetched from outside the machine.

Each module-scoped fixture starts ``streamlit run app.py`` on a free port and stops it after.
Every wait in the browser polls for what the test needs (``expect``, ``wait_for_function``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import CHROMIUM_ARGS, LOCAL_HOSTS

from hedong_geo.assets import served_url

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SHOTS = Path("/tmp/hedong-geo-shots")
SE = "park.quadrant.se"
SE_PASSAGE = "以核理化院和国机集团天津电气院为核心"
STATION_ZONE = "station.zone.whole"  # an area the mouse can reach at the opening view
STATION_ZONE_NAME = "天津站站产城融合发展片区（全域，河东·和平·河北）"
XSS = "<img src=x onerror=alert(1)>"
XSS_FEATURE = "park.yijichuang"  # in renewal.geojson
XSS_MOUSE_FEATURE = "culture.wanda-plaza"  # a point the mouse can reach at the opening view
TIMEOUT = 30_000


# --- the app server -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(env: dict[str, str] | None = None, log: Path | None = None) -> Iterator[str]:
    """``streamlit run app.py`` on a free port; yields its URL once /_stcore/health answers."""
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
    ]
    full_env = {**os.environ, **(env or {})}
    out = open(log or os.devnull, "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {proc.returncode}; see {log}")
            try:
                with urllib.request.urlopen(url + "_stcore/health", timeout=2) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not answer on {url} within 60 s")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        out.close()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("app") / "streamlit.log"
    env = {"HEDONG_GEO_LAYERS_DIR": ""}
    with serve(env, log) as url:
        yield url


@pytest.fixture(scope="module")
def xss_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app over a copy of the layers where one feature is named with HTML."""
    folder = tmp_path_factory.mktemp("xss")
    layers = folder / "layers"
    shutil.copytree(ROOT / "layers", layers)
    for name, fid in (("renewal", XSS_FEATURE), ("consumption_culture", XSS_MOUSE_FEATURE)):
        path = layers / f"{name}.geojson"
        data = json.loads(path.read_text(encoding="utf-8"))
        (feature,) = [f for f in data["features"] if f["properties"]["id"] == fid]
        feature["properties"]["name_zh"] = feature["properties"]["name_en"] = XSS
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with serve({"HEDONG_GEO_LAYERS_DIR": str(layers)}, folder / "streamlit.log") as url:
        yield url


# --- the browser --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _playwright() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def _browsers(_playwright) -> Iterator[dict]:
    launched: dict = {}
    yield launched
    for browser in launched.values():
        browser.close()


@pytest.fixture
def browser(chromium_path: str, _playwright, _browsers: dict):
    if chromium_path not in _browsers:
        _browsers[chromium_path] = _playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS
        )
    return _browsers[chromium_path]


@dataclass
class Session:
    """A page and everything it asked for: request URLs, dialogs, page errors."""

    page: object
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def outside(self) -> list[str]:
        """Requests to anything but this machine (data:, blob:, about: are fine)."""
        bad = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob", "about"):
                continue
            if parts.scheme not in ("http", "https", "ws", "wss") or (
                parts.hostname not in LOCAL_HOSTS
            ):
                bad.append(url)
        return bad


def _open(browser, width: int = 1400, height: int = 1000, **kwargs) -> Iterator[Session]:
    context = browser.new_context(viewport={"width": width, "height": height}, **kwargs)
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    session = Session(page)
    page.on("request", lambda r: session.requests.append(r.url))
    page.on("websocket", lambda ws: session.requests.append(ws.url))
    page.on("pageerror", lambda e: session.errors.append(str(e)))

    def on_dialog(dialog) -> None:
        session.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        yield session
    finally:
        context.close()


@pytest.fixture
def session(browser) -> Iterator[Session]:
    yield from _open(browser)


@pytest.fixture
def phone(browser) -> Iterator[Session]:
    yield from _open(browser, 390, 844, device_scale_factor=2, is_mobile=True, has_touch=True)


# --- helpers ------------------------------------------------------------------------------------


MAP_IFRAME = "iframe[title='streamlit_folium.st_folium']"
# The component has drawn its Leaflet map, with our helpers, and a first clickable shape.
MAP_READY = """() => !!(window.map && window.map._loaded && window.HedongGeo
  && HedongGeo.map === window.map
  && document.querySelector('.leaflet-container path.leaflet-interactive'))"""

# The map is neither zooming nor panning.
MAP_STILL = """() => !window.map._animatingZoom
  && !(window.map._panAnim && window.map._panAnim._inProgress)"""


def map_frame(page):
    """The streamlit-folium iframe once its Leaflet map is drawn.

    Streamlit may replace the iframe while the first runs settle, so the wait is made on the
    iframe there is now, in short polls, until the deadline."""
    iframe = page.locator(MAP_IFRAME)
    deadline = time.monotonic() + TIMEOUT / 1000
    while True:
        expect(iframe).to_have_count(1, timeout=TIMEOUT)
        frame = iframe.element_handle().content_frame()
        try:
            if frame is not None:
                frame.wait_for_function(MAP_READY, timeout=2_000)
                return frame
        except playwright_api.Error:  # not drawn yet, or this iframe was replaced
            pass
        if time.monotonic() > deadline:
            raise AssertionError("no Leaflet map in the streamlit-folium iframe")


# A point of the frame where the feature's own SVG path is the topmost element, or null. With
# zoom=true and no such point (off screen, under the legend or another feature), the map first
# zooms to the feature as a user would, without animation.
_FIND_PATH = """([id, zoom]) => {
  let target = null;
  window.map.eachLayer((l) => {
    if (l._path && l.options.interactive && l.feature && l.feature.properties.id === id) {
      target = l;
    }
  });
  if (!target) return null;
  const find = () => {
    const box = target._path.getBoundingClientRect();
    for (let i = 1; i < 24; i++) for (let j = 1; j < 24; j++) {
      const x = box.left + (box.width * i) / 24, y = box.top + (box.height * j) / 24;
      if (document.elementFromPoint(x, y) === target._path) return [x, y];
    }
    return null;
  };
  const found = find();
  if (found || !zoom) return found;
  const bounds = target.getBounds ? target.getBounds() : L.latLngBounds([target.getLatLng()]);
  window.map.fitBounds(bounds, {animate: false, maxZoom: 16, paddingTopLeft: [40, 40],
                                paddingBottomRight: [260, 40]});
  return find();
}"""


def feature_point(page, frame, feature_id: str, zoom: bool = True) -> tuple[float, float]:
    """Page coordinates of a point on the feature's shape, clickable by the real mouse."""
    frame.frame_element().scroll_into_view_if_needed()
    frame.wait_for_function(MAP_STILL)  # a point found while the map moves would be missed
    xy = frame.evaluate(_FIND_PATH, [feature_id, zoom])
    assert xy, f"{feature_id} is not visible on the map"
    box = frame.frame_element().bounding_box()
    return box["x"] + xy[0], box["y"] + xy[1]


# Leaflet's own event on the feature's layer, as the mouse would give (propagates to its group).
_FIRE = """([id, type]) => {
  let target = null;
  window.map.eachLayer((l) => {
    if (l._path && l.options.interactive && l.feature && l.feature.properties.id === id) {
      target = l;
    }
  });
  const at = target.getBounds ? target.getBounds().getCenter() : target.getLatLng();
  target.fire(type, {latlng: at, originalEvent: new MouseEvent(type)}, true);
}"""


def click_feature(page, frame, feature_id: str, mouse: bool = True) -> None:
    """Click the feature with the mouse; with mouse=False fire Leaflet's click on its layer
    (for a feature the mouse cannot reach, see test_quadrant_is_clickable_with_the_mouse)."""
    if mouse:
        page.mouse.click(*feature_point(page, frame, feature_id))
    else:
        frame.evaluate(_FIRE, [feature_id, "click"])


def hover_feature(page, frame, feature_id: str, mouse: bool = True) -> None:
    """Move the mouse onto the feature, or fire Leaflet's mouseover on its layer."""
    if mouse:
        page.mouse.move(*feature_point(page, frame, feature_id))
    else:
        frame.evaluate(_FIRE, [feature_id, "mouseover"])


def passage(page, text: str):
    return page.locator(".hd-passage", has_text=text)


def settle(page) -> None:
    """Wait until Streamlit has finished running the script (call it once what the test waits
    for is on the page: a rerun that has not started yet is not waited for)."""
    app = page.get_by_test_id("stApp")
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=TIMEOUT)


def assert_local(session: Session) -> None:
    assert session.requests, "no requests recorded"
    assert not session.outside(), session.outside()
    assert not session.dialogs, session.dialogs


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
    assert_local(session)
    assert not session.errors, session.errors


def test_click_shows_passage_without_remounting_the_map(session: Session, app_url: str) -> None:
    page = session.page
    page.goto(app_url)
    frame = map_frame(page)
    settle(page)
    frame.evaluate("() => { window.__marker = 1; window.map.__marker = 1; }")
    # The SE quadrant: Leaflet's click on its layer (the mouse cannot reach it, see below).
    click_feature(page, frame, SE, mouse=False)
    expect(passage(page, SE_PASSAGE)).to_be_visible()
    expect(page.get_by_role("heading", name="金贸产业园东南片区")).to_be_visible()
    expect(page).to_have_url(re.compile(r"feature=park\.quadrant\.se"))
    settle(page)
    # Same iframe, same Leaflet map: the rerun did not rebuild the component.
    assert len([f for f in page.frames if "streamlit_folium" in f.url]) == 1
    assert not frame.is_detached()
    assert frame.evaluate("() => [window.__marker, window.map.__marker]") == [1, 1]
    # A real mouse click on another area still keeps the map.
    click_feature(page, frame, STATION_ZONE)
    expect(page.get_by_role("heading", name=STATION_ZONE_NAME)).to_be_visible()
    expect(page).to_have_url(re.compile(r"feature=station\.zone\.whole"))
    settle(page)
    assert frame.evaluate("() => [window.__marker, window.map.__marker]") == [1, 1]
    expect(passage(page, SE_PASSAGE)).to_have_count(0)
    assert len([f for f in page.frames if "streamlit_folium" in f.url]) == 1
    assert_local(session)


def test_quadrants_are_clickable_with_the_mouse(session: Session, app_url: str) -> None:
    page = session.page
    page.goto(app_url)
    frame = map_frame(page)
    settle(page)
    for quadrant in ("ne", "nw", "se", "sw"):
        assert frame.evaluate(_FIND_PATH, [f"park.quadrant.{quadrant}", False]), quadrant
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
    assert_local(session)


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
    assert_local(session)


def test_phone_layout(phone: Session, app_url: str) -> None:
    page = phone.page
    page.goto(app_url + f"?feature={SE}")
    frame = map_frame(page)
    settle(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "phone-top.png"))
    page.screenshot(path=str(SHOTS / "phone-full.png"), full_page=True)
    iframe = frame.frame_element()
    iframe.scroll_into_view_if_needed()
    expect(page.locator("iframe[title='streamlit_folium.st_folium']")).to_be_visible()
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
    assert_local(phone)


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
        hover_feature(page, frame, fid, mouse=mouse)
        tooltip = frame.locator(".hd-tooltip", has_text=XSS)
        expect(tooltip.first).to_be_visible()
        assert frame.locator(".hd-tooltip img").count() == 0
        if not mouse:
            frame.evaluate(_FIRE, [fid, "mouseout"])
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
    assert_local(session)
