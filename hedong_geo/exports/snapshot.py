"""A printable map of the chosen layers: PNG, PDF or SVG on A4 or A3.

:func:`render_snapshot` returns a matplotlib :class:`~matplotlib.figure.Figure` (Agg, no pyplot
state) laid out by :mod:`~hedong_geo.exports.layout`: the map (context underneath, features
styled like the web map from ``geodata/styles.json``, numbered labels), its furniture
(:mod:`~hedong_geo.exports.furniture`) and the feature list (:mod:`~hedong_geo.exports.listing`).
:func:`export_snapshot` saves it atomically. The map is drawn in EPSG:4527 metres, so accuracy
circles are true metres and the scale bar is exact.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib
import numpy as np
import shapely
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from hedong_geo._errors import ExportError
from hedong_geo._io import atomic_write
from hedong_geo.exports import furniture
from hedong_geo.exports.extent import fit_aspect, hedong_outline, resolve_extent
from hedong_geo.exports.formats import SNAPSHOT_FORMATS, check_format, check_target
from hedong_geo.exports.layout import Layout, page_layout, page_mm, text_width_em
from hedong_geo.exports.listing import doc_text
from hedong_geo.exports.selection import as_layerset, check_layers, layer_title
from hedong_geo.exports.typeset import rc, wrap
from hedong_geo.i18n import LANGS, t, texts
from hedong_geo.layers import LayerSet
from hedong_geo.places import osm_drawn
from hedong_geo.styles import feature_style, load_styles
from hedong_geo.transform import to_metric

__all__ = ["export_snapshot", "render_snapshot"]

MAX_NAMED_LABELS = 40  # more features than this are labelled by number only
LABEL_PT = 6.5


def render_snapshot(
    source: LayerSet | str | os.PathLike,
    *,
    layers: Sequence[str] | None = None,
    extent: str | Sequence[float] | None = None,
    feature: str | None = None,
    paper: str = "A4",
    orientation: str = "landscape",
    dpi: int = 300,
    lang: str = "zh",
    title: str | None = None,
    date: dt.date | None = None,
) -> Figure:
    """Draw a printable map of the chosen layers and extent; return the Figure (nothing saved).

    Parameters
    ----------
    source : LayerSet or path
        The layers, or a folder of layer files to load.
    layers : list of str, optional
        Layer names to draw (default: every layer but ``context``). The context layer is always
        drawn underneath when present.
    extent : str or (minlon, minlat, maxlon, maxlat), optional
        ``"district"`` (default), a feature or zone id, or a WGS84 bbox within Tianjin.
    feature : str, optional
        A feature to outline in black; its padded extent is used when ``extent`` is not given.
    paper, orientation : str
        ``"A4"`` or ``"A3"``; ``"portrait"`` or ``"landscape"``. The figure has that exact size.
    dpi : int
        Resolution of raster output (PNG); the figure's dpi.
    lang : str
        ``"zh"`` or ``"en"``: labels, legend, title and notes.
    title : str, optional
        Replaces the default title.
    date : datetime.date, optional
        Shown in the subtitle (default: today).

    Returns
    -------
    matplotlib.figure.Figure
        With artists whose gid is ``"map"``, ``"legend"``, ``"scalebar"``, ``"north_arrow"``,
        ``"feature_list"``, ``"title"``, ``"subtitle"`` and ``"note"``, so tests and callers can
        find them.
    """
    if lang not in LANGS:
        raise ExportError(f"unknown lang {lang!r}; expected 'zh' or 'en'")
    if not (isinstance(dpi, int) and 30 <= dpi <= 1200):
        raise ExportError(f"dpi {dpi!r} is out of range; expected an integer from 30 to 1200")
    page = page_mm(paper, orientation)
    layerset = as_layerset(source)
    names = check_layers(layerset, layers)
    if layers is None:
        names = [n for n in names if n != "context"]
    if feature is not None:
        layerset.feature(feature)  # raises UnknownIdError naming it
    bounds = resolve_extent(layerset, extent if extent is not None else feature)
    with matplotlib.rc_context(rc()):
        return _render(layerset, names, bounds, feature, page, dpi, lang, title, date)


def _render(
    layerset: LayerSet,
    names: list[str],
    bounds: Sequence[float],
    focus: str | None,
    page: tuple[float, float],
    dpi: int,
    lang: str,
    title: str | None,
    date: dt.date | None,
) -> Figure:
    """The sheet: lay it out, draw the map, then the furniture around it."""
    text = texts("snap", lang)
    features = layerset.features([n for n in names if n != "context"])
    unlocated = int(features.geometry.isna().sum())
    located = to_metric(features[~features.geometry.isna()])
    when = date or dt.date.today()
    # Room for the subtitle as it would be if every selected feature were shown: never less.
    subtitle = _subtitle(located, names, when, lang, page)
    note = text["note"] + (" " + text["unlocated"].format(n=unlocated) if unlocated else "")
    if osm_drawn(located):  # ODbL: whoever shows OpenStreetMap data credits it
        note += " " + t("credit_osm", lang)
    note_lines = wrap(note, text_width_em(page, 6.0))
    layout = page_layout(page, subtitle_lines=len(subtitle), note_lines=len(note_lines))

    fig = Figure(figsize=(page[0] / 25.4, page[1] / 25.4), dpi=dpi, facecolor="white")
    ax, view = _map_axes(fig, layout, bounds)
    context_handles = _draw_context(ax, layerset, lang)
    shown = located[located.intersects(shapely.box(*view))].reset_index(drop=True)
    bases = _draw_features(ax, shown, focus) if len(shown) else set()
    shown = _label_features(ax, shown, lang)
    furniture.add_scale_bar(ax, view[2] - view[0])
    furniture.add_north_arrow(ax, layout)

    furniture.add_title_block(
        fig, layout, title or text["title"], _subtitle(shown, names, when, lang, page)
    )
    present = [g for g in load_styles()["groups"] if g in set(shown["group"])]
    handles = furniture.legend_handles(present, bases, lang) + context_handles
    legend_box, list_box = layout.split_panel(len(handles))
    furniture.add_legend(fig, layout, legend_box, handles, lang)
    furniture.add_feature_list(fig, layout, list_box, shown, lang)
    furniture.add_note(fig, layout, note_lines)
    return fig


def _subtitle(
    shown: gpd.GeoDataFrame, names: list[str], when: dt.date, lang: str, page: tuple
) -> list[str]:
    """The subtitle's lines: the layers drawn, the date, the documents cited."""
    text = texts("snap", lang)
    cited = sorted({c.get("doc") for cites in shown["citations"] for c in cites or []})
    docs = "、".join(doc_text("doc", d, lang) for d in cited)
    sep, colon = ("；", "：") if lang == "zh" else ("; ", ": ")
    layer_list = ("、" if lang == "zh" else ", ").join(layer_title(n, lang) for n in names)
    line = sep.join(
        [
            f"{text['layers']}{colon}{layer_list or text['none']}",
            f"{text['date']}{colon}{when.isoformat()}",
            f"{text['docs']}{colon}{docs or text['none']}",
        ]
    )
    return wrap(line, text_width_em(page, 8.0))


def _map_axes(fig: Figure, layout: Layout, bounds: Sequence[float]) -> tuple[Any, tuple]:
    """The map's axes in its frame, showing ``bounds`` grown to the frame's shape."""
    ax = fig.add_axes(layout.map.fraction(layout.page))
    ax.set_gid("map")
    ax.set_facecolor(load_styles()["background"])
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_aspect("equal")
    view = fit_aspect(bounds, layout.map.w, layout.map.h)
    ax.set_xlim(view[0], view[2])
    ax.set_ylim(view[1], view[3])
    return ax, view


def _draw_features(ax: Any, shown: gpd.GeoDataFrame, focus: str | None) -> set[str]:
    """Draw features styled by group and location basis; return the bases drawn."""
    bases = set()
    for (group, basis), part in shown.groupby(["group", "location_basis"], sort=False):
        style = feature_style(group, basis)
        colour = style["color"]
        width = 0.6 * style["weight"]  # Leaflet px to points, thinner for print
        line = furniture.dashes(style["dash"])
        kinds = part.geometry.geom_type
        polys = part[kinds.isin(["Polygon", "MultiPolygon"])]
        lines = part[kinds.isin(["LineString", "MultiLineString"])]
        points = part[kinds.isin(["Point", "MultiPoint"])]
        fill = matplotlib.colors.to_rgba(colour, style["fill_opacity"])
        if len(polys):
            polys.plot(
                ax=ax, facecolor=fill, edgecolor=colour, linewidth=width, linestyle=line, zorder=2
            )
        if len(lines):
            lines.plot(ax=ax, color=colour, linewidth=width + 0.6, linestyle=line, zorder=4)
        if len(points):
            if basis in furniture.CIRCLED_BASES:
                circles = points.geometry.buffer(points["accuracy_m"].astype(float), 48)
                # One fill for the union, so that overlapping circles do not darken the map.
                gpd.GeoSeries([circles.union_all()]).plot(
                    ax=ax, facecolor=fill, edgecolor="none", zorder=3
                )
                circles.boundary.plot(
                    ax=ax, color=colour, linewidth=0.6 * width, linestyle=line, zorder=3
                )
            points.plot(
                ax=ax, color=colour, markersize=14, edgecolor="white", linewidth=0.5, zorder=5
            )
        bases.add(basis)
    one = shown[shown["id"] == focus]
    if len(one) and one.geom_type.iloc[0].endswith("Polygon"):
        one.boundary.plot(ax=ax, color="black", linewidth=1.6, zorder=6)
    elif len(one):
        one.plot(ax=ax, color="black", markersize=30, linewidth=1.6, zorder=6)
    ax.set_xlabel("")  # geopandas labels the axes with the CRS's axis names
    ax.set_ylabel("")
    return bases


def _context_parts(layerset: LayerSet) -> dict[str, gpd.GeoDataFrame]:
    """The context layer in metres, split into what is drawn differently."""
    if "context" not in layerset.layers:
        return {}
    context = to_metric(layerset.features(["context"]))
    context = context[~context.geometry.isna()]
    outline = hedong_outline(context)
    boundary = (context["category"] == "boundary") & ~context.index.isin(outline.index)
    return {
        "neighbour": context[boundary],
        "hedong": outline,
        "river": context[context["category"] == "river"],
        "reference_point": context[context["category"] == "reference_point"],
    }


def _draw_context(ax: Any, layerset: LayerSet, lang: str) -> list[Any]:
    """Districts, the Haihe and reference points, under the features; return legend handles."""
    parts = _context_parts(layerset)
    if not parts:
        return []
    styles, text = load_styles()["context"], texts("snap", lang)
    handles = []
    for key, zorder in (("neighbour", 0.5), ("hedong", 0.6)):
        if parts[key].empty:
            continue
        s = styles[key]
        fill = matplotlib.colors.to_rgba(s["fill_color"], s["fill_opacity"])
        parts[key].plot(
            ax=ax, facecolor=fill, edgecolor=s["color"], linewidth=0.5 * s["weight"], zorder=zorder
        )
        handles.append(Patch(facecolor=fill, edgecolor=s["color"], label=text[key]))
    for _, row in parts["neighbour"].iterrows():
        where = row.geometry.representative_point()
        name = row["name_zh"] if lang == "zh" else row["name_en"]
        ax.text(
            where.x,
            where.y,
            name,
            fontsize=6,
            color=load_styles()["groups"]["context"]["color"],
            ha="center",
            va="center",
            zorder=0.7,
            clip_on=True,
        )
    if len(parts["river"]):
        s = styles["river"]
        parts["river"].plot(ax=ax, color=s["color"], linewidth=0.5 * s["weight"], zorder=0.8)
        line = Line2D([], [], color=s["color"], linewidth=0.5 * s["weight"], label=text["river"])
        handles.append(line)
    if len(parts["reference_point"]):
        s = styles["reference_point"]
        parts["reference_point"].plot(
            ax=ax, color=s["color"], markersize=2 * s["radius"], zorder=0.9
        )
        marker = {"marker": "o", "linestyle": "", "markersize": s["radius"]}
        handles.append(Line2D([], [], color=s["color"], label=text["ref_point"], **marker))
    return handles


def _label_features(ax: Any, shown: gpd.GeoDataFrame, lang: str) -> gpd.GeoDataFrame:
    """Number the features north to south, west to east, so the list reads like the map, and
    label them; return them in that order. Places drawn at one spot (all "somewhere in the
    park") share one label, "9–13"."""
    anchor = shown.geometry.representative_point()
    order = np.lexsort((anchor.x.round(-2), -anchor.y.round(-2)))
    shown = shown.iloc[order].reset_index(drop=True)
    anchor = anchor.iloc[order].reset_index(drop=True)
    halo = [patheffects.withStroke(linewidth=2, foreground="white")]
    spots: dict[tuple[float, float], list[int]] = {}
    for i, point in enumerate(anchor, start=1):
        spots.setdefault((round(point.x), round(point.y)), []).append(i)
    for numbers in spots.values():
        row, point = shown.iloc[numbers[0] - 1], anchor.iloc[numbers[0] - 1]
        is_point = row.geometry.geom_type.endswith("Point")
        ax.annotate(
            _label(numbers, row, lang, named=len(shown) <= MAX_NAMED_LABELS),
            (point.x, point.y),
            xytext=(4, 3) if is_point else (0, 0),
            textcoords="offset points",
            ha="left" if is_point else "center",
            va="bottom" if is_point else "center",
            fontsize=LABEL_PT,
            zorder=7,
            path_effects=halo,
            annotation_clip=True,
            clip_on=True,
            gid="feature_label",
        )
    return shown


def _label(numbers: list[int], row: Any, lang: str, named: bool) -> str:
    """ "3 name" for one feature (or "3" when there are many), "9–13" or "4, 7" for a spot."""
    if len(numbers) > 1:
        if numbers[-1] - numbers[0] == len(numbers) - 1:
            return f"{numbers[0]}–{numbers[-1]}"
        return ", ".join(map(str, numbers))
    name = row["name_zh"] if lang == "zh" else row["name_en"]
    return f"{numbers[0]} {name}" if named else str(numbers[0])


def export_snapshot(
    source: LayerSet | str | os.PathLike,
    out: str | os.PathLike,
    format: str = "png",
    *,
    overwrite: bool = False,
    **options: Any,
) -> Path:
    """Render with :func:`render_snapshot` (``options`` are its keywords) and save to ``out``.

    PNG is rasterised at the figure's dpi; PDF and SVG are vector with the fonts embedded
    (PDF) or drawn as paths (SVG). An existing ``out`` is replaced only with ``overwrite``;
    its suffix must match ``format``. Returns ``out`` as a Path.
    """
    check_format(format, SNAPSHOT_FORMATS)
    out = check_target(out, format, overwrite=overwrite)  # before the render, which is slow
    fig = render_snapshot(source, **options)
    title = fig.texts[0].get_text() if fig.texts else "hedong-geo"
    metadata = {"Title": title, "Creator": "hedong-geo"}
    if format == "png":
        metadata = {"Title": title, "Software": "hedong-geo"}

    def write(tmp: Path) -> None:
        with matplotlib.rc_context(rc()):
            fig.savefig(tmp, format=format, dpi=fig.dpi, metadata=metadata)

    return atomic_write(out, write, overwrite=overwrite)
