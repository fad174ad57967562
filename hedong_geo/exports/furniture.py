"""The snapshot's furniture, each placed in its box of the :class:`~.layout.Layout`: title
block, legend, scale bar, north arrow, feature list and note."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import matplotlib
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

from hedong_geo.exports.layout import SHEET, Box, Layout, pt_to_mm
from hedong_geo.exports.listing import COLUMN_GAP_PT, LINE_SPACING, ListPage
from hedong_geo.i18n import texts
from hedong_geo.styles import load_styles

__all__ = [
    "add_feature_list",
    "add_legend",
    "add_north_arrow",
    "add_note",
    "add_page_number",
    "add_scale_bar",
    "add_title_block",
    "dashes",
    "legend_handles",
    "nice_length",
    "scale_label",
]

BASES_IN_LEGEND = ("derived", "schematic", "described", "reference")
CIRCLED_BASES = ("described", "reference")  # drawn as a point with its accuracy circle


def dashes(dash: str | None) -> Any:
    """SVG ``dashArray`` ("8 6") as a matplotlib line style."""
    if not dash:
        return "solid"
    return (0, tuple(float(v) for v in dash.split()))


def _text_at(fig: Figure, layout: Layout, box: Box, text: str, **kwargs: Any) -> None:
    """``text`` with its top-left corner at the top-left of ``box``."""
    x, y, _, h = box.fraction(layout.page)
    fig.text(x, y + h, text, va="top", **kwargs)


def add_title_block(fig: Figure, layout: Layout, title: str, subtitle: list[str]) -> None:
    """The title and the subtitle lines (layers, date, documents) above the map."""
    s = layout.sheet
    _text_at(fig, layout, layout.title, title, fontsize=s.title_pt, fontweight="bold", gid="title")
    _text_at(
        fig,
        layout,
        layout.subtitle,
        "\n".join(subtitle),
        fontsize=s.subtitle_pt,
        color="0.25",
        linespacing=s.leading,
        gid="subtitle",
    )


def add_page_number(fig: Figure, page: tuple[float, float], text: str) -> None:
    """ "Page 1 of 2" in the bottom margin, at the right."""
    x = 1 - SHEET.margin_mm / page[0]
    y = SHEET.margin_mm / 2 / page[1]
    fig.text(
        x,
        y,
        text,
        ha="right",
        va="center",
        fontsize=SHEET.note_pt + 1,
        color="0.3",
        gid="page_number",
    )


def add_note(fig: Figure, layout: Layout, lines: list[str]) -> None:
    """The note under the map: how to read it, and how many features it cannot show."""
    s = layout.sheet
    _text_at(
        fig,
        layout,
        layout.note,
        "\n".join(lines),
        fontsize=s.note_pt,
        color="0.3",
        linespacing=s.leading,
        gid="note",
    )


def legend_handles(groups: Sequence[str], bases: set[str], lang: str) -> list[Any]:
    """A patch per group shown, and a line or circle per location basis drawn."""
    styles = load_styles()
    handles: list[Any] = []
    for group in groups:
        entry = styles["groups"][group]
        colour = entry["color"]
        fill = matplotlib.colors.to_rgba(colour, 0.35)
        handles.append(Patch(facecolor=fill, edgecolor=colour, label=entry["label"][lang]))
    for basis in BASES_IN_LEGEND:
        if basis not in bases:
            continue
        entry = styles["bases"][basis]
        label = entry["label"][lang]
        if basis in CIRCLED_BASES:
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="o",
                    markersize=9,
                    linestyle="",
                    markerfacecolor=(0.3, 0.3, 0.3, 0.15),
                    markeredgecolor="0.3",
                    label=label,
                )
            )
        else:
            line = dashes(entry["dash"])
            handles.append(Line2D([], [], color="0.3", linewidth=1.2, linestyle=line, label=label))
    return handles


def add_legend(fig: Figure, layout: Layout, box: Box, handles: list[Any], lang: str) -> None:
    """The legend in ``box``, top left; in two columns when one would run out of the box."""
    ax = fig.add_axes(box.fraction(layout.page))
    ax.set_axis_off()
    size = layout.sheet.legend_pt
    rows_fit = int(box.h / (layout.sheet.legend_row * pt_to_mm(size))) - 1
    legend = ax.legend(
        handles=handles,
        loc="upper left",
        fontsize=size,
        title=texts("snap", lang)["legend"],
        title_fontsize=size + 1,
        frameon=False,
        alignment="left",
        handlelength=3,
        borderaxespad=0.0,
        ncols=1 if len(handles) <= max(rows_fit, 1) else 2,
    )
    legend.set_gid("legend")


def add_feature_list(
    fig: Figure, page: tuple[float, float], box: Box, part: ListPage, heading: str
) -> None:
    """One page's part of the numbered feature list in ``box``: a heading, then its columns."""
    ax = fig.add_axes(box.fraction(page))
    ax.set_axis_off()
    heading_pt = SHEET.list_heading_pt
    ax.text(
        0,
        1,
        heading,
        fontsize=8,
        fontweight="bold",
        va="top",
        transform=ax.transAxes,
        gid="list_heading",
    )
    top = 1 - heading_pt / (box.h / pt_to_mm(1))
    step = (box.w / pt_to_mm(1) + COLUMN_GAP_PT) / max(len(part.columns), 1)
    for n, column in enumerate(part.columns):
        ax.text(
            n * step / (box.w / pt_to_mm(1)),
            top,
            "\n".join(column),
            fontsize=part.size,
            va="top",
            linespacing=LINE_SPACING,
            transform=ax.transAxes,
            gid="feature_list",
        )


def nice_length(span_m: float) -> float:
    """A round scale-bar length (1, 2 or 5 × 10ⁿ metres) close to a fifth of ``span_m``."""
    target = span_m / 5
    power = 10 ** math.floor(math.log10(target))
    return max(m * power for m in (1, 2, 5) if m * power <= target)


def scale_label(length_m: float) -> str:
    return f"{length_m / 1000:g} km" if length_m >= 1000 else f"{length_m:g} m"


def add_scale_bar(ax: Any, span_m: float, ratio: str = "") -> Any:
    """A scale bar of a round length, lower left in the map, with the scale as a ratio."""
    length = nice_length(span_m)
    bar = AnchoredSizeBar(
        ax.transData,
        length,
        scale_label(length) + (f"   {ratio}" if ratio else ""),
        loc="lower left",
        pad=0.5,
        borderpad=0.8,
        sep=3,
        frameon=True,
        size_vertical=length / 40,
        fontproperties=font_manager.FontProperties(size=7),
    )
    bar.patch.set_alpha(0.8)
    bar.set_gid("scalebar")
    ax.add_artist(bar)
    return bar


def add_north_arrow(ax: Any, layout: Layout) -> Any:
    """An arrow and "N" in the map's top-right corner.

    The map grid is EPSG:4527's Gauss-Kruger grid: at 117.2°E the meridian convergence is
    about 0.1°, so grid north is drawn as north.
    """
    s, frame = layout.sheet, layout.map
    x = 1 - s.north_inset_mm / frame.w
    tip = 1 - s.north_inset_mm / frame.h
    tail = 1 - (s.north_inset_mm + s.north_length_mm) / frame.h
    return ax.annotate(
        "N",
        xy=(x, tip),
        xytext=(x, tail),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=10,
        fontweight="bold",
        arrowprops={
            "arrowstyle": "-|>,head_length=0.8,head_width=0.4",
            "lw": 1.5,
            "color": "black",
        },
        gid="north_arrow",
    )
