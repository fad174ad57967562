"""What the plan says, in the app in Debian's chromium: the panel's timeline and figures in
Chinese and English, colour by status from the legend, the 街道 names, a member's zone
highlighted, and the chooser where two features share a site. Screenshots of two panels at
desktop and phone sizes go to /tmp/hedong-geo-shots (for a person to look at).

Uses the app server, the browser, the pages and the app helpers of ``conftest``; every wait
polls.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from conftest import (
    DESK,
    PHONE,
    PHONE_DEVICE,
    SHOTS,
    Session,
    click_feature,
    map_frame,
    open_app_map,
    open_session,
    settle,
    wait_until_still,
)

from hedong_geo.styles import load_styles

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

PANELS = ("station.zone.hedong", "park.yijichuang")
# The selection highlight's shapes (HedongGeo.highlight draws into this pane).
HIGHLIGHT = ".leaflet-hdSelected-pane path"


@pytest.fixture(params=[DESK, PHONE], ids=["desktop", "phone"])
def sized(request, browser) -> Iterator[tuple[Session, str]]:
    width, height = request.param
    extra = PHONE_DEVICE if request.param == PHONE else {}
    with open_session(browser, width, height, **extra) as opened:
        yield opened, f"{width}x{height}"


@pytest.mark.parametrize("feature", PANELS)
def test_panel_screenshots(sized, app_url: str, feature: str) -> None:
    shot, size = sized
    page = shot.page
    page.goto(app_url + f"?feature={feature}")
    frame = map_frame(page)
    timeline = page.locator(".hd-timeline")
    expect(timeline).to_contain_text("2026 纲要")
    settle(page)
    wait_until_still(frame)  # the map has flown to the feature
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"page-{feature}-{size}.png"))
    # The panel as a reader scrolls through it: from its name, then from its passages.
    for part, selector in (("panel", ".hd-name"), ("passages", ".hd-passage")):
        page.locator(selector).first.evaluate("(e) => e.scrollIntoView({block: 'start'})")
        expect(page.locator(selector).first).to_be_in_viewport()
        page.screenshot(path=str(SHOTS / f"{part}-{feature}-{size}.png"))
    # Nothing wider than the screen, and the panel's text wraps inside it.
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width
    shot.assert_local()


@pytest.mark.parametrize(
    ("lang", "heading", "step", "figure"),
    [
        ("zh", "进展（各文件所述）", "2024 政府工作报告", "6.53 km²"),
        ("en", "Status as each document states it", "2024 Work Report", "(Hedong part)"),
    ],
)
def test_panel_timeline_and_figures(
    session: Session,
    app_url: str,
    lang: str,
    heading: str,
    step: str,
    figure: str,
) -> None:
    page = session.page
    page.goto(app_url + f"?feature=station.zone.hedong&lang={lang}")
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    steps = page.locator(".hd-timeline li")
    expect(steps).to_have_count(2)
    expect(steps.first).to_contain_text(step)
    expect(page.locator(".hd-figures")).to_contain_text(figure)
    expect(page.locator(".hd-street")).to_contain_text("大王庄" if lang == "zh" else "Dawangzhuang")
    # A step links to its passage, shown in the panel with its stance (once the page's run is
    # over: a run ending after the click would draw the panel again at its top).
    settle(page)
    steps.nth(1).locator("a").click()
    cited = page.locator("#hd-cite-fyp-ch2-s4-p2")
    expect(cited).to_be_in_viewport()
    expect(cited.locator(".hd-stance-planned")).to_be_visible()
    members = page.locator(".hd-members a[data-feature='renewal.station-area']")
    expect(members).to_have_count(1)
    session.assert_local()


def test_colour_by_status_from_the_legend(session: Session, app_url: str) -> None:
    page = session.page
    frame = open_app_map(page, app_url + "?feature=park.quadrant.se")
    legend = frame.locator(".hd-legend")
    legend.locator("h4").click()
    expect(legend.locator(".hd-by-group")).to_be_visible()
    expect(legend.locator(".hd-by-status")).to_be_hidden()
    legend.get_by_label(re.compile("建设状态")).check()
    counts = legend.locator(".hd-by-status [data-status-count]")
    expect(counts.first).to_be_visible()
    assert (
        sum(int(n) for n in counts.evaluate_all("(els) => els.map((e) => e.dataset.statusCount)"))
        > 30
    )
    colour = load_styles()["statuses"]
    fill = """(id) => { let c = null; HedongGeo.map.eachLayer((l) => {
        if (l instanceof L.Path && l.feature && l.feature.properties.id === id
          && l.options.pane !== 'hdSelected') c = l.options.fillColor; });
        return c; }"""
    # The SE quadrant is planned or under way: its fill takes that status's colour.
    status = frame.evaluate(
        """(id) => { let s = null; HedongGeo.map.eachLayer((l) => {
        if (l.feature && l.feature.properties.id === id) s = l.feature.properties.s; });
        return s; }""",
        "park.quadrant.se",
    )
    frame.wait_for_function(f"() => ({fill})('park.quadrant.se') === {colour[status]['color']!r}")
    legend.get_by_label(re.compile("规划结构")).check()
    group = load_styles()["groups"]["park"]["color"]
    frame.wait_for_function(f"() => ({fill})('park.quadrant.se') === {group!r}")
    assert not session.errors, session.errors


def test_street_names_are_drawn_and_take_no_clicks(session: Session, app_url: str) -> None:
    page = session.page
    page.goto(app_url)
    frame = map_frame(page)
    # Drawn as basemap labels (js/labels.js): all 12 known to the map, those shown where they
    # fit in the page (a label not shown is off the map).
    streets = "() => HedongLabels.labels().filter((l) => l.cls === 'street')"
    frame.wait_for_function(f"() => ({streets})().some((l) => l.shown)")
    known = frame.evaluate(streets)
    assert len(known) == 12 and "二号桥街道" in {label["text"] for label in known}, known
    shown = sorted(label["text"] for label in known if label["shown"])
    texts = frame.locator(".hd-bm-street").all_text_contents()
    assert sorted(text.strip() for text in texts) == shown, (texts, shown)
    assert (
        frame.evaluate(
            "() => getComputedStyle(document.querySelector('.hd-bm-street')).pointerEvents"
        )
        == "none"
    )
    # The zones lie in their own pane, under the plan layers' areas.
    z = frame.evaluate(
        """() => [getComputedStyle(document.querySelector('.leaflet-hdStreets-pane')).zIndex,
                  getComputedStyle(document.querySelector('.leaflet-hdAreas-pane')).zIndex]"""
    )
    assert int(z[0]) < int(z[1]), z


def test_member_chosen_highlights_its_zone(session: Session, app_url: str) -> None:
    page = session.page
    page.goto(app_url + "?feature=park.huakan-hq")
    frame = map_frame(page)
    expect(page.get_by_role("heading", name="华勘集团总部")).to_be_visible()
    expect(page.locator(".hd-zone-note")).to_contain_text("金贸产业园东北片区")
    expect(frame.locator(HIGHLIGHT).first).to_be_attached()
    # The highlight is the quadrant's outline (the member itself is not drawn).
    assert (
        frame.evaluate(
            """() => { let hit = null; HedongGeo.map.eachLayer((l) => {
          if (l.options.pane === 'hdSelected' && l.feature) hit = l.feature.properties.id; });
          return hit; }"""
        )
        == "park.quadrant.ne"
    )


def test_same_site_click_offers_each(session: Session, app_url: str) -> None:
    page = session.page
    frame = open_app_map(page, app_url)
    click_feature(page, frame, "park.yijichuang", mouse=False)
    chooser = frame.locator(".hd-chooser")
    # Both features of the site, and the areas and the 街道 zone under them (pick.js).
    expect(chooser.locator("button[data-feature^='park.yijichuang']")).to_have_count(2)
    expect(chooser.locator("button[data-feature^='street.']").first).to_be_visible()
    expect(chooser).to_contain_text("一机床项目产业地块")
    expect(chooser).to_contain_text("城市更新片区与地块")
    chooser.locator("button[data-feature='park.yijichuang-industrial-parcel']").click()
    expect(page.get_by_role("heading", name="一机床项目产业地块")).to_be_visible()
    expect(page).to_have_url(re.compile(r"feature=park\.yijichuang-industrial-parcel"))
    expect(frame.locator(".hd-chooser")).to_have_count(0)
    assert not session.errors, session.errors
    session.assert_local()
