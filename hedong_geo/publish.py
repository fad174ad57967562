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
    assets/               Leaflet, jQuery, hedong.js/css and site.css/js: no CDN
    data/<layer>.geojson  the layers

Everything from the data is HTML-escaped (by :mod:`hedong_geo.panel`, :mod:`hedong_geo.reader`
and :mod:`hedong_geo.webmap`, and here for titles); the embedded JSON has ``<`` escaped, so no
string can close its ``<script>``. Both writers are atomic: a temporary file or folder beside
the output, renamed into place only when everything is written.
"""

from __future__ import annotations

import html
import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from hedong_geo._errors import ExportError, UnknownIdError
from hedong_geo._io import atomic_dir, atomic_write
from hedong_geo.assets import asset_files, inline_assets
from hedong_geo.export import to_geojson
from hedong_geo.i18n import t
from hedong_geo.layers import LayerSet
from hedong_geo.links import Links, OneFileLinks, SiteLinks, page_name
from hedong_geo.panel import Detail, detail_html, feature_detail
from hedong_geo.reader import document_html
from hedong_geo.styles import load_styles
from hedong_geo.webmap import LANGS, build_map, feature_bounds

__all__ = ["DOCS", "export_html", "page_name", "publish_site", "site_details"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
DOCS = ("fyp", "wr")
# Font Awesome is dropped from the map (assets.DROPPED): no need to publish it.
_UNUSED_ASSETS = ("vendor/fontawesome/",)
_HTML_LANG = {"zh": "zh-CN", "en": "en"}


@dataclass(frozen=True)
class _Item:
    """One feature as the pages need it: id, display name, located or not, its detail."""

    id: str
    name: str
    located: bool
    detail: Detail


def _esc(text: Any) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _json_script(value: Any) -> str:
    """JSON safe inside ``<script>``: ``<`` and the JS line separators escaped."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _template(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ExportError(f"unknown lang {lang!r}; expected one of {list(LANGS)}")


def _check_request(layers: LayerSet, layers_shown: Iterable[str] | None, feature: str | None):
    """Fail on unknown layer names or feature id before anything is written."""
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


def _detail_sets(layers: LayerSet) -> Iterable[Any]:
    """The features that get a detail: every feature but the context outlines and river."""
    for name, gdf in layers.layers.items():
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
    for row in _detail_sets(layers):
        detail = feature_detail(layers, row.id, lang)
        geom = row.geometry
        items.append(
            _Item(
                id=row.id,
                name=detail.name or row.id,
                located=geom is not None and not geom.is_empty,
                detail=detail,
            )
        )
    return items


def _panel_extra(item: _Item, lang: str, links: Links, on_map: bool) -> str:
    """What follows the detail: the not-located note, and in the site a link to the map (from a
    feature page) or to the feature's page (from the map)."""
    parts = []
    if not item.located:
        parts.append(f'<p class="hd-note">{_esc(t("not_located_note", lang))}</p>')
    actions = []
    if isinstance(links, SiteLinks):
        if item.located and not on_map:
            href, label = links.map(item.id), t("show_on_map", lang)
            actions.append(f'<a href="{_esc(href)}">{_esc(label)}</a>')
        if on_map:
            href, label = links.page(item.id), t("link_to_view", lang)
            actions.append(f'<a href="{_esc(href)}">{_esc(label)}</a>')
    if actions:
        parts.append(f'<p class="hd-actions">{" ".join(actions)}</p>')
    return "\n".join(parts)


def _unlocated_list(items: list[_Item], lang: str) -> str:
    rows = [i for i in items if not i.located]
    if not rows:
        return ""
    links = "".join(
        f'<li><a href="#feature={_esc(quote(i.id, safe=""))}">{_esc(i.name)}</a></li>'
        for i in sorted(rows, key=lambda i: i.id)
    )
    title = f"{t('not_located', lang)} ({len(rows)})"
    return (
        f'<details class="hd-unlocated"><summary>{_esc(title)}</summary><ul>{links}</ul></details>'
    )


def _nav(lang: str, prefix: str) -> str:
    return (
        f'<nav><a href="{prefix}index.html">{t("view_map", lang)}</a>'
        + "".join(f'<a href="{prefix}plan/{d}.html">{t(f"doc_{d}", lang)}</a>' for d in DOCS)
        + "</nav>"
    )


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
    base = "assets"
    m = build_map(layers, visible=layers_shown, lang=lang, asset_base=base)
    page = m.get_root().render()
    if not site:
        page = inline_assets(page, base_url=base, static_dir=None)
    located = frozenset(i.id for i in items if i.located)
    links = SiteLinks("", located) if site else OneFileLinks()
    details, bounds = {}, {}
    for item in items:
        extra = _panel_extra(item, lang, links, on_map=True)
        details[item.id] = detail_html(item.detail, lang, links) + "\n" + extra
        if item.located:
            bounds[item.id] = feature_bounds(layers, item.id)
    selected = load_styles()["selected"]
    data = {
        "details": details,
        "bounds": bounds,
        "initial": feature,
        "selected": {
            "color": selected["color"],
            "weight": selected["weight"],
            "fillColor": selected["color"],
            "fillOpacity": selected["fill_opacity"],
        },
        "text": {"unknown": t("unknown_feature", lang)},
    }
    title = _esc(t("app_title", lang))
    if site:
        head = (
            '<link rel="stylesheet" href="assets/site.css"/>\n'
            '<script src="assets/site.js"></script>\n'
        )
        nav = _nav(lang, "")
    else:
        head = f"<style>{_template('site.css')}</style>\n<script>{_template('site.js')}</script>\n"
        nav = ""
    head = f'<meta charset="utf-8"/>\n<title>{title}</title>\n{head}'
    panel = (
        '<aside id="hd-panel" class="hd-panel">'
        f'<header class="hd-head"><h1>{title}</h1>{nav}</header>'
        '<div id="hd-detail" class="hd-detail" aria-live="polite">'
        f'<p class="hd-hint">{_esc(t("click_hint", lang))}</p>{_unlocated_list(items, lang)}'
        "</div></aside>\n"
        f'<script type="application/json" id="hd-data">{_json_script(data)}</script>\n'
    )
    page = page.replace("<html>", f'<html lang="{_HTML_LANG[lang]}">', 1)
    page = page.replace("</head>", head + "</head>", 1)
    page = page.replace("<body>", '<body class="hd-map-page">', 1)
    return page.replace("</body>", panel + "</body>", 1)


def export_html(
    layers: LayerSet,
    out: str | os.PathLike,
    *,
    layers_shown: Iterable[str] | None = None,
    lang: str = "zh",
    feature: str | None = None,
) -> Path:
    """Write the interactive map as one self-contained HTML file that works from ``file://``.

    Parameters
    ----------
    layers : LayerSet
        The loaded layers.
    out : path
        The file to write; its folder must exist. Written atomically.
    layers_shown : iterable of str, optional
        Layers ticked on opening (default: all); the others stay in the layer control.
    lang : {"zh", "en"}
        Language of the page.
    feature : str, optional
        A feature to open on load: its detail in the panel, the map zoomed to it.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    UnknownIdError
        For an unknown layer name or feature id.
    ExportError
        For an unknown language or a path that cannot be written.
    """
    _check_lang(lang)
    shown = _check_request(layers, layers_shown, feature)
    items = site_details(layers, lang)
    page = _map_page(layers, items, lang=lang, layers_shown=shown, feature=feature, site=False)

    def write(tmp: Path) -> None:
        tmp.write_text(page, encoding="utf-8")

    return atomic_write(out, write)


def _simple_page(title: str, body: str, lang: str, prefix: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{_HTML_LANG[lang]}">\n<head>\n<meta charset="utf-8"/>\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>\n'
        f"<title>{_esc(title)}</title>\n"
        f'<link rel="stylesheet" href="{prefix}assets/site.css"/>\n</head>\n'
        f'<body class="hd-page">\n<header class="hd-head">{_nav(lang, prefix)}</header>\n'
        f"<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _reader_page(doc_id: str, layers: LayerSet, located: frozenset[str], lang: str) -> str:
    body = document_html(doc_id, layers, lang=lang, links=SiteLinks("../", located))
    return _simple_page(t(f"doc_{doc_id}", lang), body, lang, "../")


def _feature_page(item: _Item, lang: str, located: frozenset[str]) -> str:
    links = SiteLinks("../", located)
    body = detail_html(item.detail, lang, links) + "\n" + _panel_extra(item, lang, links, False)
    return _simple_page(item.name, f'<section class="hd-detail">{body}</section>', lang, "../")


def _write_site(
    folder: Path, layers: LayerSet, items: list[_Item], lang: str, shown: list[str] | None
) -> None:
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
        target = folder / "assets" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    for name in ("site.css", "site.js"):
        shutil.copyfile(TEMPLATES / name, folder / "assets" / name)
    for name, gdf in layers.layers.items():
        payload = {"type": "FeatureCollection", "name": name, **to_geojson(gdf)}
        put(f"data/{name}.geojson", json.dumps(payload, ensure_ascii=False) + "\n")


def publish_site(
    layers: LayerSet,
    out_dir: str | os.PathLike,
    *,
    lang: str = "zh",
    layers_shown: Iterable[str] | None = None,
) -> Path:
    """Write the static site (map, reader pages, feature pages, assets, data) to ``out_dir``.

    Parameters
    ----------
    layers : LayerSet
        The loaded layers.
    out_dir : path
        The site folder. Its parent must exist; an existing folder is replaced, but only
        after the whole site has been written beside it.
    lang : {"zh", "en"}
        Language of every page.
    layers_shown : iterable of str, optional
        Layers ticked on the map on opening (default: all).

    Returns
    -------
    Path
        ``out_dir``.

    Raises
    ------
    UnknownIdError
        For an unknown layer name.
    ExportError
        For an unknown language or a folder that cannot be written.
    """
    _check_lang(lang)
    shown = _check_request(layers, layers_shown, None)
    items = site_details(layers, lang)
    return atomic_dir(out_dir, lambda folder: _write_site(folder, layers, items, lang, shown))
