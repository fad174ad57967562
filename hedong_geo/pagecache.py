"""The app's map pages kept on disk across restarts, named by everything that shapes them.

A fresh server process must draw its first map at once (issue 14): rendering folium's page is
most of that first draw. So :func:`hedong_geo.mapview.write_map_page` asks here first. An
entry is found by a key (:func:`page_key`) that changes whenever anything that shapes the
page does:

- the **layers' content**: every frame's columns and values and its geometries as WKB
  (:func:`layers_digest`), so the filters applied, a layer file rebuilt with other data or
  renamed layers each give a new key (modification times play no part);
- the **arguments**: visible layers, language, basemap, asset base, tile base;
- the **code and data** the page is made of: every file of ``hedong_geo`` and ``geodata/``,
  the versions of folium, branca and the XStatic packages, and the settings
  (:func:`code_digest`, computed once per process);

A fresh process's **first map** is found before the layers are read (:func:`first_key`: the
layer files' names and contents instead of the layers, with the filters, the links and the
page's arguments): the entry points at the page's and the panel data's entries, so the app
sends its first map before it imports pandas, geopandas and folium.

The **panel data** of :func:`hedong_geo.mapview.start_panel_data` (every feature's panel, a
few hundred milliseconds of CPU that would compete with serving the first map) is kept the same
way, under :func:`panels_key` (both layer sets, language, links, code).

An entry is JSON holding the page and its SHA-256: a truncated, corrupt or unreadable entry is
ignored (the page is rebuilt and the entry written again). A page drawing a layer as vector
tiles is used only while those tiles are still in ``HEDONG_GEO_TILE_CACHE``. Entries are
written atomically (:mod:`hedong_geo._io`); the folder is ``HEDONG_GEO_PAGE_CACHE``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
import weakref
from collections.abc import Callable, Iterable
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hedong_geo import paths, settings
from hedong_geo._io import atomic_write_text
from hedong_geo.caches import LAYER_TILES_MARKER, mark_used
from hedong_geo.layerfiles import files_digest

if TYPE_CHECKING:  # imported only to be named: a cached first map needs no pandas
    from hedong_geo.layers import LayerSet

__all__ = [
    "FORMAT",
    "code_digest",
    "first_key",
    "layers_digest",
    "page_key",
    "panels_key",
    "read_first",
    "read_page",
    "read_panels",
    "write_first",
    "write_page",
    "write_panels",
]
log = logging.getLogger(__name__)

#: Version of the entry format; part of every key.
FORMAT = 1
_PACKAGE = Path(__file__).resolve().parent
_CODE_SUFFIXES = {".py", ".js", ".css", ".j2", ".json", ".html", ".yaml", ".md", ".txt"}
_PACKAGES = (
    "folium",
    "branca",
    "jinja2",
    "xstatic-leaflet",
    "xstatic-jquery",
    "xstatic-font-awesome",
    "xstatic-leaflet-gesturehandling",
)


def _files_digest(digest: Any, folder: Path, suffixes: set[str] | None) -> None:
    """Feed every file under ``folder`` (names and contents, sorted) into ``digest``."""
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        if suffixes is not None and path.suffix not in suffixes:
            continue
        digest.update(str(path.relative_to(folder)).encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


@lru_cache(maxsize=1)
def _code_files_digest() -> str:
    digest = hashlib.sha256()
    _files_digest(digest, _PACKAGE, _CODE_SUFFIXES)
    _files_digest(digest, paths.GEODATA, None)
    for name in _PACKAGES:
        digest.update(f"{name}={_version(name)}\n".encode())
    return digest.hexdigest()


def code_digest() -> str:
    """A digest of the code, data and settings a map page is made of.

    The files of ``hedong_geo`` and ``geodata/`` and the package versions are read once per
    process (a few milliseconds); the settings (:func:`hedong_geo.settings.get`, with the
    content of a ``HEDONG_GEO_TILE_SOURCES`` file) each time, as a test may change them.
    """
    now = dataclasses.asdict(settings.get())
    for where in ("page_cache", "build_cache"):  # where things are kept, not what pages are
        now.pop(where, None)
    sources = now.get("tile_sources")
    if sources is not None and Path(sources).is_file():
        now["tile_sources_sha256"] = hashlib.sha256(Path(sources).read_bytes()).hexdigest()
    text = json.dumps(now, default=str, sort_keys=True)
    return hashlib.sha256(f"{_code_files_digest()}|{text}".encode()).hexdigest()


def _frame_digest(digest: Any, frame: Any) -> None:
    """Feed a layer frame's columns, index, values and geometries (WKB) into ``digest``."""
    import pandas as pd
    import shapely

    geometry = frame.geometry.name
    head = [str(frame.crs), [(str(c), str(t)) for c, t in frame.dtypes.items()]]
    values = pd.DataFrame(frame).drop(columns=[geometry]).to_dict("list")
    text = json.dumps(
        [head, list(map(str, frame.index)), values], ensure_ascii=False, sort_keys=True, default=str
    )
    digest.update(text.encode("utf-8") + b"\0")
    for wkb in shapely.to_wkb(frame[geometry].to_numpy(), output_dimension=3):
        digest.update(b"\1" + len(wkb).to_bytes(8, "little") + wkb if wkb else b"\0")


# id(frame) -> (weak reference to the frame, digest of its content): a LayerSet's frames are
# shared and never modified (see LayerSet.features), so the map page's key and the panel data's
# key digest each frame once; an entry goes when its frame does.
_FRAME_DIGESTS: dict[int, tuple[weakref.ref, bytes]] = {}


def _frame_bytes(frame: Any) -> bytes:
    """The digest of one frame's content, remembered while that frame object lives."""
    key = id(frame)
    known = _FRAME_DIGESTS.get(key)
    if known is not None and known[0]() is frame:
        return known[1]
    digest = hashlib.sha256()
    _frame_digest(digest, frame)
    ref = weakref.ref(frame, lambda _ref: _FRAME_DIGESTS.pop(key, None))
    _FRAME_DIGESTS[key] = (ref, digest.digest())
    return digest.digest()


def layers_digest(layers: LayerSet) -> str:
    """A digest of the content of ``layers``: names (in order) and every frame's content.

    A frame's part is computed once per frame object: frames of a :class:`LayerSet` are not
    modified once read (a changed layer is a new frame, read again from its file).
    """
    digest = hashlib.sha256()
    for name, frame in layers.layers.items():
        digest.update(name.encode("utf-8") + b"\0")
        digest.update(_frame_bytes(frame))
    return digest.hexdigest()


def _asset_name(asset_base: str | Callable[[str], str]) -> str | None:
    """How a key names ``asset_base``: a URL, or a function by its module and name (its code is
    in :func:`code_digest`); None for a function made inside another (it has no such name)."""
    if callable(asset_base):
        where = f"{getattr(asset_base, '__module__', '')}.{getattr(asset_base, '__qualname__', '')}"
        if "<" in where or where == ".":
            return None
        return f"function:{where}"
    return f"url:{asset_base}"


def page_key(
    layers: LayerSet,
    *,
    visible: Iterable[str] | None,
    lang: str,
    basemap: str,
    asset_base: str | Callable[[str], str],
    tile_base: str | None,
) -> str | None:
    """The cache key of a map page, or None when it cannot be named safely.

    An ``asset_base`` function is named by its module and name (its code is in
    :func:`code_digest`); a function made inside another (a closure, a lambda) cannot be
    named, so its pages are not cached.
    """
    asset = _asset_name(asset_base)
    if asset is None:
        return None
    parts = {
        "format": FORMAT,
        "code": code_digest(),
        "layers": layers_digest(layers),
        "visible": None if visible is None else list(visible),
        "lang": lang,
        "basemap": basemap,
        "asset_base": asset,
        "tile_base": tile_base,
    }
    text = json.dumps(parts, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _entry(key: str, folder: Path | None) -> Path:
    return (folder or settings.get().page_cache) / f"map-{key}.json"


def _tiles_used(page: str, tile_base: str | None) -> list[str]:
    """The tile-cache folders a page draws from (its tiled layers' ``<key>/{z}/{x}/{y}.pbf``)."""
    if not tile_base:
        return []
    pattern = re.escape(tile_base.rstrip("/")) + r"/([^/\"'\\]+)/\{z\}/\{x\}/\{y\}\.pbf"
    return sorted(set(re.findall(pattern, page)))


def _read_entry(path: Path, field: str) -> dict | None:
    """The entry at ``path`` when its ``field`` matches its SHA-256, else None (logged)."""
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
        ok = hashlib.sha256(entry[field].encode("utf-8")).hexdigest() == entry["sha256"]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("ignoring the unreadable map page cache entry %s: %s", path, exc)
        return None
    if not ok:
        log.warning(
            "ignoring the map page cache entry %s: its %s does not match its hash", path, field
        )
        return None
    return entry


def _write_entry(path: Path, entry: dict, field: str) -> None:
    """Write ``entry`` with the SHA-256 of its ``field`` (atomically); failures are logged."""
    entry = {"format": FORMAT, "sha256": hashlib.sha256(entry[field].encode()).hexdigest(), **entry}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(entry, ensure_ascii=False), overwrite=True)
    except OSError as exc:
        log.warning("could not keep %s in the map page cache: %s", path.name, exc)


def read_page(key: str, folder: Path | None = None) -> str | None:
    """The cached page for ``key``, or None when there is none usable.

    An entry that cannot be read or parsed, whose page does not match its SHA-256, or whose
    vector tiles are gone from the tile cache counts as absent (it is logged, not raised).
    """
    path = _entry(key, folder)
    entry = _read_entry(path, "page")
    if entry is None:
        return None
    try:
        tiles = [str(name) for name in entry["tiles"]]
    except (KeyError, TypeError) as exc:
        log.warning("ignoring the unreadable map page cache entry %s: %s", path, exc)
        return None
    cache = settings.get().tile_cache
    if any(not (cache / name / LAYER_TILES_MARKER).is_file() for name in tiles):
        return None
    for used in (path, *(cache / name / LAYER_TILES_MARKER for name in tiles)):
        mark_used(used)  # so that `cache prune` keeps what is in use
    return entry["page"]


def write_page(key: str, page: str, tile_base: str | None, folder: Path | None = None) -> None:
    """Keep ``page`` under ``key`` (atomically); a cache that cannot be written is logged."""
    _write_entry(_entry(key, folder), {"tiles": _tiles_used(page, tile_base), "page": page}, "page")


def panels_key(layers: LayerSet, shown: LayerSet, lang: str, links: object) -> str | None:
    """The cache key of the panel data (:func:`hedong_geo.mapview.panel_data`), or None when
    ``links`` cannot be named by its ``repr`` (an object without a value-like repr)."""
    named = repr(links)
    if " at 0x" in named:
        return None
    parts = {
        "format": FORMAT,
        "kind": "panels",
        "code": code_digest(),
        "layers": layers_digest(layers),
        "shown": layers_digest(shown),
        "lang": lang,
        "links": f"{type(links).__module__}.{named}",
    }
    text = json.dumps(parts, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def read_panels(key: str, folder: Path | None = None) -> str | None:
    """The cached panel data (JSON text) for ``key``, or None when there is none usable."""
    path = (folder or settings.get().page_cache) / f"panels-{key}.json"
    entry = _read_entry(path, "text")
    if entry is None or not isinstance(entry["text"], str):
        return None
    mark_used(path)  # so that `cache prune` keeps what is in use
    return entry["text"]


def write_panels(key: str, text: str, folder: Path | None = None) -> None:
    """Keep the panel data ``text`` under ``key`` (atomically; failures are logged)."""
    path = (folder or settings.get().page_cache) / f"panels-{key}.json"
    _write_entry(path, {"text": text}, "text")


def first_key(
    layers_dir: str | Path,
    *,
    visible: Iterable[str] | None,
    filters: object,
    lang: str,
    basemap: str,
    asset_base: str | Callable[[str], str],
    tile_base: str | None,
    links: object,
) -> str | None:
    """The key of a first map: its page and panel data, named without reading the layers
    (None when ``asset_base``, ``filters`` or ``links`` cannot be named, as in :func:`page_key`).

    The layer files' names and contents (:func:`hedong_geo.layerfiles.files_digest`) and the
    code (:func:`code_digest`) stand for the layers read from them; ``filters`` and ``links``
    are named by their ``repr`` (value-like: tuples, dataclasses).
    """
    asset = _asset_name(asset_base)
    if asset is None or " at 0x" in repr(links) or " at 0x" in repr(filters):
        return None
    parts = {
        "format": FORMAT,
        "kind": "first",
        "code": code_digest(),
        "files": files_digest(layers_dir),
        "folder": str(Path(layers_dir).resolve()),
        "visible": None if visible is None else list(visible),
        "filters": repr(filters),
        "lang": lang,
        "basemap": basemap,
        "asset_base": asset,
        "tile_base": tile_base,
        "links": f"{type(links).__module__}.{links!r}",
    }
    text = json.dumps(parts, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def read_first(key: str, folder: Path | None = None) -> tuple[str, str] | None:
    """The page and the panel data (texts) of the first map ``key``, or None when the entry
    or either of the entries it points at is missing or unusable (:func:`read_page`)."""
    path = (folder or settings.get().page_cache) / f"first-{key}.json"
    entry = _read_entry(path, "keys")
    if entry is None:
        return None
    try:
        page_id, panels_id = json.loads(entry["keys"])
    except (ValueError, TypeError) as exc:
        log.warning("ignoring the unreadable map page cache entry %s: %s", path, exc)
        return None
    page = read_page(str(page_id), folder)
    panels = read_panels(str(panels_id), folder) if page is not None else None
    if panels is None:
        return None
    mark_used(path)
    return page, panels


def write_first(key: str, page_key: str, panels_key: str, folder: Path | None = None) -> None:
    """Keep which page and panel data entries the first map ``key`` is (atomically)."""
    path = (folder or settings.get().page_cache) / f"first-{key}.json"
    _write_entry(path, {"keys": json.dumps([page_key, panels_key])}, "keys")
