"""The app in a browser: click → panel, server CPU per click, cold start and page load, against
the naive streamlit-folium app (bench/baseline_app.py) and the plain-Leaflet limit page
(bench/limit_page.py), in the same run and the same Debian chromium.

Run: ``.venv/bin/python bench/bench_app.py [--clicks 20] [--starts 2]``. Needs chromium and
Playwright; prints figures and ratios, asserts nothing (targets from issue 14: click → panel
≤ 0.1× naive and ≤ 3× the limit; server CPU per click ≤ 20 ms; cold start ≤ 1.0× naive).

* **click → panel**: a real mouse click (Playwright) on a point where the click reports the
  feature (the limit and the naive app: its own shape is topmost; ours:
  ``helpers.REACH_SPOT``, as the reach test, which also knows the chooser). From the
  ``mousedown`` event in the document the mouse lands in (its ``timeStamp``) to the panel
  showing the feature (a MutationObserver in the page: ``DOM``), then to the next frame
  (``requestAnimationFrame`` and a task after it: the frame has been painted). Clocks:
  ``performance.timeOrigin + ...`` in both documents. Ours and the limit: every located
  clickable feature in turn (the map zooms to one it cannot reach, as a user would), which
  also counts the features a click reaches; on our map a feature that lies under others at
  every spot is reached as a user does, through the chooser of what is under the pointer
  (``js/pick.js``): a first click there, then the timed click on its button. The located
  features our map draws without clicks on purpose (context shapes) are listed, not counted.
  The naive app: ``--clicks`` clicks over the features its map draws as shapes (its points are
  marker images).
* **server CPU per click**: the server process's user+system CPU seconds (``/proc``, all
  threads) over the clicks, each waited for until its run's ``script_finished`` reached the
  browser, divided by the clicks; with the wall time from the click to that message.
* **cold start**: process start → the first map drawn in the browser (the server polled for
  health, then the page opened); **page load**: a new browser context on the warm server →
  map drawn. ``--starts`` cold starts each, alternating, after one unmeasured start of each
  (the OS file cache and the app's page cache warm, as after any earlier start).
* **first draw, in-process**: what the app's first map draw computes (layers, map page, panel
  data for every feature), timed in this process.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import benchkit
from benchkit import APP, ROOT, helpers, quantile, ratio, verdict
from limit_page import write_limit_page
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from hedong_geo.layers import load_layers
from hedong_geo.links import AppLinks
from hedong_geo.mapview import panel_data, write_map_page
from hedong_geo.panel import feature_detail

NAIVE_IFRAME = 'iframe[title*="st_folium"]'
CLICK_TARGET, LIMIT_TARGET, CPU_TARGET, COLD_TARGET = 0.1, 3.0, 0.020, 1.0

# In the document the mouse lands in: remember the time of the last mousedown.
WATCH_DOWN = """() => {
  if (!window.__hdWatch) {
    window.__hdWatch = true;
    document.addEventListener("mousedown", (e) => {
      window.__hdDown = performance.timeOrigin + e.timeStamp;
    }, true);
  }
  window.__hdDown = null;
}"""
# In the top page: note when the panel shows ``want`` (DOM), the next animation frame, and a
# task after that frame (painted). how="feature": a .hd-mv-panel (in a shadow root or not) with
# data-feature=want; how="name": an .hd-name heading reading ``want`` (the naive app's st.html).
ARM_PANEL = """([how, want]) => {
  window.__hdDone = null;
  const findIn = (root, sel) => {
    const hit = root.querySelector(sel);
    if (hit) return hit;
    for (const el of root.querySelectorAll("*")) {
      const inner = el.shadowRoot && findIn(el.shadowRoot, sel);
      if (inner) return inner;
    }
    return null;
  };
  const target = how === "feature" ? findIn(document, ".hd-mv-panel") : document.body;
  if (!target) return false;
  const holds = how === "feature"
    ? () => target.getAttribute("data-feature") === want
    : () => [...document.querySelectorAll(".hd-name")].some((e) => e.textContent.trim() === want);
  const now = () => performance.timeOrigin + performance.now();
  const observer = new MutationObserver(() => {
    if (!holds()) return;
    const dom = now();
    observer.disconnect();
    requestAnimationFrame(() => {
      const raf = now();
      setTimeout(() => { window.__hdDone = { dom, raf, paint: now() }; }, 0);
    });
  });
  observer.observe(target, { subtree: true, childList: true, attributes: true,
                             characterData: true });
  return true;
}"""
# Ids of the features a Leaflet map draws as clickable shapes (paths), in the order added.
SHAPE_IDS = """() => { const map = (window.HedongGeo && HedongGeo.map) || window.map;
  const ids = [];
  map.eachLayer((l) => { if (l instanceof L.Path && l.options.interactive && l.feature) ids.push(
    l.feature.properties.id); });
  return [...new Set(ids)];
}"""
# Our map: the located features it draws without clicks (context shapes, on purpose).
UNCLICKABLE = """(ids) => {
  const clickable = new Set(HedongGeo.entries.filter((e) => e.layer._map)
                                             .map((e) => e.f.properties.id));
  return ids.filter((id) => !clickable.has(id));
}"""
# Once a chooser on its way (js/pick.js: HedongGeo.choosing) has opened: closed.
CLOSE_CHOOSER = """() => { if (window.HedongGeo && HedongGeo.choosing) return false;
  if (window.HedongGeo && HedongGeo.map) HedongGeo.map.closePopup();
  return !document.querySelector('.leaflet-popup'); }"""
HAS_CHOOSER = "() => !!(window.HedongGeo && HedongGeo.hitTest)"
PANELS_FETCHED = """() => performance.getEntriesByType("resource")
  .some((e) => e.name.includes("/panels-") && e.responseEnd > 0)"""


@dataclass
class Clicks:
    """What the clicks on one page measured (seconds)."""

    dom: list[float] = field(default_factory=list)
    paint: list[float] = field(default_factory=list)
    rerun: list[float] = field(default_factory=list)  # click → script_finished, wall
    tried: int = 0
    missed: list[str] = field(default_factory=list)  # "id (under what)"
    chooser: int = 0  # features reached through the chooser (a second click)
    context: list[str] = field(default_factory=list)  # located, drawn without clicks on purpose
    cpu: float = float("nan")

    @property
    def cpu_per_click(self) -> float:
        """Server CPU seconds per click (a chooser's first click counts as one)."""
        clicks = len(self.dom) + self.chooser
        return self.cpu / clicks if clicks else float("nan")


class Wire:
    """The Streamlit websocket of a page: waits for a run's ``script_finished``."""

    def __init__(self, page) -> None:
        self.sockets: list = []
        page.on("websocket", lambda ws: self.sockets.append(ws))

    @staticmethod
    def _finished(payload: bytes | str) -> bool:
        if isinstance(payload, str):
            return False
        msg = ForwardMsg()
        msg.ParseFromString(payload)
        return msg.WhichOneof("type") == "script_finished"

    def expect_run(self, timeout: float = 30_000):
        """A context manager: on leaving it, a run has finished since it was entered."""
        return self.sockets[-1].expect_event("framereceived", self._finished, timeout=timeout)


def naive_frame(page, timeout: int = 60_000):
    """The naive app's streamlit-folium frame once its Leaflet map is drawn."""
    deadline = time.monotonic() + timeout / 1000
    while time.monotonic() < deadline:
        handle = page.locator(NAIVE_IFRAME).first.element_handle(timeout=timeout)
        frame = handle.content_frame() if handle else None
        try:
            if frame is not None:
                frame.wait_for_function(helpers.LEAFLET_READY, timeout=2_000)
                return frame
        except PlaywrightError:  # not drawn yet, or the iframe was replaced
            pass
    raise RuntimeError("no Leaflet map in the naive app's iframe")


def one_click(page, frame, fid: str, how: str, want: str, wire: Wire | None, out: Clicks) -> None:
    """Click feature ``fid`` in ``frame`` with the mouse; time it into ``out``."""
    out.tried += 1
    frame.wait_for_function(CLOSE_CHOOSER)  # a chooser left open could cover the feature
    if frame.evaluate(HAS_CHOOSER):
        xy = reach_ours(page, frame, fid, wire, out)
        if xy is None:
            return
    else:
        try:
            xy = helpers.feature_point(frame, fid)
        except LookupError:
            out.missed.append(f"{fid} (under another feature, no chooser)")
            return
    frame.evaluate(WATCH_DOWN)
    page.evaluate(ARM_PANEL, [how, want])
    start = time.perf_counter()
    try:
        if wire is None:
            page.mouse.click(*xy)
        else:
            with wire.expect_run():
                page.mouse.click(*xy)
        page.wait_for_function("() => window.__hdDone", timeout=15_000)
    except PlaywrightError:  # no answer: the feature is not reachable by a click
        out.missed.append(f"{fid} (no answer)")
        return
    rerun = time.perf_counter() - start
    down = frame.evaluate("() => window.__hdDown")
    done = page.evaluate("() => window.__hdDone")
    out.dom.append((done["dom"] - down) / 1000)
    out.paint.append((done["paint"] - down) / 1000)
    if wire is not None:
        out.rerun.append(rerun)


def reach_ours(page, frame, fid: str, wire: Wire | None, out: Clicks) -> tuple[float, float] | None:
    """Where to click for ``fid`` on our map, as a user reaches it: a spot where the click
    itself reports it (``helpers.REACH_SPOT``, as the reach test), else a spot where the map's
    hit test finds it under another feature: a first click there (the feature that leads is
    selected, a run of its own) opens the chooser, and the chooser's button for ``fid`` is the
    place to click. None (and ``fid`` noted as missed) when there is neither."""
    found = frame.evaluate(helpers.REACH_SPOT, fid)
    if not found:
        out.missed.append(f"{fid} (no point of the map reaches it)")
        return None
    helpers.wait_until_still(frame)
    box = frame.frame_element().bounding_box()
    xy = box["x"] + found[0], box["y"] + found[1]
    if found[2]:
        return xy
    if wire is None:
        page.mouse.click(*xy)
    else:
        with wire.expect_run():  # this click selects the feature that leads there
            page.mouse.click(*xy)
    button = frame.locator(f'.hd-chooser button[data-feature="{fid}"]')
    try:
        button.wait_for(state="visible", timeout=5_000)
    except PlaywrightError:
        out.missed.append(f"{fid} (not in the chooser)")
        return None
    out.chooser += 1
    # The chooser's list scrolls (at most half the map's height): a user scrolls it to the
    # button first, as Playwright's own click would.
    button.scroll_into_view_if_needed()
    helpers.wait_until_still(frame)
    at = button.bounding_box()
    return at["x"] + at["width"] / 2, at["y"] + at["height"] / 2


def click_ours(browser, srv: benchkit.Server, located: list[str]) -> Clicks:
    """Every located feature clicked once in our app: times, reach and server CPU."""
    out = Clicks()
    with helpers.open_session(browser) as session:
        page = session.page
        wire = Wire(page)
        page.goto(srv.url)
        frame = helpers.map_frame(page, timeout=120_000)
        page.wait_for_function(PANELS_FETCHED)
        helpers.settle(page)
        out.context = frame.evaluate(UNCLICKABLE, located)
        cpu = srv.cpu()
        for fid in located:
            if fid not in out.context:
                one_click(page, frame, fid, "feature", fid, wire, out)
        out.cpu = srv.cpu() - cpu
    return out


def click_naive(browser, srv: benchkit.Server, located: list[str], names: dict, n: int) -> Clicks:
    """``n`` clicks in the naive app over the located features it draws as shapes."""
    out = Clicks()
    with helpers.open_session(browser) as session:
        page = session.page
        wire = Wire(page)
        page.goto(srv.url)
        frame = naive_frame(page)
        helpers.settle(page)
        shapes = [f for f in frame.evaluate(SHAPE_IDS) if f in set(located)]
        cpu = srv.cpu()
        for i in range(n):
            fid = shapes[i % len(shapes)]
            frame = naive_frame(page)  # each run builds the map again
            one_click(page, frame, fid, "name", names[fid], wire, out)
            helpers.settle(page)
        out.cpu = srv.cpu() - cpu
    return out


def click_limit(browser, folder: Path, layers, panels: dict, located: list[str]) -> Clicks:
    """Every located feature clicked once on the plain-Leaflet limit page."""
    out = Clicks()
    name = write_limit_page(folder, layers, panels)
    with helpers.serve_folder(folder) as base, helpers.open_session(browser) as session:
        page = session.page
        page.goto(f"{base}/{name}")
        page.wait_for_function(helpers.LEAFLET_READY)
        for fid in located:
            one_click(page, page, fid, "feature", fid, None, out)
    return out


def start_and_load(browser, script: Path, cwd: Path, drawn, loads: int = 2) -> tuple:
    """Cold start (process start → first map drawn) and warm page loads (median) of one app."""
    with benchkit.server(script, cwd, wait=False) as srv:
        helpers.wait_for_health(srv.url, srv.proc)
        with helpers.open_session(browser, timeout=120_000) as session:
            session.page.goto(srv.url)
            drawn(session.page)
            cold = time.perf_counter() - srv.started
        warm = []
        for _ in range(loads):
            with helpers.open_session(browser, timeout=120_000) as session:
                start = time.perf_counter()
                session.page.goto(srv.url)
                drawn(session.page)
                warm.append(time.perf_counter() - start)
    return cold, quantile(warm, 0.5)


def first_draw_parts(layers_dir: Path | None = None) -> dict[str, float]:
    """Seconds of what the app's first map draw computes, in this process (imports done)."""
    from hedong_geo.assets import ASSET_BASE

    times = {}
    start = time.perf_counter()
    layers = load_layers()
    times["read the layers"] = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        write_map_page(layers, asset_base=ASSET_BASE, folder=Path(tmp))
        times["map page (folium)"] = time.perf_counter() - start
        start = time.perf_counter()
        panel_data(layers, layers, "zh", AppLinks("zh"))
        times["panel data, every feature"] = time.perf_counter() - start
    return times


def _ms(values: list[float], q: float = 0.5) -> str:
    return f"{quantile(values, q) * 1000:.1f}" if values else "—"


def report(ours: Clicks, naive: Clicks, limit: Clicks, starts: dict, parts: dict) -> None:
    """Print the table, the ratios and the verdicts."""
    head = f"{'':34}{'ours':>10}{'naive':>10}{'limit':>10}{'ours/naive':>12}{'ours/limit':>12}"
    print(head + "\n" + "-" * len(head))
    for label, pick, q in (
        ("click → panel in DOM, median (ms)", lambda c: c.dom, 0.5),
        ("click → next frame, median (ms)", lambda c: c.paint, 0.5),
        ("click → next frame, p90 (ms)", lambda c: c.paint, 0.9),
    ):
        a, b, c = (quantile(pick(x), q) for x in (ours, naive, limit))
        print(
            f"{label:34}{_ms(pick(ours), q):>10}{_ms(pick(naive), q):>10}"
            f"{_ms(pick(limit), q):>10}{ratio(a, b):>12}{ratio(a, c):>12}"
        )
    print(f"{'clicks timed':34}{len(ours.dom):>10}{len(naive.dom):>10}{len(limit.dom):>10}")
    print(
        f"{'located features reached':34}{f'{len(ours.dom)}/{ours.tried}':>10}{'':>10}"
        f"{f'{len(limit.dom)}/{limit.tried}':>10}"
    )
    print(
        f"{'click → rerun done, median (ms)':34}{_ms(ours.rerun):>10}{_ms(naive.rerun):>10}"
        f"{'':>10}{ratio(quantile(ours.rerun, 0.5), quantile(naive.rerun, 0.5)):>12}"
    )
    cpu = (ours.cpu_per_click, naive.cpu_per_click)
    print(
        f"{'server CPU per click (ms)':34}{cpu[0] * 1000:>10.1f}{cpu[1] * 1000:>10.1f}"
        f"{'':>10}{ratio(*cpu):>12}"
    )
    for label, i in (("cold start → map drawn (s)", 0), ("page load, warm server (s)", 1)):
        a, b = (quantile([s[i] for s in starts[k]], 0.5) for k in ("ours", "naive"))
        print(f"{label:34}{a:>10.2f}{b:>10.2f}{'':>10}{ratio(a, b):>12}")
    print(
        "\nthe app's first map draw, in-process (s): "
        + ", ".join(f"{k} {v:.2f}" for k, v in parts.items())
    )
    print(f"ours: {ours.chooser} of the features reached through the chooser")
    print(
        f"located but drawn without clicks on purpose (context, not counted, "
        f"{len(ours.context)}): {', '.join(ours.context)}"
    )
    for label, c in (("ours", ours), ("limit", limit)):
        if c.missed:
            print(f"not reached by a click, {label} ({len(c.missed)}): {', '.join(c.missed)}")
    paint = [quantile(c.paint, 0.5) for c in (ours, naive, limit)]
    cold = [quantile([s[0] for s in starts[k]], 0.5) for k in ("ours", "naive")]
    print(
        f"\nclick → panel {ratio(paint[0], paint[1])} naive (target ≤ {CLICK_TARGET}): "
        f"{verdict(paint[0] <= CLICK_TARGET * paint[1])}; {ratio(paint[0], paint[2])} the limit "
        f"(target ≤ {LIMIT_TARGET}): {verdict(paint[0] <= LIMIT_TARGET * paint[2])}; every "
        f"located feature reached: {verdict(not ours.missed)}\nserver CPU per click "
        f"{cpu[0] * 1000:.1f} ms (target ≤ {CPU_TARGET * 1000:.0f}): "
        f"{verdict(cpu[0] <= CPU_TARGET)}; cold start {ratio(*cold)} naive (target ≤ "
        f"{COLD_TARGET}): {verdict(cold[0] <= COLD_TARGET * cold[1])}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clicks", type=int, default=20, help="clicks in the naive app")
    parser.add_argument("--starts", type=int, default=2, help="cold starts of each app")
    args = parser.parse_args()

    parts = first_draw_parts()
    layers = load_layers()
    panels = panel_data(layers, layers, "zh", AppLinks("zh"))
    located = sorted(panels["bounds"])
    names = {fid: feature_detail(layers, fid, "zh").name for fid in located}
    unique = [f for f in located if list(names.values()).count(names[f]) == 1]
    ours_drawn = lambda page: helpers.map_frame(page, timeout=120_000)  # noqa: E731
    naive_drawn = lambda page: naive_frame(page, 120_000)  # noqa: E731
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        naive_dir, limit_dir = Path(tmp) / "naive", Path(tmp) / "limit"
        naive_dir.mkdir(), limit_dir.mkdir()
        naive = benchkit.baseline_folder(naive_dir)
        browser = helpers.launch_chromium(p)
        try:
            starts = {"ours": [], "naive": []}
            if args.starts:  # one unmeasured start each: the OS file cache and our page cache
                start_and_load(browser, APP, ROOT, ours_drawn)
                start_and_load(browser, naive, naive_dir, naive_drawn)
            for _ in range(args.starts):  # alternating: both see the same disk caches
                starts["ours"].append(start_and_load(browser, APP, ROOT, ours_drawn))
                starts["naive"].append(start_and_load(browser, naive, naive_dir, naive_drawn))
                print(f"  cold starts: {starts}", flush=True)
            with benchkit.server(APP, ROOT) as srv:
                ours = click_ours(browser, srv, located)
            print(f"  ours: {len(ours.dom)} clicks", flush=True)
            with benchkit.server(naive, naive_dir) as srv:
                base = click_naive(browser, srv, unique, names, args.clicks)
            print(f"  naive: {len(base.dom)} clicks", flush=True)
            clickable = [f for f in located if f not in ours.context]
            limit = click_limit(browser, limit_dir, layers, panels, clickable)
        finally:
            browser.close()
    report(ours, base, limit, starts, parts)


if __name__ == "__main__":
    sys.exit(main())
