"""App speed and size: cold start, the rerun after a click, and the map payload, against a naive
streamlit-folium baseline (bench/baseline_app.py) over the same layers.

Run: ``.venv/bin/python bench/bench_app.py [--clicks N]``. Needs chromium and Playwright.
Targets: click rerun ≤ 0.3× the baseline's; map payload ≤ 1 MB. Not a test.

* cold start: server process start → Leaflet container visible in the browser;
* click rerun: Leaflet click on a feature → its passage shown in the panel (median of N,
  alternating two features so every click changes the panel);
* script run: the Python of one rerun in bare mode (no server, no browser), caches warm;
* map render: the map's share of that run, what ``st_folium`` renders (the app: a copy of the
  cached map plus the selection group; the baseline: its map, built again);
* payload: the map page (``map_payload_bytes``) and what ``st_folium`` sends the component
  (script, header, html and links) on one run.
"""

from __future__ import annotations

import argparse
import copy
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout

from hedong_geo import plan  # noqa: E402
from hedong_geo.assets import install_static  # noqa: E402
from hedong_geo.layers import load_layers  # noqa: E402
from hedong_geo.panel import feature_detail  # noqa: E402
from hedong_geo.webmap import build_map, map_payload_bytes, selection_group  # noqa: E402

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FEATURES = ("park.quadrant.se", "station.zone.whole")
CLICK_TARGET = 0.3
PAYLOAD_TARGET = 1_000_000
DEBOUNCE = 0.25  # s, streamlit-folium's debouncedUpdateComponentValue

_FIRE_CLICK = """(id) => {
  let target = null;
  window.map.eachLayer((l) => {
    if (l._path && l.options.interactive !== false && l.feature
        && l.feature.properties.id === id) target = l;
  });
  const at = target.getBounds ? target.getBounds().getCenter() : target.getLatLng();
  target.fire("click", {latlng: at, originalEvent: new MouseEvent("click")}, true);
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(script: Path, cwd: Path):
    """Start ``streamlit run script``; yields (url, start time, process)."""
    port = _free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port)]
    cmd += ["--server.headless", "true", "--server.fileWatcherType", "none"]
    cmd += ["--browser.gatherUsageStats", "false"]
    start = time.perf_counter()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    proc = subprocess.Popen(
        cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    url = f"http://localhost:{port}/"
    try:
        while True:
            try:
                with urllib.request.urlopen(url + "_stcore/health", timeout=2) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                if proc.poll() is not None or time.perf_counter() - start > 60:
                    raise RuntimeError(f"{script} did not start") from None
                time.sleep(0.05)
        yield url, start
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _map_frame(page):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for frame in page.frames:
            if "streamlit_folium" in frame.url:
                try:
                    if frame.evaluate(
                        "() => !!(window.map && window.map._loaded && document.querySelector("
                        "'.leaflet-container path.leaflet-interactive'))"
                    ):
                        return frame
                except Exception:
                    pass
        page.wait_for_timeout(20)
    raise RuntimeError("no map")


def _idle(page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", polling=50
    )


def measure(browser, script: Path, cwd: Path, snippets: dict[str, str], clicks: int) -> dict:
    """Cold start and click reruns of one app."""
    with serve(script, cwd) as (url, start):
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        frame = _map_frame(page)
        frame.locator(".leaflet-container").wait_for(state="visible")
        cold = time.perf_counter() - start
        _idle(page)
        times = []
        for i in range(clicks):
            fid = FEATURES[i % len(FEATURES)]
            other = snippets[FEATURES[(i + 1) % len(FEATURES)]]
            t0 = time.perf_counter()
            frame.evaluate(_FIRE_CLICK, fid)
            page.wait_for_function(
                "([want, old]) => { const t = [...document.querySelectorAll('.hd-passage')]"
                ".map(e => e.textContent).join(' ');"
                " return t.includes(want) && !t.includes(old); }",
                arg=[snippets[fid], other],
                polling="raf",
                timeout=30_000,
            )
            times.append(time.perf_counter() - t0)
            _idle(page)
        page.close()
    return {"cold": cold, "clicks": times}


def component_bytes(m) -> int:
    """Bytes of the arguments ``st_folium`` sends its component for ``m`` (bare mode)."""
    import streamlit_folium

    sent: list[dict] = []
    original = streamlit_folium._component_func
    streamlit_folium._component_func = lambda **kw: sent.append(kw) or kw["default"]
    try:
        streamlit_folium.st_folium(m, height=560, returned_objects=["last_active_drawing"])
    finally:
        streamlit_folium._component_func = original
    args = sent[0]
    parts = [args["script"], args["header"], args["html"], *args["js_links"], *args["css_links"]]
    return sum(len(p.encode("utf-8")) for p in parts if p)


def map_render_ms(make, runs: int = 15) -> float:
    """Median time of ``st_folium`` on the map ``make()`` returns with its selection group
    (bare mode, the component call stubbed out): the map's share of one rerun."""
    import logging

    import streamlit_folium

    logging.disable(logging.WARNING)
    original = streamlit_folium._component_func
    streamlit_folium._component_func = lambda **kw: kw["default"]
    times = []
    try:
        for i in range(runs + 2):
            start = time.perf_counter()
            m, group = make()
            streamlit_folium.st_folium(
                m, height=560, returned_objects=["last_active_drawing"], feature_group_to_add=group
            )
            if i >= 2:  # the first two fill the caches
                times.append(time.perf_counter() - start)
    finally:
        streamlit_folium._component_func = original
        logging.disable(logging.NOTSET)
    return statistics.median(times)


def script_ms(script: Path, runs: int = 7) -> float:
    """Median time of one run of a Streamlit script's Python, in bare mode (no server, no
    browser), after a first run that fills its caches: the server's share of a rerun."""
    import logging
    import runpy

    logging.disable(logging.WARNING)  # bare mode warns about the missing runtime on every call
    runpy.run_path(str(script), run_name="__main__")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        runpy.run_path(str(script), run_name="__main__")
        times.append(time.perf_counter() - start)
    logging.disable(logging.NOTSET)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clicks", type=int, default=10)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT / "bench"))
    from baseline_app import naive_map

    layers = load_layers()
    # What each feature's panel shows and the other's does not: its first passage's opening.
    snippets = {
        fid: plan.block(feature_detail(layers, fid).passages[0].block_id).text[:15]
        for fid in FEATURES
    }
    ours = build_map(layers)
    base = naive_map(layers)
    payload = {
        "app": (map_payload_bytes(ours), component_bytes(ours)),
        "baseline": (
            len(base.get_root().render().encode("utf-8")),
            component_bytes(naive_map(layers)),
        ),
    }

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    results = {}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        # The baseline runs from a folder with the app's static/ and config beside it.
        tmp = Path(tmp)
        shutil.copy(ROOT / "bench" / "baseline_app.py", tmp / "baseline_app.py")
        install_static(tmp / "static")
        shutil.copytree(ROOT / ".streamlit", tmp / ".streamlit")
        config = tmp / ".streamlit" / "config.toml"  # the baseline serves static/ itself
        config.write_text(config.read_text("utf-8").replace("Serving = false", "Serving = true"))
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        results["app"] = measure(browser, ROOT / "app.py", ROOT, snippets, args.clicks)
        results["baseline"] = measure(browser, tmp / "baseline_app.py", tmp, snippets, args.clicks)
        browser.close()

    print(f"{'':24}{'app':>12}{'baseline':>12}{'ratio':>8}")

    def row(label: str, a: float, b: float, unit: str, scale: float = 1.0) -> None:
        print(f"{label:24}{a * scale:>10.0f}{unit}{b * scale:>10.0f}{unit}{a / b:>8.2f}")

    row("cold start (ms)", results["app"]["cold"], results["baseline"]["cold"], "  ", 1000)
    app_click = statistics.median(results["app"]["clicks"])
    base_click = statistics.median(results["baseline"]["clicks"])
    row("click rerun, median (ms)", app_click, base_click, "  ", 1000)
    row(
        "click rerun, max (ms)",
        max(results["app"]["clicks"]),
        max(results["baseline"]["clicks"]),
        "  ",
        1000,
    )
    # streamlit-folium waits 250 ms (a debounce) before it reports a click: a floor for both.
    row(
        "  less 250 ms debounce",
        app_click - DEBOUNCE,
        base_click - DEBOUNCE,
        "  ",
        1000,
    )
    row(
        "script run, server (ms)",
        script_ms(ROOT / "app.py"),
        script_ms(ROOT / "bench" / "baseline_app.py"),
        "  ",
        1000,
    )
    row(
        "map render, server (ms)",
        map_render_ms(lambda: (copy.deepcopy(ours), selection_group(layers, FEATURES[0]))),
        map_render_ms(lambda: (naive_map(layers), None)),
        "  ",
        1000,
    )
    row("map page (kB)", payload["app"][0], payload["baseline"][0], "  ", 1 / 1000)
    row("component args (kB)", payload["app"][1], payload["baseline"][1], "  ", 1 / 1000)
    ok_click = app_click <= CLICK_TARGET * base_click
    ok_size = max(payload["app"]) <= PAYLOAD_TARGET
    print(
        f"\nclick rerun {app_click / base_click:.2f}× baseline (target ≤ {CLICK_TARGET}): "
        f"{'ok' if ok_click else 'MISSED'}; payload {max(payload['app']) / 1e6:.2f} MB "
        f"(target ≤ 1 MB): {'ok' if ok_size else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
