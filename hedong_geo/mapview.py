"""The files behind the app's map: the map page and every feature's panel, written once.

A click on the map must be answered in the browser, within a frame, without asking Python
(issue 14). So what the browser needs is made once per layer state and language and written
to a folder the app serves (:func:`pages_dir`, registered by :func:`hedong_geo.assets.serve`):

- the **map page** (:func:`write_map_page`): the folium map of :mod:`hedong_geo.webmap`, with
  ``bridge.js`` that reports clicks and moves to the page around it;
- the **panel data** (:func:`write_panel_data`): the panel HTML of every feature in a language
  (escaped by its template, :func:`hedong_geo.panel.detail_html`), each located feature's
  bounds and the zone a place is shown by.

File names carry a hash of their content, so a browser caches them for good and a rerun of
the app sends only their URLs (a few hundred bytes), never the map again. A fresh process finds
its first map's files without reading the layers (:func:`cached_first_map`), so this module
imports the layers' code (pandas, geopandas) only when it makes files. Nothing here imports
Streamlit; :mod:`hedong_geo.ui_map` mounts the component that shows them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hedong_geo._io import atomic_write_text
from hedong_geo.i18n import t
from hedong_geo.links import Links

if TYPE_CHECKING:  # a first map found in the page cache needs none of the layers' code
    from hedong_geo.layers import LayerSet

__all__ = [
    "PAGES_COMPONENT",
    "MapArgs",
    "cached_first_map",
    "keep_first_map",
    "pages_dir",
    "panel_data",
    "start_panel_data",
    "write_map_page",
    "write_panel_data",
]
log = logging.getLogger(__name__)

#: The component name under which the app serves :func:`pages_dir`
#: (``/component/hedong_geo.assets.pages/<file>``).
PAGES_COMPONENT = "pages"
_PAGES_URL = f"/component/hedong_geo.assets.{PAGES_COMPONENT}/"


@lru_cache(maxsize=1)
def _pages_folder() -> tempfile.TemporaryDirectory:
    # Held for the life of the process; removed when it exits (weakref finalizer).
    return tempfile.TemporaryDirectory(prefix="hedong-geo-pages-", ignore_cleanup_errors=True)


def pages_dir() -> Path:
    """This process's folder of generated map pages and panel data (a new temporary folder).

    Made on first use and removed when the process exits; never inside the project, so an
    installed app writes nothing beside its code. Files are named by content, so two processes
    could share one without harm.
    """
    return Path(_pages_folder().name)


def _put(stem: str, text: str, suffix: str, folder: Path | None) -> str:
    """Write ``text`` as ``<stem>-<hash><suffix>`` (once) and return its URL (or file name)."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    name = f"{stem}-{digest}{suffix}"
    target = (folder or pages_dir()) / name
    if not target.exists():
        atomic_write_text(target, text, overwrite=True)
    return name if folder is not None else _PAGES_URL + name


def write_map_page(
    layers: LayerSet,
    *,
    visible: Iterable[str] | None = None,
    lang: str = "zh",
    basemap: str = "none",
    asset_base: str | Callable[[str], str],
    tile_base: str | None = None,
    folder: Path | None = None,
    cache: bool | None = None,
) -> str:
    """Write the map page for ``layers`` and return its URL (its file name with ``folder``).

    The page is :func:`hedong_geo.webmap.build_map` with ``embed=True``: it talks to the page
    around it (``hedong_geo/js/bridge.js``) instead of showing a panel of its own, and it goes
    without the links of :data:`hedong_geo.assets.APP_PAGE_DROPPED` (jQuery: nothing uses
    it). ``tile_base`` is the URL the tile cache is served at, for a layer drawn as vector tiles.

    With ``cache`` (default: when writing to the app's :func:`pages_dir`, i.e. no ``folder``)
    the rendered page is kept in ``HEDONG_GEO_PAGE_CACHE`` (:mod:`hedong_geo.pagecache`), so a
    fresh server process that draws the same page again reads it instead of rendering it.
    """
    from hedong_geo import pagecache

    use_cache = folder is None if cache is None else cache
    args = {"visible": visible, "lang": lang, "basemap": basemap, "asset_base": asset_base}
    key = pagecache.page_key(layers, tile_base=tile_base, **args) if use_cache else None
    page = pagecache.read_page(key) if key else None
    if page is None:
        page = _render_map_page(layers, tile_base=tile_base, **args)
        if key:
            pagecache.write_page(key, page, tile_base)
    return _put(f"map-{lang}", page, ".html", folder)


def _render_map_page(layers: LayerSet, *, tile_base: str | None, **args: Any) -> str:
    """The map page's HTML, rendered by folium (:func:`hedong_geo.webmap.build_map`)."""
    from hedong_geo.assets import APP_PAGE_DROPPED, drop_links
    from hedong_geo.webmap import build_map

    extra = {} if tile_base is None else {"tile_base": tile_base}
    m = build_map(layers, embed=True, **args, **extra)
    return drop_links(m, APP_PAGE_DROPPED).get_root().render()


def panel_data(layers: LayerSet, shown: LayerSet, lang: str, links: Links) -> dict:
    """What the map component shows without asking Python.

    Parameters
    ----------
    layers : LayerSet
        Every loaded layer: a panel for each feature, so a search or a link can open a
        feature the filters hide (with a note) or one that is not located.
    shown : LayerSet
        The layers the map draws (filters applied): bounds for their located features.
    lang : {"zh", "en"}
        Language of the panels.
    links : Links
        Where a panel's links go.

    Returns
    -------
    dict
        ``html`` (id → panel HTML), ``names`` (id → name), ``bounds`` (id → Leaflet bounds, for
        features on the map), ``zone_of`` (id → the zone shown for a place tied only to it).
    """
    from hedong_geo.mapdata import feature_bounds, zone_of
    from hedong_geo.panel import detail_html, feature_detail
    from hedong_geo.templating import render

    frame = layers.features()
    on_map = set(shown.features()["id"])
    name_col = "name_zh" if lang == "zh" else "name_en"
    html, names, bounds = {}, {}, {}
    unlocated_note = str(render("mapview_note.html.j2", text=t("not_located_note", lang)))
    for fid, name in zip(frame["id"], frame[name_col], strict=True):
        detail = feature_detail(layers, fid, lang)
        html[fid] = detail_html(detail, lang, links, style=False)  # the component has it once
        if not detail.located and not detail.zone:
            html[fid] = unlocated_note + html[fid]
        names[fid] = name
        if fid in on_map:
            box = feature_bounds(shown, fid)
            if box is not None:
                bounds[fid] = box
    return {"html": html, "names": names, "bounds": bounds, "zone_of": zone_of(layers)}


def write_panel_data(
    layers: LayerSet, shown: LayerSet, lang: str, links: Links, folder: Path | None = None
) -> str:
    """Write :func:`panel_data` as JSON and return its URL (its file name with ``folder``)."""
    data = panel_data(layers, shown, lang, links)
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return _put(f"panels-{lang}", text, ".json", folder)


@dataclass(frozen=True)
class MapArgs:
    """What a map page and its panel data are made for, besides the layers: the visible
    layers, the filters (plain values, named by their ``repr``), language, basemap, where the
    assets and tiles are served, and where passage ids link to. Named in the page cache before
    the layers are read (:func:`hedong_geo.pagecache.first_key`)."""

    visible: tuple[str, ...] | None
    filters: object
    lang: str
    basemap: str
    asset_base: str | Callable[[str], str]
    tile_base: str | None
    links: Links

    def page_args(self) -> dict[str, Any]:
        """The map page's own arguments (:func:`write_map_page`'s and
        :func:`hedong_geo.pagecache.page_key`'s, besides the layers)."""
        return {
            "visible": self.visible,
            "lang": self.lang,
            "basemap": self.basemap,
            "asset_base": self.asset_base,
            "tile_base": self.tile_base,
        }

    def first_key(self, layers_dir: str | Path) -> str | None:
        """The page cache's key of the first map these arguments make from ``layers_dir``."""
        from hedong_geo import pagecache

        return pagecache.first_key(
            layers_dir, filters=self.filters, links=self.links, **self.page_args()
        )


def cached_first_map(layers_dir: str | Path, args: MapArgs) -> tuple[str, str] | None:
    """URLs of the map page and the panel data kept for ``args``, found without reading the
    layers in ``layers_dir`` (:meth:`MapArgs.first_key`), or None when they are not kept.

    A fresh process sends its first map with this before importing pandas, geopandas and
    folium: the browser loads the map while the server imports the rest (issue 14, cold start).
    """
    from hedong_geo import pagecache

    key = args.first_key(layers_dir)
    found = pagecache.read_first(key) if key else None
    if found is None:
        return None
    page, panels = found
    lang = args.lang
    return _put(f"map-{lang}", page, ".html", None), _put(f"panels-{lang}", panels, ".json", None)


def keep_first_map(
    layers_dir: str | Path, layers: LayerSet, shown: LayerSet, args: MapArgs
) -> None:
    """Note in the page cache which page and panel data :func:`cached_first_map` finds for
    ``args`` (``layers`` read from ``layers_dir``, ``shown`` with ``args.filters`` applied)."""
    from hedong_geo import pagecache

    key = args.first_key(layers_dir)
    page_key = pagecache.page_key(shown, **args.page_args())
    panels_key = pagecache.panels_key(layers, shown, args.lang, args.links)
    if key and page_key and panels_key:
        pagecache.write_first(key, page_key, panels_key)


@lru_cache(maxsize=1)
def _writer() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="hedong-geo-panels")


def _write_keyed(path: Path, layers: LayerSet, shown: LayerSet, lang: str, links: Links) -> None:
    """Write the panel data to ``path``: from the page cache when it holds them (a restart
    with the same layers and code), else made by :func:`panel_data` and kept there."""
    from hedong_geo import pagecache

    try:
        key = pagecache.panels_key(layers, shown, lang, links)
        text = pagecache.read_panels(key) if key else None
        if text is not None:
            atomic_write_text(path, text, overwrite=True)
            return
        data = panel_data(layers, shown, lang, links)
        text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        atomic_write_text(path, text, overwrite=True)  # the page first, then the cache
        if key:
            pagecache.write_panels(key, text)
    except Exception:  # a thread's error would vanish: log it (the panel says it cannot load)
        log.exception("could not write the panel data %s", path.name)


def start_panel_data(layers: LayerSet, shown: LayerSet, lang: str, links: Links, key: str) -> str:
    """The URL of the panel data for ``key`` (what the layers and filters are), written in the
    background if it is not there yet.

    The first map must not wait for every feature's panel (seconds, at start): the map page is
    sent at once, and the component fetches this URL again while it says ``{"pending": true}``.
    A fresh process with the same layers and code reads them from the page cache
    (:mod:`hedong_geo.pagecache`) instead: its first map is served with no panel building.
    Each version of the file is written whole, so a fetch never reads half of it.
    """
    digest = hashlib.sha256(f"{key}|{lang}".encode()).hexdigest()[:16]
    name = f"panels-{lang}-{digest}.json"
    path = pages_dir() / name
    if not path.exists():
        atomic_write_text(path, '{"pending":true}', overwrite=True)  # "not yet", not a 404
        _writer().submit(_write_keyed, path, layers, shown, lang, links)
    return _PAGES_URL + name
