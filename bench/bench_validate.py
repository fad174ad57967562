"""Time ``validate`` and the GeoJSON writer at 5k, 20k and 50k generated parcels, before and now.

Run: ``.venv/bin/python bench/bench_validate.py [--sizes 5000,20000,50000] [--runs 3]``.

Issue 14 ("fast at any size"): ``python -m hedong_geo validate`` over the repository's layers
plus 50,000 generated parcels (:mod:`bench.parcels`) took 147 s, and writing the parcels'
GeoJSON row by row ≈ 10 s of a 40 s ``publish``. For each size this writes the repository's
layers and ``n`` parcels into a folder, then prints, in the same run:

- ``validate``: :func:`hedong_geo._validate.validate_layers` (now: one vectorised pass per rule)
  against :func:`bench.baseline_validate.validate_layers_rowwise` (before: the row-wise checks,
  kept as they were), both reading the folder themselves (reading alone is printed apart), and
  whether they found the same problems;
- ``GeoJSON``: :func:`hedong_geo.exports.data.geojson_text` (now: column by column) against
  :func:`bench.baseline_validate.geojson_rowwise` (before: ``to_geojson`` and ``json.dumps``)
  for the parcels, as ``publish`` writes them (no indent) and as ``export`` does (``indent=1``),
  median of ``--runs``, and whether the texts are identical.

Ratios are before / now. Nothing is asserted: the equality proofs are tests
(``tests/test_validate_fast.py``, ``tests/test_geojson_text.py``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.baseline_validate import geojson_rowwise, validate_layers_rowwise  # noqa: E402
from bench.parcels import LAYER, write_parcels_layer  # noqa: E402
from hedong_geo._validate import validate_layers  # noqa: E402
from hedong_geo.exports.data import geojson_text  # noqa: E402
from hedong_geo.layers import load_layers  # noqa: E402


def _timed(func: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def _median(func: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        took, result = _timed(func)
        times.append(took)
    return statistics.median(times), result


def _row(label: str, before: float, now: float, same: bool) -> str:
    return (
        f"  {label:<34} before {before:8.2f} s   now {now:6.2f} s   "
        f"{before / now:6.1f}x   identical: {same}"
    )


def one_size(n: int, tmp: Path, runs: int, baseline: bool) -> None:
    """Write the repository's layers and ``n`` parcels into a folder; time both ways."""
    folder = tmp / f"layers{n}"
    took, _ = _timed(lambda: write_parcels_layer(n, folder, with_layers=True))
    print(f"\n{n} parcels (written in {took:.1f} s), load {os.getloadavg()[0]:.1f}", flush=True)
    took, layers = _timed(lambda: load_layers(folder))
    print(f"  reading the layers alone: {took:.2f} s", flush=True)
    now, found = _timed(lambda: [str(p) for p in validate_layers(folder)])
    if baseline:
        before, found_before = _timed(lambda: [str(p) for p in validate_layers_rowwise(folder)])
        print(_row(f"validate ({len(found)} problems)", before, now, found == found_before))
    else:
        print(f"  validate ({len(found)} problems): now {now:.2f} s (no baseline)")
    parcels = layers.layers[LAYER]
    for label, layout in (("publish", {"name": LAYER}), ("export, indent=1", {"indent": 1})):
        now, text = _median(lambda layout=layout: geojson_text(parcels, **layout), runs)
        before, text_before = _median(
            lambda layout=layout: geojson_rowwise(parcels, **layout), runs
        )
        size = f"{len(text.encode()) / 1e6:.0f} MB"
        print(_row(f"GeoJSON, {label} ({size})", before, now, text == text_before), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes", default="5000,20000,50000", help="parcel counts, comma-separated"
    )
    parser.add_argument("--runs", type=int, default=3, help="GeoJSON runs per size (median)")
    parser.add_argument(
        "--baseline-up-to",
        type=int,
        default=50_000,
        help="run the row-wise validate only up to this size (it takes minutes at 50k)",
    )
    args = parser.parse_args()
    print("bench_validate: before = row-wise (bench/baseline_validate.py), now = this checkout")
    with tempfile.TemporaryDirectory(prefix="bench-validate-") as tmp:
        for n in (int(size) for size in args.sizes.split(",")):
            one_size(n, Path(tmp), args.runs, n <= args.baseline_up_to)


if __name__ == "__main__":
    main()
