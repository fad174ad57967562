"""The interactive web map (folium/Leaflet), with no Streamlit in it.

:func:`build_map` draws the layers of a :class:`~hedong_geo.layers.LayerSet` on a map that works
offline: the basemap is vector data (:mod:`hedong_geo.basemap_layers`), every script is served
locally (:mod:`hedong_geo.assets`), the tools are our own (``hedong_geo/js``); tile basemaps
(:mod:`hedong_geo.basemaps`) are an option, and large layers are vector tiles (:mod:`~.tiles`).

What the browser gets is kept small and stable (:mod:`hedong_geo.mapdata`), and element ids do
not change between runs, so the same arguments give the same page (the app names its map pages
by their content, :mod:`hedong_geo.mapview`). The selected feature is highlighted in the
browser by ``HedongGeo.select`` from the feature as drawn, in the app and the static site alike.

All text from the data is HTML-escaped by templates before it reaches a tooltip, the legend or
the layer control (:mod:`hedong_geo.legend`): Leaflet puts those strings into ``innerHTML``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

import folium
from branca.element import Element, Figure, MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from hedong_geo import tiles
from hedong_geo.assets import ASSET_BASE, AssetBase, localize
from hedong_geo.basemap_layers import add_basemap, street_labels_element
from hedong_geo.basemaps import BASEMAPS, add_basemaps, check_basemap, shifted
from hedong_geo.i18n import LANGS, texts
from hedong_geo.layers import LayerSet
from hedong_geo.legend import layer_label, legend_html, status_colours
from hedong_geo.mapdata import (
    CONTEXT,
    STREETS,
    context_features,
    feature_bounds,
    highlight_target,
    layer_features,
    map_view,
    shared_sites,
    status_counts,
    street_features,
    style_table,
    view_for,
    zone_of,
)
from hedong_geo.mapguides import guide_controls
from hedong_geo.places import OSM_ATTRIBUTION, osm_drawn
from hedong_geo.styles import load_styles
from hedong_geo.templating import json_script

__all__ = [
    "BASEMAPS",
    "LANGS",
    "build_map",
    "feature_bounds",
    "map_view",
    "view_for",
]


class _Text(Element):
    """Output of one of our elements, put into the page as it is."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


def render_direct(element: MacroElement, kwargs: dict) -> None:
    """What ``MacroElement.render`` does, with the output put into the page as it is.

    branca puts each rendered part into a new ``Element(text)``, which compiles the text as yet
    another Jinja template on every render; st_folium renders the whole map again on every
    rerun of the app, so most of a click's rerun went into compiling the same strings. Our
    elements' templates are compiled once, with their class, and their output is final (data
    in it can never be read as template syntax either).
    """
    figure = element.get_root()
    module = element._template.module
    for part in ("header", "html", "script"):
        macro = module.__dict__.get(part)
        if macro is not None:
            getattr(figure, part).add_child(_Text(macro(element, kwargs)), name=element.get_name())
    for child in element._children.values():
        child.render(**kwargs)


class _Call(MacroElement):
    """A call into hedong.js on the parent element: the base of this module's elements."""

    def render(self, **kwargs: Any) -> None:
        render_direct(self, kwargs)


class _AddTo(_Call):
    """Adds the parent layer to its own parent (the map) when the page opens."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.addTo({{ this._parent._parent.get_name() }});
        {% endmacro %}
        """
    )


class _Group(folium.FeatureGroup):
    """A folium FeatureGroup (so the layer control lists it) rendered without recompiling."""

    def render(self, **kwargs: Any) -> None:
        if self.show:
            self.add_child(_AddTo(), name=self.get_name() + "_add")
        render_direct(self, kwargs)


class _LayerControl(folium.LayerControl):
    """folium's layer control rendered without recompiling: it lists the map's layers as
    ``LayerControl.render`` does, then renders directly."""

    def render(self, **kwargs: Any) -> None:
        self.reset()
        for item in self._parent._children.values():
            if isinstance(item, folium.map.Layer) and item.control:
                names = self.overlays if item.overlay else self.base_layers
                names[item.layer_name] = item.get_name()
        render_direct(self, kwargs)


class _Setup(JSCSSMixin, _Call):
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
        self.default_js = [
            ("hedong_js", "hedong/hedong.js"),
            ("hedong_pick_js", "hedong/pick.js"),
            ("hedong_unlocated_js", "hedong/unlocated.js"),
            ("hedong_tour_js", "hedong/tour.js"),
        ]
        self.default_css = [("hedong_css", "hedong/hedong.css")]
        self.options_js = json_script(options)


class _Embed(JSCSSMixin, _Call):
    """The map inside the app's component: bridge.js (clicks and moves reported to the page
    around it) and, on touch screens, two-finger panning (Leaflet.GestureHandling)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        HedongGeo.embed({{ this._parent.get_name() }}, {{ this.options_js }});
        {% endmacro %}
        """
    )

    def __init__(self, options: dict):
        super().__init__()
        self._name = "HedongEmbed"
        self.default_js = [
            ("gesture_js", "vendor/gesture/leaflet-gesture-handling.min.js"),
            ("hedong_bridge", "hedong/bridge.js"),
        ]
        self.default_css = [("gesture_css", "vendor/gesture/leaflet-gesture-handling.min.css")]
        self.options_js = json_script(options)


class _Features(_Call):
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
        self.data_js = json_script(data)
        self.options_js = json_script(options)


class _Select(_Call):
    """The page's selection on opening: ``HedongGeo.select`` (after every layer is drawn)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        HedongGeo.select({{ this.id_js }});
        {% endmacro %}
        """
    )

    def __init__(self, feature_id: str):
        super().__init__()
        self._name = "HedongSelect"
        self.id_js = json_script(feature_id)


class _Fit(_Call):
    """The opening view: ``HedongGeo.fit``, which a page can redirect (``HedongGeo.openAt``)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        HedongGeo.fit({{ this._parent.get_name() }}, {{ this.bounds_js }}, {{ this.options_js }});
        {% endmacro %}
        """
    )

    def __init__(self, bounds: list[list[float]], options: dict):
        super().__init__()
        self._name = "HedongFit"
        self.bounds_js = json_script(bounds)
        self.options_js = json_script(options)


class _Control(_Call):
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
        self.options_js = json_script(options)


class _Attribution(_Call):
    """A credit in the map's attribution control (``text`` is plain text, escaped)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text_js }});
        {% endmacro %}
        """
    )

    def __init__(self, text: str):
        super().__init__()
        self._name = "HedongAttribution"
        self.text_js = json_script(html.escape(text))


class _Page(Figure):
    """A Figure whose every render gives the same page.

    folium adds each element's header and script to the Figure while rendering, some keyed by
    names it makes up on the spot (``Layer.render`` creates a new ``ElementAddToElement`` each
    time), so a second render of the same map would repeat them. Starting each render from
    the bare page keeps every render identical.
    """

    def render(self, **kwargs: Any) -> str:
        meta = self.header._children.get("meta_http")
        for part in (self.header, self.html, self.script):
            part._children.clear()
        if meta is not None:
            self.header._children["meta_http"] = meta
        return super().render(**kwargs)


def _setup_options(layers: LayerSet, online: bool, lang: str) -> dict:
    styles = load_styles()
    text = texts("map", lang)
    return {
        "styles": style_table(online),
        "marker": styles["marker"],
        "hover": styles["hover"],
        "accuracy": styles["accuracy"],
        "background": styles["background"],
        "selected": styles["selected"],
        "statuses": status_colours(),
        "street_label": styles["context"]["street"]["label_color"],
        "text": {key: text[key] for key in ("here", "here_current")},
        "spread": styles["spread"],
        "zone_of": zone_of(layers),
    }


def _add_layers(
    m: folium.Map,
    layers: LayerSet,
    shown: set[str] | None,
    lang: str,
    gcj02: bool,
    online: bool,
    tile_base: str,
):
    """The context layer and the offline basemap (under everything), then one FeatureGroup per
    thematic layer; a layer over ``HEDONG_GEO_TILE_THRESHOLD`` features as vector tiles from
    ``tile_base``."""
    if CONTEXT in layers.layers:
        shapes, points = context_features(layers.layers[CONTEXT], lang, gcj02)
        group = _Group(name=layer_label(layers, CONTEXT, lang)[1], show=True)
        if shapes:
            data = {"type": "FeatureCollection", "features": shapes}
            _Features(data, {"interactive": False, "pane": "hdContext"}).add_to(group)
        if points:
            data = {"type": "FeatureCollection", "features": points}
            _Features(data, {"pane": "hdContext"}).add_to(group)
        add_basemap(group, lang, gcj02=gcj02, online=online)
        group.add_to(m)
    labelled = sorted(
        (layer_label(layers, name, lang), name) for name in layers.layers if name != CONTEXT
    )
    tiled = {name for name, gdf in layers.layers.items() if tiles.should_tile(gdf)}
    drawn = {name: gdf for name, gdf in layers.layers.items() if name not in tiled}
    sites = shared_sites(LayerSet(layers=drawn))  # tiled layers: one feature per click
    for (_, label), name in labelled:
        gdf = layers.layers[name]
        show = shown is None or name in shown
        if name == STREETS:
            _add_streets(m, gdf, label, show, lang, gcj02)
            continue
        if name in tiled:
            group = _Group(name=label, show=show)
            tiles.add_tiled_layer(group, tiles.ensure_tiles(gdf, name, gcj02=gcj02), tile_base)
            group.add_to(m)
            continue
        features = layer_features(gdf, lang, gcj02, sites, _title(gdf, lang))
        if not features:
            continue
        group = _Group(name=label, show=show)
        _Features({"type": "FeatureCollection", "features": features}, {}).add_to(group)
        group.add_to(m)


def _title(gdf: Any, lang: str) -> str:
    """A layer's title in ``lang`` (its file name when it has none): the chooser names it."""
    return (gdf.attrs.get("title") or {}).get(lang) or gdf.attrs.get("name") or ""


def _add_streets(m: folium.Map, gdf: Any, label: str, show: bool, lang: str, gcj02: bool):
    """The 街道 zones under every plan layer (their own pane), named by labels that take no
    clicks: a click reaches a zone only where no plan feature is."""
    shapes, labels = street_features(gdf, lang, gcj02, _title(gdf, lang))
    if not shapes:
        return
    group = _Group(name=label, show=show)
    _Features({"type": "FeatureCollection", "features": shapes}, {"pane": "hdStreets"}).add_to(
        group
    )
    street_labels_element({"type": "FeatureCollection", "features": labels}).add_to(group)
    group.add_to(m)


def _add_controls(
    m: folium.Map, layers: LayerSet, visible: Iterable[str] | None, lang: str, gcj02: bool
) -> None:
    text = texts("map", lang)
    context = CONTEXT in layers.layers
    _LayerControl(collapsed=True).add_to(m)
    _Control("L.control.scale", {"metric": True, "imperial": False}).add_to(m)
    _Control("new L.Control.HdFullscreen", {"title": text["fullscreen"]}).add_to(m)
    measure = {"text": {"distance": text["distance"], "area": text["area"], "hint": text["hint"]}}
    _Control("new L.Control.HdMeasure", measure).add_to(m)
    # On GCJ-02 tiles tilesources.js converts the position back: the user reads WGS84.
    datum = text["datum_gcj02"] if gcj02 else "WGS84"
    _Control("new L.Control.HdMousePosition", {"datum": datum}).add_to(m)
    legend = legend_html(
        lang,
        context,
        status_counts(layers),
        STREETS in layers.layers,
        status_counts(layers, "group"),
    )
    _Control("new L.Control.HdLegend", {"html": legend}).add_to(m)
    for factory, options in guide_controls(layers, visible, lang, gcj02):
        _Control(factory, options).add_to(m)
    if osm_drawn(layers.features()):  # ODbL: whoever shows OpenStreetMap data credits it
        _Attribution(OSM_ATTRIBUTION).add_to(m)


def _stable_ids(m: folium.Map) -> None:
    """Replace folium's random element ids with ones fixed by the map's structure: the same
    arguments give the same page, so the app's content-named map pages are reused."""
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
    asset_base: AssetBase = ASSET_BASE,
    embed: bool = False,
    tile_base: str = tiles.TILE_BASE,
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
    basemap : str
        ``none`` (default) loads nothing from the internet; else a tile source id
        (:mod:`hedong_geo.tilesources`); a GCJ-02 source (``gaode``) shifts the data to match.
    selected : str, optional
        Id of a feature to open on: highlighted, and the map fitted to it.
    asset_base : str or callable
        URL of the assets (:func:`hedong_geo.assets.localize`), local tile sources included.
    embed : bool
        A page for the app's map component (:mod:`hedong_geo.mapview`): clicks and moves are
        reported to the page around it, and touch screens pan with two fingers.
    tile_base : str
        URL the tile cache (``HEDONG_GEO_TILE_CACHE``) is served at, for layers drawn as vector
        tiles (:mod:`hedong_geo.tiles`).

    Returns
    -------
    folium.Map
        A new map; the same arguments give the same HTML.

    Raises
    ------
    ValueError
        For an unknown ``lang`` or ``basemap``, or ``tianditu`` without ``HEDONG_GEO_TIANDITU_KEY``.
    UnknownIdError
        When ``selected`` names no feature.
    """
    if lang not in LANGS:
        raise ValueError(f"lang is {lang!r}; expected one of {list(LANGS)}")
    check_basemap(basemap)
    gcj02 = shifted(basemap)
    online = basemap != "none"

    view = map_view(layers, gcj02=gcj02)
    centre = [(view[0][0] + view[1][0]) / 2, (view[0][1] + view[1][1]) / 2]
    m = folium.Map(location=centre, zoom_start=13, tiles=None, min_zoom=9, max_zoom=19)
    _Page().add_child(m)
    _Setup(_setup_options(layers, online, lang)).add_to(m)
    if embed:
        _Embed({"gesture": texts("gesture", lang)}).add_to(m)
    if online:
        offline = {k: s["fillOpacity"] for k, s in style_table(False).items() if k[:4] == "ctx|"}
        add_basemaps(m, basemap, lang, asset_base, offline)
    shown = None if visible is None else set(visible)
    _add_layers(m, layers, shown, lang, gcj02, online, tile_base)
    if selected is not None:
        # An unlocated member of a zone: its zone is highlighted (raises for an unknown id).
        target = highlight_target(layers, selected)
        if target is not None:
            _Select(target).add_to(m)
            view = feature_bounds(layers, target, gcj02=gcj02)
    _add_controls(m, layers, visible, lang, gcj02)
    _Fit(view, {"padding": [20, 20], "maxZoom": 17}).add_to(m)

    localize(m, asset_base)
    _stable_ids(m)
    return m
