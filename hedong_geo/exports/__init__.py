"""Exports: map snapshots (PNG, PDF, SVG), data (GeoJSON, GeoPackage, CSV), the one-file HTML
map and the static site.

Modules by job:

- :mod:`~hedong_geo.exports.formats`: the formats, their file suffixes, the output check;
- :mod:`~hedong_geo.exports.selection`: which features (layers, ids);
- :mod:`~hedong_geo.exports.data`: GeoJSON, GeoPackage, CSV;
- the printed map: :mod:`~hedong_geo.exports.options` (what is asked),
  :mod:`~hedong_geo.exports.extent` (where, at what scale), :mod:`~hedong_geo.exports.layout`
  (the sheet's boxes), :mod:`~hedong_geo.exports.basemap`, :mod:`~hedong_geo.exports.drawing`,
  :mod:`~hedong_geo.exports.labels` (labels that never overlap),
  :mod:`~hedong_geo.exports.listing`, :mod:`~hedong_geo.exports.furniture`,
  :mod:`~hedong_geo.exports.typeset`, :mod:`~hedong_geo.exports.printing` (the pages) and
  :mod:`~hedong_geo.exports.snapshot` (files and bytes: :func:`print_figure`);
- :mod:`~hedong_geo.exports.site`: the one-file HTML export and the static site.

Every file and folder is written through :mod:`hedong_geo._io`: atomically, never over an
existing file unless asked (``overwrite=True``, CLI ``--overwrite``), never under a suffix of
another format, never inside the project's ``layers/`` or ``geodata/``; the site only into a
folder that is new, empty or an earlier site (else ``force=True``, CLI ``--force``).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hedong_geo._errors import ExportError
from hedong_geo.exports.formats import (
    DATA_FORMATS,
    FORMATS,
    SNAPSHOT_FORMATS,
    SUFFIXES,
    check_format,
    check_target,
)

if TYPE_CHECKING:  # the names below are loaded on first use (PEP 562, :func:`__getattr__`)
    from hedong_geo.exports.data import CSV_COLUMNS, csv_rows, export_data, to_geojson
    from hedong_geo.exports.extent import METRIC_CRS, parse_extent, resolve_extent
    from hedong_geo.exports.options import COMMON_SCALES, SCALE_RANGE, PrintOptions, parse_scale
    from hedong_geo.exports.printing import default_title, render_pages
    from hedong_geo.exports.selection import select_features
    from hedong_geo.exports.site import export_html, publish_site, site_details
    from hedong_geo.exports.snapshot import (
        PrintedFigure,
        export_snapshot,
        file_name,
        print_figure,
        print_name,
        render_snapshot,
    )
    from hedong_geo.exports.typeset import cjk_font_family
    from hedong_geo.layers import LayerSet

__all__ = [
    "COMMON_SCALES",
    "CSV_COLUMNS",
    "DATA_FORMATS",
    "FORMATS",
    "METRIC_CRS",
    "SCALE_RANGE",
    "SNAPSHOT_FORMATS",
    "SUFFIXES",
    "PrintOptions",
    "PrintedFigure",
    "cjk_font_family",
    "csv_rows",
    "default_title",
    "export_data",
    "export_html",
    "export_snapshot",
    "export_to",
    "file_name",
    "parse_extent",
    "parse_scale",
    "print_figure",
    "print_name",
    "publish_site",
    "render_pages",
    "render_snapshot",
    "resolve_extent",
    "select_features",
    "site_details",
    "to_geojson",
]

# Public name → the submodule that defines it. The export stack (matplotlib, folium, the
# fonts) costs about a second to import: the app imports this package for FORMATS on every
# start, so the rest is imported only when first asked for (issue 14: a cheap cold start).
_LAZY = {
    "CSV_COLUMNS": "data",
    "csv_rows": "data",
    "export_data": "data",
    "to_geojson": "data",
    "METRIC_CRS": "extent",
    "parse_extent": "extent",
    "resolve_extent": "extent",
    "select_features": "selection",
    "export_html": "site",
    "publish_site": "site",
    "site_details": "site",
    "export_snapshot": "snapshot",
    "render_snapshot": "snapshot",
    "cjk_font_family": "typeset",
    "COMMON_SCALES": "options",
    "SCALE_RANGE": "options",
    "PrintOptions": "options",
    "parse_scale": "options",
    "default_title": "printing",
    "render_pages": "printing",
    "PrintedFigure": "snapshot",
    "file_name": "snapshot",
    "print_figure": "snapshot",
    "print_name": "snapshot",
}
_SUBMODULES = frozenset(
    (
        "basemap",
        "data",
        "drawing",
        "extent",
        "furniture",
        "labels",
        "layout",
        "listing",
        "options",
        "printing",
        "selection",
        "site",
        "snapshot",
        "typeset",
    )
)


def __getattr__(name: str) -> Any:
    """Import a public name's submodule on first use (PEP 562) and keep the name here."""
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | _SUBMODULES)


def export_to(
    source: LayerSet,
    out: str | os.PathLike,
    format: str,
    *,
    layers: Sequence[str] | None = None,
    feature: str | None = None,
    extent: str | Sequence[float] | None = None,
    lang: str = "zh",
    overwrite: bool = False,
    **snapshot_options: Any,
) -> Path:
    """Write ``source`` to ``out`` in any export format; the one entry for the CLI and the app.

    ``extent`` and ``snapshot_options`` (paper, orientation, dpi) apply to snapshots only;
    ``feature`` opens the HTML export on a feature, frames a snapshot, or selects the data.
    ``out`` must be named for ``format`` (``*.csv`` for CSV) and must not exist unless
    ``overwrite``.
    """
    from hedong_geo.exports.data import export_data
    from hedong_geo.exports.site import export_html
    from hedong_geo.exports.snapshot import export_snapshot

    check_format(format, FORMATS)
    check_target(out, format, overwrite=overwrite)  # a wrong name fails before anything else
    if extent is not None and format not in SNAPSHOT_FORMATS:
        raise ExportError(
            f"an extent ({extent!r}) applies to png, pdf and svg; select {format} output "
            "with layers and a feature"
        )
    if format == "html":
        return export_html(
            source, out, layers_shown=layers, lang=lang, feature=feature, overwrite=overwrite
        )
    if format in SNAPSHOT_FORMATS:
        return export_snapshot(
            source,
            out,
            format=format,
            layers=layers,
            extent=extent,
            feature=feature,
            lang=lang,
            overwrite=overwrite,
            **snapshot_options,
        )
    ids = [feature] if feature else None
    return export_data(source, out, format=format, layers=layers, ids=ids, overwrite=overwrite)
