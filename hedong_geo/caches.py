"""The app's on-disk caches: what they hold, and pruning what has not been used for a while.

Two folders grow as layers change: the page cache (``HEDONG_GEO_PAGE_CACHE``, one
``map-<key>.json`` per rendered map page, one ``panels-<key>.json`` per set of panel data and
one ``first-<key>.json`` naming the two for a first map,
:mod:`hedong_geo.pagecache`) and the tile cache
(``HEDONG_GEO_TILE_CACHE``: one folder of vector tiles per large layer's content,
:mod:`hedong_geo.tiles`, and one folder per local ``.mbtiles``/``.pmtiles`` file unpacked,
:mod:`hedong_geo.localtiles`). A new layer version gets a new entry and the old one stays, so a
server that runs for months keeps every version it ever drew.

Only what hedong-geo wrote is touched: page entries by their name, tile folders by the marker
file their writer puts in them last (``meta.json``, ``.complete.json``), and the hidden
leftovers of writes that were killed half-way. Anything else in these folders is reported and
left alone. An entry's last use is its marker's modification time: the readers call
:func:`mark_used` when they serve an entry. A tile folder that a kept page draws from is kept.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from hedong_geo import settings

__all__ = ["CacheEntry", "CacheReport", "mark_used", "prune", "survey", "survey_caches"]

#: The file a folder of layer tiles is written with last (:mod:`hedong_geo.tiles` writes it;
#: defined here, in a light module, so that the page cache can check for it without folium).
LAYER_TILES_MARKER = "meta.json"
#: The file an unpacked local tile file's folder is written with last (``localtiles``).
LOCAL_TILES_MARKER = ".complete.json"
#: A half-written leftover younger than this may be a write still going on: kept.
STALE_WRITE_S = 24 * 3600

_PAGE = re.compile(r"(map|panels|first)-[0-9a-f]+\.json")
_PAGE_LEFTOVER = re.compile(r"\.(map|panels|first)-[0-9a-f]+\..+\.json")
_TILES_LEFTOVER = re.compile(r"\.(unpack-.+|.+\.(new|old)-.+)")


@dataclass(frozen=True)
class CacheEntry:
    """One thing in a cache folder: its path, kind, size in bytes and last use (epoch s)."""

    path: Path
    kind: str  # "page", "layer tiles", "local tiles", "leftover", "not ours"
    size: int
    used: float


@dataclass
class CacheReport:
    """What a cache folder holds and, after :func:`prune`, what went."""

    entries: list[CacheEntry] = field(default_factory=list)
    removed: list[CacheEntry] = field(default_factory=list)

    def size(self, entries: list[CacheEntry] | None = None) -> int:
        """Bytes in ``entries`` (default: every entry)."""
        return sum(e.size for e in (self.entries if entries is None else entries))


def mark_used(path: Path) -> None:
    """Record that the cache entry at ``path`` (a page file or a tile folder's marker) was used.

    A read-only cache is fine: the entry then looks older than it is, nothing fails.
    """
    with contextlib.suppress(OSError):
        os.utime(path)


def _size(path: Path) -> int:
    if path.is_symlink() or path.is_file():
        return path.lstat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _entry(path: Path, kind: str, marker: Path | None = None) -> CacheEntry:
    used = (marker or path).lstat().st_mtime
    return CacheEntry(path=path, kind=kind, size=_size(path), used=used)


def _kind_of(path: Path, in_tiles: bool) -> tuple[str, Path | None]:
    """What ``path`` in a cache folder is, and the file whose time says when it was last used."""
    name = path.name
    if path.is_symlink():
        return "not ours", None
    if in_tiles and path.is_dir():
        if (path / LAYER_TILES_MARKER).is_file():
            return "layer tiles", path / LAYER_TILES_MARKER
        if (path / LOCAL_TILES_MARKER).is_file():
            return "local tiles", path / LOCAL_TILES_MARKER
        if _TILES_LEFTOVER.fullmatch(name):
            return "leftover", None
    if not in_tiles and path.is_file():
        if _PAGE.fullmatch(name):
            return "page", None
        if _PAGE_LEFTOVER.fullmatch(name):
            return "leftover", None
    return "not ours", None


def survey(folder: Path, in_tiles: bool) -> CacheReport:
    """Every entry of one cache ``folder`` (the tile cache if ``in_tiles``, else the pages)."""
    report = CacheReport()
    if not folder.is_dir():
        return report
    for path in sorted(folder.iterdir()):
        kind, marker = _kind_of(path, in_tiles)
        report.entries.append(_entry(path, kind, marker))
    return report


def survey_caches(
    page_cache: Path | None = None, tile_cache: Path | None = None
) -> dict[str, CacheReport]:
    """``{"pages": ..., "tiles": ...}``: what the page and tile caches hold (default: the
    settings' ``page_cache`` and ``tile_cache``)."""
    conf = settings.get()
    return {
        "pages": survey(page_cache or conf.page_cache, in_tiles=False),
        "tiles": survey(tile_cache or conf.tile_cache, in_tiles=True),
    }


def _tiles_of_pages(pages: list[CacheEntry]) -> set[str]:
    """The tile folders the given page entries draw from (each entry lists them)."""
    names: set[str] = set()
    for page in pages:
        try:
            names.update(json.loads(page.path.read_text(encoding="utf-8"))["tiles"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a damaged entry is rebuilt on use; it holds nothing back
    return names


def _remove(entry: CacheEntry) -> None:
    if entry.path.is_dir() and not entry.path.is_symlink():
        shutil.rmtree(entry.path)
    else:
        entry.path.unlink(missing_ok=True)


def prune(
    older_than_days: float,
    *,
    dry_run: bool = False,
    page_cache: Path | None = None,
    tile_cache: Path | None = None,
    now: float | None = None,
) -> dict[str, CacheReport]:
    """Remove cache entries not used for ``older_than_days`` days; return what each held.

    Parameters
    ----------
    older_than_days : float
        Entries last used longer ago than this go (``0``: every entry, as after a reinstall).
    dry_run : bool
        Report what would go, remove nothing.
    page_cache, tile_cache : Path, optional
        The folders (default: the settings' ``page_cache`` and ``tile_cache``).
    now : float, optional
        The present as epoch seconds (for tests).

    Returns
    -------
    dict
        ``{"pages": CacheReport, "tiles": CacheReport}``; ``removed`` lists what went (or
        would go).
    """
    if older_than_days < 0:
        raise ValueError(f"older_than_days must be 0 or more; got {older_than_days!r}")
    now = time.time() if now is None else now
    cutoff = now - older_than_days * 86400
    found = survey_caches(page_cache, tile_cache)
    pages, tiles = found["pages"], found["tiles"]

    def goes(entry: CacheEntry) -> bool:
        if entry.kind == "leftover":
            return entry.used < min(cutoff, now - STALE_WRITE_S)
        return entry.kind != "not ours" and entry.used < cutoff

    pages.removed = [e for e in pages.entries if goes(e)]
    kept_pages = [e for e in pages.entries if e.kind == "page" and e not in pages.removed]
    needed = _tiles_of_pages(kept_pages)
    tiles.removed = [e for e in tiles.entries if goes(e) and e.path.name not in needed]
    if not dry_run:
        for entry in pages.removed + tiles.removed:
            _remove(entry)
    return {"pages": pages, "tiles": tiles}


def _count(n: int) -> str:
    return f"{n} entry" if n == 1 else f"{n} entries"


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def format_report(reports: dict[str, CacheReport], pruned: bool, dry_run: bool = False) -> str:
    """The reports as lines for the command line: each cache, what it holds and what went."""
    conf = settings.get()
    lines = []
    for name, folder in (("pages", conf.page_cache), ("tiles", conf.tile_cache)):
        report = reports[name]
        ours = [e for e in report.entries if e.kind != "not ours"]
        line = f"{name}: {folder}: {_count(len(ours))}, {_mb(report.size(ours))}"
        others = len(report.entries) - len(ours)
        if others:
            line += f" (and {others} not written by hedong-geo, left alone)"
        lines.append(line)
        if pruned:
            verb = "would remove" if dry_run else "removed"
            gone = report.removed
            lines.append(f"  {verb} {_count(len(gone))}, {_mb(report.size(gone))}")
            lines += [f"    {e.kind}: {e.path.name}" for e in gone]
    return "\n".join(lines)
