"""Time the snapshot export: an A4 landscape 300 dpi PNG of the whole district.

Run: ``.venv/bin/python bench/bench_export.py``. Prints the cold first render, the median of 3
warm runs (target ≤ 3 s) and a naive baseline: geopandas ``.plot()`` of every layer on the
same page at 300 dpi with no legend, labels, scale bar or font set-up. Uses the repo's
``layers/`` when it has files, else ``tests/data/layers_small``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from matplotlib.figure import Figure

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hedong_geo import exports  # noqa: E402
from hedong_geo.layers import load_layers  # noqa: E402

TARGET_S = 3.0
RUNS = 3


def _timed(func) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def naive(layerset, out: Path) -> None:
    """Baseline: every layer plotted in EPSG:4527 at 300 dpi, nothing else."""
    fig = Figure(figsize=(297 / 25.4, 210 / 25.4), dpi=300)
    ax = fig.add_subplot()
    for gdf in layerset.layers.values():
        located = gdf[~gdf.geometry.isna()]
        if len(located):
            located.to_crs(exports.METRIC_CRS).plot(ax=ax)
    fig.savefig(out, dpi=300)


def main() -> int:
    real = ROOT / "layers"
    layers_dir = real if any(real.glob("*.geojson")) else ROOT / "tests/data/layers_small"
    layerset = load_layers(layers_dir)
    count = len(layerset.features())
    print(
        f"layers: {layers_dir.relative_to(ROOT)} ({len(layerset.layers)} files, {count} features)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "district.png"

        def snapshot() -> None:
            exports.export_snapshot(
                layerset, out, "png", paper="A4", dpi=300, extent="district", overwrite=True
            )

        cold = _timed(snapshot)
        warm = [_timed(snapshot) for _ in range(RUNS)]
        base = [_timed(lambda: naive(layerset, Path(tmp) / "naive.png")) for _ in range(RUNS)]
        size = out.stat().st_size
    median = statistics.median(warm)
    verdict = "OK" if median <= TARGET_S else "SLOW"
    print(f"snapshot A4 300 dpi, cold first run: {cold:.2f} s")
    print(
        f"snapshot A4 300 dpi, median of {RUNS}:  {median:.2f} s "
        f"(runs {', '.join(f'{t:.2f}' for t in warm)}; target ≤ {TARGET_S:.0f} s: {verdict}; "
        f"{size / 1e6:.1f} MB)"
    )
    print(f"naive geopandas .plot() baseline, median of {RUNS}: {statistics.median(base):.2f} s")
    print(f"cartographic furniture costs {median - statistics.median(base):+.2f} s per page")
    return 0 if median <= TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
