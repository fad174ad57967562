"""50,000 parcels, smoothly: today's GeoJSON drawing against the vector tiles, in one run.

Run: ``.venv/bin/python bench/bench_parcels.py [--sizes 5000,20000,50000] [--publish]
[--kinds none,tiles] [--trace DIR]``.
For each size, a generated parcels layer (``bench/parcels.py``: GENERATED TEST DATA, Voronoi
cells inside Hedong, the real layer schema) is added to the repository's layers and the map is
built three times: without the parcels ("none": the floor of this machine, whose frame gaps
the parcels cannot beat), with ``HEDONG_GEO_TILE_THRESHOLD=0`` (every feature as GeoJSON in
the page: today's drawing) and with the default threshold (the parcels as vector tiles,
:mod:`hedong_geo.tiles`).
Each page is opened in Debian's chromium (1440×900) and measured:

- ``paint``: from navigation until the map and its parcels are drawn (the GeoJSON paths, or
  every visible tile loaded), then two animation frames;
- ``zoom``/``pan``: the longest gap between animation frames (and the 95th percentile) during a
  scripted zoom in, zoom out and four pans, each (and the first) waited for until the map is
  still: the view drawn, and the tiles of the next zoom in and out read ahead;
- ``click``: from a click on a parcel to HedongGeo's click event with its id, plus the next
  frame (median of 7 parcels);
- ``heap``/``renderer``: the page's JS heap (CDP ``Performance.getMetrics``) and the resident
  memory of its renderer process (``/proc``: ``VmRSS``, printed split into its anonymous memory,
  mapped files, chromium's own binary shared by every chromium process, and shared memory, the
  compositor's raster tiles shared with the GPU process), both after the same steps for every
  kind: the zoom and pans, then the seven parcels' views (clicked, but for ``none``);
- ``server``: resident memory of this process after building the map, and the build time and
  page size (the tiles are cut once: the cut time is printed apart, then they are cached).

With ``--trace DIR``, a CDP trace of the zoom and pans is kept per page and summarised: the
renderer main thread's tasks of ≥ 50 ms wall time and how much of it was CPU (the rest: waiting
for a core on a loaded machine), the tasks of ≥ 50 ms CPU with their self CPU time per kind
of work (style recalculation, paint, a script's function...), and the CPU time of the threads
a frame also waits for (compositor, raster workers, the display compositor) over the run and
within the longest frame gap: what makes a frame gap here.

The generated layer is read once per size and kept in ``~/.cache/hedong-geo/bench/``.
With ``--publish``, ``publish`` with the layer (time and first page size). Targets at 50k:
paint ≤ 2 s, frame gaps ≤ 50 ms, click ≤ 0.3 s, renderer ≤ 400 MB, publish ≤ 60 s, first page
≤ 1 MB.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import pickle
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import helpers  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402

from bench.parcels import write_parcels_layer  # noqa: E402
from hedong_geo import settings, tiles  # noqa: E402
from hedong_geo.assets import install_static  # noqa: E402
from hedong_geo.exports import publish_site  # noqa: E402
from hedong_geo.layers import LayerSet, load_layers, read_layer  # noqa: E402
from hedong_geo.webmap import build_map  # noqa: E402

# Moved: the move asked for has ended (``moveend``: Leaflet starts a zoom one frame after it is
# asked), no zoom animation, no tile loading. Still: besides, the tiles of the next zoom in and
# out read ahead (the worker's idle work after a view is drawn, which a person's next zoom,
# seconds later, finds done).
_MOVED = """() => { const m = HedongGeo.map;
  return !!m && window.moved !== false && !m._animatingZoom && !m._panAnim?._inProgress
    && !(HedongGeo.tilesLoading && HedongGeo.tilesLoading()); }"""
_STILL = f"""() => ({_MOVED})()
  && !(HedongGeo.tilesReadingAhead && HedongGeo.tilesReadingAhead())"""
_DRAWN = f"""() => !!(window.HedongGeo && HedongGeo.map && HedongGeo.map._loaded
  && ((HedongGeo.entries.some((e) => e.layer._map) && HedongGeo.drawn())
      || document.querySelector('canvas.leaflet-tile-loaded'))) && ({_MOVED})()"""
_KEYS = ["paint_s", "gap_ms", "p95_ms", "click_ms", "heap_mb", "renderer_mb"]
_FRAMES = """() => { window.gaps = []; let last = performance.now();
  const tick = (t) => { gaps.push(t - last); last = t;
    if (window.recording) requestAnimationFrame(tick); };
  window.recording = true; requestAnimationFrame(tick); }"""


def _rss_kb(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _ppid(pid: str) -> str:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return fields[1]


def _mine(pid: str) -> bool:
    """Whether process ``pid`` descends from this one (our chromium, not another's)."""
    me = str(os.getpid())
    for _ in range(12):
        pid = _ppid(pid)
        if pid == me:
            return True
        if pid in ("0", "1"):
            return False
    return False


def _renderer_mb() -> dict[str, float]:
    """Resident memory (MB) of the largest of our chromium's renderers (one page is open at a
    time): ``renderer_mb`` (VmRSS) and its parts ``anon_mb``, ``file_mb``, ``shmem_mb``."""
    best: dict[str, float] = {"renderer_mb": 0.0}
    names = {
        "VmRSS": "renderer_mb",
        "RssAnon": "anon_mb",
        "RssFile": "file_mb",
        "RssShmem": "shmem_mb",
    }
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes()
            if b"chromium" in cmd and b"--type=renderer" in cmd and _mine(proc.name):
                status = (proc / "status").read_text().splitlines()
                found = {k: v for k, _, v in (line.partition(":") for line in status)}
                sizes = {names[k]: int(found[k].split()[0]) / 1024 for k in names}
                best = max(best, sizes, key=lambda s: s["renderer_mb"])
        except (OSError, KeyError):
            continue
    return best


def _wait_still(page) -> None:
    page.wait_for_function(_STILL, timeout=300_000)
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")


def _frames(page) -> tuple[float, float]:
    """Longest and 95th-percentile frame gap (ms) over a scripted zoom in/out and four pans."""
    _wait_still(page)
    page.evaluate(_FRAMES)
    for step in (
        "m.zoomIn()",
        "m.zoomOut()",
        *["m.panBy([300, 150])"] * 2,
        *["m.panBy([-300, -150])"] * 2,
    ):
        page.evaluate(
            "() => { const m = HedongGeo.map; window.moved = false;"
            f" m.once('moveend', () => {{ window.moved = true; }}); {step}; }}"
        )
        _wait_still(page)
    gaps = page.evaluate("() => { window.recording = false; return gaps.slice(1); }")
    gaps = sorted(gaps) or [0.0]
    return gaps[-1], gaps[int(0.95 * (len(gaps) - 1))]


def _click_ms(page, parcels, click: bool = True) -> float:
    """Median ms from a click on a parcel to HedongGeo's click event and the next frame (with
    ``click`` false, only the parcels' views are visited, as for a map without them: NaN)."""
    times = []
    rows = parcels.iloc[:: max(1, len(parcels) // 7)][:7]
    for geom in rows.geometry:
        point = geom.representative_point()
        # Braces: setView returns the map, which Playwright would serialise (≈ 40 MB of
        # garbage in the page per call, counted in the renderer's memory).
        page.evaluate(
            f"() => {{ HedongGeo.map.setView([{point.y}, {point.x}], 17, {{animate: false}}); }}"
        )
        _wait_still(page)
        if not click:
            continue
        xy = page.evaluate(
            f"""() => {{ const p = HedongGeo.map.latLngToContainerPoint([{point.y}, {point.x}]);
              const r = HedongGeo.map.getContainer().getBoundingClientRect();
              return [r.left + p.x, r.top + p.y]; }}"""
        )
        page.evaluate(
            """() => { window.clickAt = null; window.clickT0 = null;
              if (!window._hooked) { window._hooked = true;
                HedongGeo.on("click", () => {
                  requestAnimationFrame(() => {
                    window.clickAt = performance.now() - window.clickT0; }); }); }
              document.addEventListener('mousedown', () => { window.clickT0 = performance.now(); },
                { once: true, capture: true }); }"""
        )
        page.mouse.click(xy[0], xy[1])
        page.wait_for_function("() => window.clickAt !== null", timeout=30_000)
        times.append(page.evaluate("() => window.clickAt"))
    return statistics.median(times) if times else float("nan")


_TRACE_CATEGORIES = [
    "devtools.timeline",
    "disabled-by-default-devtools.timeline",
    "toplevel",
    "v8.execute",
    "blink.user_timing",
]


def _label(event: dict) -> str:
    """What a trace event was: its name, with the script and function of a call, the type of
    an event dispatched."""
    data = event.get("args", {}).get("data", {}) or {}
    name = event["name"]
    if name == "FunctionCall" and data.get("url"):
        where = data["url"].rsplit("/", 1)[-1].split("?")[0][:40]
        return f"FunctionCall {where}:{data.get('functionName') or '?'}"
    if name in ("EventDispatch", "TimerFire") and data.get("type"):
        return f"{name} {data['type']}"
    return name


def _self_times(events: list[dict]) -> dict[str, float]:
    """Self CPU time (ms: the thread's time, ``tdur``) per label of nested complete events on
    one thread."""
    out: dict[str, float] = {}
    stack: list[list] = []  # [end, label, child time]
    for e in sorted(events, key=lambda e: (e["ts"], -e["dur"])):
        while stack and stack[-1][0] <= e["ts"]:
            _end, label, child = stack.pop()
            out[label] = out.get(label, 0.0) + child
        cpu = e.get("tdur", e["dur"]) / 1000
        if stack:
            stack[-1][2] -= cpu
        stack.append([e["ts"] + e["dur"], _label(e), cpu])
    for _end, label, child in stack:
        out[label] = out.get(label, 0.0) + child
    return out


# Where a frame's work runs besides the page's main thread: chromium's compositor thread, its
# raster workers (the renderer's thread pool) and the display compositor (the GPU process,
# compositing in software here: no GPU).
_THREADS = {"CrRendererMain": "main", "Compositor": "compositor", "VizCompositorThread": "display"}
_TOP = {"ThreadControllerImpl::RunTask", "ThreadPool_RunTask", "TaskGraphRunner::RunTask"}


def _thread_cpu(events: list[dict]) -> str:
    """CPU time (ms) of the top-level tasks per kind of thread over the recording, and within
    the longest gap between two animation frames: which thread a long frame waited for."""
    names, kinds = {}, {}
    for e in events:
        if e.get("ph") == "M" and e.get("name") in ("thread_name", "process_name"):
            (names if e["name"] == "thread_name" else kinds)[
                (e["pid"], e["tid"]) if e["name"] == "thread_name" else e["pid"]
            ] = e["args"].get("name", "")

    def kind(e: dict) -> str | None:
        name = names.get((e["pid"], e["tid"]), "")
        if name.startswith("ThreadPool") and kinds.get(e["pid"]) == "Renderer":
            return "raster"
        return _THREADS.get(name)

    frames = sorted(
        e["ts"]
        for e in events
        if e.get("name") == "FireAnimationFrame" and kind(e) == "main" and "dur" in e
    )
    gaps = sorted(itertools.pairwise(frames), key=lambda ab: ab[0] - ab[1])[:1] or [(0, 0)]
    start, stop = gaps[0]
    total: dict[str, float] = {}
    worst: dict[str, float] = {}
    for e in events:
        if e.get("ph") != "X" or e.get("name") not in _TOP or not kind(e):
            continue
        cpu = e.get("tdur", 0) / 1000
        total[kind(e)] = total.get(kind(e), 0.0) + cpu
        inside = min(e["ts"] + e["dur"], stop) - max(e["ts"], start)
        if inside > 0 and e["dur"]:
            worst[kind(e)] = worst.get(kind(e), 0.0) + cpu * inside / e["dur"]
    order = ["main", "compositor", "raster", "display"]
    return (
        "    CPU by thread over the run: "
        + ", ".join(f"{k} {total.get(k, 0):.0f}" for k in order)
        + f" ms; in the longest frame gap ({(stop - start) / 1000:.0f} ms): "
        + ", ".join(f"{k} {worst.get(k, 0):.0f}" for k in order)
        + " ms"
    )


def _trace_summary(path: Path, least_ms: float = 50) -> str:
    """The renderer main thread's tasks during the recording: how many took ``least_ms`` or
    more of wall time, and how much CPU time they had (the rest the thread waited for a core:
    the machine's load, not the page's work); the tasks that used ``least_ms`` of CPU or more
    (a frame gap even on a quiet machine) and where that CPU time went."""
    events = json.loads(path.read_text())
    events = events.get("traceEvents", events) if isinstance(events, dict) else events
    mains = {
        (e["pid"], e["tid"])
        for e in events
        if e.get("ph") == "M"
        and e.get("name") == "thread_name"
        and e["args"].get("name") == "CrRendererMain"
    }
    main = [e for e in events if e.get("ph") == "X" and (e["pid"], e["tid"]) in mains]
    main = [e for e in main if "dur" in e]
    tasks = [e for e in main if e["name"] == "ThreadControllerImpl::RunTask"]
    long = [t for t in tasks if t["dur"] >= least_ms * 1000]
    heavy = [t for t in tasks if t.get("tdur", 0) >= least_ms * 1000]
    inside: list[dict] = []
    for t in heavy:
        stop = t["ts"] + t["dur"]
        inside += [
            e
            for e in main
            if t["ts"] <= e["ts"] and e["ts"] + e["dur"] <= stop and "RunTask" not in e["name"]
        ]
    top = sorted(_self_times(inside).items(), key=lambda kv: -kv[1])[:8]
    cpu = sorted((t.get("tdur", 0) / 1000 for t in tasks), reverse=True)[:5]
    wall = sum(t["dur"] for t in long) / 1000
    lines = [
        f"    main thread: {len(long)} tasks of >= {least_ms:.0f} ms wall ({wall:.0f} ms, of"
        f" which CPU {sum(t.get('tdur', 0) for t in long) / 1000:.0f} ms); {len(heavy)} of"
        f" >= {least_ms:.0f} ms CPU (most CPU: {', '.join(f'{c:.0f}' for c in cpu)} ms),"
        " their self CPU time:",
        *[f"      {ms:8.1f} ms  {label}" for label, ms in top],
        _thread_cpu(events),
    ]
    return "\n".join(lines)


def _measure(
    browser, url: str, parcels, click: bool, limit: float, trace: Path | None = None
) -> dict[str, float]:
    """One page's figures; paint is ``inf`` (and the rest NaN) when not drawn in ``limit`` s."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    try:
        start = time.perf_counter()
        try:
            page.goto(url, timeout=limit * 1000)
            page.wait_for_function(_DRAWN, timeout=limit * 1000, polling=50)
        except PlaywrightTimeout:
            nan = float("nan")
            return dict.fromkeys(_KEYS, nan) | {"paint_s": float("inf")}
        page.evaluate(
            "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        paint = time.perf_counter() - start
        if trace:
            browser.start_tracing(page=page, path=str(trace), categories=_TRACE_CATEGORIES)
        worst, p95 = _frames(page)
        if trace:
            browser.stop_tracing()
            print(_trace_summary(trace), flush=True)
        click = _click_ms(page, parcels, click)  # the same views for every kind
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        return {
            "paint_s": paint,
            "gap_ms": worst,
            "p95_ms": p95,
            "click_ms": click,
            "heap_mb": metrics.get("JSHeapUsedSize", 0) / 2**20,
        } | _renderer_mb()
    finally:
        context.close()


@contextmanager
def _env(**values: str):
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _page(layers, root: Path, name: str, threshold: str) -> tuple[float, float, float]:
    """Build the map into root/name.html; (build seconds, page MB, server RSS MB)."""
    with _env(HEDONG_GEO_TILE_THRESHOLD=threshold):
        start = time.perf_counter()
        html = build_map(layers, lang="zh", tile_base="/tiles").get_root().render()
        took = time.perf_counter() - start
    (root / f"{name}.html").write_text(html, encoding="utf-8")
    return took, len(html.encode()) / 1e6, _rss_kb() / 1024


def _publish(layers, root: Path) -> tuple[float, float]:
    start = time.perf_counter()
    site = publish_site(layers, root / "site", force=True)
    return time.perf_counter() - start, (site / "index.html").stat().st_size / 1e6


def _parcels(n: int, tmp: Path):
    """The generated layer as ``read_layer`` gives it, read once and kept in
    ``~/.cache/hedong-geo/bench/`` (keyed by n and the generator's and reader's sources):
    reading 50k features takes minutes."""
    digest = hashlib.sha256()
    for path in (ROOT / "bench" / "parcels.py", ROOT / "hedong_geo" / "layers.py"):
        digest.update(path.read_bytes())
    cached = (
        Path("~/.cache/hedong-geo/bench").expanduser()
        / f"parcels-{n}-{digest.hexdigest()[:12]}.pkl"
    )
    if cached.is_file():
        return pickle.loads(cached.read_bytes())
    gdf, problems = read_layer(write_parcels_layer(n, tmp / f"layer{n}"))
    assert not problems, problems[:3]
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(pickle.dumps(gdf))
    return gdf


def _one_size(n: int, browser, tmp: Path, args: argparse.Namespace) -> None:
    root = tmp / f"n{n}"
    install_static(root / "app" / "static")
    start = time.perf_counter()
    layers = load_layers()
    layers.layers["parcels"] = _parcels(n, tmp)
    print(f"\n{n} parcels: layers loaded in {time.perf_counter() - start:.1f} s", flush=True)
    cache = root / "tiles"
    with _env(HEDONG_GEO_TILE_CACHE=str(cache)):
        start = time.perf_counter()
        tiles.ensure_tiles(layers.layers["parcels"], "parcels")  # then found in the cache
        print(f"  tiles cut once in {time.perf_counter() - start:.1f} s", flush=True)
        plain = LayerSet(layers={k: v for k, v in layers.layers.items() if k != "parcels"})
        # The parcels tiled (below the default threshold too), the plan's own layers not.
        threshold = str(min(n, settings.TILE_THRESHOLD))
        made = {"none": (plain, "0"), "geojson": (layers, "0"), "tiles": (layers, threshold)}
        kinds = [k for k in args.kinds.split(",") if k]
        built = {name: _page(made[name][0], root, name, made[name][1]) for name in kinds}
        parcels = layers.layers["parcels"]
        rows = {}
        with helpers.serve_folder(root) as base:
            for name in kinds:
                url = f"{base}/{name}.html"
                trace = Path(args.trace) / f"{name}-{n}.json" if args.trace else None
                rows[name] = _measure(browser, url, parcels, name != "none", args.limit, trace)
                shown = ", ".join(f"{k} {v:.2f}" for k, v in rows[name].items())
                print(f"  {name}: {shown}", flush=True)
        if args.publish:
            took, first = _publish(layers, root)
            print(f"  publish {took:.1f} s, first page {first:.2f} MB", flush=True)
    _print_rows(rows, built)


def _print_rows(rows: dict, built: dict) -> None:
    keys = _KEYS
    print(f"  {'':8}" + "".join(f"{k:>12}" for k in [*keys, "build_s", "page_mb", "server_mb"]))
    print(f"  load average {os.getloadavg()[0]:.2f}; none = the same map without the parcels")
    for name, row in rows.items():
        b = built[name]
        cells = [row[k] for k in keys] + list(b)
        print(f"  {name:8}" + "".join(f"{v:>12.2f}" for v in cells))
    if "geojson" in rows and "tiles" in rows:
        tiled = rows["tiles"]
        ratios = [rows["geojson"][k] / tiled[k] if tiled[k] else float("nan") for k in keys]
        ratios += [built["geojson"][i] / built["tiles"][i] for i in range(3)]
        print(f"  {'ratio':8}" + "".join(f"{v:>11.1f}×" for v in ratios), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="5000,20000,50000")
    parser.add_argument("--publish", action="store_true", help="also time publish")
    parser.add_argument(
        "--kinds",
        default="none,geojson,tiles",
        help="which maps to measure: none (no parcels: the floor), geojson, tiles",
    )
    parser.add_argument(
        "--limit", type=float, default=300, help="seconds a page may take to paint (else inf)"
    )
    parser.add_argument(
        "--trace",
        metavar="DIR",
        help="record a CDP trace of the zoom and pans into DIR/<kind>-<n>.json and print"
        " the renderer main thread's long tasks and where their time went",
    )
    args = parser.parse_args()
    if args.trace:
        Path(args.trace).mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    sizes = [int(s) for s in args.sizes.split(",")]
    print("columns: GeoJSON in the page (today) vs vector tiles; ratio = GeoJSON / tiles")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = helpers.launch_chromium(p)
        try:
            for n in sizes:
                _one_size(n, browser, Path(tmp), args)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
