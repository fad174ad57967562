"""Load the layer files (``layers/*.geojson``) into GeoDataFrames.

One broken file never stops the others: :func:`load_layers` returns the layers it could read and
a list of :class:`Problem` for everything else, each naming the file, the feature and what to do.
Deeper checks (citations, figures, district) live in ``hedong_geo._validate``.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape

from hedong_geo import schema
from hedong_geo._errors import LayerError, UnknownIdError
from hedong_geo.layerfiles import files_stamp, layer_files
from hedong_geo.paths import LAYERS

# Derived from the one declaration in hedong_geo/schema/layer.schema.json (enum order = display).
GROUPS = schema.vocabulary("group")
STATUSES = schema.vocabulary("status")
BASES = schema.vocabulary("location_basis")
CATEGORIES = schema.vocabulary("category")
REQUIRED = schema.python_types()
# The order properties are written in, so a rebuild is byte-for-byte identical.
PROPERTY_ORDER = schema.property_order()
COLUMNS = [*PROPERTY_ORDER, "geometry"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a layer file: where, and what to do about it."""

    file: str
    feature: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.feature is None else f"{self.file}: feature {self.feature!r}"
        return f"{where}: {self.message}"


@dataclass
class LayerSet:
    """The layers that loaded, by name, and every problem met on the way."""

    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    _all: gpd.GeoDataFrame | None = field(default=None, repr=False, compare=False)
    _id_set: frozenset[str] | None = field(default=None, repr=False, compare=False)
    _rows: dict[str, pd.Series] = field(default_factory=dict, repr=False, compare=False)

    def features(self, names: list[str] | None = None) -> gpd.GeoDataFrame:
        """All features of the named layers (default: all) in one frame, unlocated included.

        The frame of all layers is made once and shared: filter it, do not modify it.
        """
        if names is None and self._all is not None:
            return self._all
        frames = [gdf for name, gdf in self.layers.items() if names is None or name in names]
        if frames:
            frame = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")
        else:
            frame = gpd.GeoDataFrame(columns=COLUMNS, geometry="geometry", crs="EPSG:4326")
        if names is None:
            self._all = frame
        return frame

    def feature(self, feature_id: str) -> pd.Series:
        """One feature by id; raises :class:`UnknownIdError` naming the id."""
        row = self._rows.get(feature_id)
        if row is not None:
            return row
        frame = self.features()
        match = frame.index[frame["id"] == feature_id]
        if len(match):
            # Kept: the panel of every feature looks features up by id many times over.
            self._rows[feature_id] = row = frame.loc[match[0]]
            return row
        raise UnknownIdError(f"no feature with id {feature_id!r} in layers {sorted(self.layers)}")

    def has_feature(self, feature_id: str) -> bool:
        """Whether a feature with this id loaded (a link or a click to check first)."""
        return isinstance(feature_id, str) and feature_id in self._ids()

    def _ids(self) -> frozenset[str]:
        if self._id_set is None:
            self._id_set = frozenset(self.features()["id"])
        return self._id_set


def _read_json(path: Path) -> Any:
    """The parsed file, or :class:`LayerError` saying plainly why not (never another error)."""
    name = path.name
    most = schema.limits()["max_file_bytes"]
    try:
        if path.is_dir():
            raise LayerError(f"{name}: is a folder, not a layer file")
        size = path.stat().st_size
        if size > most:
            raise LayerError(f"{name}: is {size:,} bytes; a layer file may have at most {most:,}")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise LayerError(f"{name}: file not found at {str(path)!r}") from None
    except OSError as exc:  # a symlink loop, no permission, a device …
        raise LayerError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LayerError(
            f"{name}: not valid JSON: not UTF-8 (byte {exc.start}); GeoJSON is UTF-8"
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise LayerError(f"{name}: not valid JSON ({exc}); rebuild it with `build`") from None
    except RecursionError:
        raise LayerError(f"{name}: not valid JSON: nested too deeply") from None


def _feature_id(feat: Any, index: int) -> str:
    props = feat.get("properties") if isinstance(feat, dict) else None
    fid = props.get("id") if isinstance(props, dict) else None
    return fid if isinstance(fid, str) and fid else f"#{index}"


def _feature_problems(feat: Any, name: str, stem: str, fid: str) -> list[Problem]:
    """What stops one feature loading (the schema, its layer), as the user reads it."""
    problems = [Problem(name, fid, message) for message in schema.check_slow(feat)]
    if not problems and feat["properties"]["layer"] != stem:
        layer = feat["properties"]["layer"]
        problems.append(Problem(name, fid, f"layer is {layer!r}; expected the file stem {stem!r}"))
    return problems


# How deep each GeoJSON type nests its positions, and its shapely type, to build a layer's
# geometries in one call per type (shapely.from_ragged_array) instead of one shape() each.
_NESTING = {
    "Point": 0,
    "MultiPoint": 1,
    "LineString": 1,
    "MultiLineString": 2,
    "Polygon": 2,
    "MultiPolygon": 3,
}


def _build_all(kind: str, coordinates: list[Any]) -> np.ndarray:
    """The geometries of one GeoJSON ``kind`` from their (schema-checked) coordinates."""
    levels, offsets = coordinates, []
    for _ in range(_NESTING[kind]):
        parts: list[Any] = []
        ends = [0]
        for item in levels:
            parts.extend(item)
            ends.append(len(parts))
        offsets.append(np.asarray(ends))
        levels = parts
    positions = np.asarray(levels, dtype=float)  # 2-D and 3-D mixed: raises, built one by one
    kind_id = shapely.GeometryType[kind.upper()]  # LineString: LINESTRING …
    return shapely.from_ragged_array(kind_id, positions, tuple(reversed(offsets)) or None)


def _geometries(mappings: list[Any]) -> list[Any]:
    """A shapely geometry (or None) for each GeoJSON geometry mapping, or the text of why not."""
    out: list[Any] = [None] * len(mappings)
    by_kind: dict[str, list[int]] = {}
    for index, mapping in enumerate(mappings):
        if mapping is not None:
            by_kind.setdefault(mapping["type"], []).append(index)
    for kind, indices in by_kind.items():
        try:
            built = list(_build_all(kind, [mappings[i]["coordinates"] for i in indices]))
        except Exception:  # anything the batch cannot take is built (or refused) one by one
            built = [_one_geometry(mappings[i]) for i in indices]
        for index, geom in zip(indices, built, strict=True):
            out[index] = geom
    return out


def _one_geometry(mapping: dict) -> Any:
    try:
        return shape(mapping)
    except Exception as exc:  # any geometry shapely cannot build is this feature's problem
        return f"geometry cannot be read: {exc}"


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a file's objects are made (read here, checked by
    :mod:`hedong_geo._validate`, written by :mod:`hedong_geo.exports.data`). They hold no
    cycles, and full collections while a large file's millions of lists were allocated took
    most of its reading time (a 38 MB file: 4.4 s to parse, 1 s without)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read_features(features: list, name: str, stem: str) -> tuple[gpd.GeoDataFrame, list]:
    """The features that load, as a frame, and the problems of those that do not.

    A feature the compiled validator finds valid is taken as it is; only one with a problem is
    looked at with the slow validator, whose lines name what is wrong.
    """
    found: list[tuple[int, Problem]] = []  # (feature index, problem): reported in file order
    kept: list[tuple[int, str]] = []
    rows, mappings = [], []
    for index, feat in enumerate(features):
        fast = schema.is_valid(feat) and feat["properties"]["layer"] == stem
        fid = _feature_id(feat, index)
        problems = [] if fast else _feature_problems(feat, name, stem, fid)
        found += [(index, problem) for problem in problems]
        if not problems:
            props = feat["properties"]
            rows.append(list(map(props.get, PROPERTY_ORDER)))
            mappings.append(feat["geometry"])
            kept.append((index, fid))
    geoms = _geometries(mappings)
    bad = {i for i, geom in enumerate(geoms) if isinstance(geom, str)}
    if bad:
        found += [(kept[i][0], Problem(name, kept[i][1], geoms[i])) for i in sorted(bad)]
        rows = [row for i, row in enumerate(rows) if i not in bad]
        geoms = [geom for i, geom in enumerate(geoms) if i not in bad]
    found.sort(key=lambda item: item[0])
    problems = [problem for _, problem in found]
    frame = gpd.GeoDataFrame(rows, columns=PROPERTY_ORDER, geometry=geoms, crs="EPSG:4326")
    return frame, problems


def read_layer(path: str | Path) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Read one layer file.

    Every feature is checked against the layer schema (``hedong_geo/schema/layer.schema.json``);
    a feature that breaks it is left out and reported with the file, its id and each problem,
    and the others load. Raises :class:`LayerError` when the file as a whole cannot be used
    (missing, a folder, unreadable, too large, not UTF-8 JSON, not a FeatureCollection, a
    ``crs`` member).
    """
    path = Path(path)
    name = path.name
    with gc_paused():
        data = _read_json(path)
        if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
            kind = data.get("type") if isinstance(data, dict) else type(data).__name__
            raise LayerError(f"{name}: top level is {kind!r}; expected a 'FeatureCollection'")
        top = schema.check(data, {"$ref": schema.LAYER})
        if top:
            raise LayerError(f"{name}: " + "; ".join(top))
        gdf, problems = _read_features(data["features"], name, path.stem)
    if isinstance(data.get("title"), dict):
        gdf.attrs["title"] = data["title"]
    return gdf, problems


def _not_a_folder(folder: Path) -> str | None:
    """Why ``folder`` cannot be read as a folder of layer files, or None when it can."""
    try:
        if folder.is_dir():
            return None
        folder.stat()
    except FileNotFoundError:
        return "does not exist; expected a folder of layer files"
    except OSError as exc:  # a symlink loop, no permission …
        return f"cannot be read ({exc.strerror or exc}); expected a folder of layer files"
    return "is a file, not a folder of layer files"


def load_layers(layers_dir: str | Path = LAYERS) -> LayerSet:
    """Read every ``*.geojson`` in ``layers_dir``; a broken file becomes a problem, not a crash."""
    result = LayerSet()
    folder = Path(layers_dir)
    why = _not_a_folder(folder)
    if why:
        result.problems.append(Problem(str(folder), None, why))
        return result
    for path in layer_files(folder):
        try:
            gdf, problems = read_layer(path)
        except LayerError as exc:
            result.problems.append(Problem(path.name, None, str(exc).split(": ", 1)[-1]))
            continue
        except Exception as exc:  # never let one file stop the others; say what happened
            message = f"cannot be read: {type(exc).__name__}: {exc}"
            result.problems.append(Problem(path.name, None, message))
            continue
        result.layers[path.stem] = gdf
        result.problems.extend(problems)
    if not result.layers and not result.problems:
        result.problems.append(Problem(str(folder), None, "holds no layer files (*.geojson)"))
    return result


@lru_cache(maxsize=8)
def _cached(layers_dir: str, stamp: tuple) -> LayerSet:
    return load_layers(layers_dir)


def load_layers_cached(layers_dir: str | Path = LAYERS) -> LayerSet:
    """Like :func:`load_layers`, cached by folder and the files' modification times."""
    return _cached(str(layers_dir), files_stamp(layers_dir))
