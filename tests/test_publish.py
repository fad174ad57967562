"""The one-file HTML export and the static site: files, escaping, atomic writes, and in a real
browser (Debian's chromium via Playwright) from file:// and from a local http.server.

The browser tests share one chromium (conftest's ``browser``), each in its own context, and
every wait polls (``expect``, ``wait_for_function``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import (
    CLICKABLE,
    LOCAL_HOSTS,
    MAP_READY,
    Session,
    feature_point,
    fire,
    open_session,
    serve_folder,
    wait_until_still,
)

from hedong_geo._errors import ExportError, UnknownIdError, WriteError
from hedong_geo.cli import main
from hedong_geo.exports import export_html, publish_site
from hedong_geo.layers import load_layers
from hedong_geo.links import page_name
from hedong_geo.paths import LAYERS

try:
    from playwright.sync_api import expect
except ImportError:  # the browser tests skip (conftest's browser fixture); the others run
    expect = None

XSS = "<img src=x onerror=alert(1)>"
SE = "park.quadrant.se"
SE_TEXT = "以核理化院和国机集团天津电气院为核心"
SE_BLOCK = "blk-fyp-box1-r2"


class _Links(HTMLParser):
    """Every src/href attribute of the page's elements (not strings inside scripts)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]


def _links(page: str) -> list[str]:
    parser = _Links()
    parser.feed(page)
    return parser.urls


def _remote(urls: list[str]) -> list[str]:
    return [
        u
        for u in urls
        if (urlsplit(u).scheme in ("http", "https") and urlsplit(u).hostname not in LOCAL_HOSTS)
        or u.startswith("//")
    ]


def _data(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="hd-data">(.*?)</script>', page, re.S)
    assert m, "no embedded detail data"
    return json.loads(m.group(1))


@pytest.fixture(scope="module")
def small():
    return load_layers(Path(__file__).parent / "data" / "layers_small")


# --- unit -------------------------------------------------------------------------------------


def test_export_is_one_offline_file_with_every_detail(small, tmp_path):
    out = export_html(small, tmp_path / "map.html")
    assert out == tmp_path / "map.html"
    assert [p.name for p in tmp_path.iterdir()] == ["map.html"]
    page = out.read_text(encoding="utf-8")
    urls = _links(page)
    assert _remote(urls) == []
    # Nothing is loaded from anywhere: no script src, no stylesheet link.
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+stylesheet", page)
    assert 'name="viewport"' in page
    data = _data(page)
    for gdf in small.layers.values():
        for row in gdf.itertuples():
            assert row.id in data["details"], row.id
            if row.geometry is not None:
                assert row.id in data["bounds"]
    zone = data["details"]["station.zone.hedong"]
    assert "站产城融合发展格局" in zone and 'data-block="fyp.box2.r1"' in zone
    # No reader pages in one file: the block id is text, not a link.
    assert 'class="hd-bid"' in zone and "hd-block:" not in page


def test_export_escapes_data(small, tmp_path):
    page = export_html(small, tmp_path / "map.html").read_text(encoding="utf-8")
    assert XSS not in page
    assert "onerror=alert(1)&gt;" in _data(page)["details"]["renewal.xss"]
    assert "</script" not in json.dumps(_data(page))


def test_export_options_and_lang(small, tmp_path):
    out = export_html(small, tmp_path / "en.html", layers_shown=["renewal"], lang="en", feature=SE)
    page = out.read_text(encoding="utf-8")
    assert '<html lang="en">' in page
    data = _data(page)
    assert data["initial"] == SE
    assert "What the plan says" in data["details"][SE]
    assert "Not yet located" in data["details"]["unlocated.longtanlu"]


@pytest.mark.parametrize(
    ("kwargs", "error", "shown"),
    [
        ({"feature": "no.such"}, UnknownIdError, "'no.such'"),
        ({"layers_shown": ["nope"]}, UnknownIdError, "'nope'"),
        ({"lang": "fr"}, ExportError, "'fr'"),
    ],
)
def test_bad_requests_leave_nothing(small, tmp_path, kwargs, error, shown):
    with pytest.raises(error, match=shown):
        export_html(small, tmp_path / "map.html", **kwargs)
    site_kwargs = {k: v for k, v in kwargs.items() if k != "feature"}
    if site_kwargs:
        with pytest.raises(error, match=shown):
            publish_site(small, tmp_path / "site", **site_kwargs)
    assert list(tmp_path.iterdir()) == []


def test_unwritable_paths(small, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(WriteError, match=re.escape(repr(str(blocker / "site")))):
        publish_site(small, blocker / "site")
    with pytest.raises(WriteError, match="is a file"):
        publish_site(small, blocker)
    with pytest.raises(WriteError, match=re.escape(repr(str(blocker / "map.html")))):
        export_html(small, blocker / "map.html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_publish_writes_the_site(small, tmp_path):
    out = publish_site(small, tmp_path / "site")
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    expected = {
        "index.html",
        "plan/fyp.html",
        "plan/wr.html",
        "assets/site.css",
        "assets/site.js",
        "assets/hedong/hedong.js",
        "assets/vendor/leaflet/leaflet.js",
        "assets/vendor/leaflet/leaflet.css",
    }
    ids = [i for gdf in small.layers.values() for i in gdf["id"]]
    expected |= {f"features/{page_name(i)}" for i in ids}
    expected |= {f"data/{name}.geojson" for name in small.layers}
    assert expected <= names
    assert [p.name for p in tmp_path.iterdir()] == ["site"]  # no temporary folder left
    for rel in names:
        if rel.endswith(".html"):
            page = (out / rel).read_text(encoding="utf-8")
            assert _remote(_links(page)) == [], rel
            assert XSS not in page, rel
            assert 'name="viewport"' in page, rel
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'src="assets/vendor/leaflet/leaflet.js"' in index
    zone = "station.zone.hedong"
    assert 'href="plan/fyp.html#blk-fyp-box2-r1"' in _data(index)["details"][zone]
    fyp = (out / "plan" / "fyp.html").read_text(encoding="utf-8")
    assert 'id="blk-fyp-box2-r1"' in fyp
    assert f'href="../index.html#feature={SE}"' in fyp
    assert "?view=" not in fyp
    unlocated = (out / "features" / "unlocated.longtanlu.html").read_text(encoding="utf-8")
    assert "尚未定位" in unlocated
    xss = (out / "features" / "renewal.xss.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt;" in xss
    assert 'href="../index.html#feature=renewal.xss"' in xss
    geo = json.loads((out / "data" / "renewal.geojson").read_text(encoding="utf-8"))
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 2


def test_publish_replaces_only_after_success(small, tmp_path):
    out = tmp_path / "site"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(UnknownIdError):
        publish_site(small, out, layers_shown=["nope"])
    assert (out / "old.txt").exists()
    with pytest.raises(WriteError, match="holds files hedong-geo did not write"):
        publish_site(small, out, lang="en")
    assert (out / "old.txt").exists()
    publish_site(small, out, lang="en", force=True)
    assert not (out / "old.txt").exists()
    assert '<html lang="en">' in (out / "index.html").read_text(encoding="utf-8")
    assert "Not yet located" in (out / "features" / "unlocated.longtanlu.html").read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["site"]


def test_cli_export_html(tmp_path, capsys):
    small_dir = Path(__file__).parent / "data" / "layers_small"
    out = tmp_path / "map.html"
    argv = ["export", "--layers-dir", str(small_dir), "--format", "html", "--out", str(out)]
    assert main([*argv, "--feature", SE, "--layers", "renewal", "--lang", "en"]) == 0
    assert str(out) in capsys.readouterr().out
    assert _data(out.read_text(encoding="utf-8"))["initial"] == SE
    out.unlink()
    assert main([*argv, "--feature", "no.such"]) == 2
    assert "'no.such'" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


# --- browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The real layers published with the CLI (site/) and exported to one file (map.html)."""
    root = tmp_path_factory.mktemp("published")
    assert main(["publish", str(root / "site")]) == 0
    export_html(load_layers(LAYERS), root / "map.html")
    return root


@pytest.fixture(scope="module")
def server(built: Path) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 and a free port, serving ``built``."""
    with serve_folder(built) as base:
        yield base


def _url(kind: str, page: str, built: Path, request: pytest.FixtureRequest) -> str:
    if kind == "file":
        return (built / page).as_uri()
    return f"{request.getfixturevalue('server')}/{page}"


@contextmanager
def _open(browser, url: str, viewport: tuple[int, int] = (1000, 700)) -> Iterator[Session]:
    """The page at ``url``, once the map has drawn its features and stopped moving (the opening
    fit zooms with an animation: clicks aimed before it ends would miss)."""
    with open_session(browser, *viewport) as session:
        session.page.goto(url)
        session.page.wait_for_function(MAP_READY)
        wait_until_still(session.page)
        yield session


# A feature's shape that a click lands on somewhere on the map, not under a control or the
# panel: [x, y, id] (a grid scan).
_ANY_ON_TOP = """() => {
  const box = map_hedong.getContainer().getBoundingClientRect();
  for (let i = 2; i < 30; i++) for (let j = 2; j < 30; j++) {
    const x = box.width * i / 32, y = box.height * j / 32;
    const el = document.elementFromPoint(box.left + x, box.top + y);
    if (!el || !el.closest('.leaflet-map-pane')) continue;
    const shape = HedongGeo.shapeAt([x, y]);
    if (shape && shape.feature) return [box.left + x, box.top + y, shape.feature.properties.id];
  }
  return null;
}"""


def _click_feature(page, feature_id: str) -> None:
    """A real mouse click on the feature's path, zoomed to it (zones may be covered by the
    accuracy circles of the places inside them: then the click is fired through Leaflet)."""
    try:
        point = feature_point(page, feature_id)
    except LookupError:
        fire(page, feature_id)
    else:
        page.mouse.click(*point)


def _check(session: Session) -> None:
    session.assert_local()
    assert session.errors == []


@pytest.mark.browser
@pytest.mark.parametrize("kind", ["file", "http"])
@pytest.mark.parametrize("page_path", ["map.html", "site/index.html"])
def test_click_shows_passages(built, browser, request, kind, page_path):
    with _open(browser, _url(kind, page_path, built, request)) as session:
        page = session.page
        expect(page.locator(".leaflet-container")).to_be_visible()
        assert page.evaluate(CLICKABLE) > 20
        # A plain mouse click on whatever feature is on top somewhere opens that feature.
        hit = page.evaluate(_ANY_ON_TOP)
        assert hit, "no clickable feature on top anywhere"
        page.mouse.click(hit[0], hit[1])
        expect(page.locator("#hd-detail")).to_have_attribute("data-feature", hit[2])
        _click_feature(page, SE)
        detail = page.locator("#hd-detail")
        expect(detail).to_contain_text(SE_TEXT)
        expect(detail.locator("mark", has_text="东南片区")).not_to_have_count(0)
        expect(page.locator(".leaflet-hdSelected-pane path")).not_to_have_count(0)
    _check(session)


@pytest.mark.browser
@pytest.mark.parametrize("kind", ["file", "http"])
def test_site_links_map_and_passages_both_ways(built, browser, request, kind):
    with _open(browser, _url(kind, "site/index.html", built, request)) as session:
        page = session.page
        start_zoom = page.evaluate("map_hedong.getZoom()")
        _click_feature(page, SE)
        page.locator(f"#hd-detail a[href='plan/fyp.html#{SE_BLOCK}']").click()
        page.wait_for_url(re.compile(rf"/site/plan/fyp\.html#{SE_BLOCK}$"))
        block = page.locator(f"#{SE_BLOCK}")
        expect(block).to_contain_text(SE_TEXT)
        # Back from the passage to the map, opened and zoomed on the feature.
        block.locator(f"a.hd-place[data-feature='{SE}']").first.click()
        page.wait_for_url(re.compile(rf"/site/index\.html#feature={re.escape(SE)}$"))
        page.wait_for_function(MAP_READY)
        expect(page.locator("#hd-detail")).to_contain_text(SE_TEXT)
        wait_until_still(page)
        assert page.evaluate("map_hedong.getZoom()") > start_zoom
        # An unlocated place links to its feature page, which says so.
        page.goto(_url(kind, "site/plan/fyp.html", built, request))
        page.locator("a.hd-place[href^='../features/']").first.click()
        page.wait_for_url(re.compile(r"/site/features/[^/]+\.html$"))
        expect(page.locator("main")).to_contain_text("尚未定位")
    _check(session)


@pytest.mark.browser
def test_hostile_names_stay_text(small, tmp_path, browser):
    out = export_html(small, tmp_path / "small.html")
    with _open(browser, out.as_uri() + "#feature=renewal.xss") as session:
        page = session.page
        expect(page.locator("#hd-detail .hd-name")).to_contain_text(XSS)
        assert page.locator("img[src='x']").count() == 0
        page.evaluate("location.hash = '#feature=' + encodeURIComponent('<b>x</b>')")
        expect(page.locator("#hd-detail")).to_contain_text("<b>x</b>")
        assert page.locator("#hd-detail b").count() == 0
    _check(session)


@pytest.mark.browser
def test_readable_on_a_phone(built, browser):
    url = (built / "site" / "index.html").as_uri() + f"#feature={SE}"
    with _open(browser, url, viewport=(390, 844)) as session:
        page = session.page
        box = page.locator(".leaflet-container").bounding_box()
        panel = page.locator("#hd-panel").bounding_box()
        assert box["width"] == 390 and box["height"] > 300
        assert panel["y"] >= box["y"] + box["height"] - 1  # the panel is under the map
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.goto((built / "site" / "plan" / "fyp.html").as_uri() + f"#{SE_BLOCK}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _check(session)
