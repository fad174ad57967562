"""Tile basemaps on the web map: the sources of :mod:`hedong_geo.tilesources`, drawn by folium.

They are only a bonus: the map works offline with none (the context layer draws the districts,
the Haihe and the 街道), and that offline basemap stays under the tiles. When tiles fail to load
(no internet, a wrong intranet address, a file that does not cover the view),
``hedong_geo/js/tilesources.js`` tells the user on the map and gives the offline basemap its
fill back.

A local ``.mbtiles``/``.pmtiles`` source is unpacked once into ``HEDONG_GEO_TILE_CACHE``
(:mod:`hedong_geo.localtiles`) and served from there: in the app as a Streamlit component
folder (:func:`hedong_geo.assets.serve` registers :func:`local_folders`), elsewhere from
``tiles/<id>/`` under the static folder (:func:`install_tiles`).
"""

from __future__ import annotations

import html
import os
import shutil
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hedong_geo import localtiles, settings
from hedong_geo.i18n import t, texts
from hedong_geo.templating import json_script
from hedong_geo.tilesources import TileSource, builtin, catalogue

if TYPE_CHECKING:  # folium is imported when a map is drawn, not with the app
    import folium

__all__ = [
    "BASEMAPS",
    "FAILED_AFTER",
    "add_basemaps",
    "check_basemap",
    "install_tiles",
    "label",
    "local_folders",
    "shifted",
    "source",
    "tianditu_key",
    "tiles_path",
]

#: The package's own choices (``none``: the offline basemap alone); a deployment's own
#: sources (``HEDONG_GEO_TILE_SOURCES``) are accepted as well.
BASEMAPS = ("none", *builtin())
#: Tile errors, with fewer tiles loaded, after which the map says the basemap failed.
FAILED_AFTER = 3


def tianditu_key() -> str:
    """The Tianditu key (``HEDONG_GEO_TIANDITU_KEY``, see :mod:`hedong_geo.settings`)."""
    return settings.get().tianditu_key


def _sources() -> dict[str, TileSource]:
    return catalogue(settings.get().tile_sources)


def source(basemap: str) -> TileSource | None:
    """The tile source ``basemap`` names (None for ``none``); see :func:`check_basemap`."""
    check_basemap(basemap)
    return None if basemap == "none" else _sources()[basemap]


def check_basemap(basemap: str) -> None:
    """Raise ``ValueError`` for an unknown basemap, or ``tianditu`` without a key."""
    known = ["none", *_sources()]
    if basemap not in known:
        raise ValueError(f"basemap is {basemap!r}; expected one of {known}")
    if basemap == "tianditu" and not tianditu_key():
        raise ValueError("basemap 'tianditu' needs a key: set HEDONG_GEO_TIANDITU_KEY")


def shifted(basemap: str) -> bool:
    """Whether the data is drawn in GCJ-02 on ``basemap`` (Gaode and other GCJ-02 tiles)."""
    found = source(basemap)
    return found is not None and found.shifted


def label(basemap: str, lang: str) -> str:
    """The name of ``basemap`` shown to the user, in ``lang``."""
    found = source(basemap)
    if found is None or found.name is None:
        return t(f"map_{basemap}", lang)
    return found.name.get(lang) or found.name["zh"]


def _label_of(src: TileSource, parent: TileSource, lang: str) -> str:
    """The name of ``src``, the source ``parent`` or its labels layer."""
    if src.name is not None:
        return src.name.get(lang) or src.name["zh"]
    if parent.name is None:  # the package's own: map_<id> in geodata/i18n.json
        return t(f"map_{src.id}", lang)
    return f"{label(parent.id, lang)} · {t('map_labels', lang)}"


def tiles_path(sid: str) -> str:
    """Where a local source's tiles are, in the asset layout of :mod:`hedong_geo.assets`."""
    return f"tiles/{sid}/"


def _local_folder(src: TileSource) -> Path:
    info = localtiles.inspect(src.path, src.kind)
    return localtiles.extract(info, settings.get().tile_cache)


def local_folders() -> dict[str, Path]:
    """Each local source's folder of unpacked tiles, by id (unpacked now if not yet)."""
    return {sid: _local_folder(src) for sid, src in _sources().items() if src.local}


def install_tiles(dest: Path) -> list[Path]:
    """Copy each local source's tiles into ``dest/tiles/<id>/`` (a static folder of the map).

    Returns
    -------
    list of Path
        The folders written (a folder already there is replaced).
    """
    written = []
    for sid, folder in local_folders().items():
        target = Path(dest) / tiles_path(sid)
        tmp = target.with_name(f".{sid}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(folder, tmp)
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
        written.append(target)
    return written


def _url(src: TileSource, lang: str, asset_base) -> str:
    if src.local:
        rel = tiles_path(src.id)
        base = asset_base(rel) if callable(asset_base) else f"{asset_base.rstrip('/')}/{rel}"
        return f"{base}{{z}}/{{x}}/{{y}}.{src.ext}"
    url = src.template
    if src.key == "tianditu":
        url = url.replace("{key}", tianditu_key())
    if src.lang:
        url = url.replace("{lang}", src.lang.get(lang) or src.lang["zh"])
    return url


def _tile_layer(src: TileSource, name: str, lang: str, asset_base, overlay: bool):
    import folium

    options = {"min_zoom": src.min_zoom, "max_native_zoom": src.max_native_zoom, "tms": src.tms}
    if src.subdomains:
        options["subdomains"] = src.subdomains
    if src.bounds is not None:
        west, south, east, north = src.bounds
        options["bounds"] = [[south, west], [north, east]]
    return folium.TileLayer(
        tiles=_url(src, lang, asset_base),
        attr=html.escape(src.attribution),
        name=name,
        max_zoom=src.max_zoom,
        overlay=overlay,
        show=True,
        **{k: v for k, v in options.items() if v not in (None, False)},
    )


@lru_cache(maxsize=1)
def _tile_watch() -> Any:
    """The element class ``_TileWatch``, made when a map first needs it (imports folium)."""
    from branca.element import MacroElement
    from folium.elements import JSCSSMixin
    from folium.template import Template

    class _TileWatch(JSCSSMixin, MacroElement):
        """``HedongTiles.watch``: tells the user when the tiles fail, and converts GCJ-02 back."""

        _template = Template(
            """
            {% macro script(this, kwargs) %}
            HedongTiles.watch({{ this._parent.get_name() }},
              [{{ this.layer_names }}],
              {{ this.options_js }});
            {% endmacro %}
            """
        )

        def __init__(self, layers: list, options: dict):
            super().__init__()
            self._name = "HedongTiles"
            self.default_js = [("hedong_tilesources_js", "hedong/tilesources.js")]
            self.default_css = [("hedong_tilesources_css", "hedong/tilesources.css")]
            self.layers = layers
            self.options_js = json_script(options)

        @property
        def layer_names(self) -> str:
            """The JS names of the tile layers (fixed only when the map is complete)."""
            return ", ".join(layer.get_name() for layer in self.layers)

    return _TileWatch


def add_basemaps(
    m: folium.Map, basemap: str, lang: str, asset_base="/app/static", fills: dict | None = None
) -> None:
    """The tile layers of ``basemap`` (and its labels), with an empty "no basemap" choice.

    One map draws one source: the data can only be drawn in one datum, so the app switches
    source (and datum) by building the map again with another ``basemap``.

    Parameters
    ----------
    m : folium.Map
        The map (after ``HedongGeo.setup``, before the data layers).
    basemap : str
        A tile source id (not ``none``).
    lang : {"zh", "en"}
        Language of the names and the failure message.
    asset_base : str or callable
        As for :func:`hedong_geo.assets.localize`: where a local source's tiles are served.
    fills : dict, optional
        Fill opacity by style key of the offline basemap as drawn with no tiles, given back
        to it when the tiles fail.
    """
    src = source(basemap)
    if src is None:
        return
    import folium

    text = texts("map", lang)
    folium.FeatureGroup(name=text["none"], overlay=False, show=False).add_to(m)
    layers = [_tile_layer(src, _label_of(src, src, lang), lang, asset_base, overlay=False)]
    if src.labels is not None:
        name = _label_of(src.labels, src, lang)
        layers.append(_tile_layer(src.labels, name, lang, asset_base, overlay=True))
    for layer in layers:
        layer.add_to(m)
    options = {
        "source": label(basemap, lang),
        "crs": src.crs,
        "failed_after": FAILED_AFTER,
        "fills": fills or {},
        "text": {"failed": t("map_tiles_failed", lang), "close": t("map_close", lang)},
    }
    _tile_watch()(layers, options).add_to(m)
