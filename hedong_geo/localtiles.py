"""Raster tiles from a local ``.mbtiles`` or ``.pmtiles`` file, as a folder of ``z/x/y`` files.

A bureau's own basemap often comes as one file: an MBTiles SQLite database or a PMTiles
archive. The browser can only fetch tiles by URL, and the app serves folders (Streamlit
component folders, see :func:`hedong_geo.assets.serve`), so each file is unpacked once into
a cache folder of ``{z}/{x}/{y}.{ext}`` files, named after the file, its size and its
modification time: a changed file is unpacked again, an unchanged one never. The folder
appears whole or not at all (unpacked beside it, then renamed).

Only raster tiles (PNG, JPEG, WebP) can be drawn; vector tiles (MVT) are refused with a clear
error, as is anything that is not a readable MBTiles or PMTiles file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hedong_geo._errors import HedongGeoError
from hedong_geo.caches import LOCAL_TILES_MARKER, mark_used

__all__ = ["LocalTiles", "TileFileError", "cache_folder", "extract", "inspect"]

_RASTER = {"png": "png", "jpg": "jpg", "jpeg": "jpg", "webp": "webp"}
# First bytes of each raster format, to tell a tile's format when the metadata does not.
_MAGIC = {b"\x89PNG": "png", b"\xff\xd8\xff": "jpg", b"RIFF": "webp"}
_DONE = LOCAL_TILES_MARKER


class TileFileError(HedongGeoError, ValueError):
    """A local tile file that cannot be read or holds tiles the map cannot draw."""


@dataclass(frozen=True)
class LocalTiles:
    """What a local tile file holds: format (file extension), zoom range, bounds, credit."""

    path: Path
    kind: str
    ext: str
    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float] | None  # west, south, east, north (degrees)
    attribution: str | None


def _sniff(data: bytes | None, path: Path) -> str:
    for magic, ext in _MAGIC.items():
        if data and data.startswith(magic):
            return ext
    raise TileFileError(f"{path}: its tiles are not PNG, JPEG or WebP images (vector tiles?)")


def _raster(fmt: str | None, path: Path, first: bytes | None) -> str:
    if fmt is None:
        return _sniff(first, path)
    ext = _RASTER.get(fmt.strip().lower())
    if ext is None:
        raise TileFileError(
            f"{path}: tile format is {fmt!r}; the map draws raster tiles only (png, jpg, webp). "
            "Vector tiles (pbf/mvt) need rendering to raster first"
        )
    return ext


def _mbtiles_db(path: Path) -> sqlite3.Connection:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles LIMIT 1")
        return db
    except sqlite3.DatabaseError as exc:
        raise TileFileError(
            f"{path}: not an MBTiles file (an SQLite database with a 'tiles' table): {exc}"
        ) from None


def _mbtiles_info(path: Path) -> LocalTiles:
    db = _mbtiles_db(path)
    try:
        try:
            meta = dict(db.execute("SELECT name, value FROM metadata").fetchall())
        except sqlite3.DatabaseError:
            meta = {}
        zooms = db.execute("SELECT min(zoom_level), max(zoom_level) FROM tiles").fetchone()
        row = db.execute("SELECT tile_data FROM tiles LIMIT 1").fetchone()
    finally:
        db.close()
    if row is None:
        raise TileFileError(f"{path}: the MBTiles file holds no tiles")
    bounds = None
    if meta.get("bounds"):
        try:
            west, south, east, north = (float(v) for v in meta["bounds"].split(","))
            bounds = (west, south, east, north)
        except ValueError:
            raise TileFileError(
                f"{path}: metadata bounds is {meta['bounds']!r}; expected 'west,south,east,north'"
            ) from None
    return LocalTiles(
        path=path,
        kind="mbtiles",
        ext=_raster(meta.get("format"), path, row[0]),
        min_zoom=int(zooms[0]),
        max_zoom=int(zooms[1]),
        bounds=bounds,
        attribution=meta.get("attribution"),
    )


def _pmtiles_reader(path: Path):
    try:
        from pmtiles.reader import MmapSource, Reader
    except ImportError:
        raise TileFileError(f"{path}: reading .pmtiles needs the pmtiles package") from None
    return MmapSource, Reader


def _pmtiles_info(path: Path) -> LocalTiles:
    mmap_source, reader_class = _pmtiles_reader(path)
    from pmtiles.tile import Compression, TileType

    with open(path, "rb") as f:
        try:
            reader = reader_class(mmap_source(f))
            header = reader.header()
            meta = reader.metadata()
        except Exception as exc:  # the package raises bare exceptions for a bad archive
            raise TileFileError(f"{path}: not a PMTiles (version 3) archive: {exc!r}") from None
    kinds = {TileType.PNG: "png", TileType.JPEG: "jpg", TileType.WEBP: "webp"}
    if header["tile_type"] not in kinds:
        raise TileFileError(
            f"{path}: tile type is {header['tile_type'].name}; the map draws raster tiles only "
            "(PNG, JPEG, WebP)"
        )
    if header["tile_compression"] not in (Compression.NONE, Compression.UNKNOWN):
        raise TileFileError(
            f"{path}: tiles are compressed with {header['tile_compression'].name}; raster tiles "
            "must be stored as they are"
        )
    e7 = [header[k] / 1e7 for k in ("min_lon_e7", "min_lat_e7", "max_lon_e7", "max_lat_e7")]
    return LocalTiles(
        path=path,
        kind="pmtiles",
        ext=kinds[header["tile_type"]],
        min_zoom=int(header["min_zoom"]),
        max_zoom=int(header["max_zoom"]),
        bounds=(e7[0], e7[1], e7[2], e7[3]) if e7[2] > e7[0] and e7[3] > e7[1] else None,
        attribution=meta.get("attribution") if isinstance(meta, dict) else None,
    )


def inspect(path: Path, kind: str) -> LocalTiles:
    """Read what the local tile file ``path`` holds, without unpacking it.

    Parameters
    ----------
    path : Path
        An ``.mbtiles`` or ``.pmtiles`` file.
    kind : {"mbtiles", "pmtiles"}
        What the file is said to be.

    Raises
    ------
    TileFileError
        Naming the file: missing, unreadable, not that kind of file, no tiles, vector tiles.
    """
    path = Path(path)
    if not path.is_file():
        raise TileFileError(f"{path}: no such file")
    if kind == "mbtiles":
        return _mbtiles_info(path)
    if kind == "pmtiles":
        return _pmtiles_info(path)
    raise TileFileError(f"{path}: kind is {kind!r}; expected 'mbtiles' or 'pmtiles'")


def _tiles(info: LocalTiles) -> Iterator[tuple[int, int, int, bytes]]:
    """Every tile of the file as (z, x, y, data), y counted from the north (XYZ)."""
    if info.kind == "mbtiles":
        db = _mbtiles_db(info.path)
        try:
            rows = db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")
            for z, x, row, data in rows:
                yield int(z), int(x), (1 << int(z)) - 1 - int(row), bytes(data)  # TMS rows
        finally:
            db.close()
        return
    mmap_source, _ = _pmtiles_reader(info.path)
    from pmtiles.reader import all_tiles

    with open(info.path, "rb") as f:
        for (z, x, y), data in all_tiles(mmap_source(f)):
            yield z, x, y, bytes(data)


def cache_folder(info: LocalTiles, cache: Path) -> Path:
    """The folder of ``info``'s tiles in ``cache``: named by the file, its size and its time."""
    stat = info.path.stat()
    stamp = f"{info.path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    digest = hashlib.sha256(stamp.encode("utf-8")).hexdigest()[:16]
    return Path(cache) / f"{info.path.stem}-{digest}"


def extract(info: LocalTiles, cache: Path) -> Path:
    """The tiles of the file as a folder ``{z}/{x}/{y}.{ext}`` in ``cache``, unpacked once.

    Parameters
    ----------
    info : LocalTiles
        From :func:`inspect`.
    cache : Path
        The cache folder (``HEDONG_GEO_TILE_CACHE``); created if missing.

    Returns
    -------
    Path
        The folder; it is complete (unpacked beside it and renamed into place).
    """
    target = cache_folder(info, cache)
    if (target / _DONE).is_file():
        mark_used(target / _DONE)  # so that `cache prune` keeps what is in use
        return target
    Path(cache).mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=cache, prefix=".unpack-"))
    try:
        count = 0
        for z, x, y, data in _tiles(info):
            folder = work / str(z) / str(x)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{y}.{info.ext}").write_bytes(data)
            count += 1
        done = {"source": str(info.path.resolve()), "tiles": count, "ext": info.ext}
        (work / _DONE).write_text(json.dumps(done), encoding="utf-8")
        os.chmod(work, 0o755)
        if target.exists():  # a half-made folder from an older run, or another process won
            if (target / _DONE).is_file():
                return target
            shutil.rmtree(target)
        os.replace(work, target)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return target
