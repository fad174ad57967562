"""Time the dossier against the current whole-district export, in the same run.

Run: ``.venv/bin/python bench/bench_dossier.py``. Prints the median of 3 warm runs of

- the baseline: the whole-district snapshot export, A4 landscape 300 dpi PNG (as
  ``bench_export.py``);
- the dossier PDF of the 金贸产业园 (the crowded zone: 9 passages of its own, 8 members with
  theirs, the map at the dossier's 200 dpi), from the loaded layers to the written file;
- the site-check report PDF of the 一机床 fixture (reading the upload, the check, the report).

Targets: each no slower than 1.5× the baseline and at most 3 s. Uses the repo's ``layers/``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hedong_geo import dossier, exports, sitecheck, uploads  # noqa: E402
from hedong_geo.layers import load_layers  # noqa: E402

TARGET_S = 3.0
TARGET_RATIO = 1.5
RUNS = 3
SITE = ROOT / "tests" / "data" / "sitecheck" / "site_gcj02_declared_wgs84.geojson"


def _median(func) -> float:
    func()  # cold: fonts, caches
    runs = []
    for _ in range(RUNS):
        start = time.perf_counter()
        func()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> int:
    layerset = load_layers(ROOT / "layers")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)

        def district() -> None:
            exports.export_snapshot(
                layerset,
                out / "d.png",
                "png",
                paper="A4",
                dpi=300,
                extent="district",
                overwrite=True,
            )

        def park_dossier() -> None:
            found = dossier.build_dossier(layerset, "park.jinmao", "zh")
            dossier.write_dossier(found, out / "park.pdf", overwrite=True)

        def site_report() -> None:
            site = uploads.read_site(SITE, crs="gcj02")
            result = sitecheck.check_site(layerset, site, 200)
            report = sitecheck.site_dossier(layerset, result, "zh")
            dossier.write_dossier(report, out / "site.pdf", overwrite=True)

        base = _median(district)
        timings = {"dossier park.jinmao (PDF)": _median(park_dossier)}
        timings["site check report (PDF)"] = _median(site_report)
    print(f"baseline: whole-district export A4 300 dpi PNG, median of {RUNS}: {base:.2f} s")
    ok = True
    for what, seconds in timings.items():
        ratio = seconds / base
        good = seconds <= TARGET_S and ratio <= TARGET_RATIO
        ok &= good
        print(
            f"{what}, median of {RUNS}: {seconds:.2f} s = {ratio:.2f}× the baseline "
            f"(target ≤ {TARGET_RATIO}× and ≤ {TARGET_S:.0f} s: {'OK' if good else 'SLOW'})"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
