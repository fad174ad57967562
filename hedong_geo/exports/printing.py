"""The print layout: a map of any area at a true scale, with its furniture and a feature list
that continues over further pages when long.

:func:`render_pages` turns a :class:`~.options.PrintOptions` into matplotlib figures (Agg, no
pyplot state), one per page, laid out by :mod:`~.layout`:

1. the extent (district, a feature or zone with a margin, or a bbox) and the scale (fit, or a
   true 1:N at print size) give the view;
2. only what reaches into the view is drawn: the basemap (:mod:`~.basemap`), the features
   (:mod:`~.drawing`), the selection; a layer with more features in view than the figure can
   name is drawn and summarised, not labelled and listed one by one;
3. labels are placed by their measured size so that none overlaps (:mod:`~.labels`);
4. the legend names only what was drawn; the list (:mod:`~.listing`) takes what room it needs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import geopandas as gpd
import matplotlib
import numpy as np
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from hedong_geo._errors import ExportError
from hedong_geo.exports import furniture
from hedong_geo.exports.basemap import draw_basemap, osm_handle
from hedong_geo.exports.drawing import draw_features, draw_selected, split_large
from hedong_geo.exports.extent import at_scale, fit_aspect, resolve_extent
from hedong_geo.exports.labels import Label, LabelPlacer
from hedong_geo.exports.layout import (
    SHEET,
    Layout,
    continuation_layout,
    page_layout,
    page_mm,
    pt_to_mm,
    text_width_em,
)
from hedong_geo.exports.listing import doc_text, paginate
from hedong_geo.exports.options import PrintOptions
from hedong_geo.exports.selection import as_layerset, check_layers, layer_title
from hedong_geo.exports.typeset import measured_width, rc, wrap
from hedong_geo.i18n import counted, t, texts
from hedong_geo.layers import LayerSet
from hedong_geo.places import osm_drawn
from hedong_geo.styles import load_styles
from hedong_geo.transform import from_metric, to_metric

__all__ = ["default_title", "render_pages"]

LABEL_PT = 6.5
LABEL_WRAP_EM = {"zh": 13.0, "en": 17.0}  # a map label's name wraps at this width
BASEMAP_LAYERS = ("context", "streets")  # drawn under the features, not numbered


def default_title(layerset: LayerSet, options: PrintOptions) -> str:
    """The title made from what is shown: the district, "<feature> and surroundings", or a
    detail of the district."""
    extent = options.extent if options.extent is not None else _first(options.selected)
    if extent is None or extent == "district":
        return t("print_title_district", options.lang)
    if isinstance(extent, str):
        row = layerset.feature(extent)
        name = row["name_zh"] if options.lang == "zh" else row["name_en"]
        return t("print_title_feature", options.lang).format(name=name)
    return t("print_title_bbox", options.lang)


def _first(selected: tuple[str, ...]) -> str | None:
    return selected[0] if selected else None


def render_pages(source: LayerSet | Any, options: PrintOptions) -> list[Figure]:
    """Every page of the printed figure: the map page, then list pages if the list needs them.

    Each figure has the paper's exact size and the options' dpi; artists carry gids
    (``"map"``, ``"legend"``, ``"scalebar"``, ``"north_arrow"``, ``"title"``, ``"subtitle"``,
    ``"feature_label"``, ``"basemap_label"``, ``"osm_label"``, ``"feature_list"``, ``"note"``,
    ``"page_number"``) so tests and callers can find them.
    """
    opts = options.checked()
    layerset = as_layerset(source)
    names = check_layers(layerset, opts.layers)
    if opts.layers is None:
        names = [n for n in names if n not in BASEMAP_LAYERS]
    for fid in opts.selected:
        layerset.feature(fid)  # raises UnknownIdError naming it
    extent = opts.extent if opts.extent is not None else (_first(opts.selected) or "district")
    bounds = resolve_extent(layerset, extent, opts.margin_m)
    with matplotlib.rc_context(rc()):
        return _Render(layerset, names, bounds, opts).pages()


class _Render:
    """One render: the state the page builders share."""

    def __init__(self, layerset: LayerSet, names: list[str], bounds: Any, opts: PrintOptions):
        self.layerset, self.names, self.bounds, self.opts = layerset, names, bounds, opts
        self.lang = opts.lang
        self.page = page_mm(opts.paper, opts.orientation)
        self.text = texts("snap", opts.lang)
        self.date = opts.date or dt.date.today()
        self.title = opts.title or default_title(layerset, opts)
        features = layerset.features([n for n in names if n != "context"])
        self.unlocated = int(features.geometry.isna().sum())
        self.candidates = features[features.geometry.notna()]

    # --- the map page ----------------------------------------------------------------------

    def pages(self) -> list[Figure]:
        layout = self._layout()
        fig = Figure(
            figsize=(self.page[0] / 25.4, self.page[1] / 25.4), dpi=self.opts.dpi, facecolor="white"
        )
        renderer = FigureCanvasAgg(fig).get_renderer()
        ax, view, ratio = self._map_axes(fig, layout)
        shown = self._shown(view)
        basemap = draw_basemap(ax, self.layerset, view, self.lang, ratio)
        named, large = split_large(shown)
        named = _number(named)
        tolerance = ratio * 25.4 / self.opts.dpi / 1000 / 2  # half a printed pixel, in metres
        bases = draw_features(ax, named, tolerance) if len(named) else set()
        if large:
            bases |= draw_features(ax, shown[shown["layer"].isin(list(large))], tolerance, False)
        chosen = shown[shown["id"].isin(self.opts.selected)]
        draw_selected(ax, chosen)
        ax.set_xlabel("")  # geopandas names the axes after the CRS
        ax.set_ylabel("")
        bar = furniture.add_scale_bar(ax, view[2] - view[0], f"1:{_round_scale(ratio):,}")
        arrow = furniture.add_north_arrow(ax, layout)
        obstacles = [bar.get_window_extent(renderer), arrow.get_tightbbox(renderer)]
        placer = LabelPlacer(ax, renderer, obstacles)
        unlabelled = self._labels(ax, placer, named, basemap)

        furniture.add_title_block(
            fig, layout, "\n".join(self.title_lines), self._subtitle(shown, ratio)
        )
        handles = self._legend(shown, bases, basemap, chosen)
        legend_box, list_box = layout.split_panel(len(handles))
        furniture.add_legend(fig, layout, legend_box, handles, self.lang)
        return self._with_list(fig, layout, list_box, named, large, unlabelled, basemap)

    def _layout(self) -> Layout:
        title_em = text_width_em(self.page, SHEET.title_pt) / 1.08  # bold is a little wider
        self.title_lines = wrap(self.title, title_em, measure=measured_width)
        room = self._subtitle(self.candidates, None)
        self.note_room = len(self._note(1, True, True, True))  # room for every note there may be
        return page_layout(
            self.page,
            subtitle_lines=len(room),
            note_lines=self.note_room,
            title_lines=len(self.title_lines),
        )

    def _map_axes(self, fig: Figure, layout: Layout) -> tuple[Any, tuple, float]:
        """The map's axes; the view at the true scale (or fitted); the scale's denominator."""
        ax = fig.add_axes(layout.map.fraction(layout.page))
        ax.set_gid("map")
        ax.set_facecolor(load_styles()["background"])
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_aspect("equal")
        frame = (layout.map.w, layout.map.h)
        if self.opts.scale:
            view = at_scale(self.bounds, frame, self.opts.scale)
        else:
            view = fit_aspect(self.bounds, *frame)
        ax.set_xlim(view[0], view[2])
        ax.set_ylim(view[1], view[3])
        ax.set_autoscale_on(False)
        self.cut = bool(self.opts.scale) and not shapely.box(*view).contains(
            shapely.box(*self.bounds)
        )
        return ax, view, (view[2] - view[0]) / (layout.map.w / 1000)

    def _shown(self, view: tuple) -> gpd.GeoDataFrame:
        """The located features that reach into the view, in metres (filtered in degrees first,
        so a large layer is projected only where it is seen)."""
        box_m = shapely.box(*view)
        box_deg = from_metric(box_m).envelope.buffer(0.002)
        near = self.candidates[self.candidates.intersects(box_deg)]
        shown = to_metric(near)
        shown = shown[shown.intersects(box_m)]
        street = (shown["category"] == "street_zone") & ~shown["id"].isin(self.opts.selected)
        return shown[~street].reset_index(drop=True)

    def _subtitle(self, shown: gpd.GeoDataFrame, ratio: float | None) -> list[str]:
        """The subtitle's lines: given, or the layers, the scale, the date, the documents."""
        width = text_width_em(self.page, SHEET.subtitle_pt)
        if self.opts.subtitle:
            return wrap(self.opts.subtitle, width, measure=measured_width)
        text, lang = self.text, self.lang
        cited = sorted({c.get("doc") for cites in shown["citations"] for c in cites or []})
        sep, colon = ("；", "：") if lang == "zh" else ("; ", ": ")
        docs = ("、" if lang == "zh" else ", ").join(doc_text("doc", d, lang) for d in cited)
        drawn = set(shown["layer"])  # the layers the figure shows something of
        layer_list = ("、" if lang == "zh" else ", ").join(
            layer_title(n, lang) for n in self.names if n in drawn
        )
        scale = t("print_scale_at", lang).format(
            n=f"{_round_scale(ratio or 99_999):,}", paper=self.opts.paper
        )
        parts = [
            f"{text['layers']}{colon}{layer_list or text['none']}",
            f"{t('print_scale', lang)}{colon}{scale}",
            f"{text['date']}{colon}{self.date.isoformat()}",
            f"{text['docs']}{colon}{docs or text['none']}",
        ]
        return wrap(sep.join(parts), width, measure=measured_width)

    # --- labels and legend -----------------------------------------------------------------

    def _labels(self, ax: Any, placer: LabelPlacer, named: gpd.GeoDataFrame, basemap) -> int:
        """Place the features' labels (selected first), then the basemap's names; draw the
        dots of the OSM places that got a name. Return how many features got no label."""
        points = named[named.geom_type.isin(["Point", "MultiPoint"])]
        if len(points):
            xy = shapely.get_coordinates(points.geometry.values)
            placer.avoid(xy[:, 0], xy[:, 1], 1.8)
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        view = shapely.box(x0, y0, x1, y1)
        labels, count = _feature_labels(named, self.opts.selected, self.lang, view)
        missed = sum(
            n for n, how in zip(count, placer.place_all(labels), strict=True) if how is None
        )
        placed_osm = []
        for label in basemap.labels:
            if placer.place(label) and label.gid == "osm_label":
                placed_osm.append((label.x, label.y))
        if placed_osm:
            xs, ys = zip(*placed_osm, strict=True)
            ax.scatter(xs, ys, s=4, c="0.35", zorder=1.5, linewidths=0)
        basemap.osm = placed_osm
        return missed

    def _legend(self, shown, bases: set[str], basemap, chosen) -> list[Any]:
        present = [g for g in load_styles()["groups"] if g in set(shown["group"])]
        handles = furniture.legend_handles(present, bases, self.lang) + basemap.handles
        if basemap.osm:
            handles.append(osm_handle(self.lang))
        if len(chosen):
            colour = load_styles()["selected"]["color"]
            handles.insert(
                0,
                Line2D(
                    [],
                    [],
                    color=colour,
                    linewidth=5,
                    alpha=0.8,
                    label=t("print_selected", self.lang),
                ),
            )
        return handles

    # --- the list and the note -------------------------------------------------------------

    def _note(self, unlabelled: int, osm_places: bool, cut: bool, osm_features: bool) -> list:
        lang = self.lang
        note = self.text["note"]
        if self.unlocated:
            note += " " + counted("snap_unlocated", self.unlocated, lang)
        if unlabelled:
            note += " " + counted("print_unlabelled", unlabelled, lang)
        if cut:
            note += " " + t("print_cut_scale", lang)
        if osm_features:  # ODbL: whoever shows OpenStreetMap data credits it
            note += " " + t("credit_osm", lang)
        if osm_places:
            note += " " + t("print_credit_osm_places", lang)
        if lang != "zh":
            note += " " + t("print_authoritative", lang)
        return wrap(note, text_width_em(self.page, SHEET.note_pt), measure=measured_width)

    def _with_list(self, fig, layout, list_box, named, large, unlabelled, basemap) -> list:
        """The list over the map page and as many continuation pages as it needs."""
        summary = [
            t("print_summary", self.lang).format(layer=layer_title(name, self.lang), n=f"{n:,}")
            for name, n in large.items()
        ]
        note = self._note(unlabelled, bool(basemap.osm), self.cut, osm_drawn(named))
        cont = continuation_layout(self.page, note_lines=len(note))
        heading_pt = SHEET.list_heading_pt
        first = (list_box.w / pt_to_mm(1), list_box.h / pt_to_mm(1) - heading_pt)
        rest = (cont.body.w / pt_to_mm(1), cont.body.h / pt_to_mm(1) - heading_pt)
        parts = paginate(named, self.lang, first, rest, summary)
        heading = self.text["features"]
        furniture.add_feature_list(fig, layout.page, list_box, parts[0], heading)
        furniture.add_note(fig, layout, note)
        figures = [fig]
        continued = t("print_continued", self.lang)
        for part in parts[1:]:
            page = Figure(figsize=fig.get_size_inches(), dpi=fig.dpi, facecolor="white")
            x, y, _, h = cont.heading.fraction(self.page)
            head = wrap(
                self.title + continued,
                text_width_em(self.page, SHEET.subtitle_pt + 2) / 1.08,
                measure=measured_width,
            )
            page.text(
                x,
                y + h,
                "\n".join(head[:2]),
                va="top",
                fontsize=SHEET.subtitle_pt + 2,
                fontweight="bold",
                linespacing=SHEET.leading,
                gid="title",
            )
            furniture.add_feature_list(page, cont.page, cont.body, part, heading + continued)
            furniture.add_note(page, cont, note)
            figures.append(page)
        if len(figures) > 1:
            for n, page in enumerate(figures, start=1):
                text = t("print_page", self.lang).format(n=n, of=len(figures))
                furniture.add_page_number(page, self.page, text)
        return figures


def _round_scale(ratio: float) -> int:
    """A fitted scale's denominator to three significant figures (a true scale stays exact)."""
    digits = max(int(np.floor(np.log10(max(ratio, 1)))) - 2, 0)
    return int(round(ratio / 10**digits) * 10**digits)


def _number(named: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The features numbered north to south, west to east, so the list reads like the map."""
    if named.empty:
        return named
    anchor = named.geometry.representative_point()
    order = np.lexsort((anchor.x.round(-2), -anchor.y.round(-2)))
    return named.iloc[order].reset_index(drop=True)


def _anchor(geom: Any, view: Any) -> tuple[Any, bool]:
    """Where a feature's label points, in the part of it inside the view: inside an area, the
    middle of a line, the point."""
    area = geom.geom_type.endswith("Polygon")
    minx, miny, maxx, maxy = view.bounds
    inner = view.buffer(-0.05 * min(maxx - minx, maxy - miny), join_style="mitre")
    if not inner.contains(geom):  # clipped a little inside the frame, so a label has room
        part = geom.intersection(inner)
        geom = part if not part.is_empty else geom.intersection(view)
        if geom.geom_type == "GeometryCollection":  # an edge grazing the view
            geom = max(geom.geoms, key=lambda g: (g.area, g.length))
    kind = geom.geom_type
    if area and not kind.endswith("Polygon"):
        area = False
    if kind.endswith("Polygon"):
        return geom.representative_point(), area
    if kind.endswith("LineString"):
        return geom.interpolate(0.5, normalized=True), False
    if kind == "MultiPoint":
        return geom.geoms[0], False
    return geom, False


def _feature_labels(
    named: gpd.GeoDataFrame, selected: tuple[str, ...], lang: str, view: Any
) -> tuple[list[Label], list[int]]:
    """A label per spot ("3 name", or "9–13" for places drawn at one spot), selected first;
    and how many features each label stands for."""
    spots: dict[tuple[int, int], list[int]] = {}
    anchors = []
    for i, geom in enumerate(named.geometry, start=1):
        point, area = _anchor(geom, view)
        anchors.append((point, area))
        spots.setdefault((round(point.x), round(point.y)), []).append(i)
    labels, counts, first = [], [], []
    for numbers in spots.values():
        row = named.iloc[numbers[0] - 1]
        point, area = anchors[numbers[0] - 1]
        if len(numbers) > 1:
            short = _span(numbers)
            text = short
        else:
            short = str(numbers[0])
            name = row["name_zh"] if lang == "zh" else row["name_en"]
            lines = wrap(str(name), LABEL_WRAP_EM[lang], measure=measured_width)
            text = f"{short} " + "\n".join(lines)
        is_selected = any(named.iloc[n - 1]["id"] in selected for n in numbers)
        labels.append(
            Label(
                text,
                point.x,
                point.y,
                short=short,
                area=area,
                size=LABEL_PT,
                weight="bold" if is_selected else "normal",
            )
        )
        counts.append(len(numbers))
        first.append(0 if is_selected else 1)
    order = sorted(range(len(labels)), key=lambda k: first[k])
    return [labels[k] for k in order], [counts[k] for k in order]


def _span(numbers: list[int]) -> str:
    if numbers[-1] - numbers[0] == len(numbers) - 1:
        return f"{numbers[0]}–{numbers[-1]}"
    return ", ".join(map(str, numbers))


def check_page(page: int, pages: int) -> None:
    """``page`` must be one of the figure's pages."""
    if not 1 <= page <= pages:
        raise ExportError(f"page {page} does not exist; the figure has {pages} page(s)")
