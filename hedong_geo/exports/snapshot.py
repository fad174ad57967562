"""Printed figures as files and bytes: PNG, PDF or SVG on A4 or A3.

The figure itself is :mod:`~hedong_geo.exports.printing`'s (:func:`render_pages`). Here:

- :func:`print_figure` — the one call for the app: options in, a :class:`PrintedFigure` out
  (the bytes, the file name made from the title and date, the MIME type, the page count);
- :func:`export_snapshot` — the CLI's: the figure saved atomically (a PDF holds every page; a
  PNG or SVG of a long list writes ``name-p2.png`` … beside it);
- :func:`render_snapshot` — the first page as a Figure, for tests and callers that draw on it.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from hedong_geo._io import atomic_write
from hedong_geo.exports.formats import SNAPSHOT_FORMATS, SUFFIXES, check_format, check_target
from hedong_geo.exports.options import PrintOptions
from hedong_geo.exports.printing import check_page, default_title, render_pages
from hedong_geo.exports.selection import as_layerset
from hedong_geo.exports.typeset import rc
from hedong_geo.layers import LayerSet

__all__ = [
    "MIME",
    "PrintedFigure",
    "export_snapshot",
    "file_name",
    "print_figure",
    "print_name",
    "render_snapshot",
]

MIME = {"png": "image/png", "pdf": "application/pdf", "svg": "image/svg+xml"}
_UNSAFE = re.compile(r"[^\w\u2e80-\u9fff]+")  # keep letters, digits, CJK; the rest is a dash


def file_name(title: str, date: dt.date, fmt: str) -> str:
    """A file name from the title and date: ``金贸产业园区及周边_2026-03-01.pdf``."""
    stem = _UNSAFE.sub("-", title).strip("-_")[:60].rstrip("-_") or "hedong"
    return f"{stem}_{date.isoformat()}.{fmt}"


def print_name(
    source: LayerSet | str | os.PathLike,
    fmt: str,
    *,
    extent: Any = None,
    lang: str = "zh",
    title: str | None = None,
    date: dt.date | None = None,
) -> str:
    """The file name a figure (or data export) of ``extent`` gets: its title and the date."""
    opts = PrintOptions(extent=extent, lang=lang, title=title).checked()
    name = title or default_title(as_layerset(source), opts)
    return file_name(name, date or dt.date.today(), SUFFIXES[fmt][0].lstrip("."))


@dataclass(frozen=True)
class PrintedFigure:
    """A printed figure ready to download: its bytes, file name, MIME type and page count."""

    data: bytes
    file_name: str
    mime: str
    pages: int


def _options(
    layers: Sequence[str] | None,
    extent: Any,
    feature: str | None,
    options: dict[str, Any],
) -> PrintOptions:
    """The keyword form of the older calls (``feature`` frames and highlights) as options."""
    selected = options.pop("selected", None) or ((feature,) if feature else ())
    fields = {"layers": tuple(layers) if layers is not None else None, "extent": extent}
    return PrintOptions(selected=tuple(selected), **fields, **options)


def render_snapshot(
    source: LayerSet | str | os.PathLike,
    *,
    layers: Sequence[str] | None = None,
    extent: str | Sequence[float] | None = None,
    feature: str | None = None,
    **options: Any,
) -> Figure:
    """The first page of the printed figure (the map), nothing saved.

    ``extent`` is ``"district"`` (default), a feature or zone id, or a WGS84 bbox; ``feature``
    is highlighted and frames the map when no extent is given. ``options`` are
    :class:`PrintOptions` fields (paper, orientation, dpi, lang, title, subtitle, date, scale,
    margin_m, selected).
    """
    return render_pages(source, _options(layers, extent, feature, options))[0]


def _save(figures: list[Figure], fmt: str, metadata: dict) -> bytes:
    """The pages as one PDF, or the first of them as PNG or SVG."""
    buffer = io.BytesIO()
    with matplotlib.rc_context(rc()):
        if fmt == "pdf":
            with PdfPages(buffer, metadata=metadata) as pdf:
                for fig in figures:
                    pdf.savefig(fig)
        else:
            meta = {"Title": metadata["Title"]}
            meta["Software" if fmt == "png" else "Creator"] = "hedong-geo"
            figures[0].savefig(buffer, format=fmt, dpi=figures[0].dpi, metadata=meta)
    return buffer.getvalue()


def print_figure(source: LayerSet | str | os.PathLike, options: PrintOptions) -> PrintedFigure:
    """The printed figure as bytes in ``options.format``, with its file name.

    A PDF holds every page; a PNG or SVG is page ``options.page`` (1: the map). Bad options
    raise :class:`~hedong_geo._errors.ExportError` before anything is drawn.
    """
    opts = options.checked()
    layerset = as_layerset(source)
    figures = render_pages(layerset, opts)
    title = opts.title or default_title(layerset, opts)
    fmt = opts.format
    metadata = {"Title": title, "Creator": "hedong-geo"}
    if fmt != "pdf":
        check_page(opts.page, len(figures))
        figures = figures[opts.page - 1 :]
    data = _save(figures, fmt, metadata)
    name = file_name(title, opts.date or dt.date.today(), fmt)
    if fmt != "pdf" and opts.page > 1:
        name = name.replace(f".{fmt}", f"-p{opts.page}.{fmt}")
    return PrintedFigure(data, name, MIME[fmt], len(figures) if fmt == "pdf" else 1)


def export_snapshot(
    source: LayerSet | str | os.PathLike,
    out: str | os.PathLike,
    format: str = "png",
    *,
    overwrite: bool = False,
    layers: Sequence[str] | None = None,
    extent: str | Sequence[float] | None = None,
    feature: str | None = None,
    **options: Any,
) -> Path:
    """Render the printed figure and save it to ``out``; return ``out`` as a Path.

    PDF: every page in one file, fonts embedded. PNG (rasterised at the dpi) and SVG (text as
    outlines): the map page in ``out``, further list pages as ``<stem>-p2<suffix>`` beside it.
    An existing file is replaced only with ``overwrite``; the suffix must match ``format``.
    """
    check_format(format, SNAPSHOT_FORMATS)
    out = check_target(out, format, overwrite=overwrite)  # before the render, which is slow
    opts = replace(_options(layers, extent, feature, options), format=format).checked()
    layerset = as_layerset(source)
    figures = render_pages(layerset, opts)
    title = opts.title or default_title(layerset, opts)
    metadata = {"Title": title, "Creator": "hedong-geo"}
    if format == "pdf":
        data = _save(figures, "pdf", metadata)
        return atomic_write(out, lambda tmp: tmp.write_bytes(data), overwrite=overwrite)
    extra = [out.with_name(f"{out.stem}-p{n}{out.suffix}") for n in range(2, len(figures) + 1)]
    for path in extra:
        check_target(path, format, overwrite=overwrite)
    for fig, path in zip(figures, [out, *extra], strict=True):
        data = _save([fig], format, metadata)
        atomic_write(path, lambda tmp, data=data: tmp.write_bytes(data), overwrite=overwrite)
    return out
