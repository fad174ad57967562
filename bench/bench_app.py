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
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout
sys.path.insert(0, str(ROOT / "tests"))  # the servers and browser helpers the tests use

import helpers  # noqa: E402

from hedong_geo import plan  # noqa: E402
from hedong_geo.assets import install_static  # noqa: E402
from hedong_geo.layers import load_layers  # noqa: E402
from hedong_geo.panel import feature_detail  # noqa: E402
from hedong_geo.webmap import build_map, map_payload_bytes, selection_group  # noqa: E402

FEATURES = ("park.quadrant.se", "station.zone.whole")
CLICK_TARGET = 0.3
PAYLOAD_TARGET = 1_000_000
DEBOUNCE = 0.25  # s, streamlit-folium's debouncedUpdateComponentValue
# The panel shows the clicked feature's passage and no longer the other's.
_SWITCHED = """([want, old]) => {
  const t = [...document.querySelectorAll('.hd-passage')].map(e => e.textContent).join(' ');
  return t.includes(want) && !t.includes(old);
}"""


def measure(browser, script: Path, cwd: Path, snippets: dict[str, str], clicks: int) -> dict:
    """Cold start and click reruns of one app (``streamlit run script`` in ``cwd``)."""
    pythonpath = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    start = time.perf_counter()
    with helpers.serve_app({"PYTHONPATH": pythonpath}, script=script, cwd=cwd) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        # Both apps: streamlit-folium's Leaflet map (the baseline has no HedongGeo).
        frame = helpers.map_frame(page, ready=helpers.LEAFLET_READY, timeout=60_000)
        frame.locator(".leaflet-container").wait_for(state="visible")
        cold = time.perf_counter() - start
        helpers.settle(page)
        times = []
        for i in range(clicks):
            fid = FEATURES[i % len(FEATURES)]
            other = snippets[FEATURES[(i + 1) % len(FEATURES)]]
            t0 = time.perf_counter()
            helpers.fire(frame, fid)
            page.wait_for_function(
                _SWITCHED, arg=[snippets[fid], other], polling="raf", timeout=30_000
            )
            times.append(time.perf_counter() - t0)
            helpers.settle(page)
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


def _browser_runs(clicks: int, snippets: dict[str, str]) -> dict:
    """:func:`measure` of the app and of the baseline, in one chromium."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        # The baseline runs from a folder with the app's static/ and config beside it.
        tmp = Path(tmp)
        shutil.copy(ROOT / "bench" / "baseline_app.py", tmp / "baseline_app.py")
        install_static(tmp / "static")
        shutil.copytree(ROOT / ".streamlit", tmp / ".streamlit")
        config = tmp / ".streamlit" / "config.toml"  # the baseline serves static/ itself
        config.write_text(config.read_text("utf-8").replace("Serving = false", "Serving = true"))
        browser = helpers.launch_chromium(p)
        try:
            return {
                "app": measure(browser, ROOT / "app.py", ROOT, snippets, clicks),
                "baseline": measure(browser, tmp / "baseline_app.py", tmp, snippets, clicks),
            }
        finally:
            browser.close()


def _row(label: str, a: float, b: float, scale: float = 1000) -> None:
    print(f"{label:24}{a * scale:>10.0f}  {b * scale:>10.0f}  {a / b:>8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clicks", type=int, default=10)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "bench"))
    from baseline_app import naive_map

    layers = load_layers()
    # What each feature's panel shows and the other's does not: its first passage's opening.
    snippets = {
        fid: plan.block(feature_detail(layers, fid).passages[0].block_id).text[:15]
        for fid in FEATURES
    }
    ours = build_map(layers)
    page_bytes = (map_payload_bytes(ours), len(naive_map(layers).get_root().render().encode()))
    args_bytes = (component_bytes(ours), component_bytes(naive_map(layers)))
    results = _browser_runs(args.clicks, snippets)
    app, base = results["app"]["clicks"], results["baseline"]["clicks"]
    app_click, base_click = statistics.median(app), statistics.median(base)

    print(f"{'':24}{'app':>12}{'baseline':>12}{'ratio':>8}")
    _row("cold start (ms)", results["app"]["cold"], results["baseline"]["cold"])
    _row("click rerun, median (ms)", app_click, base_click)
    _row("click rerun, max (ms)", max(app), max(base))
    # streamlit-folium waits 250 ms (a debounce) before it reports a click: a floor for both.
    _row("  less 250 ms debounce", app_click - DEBOUNCE, base_click - DEBOUNCE)
    _row(
        "script run, server (ms)",
        script_ms(ROOT / "app.py"),
        script_ms(ROOT / "bench" / "baseline_app.py"),
    )
    _row(
        "map render, server (ms)",
        map_render_ms(lambda: (copy.deepcopy(ours), selection_group(layers, FEATURES[0]))),
        map_render_ms(lambda: (naive_map(layers), None)),
    )
    _row("map page (kB)", *page_bytes, scale=1 / 1000)
    _row("component args (kB)", *args_bytes, scale=1 / 1000)
    ok_click = app_click <= CLICK_TARGET * base_click
    ok_size = max(page_bytes[0], args_bytes[0]) <= PAYLOAD_TARGET
    print(
        f"\nclick rerun {app_click / base_click:.2f}× baseline (target ≤ {CLICK_TARGET}): "
        f"{'ok' if ok_click else 'MISSED'}; payload "
        f"{max(page_bytes[0], args_bytes[0]) / 1e6:.2f} MB "
        f"(target ≤ 1 MB): {'ok' if ok_size else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
