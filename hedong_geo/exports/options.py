"""What a printed figure is asked to show: :class:`PrintOptions`, checked once, in one place.

The app, the CLI and :func:`hedong_geo.exports.print_figure` all build one of these; a bad value
is an :class:`~hedong_geo._errors.ExportError` naming the option, the value and what is allowed.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from hedong_geo._errors import ExportError
from hedong_geo.exports.extent import parse_extent
from hedong_geo.exports.formats import SNAPSHOT_FORMATS, check_format
from hedong_geo.exports.layout import PAPER_MM
from hedong_geo.i18n import LANGS

__all__ = ["COMMON_SCALES", "SCALE_RANGE", "PrintOptions", "parse_scale"]

SCALE_RANGE = (2_000, 50_000)  # 1:2,000 … 1:50,000 at print size
COMMON_SCALES = (2_000, 5_000, 10_000, 25_000, 50_000)
ORIENTATIONS = ("portrait", "landscape")


def parse_scale(text: str | int | None) -> int | None:
    """``None`` for "fit", else the scale's denominator: ``"1:10000"``, ``"10,000"``, ``10000``."""
    if text is None or (isinstance(text, str) and text.strip().lower() in ("", "fit")):
        return None
    raw = str(text).strip().replace(",", "").replace("_", "").replace(" ", "")
    raw = raw.removeprefix("1:")
    try:
        value = float(raw)
    except ValueError:
        raise ExportError(
            f"scale {text!r} is not a scale; expected 'fit' or 1:N with N from "
            f"{SCALE_RANGE[0]:,} to {SCALE_RANGE[1]:,} (e.g. 1:10000)"
        ) from None
    if not (math.isfinite(value) and value == int(value)):
        raise ExportError(f"scale {text!r} is not a whole 1:N scale")
    if not SCALE_RANGE[0] <= value <= SCALE_RANGE[1]:
        raise ExportError(
            f"scale {text!r} is outside 1:{SCALE_RANGE[0]:,} … 1:{SCALE_RANGE[1]:,}; "
            "use 'fit' for other extents"
        )
    return int(value)


@dataclass(frozen=True)
class PrintOptions:
    """A printed figure's options; defaults give an A4 landscape map of the whole district.

    Attributes
    ----------
    extent : str or (minlon, minlat, maxlon, maxlat), optional
        ``"district"``, a feature or zone id (shown with ``margin_m`` around it), or a WGS84
        bbox (the app's current map view). Default: the first selected feature, else the
        district.
    selected : tuple of str
        Features highlighted on the map and named first.
    scale : int, optional
        The denominator of a true scale at print size (``10000`` for 1:10,000); ``None`` fits
        the extent to the frame.
    margin_m : float, optional
        Ground distance around a feature extent (default: a quarter of its size, ≥ 300 m).
    title, subtitle : str, optional
        Replace the defaults made from what is shown.
    """

    extent: str | tuple[float, float, float, float] | None = None
    selected: tuple[str, ...] = ()
    scale: int | None = None
    margin_m: float | None = None
    paper: str = "A4"
    orientation: str = "landscape"
    dpi: int = 300
    lang: str = "zh"
    layers: tuple[str, ...] | None = None
    title: str | None = None
    subtitle: str | None = None
    date: dt.date | None = None
    format: str = "pdf"
    page: int = 1  # the page a PNG or SVG shows (a PDF holds them all)

    def checked(self) -> PrintOptions:
        """These options with the extent parsed and the scale as a number; else an error."""
        check_format(self.format, SNAPSHOT_FORMATS)
        if self.lang not in LANGS:
            raise ExportError(f"unknown lang {self.lang!r}; expected one of {list(LANGS)}")
        if self.paper not in PAPER_MM:
            raise ExportError(f"unknown paper {self.paper!r}; expected one of {sorted(PAPER_MM)}")
        if self.orientation not in ORIENTATIONS:
            raise ExportError(
                f"unknown orientation {self.orientation!r}; expected one of {list(ORIENTATIONS)}"
            )
        if not (isinstance(self.dpi, int) and 30 <= self.dpi <= 1200):
            raise ExportError(f"dpi {self.dpi!r} is out of range; expected an integer 30–1200")
        if not (isinstance(self.page, int) and self.page >= 1):
            raise ExportError(f"page {self.page!r}; expected a page number from 1")
        margin = self.margin_m
        if margin is not None and not (math.isfinite(margin) and 0 <= margin <= 20_000):
            raise ExportError(f"margin {margin!r} m is out of range; expected 0 to 20000 m")
        extent = self.extent
        if isinstance(extent, str):
            extent = parse_extent(extent)
        elif extent is not None:
            extent = _bbox(extent)
        selected = (self.selected,) if isinstance(self.selected, str) else tuple(self.selected)
        layers = (self.layers,) if isinstance(self.layers, str) else self.layers
        return replace(
            self,
            extent=extent,
            selected=selected,
            scale=parse_scale(self.scale),
            layers=tuple(layers) if layers is not None else None,
        )


def _bbox(values: Sequence[float]) -> tuple[float, float, float, float]:
    if len(values) != 4:
        raise ExportError(f"extent {tuple(values)!r}; expected minlon, minlat, maxlon, maxlat")
    try:
        return tuple(float(v) for v in values)  # the Tianjin check is resolve_extent's
    except (TypeError, ValueError):
        raise ExportError(f"extent {tuple(values)!r} is not four numbers") from None
