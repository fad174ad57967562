"""Time the static publish and the one-file HTML export, against two baselines.

Run: ``.venv/bin/python bench/bench_publish.py``. Prints, for the repo's ``layers/``:

- ``publish``: :func:`hedong_geo.exports.publish_site`, median of 3, and the site's size;
- ``naive publish``: the same pages written the obvious way, each page rendering its own
  feature details and each reader page with a cold mention index (what the shared, once-rendered
  details and the cached mention index save), median of 3;
- ``export_html``: the one-file export, median of 3, and the file's size;
- ``folium default``: the layers json-dumped into ``folium.GeoJson`` and ``Map.save()``, the
  minimal "one HTML file" with no passages (and CDN links, so not offline).

``--parcels N`` (issue 14: "publish with the 50k layer ≤ 60 s, its first page ≤ 1 MB") then
publishes the repo's layers with and without ``N`` generated parcels (:mod:`bench.parcels`, the
real schema) in the same run, once each: **without is the baseline**. "with, cold" cuts the
parcels' vector tiles into an empty tile cache; "with, warm" finds them there. Each row gives
the time, the first page (``index.html``) size, the number of files and the site's size.
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

import folium

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.parcels import write_parcels_layer  # noqa: E402
from hedong_geo import reader  # noqa: E402
from hedong_geo.exports import export_html, publish_site, site, to_geojson  # noqa: E402
from hedong_geo.layers import LayerSet, load_layers, read_layer  # noqa: E402
from hedong_geo.links import page_name  # noqa: E402
from hedong_geo.panel import detail_html, feature_detail  # noqa: E402
from hedong_geo.webmap import build_map  # noqa: E402

RUNS = 3


def _median(func: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def naive_publish(layers, out: Path) -> None:
    """Baseline: the same page set, every detail rendered per page, mention index cold."""
    out.mkdir(parents=True, exist_ok=True)
    ids = [row.id for row in site._detail_sets(layers)]
    map_details = {i: detail_html(feature_detail(layers, i)) for i in ids}
    m = build_map(layers, asset_base="assets")
    (out / "index.html").write_text(m.get_root().render() + str(map_details), encoding="utf-8")
    (out / "plan").mkdir(exist_ok=True)
    for doc_id in site.DOCS:
        reader._mentions.cache_clear()
        page = reader.document_html(doc_id, layers)
        (out / "plan" / f"{doc_id}.html").write_text(page, encoding="utf-8")
    (out / "features").mkdir(exist_ok=True)
    for fid in ids:
        page = detail_html(feature_detail(layers, fid))
        (out / "features" / page_name(fid)).write_text(page, encoding="utf-8")


def folium_default(layers, out: Path) -> None:
    """Baseline: json-dumped layers in a default folium map, saved with ``Map.save``."""
    m = folium.Map(location=[39.12, 117.25], zoom_start=12)
    for name, gdf in layers.layers.items():
        located = gdf[gdf.geometry.notna()]
        if len(located):
            folium.GeoJson(to_geojson(located), name=name).add_to(m)
    m.save(str(out))


def _site_row(label: str, seconds: float, site_dir: Path) -> str:
    files = [p for p in site_dir.rglob("*") if p.is_file()]
    index = (site_dir / "index.html").stat().st_size
    total = sum(p.stat().st_size for p in files)
    return (
        f"{label:<22}{seconds:>8.2f} s  index.html {index / 1e6:>6.3f} MB  "
        f"{len(files):>6} files  {total / 1e6:>7.1f} MB"
    )


def _timed_publish(layers: LayerSet, out: Path) -> float:
    start = time.perf_counter()
    publish_site(layers, out, force=True)
    return time.perf_counter() - start


def publish_with_parcels(n: int) -> None:
    """Publish the repo's layers without (baseline) and with ``n`` generated parcels."""
    layers = load_layers()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        start = time.perf_counter()
        parcels, problems = read_layer(write_parcels_layer(n, tmp / "layer"))
        assert not problems, problems[:3]
        print(f"{n} parcels generated and read in {time.perf_counter() - start:.1f} s")
        both = LayerSet(layers={**layers.layers, "parcels": parcels})
        old = os.environ.get("HEDONG_GEO_TILE_CACHE")
        os.environ["HEDONG_GEO_TILE_CACHE"] = str(tmp / "tile-cache")  # empty: a cold cut
        try:
            rows = [
                ("without (baseline)", _timed_publish(layers, tmp / "base"), tmp / "base"),
                ("with, cold tile cache", _timed_publish(both, tmp / "cold"), tmp / "cold"),
                ("with, warm tile cache", _timed_publish(both, tmp / "warm"), tmp / "warm"),
            ]
        finally:
            if old is None:
                os.environ.pop("HEDONG_GEO_TILE_CACHE", None)
            else:
                os.environ["HEDONG_GEO_TILE_CACHE"] = old
        print(f"publish, repo layers (+ {n} parcels); one run each; load {os.getloadavg()}")
        for label, seconds, path in rows:
            print(_site_row(label, seconds, path))
        base, cold = rows[0][1], rows[1][1]
        print(f"with / without: {cold / base:.1f}x (target: with ≤ 60 s, index.html ≤ 1 MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--parcels", type=int, default=0, help="also publish with N generated parcels"
    )
    args = parser.parse_args()
    if args.parcels:
        publish_with_parcels(args.parcels)
        return
    layers = load_layers()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        out_site, naive_site = tmp / "site", tmp / "naive"
        single, plain = tmp / "map.html", tmp / "folium.html"
        rows = [
            ("publish", _median(lambda: publish_site(layers, out_site)), out_site),
            ("naive publish", _median(lambda: naive_publish(layers, naive_site)), naive_site),
            ("export_html", _median(lambda: export_html(layers, single, overwrite=True)), single),
            ("folium default", _median(lambda: folium_default(layers, plain)), plain),
        ]
        count = sum(len(gdf) for gdf in layers.layers.values())
        print(f"{count} features in {len(layers.layers)} layers; median of {RUNS} runs")
        for label, seconds, path in rows:
            print(f"{label:<16}{seconds:>8.2f} s  {_size(path) / 1024:>9.0f} KiB")


if __name__ == "__main__":
    main()
