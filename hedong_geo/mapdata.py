"""What the web map sends the browser: features as small GeoJSON, styles, bounds and views.

The browser gets only what the map shows: coordinates rounded to 6 decimals and, per feature,
``id``, ``k`` (style key), ``t`` (tooltip HTML, escaped by ``tooltip.html.j2``), ``r``
(accuracy radius in metres, for points), ``s`` (current status, for colouring by status), ``n``
and ``l`` (the name and the layer title, plain text for the chooser a click opens where several
features lie under the pointer), ``site`` (for features drawn at one site with another: the
site's key, so they spread apart when zoomed in) and ``z`` (a zone drawn as its outline: the
chooser takes a click anywhere inside it). On the Gaode
basemap every geometry is shifted to GCJ-02 here, so drawn shapes, bounds and the selection
agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping

from hedong_geo.context import is_hedong
from hedong_geo.describe import headline
from hedong_geo.i18n import t
from hedong_geo.layers import GROUPS, LayerSet
from hedong_geo.styles import feature_style, load_styles
from hedong_geo.templating import render

__all__ = [
    "CONTEXT",
    "FEATURE_GROUPS",
    "context_features",
    "feature_bounds",
    "highlight_target",
    "layer_features",
    "located",
    "map_view",
    "shared_sites",
    "status_counts",
    "street_features",
    "style_table",
    "unlocated_places",
    "view_for",
    "zone_of",
]

FEATURE_GROUPS = tuple(g for g in GROUPS if g != "context")
CONTEXT = "context"
# The approximate 街道 zones: drawn under the plan layers, muted, with their names.
STREETS = "streets"
# Shown when nothing located is on the map: central Hedong.
DEFAULT_BOUNDS = [[39.085, 117.195], [39.165, 117.295]]


def style_table(online: bool) -> dict[str, dict]:
    """Leaflet path options by style key: ``group|basis`` for features, ``ctx|…`` for context."""
    styles = load_styles()
    table = {}
    for group in FEATURE_GROUPS:
        for basis in styles["bases"]:
            s = feature_style(group, basis)
            table[f"{group}|{basis}"] = {
                "color": s["color"],
                "fillColor": s["color"],
                "weight": s["weight"],
                "dashArray": s["dash"],
                "fillOpacity": s["fill_opacity"],
                "opacity": 0.9,
            }
    for key, s in styles["context"].items():
        table[f"ctx|{key}"] = {
            "color": s["color"],
            "fillColor": s.get("fill_color", s["color"]),
            "weight": s.get("weight", 1),
            "dashArray": s.get("dash"),
            # Over tiles the district fill would hide the basemap: outlines only.
            "fillOpacity": 0 if online else s.get("fill_opacity", 0.8),
        }
    return table


def display_geometry(geom: Any, gcj02: bool) -> Any:
    """The geometry as drawn: in GCJ-02 on the Gaode basemap, rounded to 6 decimals."""
    if gcj02:
        # Imported here: only the Gaode basemap needs it.
        from hedong_geo.transform import geometry_to_gcj02

        geom = geometry_to_gcj02(geom)
    return shapely.transform(geom, lambda xy: np.round(xy, 6))


def located(gdf: Any) -> Any:
    """The rows of ``gdf`` that have a geometry to draw."""
    keep = gdf.geometry.notna() & ~gdf.geometry.is_empty
    return gdf[keep.to_numpy()]


def _is_hedong(row: Any) -> bool:
    return is_hedong(str(row["id"]), row["name_zh"])


def _tooltip(row: Any, lang: str) -> str:
    """Tooltip HTML: the name, the other-language name, how it was located."""
    other = "en" if lang == "zh" else "zh"
    name = row[f"name_{lang}"] or row[f"name_{other}"] or row["id"]
    alt = row[f"name_{other}"]
    basis = load_styles()["bases"].get(row["location_basis"], {}).get("label", {}).get(lang)
    note = basis or row["location_basis"]
    accuracy = row["accuracy_m"]
    if accuracy is not None and np.isfinite(accuracy):
        note += f" · {t('map_accuracy', lang)} ±{accuracy:.0f} m"
    facts = row.get("facts") if hasattr(row, "get") else None
    figures = headline(facts if isinstance(facts, list) else None, lang)
    return str(
        render(
            "tooltip.html.j2",
            name=name,
            alt=alt if alt != name else None,
            figures=figures,
            note=note,
        )
    )


def _feature(row: Any, geom: Any, key: str, tooltip: str | None, radius: float | None) -> dict:
    props: dict[str, Any] = {"id": row["id"], "k": key}
    if tooltip:
        props["t"] = tooltip
    if radius:
        props["r"] = round(float(radius), 1)
    return {"type": "Feature", "properties": props, "geometry": mapping(geom)}


def layer_features(
    gdf: Any,
    lang: str,
    gcj02: bool,
    sites: dict[str, str] | None = None,
    title: str = "",
) -> list[dict]:
    """A thematic layer's features for the browser, big areas first so small ones stay on top.

    Each carries its current status (``s``, for colouring by status); a feature drawn at the
    same site as another (``sites``: id → site key, :func:`shared_sites`) also carries the key
    (``site``), its name (``n``) and its layer's ``title`` (``l``), for the chooser a click there
    opens (plain text: the browser puts it in with ``textContent``). Every feature carries its
    name (``n``) and its layer's ``title`` (``l``) for the chooser a click opens where several
    features lie under the pointer."""
    rows = located(gdf)
    order = np.argsort(-shapely.area(np.asarray(rows.geometry.values)), kind="stable")
    out = []
    for _, row in rows.iloc[order].iterrows():
        geom = display_geometry(row.geometry, gcj02)
        point = geom.geom_type in ("Point", "MultiPoint")
        key = f"{row['group']}|{row['location_basis']}"
        radius = row["accuracy_m"] if point else None
        feature = _feature(row, geom, key, _tooltip(row, lang), radius)
        feature["properties"].update(s=row["status"], n=display_name(row, lang), l=title)
        if sites and row["id"] in sites:
            feature["properties"]["site"] = sites[row["id"]]
        out.append(feature)
    return out


def display_name(row: Any, lang: str) -> str:
    """A feature's name in ``lang``, else in the other language, else its id."""
    other = "en" if lang == "zh" else "zh"
    return row[f"name_{lang}"] or row[f"name_{other}"] or row["id"]


def shared_sites(layers: LayerSet) -> dict[str, str]:
    """Features drawn at one site (the same geometry to 6 decimals) with another: id → a key
    naming the site. A click there offers each (issue: no two distinct located features share
    a coordinate unless they are the same site, and then a click offers each)."""
    by_site: dict[bytes, list[str]] = {}
    for name, gdf in layers.layers.items():
        if name in (CONTEXT, STREETS):
            continue
        for _, row in located(gdf).iterrows():
            key = display_geometry(row.geometry, False).wkb
            by_site.setdefault(key, []).append(row["id"])
    out = {}
    for ids in by_site.values():
        if len(ids) > 1:
            for fid in ids:
                out[fid] = min(ids)
    return out


def status_counts(layers: LayerSet, column: str = "status") -> dict[str, int]:
    """How many features the map draws with each current status (context and 街道 left out);
    with ``column="group"``, in each plan group."""
    counts: dict[str, int] = {}
    for name, gdf in layers.layers.items():
        if name in (CONTEXT, STREETS):
            continue
        for value in located(gdf)[column]:
            counts[value] = counts.get(value, 0) + 1
    return counts


def street_features(
    gdf: Any, lang: str, gcj02: bool, title: str = ""
) -> tuple[list[dict], list[dict]]:
    """The 街道 zones as (outlines, labels): muted outlines under the plan layers, each a zone a
    click anywhere inside reaches (``z``; listed last by the chooser, under every plan feature),
    and each name as a label at a point inside its zone (``n``, plain text). The zones are
    approximate and say so in the layer's ``title`` (``l``)."""
    rows = located(gdf)
    shapes, labels = [], []
    for _, row in rows.iterrows():
        geom = display_geometry(row.geometry, gcj02)
        name = display_name(row, lang)
        shape = _feature(row, geom, "ctx|street", None, None)
        shape["properties"].update(n=name, l=title, z=1)
        shapes.append(shape)
        if lang == "en":
            name = name.split(" (")[0]
        spot = display_geometry(row.geometry.representative_point(), gcj02)
        labels.append(
            {
                "type": "Feature",
                "properties": {"id": row["id"], "n": name},
                "geometry": mapping(spot),
            }
        )
    return shapes, labels


def context_features(gdf: Any, lang: str, gcj02: bool) -> tuple[list[dict], list[dict]]:
    """Context as (outlines and river, not clickable; reference points, with tooltips)."""
    rows = located(gdf)
    shapes, points = [], []
    # Neighbours first, Hedong last, so Hedong's outline is drawn over the shared borders.
    ranked = sorted(
        rows.iterrows(), key=lambda item: (item[1]["category"] != "boundary", _is_hedong(item[1]))
    )
    for _, row in ranked:
        geom = display_geometry(row.geometry, gcj02)
        category = row["category"]
        if category == "boundary":
            key = "ctx|hedong" if _is_hedong(row) else "ctx|neighbour"
            shapes.append(_feature(row, geom, key, None, None))
        elif category == "river":
            shapes.append(_feature(row, geom, "ctx|river", None, None))
        else:
            points.append(_feature(row, geom, "ctx|reference_point", _tooltip(row, lang), None))
    return shapes, points


def highlight_target(layers: LayerSet, feature_id: str) -> str | None:
    """What the map highlights when ``feature_id`` is chosen: the feature itself when it is
    drawn; for a place the plan ties only to a zone (unlocated, with a ``parent``), the nearest
    drawn zone up its ``parent`` chain; None when there is nothing to draw. Raises
    ``UnknownIdError`` for an unknown id."""
    row = layers.feature(feature_id)
    seen = {feature_id}
    while row.geometry is None or row.geometry.is_empty:
        parent = row["parent"]
        if not isinstance(parent, str) or parent in seen:
            return None
        seen.add(parent)
        try:
            row = layers.feature(parent)
        except KeyError:  # the parent's layer is filtered out or not loaded
            return None
    return row["id"]


def zone_of(layers: LayerSet) -> dict[str, str]:
    """Every feature the map cannot draw but whose zone it can: id → the zone highlighted when
    it is chosen (:func:`highlight_target`), so a page's ``HedongGeo.select(id)`` shows it."""
    out = {}
    for row in layers.features().itertuples():
        if row.layer != CONTEXT and (row.geometry is None or row.geometry.is_empty):
            target = highlight_target(layers, row.id)
            if target is not None:
                out[row.id] = target
    return out


def unlocated_places(
    layers: LayerSet, visible: Iterable[str] | None, lang: str
) -> list[dict[str, str]]:
    """The places of the shown layers (``visible``; None: all) the map cannot draw, for the
    map's "N places not yet located" list: ``id`` and ``n`` (name), and for a place the text
    ties to a drawn zone, ``z`` and ``zn`` (the zone highlighted when it is chosen, its name).
    Zone-tied places first, then by name."""
    shown = None if visible is None else set(visible)
    out = []
    for name, gdf in layers.layers.items():
        if name in (CONTEXT, STREETS) or (shown is not None and name not in shown):
            continue
        empty = gdf.geometry.isna() | gdf.geometry.is_empty
        for _, row in gdf[empty.to_numpy()].iterrows():
            place = {"id": row["id"], "n": display_name(row, lang)}
            zone = highlight_target(layers, row["id"])
            if zone is not None:
                place.update(z=zone, zn=display_name(layers.feature(zone), lang))
            out.append(place)
    return sorted(out, key=lambda p: ("z" not in p, p["n"]))


def _bounds(geoms: Iterable[Any]) -> list[list[float]] | None:
    geoms = [g for g in geoms if g is not None and not g.is_empty]
    if not geoms:
        return None
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    return [
        [round(float(miny), 6), round(float(minx), 6)],
        [round(float(maxy), 6), round(float(maxx), 6)],
    ]


def _with_accuracy(geom: Any, accuracy: float | None) -> Any:
    """A point grown to the box of its accuracy circle, so zooming to it shows the circle."""
    if geom.geom_type != "Point" or not accuracy:
        return geom
    dlat = accuracy / 111_320
    dlon = accuracy / (111_320 * np.cos(np.radians(geom.y)))
    return shapely.box(geom.x - dlon, geom.y - dlat, geom.x + dlon, geom.y + dlat)


def feature_bounds(
    layers: LayerSet, feature_id: str, *, gcj02: bool = False
) -> list[list[float]] | None:
    """Bounds ``[[south, west], [north, east]]`` of one feature, its accuracy circle included.

    Parameters
    ----------
    layers : LayerSet
        The loaded layers.
    feature_id : str
        The feature's ``id``.
    gcj02 : bool
        Give the bounds in GCJ-02 (for a map drawn on the Gaode basemap).

    Returns
    -------
    list or None
        Leaflet-ordered bounds, or None when the feature is unlocated.

    Raises
    ------
    UnknownIdError
        When no layer has a feature with that id.
    """
    row = layers.feature(feature_id)
    if row.geometry is None or row.geometry.is_empty:
        return None
    geom = display_geometry(row.geometry, gcj02)
    return _bounds([_with_accuracy(geom, row["accuracy_m"])])


def view_for(
    layers: LayerSet, feature_id: str, size: tuple[int, int] = (700, 560)
) -> tuple[tuple[float, float], int] | None:
    """Centre ``(lat, lon)`` and zoom that show a feature (its accuracy circle included) on a
    map of ``size`` pixels; None when it is unlocated. For st_folium's ``center``/``zoom``,
    which move the map without rebuilding it."""
    bounds = feature_bounds(layers, feature_id)
    if bounds is None:
        return None
    (south, west), (north, east) = bounds
    lat = (south + north) / 2
    # Web Mercator: 256 px span 360° of longitude at zoom 0, shrunk by cos(lat) in latitude.
    fit_x = size[0] * 360 / (256 * max(east - west, 1e-6))
    fit_y = size[1] * 360 * np.cos(np.radians(lat)) / (256 * max(north - south, 1e-6))
    zoom = int(np.clip(np.floor(np.log2(min(fit_x, fit_y) * 0.8)), 10, 17))
    return (round(lat, 6), round((west + east) / 2, 6)), zoom


def map_view(layers: LayerSet, *, gcj02: bool = False) -> list[list[float]]:
    """The initial view: Hedong's outline if there is a context layer, else all located features.

    Returns
    -------
    list
        Leaflet-ordered bounds ``[[south, west], [north, east]]``.
    """
    if CONTEXT in layers.layers:
        ctx = located(layers.layers[CONTEXT])
        hedong = [
            row.geometry
            for _, row in ctx.iterrows()
            if row["category"] == "boundary" and _is_hedong(row)
        ]
        if hedong:
            return _bounds(display_geometry(g, gcj02) for g in hedong)
    geoms = []
    for gdf in layers.layers.values():
        rows = located(gdf)
        geoms += [
            _with_accuracy(display_geometry(r.geometry, gcj02), r["accuracy_m"])
            for _, r in rows.iterrows()
        ]
    return _bounds(geoms) or DEFAULT_BOUNDS
