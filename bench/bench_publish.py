"""Time the static publish and the one-file HTML export, against two baselines.

Run: ``.venv/bin/python bench/bench_publish.py``. Prints, for the repo's ``layers/``:

- ``publish``: :func:`hedong_geo.exports.publish_site`, median of 3, and the site's size;
- ``naive publish``: the same pages written the obvious way, each page rendering its own
  feature details and each reader page with a cold mention index (what the shared, once-rendered
  details and the cached mention index save), median of 3;
- ``export_html``: the one-file export, median of 3, and the file's size;
- ``folium default``: the layers json-dumped into ``folium.GeoJson`` and ``Map.save()``, the
  minimal "one HTML file" with no passages (and CDN links, so not offline).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import folium

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hedong_geo import reader  # noqa: E402
from hedong_geo.exports import export_html, publish_site, site, to_geojson  # noqa: E402
from hedong_geo.layers import load_layers  # noqa: E402
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


def main() -> None:
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
