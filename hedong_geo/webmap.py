"""The interactive web map (folium/Leaflet), with no Streamlit in it.

:func:`build_map` draws the layers of a :class:`~hedong_geo.layers.LayerSet` on a map that works
offline: no tiles by default (the ``context`` layer draws the districts and the Haihe), every
script and stylesheet served from ``static/`` (see :mod:`hedong_geo.assets`), and the tools
folium would take from a CDN (measure, fullscreen, mouse position) in our own
``hedong_geo/js/hedong.js``. Online basemaps are an option and only a bonus: if their tiles fail,
the vector layers stay.

What the browser gets is kept small and stable: coordinates rounded to 6 decimals, only the
properties the map shows (``id``, ``k`` style key, ``t`` tooltip HTML, ``r`` accuracy radius in
metres), and element ids that do not change between runs, so the same arguments give the same
HTML and streamlit-folium does not remount the map. A click reports the feature as
``last_active_drawing`` with ``properties.id``.

All text from the data is HTML-escaped here, before it reaches a tooltip, the legend or the
layer control: Leaflet puts those strings into ``innerHTML``.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import folium
import numpy as np
import shapely
from branca.element import Element, Figure, MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template
from shapely.geometry import mapping

from hedong_geo import settings
from hedong_geo.assets import ASSET_BASE, localize
from hedong_geo.context import is_hedong
from hedong_geo.i18n import LANGS, t, texts
from hedong_geo.layers import GROUPS, LayerSet
from hedong_geo.styles import feature_style, load_styles

__all__ = [
    "BASEMAPS",
    "LANGS",
    "build_map",
    "feature_bounds",
    "map_payload_bytes",
    "map_view",
]

BASEMAPS = ("none", *settings.ONLINE_BASEMAPS)

FEATURE_GROUPS = tuple(g for g in GROUPS if g != "context")
CONTEXT = "context"
# Shown when nothing located is on the map: central Hedong.
DEFAULT_BOUNDS = [[39.085, 117.195], [39.165, 117.295]]


_TILES = {
    "gaode": (
        "https://webrd0{s}.is.autonavi.com/appmaptile?lang={lang}&size=1&scale=1&style=8"
        "&x={x}&y={y}&z={z}"
    ),
    "tianditu": (
        "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
        "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
        "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
    ),
}


def _js(value: Any) -> str:
    """JSON for a <script> block: compact, UTF-8, with ``<`` escaped so no tag can close it."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


class _Setup(JSCSSMixin):
    """Loads hedong.js/css and sets styles, panes and background before any layer is drawn."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        HedongGeo.setup({{ this._parent.get_name() }}, {{ this.options_js }});
        {% endmacro %}
        """
    )

    def __init__(self, options: dict):
        super().__init__()
        self._name = "HedongSetup"
        # Relative until localize() puts the static folder's URL in front.
        self.default_js = [("hedong_js", "hedong/hedong.js")]
        self.default_css = [("hedong_css", "hedong/hedong.css")]
        self.options_js = _js(options)


class _Features(MacroElement):
    """One FeatureCollection drawn into its parent FeatureGroup by ``HedongGeo.layer``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        HedongGeo.layer({{ this._parent.get_name() }}, {{ this.data_js }}, {{ this.options_js }});
        {% endmacro %}
        """
    )

    def __init__(self, data: dict, options: dict):
        super().__init__()
        self._name = "HedongFeatures"
        self.data_js = _js(data)
        self.options_js = _js(options)


class _Highlight(MacroElement):
    """The selected feature, drawn on top in the highlight style and not clickable."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        HedongGeo.highlight({{ this._parent.get_name() }}, {{ this.data_js }},
            {{ this.style_js }});
        {% endmacro %}
        """
    )

    def __init__(self, data: dict, style: dict):
        super().__init__()
        self._name = "HedongHighlight"
        self.data_js = _js(data)
        self.style_js = _js(style)


class _Control(MacroElement):
    """A Leaflet control made by ``factory`` (a constant of this module, never data)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this.factory }}({{ this.options_js }}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, factory: str, options: dict):
        super().__init__()
        self._name = "HedongControl"
        self.factory = factory
        self.options_js = _js(options)


class _Page(Figure):
    """A Figure whose every render gives the same page.

    folium adds each element's header and script to the Figure while rendering, some keyed by
    names it makes up on the spot (``Layer.render`` creates a new ``ElementAddToElement`` each
    time), so a second render of the same map would repeat them. Starting each render from
    the bare page keeps :func:`map_payload_bytes` and streamlit-folium's renders identical.
    """

    def render(self, **kwargs: Any) -> str:
        meta = self.header._children.get("meta_http")
        for part in (self.header, self.html, self.script):
            part._children.clear()
        if meta is not None:
            self.header._children["meta_http"] = meta
        return super().render(**kwargs)


def _esc(text: Any) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _style_table(online: bool) -> dict[str, dict]:
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
            # Over tiles the district fill would hide the basemap: outlines only.
            "fillOpacity": 0 if online else s.get("fill_opacity", 0.8),
        }
    return table


def _round(geom: Any) -> Any:
    return shapely.transform(geom, lambda xy: np.round(xy, 6))


def _display_geometry(geom: Any, gcj02: bool) -> Any:
    if gcj02:
        # Imported here: only the Gaode basemap needs it.
        from hedong_geo.transform import geometry_to_gcj02

        geom = geometry_to_gcj02(geom)
    return _round(geom)


def _located(gdf: Any) -> Any:
    keep = gdf.geometry.notna() & ~gdf.geometry.is_empty
    return gdf[keep.to_numpy()]


def _title(layers: LayerSet, name: str, lang: str) -> str:
    title = layers.layers[name].attrs.get("title") or {}
    return title.get(lang) or title.get("zh") or name


def _is_hedong(row: Any) -> bool:
    return is_hedong(str(row["id"]), row["name_zh"])


def _tooltip(row: Any, lang: str) -> str:
    """Escaped tooltip HTML: the name, the other-language name, how it was located."""
    other = "en" if lang == "zh" else "zh"
    name = row[f"name_{lang}"] or row[f"name_{other}"] or row["id"]
    alt = row[f"name_{other}"]
    parts = [f"<b>{_esc(name)}</b>"]
    if alt and alt != name:
        parts.append(_esc(alt))
    basis = load_styles()["bases"].get(row["location_basis"], {}).get("label", {}).get(lang)
    note = _esc(basis or row["location_basis"])
    accuracy = row["accuracy_m"]
    if accuracy is not None and np.isfinite(accuracy):
        note += f" · {t('map_accuracy', lang)} ±{accuracy:.0f} m"
    parts.append(f"<small>{note}</small>")
    return "<br>".join(parts)


def _feature(row: Any, geom: Any, key: str, tooltip: str | None, radius: float | None) -> dict:
    props: dict[str, Any] = {"id": row["id"], "k": key}
    if tooltip:
        props["t"] = tooltip
    if radius:
        props["r"] = round(float(radius), 1)
    return {"type": "Feature", "properties": props, "geometry": mapping(geom)}


def _layer_features(gdf: Any, lang: str, gcj02: bool) -> list[dict]:
    """A thematic layer's features for the browser, big areas first so small ones stay on top."""
    rows = _located(gdf)
    order = np.argsort(-shapely.area(np.asarray(rows.geometry.values)), kind="stable")
    out = []
    for _, row in rows.iloc[order].iterrows():
        geom = _display_geometry(row.geometry, gcj02)
        point = geom.geom_type in ("Point", "MultiPoint")
        key = f"{row['group']}|{row['location_basis']}"
        radius = row["accuracy_m"] if point else None
        out.append(_feature(row, geom, key, _tooltip(row, lang), radius))
    return out


def _context_features(gdf: Any, lang: str, gcj02: bool) -> tuple[list[dict], list[dict]]:
    """Context as (outlines and river, not clickable; reference points, with tooltips)."""
    rows = _located(gdf)
    shapes, points = [], []
    # Neighbours first, Hedong last, so Hedong's outline is drawn over the shared borders.
    ranked = sorted(
        rows.iterrows(), key=lambda item: (item[1]["category"] != "boundary", _is_hedong(item[1]))
    )
    for _, row in ranked:
        geom = _display_geometry(row.geometry, gcj02)
        category = row["category"]
        if category == "boundary":
            key = "ctx|hedong" if _is_hedong(row) else "ctx|neighbour"
            shapes.append(_feature(row, geom, key, None, None))
        elif category == "river":
            shapes.append(_feature(row, geom, "ctx|river", None, None))
        else:
            points.append(_feature(row, geom, "ctx|reference_point", _tooltip(row, lang), None))
    return shapes, points


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
    geom = _display_geometry(row.geometry, gcj02)
    return _bounds([_with_accuracy(geom, row["accuracy_m"])])


def cache_element_templates() -> None:
    """Compile each of branca's element templates once instead of on every render.

    branca compiles a new Jinja template for every ``Element(template)`` it makes, and
    st_folium renders the whole map again on every rerun of the app: most of a click's rerun
    went into compiling the same few template strings. A compiled template is immutable
    (rendering it changes nothing), so one can serve every element with the same source.
    Idempotent; affects only ``branca.element``.
    """
    import branca.element
    import jinja2

    if getattr(branca.element.Template, "_hedong_cached", False):
        return

    @lru_cache(maxsize=512)
    def template(source: str) -> jinja2.Template:
        return jinja2.Template(source)

    template._hedong_cached = True
    branca.element.Template = template


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


def selection_group(layers: LayerSet, feature_id: str) -> folium.FeatureGroup | None:
    """The selected feature drawn as a highlight, for st_folium's ``feature_group_to_add``:
    added to the map in the browser without rebuilding it. None when it is unlocated."""
    row = layers.feature(feature_id)
    if row.geometry is None or row.geometry.is_empty:
        return None
    style = load_styles()["selected"]
    options = {
        "color": style["color"],
        "weight": style["weight"],
        "interactive": False,
        "pane": "hdSelected",  # above every layer (see hedong.js)
        # A schematic outline stays dashed when selected: selection must not make it look surveyed.
        "dash_array": feature_style(row["group"], row["location_basis"])["dash"],
    }
    group = folium.FeatureGroup(name="selected", control=False)
    geom = _round(row.geometry)
    if geom.geom_type in ("Point", "MultiPoint"):
        for point in getattr(geom, "geoms", [geom]):
            location = (point.y, point.x)
            if row["accuracy_m"]:
                folium.Circle(
                    location, radius=float(row["accuracy_m"]), fill_opacity=0.05, **options
                ).add_to(group)
            folium.CircleMarker(
                location, radius=9, fill_opacity=style["fill_opacity"], **options
            ).add_to(group)
    else:
        fill = style["fill_opacity"]
        folium.GeoJson(
            mapping(geom),
            style_function=lambda _: {
                "color": options["color"],
                "weight": options["weight"],
                "dashArray": options["dash_array"],
                "fillOpacity": fill,
                "fillColor": options["color"],
            },
            pane=options["pane"],
            interactive=False,
        ).add_to(group)
    return group


def map_view(layers: LayerSet, *, gcj02: bool = False) -> list[list[float]]:
    """The initial view: Hedong's outline if there is a context layer, else all located features.

    Returns
    -------
    list
        Leaflet-ordered bounds ``[[south, west], [north, east]]``.
    """
    if CONTEXT in layers.layers:
        ctx = _located(layers.layers[CONTEXT])
        hedong = [
            row.geometry
            for _, row in ctx.iterrows()
            if row["category"] == "boundary" and _is_hedong(row)
        ]
        if hedong:
            return _bounds(_display_geometry(g, gcj02) for g in hedong)
    geoms = []
    for gdf in layers.layers.values():
        rows = _located(gdf)
        geoms += [
            _with_accuracy(_display_geometry(r.geometry, gcj02), r["accuracy_m"])
            for _, r in rows.iterrows()
        ]
    return _bounds(geoms) or DEFAULT_BOUNDS


def _swatches(groups: Iterable[str]) -> str:
    colours = load_styles()["groups"]
    return "".join(
        f'<span class="hd-sw" style="background:{_esc(colours[g]["color"])}"></span>'
        for g in groups
    )


def _layer_label(layers: LayerSet, name: str, lang: str) -> tuple[int, str]:
    """Sort key (first plan group, then name) and the escaped layer-control label."""
    gdf = _located(layers.layers[name])
    present = [g for g in FEATURE_GROUPS if g in set(gdf["group"])]
    title = _esc(_title(layers, name, lang))
    if name == CONTEXT or not present:
        return len(FEATURE_GROUPS), _swatches(["context"]) + title
    if len(present) == 1:
        prefix = load_styles()["groups"][present[0]]["label"][lang].split(" · ")[0]
        title = f"{_esc(prefix)} · {title}"
    return FEATURE_GROUPS.index(present[0]), _swatches(present) + title


def _sample(basis: str) -> str:
    """An SVG sample of a line/fill style, in the neutral colour."""
    s = feature_style("points", basis)
    dash = f' stroke-dasharray="{_esc(s["dash"])}"' if s["dash"] else ""
    stroke = f'stroke="#555" stroke-width="{s["weight"]}"{dash}'
    if basis in ("described", "reference"):
        body = (
            f'<circle cx="14" cy="8" r="6.5" fill="#555" fill-opacity="0.25" {stroke}/>'
            '<circle cx="14" cy="8" r="2" fill="#555"/>'
        )
    else:
        body = (
            f'<rect x="2" y="2" width="24" height="12" fill="#555" fill-opacity="0.18" {stroke}/>'
        )
    return f'<svg width="28" height="16" viewBox="0 0 28 16" aria-hidden="true">{body}</svg>'


def _legend_html(lang: str, context: bool) -> str:
    styles = load_styles()
    text = texts("map", lang)
    rows = [f"<h4>{_esc(text['legend'])}</h4>", f"<h5>{_esc(text['colour'])}</h5>"]
    for group in FEATURE_GROUPS:
        entry = styles["groups"][group]
        rows.append(f"<div>{_swatches([group])}{_esc(entry['label'][lang])}</div>")
    rows.append(f"<h5>{_esc(text['line'])}</h5>")
    for basis in ("derived", "schematic", "described", "reference"):
        label = styles["bases"][basis]["label"][lang]
        rows.append(f"<div>{_sample(basis)}{_esc(label)}</div>")
    if context:
        ctx = styles["context"]
        rows.append(f"<h5>{_esc(text['context'])}</h5>")
        for key in ("hedong", "neighbour"):
            s = ctx[key]
            rect = (
                f'<rect x="2" y="2" width="24" height="12" fill="{_esc(s["fill_color"])}" '
                f'stroke="{_esc(s["color"])}" stroke-width="{s["weight"]}"/>'
            )
            rows.append(f'<div><svg width="28" height="16">{rect}</svg>{_esc(text[key])}</div>')
        river = ctx["river"]
        line = (
            f'<path d="M2 8h24" stroke="{_esc(river["color"])}" stroke-width="{river["weight"]}"/>'
        )
        rows.append(f'<div><svg width="28" height="16">{line}</svg>{_esc(text["river"])}</div>')
    return "".join(rows)


def _add_basemaps(m: folium.Map, basemap: str, lang: str) -> None:
    """Online tile layers as base layers, with an empty "no basemap" choice beside them.

    Gaode tiles are in GCJ-02 and the others in WGS84 (Tianditu's CGCS2000 is within a metre),
    so one map offers either Gaode or the WGS84 ones, never both: the data can only be drawn
    in one datum. The app switches datum by calling :func:`build_map` with another ``basemap``.
    """
    text = texts("map", lang)
    folium.FeatureGroup(name=text["none"], overlay=False, show=False).add_to(m)
    if basemap == "gaode":
        tiles = _TILES["gaode"].replace("{lang}", "zh_cn" if lang == "zh" else "en")
        folium.TileLayer(
            tiles=tiles,
            attr="&copy; 高德地图 AutoNavi",
            name=text["gaode"],
            subdomains="1234",
            max_zoom=19,
            max_native_zoom=18,
            overlay=False,
            show=True,
        ).add_to(m)
        return
    folium.TileLayer(
        "OpenStreetMap", name=text["osm"], max_zoom=19, overlay=False, show=basemap == "osm"
    ).add_to(m)
    key = settings.get().tianditu_key
    if not key:
        return
    for layer, name, overlay in (("vec", "tianditu", False), ("cva", "tianditu_labels", True)):
        url = _TILES["tianditu"].replace("{layer}", layer).replace("{key}", key)
        folium.TileLayer(
            tiles=url,
            attr="&copy; 天地图 Tianditu",
            name=text[name],
            subdomains="01234567",
            max_zoom=19,
            max_native_zoom=18,
            overlay=overlay,
            show=basemap == "tianditu",
        ).add_to(m)


def _stable_ids(m: folium.Map) -> None:
    """Replace folium's random element ids with ones fixed by the map's structure.

    streamlit-folium remounts the map whenever its HTML changes, so the same arguments must
    give the same HTML. Ids are lowercase letters and digits, as streamlit-folium expects.
    """
    counter = 0

    def walk(element: Element) -> None:
        nonlocal counter
        for child in element._children.values():
            child._id = f"h{counter}"
            counter += 1
            walk(child)

    m._id = "hedong"
    walk(m)


def build_map(
    layers: LayerSet,
    *,
    visible: Iterable[str] | None = None,
    lang: str = "zh",
    basemap: str = "none",
    selected: str | None = None,
    asset_base: str = ASSET_BASE,
) -> folium.Map:
    """The web map of ``layers``: one toggleable FeatureGroup per layer, legend and tools.

    Parameters
    ----------
    layers : LayerSet
        The loaded layers. Unlocated features (null geometry) are skipped; the ``context``
        layer, if present, is drawn under everything (districts, the Haihe, reference points).
    visible : iterable of str, optional
        Names of the layers shown on opening; the others are in the layer control, unticked.
        None shows all. The context layer is always shown. Unknown names are ignored.
    lang : {"zh", "en"}
        Language of names, tooltips, the legend and the controls.
    basemap : {"none", "osm", "gaode", "tianditu"}
        ``none`` (default) loads nothing from the internet. ``osm`` and ``tianditu`` add online
        WGS84 basemaps (Tianditu only when ``TIANDITU_KEY`` is set); ``gaode`` adds Gaode
        tiles and shifts the data to GCJ-02 to match them.
    selected : str, optional
        Id of a feature to zoom to and highlight.
    asset_base : str
        URL of the static folder (see :func:`hedong_geo.assets.localize`).

    Returns
    -------
    folium.Map
        A new map; the same arguments give the same HTML.

    Raises
    ------
    ValueError
        For an unknown ``lang`` or ``basemap``, or ``tianditu`` without ``TIANDITU_KEY``.
    UnknownIdError
        When ``selected`` names no feature.
    """
    if lang not in LANGS:
        raise ValueError(f"lang is {lang!r}; expected one of {list(LANGS)}")
    if basemap not in BASEMAPS:
        raise ValueError(f"basemap is {basemap!r}; expected one of {list(BASEMAPS)}")
    if basemap == "tianditu" and not settings.get().tianditu_key:
        raise ValueError("basemap 'tianditu' needs a key: set HEDONG_GEO_TIANDITU_KEY")
    gcj02 = basemap == "gaode"
    online = basemap != "none"
    shown = None if visible is None else set(visible)
    styles = load_styles()
    text = texts("map", lang)

    view = map_view(layers, gcj02=gcj02)
    centre = [(view[0][0] + view[1][0]) / 2, (view[0][1] + view[1][1]) / 2]
    m = folium.Map(location=centre, zoom_start=13, tiles=None, min_zoom=9, max_zoom=19)
    _Page().add_child(m)
    setup = {
        "styles": _style_table(online),
        "marker": styles["marker"],
        "hover": styles["hover"],
        "accuracy": styles["accuracy"],
        "background": styles["background"],
    }
    _Setup(setup).add_to(m)
    if online:
        _add_basemaps(m, basemap, lang)

    if CONTEXT in layers.layers:
        shapes, points = _context_features(layers.layers[CONTEXT], lang, gcj02)
        group = folium.FeatureGroup(name=_layer_label(layers, CONTEXT, lang)[1], show=True)
        if shapes:
            data = {"type": "FeatureCollection", "features": shapes}
            _Features(data, {"interactive": False, "pane": "hdContext"}).add_to(group)
        if points:
            data = {"type": "FeatureCollection", "features": points}
            _Features(data, {"pane": "hdContext"}).add_to(group)
        group.add_to(m)

    labelled = sorted(
        (_layer_label(layers, name, lang), name) for name in layers.layers if name != CONTEXT
    )
    for (_, label), name in labelled:
        features = _layer_features(layers.layers[name], lang, gcj02)
        if not features:
            continue
        group = folium.FeatureGroup(name=label, show=shown is None or name in shown)
        _Features({"type": "FeatureCollection", "features": features}, {}).add_to(group)
        group.add_to(m)

    if selected is not None:
        bounds = feature_bounds(layers, selected, gcj02=gcj02)
        row = layers.feature(selected)
        if bounds is not None:
            geom = _display_geometry(row.geometry, gcj02)
            radius = row["accuracy_m"] if geom.geom_type in ("Point", "MultiPoint") else None
            data = {
                "type": "FeatureCollection",
                "features": [_feature(row, geom, "selected", None, radius)],
            }
            highlight = styles["selected"]
            style = {
                "color": highlight["color"],
                "weight": highlight["weight"],
                "fillOpacity": highlight["fill_opacity"],
                "fillColor": highlight["color"],
            }
            _Highlight(data, style).add_to(m)
            view = bounds

    folium.LayerControl(collapsed=True).add_to(m)
    _Control("L.control.scale", {"metric": True, "imperial": False}).add_to(m)
    _Control("new L.Control.HdFullscreen", {"title": text["fullscreen"]}).add_to(m)
    measure = {"text": {"distance": text["distance"], "area": text["area"], "hint": text["hint"]}}
    _Control("new L.Control.HdMeasure", measure).add_to(m)
    _Control("new L.Control.HdMousePosition", {"datum": "GCJ-02" if gcj02 else "WGS84"}).add_to(m)
    _Control(
        "new L.Control.HdLegend", {"html": _legend_html(lang, CONTEXT in layers.layers)}
    ).add_to(m)
    folium.FitBounds(view, padding=(20, 20), max_zoom=17).add_to(m)

    localize(m, asset_base)
    _stable_ids(m)
    return m


def map_payload_bytes(m: folium.Map) -> int:
    """Size in bytes (UTF-8) of the map's rendered page: what the browser is sent for it.

    Scripts and stylesheets loaded from ``static/`` are not counted; they are cached.
    """
    return len(m.get_root().render().encode("utf-8"))
