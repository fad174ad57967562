"""The web map's legend and its layer-control names, as escaped HTML from templates.

Leaflet puts both into ``innerHTML``: every text here goes through ``legend.html.j2`` or
``swatches.html.j2`` (autoescaped). Colours, dashes and labels come from ``geodata/styles.json``.
"""

from __future__ import annotations

from hedong_geo.basemap_layers import basemap_legend_rows
from hedong_geo.i18n import t, texts
from hedong_geo.layers import STATUSES, LayerSet
from hedong_geo.mapdata import CONTEXT, FEATURE_GROUPS, located
from hedong_geo.styles import feature_style, load_styles
from hedong_geo.templating import render

__all__ = ["layer_label", "legend_html", "status_colours"]

# The line styles the legend explains, in this order; the first two are drawn as areas.
LEGEND_BASES = ("derived", "schematic", "described", "reference")
POINT_BASES = ("described", "reference")


def _title(layers: LayerSet, name: str, lang: str) -> str:
    title = layers.layers[name].attrs.get("title") or {}
    return title.get(lang) or title.get("zh") or name


def layer_label(layers: LayerSet, name: str, lang: str) -> tuple[int, str]:
    """Sort key (first plan group, then name) and the layer-control label: the colours of the
    plan groups the layer holds, then its title (prefixed by the group when it has one)."""
    groups = load_styles()["groups"]
    gdf = located(layers.layers[name])
    present = [g for g in FEATURE_GROUPS if g in set(gdf["group"])]
    title = _title(layers, name, lang)
    if name == CONTEXT or not present:
        key, swatches = len(FEATURE_GROUPS), ["context"]
    else:
        key, swatches = FEATURE_GROUPS.index(present[0]), present
        if len(present) == 1:
            title = f"{groups[present[0]]['label'][lang].split(' · ')[0]} · {title}"
    colours = [groups[g]["color"] for g in swatches]
    return key, str(render("swatches.html.j2", colours=colours, label=title))


def status_colours() -> dict[str, str]:
    """The colour of each current status when the map is coloured by status."""
    table = load_styles()["statuses"]
    return {status: table[status]["color"] for status in STATUSES if status in table}


def legend_html(
    lang: str,
    context: bool,
    counts: dict[str, int] | None = None,
    streets: bool = False,
    group_counts: dict[str, int] | None = None,
) -> str:
    """The legend: colour by plan group or by status (a toggle; ``counts`` and
    ``group_counts`` give how many features the map draws with each status and in each plan
    group; the map updates them as layers are toggled), line by location basis, and the context
    geography (Hedong, its neighbours; the 街道 zones when ``streets``) with the offline
    basemap drawn with it (the Haihe as water, metro stations, each kind of place, the
    OpenStreetMap credit) when the map draws it."""
    styles = load_styles()
    counts = counts or {}
    group_counts = group_counts or {}
    groups = [
        {
            "key": g,
            "color": styles["groups"][g]["color"],
            "label": styles["groups"][g]["label"][lang],
            "count": group_counts.get(g, 0),
        }
        for g in FEATURE_GROUPS
    ]
    statuses = [
        {
            "key": status,
            "color": colour,
            "label": t(f"status_{status}", lang),
            "count": counts.get(status, 0),
        }
        for status, colour in status_colours().items()
    ]
    bases = []
    for basis in LEGEND_BASES:
        s = feature_style("points", basis)
        bases.append(
            {
                "label": styles["bases"][basis]["label"][lang],
                "dash": s["dash"],
                "weight": s["weight"],
                "point": basis in POINT_BASES,
            }
        )
    text = texts("map", lang)
    rows = []
    if context:
        ctx = styles["context"]
        for key in ("hedong", "neighbour"):
            rows.append({**ctx[key], "label": text[key], "kind": "area"})
    if streets:
        rows.append({**styles["context"]["street"], "label": text["streets"], "kind": "area"})
    basemap = basemap_legend_rows(lang) if context else []
    html = render(
        "legend.html.j2",
        text=text,
        groups=groups,
        statuses=statuses,
        bases=bases,
        context=rows,
        basemap=basemap,
    )
    return str(html)
