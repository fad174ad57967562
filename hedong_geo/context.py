"""The committed context geography (``geodata/context/``): districts, Haihe frontage, points.

The files are written by ``geodata/build_context.py`` from two PyPI packages; reading them here
needs neither package. See ``geodata/context/README.md`` for sources and accuracy.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
from shapely.geometry import MultiPolygon, Polygon

from hedong_geo._errors import LayerError, UnknownIdError
from hedong_geo.paths import CONTEXT_DIR

__all__ = ["CONTEXT_FILES", "HEDONG_ADCODE", "hedong_boundary", "is_hedong", "load_context"]

CONTEXT_FILES = ("districts", "haihe_frontage", "reference_points")
HEDONG_ADCODE = "120102"


def is_hedong(feature_id: str, name_zh: str) -> bool:
    """Whether a context feature is 河东区 itself (by adcode in its id, or by name)."""
    return name_zh == "河东区" or feature_id.endswith((HEDONG_ADCODE, ".hedong"))


def _read(path: Path) -> gpd.GeoDataFrame:
    """One context file; any failure is a :class:`LayerError` naming the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LayerError(
            f"{path.name}: not found in {str(path.parent)!r}; run python geodata/build_context.py"
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise LayerError(f"{path.name}: not valid JSON ({exc}); rebuild it") from None
    except OSError as exc:
        raise LayerError(f"{path.name}: cannot be read ({exc.strerror or exc})") from None
    # from_features keeps the property order and types (bools stay bools, adcodes stay strings).
    try:
        return gpd.GeoDataFrame.from_features(data["features"], crs="EPSG:4326")
    except Exception as exc:  # a malformed committed file: say which, rebuild it
        raise LayerError(
            f"{path.name}: not a FeatureCollection geopandas can read ({exc!r}); rebuild it "
            "with python geodata/build_context.py"
        ) from None


def load_context(context_dir: str | Path = CONTEXT_DIR) -> dict[str, gpd.GeoDataFrame]:
    """The context layers as GeoDataFrames in WGS84.

    Returns
    -------
    dict
        ``districts`` (one Polygon per district, with ``adcode``, ``name_zh``, ``area_km2``,
        ``accuracy_m`` …), ``haihe_frontage`` (one LineString, north to south) and
        ``reference_points`` (the rows of ``geodata/reference/points.csv`` with ``ref_id`` and
        ``in_hedong``).
    """
    context_dir = Path(context_dir)
    return {name: _read(context_dir / f"{name}.geojson") for name in CONTEXT_FILES}


def hedong_boundary(context_dir: str | Path = CONTEXT_DIR) -> Polygon | MultiPolygon:
    """The outline of 河东区 (adcode 120102), WGS84, from the committed districts file.

    Good to about 250 m (see ``accuracy_m``): a point closer than that to the boundary is
    ambiguous.
    """
    districts = _read(Path(context_dir) / "districts.geojson")
    match = districts[districts["adcode"] == HEDONG_ADCODE]
    if match.empty:
        raise UnknownIdError(f"no district with adcode {HEDONG_ADCODE!r} in districts.geojson")
    return match.geometry.iloc[0]
