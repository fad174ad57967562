"""Tests of hedong_geo.transform: GCJ-02 formulas, metric CRS, measures, input checks."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import LineString, Point, Polygon, box

from hedong_geo import HedongGeoError, LayerError
from hedong_geo import transform as tf

GEOD = Geod(ellps="WGS84")
TIANJIN_STATION = (117.203622, 39.137089)


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return GEOD.inv(a[0], a[1], b[0], b[1])[2]


def grid() -> tuple[np.ndarray, np.ndarray]:
    """A 20 × 20 grid over Tianjin's central districts."""
    lon, lat = np.meshgrid(np.linspace(117.0, 117.5, 20), np.linspace(38.9, 39.3, 20))
    return lon.ravel(), lat.ravel()


# --- GCJ-02 -------------------------------------------------------------------------------------


def test_gcj_offset_in_tianjin_is_about_550_m():
    gcj = tf.wgs84_to_gcj02(*TIANJIN_STATION)
    assert 500 < metres(TIANJIN_STATION, gcj) < 600
    # GCJ-02 moves Tianjin east and slightly north.
    assert gcj[0] > TIANJIN_STATION[0] and gcj[1] > TIANJIN_STATION[1]


# Published test vectors of eviltransform (github.com/googollee/eviltransform), (lon, lat).
EVILTRANSFORM_VECTORS = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),  # Shanghai
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),  # Shenzhen
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),  # Beijing
]


@pytest.mark.parametrize(("wgs", "gcj"), EVILTRANSFORM_VECTORS)
def test_published_vectors(wgs, gcj):
    assert tf.wgs84_to_gcj02(*wgs) == pytest.approx(gcj, abs=1e-9)
    assert metres(tf.gcj02_to_wgs84(*gcj), wgs) < 0.01


def test_outside_china_is_identity():
    assert tf.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert tf.gcj02_to_wgs84(-74.0, 40.7) == (-74.0, 40.7)


def test_iterative_inverse_round_trip_under_1_cm():
    gcj = tf.wgs84_to_gcj02(*TIANJIN_STATION)
    assert metres(TIANJIN_STATION, tf.gcj02_to_wgs84(*gcj)) < 0.01


def test_one_step_inverse_is_about_1_m_off():
    gcj = tf.wgs84_to_gcj02(*TIANJIN_STATION)
    error = metres(TIANJIN_STATION, tf.gcj02_to_wgs84_onestep(*gcj))
    assert 0.5 < error < 2.0


def test_array_round_trip_over_tianjin():
    lon, lat = grid()
    glon, glat = tf.wgs84_to_gcj02_array(lon, lat)
    wlon, wlat = tf.gcj02_to_wgs84_array(glon, glat)
    errors = GEOD.inv(lon, lat, wlon, wlat)[2]
    assert errors.max() < 0.01
    offsets = GEOD.inv(lon, lat, glon, glat)[2]
    assert offsets.min() > 450 and offsets.max() < 650


def test_arrays_agree_with_scalars():
    lon, lat = grid()
    glon, glat = tf.wgs84_to_gcj02_array(lon, lat)
    assert (glon[7], glat[7]) == tf.wgs84_to_gcj02(lon[7], lat[7])


def test_bd09_round_trip():
    gcj = tf.wgs84_to_gcj02(*TIANJIN_STATION)
    bd = tf.gcj02_to_bd09(*gcj)
    assert 500 < metres(gcj, bd) < 1000
    assert metres(gcj, tf.bd09_to_gcj02(*bd)) < 0.01


def test_geometry_round_trip_keeps_shape():
    square = box(117.2, 39.1, 117.21, 39.11)
    gcj = tf.geometry_to_gcj02(square)
    assert gcj.geom_type == "Polygon"
    assert shapely.get_num_coordinates(gcj) == 5
    assert 500 < metres(square.centroid.coords[0], gcj.centroid.coords[0]) < 600
    back = tf.geometry_from_gcj02(gcj)
    assert tf.to_metric(back).hausdorff_distance(tf.to_metric(square)) < 0.01


# --- metric CRS and measures --------------------------------------------------------------------


def test_known_square_area_both_methods_agree():
    # A 1 km × 1 km square built in EPSG:4527 around Hedong, measured back in WGS84.
    x, y = tf.to_metric(Point(117.22, 39.12)).coords[0]
    square = tf.from_metric(box(x, y, x + 1000, y + 1000))
    gk = tf.area_km2(square, method="gk")
    geodesic = tf.area_km2(square, method="geodesic")
    assert gk == pytest.approx(1.0, rel=1e-6)
    assert geodesic == pytest.approx(gk, rel=0.005)


def test_area_ignores_ring_orientation():
    square = box(117.2, 39.1, 117.21, 39.11)
    reversed_square = Polygon(list(square.exterior.coords)[::-1])
    assert tf.area_km2(reversed_square) == pytest.approx(tf.area_km2(square))


def test_area_subtracts_holes():
    outer = box(117.2, 39.1, 117.22, 39.12)
    hole = box(117.205, 39.105, 117.215, 39.115)
    ring = outer.difference(hole)
    expected = tf.area_km2(outer) - tf.area_km2(hole)
    assert tf.area_km2(ring) == pytest.approx(expected, rel=1e-9)


def test_length_both_methods_agree():
    line = LineString([(117.2, 39.13), (117.26, 39.08)])
    geodesic = tf.length_km(line)
    assert geodesic == pytest.approx(metres(*line.coords) / 1000)
    assert tf.length_km(line, method="gk") == pytest.approx(geodesic, rel=0.001)


def test_buffer_m_area():
    disc = tf.buffer_m(Point(117.22, 39.12), 1000, quad_segs=64)
    assert tf.area_km2(disc, method="gk") == pytest.approx(np.pi, rel=0.001)
    assert disc.bounds[0] > 117 and disc.bounds[3] < 40  # back in lon/lat


def test_metric_round_trip_and_frames():
    import geopandas as gpd

    point = Point(117.22, 39.12)
    assert tf.from_metric(tf.to_metric(point)).distance(point) < 1e-9
    frame = gpd.GeoDataFrame(geometry=[point], crs="EPSG:4326")
    assert tf.to_metric(frame).crs.to_epsg() == 4527
    assert tf.from_metric(tf.to_metric(frame)).crs.to_epsg() == 4326
    with pytest.raises(LayerError, match="no CRS"):
        tf.to_metric(gpd.GeoDataFrame(geometry=[point]))


# --- bad input ----------------------------------------------------------------------------------


def test_swapped_lat_lon_is_named():
    with pytest.raises(LayerError, match=r"looks swapped.*lon=117\.2, lat=39\.13"):
        tf.wgs84_to_gcj02(39.13, 117.2)


def test_out_of_range_and_non_numbers():
    with pytest.raises(ValueError, match=r"200\.0"):
        tf.gcj02_to_wgs84(200.0, 39.0)
    with pytest.raises(ValueError, match="nan"):
        tf.wgs84_to_gcj02(float("nan"), 39.0)
    with pytest.raises(HedongGeoError, match="'abc'"):
        tf.wgs84_to_gcj02("abc", 39.0)


def test_non_geometry_is_refused():
    for func in (tf.area_km2, tf.length_km, tf.geometry_to_gcj02, tf.to_metric):
        with pytest.raises(LayerError, match="expected a shapely geometry"):
            func([(117.2, 39.1)])
    with pytest.raises(LayerError, match="expected a shapely geometry"):
        tf.buffer_m("POINT (117 39)", 10)


def test_geometry_with_swapped_vertices_is_refused():
    with pytest.raises(LayerError, match=r"Polygon vertex.*swapped"):
        tf.area_km2(box(39.1, 117.2, 39.2, 117.3))


def test_bad_method_and_zone():
    square = box(117.2, 39.1, 117.21, 39.11)
    with pytest.raises(LayerError, match="'utm'"):
        tf.area_km2(square, method="utm")
    with pytest.raises(LayerError, match="zone 39"):
        tf.area_km2(box(121.4, 31.2, 121.5, 31.3), method="gk")  # Shanghai
    with pytest.raises(LayerError, match="metres="):
        tf.buffer_m(square, float("inf"))
