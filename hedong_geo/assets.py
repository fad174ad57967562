"""Offline static assets for the web map: Leaflet, jQuery, Font Awesome and our own JS/CSS.

The map must work with no internet, so nothing it loads may come from a CDN. The third-party
files come from the installed XStatic packages (found through each package's ``BASE_DIR``) and
ours from ``hedong_geo/js/``. :func:`install_static` copies them into ``./static`` (served by
Streamlit under ``/app/static/`` with ``server.enableStaticServing``), :func:`localize` points a
folium map at those copies, and :func:`inline_assets` folds them into one self-contained HTML
file for ``file://`` use.

Layout under ``static/`` (the copies are git-ignored by ``static/.gitignore``)::

    vendor/leaflet/leaflet.js, leaflet.css, images/*.png
    vendor/jquery/jquery.min.js
    vendor/fontawesome/css/all.min.css, webfonts/*
    hedong/hedong.js, hedong.css
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
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import folium
from branca.element import Element
from folium.elements import JSCSSMixin

from hedong_geo import paths

__all__ = [
    "ASSET_BASE",
    "DROPPED",
    "LOCAL",
    "asset_files",
    "inline_assets",
    "install_static",
    "localize",
]

ASSET_BASE = "/app/static"
OWN_JS = Path(__file__).resolve().parent / "js"

# folium link name -> path under static/. Names are folium's own (folium.Map.default_js/css)
# plus ours (hedong_js, hedong_css), so a localized map keeps folium's de-duplication by name.
LOCAL = {
    "leaflet": "vendor/leaflet/leaflet.js",
    "leaflet_css": "vendor/leaflet/leaflet.css",
    "jquery": "vendor/jquery/jquery.min.js",
    "awesome_markers_font_css": "vendor/fontawesome/css/all.min.css",
    "hedong_js": "hedong/hedong.js",
    "hedong_css": "hedong/hedong.css",
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
    """Every asset we serve: path under ``static/`` -> source file.

    Returns
    -------
    dict
        Relative POSIX path (as used in URLs) to the file it is copied from.
    """
    leaflet = _xstatic_dir("leaflet")
    jquery = _xstatic_dir("jquery")
    fontawesome = _xstatic_dir("font_awesome")
    files = {
        "vendor/leaflet/leaflet.js": leaflet / "leaflet.js",
        "vendor/leaflet/leaflet.css": leaflet / "leaflet.css",
        "vendor/jquery/jquery.min.js": jquery / "jquery.min.js",
        "vendor/fontawesome/css/all.min.css": fontawesome / "css" / "all.min.css",
    }
    for image in sorted((leaflet / "images").glob("*.png")):
        files[f"vendor/leaflet/images/{image.name}"] = image
    for font in sorted((fontawesome / "webfonts").iterdir()):
        files[f"vendor/fontawesome/webfonts/{font.name}"] = font
    for own in sorted(OWN_JS.iterdir()):
        if own.suffix in (".js", ".css"):
            files[f"hedong/{own.name}"] = own
    return files


def install_static(dest: Path = paths.STATIC) -> list[Path]:
    """Copy the map's assets into ``dest`` (``./static``), only the files that changed.

    Safe to call at every app start and from several processes: unchanged files are left alone
    and changed ones are replaced atomically, so a browser never reads half a file.

    Parameters
    ----------
    dest : Path
        The static folder Streamlit serves under ``/app/static/``.

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


def _localized(links: list[tuple[str, str]], base: str, where: str) -> list[tuple[str, str]]:
    out = []
    for name, url in links:
        if name in DROPPED:
            continue
        if name in LOCAL:
            out.append((name, f"{base}/{LOCAL[name]}"))
        elif _is_remote(url):
            raise ValueError(
                f"{where} links {name!r} from {url!r} and there is no offline copy of it; "
                "add the file to hedong_geo.assets (LOCAL and asset_files) or drop the element"
            )
        else:
            out.append((name, url))
    return out


def localize(m: folium.Map, base_url: str = ASSET_BASE) -> folium.Map:
    """Point every JS/CSS link of ``m`` and its elements at our local copies.

    Sets ``default_js``/``default_css`` on each element instance (never on the class, which
    folium shares between maps). Links in :data:`DROPPED` are removed.

    Parameters
    ----------
    m : folium.Map
        The map, before it is rendered.
    base_url : str
        URL the static folder is served at: ``/app/static`` in Streamlit, a relative
        ``static`` for a page saved next to the folder.

    Returns
    -------
    folium.Map
        ``m`` itself.

    Raises
    ------
    ValueError
        When an element links a remote file we have no copy of.
    """
    base = base_url.rstrip("/")
    for element in _walk(m):
        if isinstance(element, JSCSSMixin):
            where = type(element).__name__
            element.default_js = _localized(list(element.default_js), base, where)
            element.default_css = _localized(list(element.default_css), base, where)
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


def inline_assets(
    html: str, base_url: str = ASSET_BASE, static_dir: Path | None = paths.STATIC
) -> str:
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
