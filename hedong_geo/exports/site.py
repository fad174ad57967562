"""The interactive HTML export (one file) and the static site (a folder), both fully offline.

:func:`export_html` writes one self-contained page: the web map of :func:`~hedong_geo.webmap.
build_map` with every script and stylesheet inlined, a side panel, and the detail of every
feature (names, location basis, the citing passages with the place marked) pre-rendered by
:func:`hedong_geo.panel.detail_html` and embedded as JSON keyed by feature id. A click on a
feature, or ``#feature=<id>`` in the URL, shows its detail; nothing is fetched.

:func:`publish_site` writes a static site any web server (or ``file://``) can serve::

    index.html            the map and the panel; links to the passages in plan/
    plan/fyp.html, wr.html  the plan documents, blocks with ids, place names linking back
    features/<id>.html    one page per feature, unlocated ones included
    assets/               Leaflet, jQuery, hedong.js/css, site.css/js, panel.css: no CDN
    data/<layer>.geojson  the layers
    tiles/<key>/…         the vector tiles of large layers (:mod:`hedong_geo.tiles`)

A layer over ``HEDONG_GEO_TILE_THRESHOLD`` features (a 控规 parcels layer) is published as its
tiles and its data file only: no detail embedded in the map page and no page per feature (tens
of thousands of them would make a page of many megabytes and a publish of many minutes); a
click on one of its features shows its name from the tile and points to the data file.
    .hedong-geo-site      the list of files written: the folder is ours to replace next time

Every page is rendered from the ``site_*.html.j2`` templates with autoescape; the embedded JSON
goes through :func:`hedong_geo.templating.json_script`, so no string can close its
``<script>``. The map page's own pieces are added to folium's page as branca elements, never
spliced into its output. Both writers are atomic (:mod:`hedong_geo._io`): the single file
refuses to replace an existing one unless asked, the site folder is written only where there
is none, an empty one, or one an earlier publish wrote and nobody added to (else ``force``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import folium
from branca.element import Element

from hedong_geo import tiles
from hedong_geo._errors import ExportError, UnknownIdError
from hedong_geo._io import atomic_dir, atomic_write_text, check_dir_target
from hedong_geo.assets import asset_files, inline_assets
from hedong_geo.exports.data import geojson_text
from hedong_geo.exports.formats import check_target
from hedong_geo.i18n import LANGS, t
from hedong_geo.layers import LayerSet
from hedong_geo.links import Links, OneFileLinks, SiteLinks, page_name
from hedong_geo.panel import Detail, detail_html, feature_detail
from hedong_geo.places import osm_drawn
from hedong_geo.reader import document_html
from hedong_geo.styles import load_styles
from hedong_geo.templating import Markup, environment, render
from hedong_geo.webmap import build_map, feature_bounds

__all__ = ["DOCS", "SITE_MARKER", "export_html", "page_name", "publish_site", "site_details"]

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
DOCS = ("fyp", "wr")
SITE_MARKER = ".hedong-geo-site"
ASSETS = "assets"
TILES = "tiles"
# Font Awesome is dropped from the map (assets.DROPPED): no need to publish it.
_UNUSED_ASSETS = ("vendor/fontawesome/",)
_HTML_LANG = {"zh": "zh-CN", "en": "en"}
_HERE = OneFileLinks()  # "#feature=<id>": opens a detail on the map page itself


@dataclass(frozen=True)
class _Item:
    """One feature as the pages need it: id, display name, located or not, its detail."""

    id: str
    name: str
    located: bool
    detail: Detail


def _check_request(layers: LayerSet, layers_shown: Iterable[str] | None, feature: str | None):
    """Fail on an unknown language, layer name or feature id before anything is written."""
    if not layers.layers:
        raise ExportError("no layers loaded: nothing to export")
    shown = None
    if layers_shown is not None:
        shown = [layers_shown] if isinstance(layers_shown, str) else list(layers_shown)
        for name in shown:
            if name not in layers.layers:
                raise UnknownIdError(
                    f"unknown layer {name!r}; expected one of {sorted(layers.layers)}"
                )
    if feature is not None:
        layers.feature(feature)  # raises UnknownIdError naming the id
    return shown


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ExportError(f"unknown lang {lang!r}; expected one of {list(LANGS)}")


def _tiled(layers: LayerSet) -> frozenset[str]:
    """The layers drawn as vector tiles (:func:`hedong_geo.tiles.should_tile`)."""
    return frozenset(name for name, gdf in layers.layers.items() if tiles.should_tile(gdf))


def _detail_sets(layers: LayerSet) -> Iterable[Any]:
    """The features that get a detail: every feature but the context outlines and river, and
    but those of tiled layers."""
    tiled = _tiled(layers)
    for name, gdf in layers.layers.items():
        if name in tiled:
            continue
        for row in gdf.itertuples():
            if name == "context" and row.category in ("boundary", "river"):
                continue
            yield row


def site_details(layers: LayerSet, lang: str = "zh") -> list[_Item]:
    """The detail of every feature, rendered once and shared by all pages.

    Parameters
    ----------
    layers : LayerSet
        The loaded layers.
    lang : {"zh", "en"}
        Language of the details.

    Returns
    -------
    list of _Item
        In layer order.
    """
    items = []
    # Among the layers drawn as GeoJSON: a tiled layer's tens of thousands of features would
    # be listed in every 街道's detail and searched for every relation.
    tiled = _tiled(layers)
    drawn = LayerSet(layers={k: v for k, v in layers.layers.items() if k not in tiled})
    for row in _detail_sets(layers):
        detail = feature_detail(drawn, row.id, lang)
        geom = row.geometry
        located = geom is not None and not geom.is_empty
        items.append(_Item(id=row.id, name=detail.name or row.id, located=located, detail=detail))
    return items


def _extras(item: _Item, lang: str, links: Links, on_map: bool) -> Markup:
    """What follows the detail: the not-located note, and in the site a link to the map (from a
    feature page) or to the feature's page (from the map)."""
    actions = []
    if isinstance(links, SiteLinks):
        if item.located and not on_map:
            actions.append((links.map(item.id), t("show_on_map", lang)))
        if on_map:
            actions.append((links.page(item.id), t("link_to_view", lang)))
    return render("site_extras.html.j2", located=item.located, actions=actions, lang=lang, t=t)


def _detail(item: _Item, lang: str, links: Links, on_map: bool) -> Markup:
    """The feature's detail (HTML escaped by :mod:`hedong_geo.panel`) and its extras.

    On the map page the panel's stylesheet is linked once (``assets/panel.css``) instead of
    repeated in each of the embedded details: a third of the page's weight."""
    html = Markup(detail_html(item.detail, lang, links, style=not on_map))
    return html + Markup("\n") + _extras(item, lang, links, on_map)


class _Verbatim(Element):
    """HTML already rendered by a template, put on the page as it is.

    branca's ``Element(text)`` would compile ``text`` as a Jinja template, so a ``{{`` in a
    feature's name would be run; this element is never parsed again.
    """

    def __init__(self, html: str) -> None:
        super().__init__()
        self._name = "HdVerbatim"
        self.text = str(html)

    def render(self, **kwargs: Any) -> str:
        return self.text


class _PagePieces(Element):
    """The map page's head extras and side panel, added to folium's page as it renders.

    The map's page rebuilds its header and body on every render, so the pieces are added
    from this element's :meth:`render` (it is the page's last child: they come last).
    """

    def __init__(self, head: Markup, body: Markup) -> None:
        super().__init__()
        self._name = "HdPagePieces"
        self.head, self.body = head, body

    def render(self, **kwargs: Any) -> None:
        page = self.get_root()
        page.header.add_child(_Verbatim(self.head), name=f"{self.get_name()}_head")
        page.html.add_child(_Verbatim(self.body), name=f"{self.get_name()}_body")


def _page_data(layers: LayerSet, items: list[_Item], lang: str, links: Links, feature):
    """What site.js reads from ``#hd-data``: details, bounds, the initial feature, styles."""
    details, bounds = {}, {}
    for item in items:
        details[item.id] = str(_detail(item, lang, links, on_map=True))
        if item.located:
            bounds[item.id] = feature_bounds(layers, item.id)
    selected = load_styles()["selected"]
    return {
        "details": details,
        "bounds": bounds,
        "initial": feature,
        "selected": {
            "color": selected["color"],
            "weight": selected["weight"],
            "fillColor": selected["color"],
            "fillOpacity": selected["fill_opacity"],
        },
        "text": {"unknown": t("unknown_feature", lang), "tiled": t("tiled_feature", lang)},
    }


def _map_page(
    layers: LayerSet,
    items: list[_Item],
    *,
    lang: str,
    layers_shown: list[str] | None,
    feature: str | None,
    site: bool,
) -> str:
    """The map page: folium map, panel and embedded details; ``site`` links to the other pages
    and loads assets from ``assets/``, else everything is inlined into one file."""
    m = build_map(layers, visible=layers_shown, lang=lang, asset_base=ASSETS, tile_base=TILES)
    located = frozenset(i.id for i in items if i.located)
    links = SiteLinks("", located) if site else OneFileLinks()
    title = t("app_title", lang)
    by_id = sorted(items, key=lambda i: i.id)
    unlocated = [(_HERE.feature(i.id), i.name) for i in by_id if not i.located]
    head = render("site_map_head.html.j2", title=title, assets=ASSETS)
    body = render(
        "site_map_panel.html.j2",
        title=title,
        links=links if site else None,
        docs=DOCS,
        unlocated=unlocated,
        osm=osm_drawn(layers.features()),
        data=_page_data(layers, items, lang, links, feature),
        lang=lang,
        t=t,
    )
    page = _skeleton(m, lang)
    page.add_child(_PagePieces(head, body))
    html = page.render()
    # One file: every script and stylesheet inlined; site.css/js are read from the templates.
    return html if site else inline_assets(html, base_url=ASSETS, static_dir=TEMPLATES)


def _skeleton(m: folium.Map, lang: str) -> Any:
    """The map's page with the site's skeleton: ``<html lang>`` and the body's class."""
    page = m.get_root()
    page._template = environment().get_template("site_map_page.html.j2")  # branca's way
    page.html_lang = _HTML_LANG[lang]
    return page


def export_html(
    layers: LayerSet,
    out: str | os.PathLike,
    *,
    layers_shown: Iterable[str] | None = None,
    lang: str = "zh",
    feature: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write the interactive map as one self-contained HTML file that works from ``file://``.

    Parameters
    ----------
    layers : LayerSet
        The loaded layers.
    out : path
        The file to write (``*.html``); its folder must exist. Written atomically.
    layers_shown : iterable of str, optional
        Layers ticked on opening (default: all); the others stay in the layer control.
    lang : {"zh", "en"}
        Language of the page.
    feature : str, optional
        A feature to open on load: its detail in the panel, the map zoomed to it.
    overwrite : bool
        Replace an existing file at ``out`` (else refused).

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    UnknownIdError
        For an unknown layer name or feature id.
    ExportError
        For an unknown language.
    hedong_geo._errors.WriteError
        For a path that exists (without ``overwrite``), is not ``*.html`` or cannot be written.
    """
    _check_lang(lang)
    out = check_target(out, "html", overwrite=overwrite)
    shown = _check_request(layers, layers_shown, feature)
    items = site_details(layers, lang)
    page = _map_page(layers, items, lang=lang, layers_shown=shown, feature=feature, site=False)
    return atomic_write_text(out, page, overwrite=overwrite)


def _simple_page(title: str, body: Markup, lang: str, links: SiteLinks) -> str:
    return (
        render(
            "site_page.html.j2",
            title=title,
            body=body,
            links=links,
            docs=DOCS,
            html_lang=_HTML_LANG[lang],
            lang=lang,
            t=t,
        )
        + "\n"
    )


def _reader_page(doc_id: str, layers: LayerSet, located: frozenset[str], lang: str) -> str:
    links = SiteLinks("../", located)
    body = Markup(document_html(doc_id, layers, lang=lang, links=links))
    return _simple_page(t(f"doc_{doc_id}", lang), body, lang, links)


def _feature_page(item: _Item, lang: str, located: frozenset[str]) -> str:
    links = SiteLinks("../", located)
    body = Markup('<section class="hd-detail">%s</section>') % _detail(item, lang, links, False)
    return _simple_page(item.name, body, lang, links)


def _write_site(
    folder: Path, layers: LayerSet, items: list[_Item], lang: str, shown: list[str] | None
) -> None:
    """Every file of the site into ``folder`` (a fresh temporary folder of :func:`atomic_dir`)."""

    def put(rel: str, text: str) -> None:
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    put(
        "index.html",
        _map_page(layers, items, lang=lang, layers_shown=shown, feature=None, site=True),
    )
    located = frozenset(i.id for i in items if i.located)
    for doc_id in DOCS:
        put(f"plan/{doc_id}.html", _reader_page(doc_id, layers, located, lang))
    for item in items:
        put(f"features/{page_name(item.id)}", _feature_page(item, lang, located))
    for rel, source in asset_files().items():
        if rel.startswith(_UNUSED_ASSETS):
            continue
        target = folder / ASSETS / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    for name in ("site.css", "site.js", "panel.css"):
        shutil.copyfile(TEMPLATES / name, folder / ASSETS / name)
    for name, gdf in layers.layers.items():
        put(f"data/{name}.geojson", geojson_text(gdf, name=name) + "\n")
    for name in sorted(_tiled(layers)):  # cut (or found in the cache) by build_map above
        tileset = tiles.ensure_tiles(layers.layers[name], name)
        shutil.copytree(tileset.folder, folder / TILES / tileset.key)


def publish_site(
    layers: LayerSet,
    out_dir: str | os.PathLike,
    *,
    lang: str = "zh",
    layers_shown: Iterable[str] | None = None,
    force: bool = False,
) -> Path:
    """Write the static site (map, reader pages, feature pages, assets, data) to ``out_dir``.

    Parameters
    ----------
    layers : LayerSet
        The loaded layers.
    out_dir : path
        The site folder; its parent must exist. It is written only if it does not exist, is
        empty, or was written by an earlier publish (its ``.hedong-geo-site`` lists every file
        it holds). It is replaced only after the whole site has been written beside it.
    lang : {"zh", "en"}
        Language of every page.
    layers_shown : iterable of str, optional
        Layers ticked on the map on opening (default: all).
    force : bool
        Replace any existing folder, deleting what it holds (CLI ``--force``). The project's
        ``layers/`` and ``geodata/`` are refused even then.

    Returns
    -------
    Path
        ``out_dir``.

    Raises
    ------
    UnknownIdError
        For an unknown layer name.
    ExportError
        For an unknown language.
    hedong_geo._errors.WriteError
        For a folder that holds other files (without ``force``) or cannot be written.
    """
    _check_lang(lang)
    shown = _check_request(layers, layers_shown, None)
    check_dir_target(out_dir, SITE_MARKER, force=force)  # before the slow part
    items = site_details(layers, lang)
    return atomic_dir(
        out_dir,
        lambda folder: _write_site(folder, layers, items, lang, shown),
        marker=SITE_MARKER,
        force=force,
    )
