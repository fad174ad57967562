"""Shared fixtures and helpers: Debian tools, a free port, the app server, chromium, the map.

The helpers live in ``tests/helpers.py`` (plain Python, which the benchmarks import too) and
are imported from here, so a test writes ``from conftest import serve_app``. What needs pytest
is here: tests that need a Debian package skip with a message on machines without it, and fail
in CI (.ci/run sets HEDONG_GEO_REQUIRE_BROWSER / HEDONG_GEO_REQUIRE_GDAL, see
hedong_geo.settings), and the fixtures.
"""

from __future__ import annotations

import importlib.util
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
    DATA,
    FEATURE_POINT,
    FIRE,
    LEAFLET_READY,
    LOCAL_HOSTS,
    MAP_IFRAME,
    MAP_READY,
    MAP_STILL,
    ROOT,
    START_TIMEOUT,
    TIMEOUT,
    Session,
    context_feature,
    edit_feature,
    feature_point,
    fire,
    free_port,
    map_frame,
    open_session,
    outside,
    serve_app,
    serve_folder,
    settle,
    stop,
    wait_for_health,
    wait_for_port,
    wait_until,
    wait_until_still,
    watch,
)

from hedong_geo import settings  # noqa: E402


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
