"""Shared fixtures. Tests that need a Debian package skip with a message on machines without it,
and fail in CI (.ci/run sets HEDONG_GEO_REQUIRE_BROWSER / HEDONG_GEO_REQUIRE_GDAL)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Debian's chromium as root in a sandbox, with nothing of its own going to the network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Hosts a page may load from in the offline tests ("" for file:// and data: URLs).
LOCAL_HOSTS = {"127.0.0.1", "localhost", ""}


def _need(tool: str | None, env: str, how: str) -> None:
    if tool:
        return
    message = f"not installed: {how}"
    if os.environ.get(env):
        pytest.fail(f"{env} is set but {message}")
    pytest.skip(message)


@pytest.fixture
def chromium_path() -> str:
    """Path of Debian's chromium; tests drive it with Playwright's executable_path."""
    _need(CHROMIUM, "HEDONG_GEO_REQUIRE_BROWSER", "apt-get install chromium to run browser tests")
    return CHROMIUM


@pytest.fixture
def ogrinfo_path() -> str:
    """Path of GDAL's ogrinfo."""
    path = shutil.which("ogrinfo")
    _need(path, "HEDONG_GEO_REQUIRE_GDAL", "apt-get install gdal-bin to run GDAL checks")
    return path


@pytest.fixture
def data_dir() -> Path:
    return DATA
