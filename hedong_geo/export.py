"""Export a map snapshot (PNG, PDF, SVG) or a selection of features (GeoJSON, GeoPackage, CSV).

Pure functions build what is written: :func:`render_snapshot` returns a matplotlib
:class:`~matplotlib.figure.Figure` (Agg, no pyplot state), :func:`select_features` a
GeoDataFrame. Files are written only by :func:`export_snapshot` and :func:`export_data`, always
through a temporary file in the target folder that replaces the target at the end, so a failed
export never leaves a half-written file behind.

The snapshot is drawn in a metric CRS (EPSG:4527, CGCS2000 / 3-degree Gauss-Kruger, central
meridian 117°E) so that accuracy circles are true metres and the scale bar is exact. Colours,
dashes and fills come from ``geodata/styles.json``, the same table as the web map.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import pyogrio
import shapely
from matplotlib import font_manager, patheffects
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar
from pyproj import Transformer

from hedong_geo._errors import ExportError, UnknownIdError
from hedong_geo._io import atomic_write, check_file_target
from hedong_geo.context import is_hedong
from hedong_geo.i18n import LANGS, t, texts
from hedong_geo.layers import PROPERTY_ORDER, LayerSet, load_layers
from hedong_geo.styles import feature_style, load_styles

METRIC_CRS = "EPSG:4527"
SNAPSHOT_FORMATS = ("png", "pdf", "svg")
DATA_FORMATS = ("geojson", "gpkg", "csv")
PAPER_MM = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}  # (short side, long side)
# Any requested lon/lat extent must lie within Tianjin municipality.
TIANJIN_LON = (116.7, 118.1)
TIANJIN_LAT = (38.5, 40.3)
LIST_COLUMNS = ("aliases", "anchors", "citations")  # list properties, JSON text in GPKG
CSV_COLUMNS = (
    "id",
    "name_zh",
    "name_en",
    "layer",
    "category",
    "status",
    "lon",
    "lat",
    "wkt",
    "location_basis",
    "accuracy_m",
    "geometry_source",
    "citations",
)


def _doc_text(kind: str, doc_id: str, lang: str) -> str:
    """A document's title (``kind="doc"``) or short name (``"short"``) on the sheet."""
    try:
        return t(f"snap_{kind}_{doc_id}", lang)
    except KeyError:
        return str(doc_id)


# --- fonts ------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def cjk_font_family() -> str:
    """Register a CJK font with matplotlib and return its family name.

    Prefers the Noto Sans CJK SC shipped by the ``mplfonts`` package, then Debian's
    ``fonts-noto-cjk``; raises :class:`ExportError` when neither is installed, because
    Chinese labels would otherwise render as empty boxes.
    """
    candidates = []
    try:
        import mplfonts

        candidates.append(Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf")
    except ImportError:
        pass
    candidates += [
        Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
        Path("/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf"),
    ]
    for path in candidates:
        if path.is_file():
            font_manager.fontManager.addfont(str(path))
            return font_manager.FontProperties(fname=str(path)).get_name()
    raise ExportError(
        f"no CJK font found (looked at {[str(p) for p in candidates]}); "
        "pip install mplfonts or apt-get install fonts-noto-cjk"
    )


def _rc() -> dict[str, Any]:
    """Matplotlib settings for one render; used as an ``rc_context`` so global state is kept."""
    return {
        "font.family": [cjk_font_family(), "DejaVu Sans"],
        "axes.unicode_minus": False,
        "pdf.fonttype": 42,
        "svg.fonttype": "path",
        "path.simplify": True,
    }


# --- citations --------------------------------------------------------------------------------


def _heading_path(block_id: str, short: bool = False) -> str:
    """Headings above ``block_id`` below the document title, joined with " › ".

    ``short`` keeps only each heading's number ("第三章 › 第二节 › 专栏 2"). Falls back to the
    bare block id when the plan corpus is not installed or does not know the block, so an
    export never fails over a citation.
    """
    try:
        from hedong_geo import plan

        headings = plan.block(block_id).headings[1:]
    except (ImportError, AttributeError, LookupError, OSError, ValueError):
        return block_id
    if short:
        headings = [_HEADING_NUMBER.match(h)[0].strip() for h in headings]
    return " › ".join(headings) or block_id


# The number of a heading: 第三章, 第二节, 专栏 2, 一、, （二）; else its first few characters.
_HEADING_NUMBER = re.compile(
    r"第\S+?[编篇章节]|专栏\s*\d+|[一二三四五六七八九十]+、|（\S+?）|\S{1,8}"
)


def _citation_lines(citations: Any, lang: str, short: bool = False) -> list[str]:
    """One ``document · heading path (block)`` line per cited block, each block once.

    ``short`` gives the compact form the dense list layouts use: the document's short name and
    the heading numbers only.
    """
    lines: list[str] = []
    for cite in citations or []:
        doc_id, block = str(cite.get("doc")), str(cite.get("block"))
        path = _heading_path(block, short)
        if short:
            line = f"{_doc_text('short', doc_id, lang)} {path}"
        else:
            doc = _doc_text("doc", doc_id, lang)
            line = f"{doc} · {path} ({block})" if path != block else f"{doc} · {block}"
        if line not in lines:
            lines.append(line)
    return lines


# --- selection --------------------------------------------------------------------------------


def _as_layerset(source: LayerSet | str | os.PathLike) -> LayerSet:
    return source if isinstance(source, LayerSet) else load_layers(source)


def _layer_title(name: str, lang: str) -> str:
    """A layer's title from ``geodata/layers.json``, or its name when it has none."""
    from hedong_geo.register import layer_titles

    return layer_titles().get(name, {}).get(lang, name)


def _check_layers(layerset: LayerSet, layers: Sequence[str] | None) -> list[str]:
    known = sorted(layerset.layers)
    if layers is None:
        return known
    if isinstance(layers, str):
        layers = [layers]
    for name in layers:
        if name not in layerset.layers:
            raise UnknownIdError(f"unknown layer {name!r}; expected one of {known}")
    return list(layers)


def select_features(
    source: LayerSet | str | os.PathLike,
    layers: Sequence[str] | None = None,
    ids: Sequence[str] | None = None,
) -> gpd.GeoDataFrame:
    """The features of ``layers`` (default: all), narrowed to ``ids`` when given.

    Unlocated features (null geometry) are kept. Raises :class:`UnknownIdError` for a layer
    name or feature id that is not in the selection, naming it and what exists.
    """
    layerset = _as_layerset(source)
    names = _check_layers(layerset, layers)
    gdf = layerset.features(names)
    if ids is not None:
        if isinstance(ids, str):
            ids = [ids]
        for fid in ids:
            if fid not in set(gdf["id"]):
                raise UnknownIdError(f"no feature with id {fid!r} in layers {names}")
        gdf = gdf[gdf["id"].isin(list(ids))].reset_index(drop=True)
    return gdf


def _to_metric(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    try:
        from hedong_geo.transform import to_metric
    except ImportError:
        return gdf.to_crs(METRIC_CRS)
    return to_metric(gdf)


# --- extent -----------------------------------------------------------------------------------


def parse_extent(text: str) -> str | tuple[float, float, float, float]:
    """``"district"``, a feature id, or ``"minlon,minlat,maxlon,maxlat"`` as a float tuple."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) == 1:
        return parts[0]
    if len(parts) != 4:
        raise ExportError(
            f"extent {text!r} has {len(parts)} parts; expected 'district', a feature id "
            "or minlon,minlat,maxlon,maxlat"
        )
    try:
        minlon, minlat, maxlon, maxlat = (float(p) for p in parts)
    except ValueError:
        raise ExportError(
            f"extent {text!r} is not four numbers; expected minlon,minlat,maxlon,maxlat"
        ) from None
    return (minlon, minlat, maxlon, maxlat)


def _check_bbox(bbox: Sequence[float]) -> tuple[float, float, float, float]:
    minlon, minlat, maxlon, maxlat = (float(v) for v in bbox)
    if not all(math.isfinite(v) for v in (minlon, minlat, maxlon, maxlat)):
        raise ExportError(f"extent {tuple(bbox)!r} has a non-finite number")
    if not (minlon < maxlon and minlat < maxlat):
        raise ExportError(
            f"extent {tuple(bbox)!r} is empty; expected minlon < maxlon and minlat < maxlat"
        )
    inside = (
        TIANJIN_LON[0] <= minlon
        and maxlon <= TIANJIN_LON[1]
        and TIANJIN_LAT[0] <= minlat
        and maxlat <= TIANJIN_LAT[1]
    )
    if not inside:
        raise ExportError(
            f"extent {tuple(bbox)!r} is outside Tianjin; expected lon within {TIANJIN_LON} "
            f"and lat within {TIANJIN_LAT}"
        )
    return minlon, minlat, maxlon, maxlat


def _pad(bounds: Sequence[float], fraction: float, minimum_m: float) -> tuple[float, ...]:
    minx, miny, maxx, maxy = bounds
    pad = max(fraction * max(maxx - minx, maxy - miny), minimum_m)
    return (minx - pad, miny - pad, maxx + pad, maxy + pad)


def _hedong_outline(context: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    hedong = pd.Series(
        [is_hedong(str(f), n) for f, n in zip(context["id"], context["name_zh"], strict=True)],
        index=context.index,
        dtype=bool,
    )
    return context[(context["category"] == "boundary") & hedong]


def resolve_extent(
    layerset: LayerSet, extent: str | Sequence[float] | None = None
) -> tuple[float, float, float, float]:
    """Map extent in EPSG:4527 metres for ``"district"`` (default), a feature id or a bbox.

    The district is Hedong's outline from the context layer when there is one, else the bounds
    of every located feature. A feature's extent is padded so its surroundings show; a point's
    by at least its accuracy.
    """
    if isinstance(extent, str):
        extent = parse_extent(extent)
    if extent is None or extent == "district":
        everything = _to_metric(layerset.features())
        everything = everything[~everything.geometry.isna() & ~everything.geometry.is_empty]
        if everything.empty:
            raise ExportError("no located feature in the layers: nothing to draw")
        outline = _hedong_outline(everything[everything["group"] == "context"])
        bounds = (outline if len(outline) else everything).total_bounds
        return _pad(bounds, 0.04, 200.0)
    if isinstance(extent, str):
        row = layerset.feature(extent)
        if row.geometry is None or row.geometry.is_empty:
            raise ExportError(
                f"feature {extent!r} is unlocated (location_basis 'unlocated'); it has no "
                "extent to show. Use 'district' or a lon/lat bbox"
            )
        one = _to_metric(gpd.GeoDataFrame([row], geometry="geometry", crs="EPSG:4326"))
        accuracy = float(row["accuracy_m"] or 0.0)
        return _pad(one.total_bounds, 0.25, max(300.0, 1.5 * accuracy))
    minlon, minlat, maxlon, maxlat = _check_bbox(extent)
    to_m = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
    return tuple(to_m.transform_bounds(minlon, minlat, maxlon, maxlat, densify_pts=21))


def _fit_aspect(bounds: Sequence[float], width: float, height: float) -> tuple[float, ...]:
    """Grow ``bounds`` in one direction so they fill an axes of ``width`` × ``height``."""
    minx, miny, maxx, maxy = bounds
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    w, h = maxx - minx, maxy - miny
    if w / h < width / height:
        w = h * width / height
    else:
        h = w * height / width
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


# --- snapshot ---------------------------------------------------------------------------------


def _paper_inches(paper: str, orientation: str) -> tuple[float, float]:
    if paper not in PAPER_MM:
        raise ExportError(f"unknown paper {paper!r}; expected one of {sorted(PAPER_MM)}")
    short, long = PAPER_MM[paper]
    if orientation == "portrait":
        return short / 25.4, long / 25.4
    if orientation == "landscape":
        return long / 25.4, short / 25.4
    raise ExportError(f"unknown orientation {orientation!r}; expected 'portrait' or 'landscape'")


def _dashes(dash: str | None) -> Any:
    """SVG ``dashArray`` ("8 6") as a matplotlib line style."""
    if not dash:
        return "solid"
    return (0, tuple(float(v) for v in dash.split()))


def _display_width(text: str) -> float:
    """Width in ems: a CJK character is one em, others about half."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.5 for c in text)


# A line may break before any CJK character or between Latin words.
_TOKENS = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]|\s+|[^\s\u2e80-\u9fff]+")


def _wrap(text: str, width_em: float, indent: str = "") -> list[str]:
    """Wrap mixed Chinese/Latin text to ``width_em`` (textwrap counts characters, not ems)."""
    lines, line, used = [], "", 0.0
    for token in _TOKENS.findall(text):
        size = _display_width(token)
        if line.strip() and used + size > width_em and not token.isspace():
            lines.append(line.rstrip())
            line, used = indent, _display_width(indent)
        elif line.strip() and used + size > width_em:
            continue  # a space at the end of a line
        line += token
        used += size
    lines.append(line.rstrip())
    return lines


def _draw_features(ax: Any, shown: gpd.GeoDataFrame, focus: str | None) -> set[str]:
    """Draw features styled by group and location basis; return the bases drawn."""
    bases = set()
    for (group, basis), part in shown.groupby(["group", "location_basis"], sort=False):
        style = feature_style(group, basis)
        colour = style["color"]
        width = 0.6 * style["weight"]  # Leaflet px to points, thinner for print
        line = _dashes(style["dash"])
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
            if basis in ("described", "reference"):
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
    return bases


def _draw_context(ax: Any, context: gpd.GeoDataFrame, lang: str) -> list[Any]:
    """Districts, the Haihe and reference points, under the features; return legend handles."""
    styles = load_styles()["context"]
    text = texts("snap", lang)
    handles = []
    outline = _hedong_outline(context)
    boundaries = context[(context["category"] == "boundary") & ~context.index.isin(outline.index)]
    river = context[context["category"] == "river"]
    refs = context[context["category"] == "reference_point"]
    for part, key, label in ((boundaries, "neighbour", "neighbour"), (outline, "hedong", "hedong")):
        if part.empty:
            continue
        s = styles[key]
        fill = matplotlib.colors.to_rgba(s["fill_color"], s["fill_opacity"])
        part.plot(
            ax=ax,
            facecolor=fill,
            edgecolor=s["color"],
            linewidth=0.5 * s["weight"],
            zorder=0.5 if key == "neighbour" else 0.6,
        )
        handles.append(Patch(facecolor=fill, edgecolor=s["color"], label=text[label]))
    for _, row in boundaries.iterrows():
        name = row["name_zh"] if lang == "zh" else row["name_en"]
        where = row.geometry.representative_point()
        ax.text(
            where.x,
            where.y,
            name,
            fontsize=6,
            color="#7f8c8d",
            ha="center",
            va="center",
            zorder=0.7,
            clip_on=True,
        )
    if len(river):
        s = styles["river"]
        river.plot(ax=ax, color=s["color"], linewidth=0.5 * s["weight"], zorder=0.8)
        handles.append(
            Line2D([], [], color=s["color"], linewidth=0.5 * s["weight"], label=text["river"])
        )
    if len(refs):
        s = styles["reference_point"]
        refs.plot(ax=ax, color=s["color"], markersize=2 * s["radius"], zorder=0.9)
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                color=s["color"],
                markersize=s["radius"],
                label=text["ref_point"],
            )
        )
    return handles


def _legend_handles(groups: Sequence[str], bases: set[str], lang: str) -> list[Any]:
    styles = load_styles()
    handles: list[Any] = []
    for group in groups:
        entry = styles["groups"][group]
        colour = entry["color"]
        handles.append(
            Patch(
                facecolor=matplotlib.colors.to_rgba(colour, 0.35),
                edgecolor=colour,
                label=entry["label"][lang],
            )
        )
    for basis in ("derived", "schematic", "described", "reference"):
        if basis not in bases:
            continue
        entry = styles["bases"][basis]
        line = _dashes(entry["dash"])
        if basis in ("described", "reference"):
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="o",
                    markersize=9,
                    linestyle="",
                    markerfacecolor=(0.3, 0.3, 0.3, 0.15),
                    markeredgecolor="0.3",
                    label=entry["label"][lang],
                )
            )
        else:
            handles.append(
                Line2D(
                    [], [], color="0.3", linewidth=1.2, linestyle=line, label=entry["label"][lang]
                )
            )
    return handles


def _nice_length(span_m: float) -> float:
    """A round scale-bar length (1, 2 or 5 × 10ⁿ metres) close to a fifth of ``span_m``."""
    target = span_m / 5
    power = 10 ** math.floor(math.log10(target))
    return max(m * power for m in (1, 2, 5) if m * power <= target)


def _scale_label(length_m: float) -> str:
    return f"{length_m / 1000:g} km" if length_m >= 1000 else f"{length_m:g} m"


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
    fig_w, fig_h = _paper_inches(paper, orientation)
    layerset = _as_layerset(source)
    names = _check_layers(layerset, layers)
    if layers is None:
        names = [n for n in names if n != "context"]
    if feature is not None:
        layerset.feature(feature)  # raises UnknownIdError naming it
    bounds = resolve_extent(layerset, extent if extent is not None else feature)
    with matplotlib.rc_context(_rc()):
        return _render(layerset, names, bounds, feature, fig_w, fig_h, dpi, lang, title, date)


def _render(
    layerset: LayerSet,
    names: list[str],
    bounds: Sequence[float],
    focus: str | None,
    fig_w: float,
    fig_h: float,
    dpi: int,
    lang: str,
    title: str | None,
    date: dt.date | None,
) -> Figure:
    text = texts("snap", lang)
    styles = load_styles()
    landscape = fig_w > fig_h
    fig = Figure(figsize=(fig_w, fig_h), dpi=dpi, facecolor="white")
    # Layout in figure fractions: map left / panel right (landscape), map top / panel below.
    if landscape:
        map_box = (0.025, 0.075, 0.62, 0.80)
        panel_box = (0.665, 0.075, 0.315, 0.80)
    else:
        map_box = (0.04, 0.35, 0.92, 0.56)
        panel_box = (0.04, 0.06, 0.92, 0.27)
    ax = fig.add_axes(map_box)
    ax.set_gid("map")
    ax.set_facecolor(styles["background"])
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_aspect("equal")
    minx, miny, maxx, maxy = _fit_aspect(bounds, map_box[2] * fig_w, map_box[3] * fig_h)
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    view = shapely.box(minx, miny, maxx, maxy)

    context_handles: list[Any] = []
    if "context" in layerset.layers:
        context = _to_metric(layerset.features(["context"]))
        context = context[~context.geometry.isna()]
        context_handles = _draw_context(ax, context, lang)

    features = layerset.features([n for n in names if n != "context"])
    unlocated = int(features.geometry.isna().sum())
    located = _to_metric(features[~features.geometry.isna()])
    shown = located[located.intersects(view)].reset_index(drop=True)
    bases = _draw_features(ax, shown, focus) if len(shown) else set()
    ax.set_xlabel("")  # geopandas labels the axes with the CRS's axis names
    ax.set_ylabel("")

    # Number the shown features north to south, west to east, so the list reads like the map.
    anchor = shown.geometry.representative_point()
    order = np.lexsort((anchor.x.round(-2), -anchor.y.round(-2)))
    shown = shown.iloc[order].reset_index(drop=True)
    anchor = anchor.iloc[order].reset_index(drop=True)
    halo = [patheffects.withStroke(linewidth=2, foreground="white")]
    with_names = len(shown) <= 40
    # Places drawn at one spot (all "somewhere in the park") share one label, "9–13".
    spots: dict[tuple[float, float], list[int]] = {}
    for i, point in enumerate(anchor, start=1):
        spots.setdefault((round(point.x), round(point.y)), []).append(i)
    for numbers in spots.values():
        i = numbers[0]
        row, point = shown.iloc[i - 1], anchor.iloc[i - 1]
        name = row["name_zh"] if lang == "zh" else row["name_en"]
        if len(numbers) > 1:
            label = (
                f"{numbers[0]}–{numbers[-1]}"
                if numbers[-1] - numbers[0] == len(numbers) - 1
                else ", ".join(map(str, numbers))
            )
        else:
            label = f"{i} {name}" if with_names else str(i)
        is_point = row.geometry.geom_type.endswith("Point")
        ax.annotate(
            label,
            (point.x, point.y),
            xytext=(4, 3) if is_point else (0, 0),
            textcoords="offset points",
            ha="left" if is_point else "center",
            va="bottom" if is_point else "center",
            fontsize=6.5,
            zorder=7,
            path_effects=halo,
            annotation_clip=True,
            clip_on=True,
            gid="feature_label",
        )

    # Scale bar and north arrow. The map grid is 4527's Gauss-Kruger grid: at 117.2°E the
    # meridian convergence is about 0.1°, so grid north is drawn as north.
    length = _nice_length(maxx - minx)
    bar = AnchoredSizeBar(
        ax.transData,
        length,
        _scale_label(length),
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
    ax.annotate(
        "N",
        xy=(0.955, 0.95),
        xytext=(0.955, 0.84),
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

    # Title and subtitle.
    cited_docs = sorted({c.get("doc") for cites in shown["citations"] for c in cites or []})
    docs = "、".join(_doc_text("doc", d, lang) for d in cited_docs)
    sep = "；" if lang == "zh" else "; "
    colon = "：" if lang == "zh" else ": "
    layer_list = ("、" if lang == "zh" else ", ").join(_layer_title(n, lang) for n in names)
    subtitle = sep.join(
        [
            f"{text['layers']}{colon}{layer_list or text['none']}",
            f"{text['date']}{colon}{(date or dt.date.today()).isoformat()}",
            f"{text['docs']}{colon}{docs or text['none']}",
        ]
    )
    head_y = 0.965 if landscape else 0.975
    fig.text(
        0.025, head_y, title or text["title"], fontsize=15, fontweight="bold", va="top", gid="title"
    )
    sub_w = (fig_w * 0.95 * 72) / 8  # em available at 8 pt
    fig.text(
        0.025,
        head_y - (0.05 if landscape else 0.035),
        "\n".join(_wrap(subtitle, sub_w)),
        fontsize=8,
        color="0.25",
        va="top",
        gid="subtitle",
    )

    # Side panel: legend on top, then the numbered feature list with citations.
    present = [g for g in styles["groups"] if g in set(shown["group"])]
    handles = _legend_handles(present, bases, lang) + context_handles
    px, py, pw, ph = panel_box
    if landscape:
        legend_h = min(0.45, (len(handles) + 2) * 1.55 * 7 / 72 / (ph * fig_h)) * ph
        legend_ax = fig.add_axes((px, py + ph - legend_h, pw, legend_h))
        list_box = (px, py, pw, ph - legend_h - 0.01)
    else:
        legend_ax = fig.add_axes((px, py, 0.36 * pw, ph))
        list_box = (px + 0.38 * pw, py, 0.62 * pw, ph)
    legend_ax.set_axis_off()
    legend = legend_ax.legend(
        handles=handles,
        loc="upper left",
        fontsize=7,
        title=text["legend"],
        title_fontsize=8,
        frameon=False,
        alignment="left",
        handlelength=4,
        borderaxespad=0.0,
    )
    legend.set_gid("legend")
    list_ax = fig.add_axes(list_box)
    list_ax.set_axis_off()
    list_ax.text(
        0, 1, text["features"], fontsize=8, fontweight="bold", va="top", transform=list_ax.transAxes
    )
    height_pt = list_box[3] * fig_h * 72 - 14
    width_pt = list_box[2] * fig_w * 72
    size, columns, compact = _feature_list(shown, lang, height_pt, width_pt)
    if compact:
        list_ax.texts[0].set_text(text["features"] + text["abbrev"])
    for n, column in enumerate(columns):
        list_ax.text(
            n / len(columns),
            1 - 14 / (list_box[3] * fig_h * 72),
            "\n".join(column),
            fontsize=size,
            va="top",
            linespacing=1.25,
            transform=list_ax.transAxes,
            gid="feature_list",
        )

    note = text["note"] + (" " + text["unlocated"].format(n=unlocated) if unlocated else "")
    fig.text(
        0.025,
        0.045 if landscape else 0.035,
        "\n".join(_wrap(note, fig_w * 0.95 * 72 / 6)),
        fontsize=6,
        color="0.3",
        va="top",
        gid="note",
    )
    return fig


# Layouts of the feature list, most readable first: (citations on their own lines?, columns,
# font size in points).
_LIST_LAYOUTS = (
    (True, 1, 7.0),
    (True, 1, 6.0),
    (True, 2, 6.0),
    (True, 1, 5.0),
    (True, 2, 5.0),
    (False, 2, 5.0),
    (False, 3, 4.5),
    (False, 3, 4.0),
)


def _feature_list(
    shown: gpd.GeoDataFrame, lang: str, height_pt: float, width_pt: float
) -> tuple[float, list[list[str]], bool]:
    """The numbered list "1. name" with its citations, laid out to fit the panel.

    Returns the font size, the lines of each column and whether the compact citation form
    (short document names, heading numbers) was used. Tries ever denser layouts (smaller
    type, more columns, citations run on after the name); when even the densest cannot hold
    every feature, the list ends with how many were left out.
    """
    text = texts("snap", lang)
    full, short = [], []
    for i, row in enumerate(shown.itertuples(), start=1):
        head = f"{i}. {row.name_zh if lang == 'zh' else row.name_en}"
        cites = _citation_lines(row.citations, lang)
        extra = [f"+ {text['more_cites'].format(n=len(cites) - 3)}"] if len(cites) > 3 else []
        full.append((head, (cites[:3] or [text["no_cites"]]) + extra))
        short.append((head, _citation_lines(row.citations, lang, short=True) or ["-"]))
    sep, colon = ("；", "：") if lang == "zh" else ("; ", ": ")
    for own_lines, ncols, size in _LIST_LAYOUTS:
        width_em = (width_pt / ncols - 6) / size
        per_column = int(height_pt / (size * 1.25))
        blocks = []
        for (head, cites), (_, brief) in zip(full, short, strict=True):
            if own_lines:
                block = _wrap(head, width_em, "   ")
                for cite in cites:
                    block += _wrap("   " + cite, width_em, "     ")
            else:
                block = _wrap(head + colon + sep.join(brief), width_em, "   ")
            blocks.append(block)
        columns, fitted = _fill_columns(blocks, ncols, per_column)
        if fitted == len(blocks):
            return size, columns, not own_lines
    # Even the densest layout cannot hold them all: keep a line to say how many are left out.
    columns, fitted = _fill_columns(blocks, ncols, per_column - 1)
    columns[-1].append(text["more"].format(n=len(blocks) - fitted))
    return size, columns, True


def _fill_columns(
    blocks: list[list[str]], ncols: int, per_column: int
) -> tuple[list[list[str]], int]:
    """Put whole blocks of lines into up to ``ncols`` columns; return them and how many fit."""
    columns: list[list[str]] = [[]]
    for n, block in enumerate(blocks):
        if columns[-1] and len(columns[-1]) + len(block) > per_column:
            if len(columns) == ncols:
                return columns, n
            columns.append([])
        columns[-1] += block
    return columns, len(blocks)


# --- data -------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A JSON-ready Python value: NaN to None, numpy scalars to int/float/bool."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    return value


def _properties(row: pd.Series) -> dict[str, Any]:
    props = {key: _plain(row.get(key)) for key in PROPERTY_ORDER}
    if isinstance(props["status_year"], float):
        props["status_year"] = int(props["status_year"])
    return props


def _rfc7946(geom: Any) -> dict[str, Any] | None:
    """GeoJSON geometry: counter-clockwise exterior rings, 6-decimal coordinates."""
    if geom is None or geom.is_empty:
        return None
    geom = shapely.orient_polygons(geom, exterior_cw=False)
    geom = shapely.transform(geom, lambda xy: np.round(xy, 6))
    return shapely.geometry.mapping(geom)


def _wgs84(selection: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if selection.crs is None:
        raise ExportError("the selection has no CRS; set it (EPSG:4326 for layer data) first")
    missing = [c for c in ("id", "layer") if c not in selection.columns]
    if missing:
        raise ExportError(f"the selection lacks columns {missing}; expected the layer schema")
    return selection.to_crs("EPSG:4326")


def to_geojson(selection: gpd.GeoDataFrame) -> dict[str, Any]:
    """An RFC 7946 FeatureCollection of ``selection`` (WGS84, null geometry kept)."""
    gdf = _wgs84(selection)
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": _properties(row), "geometry": _rfc7946(geom)}
            for (_, row), geom in zip(gdf.iterrows(), gdf.geometry, strict=True)
        ],
    }


def _gpkg_tables(selection: gpd.GeoDataFrame) -> dict[str, gpd.GeoDataFrame]:
    """One table per layer; list columns as JSON text, every column a plain OGR type."""
    gdf = _wgs84(selection)
    tables = {}
    for name, part in gdf.groupby("layer", sort=True):
        table = part.drop(columns=[c for c in part.columns if c == "geometry"]).copy()
        for col in table.columns:
            if col in LIST_COLUMNS:
                table[col] = [json.dumps(_plain(v) or [], ensure_ascii=False) for v in table[col]]
            elif col == "status_year":
                table[col] = table[col].astype("Int32")
            elif col == "accuracy_m":
                table[col] = table[col].astype("float64")
            elif col == "cross_district":
                table[col] = table[col].astype(bool)
            elif table[col].dtype == object:
                table[col] = [None if v is None else str(v) for v in table[col]]
                table[col] = table[col].astype("string")
        tables[str(name)] = gpd.GeoDataFrame(table, geometry=part.geometry.values, crs=gdf.crs)
    return tables


def _representative(geom: Any) -> tuple[Any, Any]:
    if geom is None or geom.is_empty:
        return "", ""
    point = geom if geom.geom_type == "Point" else geom.representative_point()
    return round(point.x, 6), round(point.y, 6)


def csv_rows(selection: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """One flat row per feature in :data:`CSV_COLUMNS` order; unlocated rows have no coordinates.

    ``lon``/``lat`` are the point itself or a representative point inside the geometry,
    ``wkt`` the full geometry, ``citations`` ``"block: quote"`` joined with ``" | "``.
    """
    gdf = _wgs84(selection)
    rows = []
    for (_, row), geom in zip(gdf.iterrows(), gdf.geometry, strict=True):
        lon, lat = _representative(geom)
        cites = " | ".join(
            f"{c.get('doc')} {c.get('block')}: {c.get('quote')}" for c in row.get("citations") or []
        )
        accuracy = _plain(row.get("accuracy_m"))
        rows.append(
            {
                **{k: _plain(row.get(k)) for k in ("id", "name_zh", "name_en", "layer")},
                **{k: _plain(row.get(k)) for k in ("category", "status")},
                "lon": lon,
                "lat": lat,
                "wkt": "" if lon == "" else shapely.to_wkt(geom, rounding_precision=6),
                "location_basis": row.get("location_basis"),
                "accuracy_m": "" if accuracy is None else accuracy,
                "geometry_source": row.get("geometry_source"),
                "citations": cites,
            }
        )
    return rows


# --- writing: every file this module writes goes through here ---------------------------------


def _check_format(fmt: str, allowed: Sequence[str]) -> str:
    if fmt not in allowed:
        raise ExportError(f"unknown format {fmt!r}; expected one of {list(allowed)}")
    return fmt


def export_snapshot(
    source: LayerSet | str | os.PathLike,
    out: str | os.PathLike,
    format: str = "png",
    **options: Any,
) -> Path:
    """Render with :func:`render_snapshot` (``options`` are its keywords) and save to ``out``.

    PNG is rasterised at the figure's dpi; PDF and SVG are vector with the fonts embedded
    (PDF) or drawn as paths (SVG). Returns ``out`` as a Path.
    """
    _check_format(format, SNAPSHOT_FORMATS)
    check_file_target(out)  # before the render, which takes a second or two
    fig = render_snapshot(source, **options)
    title = fig.texts[0].get_text() if fig.texts else "hedong-geo"
    metadata = {"Title": title, "Creator": "hedong-geo"}
    if format == "png":
        metadata = {"Title": title, "Software": "hedong-geo"}

    def write(tmp: Path) -> None:
        with matplotlib.rc_context(_rc()):
            fig.savefig(tmp, format=format, dpi=fig.dpi, metadata=metadata)

    return atomic_write(out, write)


def export_data(
    source: LayerSet | gpd.GeoDataFrame | str | os.PathLike,
    out: str | os.PathLike,
    format: str = "geojson",
    *,
    layers: Sequence[str] | None = None,
    ids: Sequence[str] | None = None,
) -> Path:
    """Write a selection as GeoJSON, GeoPackage or CSV; return ``out`` as a Path.

    Parameters
    ----------
    source : LayerSet, GeoDataFrame or path
        The layers (or a folder of layer files) to select from with ``layers`` and ``ids``, or an
        already filtered GeoDataFrame in the layer schema, written as it is.
    out : path
        The file to write; its folder must exist.
    format : {"geojson", "gpkg", "csv"}
        GeoJSON: RFC 7946, WGS84, unlocated features with ``"geometry": null``. GeoPackage: one
        table per layer, list columns as JSON text, unlocated features with a NULL geometry.
        CSV: UTF-8 with BOM (Excel reads the Chinese), the columns of :data:`CSV_COLUMNS`.
    """
    _check_format(format, DATA_FORMATS)
    if isinstance(source, gpd.GeoDataFrame):
        selection = source
    else:
        selection = select_features(source, layers, ids)
    if selection.empty:
        raise ExportError("the selection is empty: nothing to export")

    if format == "geojson":
        payload = json.dumps(to_geojson(selection), ensure_ascii=False, indent=1) + "\n"

        def write(tmp: Path) -> None:
            tmp.write_text(payload, encoding="utf-8")

    elif format == "csv":
        rows = csv_rows(selection)

        def write(tmp: Path) -> None:
            with tmp.open("w", encoding="utf-8-sig", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS)
                writer.writeheader()
                writer.writerows(rows)

    else:
        tables = _gpkg_tables(selection)

        def write(tmp: Path) -> None:
            for name, table in tables.items():
                pyogrio.write_dataframe(
                    table,
                    tmp,
                    layer=name,
                    driver="GPKG",
                    # A layer of unlocated features only has no geometry type to infer.
                    geometry_type="Unknown" if table.geometry.isna().all() else None,
                    # GeoPackage 1.2: what GDAL 3.6 (Debian 12) and older QGIS read silently.
                    dataset_options={"VERSION": "1.2"},
                )

    return atomic_write(out, write)


FORMATS = ("png", "pdf", "svg", "html", "geojson", "gpkg", "csv")


def export_to(
    source: LayerSet,
    out: str | os.PathLike,
    format: str,
    *,
    layers: Sequence[str] | None = None,
    feature: str | None = None,
    extent: str | Sequence[float] | None = None,
    lang: str = "zh",
    **snapshot_options: Any,
) -> Path:
    """Write ``source`` to ``out`` in any export format; the one entry for the CLI and the app.

    ``extent`` and ``snapshot_options`` (paper, orientation, dpi) apply to snapshots only;
    ``feature`` opens the HTML export on a feature, frames a snapshot, or selects the data.
    """
    _check_format(format, FORMATS)
    suffix = Path(out).suffix.lower().lstrip(".")
    if (suffix in FORMATS and suffix != format) or (suffix == "json" and format != "geojson"):
        raise ExportError(
            f"the output {str(out)!r} is named as {suffix!r} but the format is {format!r}; "
            f"name it *.{format} or choose --format {suffix}"
        )
    if extent is not None and format not in SNAPSHOT_FORMATS:
        raise ExportError(
            f"an extent ({extent!r}) applies to png, pdf and svg; select {format} output "
            "with layers and a feature"
        )
    if format == "html":
        from hedong_geo.publish import export_html  # publish builds on this module

        return export_html(source, out, layers_shown=layers, lang=lang, feature=feature)
    if format in SNAPSHOT_FORMATS:
        return export_snapshot(
            source,
            out,
            format=format,
            layers=layers,
            extent=extent,
            feature=feature,
            lang=lang,
            **snapshot_options,
        )
    ids = [feature] if feature else None
    return export_data(source, out, format=format, layers=layers, ids=ids)
