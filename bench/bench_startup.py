"""Where a cold start goes: the app and the naive streamlit-folium app (bench/baseline_app.py)
split into their parts on real runs, in the same Debian chromium (issue 14: cold start ≤ 1.0×).

Run: ``.venv/bin/python bench/bench_startup.py [--starts 3] [--cache both|warm|empty]``.
Prints figures and ratios, asserts nothing. For each cold start, seconds from the server
process's start (one clock: the wall clock, ``performance.timeOrigin`` in the browser):

* **health**: ``/_stcore/health`` answers (Python and Streamlit imported, server up);
* **frontend**: the page's ``load`` event (Streamlit's JS and CSS loaded);
* **websocket**: the browser's websocket opened; **first delta** and **run done**: the first
  element and the ``script_finished`` of the first script run (the app's imports happen in it);
* **map component delta** (ours): the first message carrying the map component (a fresh
  session's first map is sent before the heavy imports when the page cache holds it:
  ``app.first_map``, so it can come before **run done** and the map be drawn before it);
* **iframe**: the map frame's ``timeOrigin``, then its page received, ``DOMContentLoaded`` and
  ``load``; its resources (Leaflet, our JS, layer data,
  panel data) by when they ended, from ``performance.getEntriesByType("resource")``;
* **map drawn**: a first clickable shape in a Leaflet map that has loaded.

Also the app's module-level imports, timed in a fresh interpreter after ``import streamlit``
(which the server has done before any script runs). ``--cache empty`` gives each start of our
app a new empty ``HEDONG_GEO_PAGE_CACHE`` (the first start after a code change); ``warm`` uses
the user's cache as ``bench_app.py`` does (filled by an unmeasured start first).
"""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchkit
from benchkit import APP, ROOT, helpers, quantile, ratio
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

NAIVE_READY = helpers.LEAFLET_READY
RESOURCES = """() => performance.getEntriesByType("resource").map((e) => ({
  name: e.name, start: performance.timeOrigin + e.startTime,
  end: performance.timeOrigin + e.responseEnd, size: e.transferSize || e.decodedBodySize }))"""
NAV = """() => { const n = performance.getEntriesByType("navigation")[0];
  return { origin: performance.timeOrigin, response: performance.timeOrigin + n.responseEnd,
           dcl: performance.timeOrigin + n.domContentLoadedEventEnd,
           load: performance.timeOrigin + n.loadEventEnd }; }"""


def imports_of(script: Path, functions: tuple[str, ...] = ()) -> str:
    """The module-level import statements of ``script`` (and those in ``functions``)."""
    tree = ast.parse(script.read_text(encoding="utf-8"))
    nodes = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    for fn in (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in functions):
        nodes += [n for n in ast.walk(fn) if isinstance(n, ast.Import | ast.ImportFrom)]
    return "\n".join(ast.unparse(n) for n in nodes if getattr(n, "module", "") != "__future__")


def import_seconds(code: str, cwd: Path) -> float:
    """Seconds ``code`` (import statements) takes in a fresh interpreter after Streamlit."""
    probe = (
        "import streamlit, streamlit.web.bootstrap, time\n_t0 = time.perf_counter()\n"
        f"{code}\nprint(time.perf_counter() - _t0)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", probe], cwd=cwd, env=env, capture_output=True)
    return float(out.stdout.decode().split()[-1])


def map_frame_of(page, ours: bool):
    """The frame that holds the app's Leaflet map, once drawn."""
    if ours:
        return helpers.map_frame(page, timeout=120_000)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        handle = page.locator('iframe[title*="st_folium"]').first.element_handle(timeout=120_000)
        try:
            frame = handle.content_frame() if handle else None
            if frame is not None:
                frame.wait_for_function(NAIVE_READY, timeout=2_000)
                return frame
        except PlaywrightError:
            pass
    raise RuntimeError("no map in the naive app")


def one_start(browser, script: Path, cwd: Path, ours: bool) -> dict:
    """One cold start: the timeline (seconds from the process start) and the map's resources."""
    marks: dict[str, float] = {}
    with benchkit.server(script, cwd, wait=False) as srv:
        zero = time.time() - (time.perf_counter() - srv.started)
        helpers.wait_for_health(srv.url, srv.proc)
        marks["health"] = time.time() - zero
        with helpers.open_session(browser, timeout=120_000) as session:
            page = session.page

            def on_frame(payload) -> None:
                if isinstance(payload, str):
                    return
                msg = ForwardMsg()
                msg.ParseFromString(payload)
                kind = msg.WhichOneof("type")
                if kind == "delta":
                    marks.setdefault("first delta", time.time() - zero)
                    if ours and b"hedong_geo.map" in payload:
                        marks.setdefault("map component delta", time.time() - zero)
                elif kind == "script_finished":
                    marks.setdefault("run done", time.time() - zero)

            def on_socket(ws) -> None:
                marks.setdefault("websocket", time.time() - zero)
                ws.on("framereceived", on_frame)

            page.on("websocket", on_socket)
            page.goto(srv.url)
            frame = map_frame_of(page, ours)
            marks["map drawn"] = time.time() - zero
            deadline = time.monotonic() + 120  # ours may draw its map before its run is done
            while "run done" not in marks and time.monotonic() < deadline:
                page.wait_for_timeout(50)
            nav = page.evaluate(NAV)
            marks["frontend (load event)"] = nav["load"] / 1000 - zero
            inner = frame.evaluate(NAV)
            marks["map iframe starts"] = inner["origin"] / 1000 - zero
            marks["map page received"] = inner["response"] / 1000 - zero
            marks["map page DOMContentLoaded"] = inner["dcl"] / 1000 - zero
            marks["map page load event"] = inner["load"] / 1000 - zero
            resources = [
                {**r, "start": r["start"] / 1000 - zero, "end": r["end"] / 1000 - zero}
                for r in frame.evaluate(RESOURCES)
            ]
            top = [
                {**r, "start": r["start"] / 1000 - zero, "end": r["end"] / 1000 - zero}
                for r in page.evaluate(RESOURCES)
            ]
    return {"marks": marks, "resources": resources, "top": top, "zero": zero}


def show(label: str, runs: list[dict]) -> None:
    """Print a start's timeline (medians over ``runs``) and the map frame's slowest resources."""
    print(f"\n{label}: seconds from process start (median of {len(runs)})")
    for key in sorted(runs[0]["marks"], key=lambda k: runs[0]["marks"][k]):
        print(f"  {key:28}{quantile([r['marks'].get(key, float('nan')) for r in runs], 0.5):7.2f}")
    last = runs[-1]
    print(
        "  last run:",
        ", ".join(f"{k} {v:.2f}" for k, v in sorted(last["marks"].items(), key=lambda kv: kv[1])),
    )
    for where, found in (("top page", last["top"]), ("map frame", last["resources"])):
        print(f"  {where}: {len(found)} resources, last ones (start → end, size):")
        for r in sorted(found, key=lambda r: r["end"])[-10:]:
            name = r["name"].rsplit("/", 1)[-1][:48]
            print(f"    {name:50}{r['start']:6.2f} → {r['end']:5.2f}  {r['size']:>8} B")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--starts", type=int, default=3, help="cold starts of each app")
    parser.add_argument("--cache", choices=("both", "warm", "empty"), default="both")
    args = parser.parse_args()
    kinds = ("warm", "empty") if args.cache == "both" else (args.cache,)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        naive = benchkit.baseline_folder(Path(tmp))
        ours_imports = import_seconds(imports_of(APP), ROOT)
        naive_imports = import_seconds(imports_of(naive, ("main",)), Path(tmp))
        browser = helpers.launch_chromium(p)
        runs: dict[str, list[dict]] = {"naive": [], **{f"ours, {k} cache": [] for k in kinds}}
        try:
            if "warm" in kinds:
                one_start(browser, APP, ROOT, True)  # fills the user's page cache, not counted
            for i in range(args.starts):
                for kind in kinds:
                    if kind == "empty":
                        os.environ["HEDONG_GEO_PAGE_CACHE"] = tempfile.mkdtemp(dir=tmp)
                    runs[f"ours, {kind} cache"].append(one_start(browser, APP, ROOT, True))
                    os.environ.pop("HEDONG_GEO_PAGE_CACHE", None)
                runs["naive"].append(one_start(browser, naive, Path(tmp), False))
                print(f"  start {i + 1} done", flush=True)
        finally:
            browser.close()
    print(
        f"\nmodule-level imports after streamlit (s): ours {ours_imports:.2f}, naive "
        f"{naive_imports:.2f}"
    )
    for label, got in runs.items():
        show(label, got)
    drawn = {k: quantile([r["marks"]["map drawn"] for r in v], 0.5) for k, v in runs.items()}
    print()
    for label in drawn:
        if label != "naive":
            print(
                f"cold start {label}: {drawn[label]:.2f} s vs naive {drawn['naive']:.2f} s: "
                f"{ratio(drawn[label], drawn['naive'])}"
            )


if __name__ == "__main__":
    sys.exit(main())
