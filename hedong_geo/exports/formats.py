"""The export formats, the file suffixes each is known by, and the check of an output path.

One table says which suffixes a format may be written under; :func:`check_target` applies it
with the guards of :func:`hedong_geo._io.check_new_file` (no overwrite unless asked, nothing
inside the project's ``layers/`` or ``geodata/``), before any slow work.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from hedong_geo._errors import ExportError
from hedong_geo._io import check_new_file

__all__ = ["DATA_FORMATS", "FORMATS", "SNAPSHOT_FORMATS", "SUFFIXES", "check_format"]

SNAPSHOT_FORMATS = ("png", "pdf", "svg")
DATA_FORMATS = ("geojson", "gpkg", "csv")
FORMATS = ("png", "pdf", "svg", "html", "geojson", "gpkg", "csv")
# The suffixes a format is written under, the usual one first.
SUFFIXES = {
    "png": (".png",),
    "pdf": (".pdf",),
    "svg": (".svg",),
    "html": (".html", ".htm"),
    "geojson": (".geojson", ".json"),
    "gpkg": (".gpkg",),
    "csv": (".csv",),
}


def check_format(fmt: str, allowed: Sequence[str] = FORMATS) -> str:
    """``fmt`` if it is one of ``allowed``; else :class:`ExportError` listing them."""
    if fmt not in allowed:
        raise ExportError(f"unknown format {fmt!r}; expected one of {list(allowed)}")
    return fmt


def check_target(out: str | os.PathLike, fmt: str, *, overwrite: bool = False) -> Path:
    """``out`` as a Path if a ``fmt`` export may be written there; else a clear error.

    The suffix must be one of the format's (:data:`SUFFIXES`): ``--format csv --out
    x.geojson`` and a CSV over ``features.yaml`` are refused. An existing file is replaced
    only with ``overwrite``.
    """
    return check_new_file(
        out, suffixes=SUFFIXES[fmt], overwrite=overwrite, what=f"the {fmt} output"
    )
