"""The printed map's basemap: neighbouring districts, Hedong's outline, the Haihe, the 街道
zones, reference points and named OpenStreetMap places, drawn under the plan's features.

Everything is clipped to the view first, so the cost follows what is drawn. Names are returned
as low-priority :class:`~.labels.Label` objects (placed after the features' labels, dropped where
there is no room); the legend gets an entry only for what was drawn inside the view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import matplotlib
import shapely
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from hedong_geo.exports.drawing import fill_polygons, stroke_lines
from hedong_geo.exports.extent import hedong_outline
from hedong_geo.exports.labels import Label
from hedong_geo.i18n import t, texts
from hedong_geo.layers import LayerSet
from hedong_geo.places import load_pois
from hedong_geo.styles import load_styles
from hedong_geo.transform import to_metric

__all__ = ["OSM_CLASSES", "Basemap", "draw_basemap"]

# OSM classes worth naming on a planning map, most telling first; others are not drawn.
OSM_CLASSES = (
    "park",
    "university",
    "college",
    "hospital",
    "museum",
    "attraction",
    "mall",
    "theatre",
    "school",
    "recreation_ground",
    "market_place",
    "memorial",
)
# How many OSM names a map may carry, and of which classes, by its scale (denominator up to).
OSM_BUDGET = (
    (12_000, len(OSM_CLASSES), 40),
    (30_000, len(OSM_CLASSES), 24),
    (float("inf"), 6, 12),  # park … mall only
)
REF_LABEL_SPAN_M = 7000.0  # reference points are named only on maps narrower than this
BASEMAP_PT = 6.0
OSM_PT = 5.5


@dataclass
class Basemap:
    """What the basemap drew: legend handles, names to place, OSM places waiting for a dot."""

    handles: list[Any] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    osm: list[tuple[float, float]] = field(default_factory=list)


def _clip(frame: gpd.GeoDataFrame, view: Any) -> gpd.GeoDataFrame:
    """The rows of ``frame`` that reach into ``view``."""
    if frame.empty:
        return frame
    return frame[frame.intersects(view)]


def _context(layerset: LayerSet, name: str) -> gpd.GeoDataFrame:
    if name not in layerset.layers:
        return gpd.GeoDataFrame(columns=["id", "geometry"], geometry="geometry", crs="EPSG:4527")
    frame = layerset.layers[name]
    return to_metric(frame[frame.geometry.notna()])


def _areas(ax: Any, base: Basemap, parts: dict, view: Any, lang: str) -> None:
    """Neighbouring districts (named) and Hedong, filled."""
    styles, text = load_styles()["context"], texts("snap", lang)
    colour = load_styles()["groups"]["context"]["color"]
    for key, zorder in (("neighbour", 0.5), ("hedong", 0.6)):
        part = _clip(parts[key], view)
        if part.empty:
            continue
        s = styles[key]
        fill = matplotlib.colors.to_rgba(s["fill_color"], s["fill_opacity"])
        fill_polygons(
            ax,
            part.geometry.values,
            zorder,
            facecolors=[fill],
            edgecolors=[s["color"]],
            linewidths=0.5 * s["weight"],
        )
        base.handles.append(Patch(facecolor=fill, edgecolor=s["color"], label=text[key]))
        if key == "neighbour":
            for row in part.itertuples():
                inside = row.geometry.intersection(view)
                where = inside.representative_point() if not inside.is_empty else None
                name = row.name_zh if lang == "zh" else row.name_en
                if where is not None:
                    base.labels.append(
                        Label(
                            name,
                            where.x,
                            where.y,
                            area=True,
                            size=BASEMAP_PT,
                            color=colour,
                            gid="basemap_label",
                        )
                    )


def _streets(ax: Any, base: Basemap, streets: gpd.GeoDataFrame, view: Any, lang: str) -> None:
    """The 街道 zones as dotted outlines with their names."""
    part = _clip(streets, view)
    if part.empty:
        return
    s = load_styles()["context"]["street"]
    dash = (0, tuple(float(v) for v in s["dash"].split()))
    stroke_lines(
        ax,
        part.geometry.values,
        0.75,
        colors=s["color"],
        linewidths=0.8 * s["weight"],
        linestyles=dash,
    )
    label = texts("print", lang)["streets"]
    base.handles.append(
        Line2D([], [], color=s["color"], linewidth=0.8, linestyle=dash, label=label)
    )
    for row in part.itertuples():
        zone = (
            shapely.Polygon(row.geometry.coords)
            if row.geometry.geom_type == "LineString"
            else shapely.MultiPolygon([shapely.Polygon(g.coords) for g in row.geometry.geoms])
        )
        inside = zone.buffer(0).intersection(view)
        if inside.is_empty:
            continue
        where = inside.representative_point()
        name = row.name_zh if lang == "zh" else row.name_en.split(" (")[0]
        base.labels.append(
            Label(
                name,
                where.x,
                where.y,
                area=True,
                size=BASEMAP_PT,
                color=s["label_color"],
                gid="basemap_label",
                style={"fontstyle": "italic"},
            )
        )


def _lines_and_points(ax: Any, base: Basemap, parts: dict, view: Any, lang: str) -> None:
    """The Haihe, and the reference points (named on detailed maps)."""
    styles, text = load_styles()["context"], texts("snap", lang)
    river = _clip(parts["river"], view)
    if not river.empty:
        s = styles["river"]
        stroke_lines(
            ax, river.geometry.values, 0.8, colors=s["color"], linewidths=0.5 * s["weight"]
        )
        base.handles.append(
            Line2D([], [], color=s["color"], linewidth=0.5 * s["weight"], label=text["river"])
        )
    refs = _clip(parts["reference_point"], view)
    if refs.empty:
        return
    s = styles["reference_point"]
    xy = shapely.get_coordinates(refs.geometry.values)
    ax.scatter(xy[:, 0], xy[:, 1], s=2 * s["radius"], c=s["color"], zorder=0.9, linewidths=0)
    marker = {"marker": "o", "linestyle": "", "markersize": s["radius"]}
    base.handles.append(Line2D([], [], color=s["color"], label=text["ref_point"], **marker))
    minx, _, maxx, _ = view.bounds
    if maxx - minx <= REF_LABEL_SPAN_M:
        for row in refs.itertuples():
            name = row.name_zh if lang == "zh" else row.name_en
            base.labels.append(
                Label(
                    name,
                    row.geometry.x,
                    row.geometry.y,
                    size=OSM_PT,
                    color=s["color"],
                    gid="basemap_label",
                )
            )


def _osm_places(base: Basemap, view: Any, ratio: float) -> None:
    """Named OSM places of the telling classes inside the view, most telling first; fewer and
    only the most telling classes on a small-scale map."""
    classes, budget = next((c, b) for upto, c, b in OSM_BUDGET if ratio <= upto)
    rank = {c: i for i, c in enumerate(OSM_CLASSES[:classes])}
    inside = [
        p for p in load_pois().values() if p.fclass in rank and p.name and view.contains(p.point)
    ]
    inside.sort(key=lambda p: (rank[p.fclass], p.kind != "area", p.poi_id))
    for poi in inside[:budget]:
        base.labels.append(
            Label(poi.name, poi.point.x, poi.point.y, size=OSM_PT, color="0.35", gid="osm_label")
        )


def draw_basemap(ax: Any, layerset: LayerSet, view_bounds: Any, lang: str, ratio: float) -> Basemap:
    """Draw the basemap inside ``view_bounds`` (metres) on ``ax`` at 1:``ratio``; return what
    it drew (legend handles, names still to place)."""
    view = shapely.box(*view_bounds)
    base = Basemap()
    context = _context(layerset, "context")
    if not context.empty:
        outline = hedong_outline(context)
        boundary = (context["category"] == "boundary") & ~context.index.isin(outline.index)
        parts = {
            "neighbour": context[boundary],
            "hedong": outline,
            "river": context[context["category"] == "river"],
            "reference_point": context[context["category"] == "reference_point"],
        }
        _areas(ax, base, parts, view, lang)
    streets = _context(layerset, "streets")
    if not streets.empty:
        _streets(ax, base, streets, view, lang)
    if not context.empty:
        _lines_and_points(ax, base, parts, view, lang)
    _osm_places(base, view, ratio)
    return base


def osm_handle(lang: str) -> Line2D:
    """The legend entry for named OpenStreetMap places."""
    return Line2D(
        [],
        [],
        marker="o",
        linestyle="",
        markersize=2.5,
        color="0.35",
        label=t("print_osm_places", lang),
    )
