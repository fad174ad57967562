"""The project's settings: every environment variable hedong-geo reads, in one place.

Each variable is declared once in :data:`VARIABLES` (name, default, meaning); ``docs/settings.md``
shows the same table (a test checks they agree). Other modules never read ``os.environ``: they
call :func:`get`, which parses the ``HEDONG_GEO_*`` variables once per distinct environment and
checks them, so a mistake is one clear error naming the variable rather than a surprise later.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from hedong_geo import paths
from hedong_geo._errors import HedongGeoError

__all__ = [
    "PREFIX",
    "VARIABLES",
    "Settings",
    "SettingsError",
    "Variable",
    "from_environ",
    "get",
    "markdown_table",
]

PREFIX = "HEDONG_GEO_"
#: Where tiles go by default: unpacked from local .mbtiles/.pmtiles files, and the vector tiles
#: cut from large layers (each in a subfolder of its own).
TILE_CACHE = Path("~/.cache/hedong-geo/tiles")
#: Where the app keeps its rendered map pages by default (:mod:`hedong_geo.pagecache`).
PAGE_CACHE = Path("~/.cache/hedong-geo/pages")
#: Default of ``HEDONG_GEO_TILE_THRESHOLD``: from this many features a layer is vector tiles.
TILE_THRESHOLD = 2000
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


class SettingsError(HedongGeoError, ValueError):
    """An environment variable hedong-geo reads has a value it cannot use."""


@dataclass(frozen=True)
class Variable:
    """One environment variable: its name, the :class:`Settings` field it sets, its docs."""

    name: str
    field: str
    default: str
    meaning: str


VARIABLES: tuple[Variable, ...] = (
    Variable(
        "HEDONG_GEO_LAYERS_DIR",
        "layers_dir",
        "the built-in `layers/`",
        "Folder of layer files the app, `validate`, `coverage`, `export` and `publish` read "
        "(a test copy, a deployment's own data). `build` writes the checkout's `layers/` "
        "unless given `--out`.",
    ),
    Variable(
        "HEDONG_GEO_TIANDITU_KEY",
        "tianditu_key",
        "unset (`TIANDITU_KEY` is read when this is unset)",
        "Tianditu API key; with it the Tianditu basemap is offered.",
    ),
    Variable(
        "HEDONG_GEO_TILE_SOURCES",
        "tile_sources",
        "unset (the built-in sources only)",
        "A JSON or YAML file of the deployment's own tile basemaps: intranet XYZ or WMTS "
        "services, local `.mbtiles`/`.pmtiles` files (see `docs/basemaps.md`). Checked at "
        "start; a bad entry is an error naming the file, the source and the problem.",
    ),
    Variable(
        "HEDONG_GEO_TILE_CACHE",
        "tile_cache",
        "`~/.cache/hedong-geo/tiles`",
        "Folder where tiles are kept, one subfolder each: the tiles of local "
        "`.mbtiles`/`.pmtiles` files, unpacked once per file version, and the vector tiles of "
        "large layers, cut once per layer content (see `HEDONG_GEO_TILE_THRESHOLD`). "
        "`hedong-geo cache prune` removes the folders not used for a while (docs/deploy.md).",
    ),
    Variable(
        "HEDONG_GEO_PAGE_CACHE",
        "page_cache",
        "`~/.cache/hedong-geo/pages`",
        "Folder where the app keeps its rendered map pages and their panel data across "
        "restarts, one file each, named by everything that shapes it (the layers' content, "
        "filters, language, basemap, the code): a fresh server draws its first map without "
        "rendering it or building panels again. Safe to delete; a damaged file is rebuilt; "
        "`hedong-geo cache prune` removes the files not used for a while (docs/deploy.md).",
    ),
    Variable(
        "HEDONG_GEO_CACHE",
        "build_cache",
        "`$XDG_CACHE_HOME/hedong-geo` (`~/.cache/hedong-geo` when that is unset)",
        "Folder where the `geodata/` builds keep what they download (e.g. the division "
        "data's npm package), so a rebuild works offline once it has run.",
    ),
    Variable(
        "HEDONG_GEO_BASEMAPS",
        "basemaps",
        "the sources of `HEDONG_GEO_TILE_SOURCES`, then `osm,gaode` (and `tianditu` with a key)",
        "Tile basemaps the app offers besides the offline one, comma-separated, by id: "
        "`osm`, `gaode`, `tianditu` or one of `HEDONG_GEO_TILE_SOURCES`; `none` offers none "
        "(a deployment with no internet).",
    ),
    Variable(
        "HEDONG_GEO_TILE_THRESHOLD",
        "tile_threshold",
        "`2000`",
        "A layer with at least this many located features is drawn on the web map and "
        "published as vector tiles (cut once, cached) instead of GeoJSON in the page; "
        "`0` never tiles.",
    ),
    Variable(
        "HEDONG_GEO_REQUIRE_BROWSER",
        "require_browser",
        "off",
        "Tests: a missing chromium fails the browser tests instead of skipping them "
        "(`.ci/run` sets it).",
    ),
    Variable(
        "HEDONG_GEO_REQUIRE_GDAL",
        "require_gdal",
        "off",
        "Tests: missing GDAL tools (`ogrinfo`) fail the GDAL checks instead of skipping them "
        "(`.ci/run` sets it).",
    ),
)
_LEGACY = {"TIANDITU_KEY": "HEDONG_GEO_TIANDITU_KEY"}
# Variables of other conventions a default is made from.
_XDG_CACHE = "XDG_CACHE_HOME"


@dataclass(frozen=True)
class Settings:
    """The parsed settings; see :data:`VARIABLES` for what each field means."""

    layers_dir: Path
    tianditu_key: str
    tile_sources: Path | None
    tile_cache: Path
    page_cache: Path
    build_cache: Path
    basemaps: tuple[str, ...]
    tile_threshold: int
    require_browser: bool
    require_gdal: bool


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = env.get(name, "")
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise SettingsError(f"{name}={value!r}: expected 1/true/yes or 0/false/no")


def _tile_sources(value: str | None) -> tuple[Path | None, tuple[str, ...]]:
    """The configured tile sources file and the ids of its sources (checked: see
    :mod:`hedong_geo.tilesources`, imported here as it imports nothing of ours that reads
    settings)."""
    from hedong_geo.tilesources import TileSourceError, builtin, catalogue

    path = Path(value).expanduser() if value else None
    try:
        sources = catalogue(path)
    except TileSourceError as exc:
        raise SettingsError(f"HEDONG_GEO_TILE_SOURCES={value!r}: {exc}") from None
    return path, tuple(sid for sid in sources if sid not in builtin())


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise SettingsError(f"{name}={env[name]!r}: expected a whole number ≥ 0")
    return number


def _basemaps(value: str | None, key: str, configured: tuple[str, ...]) -> tuple[str, ...]:
    name = "HEDONG_GEO_BASEMAPS"
    builtin = ("osm", "gaode", "tianditu") if key else ("osm", "gaode")
    if value is None or not value.strip():
        return (*configured, *builtin)
    picked = [v.strip() for v in value.split(",") if v.strip()]
    if picked == ["none"]:
        return ()
    known = [*configured, "osm", "gaode", "tianditu"]
    unknown = [v for v in picked if v not in known]
    if unknown:
        raise SettingsError(
            f"{name}={value!r}: unknown basemap(s) {unknown}; choose from {known} or 'none'"
        )
    if "tianditu" in picked and not key:
        raise SettingsError(f"{name}={value!r}: tianditu needs HEDONG_GEO_TIANDITU_KEY")
    return tuple(dict.fromkeys(picked))


def from_environ(environ: Mapping[str, str]) -> Settings:
    """Parse the settings from ``environ`` (a mapping like :data:`os.environ`).

    Empty values count as unset. A ``HEDONG_GEO_*`` variable that is not in
    :data:`VARIABLES` gives a warning (a misspelt name would otherwise do nothing).

    Raises
    ------
    SettingsError
        For a value that cannot be used, naming the variable.
    """
    known = {v.name for v in VARIABLES}
    for name in sorted(environ):
        if name.startswith(PREFIX) and name not in known:
            warnings.warn(f"{name} is not a hedong-geo setting; see docs/settings.md", stacklevel=2)
    env = {k: v for k, v in environ.items() if k in known and v.strip()}
    for legacy, name in _LEGACY.items():
        if name not in env and environ.get(legacy, "").strip():
            env[name] = environ[legacy]
    key = env.get("HEDONG_GEO_TIANDITU_KEY", "").strip()
    layers = env.get("HEDONG_GEO_LAYERS_DIR")
    sources, configured = _tile_sources(env.get("HEDONG_GEO_TILE_SOURCES"))
    cache = env.get("HEDONG_GEO_TILE_CACHE")
    xdg = environ.get(_XDG_CACHE, "").strip()
    build_cache = env.get("HEDONG_GEO_CACHE") or Path(xdg or "~/.cache") / "hedong-geo"
    return Settings(
        layers_dir=Path(layers).expanduser() if layers else paths.LAYERS,
        tianditu_key=key,
        tile_sources=sources,
        tile_cache=Path(cache or TILE_CACHE).expanduser(),
        page_cache=Path(env.get("HEDONG_GEO_PAGE_CACHE") or PAGE_CACHE).expanduser(),
        build_cache=Path(build_cache).expanduser(),
        basemaps=_basemaps(env.get("HEDONG_GEO_BASEMAPS"), key, configured),
        tile_threshold=_count(env, "HEDONG_GEO_TILE_THRESHOLD", TILE_THRESHOLD),
        require_browser=_flag(env, "HEDONG_GEO_REQUIRE_BROWSER"),
        require_gdal=_flag(env, "HEDONG_GEO_REQUIRE_GDAL"),
    )


@lru_cache(maxsize=8)
def _parsed(items: tuple[tuple[str, str], ...]) -> Settings:
    return from_environ(dict(items))


def get() -> Settings:
    """The settings of this process, parsed once per distinct set of relevant variables.

    Only the variables hedong-geo reads are looked at, so the parse (and its checks and
    warnings) runs once; a test that changes them (``monkeypatch.setenv``) gets fresh settings.
    """
    items = tuple(
        sorted(
            (k, v)
            for k, v in os.environ.items()
            if k.startswith(PREFIX) or k in _LEGACY or k == _XDG_CACHE
        )
    )
    return _parsed(items)


def markdown_table() -> str:
    """The table of :data:`VARIABLES` as Markdown, as ``docs/settings.md`` shows it."""
    rows = ["| variable | default | what it sets |", "| --- | --- | --- |"]
    rows += [f"| `{v.name}` | {v.default} | {v.meaning} |" for v in VARIABLES]
    return "\n".join(rows) + "\n"
