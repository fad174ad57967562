"""Offline static assets for the web map: Leaflet, jQuery, Font Awesome and our own JS/CSS.

The map must work with no internet, so nothing it loads may come from a CDN. The third-party
files come from the installed XStatic packages (found through each package's ``BASE_DIR``) and
ours from ``hedong_geo/js/``; nothing is copied to serve them:

- in the app, :func:`serve` registers each of those folders with Streamlit as a component
  folder, which Streamlit serves as it is under ``/component/hedong_geo.assets.<name>/``;
  it returns :func:`served_url`, the URL of each asset there, for :func:`localize`;
- :func:`install_static` copies the same files into a folder of your choice (a test's web
  server, the static site), laid out as below; :func:`localize` with a base URL points a map
  at such a folder;
- :func:`inline_assets` folds them into one self-contained HTML file for ``file://`` use.

Layout (the path of each asset, relative to a base URL or folder)::

    vendor/leaflet/leaflet.js, leaflet.css, images/*.png
    vendor/jquery/jquery.min.js
    vendor/fontawesome/css/all.min.css, webfonts/*
    vendor/gesture/leaflet-gesture-handling.min.js, .min.css
    hedong/hedong.js, hedong.css, pick.js, unlocated.js, tour.js, labels.js, bridge.js, ...
    hedong/vectortiles.js, tileengine.js (large layers' vector tiles, decoded and drawn in a
        Web Worker)
    tiles/<id>/{z}/{x}/{y}.png   a local tile source's tiles (hedong_geo.basemaps)
"""

from __future__ import annotations

import base64
import filecmp
import mimetypes
import os
import posixpath
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # folium is imported when a map is localized, not with the app
    import folium
    from branca.element import Element

__all__ = [
    "APP_PAGE_DROPPED",
    "ASSET_BASE",
    "DROPPED",
    "LOCAL",
    "AssetBase",
    "asset_files",
    "drop_links",
    "inline_assets",
    "install_static",
    "localize",
    "serve",
    "serve_folder",
    "served_url",
]

#: Where a folder made by :func:`install_static` is served (Streamlit's static serving).
ASSET_BASE = "/app/static"
#: A base URL for the asset layout, or a function from an asset's path to its URL.
AssetBase = str | Callable[[str], str]
OWN_JS = Path(__file__).resolve().parent / "js"

# folium link name -> path in the asset layout. Names are folium's own (folium.Map.default_js/css)
# plus ours (hedong_js, hedong_css), so a localized map keeps folium's de-duplication by name.
LOCAL = {
    "leaflet": "vendor/leaflet/leaflet.js",
    "leaflet_css": "vendor/leaflet/leaflet.css",
    "jquery": "vendor/jquery/jquery.min.js",
    "awesome_markers_font_css": "vendor/fontawesome/css/all.min.css",
    "gesture_js": "vendor/gesture/leaflet-gesture-handling.min.js",
    "gesture_css": "vendor/gesture/leaflet-gesture-handling.min.css",
    "hedong_js": "hedong/hedong.js",
    "hedong_bridge": "hedong/bridge.js",
    "hedong_pick_js": "hedong/pick.js",
    "hedong_unlocated_js": "hedong/unlocated.js",
    "hedong_tour_js": "hedong/tour.js",
    "hedong_css": "hedong/hedong.css",
    "hedong_labels_js": "hedong/labels.js",
    "hedong_labels_css": "hedong/labels.css",
    "hedong_tilesources_js": "hedong/tilesources.js",
    "hedong_tilesources_css": "hedong/tilesources.css",
    "hedong_tileengine": "hedong/tileengine.js",
    "hedong_vectortiles": "hedong/vectortiles.js",
}
# Links folium adds by default that nothing on our map uses: Bootstrap 5 and the awesome-markers
# plugin (only for folium.Icon markers, which we do not draw), the Bootstrap 3 glyphicons, and
# Font Awesome (our controls draw inline SVG). Dropping them saves requests and keeps Bootstrap's
# reboot CSS from restyling the map page.
DROPPED = frozenset(
    {
        "bootstrap",
        "bootstrap_css",
        "glyphicons_css",
        "awesome_markers",
        "awesome_markers_css",
        "awesome_rotate_css",
        "awesome_markers_font_css",
    }
)

#: Links the app's map page (hedong_geo.mapview) goes without: folium adds jQuery to every map,
#: and nothing on our map uses it (not folium's elements we draw, not our scripts), yet the page
#: would fetch and run it before the first map is drawn. Standalone pages keep folium's set.
APP_PAGE_DROPPED = frozenset({"jquery"})

_MIME = {
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".eot": "application/vnd.ms-fontobject",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}


def _xstatic_dir(module: str) -> Path:
    """The data folder of an installed XStatic package, via its ``BASE_DIR``."""
    mod = __import__(f"xstatic.pkg.{module}", fromlist=["BASE_DIR"])
    return Path(mod.BASE_DIR)


@lru_cache(maxsize=1)
def asset_files() -> dict[str, Path]:
    """Every asset we serve: path in the asset layout -> installed source file.

    Returns
    -------
    dict
        Relative POSIX path (as used in URLs) to the file it is copied from.
    """
    leaflet = _xstatic_dir("leaflet")
    jquery = _xstatic_dir("jquery")
    fontawesome = _xstatic_dir("font_awesome")
    gesture = _xstatic_dir("leaflet_gesturehandling")
    files = {
        "vendor/leaflet/leaflet.js": leaflet / "leaflet.js",
        "vendor/leaflet/leaflet.css": leaflet / "leaflet.css",
        "vendor/jquery/jquery.min.js": jquery / "jquery.min.js",
        "vendor/fontawesome/css/all.min.css": fontawesome / "css" / "all.min.css",
        "vendor/gesture/leaflet-gesture-handling.min.js": gesture
        / "leaflet-gesture-handling.min.js",
        "vendor/gesture/leaflet-gesture-handling.min.css": gesture
        / "leaflet-gesture-handling.min.css",
    }
    for image in sorted((leaflet / "images").glob("*.png")):
        files[f"vendor/leaflet/images/{image.name}"] = image
    for font in sorted((fontawesome / "webfonts").iterdir()):
        files[f"vendor/fontawesome/webfonts/{font.name}"] = font
    for own in sorted(OWN_JS.iterdir()):
        if own.suffix in (".js", ".css"):
            files[f"hedong/{own.name}"] = own
    return files


# Streamlit component name (under /component/hedong_geo.assets.) -> the part of the asset
# layout it serves; each is one folder of an installed package.
_SERVED = {
    "leaflet": "vendor/leaflet/",
    "jquery": "vendor/jquery/",
    "fontawesome": "vendor/fontawesome/",
    "gesture": "vendor/gesture/",
    "hedong": "hedong/",
}
_COMPONENT_URL = "/component/hedong_geo.assets."


def _served_folders() -> dict[str, Path]:
    return {
        "leaflet": _xstatic_dir("leaflet"),
        "jquery": _xstatic_dir("jquery"),
        "fontawesome": _xstatic_dir("font_awesome"),
        "gesture": _xstatic_dir("leaflet_gesturehandling"),
        "hedong": OWN_JS,
    }


def served_url(rel: str) -> str:
    """The URL at which the app serves the asset at path ``rel`` of the layout (see :func:`serve`).

    A local tile source's folder ``tiles/<id>/`` is the component ``tiles_<id>``.

    Raises
    ------
    KeyError
        For a path outside the asset layout.
    """
    if rel.startswith("tiles/") and rel.count("/") >= 2:
        sid, rest = rel[len("tiles/") :].split("/", 1)
        return f"{_COMPONENT_URL}tiles_{sid}/{rest}"
    for name, prefix in _SERVED.items():
        if rel.startswith(prefix):
            return f"{_COMPONENT_URL}{name}/{rel[len(prefix) :]}"
    raise KeyError(f"{rel!r} is not in the asset layout ({sorted(_SERVED.values())})")


def serve() -> Callable[[str], str]:
    """Have the running Streamlit app serve the assets from where they are installed.

    Registers the XStatic packages' folders and ``hedong_geo/js`` as component folders of
    this server process (Streamlit serves them, read-only, under
    ``/component/hedong_geo.assets.<name>/``), and the folder of each local tile source
    (``tiles_<id>``; unpacked into ``HEDONG_GEO_TILE_CACHE`` the first time, see
    :func:`hedong_geo.basemaps.local_folders`). Call it in the app script (cheap; registering
    again changes nothing); outside a Streamlit run it does nothing.

    Returns
    -------
    callable
        :func:`served_url`, to pass as ``base_url`` to :func:`localize` (``asset_base`` of
        :func:`hedong_geo.webmap.build_map`).
    """
    from hedong_geo.basemaps import local_folders  # the tile sources, read when serving

    for name, folder in _served_folders().items():
        _declare(name, folder)
    for sid, folder in local_folders().items():
        _declare(f"tiles_{sid}", folder)
    return served_url


def serve_folder(name: str, folder: Path) -> str:
    """Have the running Streamlit app serve ``folder`` as it is (a component folder, as
    :func:`serve` does) and return its URL, ``/component/hedong_geo.assets.<name>/``."""
    _declare(name, folder)
    return f"{_COMPONENT_URL}{name}/"


def _declare(name: str, folder: Path) -> None:
    """``declare_component(name, path=folder)`` as if called from this module.

    Streamlit names a component after the module that declares it, found with
    ``inspect.getmodule``, whose first call in a process looks at the file of every imported
    module (0.1-0.4 s, on the first map's path at a cold start). The module is known here, so
    the component is made and registered as ``declare_component`` does; a Streamlit without
    those parts gets ``declare_component`` itself.
    """
    try:
        from streamlit import config
        from streamlit.components.v1.custom_component import CustomComponent
        from streamlit.runtime import get_instance
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

        full_name = f"{__name__}.{name}"
        base = config.get_option("server.customComponentBaseUrlPath")
        url = f"{base}/{full_name}/" if base else None
        component = CustomComponent(name=full_name, path=str(folder), url=url, module_name=__name__)
    except (ImportError, AttributeError, TypeError):  # pragma: no cover - another Streamlit
        from streamlit.components.v1 import declare_component

        declare_component(name, path=folder)
        return
    if get_script_run_ctx() is not None:  # outside a Streamlit run: nothing to register with
        get_instance().component_registry.register_component(component)


def install_static(dest: Path) -> list[Path]:
    """Copy the map's assets into the folder ``dest``, only the files that changed.

    For a web server of your own or a test (the app itself needs no copy: see :func:`serve`).
    Unchanged files are left alone and changed ones are replaced atomically, so a browser never
    reads half a file.

    Parameters
    ----------
    dest : Path
        The folder, laid out as in the module docstring (created if missing).

    Returns
    -------
    list of Path
        The files written this time (empty when everything was already up to date).
    """
    dest = Path(dest)
    written = []
    for rel, source in asset_files().items():
        target = dest / rel
        if target.is_file() and filecmp.cmp(source, target, shallow=False):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        os.close(fd)
        shutil.copyfile(source, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
        written.append(target)
    return written


def _is_remote(url: str) -> bool:
    return url.startswith(("http://", "https://", "//"))


def _walk(element: Element) -> Iterable[Element]:
    yield element
    for child in element._children.values():
        yield from _walk(child)


def _localized(
    links: list[tuple[str, str]], url_for: Callable[[str], str], where: str
) -> list[tuple[str, str]]:
    out = []
    for name, url in links:
        if name in DROPPED:
            continue
        if name in LOCAL:
            out.append((name, url_for(LOCAL[name])))
        elif _is_remote(url):
            raise ValueError(
                f"{where} links {name!r} from {url!r} and there is no offline copy of it; "
                "add the file to hedong_geo.assets (LOCAL and asset_files) or drop the element"
            )
        else:
            out.append((name, url))
    return out


def localize(m: folium.Map, base_url: AssetBase = ASSET_BASE) -> folium.Map:
    """Point every JS/CSS link of ``m`` and its elements at our local copies.

    Sets ``default_js``/``default_css`` on each element instance (never on the class, which
    folium shares between maps). Links in :data:`DROPPED` are removed.

    Parameters
    ----------
    m : folium.Map
        The map, before it is rendered.
    base_url : str or callable
        URL a folder made by :func:`install_static` is served at (a relative ``static`` for
        a page saved next to the folder), or a function from an asset's path to its URL, as
        :func:`serve` returns in the app.

    Returns
    -------
    folium.Map
        ``m`` itself.

    Raises
    ------
    ValueError
        When an element links a remote file we have no copy of.
    """
    from folium.elements import JSCSSMixin

    if callable(base_url):
        url_for = base_url
    else:
        base = base_url.rstrip("/")

        def url_for(rel: str) -> str:
            return f"{base}/{rel}"

    for element in _walk(m):
        if isinstance(element, JSCSSMixin):
            where = type(element).__name__
            element.default_js = _localized(list(element.default_js), url_for, where)
            element.default_css = _localized(list(element.default_css), url_for, where)
    return m


def drop_links(m: folium.Map, names: Iterable[str]) -> folium.Map:
    """Remove the JS/CSS links called ``names`` from ``m`` and its elements (per instance, as
    :func:`localize` does); returns ``m``."""
    from folium.elements import JSCSSMixin

    gone = frozenset(names)
    for element in _walk(m):
        if isinstance(element, JSCSSMixin):
            element.default_js = [(n, url) for n, url in element.default_js if n not in gone]
            element.default_css = [(n, url) for n, url in element.default_css if n not in gone]
    return m


def _resolve(url: str, base: str, static_dir: Path | None) -> tuple[str, Path] | None:
    """The relative path and file behind a local asset URL, or None."""
    rel = url.split("#", 1)[0].split("?", 1)[0]
    if base and rel.startswith(base + "/"):
        rel = rel[len(base) + 1 :]
    rel = posixpath.normpath(rel.lstrip("/"))
    files = asset_files()
    if rel in files:
        return rel, files[rel]
    if static_dir is not None and (static_dir / rel).is_file():
        return rel, static_dir / rel
    return None


def _data_uri(path: Path) -> str:
    mime = _MIME.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
    payload = base64.b64encode(path.read_bytes()).decode("ascii")
    return f"data:{mime or 'application/octet-stream'};base64,{payload}"


def _inline_css(text: str, rel: str, static_dir: Path | None) -> str:
    folder = posixpath.dirname(rel)

    def embed(match: re.Match) -> str:
        target = match.group(2).strip()
        if target.startswith(("data:", "#")):
            return match.group(0)
        found = _resolve(posixpath.join(folder, target), "", static_dir)
        if found is None:
            raise ValueError(f"{rel} refers to {target!r}, which is not a known asset")
        return f'url("{_data_uri(found[1])}")'

    return re.sub(r"url\((['\"]?)([^'\")]+)\1\)", embed, text).replace("</style", "<\\/style")


_SCRIPT_SRC = re.compile(r"<script\b[^>]*\bsrc=\"([^\"]+)\"[^>]*>\s*</script>", re.IGNORECASE)
_CSS_LINK = re.compile(
    r"<link\b[^>]*\brel=\"stylesheet\"[^>]*\bhref=\"([^\"]+)\"[^>]*/?>", re.IGNORECASE
)


def inline_assets(html: str, base_url: str = ASSET_BASE, static_dir: Path | None = None) -> str:
    """Turn a standalone folium page into one self-contained file.

    Each ``<script src>`` and stylesheet ``<link>`` that points at one of our assets is replaced
    by its content; images and fonts the CSS refers to become ``data:`` URIs. The result opens
    from ``file://`` with no server and no network.

    Parameters
    ----------
    html : str
        A page from ``m.get_root().render()`` of a :func:`localize`-d map.
    base_url : str
        The ``base_url`` the map was localized with.
    static_dir : Path or None
        Fallback folder for local files that are not in :func:`asset_files`.

    Returns
    -------
    str
        The page with every script and stylesheet inline.

    Raises
    ------
    ValueError
        When a script or stylesheet cannot be resolved to a local file (a remote URL included).
    """
    base = base_url.rstrip("/")

    def script(match: re.Match) -> str:
        found = _resolve(match.group(1), base, static_dir)
        if _is_remote(match.group(1)) or found is None:
            raise ValueError(f"cannot inline script {match.group(1)!r}: no local copy")
        code = found[1].read_text(encoding="utf-8").replace("</script", "<\\/script")
        return f"<script>/* {found[0]} */\n{code}\n</script>"

    def css(match: re.Match) -> str:
        found = _resolve(match.group(1), base, static_dir)
        if _is_remote(match.group(1)) or found is None:
            raise ValueError(f"cannot inline stylesheet {match.group(1)!r}: no local copy")
        text = _inline_css(found[1].read_text(encoding="utf-8"), found[0], static_dir)
        return f"<style>/* {found[0]} */\n{text}\n</style>"

    # A function replacement keeps backslashes in the inlined code literal.
    return _CSS_LINK.sub(css, _SCRIPT_SRC.sub(script, html))
