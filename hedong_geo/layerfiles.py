"""The layer folder's files as files: has one changed, and what do they hold, without reading
them as layers (nothing heavy imported).

The app checks :func:`files_stamp` on every run (a changed file is read again), and a fresh
process finds its first map in the page cache by :func:`files_digest` before pandas and
geopandas are even imported (:mod:`hedong_geo.pagecache`, ``first_key``).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from hedong_geo.paths import LAYERS

__all__ = ["files_digest", "files_stamp", "layer_files"]


def layer_files(layers_dir: str | Path) -> list[Path]:
    """The files :func:`hedong_geo.layers.load_layers` reads from ``layers_dir``, sorted: every
    ``*.geojson`` (the one definition of a layer file, for the loader, the stamp and the digest)."""
    return sorted(Path(layers_dir).glob("*.geojson"))


def files_stamp(layers_dir: str | Path = LAYERS) -> tuple:
    """The folder and its layer files' names and modification times: changes when they do."""
    stamps = []
    for path in layer_files(layers_dir):
        try:
            stamps.append((path.name, path.stat().st_mtime_ns))
        except OSError:  # a dangling link or a loop: load_layers reports it
            stamps.append((path.name, None))
    return (str(Path(layers_dir)), *stamps)


def files_digest(layers_dir: str | Path = LAYERS) -> str:
    """A digest of the layer files' names and contents (modification times play no part).

    With the code (:func:`hedong_geo.pagecache.code_digest`) it names what
    :func:`hedong_geo.layers.load_layers` makes of the folder: the same files and code read
    the same layers. Read once per :func:`files_stamp` (a large layer is tens of megabytes; a
    new session asks for this on its first run), as the app's layer cache is.
    """
    return _digest(files_stamp(layers_dir))


@lru_cache(maxsize=8)
def _digest(stamp: tuple) -> str:
    folder = Path(stamp[0])
    digest = hashlib.sha256()
    for name, _mtime in stamp[1:]:
        digest.update(name.encode("utf-8") + b"\0")
        try:
            digest.update(hashlib.sha256((folder / name).read_bytes()).digest())
        except OSError:  # unreadable now: a digest no cached page has
            digest.update(b"\1unreadable")
    return digest.hexdigest()
