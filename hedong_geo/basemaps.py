"""Online basemaps for the web map: OpenStreetMap, Gaode (GCJ-02) and Tianditu (with a key).

They are only a bonus: the map works offline with none (the context layer draws the districts
and the Haihe), and if their tiles fail the vector layers stay.
"""

from __future__ import annotations

import folium

from hedong_geo import settings
from hedong_geo.i18n import texts

__all__ = ["BASEMAPS", "add_basemaps", "check_basemap", "tianditu_key"]

BASEMAPS = ("none", *settings.ONLINE_BASEMAPS)

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


def tianditu_key() -> str:
    """The Tianditu key (``HEDONG_GEO_TIANDITU_KEY``, see :mod:`hedong_geo.settings`)."""
    return settings.get().tianditu_key


def check_basemap(basemap: str) -> None:
    """Raise ``ValueError`` for an unknown basemap, or ``tianditu`` without a key."""
    if basemap not in BASEMAPS:
        raise ValueError(f"basemap is {basemap!r}; expected one of {list(BASEMAPS)}")
    if basemap == "tianditu" and not tianditu_key():
        raise ValueError("basemap 'tianditu' needs a key: set HEDONG_GEO_TIANDITU_KEY")


def add_basemaps(m: folium.Map, basemap: str, lang: str) -> None:
    """Online tile layers as base layers, with an empty "no basemap" choice beside them.

    Gaode tiles are in GCJ-02 and the others in WGS84 (Tianditu's CGCS2000 is within a metre),
    so one map offers either Gaode or the WGS84 ones, never both: the data can only be drawn
    in one datum. The app switches datum by building the map again with another ``basemap``.
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
    key = tianditu_key()
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
