"""Load the layer files (``layers/*.geojson``) into GeoDataFrames.

One broken file never stops the others: :func:`load_layers` returns the layers it could read and
a list of :class:`Problem` for everything else, each naming the file, the feature and what to do.
Deeper checks (citations, figures, district) live in ``hedong_geo._validate``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import shape

from hedong_geo._errors import LayerError, UnknownIdError
from hedong_geo.paths import LAYERS

GROUPS = ("station", "belt", "park", "points", "context")
STATUSES = ("planned", "under_way", "done", "existing", "context")
BASES = ("derived", "reference", "described", "schematic", "unlocated")
REQUIRED = {
    "id": str,
    "name_zh": str,
    "name_en": str,
    "aliases": list,
    "layer": str,
    "group": str,
    "category": str,
    "status": str,
    "location_basis": str,
    "geometry_source": str,
    "cross_district": bool,
    "citations": list,
}
# The order properties are written in, so a rebuild is byte-for-byte identical.
PROPERTY_ORDER = (
    "id",
    "name_zh",
    "name_en",
    "aliases",
    "layer",
    "group",
    "category",
    "status",
    "status_year",
    "location_basis",
    "accuracy_m",
    "geometry_source",
    "cross_district",
    "parent",
    "anchors",
    "citations",
)
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
        frame = self.features()
        match = frame.index[frame["id"] == feature_id]
        if len(match):
            return frame.loc[match[0]]
        raise UnknownIdError(f"no feature with id {feature_id!r} in layers {sorted(self.layers)}")


def _check_properties(props: dict, name: str, fid: str, problems: list[Problem]) -> None:
    for key, kind in REQUIRED.items():
        if key not in props:
            problems.append(Problem(name, fid, f"property {key!r} is missing"))
        elif not isinstance(props[key], kind):
            problems.append(
                Problem(
                    name,
                    fid,
                    f"property {key!r} is {props[key]!r}; expected a {kind.__name__}",
                )
            )
    for key, allowed in (("group", GROUPS), ("status", STATUSES), ("location_basis", BASES)):
        if key in props and props[key] not in allowed:
            problems.append(
                Problem(name, fid, f"{key} is {props[key]!r}; expected one of {list(allowed)}")
            )
    acc = props.get("accuracy_m")
    if props.get("location_basis") != "unlocated" and not (
        isinstance(acc, (int, float)) and math.isfinite(acc) and acc > 0
    ):
        problems.append(
            Problem(name, fid, f"accuracy_m is {acc!r}; a located feature needs metres > 0")
        )
    for i, cite in enumerate(props.get("citations") or []):
        if not (isinstance(cite, dict) and {"doc", "block", "quote"} <= set(cite)):
            problems.append(
                Problem(name, fid, f"citation {i} is {cite!r}; expected {{doc, block, quote}}")
            )


def read_layer(path: str | Path) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Read one layer file.

    Returns the features that could be read and the problems of the others. Raises
    :class:`LayerError` when the file as a whole cannot be used (missing, not JSON, not a
    FeatureCollection, a ``crs`` member other than WGS84).
    """
    path = Path(path)
    name = path.name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LayerError(f"{name}: file not found at {str(path)!r}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LayerError(f"{name}: not valid JSON ({exc}); rebuild it with `build`") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        kind = data.get("type") if isinstance(data, dict) else type(data).__name__
        raise LayerError(f"{name}: top level is {kind!r}; expected a 'FeatureCollection'")
    if "crs" in data:
        raise LayerError(
            f"{name}: has a 'crs' member {data['crs']!r}; RFC 7946 layers are WGS84 "
            "longitude/latitude without one. Reproject to EPSG:4326 and drop it"
        )
    problems: list[Problem] = []
    rows, geoms = [], []
    for index, feat in enumerate(data.get("features") or []):
        props = feat.get("properties") if isinstance(feat, dict) else None
        if not isinstance(props, dict):
            problems.append(Problem(name, f"#{index}", "feature has no properties object"))
            continue
        fid = str(props.get("id", f"#{index}"))
        before = len(problems)
        _check_properties(props, name, fid, problems)
        try:
            geom = shape(feat["geometry"]) if feat.get("geometry") else None
        except (KeyError, TypeError, ValueError, shapely.errors.GEOSException) as exc:
            problems.append(Problem(name, fid, f"geometry cannot be read: {exc}"))
            continue
        if geom is None and props.get("location_basis") != "unlocated":
            problems.append(
                Problem(name, fid, "geometry is null but location_basis is not 'unlocated'")
            )
        if len(problems) > before:
            continue
        rows.append({key: props.get(key) for key in PROPERTY_ORDER})
        geoms.append(geom)
    gdf = gpd.GeoDataFrame(rows, columns=PROPERTY_ORDER, geometry=geoms, crs="EPSG:4326")
    if isinstance(data.get("title"), dict):
        gdf.attrs["title"] = data["title"]
    return gdf, problems


def load_layers(layers_dir: str | Path = LAYERS) -> LayerSet:
    """Read every ``*.geojson`` in ``layers_dir``; a broken file becomes a problem, not a crash."""
    result = LayerSet()
    for path in sorted(Path(layers_dir).glob("*.geojson")):
        try:
            gdf, problems = read_layer(path)
        except LayerError as exc:
            result.problems.append(Problem(path.name, None, str(exc).split(": ", 1)[-1]))
            continue
        result.layers[path.stem] = gdf
        result.problems.extend(problems)
    return result


@lru_cache(maxsize=8)
def _cached(layers_dir: str, stamp: tuple) -> LayerSet:
    return load_layers(layers_dir)


def files_stamp(layers_dir: str | Path = LAYERS) -> tuple:
    """The folder and its layer files' names and modification times: changes when they do."""
    folder = Path(layers_dir)
    files = sorted(folder.glob("*.geojson"))
    return (str(folder), *((p.name, p.stat().st_mtime_ns) for p in files))


def load_layers_cached(layers_dir: str | Path = LAYERS) -> LayerSet:
    """Like :func:`load_layers`, cached by folder and the files' modification times."""
    return _cached(str(layers_dir), files_stamp(layers_dir))
