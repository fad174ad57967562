"""Tile sources as data: the package's ``tilesources.json`` and a bureau's own file, one loader.

A tile source is a basemap the web map can draw under the plan layers: an XYZ URL template, a
WMTS service (KVP or REST, in a Web Mercator tile matrix set), or a local ``.mbtiles`` /
``.pmtiles`` file. The package ships OpenStreetMap, Gaode and Tianditu in
``hedong_geo/tilesources.json``; a deployment adds its own in a JSON or YAML file of the same
form named by ``HEDONG_GEO_TILE_SOURCES`` (see ``docs/basemaps.md``). Both are checked against
``hedong_geo/schema/tilesources.schema.json`` and then here, and every problem is reported
with the file, the source and what is wrong.

Each source says its CRS family: ``wgs84`` or ``cgcs2000`` (within a metre of each other: the
data is drawn as it is) or ``gcj02`` (Gaode, Tencent and many Chinese services: the data, the
mouse position and the measures are converted). Baidu's BD-09 tiles use their own tile grid,
which Leaflet cannot draw, and are refused.

This module reads no settings; :mod:`hedong_geo.settings` calls :func:`load_file` to check
the configured file, and :mod:`hedong_geo.basemaps` draws the sources.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

from hedong_geo import localtiles, schema
from hedong_geo._errors import HedongGeoError

__all__ = [
    "BUILTIN",
    "LOCAL_KINDS",
    "TileSource",
    "TileSourceError",
    "builtin",
    "catalogue",
    "load_file",
]

#: The package's own catalogue.
BUILTIN = Path(__file__).resolve().parent / "tilesources.json"
LOCAL_KINDS = ("mbtiles", "pmtiles")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_XYZ_FIELDS = {"z", "x", "y", "-y", "s", "r", "key", "lang"}
_WMTS_ONLY = ("layer", "style", "tile_matrix_set", "tile_matrix", "format", "encoding", "params")
_REST_FIELDS = {"TileMatrix", "TileRow", "TileCol", "TileMatrixSet", "Layer", "Style", "s"}
_REST_FIELDS |= {"key", "lang"}
# Tile matrix sets in degrees (Tianditu's "c", CGCS2000 or WGS84 geographic): not Web Mercator.
_GEOGRAPHIC_SETS = {"c", "epsg:4326", "epsg:4490", "cgcs2000", "wgs84", "crs84", "4326", "4490"}


class TileSourceError(HedongGeoError, ValueError):
    """A tile source that cannot be used: the message names the file, the source and why."""


@dataclass(frozen=True)
class TileSource:
    """One basemap the map can draw.

    ``template`` is a Leaflet URL template (``{z}/{x}/{y}``, ``{s}``, and ``{key}`` / ``{lang}``
    filled in when drawn); empty for a local file (``path``), whose tiles are served from a
    folder. ``name`` is None for the package's own sources (their names are UI strings,
    ``map_<id>`` in ``geodata/i18n.json``). ``bounds`` is west, south, east, north.
    """

    id: str
    kind: str
    crs: str
    attribution: str
    origin: Path
    name: dict[str, str] | None = None
    template: str = ""
    path: Path | None = None
    ext: str = "png"
    subdomains: str | None = None
    min_zoom: int | None = None
    max_zoom: int = 19
    max_native_zoom: int | None = None
    tms: bool = False
    bounds: tuple[float, float, float, float] | None = None
    lang: dict[str, str] | None = None
    key: str | None = None
    labels: TileSource | None = None

    @property
    def shifted(self) -> bool:
        """Whether the data must be shifted to GCJ-02 to sit on these tiles."""
        return self.crs == "gcj02"

    @property
    def local(self) -> bool:
        """Whether the tiles come from a local file (served by this machine)."""
        return self.kind in LOCAL_KINDS


def _fail(origin: Path, sid: str | None, message: str) -> TileSourceError:
    where = f"{origin}: source {sid!r}: " if sid else f"{origin}: "
    return TileSourceError(where + message)


@cache
def _schema() -> dict[str, Any]:
    text = (resources.files("hedong_geo") / "schema" / "tilesources.schema.json").read_text(
        encoding="utf-8"
    )
    return json.loads(text)


def _read(path: Path) -> Any:
    if not path.is_file():
        raise TileSourceError(f"{path}: no such file (the tile sources file)")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        if path.suffix.lower() in (".yaml", ".yml"):
            return yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise TileSourceError(f"{path}: cannot be read: {exc}") from None
    raise TileSourceError(f"{path}: expected a .json, .yaml or .yml file of tile sources")


def _placeholders(url: str) -> set[str]:
    return set(_PLACEHOLDER.findall(url))


def _check_url(url: str, allowed: set[str], needed: set[str], fail) -> None:
    if not url.startswith(("http://", "https://")):
        raise fail(f"url is {url!r}; expected an http:// or https:// address")
    found = _placeholders(url)
    unknown = sorted(found - allowed)
    if unknown:
        raise fail(f"url {url!r} has unknown placeholder(s) {unknown}; allowed: {sorted(allowed)}")
    missing = sorted(needed - found - ({"y"} if "-y" in found else set()))
    if missing:
        raise fail(f"url {url!r} lacks the placeholder(s) {['{' + m + '}' for m in missing]}")


def _kvp_template(entry: dict, url: str) -> str:
    def q(value: str) -> str:
        return quote(value, safe=":{}")

    fields = [
        ("SERVICE", "WMTS"),
        ("REQUEST", "GetTile"),
        ("VERSION", "1.0.0"),
        ("LAYER", entry["layer"]),
        ("STYLE", entry.get("style", "default")),
        ("TILEMATRIXSET", entry["tile_matrix_set"]),
        ("FORMAT", entry.get("format", "image/png")),
        ("TILEMATRIX", entry.get("tile_matrix", "{z}")),
        ("TILEROW", "{y}"),
        ("TILECOL", "{x}"),
        *entry.get("params", {}).items(),
    ]
    query = "&".join(f"{q(k)}={q(v)}" for k, v in fields)
    return f"{url}{'&' if '?' in url else '?'}{query}"


def _rest_template(entry: dict, url: str, fail) -> str:
    _check_url(url, _REST_FIELDS, {"TileMatrix", "TileRow", "TileCol"}, fail)
    values = {
        "{TileMatrixSet}": entry["tile_matrix_set"],
        "{Layer}": entry["layer"],
        "{Style}": entry.get("style", "default"),
        "{TileMatrix}": entry.get("tile_matrix", "{z}"),
        "{TileRow}": "{y}",
        "{TileCol}": "{x}",
    }
    for old, new in values.items():
        url = url.replace(old, new)
    return url


def _wmts(entry: dict, url: str, fail) -> str:
    missing = [k for k in ("layer", "tile_matrix_set") if k not in entry]
    if missing:
        raise fail(f"a WMTS source needs {missing}")
    matrix_set = entry["tile_matrix_set"]
    if matrix_set.strip().lower() in _GEOGRAPHIC_SETS:
        raise fail(
            f"tile_matrix_set is {matrix_set!r}, a grid in degrees; the map draws Web Mercator "
            "tiles: use the service's Web Mercator set (Tianditu 'w'; often 'GoogleMapsCompatible',"
            " 'EPSG:3857' or 'EPSG:900913')"
        )
    if entry.get("encoding", "kvp") == "rest":
        return _rest_template(entry, url, fail)
    _check_url(url, {"s", "key", "lang"}, set(), fail)
    return _kvp_template(entry, url)


def _remote(sid: str, entry: dict, fail) -> dict:
    """The fields of an XYZ or WMTS source: its template and zooms."""
    if "path" in entry:
        raise fail(f"path is for kind 'mbtiles' or 'pmtiles'; kind is {entry['kind']!r}")
    if "url" not in entry:
        raise fail(f"a {entry['kind']} source needs 'url'")
    if entry["kind"] == "xyz":
        wrong = [k for k in _WMTS_ONLY if k in entry]
        if wrong:
            raise fail(f"{wrong} are WMTS fields; kind is 'xyz' (set kind 'wmts')")
        _check_url(entry["url"], _XYZ_FIELDS, {"z", "x", "y"}, fail)
        template = entry["url"]
    else:
        template = _wmts(entry, entry["url"], fail)
    if "{key}" in template and "key" not in entry:
        raise fail("url has {key} but the source names no key (write the key into the url)")
    if "{lang}" in template and "lang" not in entry:
        raise fail("url has {lang} but the source gives no 'lang' values (zh, en)")
    return {"template": template}


def _local(entry: dict, origin: Path, fail) -> dict:
    """The fields of a local file source, read from the file."""
    wrong = [k for k in ("url", "subdomains", "tms", *_WMTS_ONLY) if k in entry]
    if wrong:
        raise fail(f"{wrong} do not apply to a local {entry['kind']} file")
    if "path" not in entry:
        raise fail(f"a {entry['kind']} source needs 'path' (the file, relative to {origin.name})")
    path = (origin.parent / Path(entry["path"]).expanduser()).resolve()
    if path.suffix.lower() != f".{entry['kind']}":
        raise fail(f"path {entry['path']!r} does not end in .{entry['kind']}")
    try:
        info = localtiles.inspect(path, entry["kind"])
    except localtiles.TileFileError as exc:
        raise fail(str(exc)) from None
    return {
        "path": path,
        "ext": info.ext,
        "min_zoom": entry.get("min_zoom", info.min_zoom),
        "max_native_zoom": entry.get("max_native_zoom", info.max_zoom),
        "bounds": tuple(entry["bounds"]) if "bounds" in entry else info.bounds,
    }


def _labels(sid: str, entry: dict, made: TileSource, fail) -> TileSource | None:
    if "labels" not in entry:
        return None
    if made.local:
        raise fail("labels are for xyz and wmts sources")
    over = {**entry, **entry["labels"]}
    over.pop("labels")
    template = _remote(sid, over, fail)["template"]
    name = entry["labels"].get("name")
    return replace(made, id=f"{sid}_labels", name=name, template=template, labels=None)


def _source(sid: str, entry: dict, origin: Path, packaged: bool) -> TileSource:
    def fail(message: str) -> TileSourceError:
        return _fail(origin, sid, message)

    if not packaged and "name" not in entry:
        raise fail("property 'name' is missing (name: {zh: …, en: …})")
    if entry.get("key") and not packaged:
        raise fail("'key' is for the package's own sources; write the key into the url")
    fields = (
        _local(entry, origin, fail) if entry["kind"] in LOCAL_KINDS else _remote(sid, entry, fail)
    )
    given = {
        "name": entry.get("name"),
        "subdomains": entry.get("subdomains"),
        "min_zoom": entry.get("min_zoom"),
        "max_zoom": entry.get("max_zoom", 19),
        "max_native_zoom": entry.get("max_native_zoom"),
        "tms": entry.get("tms", False),
        "bounds": tuple(entry["bounds"]) if "bounds" in entry else None,
        "lang": entry.get("lang"),
        "key": entry.get("key"),
    }
    made = TileSource(
        id=sid,
        kind=entry["kind"],
        crs=entry["crs"],
        attribution=entry["attribution"],
        origin=origin,
        **{**given, **fields},  # a local file's own zooms and bounds unless the entry says
    )
    _check_zooms(made, fail)
    return replace(made, labels=_labels(sid, entry, made, fail))


def _check_zooms(made: TileSource, fail) -> None:
    low = made.min_zoom or 0
    if low > made.max_zoom:
        raise fail(f"min_zoom {low} is more than max_zoom {made.max_zoom}")
    if made.max_native_zoom is not None and made.max_native_zoom > made.max_zoom:
        raise fail(f"max_native_zoom {made.max_native_zoom} is more than max_zoom {made.max_zoom}")
    if made.bounds is not None:
        west, south, east, north = made.bounds
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise fail(f"bounds {list(made.bounds)!r} are not [west, south, east, north]")


def _parse(path: Path, packaged: bool) -> dict[str, TileSource]:
    data = _read(path)
    problems = schema.check(data, _schema())
    if problems:
        raise TileSourceError(f"{path}: " + f"\n{path}: ".join(problems))
    return {sid: _source(sid, entry, path, packaged) for sid, entry in data["sources"].items()}


@lru_cache(maxsize=8)
def _cached(path: Path, packaged: bool, _stamp: tuple[int, int]) -> dict[str, TileSource]:
    return _parse(path, packaged)


def load_file(path: Path, packaged: bool = False) -> dict[str, TileSource]:
    """The tile sources in the JSON or YAML file ``path``, checked, by id.

    Read again only when the file changes (its size or modification time).

    Parameters
    ----------
    path : Path
        A file of the form of ``hedong_geo/tilesources.json``; a local file's ``path`` is
        relative to it.
    packaged : bool
        True for the package's own catalogue (names from ``geodata/i18n.json``, keys from
        settings).

    Raises
    ------
    TileSourceError
        For the first problem found, naming the file, the source and what is wrong.
    """
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise TileSourceError(f"{path}: no such file (the tile sources file)")
    stat = path.stat()
    return dict(_cached(path, packaged, (stat.st_size, stat.st_mtime_ns)))


def builtin() -> dict[str, TileSource]:
    """The package's own sources (OpenStreetMap, Gaode, Tianditu)."""
    return load_file(BUILTIN, packaged=True)


def catalogue(configured: Path | None) -> dict[str, TileSource]:
    """The package's sources, then those of the ``configured`` file (if any), by id.

    Raises
    ------
    TileSourceError
        For a bad file, or a configured source that takes the id of a built-in one.
    """
    sources = builtin()
    if configured is None:
        return sources
    own = load_file(configured)
    for sid in own:
        if sid in sources:
            raise _fail(
                Path(configured),
                sid,
                f"is the id of a built-in source ({sorted(sources)}); choose another id",
            )
    return {**sources, **own}
