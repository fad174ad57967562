"""GeoJSON built column by column is byte-identical to the row-by-row text it replaces.

:func:`hedong_geo.exports.data.geojson_text` writes ``publish``'s ``data/<layer>.geojson`` (no
indent, with the layer's name) and ``export``'s GeoJSON (``indent=1``).
``bench/baseline_validate.py`` keeps the row-by-row writer as it was (``to_geojson`` then
``json.dumps``); every test compares the two texts in full: the real layers, generated parcels,
and a frame with every geometry type and every odd value the writer must print as json does.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely

from bench.baseline_validate import geojson_rowwise
from bench.parcels import make_parcels
from hedong_geo.exports.data import export_data, geojson_text
from hedong_geo.layers import PROPERTY_ORDER, load_layers
from hedong_geo.paths import LAYERS

LAYOUTS = [{"name": "x"}, {"indent": 1}, {}, {"indent": 3, "name": '名 "%s"'}]


def _same(frame: gpd.GeoDataFrame, **layout) -> str:
    text = geojson_text(frame, **layout)
    assert text == geojson_rowwise(frame, **layout)
    return text


@pytest.mark.parametrize("layout", LAYOUTS, ids=str)
def test_the_real_layers_are_written_byte_for_byte_as_before(layout):
    layers = load_layers(LAYERS)
    assert len(layers.layers) > 5
    for frame in layers.layers.values():
        _same(frame, **layout)
    _same(layers.features(), **layout)  # every geometry type and the unlocated, in one frame


@pytest.mark.parametrize("layout", [{"name": "parcels"}, {"indent": 1}], ids=str)
def test_generated_parcels_are_written_byte_for_byte_as_before(layout):
    text = _same(make_parcels(2000), **layout)
    assert text.count('"gen.parcel.') == 2000


def _odd_frame() -> gpd.GeoDataFrame:
    """Every geometry type (clockwise rings, a hole, an empty and a missing geometry, long
    decimals) and the values json must print alike: NaN, floats, numpy scalars and arrays,
    text needing escapes, a missing column."""
    cw = [(117.2, 39.1), (117.2, 39.2), (117.3, 39.2), (117.2, 39.1)]  # clockwise
    hole = [(117.22, 39.12), (117.24, 39.12), (117.24, 39.14), (117.22, 39.12)]
    geoms = [
        shapely.Point(117.123456789, -0.0),
        shapely.LineString([(117.1, 39.1), (117.2000004, 39.25), (117.3, 1e-7), (0.0, -0.0)]),
        shapely.Polygon(cw, [hole]),
        shapely.MultiPoint([(117.1, 39.1), (117.2, 39.2)]),
        shapely.MultiLineString([[(117.1, 39.1), (117.2, 39.2)], [(117.3, 39.3), (117.4, 39.4)]]),
        shapely.MultiPolygon([shapely.Polygon(cw), shapely.Polygon(hole)]),
        shapely.GeometryCollection([shapely.Point(117.1, 39.1), shapely.LineString(cw)]),
        shapely.Polygon(),
        None,
    ]
    n = len(geoms)
    rows = [{key: None for key in PROPERTY_ORDER if key != "street"} for _ in range(n)]
    for i, row in enumerate(rows):
        row.update(id=f"odd.{i}", name_zh='引号"、反斜杠\\、换行\n、%s 与 \u2028', layer="odd")
        row.update(aliases=[] if i % 2 else ["别名", "x"], citations=[], facts=[])
        row.update(anchors=np.array(["a", "b"]) if i == 3 else [], cross_district=bool(i % 2))
        row.update(status_year=[None, 2025, 2030.0, np.int64(2035)][i % 4])
        row.update(accuracy_m=[math.nan, 12.5, np.float64(0.1), 3, 1e-7][i % 5])
        row.update(group=np.str_("points"), parent=np.bool_(True) if i == 2 else None)
    rows[1]["citations"] = [{"doc": "fyp", "block": "fyp.ch1", "quote": "一\t二", "marks": [1]}]
    rows[2]["facts"] = [{"kind": "area", "value": 1.5, "unit": "km²", "qualifier": None}]
    return gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")


@pytest.mark.parametrize("layout", LAYOUTS, ids=str)
def test_every_geometry_type_and_odd_value_is_written_as_json_writes_it(layout):
    frame = _odd_frame()
    text = _same(frame, **layout)
    assert text.count('"geometry": null') == 2  # the empty and the missing geometry
    assert "0.0" in text and "-0.0" in text and "1e-07" in text
    _same(frame.iloc[:0], **layout)  # no features
    _same(frame.to_crs("EPSG:3857"), **layout)  # reprojected to WGS84 first


def test_export_writes_the_same_file_as_before(tmp_path):
    frame = load_layers(LAYERS).features()
    out = export_data(frame, tmp_path / "all.geojson", "geojson")
    assert out.read_text(encoding="utf-8") == geojson_rowwise(frame, indent=1) + "\n"
