"""Rebuild the example figures under ``docs/examples/`` from the committed layers.

Run ``python docs/examples/make_examples.py`` after a change to the layers or the print layout
(it also runs ``make_report_examples.py``, the dossier and site-check pages);
``tests/test_export_examples.py`` renders them again and compares them with the committed files.
The date is fixed so that the files change only when the figure does.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hedong_geo import exports  # noqa: E402
from hedong_geo.layers import load_layers  # noqa: E402
from hedong_geo.paths import LAYERS  # noqa: E402

DATE = dt.date(2026, 3, 1)
DPI = 150
# file name → print options: the 金贸产业园 figure a planner would paste into a report.
EXAMPLES = {
    "park_zh.png": {"extent": "park.jinmao", "selected": ("park.jinmao",), "lang": "zh"},
    "park_en.png": {"extent": "park.jinmao", "selected": ("park.jinmao",), "lang": "en"},
}


def render(name: str, layers_dir: Path = LAYERS) -> bytes:
    """The PNG bytes of example ``name`` (page 1, the map), in 256 colours to stay small."""
    options = exports.PrintOptions(format="png", dpi=DPI, date=DATE, **EXAMPLES[name])
    data = exports.print_figure(load_layers(layers_dir), options).data
    with Image.open(io.BytesIO(data)) as image:
        small = image.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT, dither=0)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True, dpi=(DPI, DPI))
    return out.getvalue()


def main(folder: Path = HERE) -> list[Path]:
    written = []
    for name in EXAMPLES:
        out = Path(folder) / name
        out.write_bytes(render(name))
        written.append(out)
        print(out)
    return written


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
    if len(sys.argv) == 1:  # and the dossier and site-check pages (make_report_examples.py)
        import runpy

        runpy.run_path(str(HERE / "make_report_examples.py"), run_name="__main__")
