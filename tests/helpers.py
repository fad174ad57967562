"""Servers, chromium and polling waits shared by the tests and the benchmarks.

Plain Python, no pytest, so that ``bench/*.py`` can use it too::

    sys.path.insert(0, str(ROOT / "tests"))
    import helpers

The tests reach the same names through ``tests/conftest.py``, which adds what needs pytest
(skip or fail when chromium is missing, fixtures). Every wait here polls for a condition, with
a deadline; none sleeps for a fixed time.

- layer files: :func:`context_feature`, :func:`edit_feature`;
- servers: :func:`free_port`, :func:`serve_app` (``python -m hedong_geo app`` or ``streamlit
  run SCRIPT``, ready when ``/_stcore/health`` answers), :func:`serve_folder` (a static file
  server), :func:`serve_maps` (map pages with their assets), :func:`wait_for_port`,
  :func:`wait_for_health`, :func:`stop`, :func:`wait_until`;
- chromium: :data:`CHROMIUM_ARGS`, :func:`launch_chromium`, :func:`open_session` (at a size;
  :data:`DESK`, :data:`PHONE` and :data:`PHONE_DEVICE`) and :func:`watch` (a :class:`Session`
  records requests, dialogs and page errors), :func:`outside` (requests that leave this
  machine, :data:`LOCAL_HOSTS`); screenshots for a person go to :data:`SHOTS`;
- the map: :data:`MAP_READY`, :data:`APP_MAP_READY`, :data:`LEAFLET_READY`, :data:`MAP_STILL`,
  :data:`FEATURE_POINT`, :func:`map_frame`, :func:`wait_until_still`, :func:`feature_point`,
  :func:`hover_until`, :func:`fire`, :func:`settle`.
"""

from __future__ import annotations

import functools
import http.server
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
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
# Hosts a page may load from in the offline tests ("" for file:// URLs).
LOCAL_HOSTS = {"127.0.0.1", "localhost", ""}
#: How long an app server may take to answer its health check, in seconds.
START_TIMEOUT = 60.0
#: Playwright's timeout for one wait, in milliseconds.
TIMEOUT = 30_000
#: Where browser tests leave screenshots for a person to look at.
SHOTS = Path("/tmp/hedong-geo-shots")
#: The two sizes every page is looked at (width, height), and what else makes a context a phone.
DESK, PHONE = (1440, 900), (390, 844)
PHONE_DEVICE = {"device_scale_factor": 2, "is_mobile": True, "has_touch": True}


# --- layer files --------------------------------------------------------------------------------


def context_feature(
    fid: str,
    name_zh: str,
    name_en: str,
    category: str,
    geometry: dict,
    *,
    basis: str = "derived",
    accuracy_m: float = 200.0,
) -> dict:
    """A GeoJSON feature of the ``context`` layer with every property the layer schema wants
    (``geometry`` a GeoJSON geometry), for a fixture context layer."""
    properties = {
        "id": fid,
        "name_zh": name_zh,
        "name_en": name_en,
        "aliases": [],
        "layer": "context",
        "group": "context",
        "category": category,
        "status": "context",
        "status_year": None,
        "location_basis": basis,
        "accuracy_m": accuracy_m,
        "geometry_source": "test fixture",
        "cross_district": False,
        "parent": None,
        "anchors": [],
        "citations": [],
        "facts": [],
    }
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def edit_feature(layer_file: Path, feature_id: str, **properties: Any) -> None:
    """Set ``properties`` of one feature in a layer file (a copy: e.g. a name with HTML)."""
    data = json.loads(layer_file.read_text(encoding="utf-8"))
    (feature,) = [f for f in data["features"] if f["properties"]["id"] == feature_id]
    feature["properties"].update(properties)
    layer_file.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


# --- polling ------------------------------------------------------------------------------------


def wait_until(
    check: Callable[[], bool],
    what: str,
    *,
    timeout: float,
    proc: subprocess.Popen | None = None,
    interval: float = 0.1,
) -> None:
    """Call ``check`` every ``interval`` seconds until it returns true.

    Raises
    ------
    RuntimeError
        Naming ``what``, when ``proc`` exits first or ``timeout`` seconds pass.
    """
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what}: the process exited with status {proc.returncode}")
        if check():
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {timeout:.0f} s")
        time.sleep(interval)  # the polling interval, not a wait for something to happen


# --- servers ------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nothing listens on right now (on 127.0.0.1)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listens(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """Poll until something accepts connections on 127.0.0.1:``port`` (RuntimeError if
    ``proc`` exits first or nothing does within ``timeout`` seconds)."""
    wait_until(lambda: _listens(port), f"port {port}", timeout=timeout, proc=proc, interval=0.05)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "_stcore/health", timeout=2) as r:
            return r.read() == b"ok"
    except OSError:
        return False


def wait_for_health(url: str, proc: subprocess.Popen, timeout: float = START_TIMEOUT) -> None:
    """Poll ``url + "_stcore/health"`` until it answers ``ok``.

    Raises
    ------
    RuntimeError
        When the process exits first or nothing answers within ``timeout`` seconds.
    """
    wait_until(lambda: _healthy(url), f"the app server on {url}", timeout=timeout, proc=proc)


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
    script: Path | None = None,
    timeout: float = START_TIMEOUT,
) -> Iterator[str]:
    """Run the app on a free port; yield its URL once ``/_stcore/health`` answers.

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
    script : Path, optional
        Run ``streamlit run script`` (e.g. a benchmark's baseline) instead of the launcher
        ``python -m hedong_geo app``.
    timeout : float
        Seconds to wait for the health check.
    """
    port = free_port()
    if script is None:
        cmd = [python, "-m", "hedong_geo", "app"]
    else:
        cmd = [python, "-m", "streamlit", "run", str(script), "--browser.gatherUsageStats", "false"]
    cmd += ["--server.port", str(port), "--server.headless", "true"]
    cmd += ["--server.fileWatcherType", "none", *args]
    out = open(log or os.devnull, "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        cmd, cwd=cwd, env={**os.environ, **(env or {})}, stdout=out, stderr=subprocess.STDOUT
    )
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


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """Serve ``folder`` over HTTP on 127.0.0.1 and a free port (a thread of this process);
    yield the base URL, without a trailing slash."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serve_maps(root: Path, pages: Mapping[str, Any]) -> Iterator[str]:
    """Each folium map of ``pages`` as ``root/<name>.html``, with the map's assets under
    ``/app/static`` as Streamlit serves them, from :func:`serve_folder`; yield the base URL."""
    from hedong_geo.assets import install_static

    install_static(root / "app" / "static")
    for name, page in pages.items():
        (root / f"{name}.html").write_text(page.get_root().render(), encoding="utf-8")
    with serve_folder(root) as base:
        yield base


# --- chromium -----------------------------------------------------------------------------------


def launch_chromium(playwright: Any, executable_path: str | None = None, **kwargs: Any) -> Any:
    """Debian's chromium through Playwright, with :data:`CHROMIUM_ARGS`.

    Raises
    ------
    RuntimeError
        When no path is given and chromium is not installed.
    """
    path = executable_path or CHROMIUM
    if not path:
        raise RuntimeError("chromium is not installed (apt-get install chromium)")
    return playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, **kwargs)


def outside(urls: Iterable[str]) -> list[str]:
    """The URLs among ``urls`` that leave this machine.

    Local are ``data:``, ``blob:`` and ``about:`` URLs, files of this machine, and http(s) and
    websockets to :data:`LOCAL_HOSTS`; everything else is outside.
    """
    bad = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about"):
            continue
        local = parts.scheme in ("http", "https", "ws", "wss", "file")
        if not local or (parts.hostname or "") not in LOCAL_HOSTS:
            bad.append(url)
    return bad


@dataclass
class Session:
    """A page and everything it asked for: request URLs (websockets too), dialogs (dismissed)
    and page errors; see :func:`watch`."""

    page: Any
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def outside(self) -> list[str]:
        """The requests that left this machine (:func:`outside`)."""
        return outside(self.requests)

    def assert_local(self) -> None:
        """Requests were made, all of them on this machine, and no dialog opened."""
        assert self.requests, "no requests recorded"
        assert not self.outside(), f"requests outside this machine: {self.outside()}"
        assert not self.dialogs, f"dialogs opened: {self.dialogs}"

    def _on_dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()


def watch(page: Any, session: Session | None = None) -> Session:
    """Record what ``page`` asks for into ``session`` (a new one for ``page`` by default)."""
    session = session if session is not None else Session(page)
    page.on("request", lambda r: session.requests.append(r.url))
    page.on("websocket", lambda ws: session.requests.append(ws.url))
    page.on("pageerror", lambda e: session.errors.append(str(e)))
    page.on("dialog", session._on_dialog)
    return session


@contextmanager
def open_session(
    browser: Any, width: int = 1400, height: int = 1000, *, timeout: int = TIMEOUT, **kwargs: Any
) -> Iterator[Session]:
    """A page in a new browser context (``kwargs`` go to ``new_context``), watched, with
    ``timeout`` (ms) for every wait; the context is closed after."""
    context = browser.new_context(viewport={"width": width, "height": height}, **kwargs)
    context.set_default_timeout(timeout)
    try:
        yield watch(context.new_page())
    finally:
        context.close()


# --- the map ------------------------------------------------------------------------------------

#: Our map is set up (hedong.js's ``HedongGeo.map``) and its canvases have drawn a first
#: clickable shape.
MAP_READY = """() => !!(window.HedongGeo && HedongGeo.map && HedongGeo.map._loaded
  && HedongGeo.entries.some((e) => e.layer._map) && HedongGeo.drawn())"""
#: How many clickable shapes of features our map draws now.
CLICKABLE = """() => { let n = 0; HedongGeo.map.eachLayer((l) => {
  n += l instanceof L.Path && !!l.options.interactive && !!l.feature; }); return n; }"""
#: In the app's map component (its iframe): as :data:`MAP_READY`.
APP_MAP_READY = MAP_READY
#: A plain Leaflet map (``window.map``: streamlit-folium's, the limit page's) with a first
#: clickable shape drawn in SVG.
LEAFLET_READY = """() => !!(window.map && window.map._loaded
  && document.querySelector('.leaflet-container path.leaflet-interactive'))"""
_MAP = "((window.HedongGeo && HedongGeo.map) || window.map)"
#: The map is neither zooming nor panning now.
MAP_STILL = f"""() => {{ const map = {_MAP};
  return !map._animatingZoom && !(map._panAnim && map._panAnim._inProgress); }}"""
# Counts the animation frames in a row the map has been still, in window[key].
_STILL_FOR = f"""([key, frames]) => {{ const map = {_MAP};
  const moving = map._animatingZoom || (map._panAnim && map._panAnim._inProgress);
  window[key] = moving ? 0 : (window[key] || 0) + 1;
  return window[key] >= frames; }}"""
_still_calls = itertools.count()
# The map, and in ``target`` the clickable layer of the feature ``id`` (the last one drawn).
_TARGET = f"""const map = {_MAP};
  let target = null;
  map.eachLayer((l) => {{
    const f = l.feature;
    if (l instanceof L.Path && l.options.interactive && f && f.properties.id === id) {{
      target = l;
    }}
  }});"""
# Leaflet's own event on the feature's clickable layer, as the mouse would give (it propagates
# to the layer's group); false when the map has no such layer.
FIRE = f"""([id, type]) => {{ {_TARGET}
  if (!target) return false;
  const at = target.getBounds ? target.getBounds().getCenter() : target.getLatLng();
  target.fire(type, {{latlng: at, originalEvent: new MouseEvent(type)}}, true);
  return true;
}}"""
# A point of the page (or frame) where a click lands on the feature's own clickable shape, or
# null: on our map's canvases the topmost shape there (HedongGeo.shapeAt, on the map and not
# under a control or a popup); on a plain Leaflet map (SVG) the topmost element. With zoom=true
# and no such point (off screen, under the legend or another feature), the map first zooms to
# the feature as a user would, without animation.
FEATURE_POINT = f"""([id, zoom]) => {{ {_TARGET}
  if (!target) return null;
  const find = () => {{
    const frame = map.getContainer().getBoundingClientRect();
    const b = target._pxBounds;  // layer points
    const origin = map.containerPointToLayerPoint([0, 0]);
    const lands = (x, y) => {{
      const el = document.elementFromPoint(frame.left + x, frame.top + y);
      if (target._path) return el === target._path;
      return !!el && !!el.closest('.leaflet-map-pane') && !el.closest('.leaflet-popup')
        && HedongGeo.shapeAt([x, y]) === target;
    }};
    for (let i = 1; i < 24; i++) for (let j = 1; j < 24; j++) {{
      const x = Math.round(b.min.x - origin.x + ((b.max.x - b.min.x) * i) / 24);
      const y = Math.round(b.min.y - origin.y + ((b.max.y - b.min.y) * j) / 24);
      if (lands(x, y)) return [frame.left + x, frame.top + y];
    }}
    return null;
  }};
  const found = find();
  if (found || !zoom) return found;
  const bounds = target.getBounds ? target.getBounds() : L.latLngBounds([target.getLatLng()]);
  map.fitBounds(bounds, {{animate: false, maxZoom: 16, paddingTopLeft: [40, 40],
                          paddingBottomRight: [260, 40]}});
  return find();
}}"""
MAP_IFRAME = ".hd-mv-map iframe"


def map_frame(page: Any, ready: str = APP_MAP_READY, timeout: int = TIMEOUT) -> Any:
    """The streamlit-folium iframe's frame once ``ready`` holds in it.

    Streamlit may replace the iframe while the first runs settle, so the wait is made on the
    iframe there is now, in short polls, until the deadline (``timeout`` ms)."""
    from playwright.sync_api import Error, expect

    iframe = page.locator(MAP_IFRAME)
    deadline = time.monotonic() + timeout / 1000
    while True:
        expect(iframe).to_have_count(1, timeout=timeout)
        try:
            frame = iframe.element_handle().content_frame()
            if frame is not None:
                frame.wait_for_function(ready, timeout=2_000)
                return frame
        except Error:  # not drawn yet, or this iframe was replaced
            pass
        if time.monotonic() > deadline:
            raise AssertionError("no Leaflet map in the map component's iframe")


def wait_until_still(target: Any, frames: int = 3, timeout: int | None = None) -> None:
    """Wait until the map of ``target`` (a page or frame) has been still for ``frames``
    animation frames in a row: Leaflet starts a zoom animation one frame after the fit that
    asks for it, so a map still at one instant may be about to move."""
    key = f"__hedongStill{next(_still_calls)}"
    target.wait_for_function(_STILL_FOR, arg=[key, frames], polling="raf", timeout=timeout)


def feature_point(target: Any, feature_id: str, zoom: bool = True) -> tuple[float, float]:
    """Page coordinates of a point on the feature's shape in ``target`` (a page, or a frame such
    as :func:`map_frame`'s), clickable by the real mouse; LookupError when there is none.

    The map is first let come to rest (a point found while it moves would be missed); with
    ``zoom`` it zooms to a feature it cannot reach (:data:`FEATURE_POINT`)."""
    in_frame = getattr(target, "parent_frame", None) is not None
    if in_frame:
        target.frame_element().scroll_into_view_if_needed()
    wait_until_still(target)
    xy = target.evaluate(FEATURE_POINT, [feature_id, zoom])
    if not xy:
        raise LookupError(f"{feature_id} is not visible on the map")
    if not in_frame:
        return xy[0], xy[1]
    box = target.frame_element().bounding_box()
    return box["x"] + xy[0], box["y"] + xy[1]


def hover_until(page: Any, xy: Sequence[float], shown: Any, timeout: float = 30) -> None:
    """Move the real mouse onto ``xy`` (page coordinates) until the locator ``shown`` is
    visible: Leaflet's canvas lets a mousemove go unanswered while the map moves and for 32 ms
    after the last one it answered. Each try comes from the pixel beside ``xy``."""

    def seen() -> bool:
        page.mouse.move(xy[0] + 1, xy[1])
        page.mouse.move(xy[0], xy[1])
        return shown.count() > 0 and shown.first.is_visible()

    wait_until(seen, f"something shown on hovering at {tuple(xy)!r}", timeout=timeout)


def fire(target: Any, feature_id: str, event: str = "click") -> None:
    """Fire Leaflet's ``event`` on the feature's clickable layer in ``target`` (a page or
    frame), for a feature the mouse cannot reach; LookupError when there is none."""
    if not target.evaluate(FIRE, [feature_id, event]):
        raise LookupError(f"no clickable shape of {feature_id!r} on the map")


def settle(page: Any, timeout: int = TIMEOUT) -> None:
    """Wait until Streamlit has finished running the script (call it once what the test waits
    for is on the page: a rerun that has not started yet is not waited for)."""
    from playwright.sync_api import expect

    app = page.get_by_test_id("stApp")
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout)


# A page point where a click on the map reaches feature `id` (through js/pick.js's hit test):
# fit the map to it when it is not in view, then look over its shape for a whole-pixel point on
# the map (not under a control or a popup) where the hit test finds it, also 2 px off (the mouse
# lands on whole pixels: a point on the edge of a shape would be missed). [x, y, direct] or null:
# direct when the click itself reports `id`, as pick.js decides: the clickable shape under the
# pointer leads (Leaflet fires the click on it), else the hit test's first; not direct, the
# click opens the chooser with `id` in it. Used by tests/test_map_reach_browser.py and
# bench/bench_app.py (every feature of our map, timed directly or through the chooser).
REACH_SPOT = """(id) => {
  const map = HedongGeo.map;
  const entry = HedongGeo.entries.find((e) => e.f.properties.id === id && e.layer._map);
  if (!entry) return null;
  const size = map.getSize();
  const bounds = entry.layer.getBounds ? entry.layer.getBounds() : null;
  const view = L.bounds([60, 60], [size.x - 300, size.y - 60]);
  const box = (b) => L.bounds(map.latLngToContainerPoint(b.getNorthWest()),
                              map.latLngToContainerPoint(b.getSouthEast()));
  if (!view.contains(box(bounds))) {
    map.fitBounds(bounds, {animate: false, maxZoom: 16, paddingTopLeft: [80, 80],
                           paddingBottomRight: [320, 80]});
  }
  const b = box(bounds);
  const frame = map.getContainer().getBoundingClientRect();
  const owner = new Map();  // a drawn shape → the entry drawing it (groups in groups too)
  const own = (l, e) => (l.eachLayer ? l.eachLayer((p) => own(p, e)) : owner.set(l, e));
  HedongGeo.entries.forEach((e) => e.layer._map && own(e.layer, e));
  // What a real click at container point (x, y) reports first: the shape the canvas fires
  // the click on, else the hit test's first (a click on the map pane, not on a control).
  const first = (x, y) => {
    const el = document.elementFromPoint(frame.left + x, frame.top + y);
    const hits = HedongGeo.hitTest(map.containerPointToLatLng([x, y]), null);
    const shape = HedongGeo.shapeAt([x, y]);
    return {el, hits, lead: (shape && owner.get(shape)) || hits[0]};
  };
  const off = [[0, 0], [-2, 0], [2, 0], [0, -2], [0, 2]];
  let fallback = null;
  for (let i = 1; i < 20; i++) for (let j = 1; j < 20; j++) {
    const x = Math.round(b.min.x + ((b.max.x - b.min.x) * i) / 20);
    const y = Math.round(b.min.y + ((b.max.y - b.min.y) * j) / 20);
    if (!view.contains([x, y])) continue;
    const here = [];
    for (const [dx, dy] of off) {  // stops at the first that does not reach it
      const h = first(x + dx, y + dy);
      if (!h.el || !h.el.closest('.leaflet-map-pane') || h.el.closest('.leaflet-popup')
          || !h.hits.includes(entry)) break;
      here.push(h);
    }
    if (here.length < off.length) continue;
    const spot = [frame.left + x, frame.top + y];
    if (here.every((h) => h.lead === entry)) return [...spot, true];
    fallback = fallback || [...spot, false];
  }
  return fallback;
}"""
