"""Write the example images of docs/examples/ from the current layers, so they stay up to date:

    .venv/bin/python docs/examples/make_report_examples.py

(``make_examples.py`` runs it too, after the figures.)

- ``dossier_park_quadrant_se_zh.png``, ``_p2``: pages 1 and 2 (the map) of the dossier of the
  金贸产业园 south-east quadrant (``python -m hedong_geo dossier park.quadrant.se``);
- ``dossier_park_jinmao_en.png``: page 1 of the English dossier of the whole park;
- ``sitecheck_yijichuang_en.png``, ``_p2``: pages 1 and 2 of the site-check report of the
  一机床 fixture of ``tests/data/sitecheck/`` (a GCJ-02 file) read as GCJ-02;
- ``sitecheck_shift_warning_zh.png``: page 1 of the same file read as it declares itself
  (WGS84): the report warns that the coordinates look shifted.

The PDFs are made by the command line and rendered with poppler's ``pdftoppm`` at 80 dpi.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SITE = ROOT / "tests" / "data" / "sitecheck" / "site_gcj02_declared_wgs84.geojson"
DPI = "80"

# (image name, command line arguments after `python -m hedong_geo`, pages)
EXAMPLES = [
    ("dossier_park_quadrant_se_zh", ["dossier", "park.quadrant.se", "--lang", "zh"], (1, 2)),
    ("dossier_park_jinmao_en", ["dossier", "park.jinmao", "--lang", "en"], (1,)),
    ("sitecheck_yijichuang_en", ["sitecheck", str(SITE), "--crs", "gcj02", "--lang", "en"], (1, 2)),
    ("sitecheck_shift_warning_zh", ["sitecheck", str(SITE), "--lang", "zh"], (1,)),
]


def render(pdf: Path, page: int, out: Path) -> None:
    """One page of ``pdf`` as the PNG ``out``."""
    stem = out.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-png", "-r", DPI, "-f", str(page), "-l", str(page), "-singlefile", pdf, stem],
        check=True,
    )


def main() -> int:
    if shutil.which("pdftoppm") is None:
        print("pdftoppm not found: apt-get install poppler-utils", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        for name, args, pages in EXAMPLES:
            pdf = Path(tmp) / f"{name}.pdf"
            command = [sys.executable, "-m", "hedong_geo", *args, "--out", str(pdf)]
            subprocess.run(command, check=True, cwd=ROOT)
            for page in pages:
                out = HERE / (f"{name}.png" if page == 1 else f"{name}_p{page}.png")
                render(pdf, page, out)
                print(out.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
