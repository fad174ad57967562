"""A selection of features as data: GeoJSON (RFC 7946), GeoPackage and CSV.

Pure functions build what is written (:func:`to_geojson`, :func:`csv_rows`); only
:func:`export_data` writes, through :func:`hedong_geo._io.atomic_write`, after checking the
target (:func:`hedong_geo.exports.formats.check_target`).

**Formulas in CSV.** A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@``
(or a tab or carriage return before one) as a formula, so a place name like
``=HYPERLINK("http://…")`` would become a live link or worse when the CSV is opened in Excel.
Every text cell that starts with one of these characters is written with a leading ``'``
(:func:`neutralise`), which spreadsheets show as text and do not display; numbers are written
as numbers. The GeoJSON and GeoPackage keep the text exactly.

**GeoPackage.** Each layer is one table. Writing into an existing GeoPackage (only with
``overwrite=True``) replaces the tables of the layers written and keeps every other table.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from hedong_geo import schema
from hedong_geo._errors import ExportError
from hedong_geo._io import atomic_write
from hedong_geo.citing import timeline
from hedong_geo.exports.formats import DATA_FORMATS, check_format, check_target
from hedong_geo.exports.selection import select_features
from hedong_geo.layers import PROPERTY_ORDER, LayerSet, gc_paused

__all__ = ["CSV_COLUMNS", "csv_rows", "export_data", "geojson_text", "neutralise", "to_geojson"]

# List properties (arrays in the layer schema): JSON text in a GeoPackage.
LIST_COLUMNS = schema.list_properties()
# The CSV's columns, in order: declared with the layer schema (``x-csv``), like every other
# list of layer properties.
CSV_COLUMNS = schema.csv_columns()
# What a spreadsheet reads as the start of a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_SQLITE = b"SQLite format 3\x00"


def _plain(value: Any) -> Any:
    """A JSON-ready Python value: NaN to None, numpy scalars to int/float/bool."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    return value


def _properties(row: pd.Series | dict[str, Any]) -> dict[str, Any]:
    props = {key: _plain(row.get(key)) for key in PROPERTY_ORDER}
    if isinstance(props["status_year"], float):
        props["status_year"] = int(props["status_year"])
    return props


def _wgs84(selection: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if selection.crs is None:
        raise ExportError("the selection has no CRS; set it (EPSG:4326 for layer data) first")
    missing = [c for c in ("id", "layer") if c not in selection.columns]
    if missing:
        raise ExportError(f"the selection lacks columns {missing}; expected the layer schema")
    return selection.to_crs("EPSG:4326")


def to_geojson(selection: gpd.GeoDataFrame) -> dict[str, Any]:
    """An RFC 7946 FeatureCollection of ``selection`` (WGS84, null geometry kept).

    Rows are read as plain dicts and the geometry oriented and rounded for all rows at once: a
    layer of 50,000 parcels takes seconds, not minutes (``iterrows`` builds a Series per row).
    """
    gdf = _wgs84(selection)
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    geoms = shapely.transform(shapely.orient_polygons(geoms, exterior_cw=False), _round6)
    records = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).to_dict("records")
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": _properties(row), "geometry": _mapping(geom)}
            for row, geom in zip(records, geoms, strict=True)
        ],
    }


def _round6(xy: np.ndarray) -> np.ndarray:
    return np.round(xy, 6)


def _mapping(geom: Any) -> dict[str, Any] | None:
    return None if geom is None or geom.is_empty else shapely.geometry.mapping(geom)


# --- GeoJSON text, column by column ---------------------------------------------------------

# GeoJSON types written from shapely's ragged arrays; others (rare) go through json.dumps.
_RAGGED_TYPES = {0: "Point", 1: "LineString", 3: "Polygon", 4: "MultiPoint"}
_RAGGED_TYPES |= {5: "MultiLineString", 6: "MultiPolygon"}
# Values whose JSON text is remembered: equal values of these exact types print alike.
_CACHED_TYPES = (bool, int, type(None))
# json.dumps(text, ensure_ascii=False) for a str is exactly this (json.JSONEncoder.encode).
_json_string = json.encoder.encode_basestring


class _Layout:
    """Where ``json.dumps(..., indent=indent)`` breaks lines: the text around a list or object
    whose closing bracket sits at nesting ``depth``."""

    def __init__(self, indent: int | None) -> None:
        self.indent = indent

    def pad(self, depth: int) -> str:
        return "" if self.indent is None else "\n" + " " * (depth * self.indent)

    def parts(self, depth: int) -> tuple[str, str, str]:
        """(after the opening bracket, between items, before the closing bracket)."""
        if self.indent is None:
            return "", ", ", ""
        return self.pad(depth + 1), "," + self.pad(depth + 1), self.pad(depth)

    def wrap(self, depth: int, items: list[str], brackets: str = "[]") -> str:
        if not items:
            return brackets
        start, between, end = self.parts(depth)
        return brackets[0] + start + between.join(items) + end + brackets[1]

    def dumps(self, value: Any, depth: int) -> str:
        text = json.dumps(value, ensure_ascii=False, indent=self.indent)
        return text.replace("\n", self.pad(depth)) if self.indent is not None else text


def _property_texts(gdf: gpd.GeoDataFrame, key: str, layout: _Layout) -> list[str]:
    """The JSON text of property ``key`` for every row, as :func:`to_geojson` gives it."""
    values = gdf[key].tolist() if key in gdf.columns else [None] * len(gdf)
    try:
        return list(map(_json_string, values))  # a column of text only (most of them)
    except TypeError:  # not all text: value by value
        pass
    seen: dict[tuple[type, Any], str] = {}
    texts = []
    for value in values:
        kind = type(value)
        if kind is str:
            text = _json_string(value)
        elif kind is float and key != "status_year":
            text = float.__repr__(value) if math.isfinite(value) else "null"  # as json prints
        elif kind in _CACHED_TYPES:
            text = seen.get((kind, value))
            if text is None:
                text = seen[kind, value] = layout.dumps(value, 4)
        elif kind is list and not value:
            text = "[]"
        else:
            plain = _plain(value)
            if key == "status_year" and isinstance(plain, float):
                plain = int(plain)
            text = layout.dumps(plain, 4)
        texts.append(text)
    return texts


def _json_number(value: float) -> str:
    """A float as json prints it (``NaN`` and ``Infinity`` too)."""
    return float.__repr__(value) if math.isfinite(value) else json.dumps(value)


def _position_texts(coords: np.ndarray, between: str) -> list[str]:
    """Each position's numbers as json prints them, joined by ``between``.

    Every distinct number is printed once (by its bits, so ``-0.0`` stays apart from ``0.0``):
    neighbouring parcels share most of their vertices.
    """
    coords = np.ascontiguousarray(coords, dtype=np.float64)
    bits, where = np.unique(coords.view(np.int64), return_inverse=True)
    numbers = np.array([_json_number(v) for v in bits.view(np.float64).tolist()], dtype=object)
    texts = numbers[where.reshape(coords.shape)]
    return list(map(between.join, zip(texts[:, 0].tolist(), texts[:, 1].tolist(), strict=True)))


def _coordinate_texts(geoms: np.ndarray, layout: _Layout) -> list[str]:
    """The ``coordinates`` text of geometries of one type, built from their ragged arrays:
    the positions' texts, joined ring by ring (or line, or part) with each level's separators."""
    _, coords, offsets = shapely.to_ragged_array(geoms, include_z=False)
    depth = 4 + len(offsets)  # "coordinates" sits at depth 4; one level per offsets array
    start, between, end = layout.parts(depth)
    items = [f"[{start}{pair}{end}]" for pair in _position_texts(coords, between)]
    for bounds in offsets:
        depth -= 1
        start, between, end = layout.parts(depth)
        items = [
            f"[{start}{between.join(items[a:b])}{end}]" if b > a else "[]"
            for a, b in itertools.pairwise(bounds.tolist())
        ]
    return items


def _geometry_texts(geoms: np.ndarray, layout: _Layout) -> list[str]:
    """The ``geometry`` text of every row (depth 3), by geometry type; ``null`` when empty."""
    texts = ["null"] * len(geoms)
    kinds = shapely.get_type_id(geoms)
    kinds[shapely.is_empty(geoms)] = -1  # None is -1 already
    start, between, end = layout.parts(3)
    for kind in np.unique(kinds[kinds >= 0]).tolist():
        rows = np.flatnonzero(kinds == kind)
        if kind in _RAGGED_TYPES:
            head = f'{{{start}"type": "{_RAGGED_TYPES[kind]}"{between}"coordinates": '
            for row, text in zip(rows, _coordinate_texts(geoms[rows], layout), strict=True):
                texts[row] = f"{head}{text}{end}}}"
        else:
            for row in rows:
                texts[row] = layout.dumps(_mapping(geoms[row]), 3)
    return texts


def _feature_template(layout: _Layout) -> str:
    """A feature's text with ``%s`` for each property and the geometry (``%`` escaped)."""
    keys = [json.dumps(key, ensure_ascii=False).replace("%", "%%") for key in PROPERTY_ORDER]
    properties = layout.wrap(3, [f"{key}: %s" for key in keys], "{}")
    members = ['"type": "Feature"', f'"properties": {properties}', '"geometry": %s']
    return layout.wrap(2, members, "{}")


def geojson_text(
    selection: gpd.GeoDataFrame, *, name: str | None = None, indent: int | None = None
) -> str:
    """The FeatureCollection of ``selection`` as text, built column by column.

    Byte for byte ``json.dumps({"type": "FeatureCollection", "name": name,
    **to_geojson(selection)}, ensure_ascii=False, indent=indent)`` (``name`` left out when
    None): the same properties, ring orientation and 6-decimal coordinates, each value printed
    as :mod:`json` prints it (``tests/test_geojson_text.py``). Each property column's texts are
    made in one pass (equal values once), the geometries' from shapely's ragged arrays, so a
    layer of 50,000 parcels takes about a second instead of several.
    """
    gdf = _wgs84(selection)
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    geoms = shapely.transform(shapely.orient_polygons(geoms, exterior_cw=False), _round6)
    layout = _Layout(indent)
    with gc_paused():  # a list per row and column, no cycles: full collections only cost
        columns = [_property_texts(gdf, key, layout) for key in PROPERTY_ORDER]
        columns.append(_geometry_texts(geoms, layout))
        template = _feature_template(layout)
        features = [template % row for row in zip(*columns, strict=True)]
    members = ['"type": "FeatureCollection"']
    if name is not None:
        members.append(f'"name": {layout.dumps(name, 1)}')
    members.append(f'"features": {layout.wrap(1, features)}')
    return layout.wrap(0, members, "{}")


def _gpkg_tables(selection: gpd.GeoDataFrame) -> dict[str, gpd.GeoDataFrame]:
    """One table per layer; list columns as JSON text, every column a plain OGR type."""
    gdf = _wgs84(selection)
    tables = {}
    for name, part in gdf.groupby("layer", sort=True):
        table = part.drop(columns=[c for c in part.columns if c == "geometry"]).copy()
        for col in table.columns:
            if col in LIST_COLUMNS:
                table[col] = [json.dumps(_plain(v) or [], ensure_ascii=False) for v in table[col]]
            elif col == "status_year":
                table[col] = table[col].astype("Int32")
            elif col == "accuracy_m":
                table[col] = table[col].astype("float64")
            elif col == "cross_district":
                table[col] = table[col].astype(bool)
            elif table[col].dtype == object:
                table[col] = [None if v is None else str(v) for v in table[col]]
                table[col] = table[col].astype("string")
        tables[str(name)] = gpd.GeoDataFrame(table, geometry=part.geometry.values, crs=gdf.crs)
    return tables


def _representative(geom: Any) -> tuple[Any, Any]:
    if geom is None or geom.is_empty:
        return "", ""
    point = geom if geom.geom_type == "Point" else geom.representative_point()
    return round(point.x, 6), round(point.y, 6)


def neutralise(value: Any) -> Any:
    """``value`` for a CSV cell: text that a spreadsheet would run as a formula gets a ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_rows(selection: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """One flat row per feature in :data:`CSV_COLUMNS` order; unlocated rows have no coordinates.

    The derived columns are described in the layer schema (``x-csv-derived``, shown in
    ``docs/layers.md``). Text cells are :func:`neutralise`-d.
    """
    gdf = _wgs84(selection)
    rows = []
    for (_, row), geom in zip(gdf.iterrows(), gdf.geometry, strict=True):
        lon, lat = _representative(geom)
        citations = row.get("citations") or []
        cites = " | ".join(f"{c.get('doc')} {c.get('block')}: {c.get('quote')}" for c in citations)
        steps = " | ".join(
            f"{s['year']} {s['block']}: {s['stance']} «{s['words']}»" for s in timeline(citations)
        )
        facts = " | ".join(
            f"{f['kind']} {f['value']:g} {f['unit']}"
            + (f" ({f['qualifier']})" if f["qualifier"] else "")
            + f" [{f['block']}]"
            for f in row.get("facts") or []
        )
        accuracy = _plain(row.get("accuracy_m"))
        cells = {
            **{k: _plain(row.get(k)) for k in ("id", "name_zh", "name_en", "layer")},
            **{k: _plain(row.get(k)) for k in ("category", "status")},
            "lon": lon,
            "lat": lat,
            "wkt": "" if lon == "" else shapely.to_wkt(geom, rounding_precision=6),
            "location_basis": row.get("location_basis"),
            "accuracy_m": "" if accuracy is None else accuracy,
            "geometry_source": row.get("geometry_source"),
            "citations": cites,
            "timeline": steps,
            "facts": facts,
        }
        rows.append({key: neutralise(cells[key]) for key in CSV_COLUMNS})
    return rows


def _geojson_writer(selection: gpd.GeoDataFrame):
    payload = geojson_text(selection, indent=1) + "\n"
    return lambda tmp: tmp.write_text(payload, encoding="utf-8")


def _csv_writer(selection: gpd.GeoDataFrame):
    rows = csv_rows(selection)

    def write(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8-sig", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)

    return write


def _is_geopackage(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(len(_SQLITE)) == _SQLITE
    except OSError:
        return False


def _gpkg_writer(selection: gpd.GeoDataFrame, out: Path):
    tables = _gpkg_tables(selection)
    keep = _is_geopackage(out)  # only reached with overwrite=True: update, keep other tables

    def write(tmp: Path) -> None:
        if keep:
            shutil.copyfile(out, tmp)
        for name, table in tables.items():
            pyogrio.write_dataframe(
                table,
                tmp,
                layer=name,
                driver="GPKG",
                # A layer of unlocated features only has no geometry type to infer.
                geometry_type="Unknown" if table.geometry.isna().all() else None,
                # GeoPackage 1.2: what GDAL 3.6 (Debian 12) and older QGIS read silently.
                dataset_options=None if keep else {"VERSION": "1.2"},
            )

    return write


def export_data(
    source: LayerSet | gpd.GeoDataFrame | str | os.PathLike,
    out: str | os.PathLike,
    format: str = "geojson",
    *,
    layers: Sequence[str] | None = None,
    ids: Sequence[str] | None = None,
    overwrite: bool = False,
) -> Path:
    """Write a selection as GeoJSON, GeoPackage or CSV; return ``out`` as a Path.

    Parameters
    ----------
    source : LayerSet, GeoDataFrame or path
        The layers (or a folder of layer files) to select from with ``layers`` and ``ids``, or an
        already filtered GeoDataFrame in the layer schema, written as it is.
    out : path
        The file to write; its folder must exist and its suffix match ``format``.
    format : {"geojson", "gpkg", "csv"}
        GeoJSON: RFC 7946, WGS84, unlocated features with ``"geometry": null``. GeoPackage: one
        table per layer, list columns as JSON text, unlocated features with a NULL geometry.
        CSV: UTF-8 with BOM (Excel reads the Chinese), the columns of :data:`CSV_COLUMNS`,
        formula-like text neutralised.
    overwrite : bool
        Replace an existing file; an existing GeoPackage keeps its other tables.

    Raises
    ------
    hedong_geo._errors.WriteError
        When ``out`` exists (without ``overwrite``), is named for another format, lies in the
        project's ``layers/`` or ``geodata/``, or cannot be written.
    """
    check_format(format, DATA_FORMATS)
    out = check_target(out, format, overwrite=overwrite)
    if isinstance(source, gpd.GeoDataFrame):
        selection = source
    else:
        selection = select_features(source, layers, ids)
    if selection.empty:
        raise ExportError("the selection is empty: nothing to export")
    if format == "geojson":
        write = _geojson_writer(selection)
    elif format == "csv":
        write = _csv_writer(selection)
    else:
        write = _gpkg_writer(selection, out)
    return atomic_write(out, write, overwrite=overwrite)
