"""A layer file changes under an open page (issue 9 item 4), in Debian's chromium.

The app serves a copy of the layers (``HEDONG_GEO_LAYERS_DIR``). With the page open and a
feature selected, a layer file is cut short, as a half-finished write would leave it; a click on
a feature of that layer, still on the page's map, is then a stale click. The page must say which
file is broken and that the feature is gone, keep the map, let the other layers work, show no
exception; and once the file is whole again, the next run shows it again.
Every wait polls (Playwright ``expect`` and ``wait_for_function``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, click_feature, map_frame, passage, serve_app, settle

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

SE_PASSAGE = "以核理化院和国机集团天津电气院为核心"
BROKEN = "jinmao_quadrants.geojson"  # park.quadrant.se and .ne
OTHER, OTHER_NAME = "station.zone.whole", "天津站站产城融合发展片区（全域，河东·和平·河北）"


@pytest.fixture(scope="module")
def layers_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("changing") / "layers"
    shutil.copytree(ROOT / "layers", target)
    return target


@pytest.fixture(scope="module")
def app(layers_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("log") / "streamlit.log"
    with serve_app({"HEDONG_GEO_LAYERS_DIR": str(layers_copy)}, log) as url:
        yield url


@pytest.fixture
def page(session, app: str):
    """The app open in a page (conftest's ``session``); no page error by the end."""
    session.page.goto(app)
    yield session.page
    assert not session.errors, session.errors


def alerts(page, text: str):
    return page.get_by_test_id("stAlertContainer").filter(has_text=text)


def panel_name(page):
    return page.locator("h3.hd-name")


def test_a_layer_cut_short_under_an_open_page(page, layers_copy: Path) -> None:
    path = layers_copy / BROKEN
    whole = path.read_bytes()
    frame = map_frame(page)
    click_feature(page, frame, "park.quadrant.se", mouse=False)
    expect(passage(page, SE_PASSAGE)).to_be_visible()
    settle(page)

    # Half-written: the first 2,000 bytes of the file, then a click on the old map.
    path.write_bytes(whole[:2000])
    try:
        click_feature(page, frame, "park.quadrant.ne", mouse=False)
        expect(alerts(page, BROKEN)).to_have_count(1)  # the broken file is named, once
        expect(alerts(page, "park.quadrant.ne")).to_have_count(1)  # the stale click, once
        settle(page)
        expect(page.get_by_test_id("stException")).to_have_count(0)
        frame = map_frame(page)  # the map is still drawn, without the broken layer
        assert (
            frame.evaluate(
                "(id) => { let n = 0; HedongGeo.map.eachLayer((l) => { if (l.feature"
                " && l.feature.properties.id === id) n++; }); return n; }",
                "park.quadrant.se",
            )
            == 0
        )
        # The other layers still work.
        click_feature(page, frame, OTHER, mouse=False)
        expect(panel_name(page)).to_have_text(OTHER_NAME)
        settle(page)
        expect(alerts(page, BROKEN)).to_have_count(1)
    finally:
        path.write_bytes(whole)

    # Whole again: the next run reads it, the message goes and its features come back.
    page.goto(page.url.split("?")[0] + "?feature=park.quadrant.se")
    expect(passage(page, SE_PASSAGE)).to_be_visible()
    settle(page)
    expect(alerts(page, BROKEN)).to_have_count(0)
    frame = map_frame(page)
    click_feature(page, frame, OTHER, mouse=False)
    expect(panel_name(page)).to_have_text(OTHER_NAME)
    click_feature(page, frame, "park.quadrant.ne", mouse=False)
    expect(panel_name(page)).to_have_text("金贸产业园东北片区")
    expect(page.get_by_test_id("stException")).to_have_count(0)
