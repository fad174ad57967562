"""Vector tiles for large layers: cut once, cached by content, drawn on canvas by the browser.

A layer of tens of thousands of polygons (the bureau's 控规 parcels) cannot be drawn as GeoJSON
in the page: the browser parses every feature and redraws every path at every zoom frame. A
layer with at least ``HEDONG_GEO_TILE_THRESHOLD`` located features (:func:`should_tile`) is
instead cut into Mapbox Vector Tiles (MVT, encoded by the ``mapbox-vector-tile`` package):

- zooms :data:`MIN_ZOOM` to :data:`MAX_ZOOM`, each simplified to about a pixel at its zoom
  (the deepest to a pixel at the map's deepest zoom, :data:`DISPLAY_MAX_ZOOM`: it is drawn
  scaled up beyond its own zoom, and scaled down below :data:`MIN_ZOOM`);
- coordinates snapped to the tile grid of :data:`EXTENT` units (16 per pixel) and clipped with a
  :data:`BUFFER` so outlines meet across tile edges;
- below MAX_ZOOM, the areas smaller than :data:`COVERAGE_PX` pixels across at a zoom are not
  in its tiles one by one: their area, dissolved per style key (a coverage union: parcels
  share edges), simplified to a pixel, is the tiles' second layer ``<name>:coverage``, so the
  browser draws a few shapes where it would draw tens of thousands of specks (a click is
  hit-tested against the MAX_ZOOM tile, which has every feature);
- per feature only what drawing and a click need: ``id``, ``k`` (style key ``group|basis``,
  the web map's style table), ``s`` (status, for colouring by status), and the names at the
  deepest zoom; the panel is found by id as for any feature.

:func:`ensure_tiles` writes a layer's tiles once into ``HEDONG_GEO_TILE_CACHE/<key>/`` (atomically:
a half-written set is never seen), where the key is a hash of what the tiles are made of (the
features' ids, style keys, statuses, names and geometry, the datum and this module's
parameters), so they are rebuilt only when the layer changes. ``<key>/meta.json`` lists the
tiles that exist, so the browser never asks for an empty one. :func:`add_tiled_layer` puts the
layer on a folium map, drawn by ``hedong_geo/js/vectortiles.js`` (in a Web Worker).
"""

from __future__ import annotations

import hashlib
import json
import math
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from hedong_geo import settings
from hedong_geo._io import atomic_dir
from hedong_geo._mvt import encode_tile
from hedong_geo.caches import LAYER_TILES_MARKER, mark_used
from hedong_geo.templating import json_script

__all__ = [
    "BUFFER",
    "COVERAGE_PX",
    "COVERAGE_SUFFIX",
    "DISPLAY_MAX_ZOOM",
    "EXTENT",
    "MAX_ZOOM",
    "MIN_ZOOM",
    "TileSet",
    "add_tiled_layer",
    "build_tiles",
    "ensure_tiles",
    "should_tile",
    "tile_key",
]

#: Default URL of the tile cache on a page (build_map's ``tile_base``): the app serves it there.
TILE_BASE = "/app/static/tiles"
#: Version of the tiles' content; part of the cache key, so a change here rebuilds them.
TILER_VERSION = "3"
#: Tile grid units per tile side (MVT's usual 4096: 16 per pixel of a 256 px tile).
EXTENT = 4096
TILE_PX = 256
#: Grid units kept beyond each tile edge (4 px), so strokes meet across tiles.
BUFFER = 64
MIN_ZOOM = 12
MAX_ZOOM = 16
#: The web map's deepest zoom (webmap.build_map's ``max_zoom``): MAX_ZOOM tiles are drawn there.
DISPLAY_MAX_ZOOM = 19
#: Areas smaller than this many pixels across at a zoom below MAX_ZOOM are drawn dissolved.
COVERAGE_PX = 8
#: The MVT layer of the dissolved small areas: ``<layer name><suffix>``.
COVERAGE_SUFFIX = ":coverage"
_WORLD = 2 * math.pi * 6378137.0  # the Web Mercator world's width in metres
#: The file a folder of tiles is written with last (the page cache checks for it).
META = LAYER_TILES_MARKER
_KEYS: dict[int, tuple] = {}  # id(frame) -> (weak reference, (name, gcj02), key)


@dataclass(frozen=True)
class TileSet:
    """A layer's tiles in the cache: where, and what the browser needs to draw them."""

    name: str
    key: str
    folder: Path
    meta: dict[str, Any]

    def url(self, base: str) -> str:
        """The tiles' URL template (``{z}/{x}/{y}.pbf``) under ``base``, the cache's URL."""
        return f"{base.rstrip('/')}/{self.key}/{{z}}/{{x}}/{{y}}.pbf"


def should_tile(gdf: Any, threshold: int | None = None) -> bool:
    """Whether ``gdf`` is large enough to be drawn as tiles (``HEDONG_GEO_TILE_THRESHOLD``)."""
    most = settings.get().tile_threshold if threshold is None else threshold
    if most <= 0:
        return False
    return int(gdf.geometry.notna().sum()) >= most


def _located(gdf: Any, gcj02: bool) -> tuple[np.ndarray, list[dict[str, str]], list[dict]]:
    """The drawn geometries (WGS84 or GCJ-02), big areas first, and their tile properties."""
    from hedong_geo.mapdata import display_geometry, located  # the web map's own rules

    rows = located(gdf)
    geoms = np.asarray(rows.geometry.values)
    if gcj02:
        geoms = np.array([display_geometry(g, True) for g in geoms], dtype=object)
    order = np.argsort(-shapely.area(geoms), kind="stable")
    rows, geoms = rows.iloc[order], geoms[order]
    base = [
        {"id": str(i), "k": f"{g}|{b}", "s": str(s)}
        for i, g, b, s in zip(
            rows["id"], rows["group"], rows["location_basis"], rows["status"], strict=True
        )
    ]
    names = [
        {"name_zh": str(zh or ""), "name_en": str(en or "")}
        for zh, en in zip(rows["name_zh"], rows["name_en"], strict=True)
    ]
    return geoms, base, names


def _legend_counts(base: list[dict[str, str]]) -> dict[str, int]:
    """How many features the tiles draw per status and per plan group, keyed as the legend's
    rows are (``status:<status>``, ``group:<group>``): the map's legend counts a tiled layer
    from these, since it holds none of its features."""
    counts: dict[str, int] = {}
    for props in base:
        for key in (f"status:{props['s']}", f"group:{props['k'].split('|')[0]}"):
            counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def tile_key(gdf: Any, name: str, gcj02: bool = False) -> str:
    """The cache key of a layer's tiles: ``<name>-<hash>`` of everything the tiles are made of.

    Remembered per frame object while it lives (layer frames are shared and never modified:
    :class:`hedong_geo.layers.LayerSet`), so a map rebuilt from the same layers hashes once.
    """
    memo = _KEYS.get(id(gdf))
    if memo is not None and memo[0]() is gdf and memo[1] == (name, gcj02):
        return memo[2]
    key = _content_key(gdf, name, gcj02)
    _KEYS[id(gdf)] = (weakref.ref(gdf), (name, gcj02), key)
    weakref.finalize(gdf, _KEYS.pop, id(gdf), None)
    return key


def _content_key(gdf: Any, name: str, gcj02: bool) -> str:
    geoms, base, names = _located(gdf, gcj02)
    digest = hashlib.sha256()
    head = [TILER_VERSION, name, gcj02, MIN_ZOOM, MAX_ZOOM, DISPLAY_MAX_ZOOM, EXTENT, BUFFER]
    head += [COVERAGE_PX, COVERAGE_SUFFIX]
    digest.update(json.dumps(head).encode())
    digest.update(json.dumps([base, names], ensure_ascii=False, sort_keys=True).encode())
    for wkb in shapely.to_wkb(geoms, output_dimension=2):
        digest.update(wkb)
    return f"{name}-{digest.hexdigest()[:20]}"


def _to_grid(geoms: np.ndarray, zoom: int) -> np.ndarray:
    """WGS84 geometries in global tile-grid units at ``zoom`` (y down, EXTENT per tile)."""
    scale = (2**zoom) * EXTENT

    def grid(xy: np.ndarray) -> np.ndarray:
        lon, lat = xy[:, 0], np.clip(xy[:, 1], -85.05112878, 85.05112878)
        x = (lon + 180.0) / 360.0 * scale
        y = (1.0 - np.log(np.tan(np.radians(lat)) + 1 / np.cos(np.radians(lat))) / math.pi) / 2
        return np.column_stack([x, y * scale])

    return shapely.transform(geoms, grid)


def _tolerance(zoom: int) -> float:
    """Simplification tolerance in grid units: a pixel at ``zoom`` (at MAX_ZOOM: at the map's
    deepest zoom, where those tiles are drawn scaled up)."""
    px = EXTENT / TILE_PX
    return px / 2 ** (DISPLAY_MAX_ZOOM - zoom) if zoom == MAX_ZOOM else px


def _tile_shapes(geoms: np.ndarray, x: int, y: int) -> np.ndarray:
    """``geoms`` (grid units) clipped to tile (x, y) with its buffer, in whole tile units."""
    x0, y0 = x * EXTENT, y * EXTENT
    clipped = shapely.clip_by_rect(
        geoms, x0 - BUFFER, y0 - BUFFER, x0 + EXTENT + BUFFER, y0 + EXTENT + BUFFER
    )
    local = shapely.transform(clipped, lambda xy: np.round(xy - (x0, y0)))
    # MVT: exterior rings positive by the surveyor's formula in tile units (y down).
    return shapely.orient_polygons(local, exterior_cw=False)


def _small(grid: np.ndarray, zoom: int) -> np.ndarray:
    """Which shapes are areas smaller than :data:`COVERAGE_PX` pixels across at ``zoom``
    (never at MAX_ZOOM, whose tiles are the ones clicked and drawn deeper)."""
    if zoom >= MAX_ZOOM:
        return np.zeros(len(grid), dtype=bool)
    bounds = shapely.bounds(grid)
    across = np.maximum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])
    polygonal = np.isin(shapely.get_type_id(grid), (3, 6))
    return polygonal & (across < COVERAGE_PX * EXTENT / TILE_PX)


def _union(shapes: np.ndarray) -> Any:
    """The union of ``shapes``: as a coverage (fast: edges shared, nothing overlapping, as
    parcels are), checked, else by a full overlay of the repaired shapes."""
    try:
        merged = shapely.coverage_union_all(shapes)
        total = float(shapely.area(shapes).sum())
        if shapely.is_valid(merged) and abs(shapely.area(merged) - total) <= 1e-9 * total:
            return merged
    except shapely.errors.GEOSException:
        pass
    return shapely.union_all(shapely.make_valid(shapes))


def _dissolve(covered: dict[str, Any], geoms: np.ndarray, keys: np.ndarray) -> dict[str, Any]:
    """``covered`` (style key -> the area of the small shapes so far) with ``geoms`` added."""
    out = dict(covered)
    for key in sorted(set(keys.tolist())):
        parts = geoms[keys == key]
        if key in out:
            parts = np.concatenate([shapely.get_parts(out[key]), parts])
        out[key] = _union(parts)
    return out


def _coverage(covered: dict[str, Any], zoom: int) -> tuple[np.ndarray, list[dict]]:
    """The dissolved small areas at ``zoom``, one shape per style key, simplified to a pixel:
    a few shapes that show where the parcels are, instead of each parcel."""
    keys = sorted(covered)
    shapes = _to_grid(np.array([covered[k] for k in keys], dtype=object), zoom)
    shapes = shapely.simplify(shapes, EXTENT / TILE_PX, preserve_topology=True)
    keep = ~shapely.is_empty(shapes)
    return shapes[keep], [{"k": k} for k, kept in zip(keys, keep, strict=True) if kept]


def _members(grid: np.ndarray) -> dict[tuple[int, int], list[int]]:
    """(x, y) of each tile -> index of the shapes whose box (with the buffer) meets it."""
    bounds = shapely.bounds(grid)
    lo = np.floor((bounds[:, :2] - BUFFER) / EXTENT).astype(int)
    hi = np.floor((bounds[:, 2:] + BUFFER) / EXTENT).astype(int)
    members: dict[tuple[int, int], list[int]] = {}
    for i in range(len(grid)):
        for tx in range(lo[i, 0], hi[i, 0] + 1):
            for ty in range(lo[i, 1], hi[i, 1] + 1):
                members.setdefault((tx, ty), []).append(i)
    return members


def _cut_zoom(
    grid: np.ndarray,
    small: np.ndarray,
    covered: dict[str, Any],
    props: list[dict],
    zoom: int,
    name: str,
) -> dict[tuple, bytes]:
    """Every non-empty tile of one zoom: (x, y) -> MVT bytes.

    ``grid``: the layer in grid units at ``zoom``; the areas marked ``small`` are not in the
    tiles one by one, their dissolved area ``covered`` is, as the layer ``<name>:coverage``.
    """
    cover, cover_props = _coverage(covered, zoom) if covered else (np.array([]), [])
    kept = np.flatnonzero(~small)
    grid = shapely.simplify(grid[kept], _tolerance(zoom), preserve_topology=True)
    props = [props[i] for i in kept]
    drawn, covers = _members(grid), _members(cover)
    tiles = {}
    for tx, ty in sorted(set(drawn) | set(covers)):
        parts = []
        for layer, shapes, layer_props, index in (
            (name + COVERAGE_SUFFIX, cover, cover_props, covers.get((tx, ty), [])),
            (name, grid, props, drawn.get((tx, ty), [])),
        ):
            if index:
                clipped = _tile_shapes(shapes[index], tx, ty)
                parts.append((layer, clipped, [layer_props[i] for i in index]))
        data = encode_tile(parts, EXTENT)
        if data is not None:
            tiles[(tx, ty)] = data
    return tiles


def _cut(geoms: np.ndarray, base: list[dict], names: list[dict], name: str) -> dict[int, dict]:
    """Every zoom's tiles, deepest first: the small areas of a zoom are those of the zoom
    below and the ones that became small, so each area is dissolved once."""
    keys = np.array([b["k"] for b in base], dtype=object)
    covered: dict[str, Any] = {}
    was_small = np.zeros(len(geoms), dtype=bool)
    tiles = {}
    for zoom in range(MAX_ZOOM, MIN_ZOOM - 1, -1):
        grid = _to_grid(geoms, zoom)
        small = _small(grid, zoom)
        fresh = small & ~was_small
        if fresh.any():
            covered = _dissolve(covered, geoms[fresh], keys[fresh])
        was_small = small
        props = [b | n for b, n in zip(base, names, strict=True)] if zoom == MAX_ZOOM else base
        tiles[zoom] = _cut_zoom(grid, small, covered, props, zoom, name)
    return dict(sorted(tiles.items()))


def _write_tiles(out: Path, tiles: dict[int, dict[tuple, bytes]]) -> None:
    for zoom, by_tile in tiles.items():
        for (tx, ty), data in by_tile.items():
            path = out / str(zoom) / str(tx) / f"{ty}.pbf"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)


def build_tiles(gdf: Any, name: str, out: str | Path, gcj02: bool = False) -> dict[str, Any]:
    """Cut ``gdf``'s located features into ``out/<z>/<x>/<y>.pbf`` and ``out/meta.json``.

    Parameters
    ----------
    gdf : GeoDataFrame
        A layer (the layer schema's columns, WGS84).
    name : str
        The layer's name: the MVT layer inside each tile.
    out : path
        An empty or new folder (use :func:`ensure_tiles` for the cache and atomic writes).
    gcj02 : bool
        Shift the geometry to GCJ-02 first (the Gaode basemap), as the web map does.

    Returns
    -------
    dict
        The meta data written to ``meta.json``: name, zooms, bounds, feature count, counts per
        legend row (``status:<s>``, ``group:<g>``) and the list of tiles that exist per zoom.
    """
    out = Path(out)
    geoms, base, names = _located(gdf, gcj02)
    tiles = _cut(geoms, base, names, name)
    _write_tiles(out, tiles)
    west, south, east, north = (float(v) for v in shapely.total_bounds(geoms))
    meta = {
        "name": name,
        "min_zoom": MIN_ZOOM,
        "max_zoom": MAX_ZOOM,
        "extent": EXTENT,
        "bounds": [[south, west], [north, east]],
        "count": len(geoms),
        "counts": _legend_counts(base),
        "tiles": {str(z): sorted(f"{x}/{y}" for x, y in t) for z, t in tiles.items()},
    }
    (out / META).write_text(json.dumps(meta, separators=(",", ":")) + "\n", encoding="utf-8")
    return meta


def ensure_tiles(
    gdf: Any, name: str, cache: str | Path | None = None, gcj02: bool = False
) -> TileSet:
    """The layer's tiles in ``cache`` (default ``HEDONG_GEO_TILE_CACHE``), cut only if missing.

    The folder is named by :func:`tile_key`, so a changed layer gets a new folder and an
    unchanged one reuses its tiles. A folder is complete or absent: it is written beside its
    place and renamed into it (:func:`hedong_geo._io.atomic_dir`).
    """
    root = Path(cache) if cache is not None else settings.get().tile_cache
    key = tile_key(gdf, name, gcj02)
    folder = root / key
    meta_path = folder / META
    if not meta_path.is_file():
        root.mkdir(parents=True, exist_ok=True)
        atomic_dir(folder, lambda tmp: build_tiles(gdf, name, tmp, gcj02))
    mark_used(meta_path)  # so that `cache prune` keeps what is in use
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    return TileSet(name=name, key=key, folder=folder, meta=meta)


class _TiledLayer(JSCSSMixin, MacroElement):
    """A tiled layer drawn into its parent FeatureGroup by ``HedongGeo.tiles`` (vectortiles.js)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        HedongGeo.tiles({{ this._parent.get_name() }}, {{ this.options_js }});
        {% endmacro %}
        """
    )

    def __init__(self, options: dict):
        super().__init__()
        # Relative until assets.localize() puts the static folder's URL in front.
        # vectortiles.js has the tiles decoded and drawn by tileengine.js, in a Web Worker.
        self.default_js = [
            ("hedong_tileengine", "hedong/tileengine.js"),
            ("hedong_vectortiles", "hedong/vectortiles.js"),
        ]
        self._name = "HedongTiles"
        self.options_js = json_script(options)


def tile_options(tileset: TileSet, base_url: str, interactive: bool = True) -> dict[str, Any]:
    """What ``HedongGeo.tiles`` needs: the URL template, the MVT layers' names (the features
    and their dissolved small areas), zooms, bounds, the tiles that exist, and how many features
    they draw per legend row."""
    meta = tileset.meta
    return {
        "url": tileset.url(base_url),
        "layer": tileset.name,
        "coverLayer": tileset.name + COVERAGE_SUFFIX,
        "minNativeZoom": meta["min_zoom"],
        "maxNativeZoom": meta["max_zoom"],
        "extent": meta["extent"],
        "bounds": meta["bounds"],
        "tiles": meta["tiles"],
        "counts": meta.get("counts", {}),
        "interactive": interactive,
    }


def add_tiled_layer(
    parent: Any, tileset: TileSet, base_url: str, interactive: bool = True
) -> MacroElement:
    """Draw ``tileset`` into ``parent`` (a folium FeatureGroup or map); the element added.

    ``base_url`` is where the tile cache (or a copy of ``tileset.folder``'s parent) is served:
    the tiles are fetched from ``<base_url>/<key>/{z}/{x}/{y}.pbf``. A click on a tiled feature
    is found by a hit test in the browser and reported like any feature's
    (``HedongGeo.on("click")``), and ``HedongGeo.select`` highlights it.
    """
    element = _TiledLayer(tile_options(tileset, base_url, interactive))
    element.add_to(parent)
    return element
