"""Shared fixtures and helpers: Debian tools, a free port, the app server, chromium, the map.

The helpers live in ``tests/helpers.py`` (plain Python, which the benchmarks import too) and
are imported from here, so a test writes ``from conftest import serve_app``. What needs pytest
is here: tests that need a Debian package skip with a message on machines without it, and fail
in CI (.ci/run sets HEDONG_GEO_REQUIRE_BROWSER / HEDONG_GEO_REQUIRE_GDAL, see
hedong_geo.settings), and the fixtures.

The browser tests share: ``browser`` (chromium, one a module), pages at a size (``session`` at
the default 1400×1000, ``desk`` at 1440×900, ``phone`` as a 390×844 phone), ``app_url`` (the app
over the built-in layers, one server a module), ``small_layers`` (the small fixture layers with
a context layer), and the app's :func:`open_app_map`, :func:`click_feature`,
:func:`hover_feature`, :func:`passage`.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

pytest.register_assert_rewrite("helpers")

import helpers  # noqa: E402
from helpers import (  # noqa: E402, F401 - the shared names, for the tests
    APP_MAP_READY,
    CHROMIUM,
    CHROMIUM_ARGS,
    CLICKABLE,
    DATA,
    DESK,
    FEATURE_POINT,
    FIRE,
    LEAFLET_READY,
    LOCAL_HOSTS,
    MAP_IFRAME,
    MAP_READY,
    MAP_STILL,
    PHONE,
    PHONE_DEVICE,
    ROOT,
    SHOTS,
    START_TIMEOUT,
    TIMEOUT,
    Session,
    context_feature,
    edit_feature,
    feature_point,
    fire,
    free_port,
    hover_until,
    map_frame,
    open_session,
    outside,
    serve_app,
    serve_folder,
    serve_maps,
    settle,
    stop,
    wait_for_health,
    wait_for_port,
    wait_until,
    wait_until_still,
    watch,
)

from hedong_geo import paths, settings  # noqa: E402

if importlib.util.find_spec("playwright"):
    from playwright.sync_api import expect

    # Playwright's `expect` waits 5 s by default; on a loaded 2-core machine an app rerun can
    # take longer. It polls, so a passing check is as quick as before; the same bound as every
    # other wait of the browser tests.
    expect.set_options(timeout=TIMEOUT)


def pytest_configure(config: pytest.Config) -> None:
    # In-process AppTests show the real error message when a test fails; the served app keeps
    # client.showErrorDetails = "none" from .streamlit/config.toml.
    from streamlit import config as streamlit_config

    streamlit_config.set_option("client.showErrorDetails", "full")


def _need(tool: str | None, required: bool, variable: str, how: str) -> None:
    if tool:
        return
    message = f"not installed: {how}"
    if required:
        pytest.fail(f"{variable} is set but {message}")
    pytest.skip(message)


def need_chromium() -> str:
    """Path of Debian's chromium, or skip (fail under HEDONG_GEO_REQUIRE_BROWSER)."""
    required = settings.get().require_browser
    how = "apt-get install chromium to run browser tests"
    _need(CHROMIUM, required, "HEDONG_GEO_REQUIRE_BROWSER", how)
    return CHROMIUM


@pytest.fixture
def chromium_path() -> str:
    """Path of Debian's chromium; tests drive it with Playwright's executable_path."""
    return need_chromium()


@pytest.fixture
def ogrinfo_path() -> str:
    """Path of GDAL's ogrinfo."""
    path = shutil.which("ogrinfo")
    required = settings.get().require_gdal
    _need(path, required, "HEDONG_GEO_REQUIRE_GDAL", "apt-get install gdal-bin to run GDAL checks")
    return path


@pytest.fixture
def data_dir() -> Path:
    return DATA


def load_build_script(name: str) -> ModuleType:
    """``geodata/<name>.py`` as a module, loaded from its file as the build tests use it (the
    scripts are not a package; each puts ``geodata/`` on ``sys.path`` for ``_build``)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "geodata" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- chromium -----------------------------------------------------------------------------------


def launch_chromium(playwright: Any, executable_path: str | None = None, **kwargs: Any) -> Any:
    """Debian's chromium through Playwright, with :data:`CHROMIUM_ARGS` (skip or fail without
    it, see :func:`need_chromium`)."""
    return helpers.launch_chromium(playwright, executable_path or need_chromium(), **kwargs)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium, one for the module (each test opens its own context with
    :func:`open_session`)."""
    path = need_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        launched = launch_chromium(p, path)
        yield launched
        launched.close()


@pytest.fixture
def session(browser: Any) -> Iterator[Session]:
    """A page at :func:`open_session`'s default size (1400×1000), watched."""
    with open_session(browser) as opened:
        yield opened


@pytest.fixture
def desk(browser: Any) -> Iterator[Session]:
    """A page at :data:`DESK` size (1440×900), watched."""
    with open_session(browser, *DESK) as opened:
        yield opened


@pytest.fixture
def phone(browser: Any) -> Iterator[Session]:
    """A page as a phone shows it: :data:`PHONE` size (390×844), :data:`PHONE_DEVICE`."""
    with open_session(browser, *PHONE, **PHONE_DEVICE) as opened:
        yield opened


# --- the app and the map ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``streamlit run app.py`` over the built-in layers, one server for the module; its URL."""
    log = tmp_path_factory.mktemp("app") / "streamlit.log"
    with serve_app({"HEDONG_GEO_LAYERS_DIR": ""}, log, script=ROOT / "app.py") as url:
        yield url


@pytest.fixture
def small_layers(tmp_path: Path, data_dir: Path) -> Any:
    """The small fixture layers plus a context layer (districts, the Haihe, a reference point)."""
    from test_webmap import CONTEXT

    from hedong_geo.layers import load_layers

    folder = tmp_path / "layers"
    folder.mkdir()
    for path in (data_dir / "layers_small").glob("*.geojson"):
        shutil.copy(path, folder / path.name)
    (folder / "context.geojson").write_text(json.dumps(CONTEXT), encoding="utf-8")
    return load_layers(folder)


def open_app_map(page: Any, url: str) -> Any:
    """Open the app at ``url``; once its map is drawn and Streamlit's run has finished, the
    map component's frame (:func:`map_frame`)."""
    page.goto(url)
    frame = map_frame(page)
    settle(page)
    return frame


def click_feature(page: Any, frame: Any, feature_id: str, mouse: bool = True) -> None:
    """Click the feature in ``frame`` (the map's page or frame) with the real mouse; with
    ``mouse=False`` fire Leaflet's click on its layer, for a feature the mouse cannot reach."""
    if mouse:
        page.mouse.click(*feature_point(frame, feature_id))
    else:
        fire(frame, feature_id, "click")


def hover_feature(
    page: Any, frame: Any, feature_id: str, mouse: bool = True, shown: Any = None
) -> None:
    """Move the mouse onto the feature (until the locator ``shown`` is visible, if given: see
    :func:`helpers.hover_until`), or (``mouse=False``) fire Leaflet's mouseover."""
    if mouse and shown is not None:
        hover_until(page, feature_point(frame, feature_id), shown)
    elif mouse:
        page.mouse.move(*feature_point(frame, feature_id))
    else:
        fire(frame, feature_id, "mouseover")


def passage(page: Any, text: str) -> Any:
    """The app's quoted plan passage (``.hd-passage``) that contains ``text``."""
    return page.locator(".hd-passage", has_text=text)


@pytest.fixture
def page_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty map page cache folder (HEDONG_GEO_PAGE_CACHE) for this test."""
    folder = tmp_path / "pages-cache"
    monkeypatch.setenv("HEDONG_GEO_PAGE_CACHE", str(folder))
    return folder


@pytest.fixture
def layers_dir(tmp_path: Path) -> Path:
    """A copy of the built-in layers/ this test may change."""
    folder = tmp_path / "layers"
    shutil.copytree(paths.LAYERS, folder)
    return folder
