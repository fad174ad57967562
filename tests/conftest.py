"""Shared fixtures and helpers: Debian tools, a free port, the app server, chromium.

Tests that need a Debian package skip with a message on machines without it, and fail in CI
(.ci/run sets HEDONG_GEO_REQUIRE_BROWSER / HEDONG_GEO_REQUIRE_GDAL, see hedong_geo.settings).
The helpers are plain functions so the benchmarks can import them too
(``sys.path.insert(0, "tests"); from conftest import serve_app``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from hedong_geo import settings

ROOT = Path(__file__).resolve().parent.parent
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
#: How long an app server may take to answer its health check.
START_TIMEOUT = 60.0


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


# --- servers ------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nothing listens on right now (on 127.0.0.1)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_health(url: str, proc: subprocess.Popen, timeout: float = START_TIMEOUT) -> None:
    """Poll ``url + "_stcore/health"`` until it answers ``ok``.

    Raises
    ------
    RuntimeError
        When the process exits first or nothing answers within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the app server exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "_stcore/health", timeout=2) as r:
                if r.read() == b"ok":
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the app server did not answer on {url} within {timeout:.0f} s")
        time.sleep(0.1)  # polling interval, not a wait for something to happen


def stop(proc: subprocess.Popen) -> None:
    """Terminate ``proc`` (SIGTERM: Streamlit stops cleanly), kill it if it hangs."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def serve_app(
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
    *,
    python: str = sys.executable,
    cwd: Path = ROOT,
    args: Sequence[str] = (),
    timeout: float = START_TIMEOUT,
) -> Iterator[str]:
    """Run ``python -m hedong_geo app`` on a free port; yield its URL once it is healthy.

    Parameters
    ----------
    env : mapping, optional
        Variables added to this process's environment (e.g. ``HEDONG_GEO_LAYERS_DIR``).
    log : Path, optional
        File that receives the server's output (else it is discarded).
    python : str
        The interpreter (another virtualenv's, to run an installed copy).
    cwd : Path
        Working folder of the server.
    args : sequence of str
        More Streamlit options, e.g. ``["--server.maxUploadSize", "1"]``.
    timeout : float
        Seconds to wait for the health check.
    """
    port = free_port()
    cmd = [python, "-m", "hedong_geo", "app", "--server.port", str(port)]
    cmd += ["--server.headless", "true", "--server.fileWatcherType", "none", *args]
    full_env = {**os.environ, **(env or {})}
    out = open(log or os.devnull, "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(cmd, cwd=cwd, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        try:
            wait_for_health(url, proc, timeout)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}; see {log}" if log else str(exc)) from None
        yield url
    finally:
        stop(proc)
        out.close()


# --- chromium -----------------------------------------------------------------------------------


def launch_chromium(playwright, executable_path: str | None = None, **kwargs):
    """Debian's chromium through Playwright, with :data:`CHROMIUM_ARGS`."""
    return playwright.chromium.launch(
        executable_path=executable_path or need_chromium(), args=CHROMIUM_ARGS, **kwargs
    )
