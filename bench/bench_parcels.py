"""50,000 parcels, smoothly: today's GeoJSON drawing against the vector tiles, in one run.

Run: ``.venv/bin/python bench/bench_parcels.py [--sizes 5000,20000,50000] [--publish]``.
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
  scripted zoom in, zoom out and four pans, each waited for until the map is still;
- ``click``: from a click on a parcel to HedongGeo's click event with its id, plus the next
  frame (median of 7 parcels);
- ``heap``/``renderer``: the page's JS heap (CDP ``Performance.getMetrics``) and the resident
  memory of its renderer process (``/proc``);
- ``server``: resident memory of this process after building the map, and the build time and
  page size (the tiles are cut once: the cut time is printed apart, then they are cached).

The generated layer is read once per size and kept in ``~/.cache/hedong-geo/bench/``.
With ``--publish``, ``publish`` with the layer (time and first page size). Targets at 50k:
paint ≤ 2 s, frame gaps ≤ 50 ms, click ≤ 0.3 s, renderer ≤ 400 MB, publish ≤ 60 s, first page
≤ 1 MB.
"""

from __future__ import annotations

import argparse
import hashlib
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

# Still: the move asked for has ended (``moveend``: Leaflet starts a zoom one frame after it is
# asked), no zoom animation, no tile loading.
_STILL = """() => { const m = HedongGeo.map;
  return !!m && window.moved !== false && !m._animatingZoom && !m._panAnim?._inProgress
    && !(HedongGeo.tilesLoading && HedongGeo.tilesLoading()); }"""
_DRAWN = f"""() => !!(window.HedongGeo && HedongGeo.map && HedongGeo.map._loaded
  && (document.querySelector('path.leaflet-interactive')
      || document.querySelector('canvas.leaflet-tile-loaded'))) && ({_STILL})()"""
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


def _renderer_mb() -> float:
    """The largest resident memory of our chromium's renderers (one page is open at a time)."""
    best = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes()
            if b"chromium" in cmd and b"--type=renderer" in cmd and _mine(proc.name):
                best = max(best, _rss_kb(proc.name))
        except OSError:
            continue
    return best / 1024


def _wait_still(page) -> None:
    page.wait_for_function(_STILL, timeout=300_000)
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")


def _frames(page) -> tuple[float, float]:
    """Longest and 95th-percentile frame gap (ms) over a scripted zoom in/out and four pans."""
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


def _click_ms(page, parcels) -> float:
    """Median ms from a click on a parcel to HedongGeo's click event and the next frame."""
    times = []
    rows = parcels.iloc[:: max(1, len(parcels) // 7)][:7]
    for geom in rows.geometry:
        point = geom.representative_point()
        page.evaluate(
            f"() => HedongGeo.map.setView([{point.y}, {point.x}], 17, {{animate: false}})"
        )
        _wait_still(page)
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
    return statistics.median(times)


def _measure(browser, url: str, parcels, click: bool, limit: float) -> dict[str, float]:
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
        worst, p95 = _frames(page)
        click = _click_ms(page, parcels) if click else float("nan")
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        return {
            "paint_s": paint,
            "gap_ms": worst,
            "p95_ms": p95,
            "click_ms": click,
            "heap_mb": metrics.get("JSHeapUsedSize", 0) / 2**20,
            "renderer_mb": _renderer_mb(),
        }
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
                rows[name] = _measure(browser, url, parcels, name != "none", args.limit)
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
    args = parser.parse_args()
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
