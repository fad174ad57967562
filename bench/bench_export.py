"""Time the printed figures against baselines measured in the same run.

Run: ``.venv/bin/python bench/bench_export.py [N_PARCELS]`` (default 50000; 0 skips them).

1. **The park figure** — A4 landscape 300 dpi PNG of 金贸产业园区 (``park.jinmao``) with its
   quadrants and members, the park selected — against **the whole district** at the same
   size: target park ≤ 1.5× district, both ≤ 3 s (median of 3 warm runs).
2. **Exports that scale** — the district figure with a generated 控规-like parcels layer of
   N polygons (``bench/parcels.py``; not real data) as PNG and PDF, against **a plain
   geopandas plot of the same layers** (``to_crs`` + ``.plot()`` + ``savefig``, same page and
   dpi, no furniture): target ≤ 2×.

Uses the repository's ``layers/``. Prints ratios; returns 1 if a target is missed.
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

from matplotlib.figure import Figure

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.parcels import make_parcels  # noqa: E402
from hedong_geo import exports  # noqa: E402
from hedong_geo.layers import LayerSet, load_layers  # noqa: E402

TARGET_S = 3.0
PARK_VS_DISTRICT = 1.5
SCALED_VS_PLAIN = 2.0
RUNS = 3
DAY = dt.date(2026, 3, 1)


def _median(func, runs: int = RUNS) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def plain_plot(layerset: LayerSet, out: Path, fmt: str) -> None:
    """Baseline: every layer projected and plotted with geopandas on an A4 page, nothing else."""
    fig = Figure(figsize=(297 / 25.4, 210 / 25.4), dpi=300)
    ax = fig.add_subplot()
    for gdf in layerset.layers.values():
        located = gdf[~gdf.geometry.isna()]
        if len(located):
            located.to_crs(exports.METRIC_CRS).plot(ax=ax)
    fig.savefig(out, format=fmt, dpi=300)


def figure(layerset: LayerSet, out: Path, fmt: str = "png", **options) -> None:
    opts = exports.PrintOptions(format=fmt, dpi=300, date=DAY, **options)
    out.write_bytes(exports.print_figure(layerset, opts).data)


def _line(label: str, median: float, times: list[float]) -> str:
    runs = ", ".join(f"{t:.2f}" for t in times)
    return f"{label:<46} {median:6.2f} s  (runs {runs})"


def park_and_district(layerset: LayerSet, tmp: Path) -> bool:
    """The park figure against the whole-district figure; True if on target."""
    park = {"extent": "park.jinmao", "selected": ("park.jinmao",)}
    figure(layerset, tmp / "cold.png", **park)  # fonts, caches
    park_s, park_runs = _median(lambda: figure(layerset, tmp / "park.png", **park))
    district_s, district_runs = _median(lambda: figure(layerset, tmp / "district.png"))
    pdf_s, pdf_runs = _median(lambda: figure(layerset, tmp / "park.pdf", "pdf", **park))
    ratio = park_s / district_s
    ok = ratio <= PARK_VS_DISTRICT and park_s <= TARGET_S and district_s <= TARGET_S
    print(_line("park figure, A4 300 dpi PNG (金贸产业园区)", park_s, park_runs))
    print(_line("park figure, A4 PDF", pdf_s, pdf_runs))
    print(_line("whole district, A4 300 dpi PNG", district_s, district_runs))
    print(
        f"park / district = {ratio:.2f} (target ≤ {PARK_VS_DISTRICT}); both ≤ {TARGET_S:.0f} s: "
        f"{'OK' if ok else 'MISSED'}"
    )
    return ok


def with_parcels(layerset: LayerSet, n: int, tmp: Path) -> bool:
    """The district figure with ``n`` generated parcels against a plain plot; True if on target."""
    start = time.perf_counter()
    big = LayerSet(layers={**layerset.layers, "parcels": make_parcels(n, seed=0)})
    print(f"\n{n:,} generated parcels made in {time.perf_counter() - start:.1f} s")
    ok = True
    for fmt in ("png", "pdf"):
        ours, ours_runs = _median(lambda fmt=fmt: figure(big, tmp / f"p.{fmt}", fmt), 2)
        plain, plain_runs = _median(lambda fmt=fmt: plain_plot(big, tmp / f"plain.{fmt}", fmt), 2)
        ratio = ours / plain
        ok &= ratio <= SCALED_VS_PLAIN
        size = (tmp / f"p.{fmt}").stat().st_size / 1e6
        plain_size = (tmp / f"plain.{fmt}").stat().st_size / 1e6
        print(_line(f"district + parcels, {fmt.upper()} ({size:.1f} MB)", ours, ours_runs))
        print(
            _line(f"plain geopandas plot, {fmt.upper()} ({plain_size:.1f} MB)", plain, plain_runs)
        )
        verdict = "OK" if ratio <= SCALED_VS_PLAIN else "MISSED"
        print(f"ours / plain ({fmt}) = {ratio:.2f} (target ≤ {SCALED_VS_PLAIN}): {verdict}")
    return ok


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 50_000
    layerset = load_layers(ROOT / "layers")
    count = len(layerset.features())
    print(f"layers/: {len(layerset.layers)} files, {count} features")
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        ok = park_and_district(layerset, tmp)
        if n:
            ok &= with_parcels(layerset, n, tmp)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
