"""Load the layer files (``layers/*.geojson``) into GeoDataFrames.

One broken file never stops the others: :func:`load_layers` returns the layers it could read and
a list of :class:`Problem` for everything else, each naming the file, the feature and what to do.
Deeper checks (citations, figures, district) live in ``hedong_geo._validate``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import shape

from hedong_geo import schema
from hedong_geo._errors import LayerError, UnknownIdError
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


def _read_feature(feat: Any, name: str, stem: str, fid: str) -> tuple[dict, Any, list[Problem]]:
    """One feature's properties and shapely geometry, or the problems that stop it loading."""
    problems = [Problem(name, fid, message) for message in schema.check(feat)]
    if not problems and feat["properties"]["layer"] != stem:
        layer = feat["properties"]["layer"]
        problems.append(Problem(name, fid, f"layer is {layer!r}; expected the file stem {stem!r}"))
    if problems:
        return {}, None, problems
    try:
        geom = shape(feat["geometry"]) if feat["geometry"] is not None else None
    except Exception as exc:  # any geometry shapely cannot build is this feature's problem
        return {}, None, [Problem(name, fid, f"geometry cannot be read: {exc}")]
    return {key: feat["properties"].get(key) for key in PROPERTY_ORDER}, geom, []


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
    data = _read_json(path)
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        kind = data.get("type") if isinstance(data, dict) else type(data).__name__
        raise LayerError(f"{name}: top level is {kind!r}; expected a 'FeatureCollection'")
    top = schema.check(data, {"$ref": schema.LAYER})
    if top:
        raise LayerError(f"{name}: " + "; ".join(top))
    problems: list[Problem] = []
    rows, geoms = [], []
    for index, feat in enumerate(data["features"]):
        fid = _feature_id(feat, index)
        props, geom, found = _read_feature(feat, name, path.stem, fid)
        problems += found
        if not found:
            rows.append(props)
            geoms.append(geom)
    gdf = gpd.GeoDataFrame(rows, columns=PROPERTY_ORDER, geometry=geoms, crs="EPSG:4326")
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
    for path in sorted(folder.glob("*.geojson")):
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


def files_stamp(layers_dir: str | Path = LAYERS) -> tuple:
    """The folder and its layer files' names and modification times: changes when they do."""
    folder = Path(layers_dir)
    stamps = []
    for path in sorted(folder.glob("*.geojson")):
        try:
            stamps.append((path.name, path.stat().st_mtime_ns))
        except OSError:  # a dangling link or a loop: load_layers reports it
            stamps.append((path.name, None))
    return (str(folder), *stamps)


def load_layers_cached(layers_dir: str | Path = LAYERS) -> LayerSet:
    """Like :func:`load_layers`, cached by folder and the files' modification times."""
    return _cached(str(layers_dir), files_stamp(layers_dir))
