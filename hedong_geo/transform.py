"""Coordinate transforms and measures.

Three coordinate systems meet in this project:

- WGS84 longitude/latitude (EPSG:4326): every file we write (RFC 7946 GeoJSON).
- GCJ-02: Amap/Gaode and Tencent coordinates and tiles, about 550 m off WGS84 in Tianjin. It is
  not a proj CRS but a public formula; we need it to draw on the Gaode basemap and to read
  cnmaps' Amap boundaries. BD-09 (Baidu) is GCJ-02 shifted once more.
- CGCS2000 / 3-degree Gauss-Kruger zone 39, central meridian 117°E (EPSG:4527): metres, for
  areas, lengths and buffers. Geodesic measures on the WGS84 ellipsoid are offered as well.

Every function is pure. Bad input (not a geometry, a longitude or latitude out of range, a
swapped pair) raises :class:`~hedong_geo.LayerError`, a ``ValueError``.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from functools import cache
from typing import Literal, TypeVar

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Geod, Transformer
from shapely.geometry.base import BaseGeometry

from hedong_geo._errors import LayerError

__all__ = [
    "METRIC_CRS",
    "WGS84_CRS",
    "area_km2",
    "bd09_to_gcj02",
    "bd09_to_gcj02_array",
    "buffer_m",
    "from_metric",
    "gcj02_to_bd09",
    "gcj02_to_bd09_array",
    "gcj02_to_wgs84",
    "gcj02_to_wgs84_array",
    "gcj02_to_wgs84_onestep",
    "geometry_from_gcj02",
    "geometry_to_gcj02",
    "length_km",
    "to_metric",
    "wgs84_to_gcj02",
    "wgs84_to_gcj02_array",
]

WGS84_CRS = "EPSG:4326"
METRIC_CRS = "EPSG:4527"  # CGCS2000 / 3-degree Gauss-Kruger zone 39 (CM 117°E)
# Longitudes where zone 39 is meant to be used (CM ± 1.5°); outside it scale error grows fast.
METRIC_LON_RANGE = (115.5, 118.5)

Method = Literal["geodesic", "gk"]
Frame = TypeVar("Frame", gpd.GeoDataFrame, gpd.GeoSeries)

# GCJ-02: Krasovsky 1940 ellipsoid, as the public formula has it.
_A = 6378245.0
_EE = 0.00669342162296594323
# The box the public formula treats as China; outside it GCJ-02 equals WGS84.
_CHINA_LON = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)
_BD_X_PI = math.pi * 3000.0 / 180.0
_MAX_ITER = 30

_GEOD = Geod(ellps="WGS84")
_METRIC_LOCK = threading.Lock()


@cache
def _metric_transformer(source: str, target: str) -> Transformer:
    """The transformer ``source`` → ``target``, made on first use, once per process.

    PROJ chooses the operation (``Transformer.from_crs``: a database look-up, ≈ 0.3 s, so not
    at import); the transformer kept is built from that operation's pipeline, with the same
    results. Why: pyproj keeps a transformer's PROJ object per thread and every Streamlit run
    is a new thread, so a ``from_crs`` transformer would repeat the look-up in each run (80–116
    ms a click, issue 14), while a pipeline is rebuilt in microseconds.
    """
    with _METRIC_LOCK:  # two first runs at once look it up once
        chosen = Transformer.from_crs(source, target, always_xy=True)
        return Transformer.from_pipeline(chosen.definition)


def _to_metric_xy(xy: np.ndarray) -> np.ndarray:
    return np.column_stack(_metric_transformer(WGS84_CRS, METRIC_CRS).transform(*xy.T))


def _from_metric_xy(xy: np.ndarray) -> np.ndarray:
    return np.column_stack(_metric_transformer(METRIC_CRS, WGS84_CRS).transform(*xy.T))


# --- input checks -------------------------------------------------------------------------------


def _check_lonlat(lon: np.ndarray, lat: np.ndarray, what: str = "coordinate") -> None:
    """Raise LayerError naming the first bad longitude/latitude pair."""
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    if not bad.any():
        return
    i = int(np.flatnonzero(bad)[0])
    x, y = float(lon.flat[i]), float(lat.flat[i])
    hint = ""
    if abs(y) > 90 and abs(x) <= 90:
        hint = f"; it looks swapped: did you mean (lon={y!r}, lat={x!r})?"
    raise LayerError(
        f"{what} (lon={x!r}, lat={y!r}) is not WGS84 longitude/latitude: expected "
        f"-180 <= lon <= 180 and -90 <= lat <= 90 in (lon, lat) order{hint}"
    )


def _as_arrays(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    try:
        x = np.asarray(lon, dtype=float)
        y = np.asarray(lat, dtype=float)
    except (TypeError, ValueError):
        raise LayerError(
            f"lon={lon!r}, lat={lat!r}: expected numbers or arrays of numbers"
        ) from None
    if x.shape != y.shape:
        raise LayerError(f"lon has shape {x.shape} but lat has shape {y.shape}; expected equal")
    _check_lonlat(x, y)
    return x, y


def _check_geometry(geom: object) -> BaseGeometry:
    if not isinstance(geom, BaseGeometry):
        raise LayerError(f"{geom!r} is a {type(geom).__name__}; expected a shapely geometry")
    coords = shapely.get_coordinates(geom)
    _check_lonlat(coords[:, 0], coords[:, 1], what=f"{geom.geom_type} vertex")
    return geom


def _check_metric_zone(geom: BaseGeometry) -> None:
    if geom.is_empty:
        return
    west, _, east, _ = geom.bounds
    lo, hi = METRIC_LON_RANGE
    if west < lo or east > hi:
        raise LayerError(
            f"{geom.geom_type} spans longitudes {west!r}..{east!r}; {METRIC_CRS} (Gauss-Kruger "
            f"zone 39) is meant for {lo}..{hi}°E. Use method='geodesic' instead"
        )


# --- GCJ-02 -------------------------------------------------------------------------------------


def _in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (
        (lon >= _CHINA_LON[0])
        & (lon <= _CHINA_LON[1])
        & (lat >= _CHINA_LAT[0])
        & (lat <= _CHINA_LAT[1])
    )


def _gcj_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The GCJ-02 shift (degrees) at WGS84 ``lon, lat``; zero outside China."""
    x, y = lon - 105.0, lat - 35.0
    sx, pi = np.sqrt(np.abs(x)), np.pi
    common = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx + common
    dlat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx + common
    dlon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    rad = lat / 180.0 * pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * pi)
    inside = _in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02_array(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 to GCJ-02 over arrays of longitudes and latitudes (degrees).

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 longitudes and latitudes, same shape as the input; points outside China are
        returned unchanged, as the public formula does.
    """
    x, y = _as_arrays(lon, lat)
    dlon, dlat = _gcj_offset(x, y)
    return x + dlon, y + dlat


def gcj02_to_wgs84_array(lon, lat, tol: float = 1e-7) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 to WGS84 over arrays, inverting the formula by fixed-point iteration.

    The shift changes by about 2 mm per metre, so each step cuts the error about 500-fold: two
    or three steps reach ``tol`` (degrees; 1e-7° is about 1 cm), where the classic one-step
    inverse stays about 1 m off.

    Raises
    ------
    LayerError
        If the iteration does not converge (it does everywhere in China).
    """
    gx, gy = _as_arrays(lon, lat)
    wx, wy = gx.copy(), gy.copy()
    for _ in range(_MAX_ITER):
        dlon, dlat = _gcj_offset(wx, wy)
        rx, ry = gx - (wx + dlon), gy - (wy + dlat)
        if not (np.abs(rx).max(initial=0.0) > tol or np.abs(ry).max(initial=0.0) > tol):
            return wx, wy
        wx, wy = wx + rx, wy + ry
    raise LayerError(f"GCJ-02 inverse did not reach tol={tol!r}° in {_MAX_ITER} steps")


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """WGS84 to GCJ-02 (Amap/Gaode, Tencent) for one point.

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(117.2, 39.13)  # shifted about 550 m in Tianjin
    """
    x, y = wgs84_to_gcj02_array(lon, lat)
    return float(x), float(y)


def gcj02_to_wgs84(lon: float, lat: float, tol: float = 1e-7) -> tuple[float, float]:
    """GCJ-02 to WGS84 for one point; iterative, round trip error well under 1 cm."""
    x, y = gcj02_to_wgs84_array(lon, lat, tol=tol)
    return float(x), float(y)


def gcj02_to_wgs84_onestep(lon: float, lat: float) -> tuple[float, float]:
    """The classic one-step GCJ-02 inverse (subtract the shift found at the GCJ point).

    About 1 m off in Tianjin. Kept only to compare with :func:`gcj02_to_wgs84`; don't use it.
    """
    x, y = _as_arrays(lon, lat)
    dlon, dlat = _gcj_offset(x, y)
    return float(x - dlon), float(y - dlat)


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 to BD-09 (Baidu), with the public constant x_pi = π·3000/180."""
    bx, by = gcj02_to_bd09_array(*_as_arrays(lon, lat))
    return float(bx), float(by)


def bd09_to_gcj02(lon: float, lat: float, tol: float = 1e-9) -> tuple[float, float]:
    """BD-09 to GCJ-02, inverting :func:`gcj02_to_bd09` by iteration (:func:`bd09_to_gcj02_array`
    for one point)."""
    x, y = _as_arrays(lon, lat)
    gx, gy = bd09_to_gcj02_array(np.atleast_1d(x), np.atleast_1d(y), tol)
    return float(gx[0]), float(gy[0])


def gcj02_to_bd09_array(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 to BD-09 over arrays (:func:`gcj02_to_bd09` is this for one point)."""
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _BD_X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _BD_X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02_array(lon: np.ndarray, lat: np.ndarray, tol: float = 1e-9):
    """:func:`bd09_to_gcj02` over arrays, bit for bit.

    Each point stops at the step where it alone reaches ``tol``, as it does one at a time.
    """
    gx, gy = lon - 0.0065, lat - 0.006
    todo = np.arange(len(lon))
    for _ in range(_MAX_ITER):
        bx, by = gcj02_to_bd09_array(gx[todo], gy[todo])
        rx, ry = lon[todo] - bx, lat[todo] - by
        moving = (np.abs(rx) > tol) | (np.abs(ry) > tol)
        if not moving.any():
            return gx, gy
        todo, rx, ry = todo[moving], rx[moving], ry[moving]
        gx[todo] += rx
        gy[todo] += ry
    raise LayerError(f"BD-09 inverse did not reach tol={tol!r}° in {_MAX_ITER} steps")


def _transform_geometry(geom: object, func: Callable) -> BaseGeometry:
    geom = _check_geometry(geom)
    return shapely.transform(geom, lambda xy: np.column_stack(func(xy[:, 0], xy[:, 1])))


def geometry_to_gcj02(geom: BaseGeometry) -> BaseGeometry:
    """A WGS84 geometry in GCJ-02, vertex by vertex (to draw on the Gaode basemap)."""
    return _transform_geometry(geom, wgs84_to_gcj02_array)


def geometry_from_gcj02(geom: BaseGeometry, tol: float = 1e-7) -> BaseGeometry:
    """A GCJ-02 geometry (Amap, cnmaps) in WGS84, vertex by vertex, with the iterative inverse.

    Vertices shared by two geometries stay shared, so neighbouring polygons still fit.
    """
    return _transform_geometry(geom, lambda x, y: gcj02_to_wgs84_array(x, y, tol=tol))


# --- metric CRS and measures --------------------------------------------------------------------


def to_metric(data: BaseGeometry | Frame) -> BaseGeometry | Frame:
    """Project WGS84 data to EPSG:4527 (metres).

    Parameters
    ----------
    data : shapely geometry, GeoDataFrame or GeoSeries
        A bare geometry is taken as WGS84 longitude/latitude; a frame must have a CRS.
    """
    if isinstance(data, (gpd.GeoDataFrame, gpd.GeoSeries)):
        if data.crs is None:
            raise LayerError("the frame has no CRS; set it (e.g. .set_crs('EPSG:4326')) first")
        return data.to_crs(METRIC_CRS)
    geom = _check_geometry(data)
    _check_metric_zone(geom)
    return shapely.transform(geom, _to_metric_xy)


def from_metric(data: BaseGeometry | Frame) -> BaseGeometry | Frame:
    """Project EPSG:4527 data (metres) back to WGS84 longitude/latitude.

    A bare geometry is taken as EPSG:4527; a frame is projected from its own CRS.
    """
    if isinstance(data, (gpd.GeoDataFrame, gpd.GeoSeries)):
        if data.crs is None:
            raise LayerError("the frame has no CRS; set it (e.g. .set_crs('EPSG:4527')) first")
        return data.to_crs(WGS84_CRS)
    if not isinstance(data, BaseGeometry):
        raise LayerError(f"{data!r} is a {type(data).__name__}; expected a shapely geometry")
    return shapely.transform(data, _from_metric_xy)


def _check_method(method: str) -> None:
    if method not in ("geodesic", "gk"):
        raise LayerError(f"method={method!r}; expected 'geodesic' or 'gk'")


def area_km2(geom: BaseGeometry, method: Method = "geodesic") -> float:
    """Area of a WGS84 geometry in km².

    ``method="geodesic"`` measures on the WGS84 ellipsoid (pyproj.Geod); ``"gk"`` measures in
    EPSG:4527, whose scale error is under 0.01 % in Tianjin. Lines and points have area 0.
    """
    _check_method(method)
    geom = _check_geometry(geom)
    if method == "gk":
        return float(to_metric(geom).area) / 1e6
    # Geod's area is signed by ring orientation: orient so holes subtract.
    area, _ = _GEOD.geometry_area_perimeter(shapely.orient_polygons(geom))
    return abs(area) / 1e6


def length_km(geom: BaseGeometry, method: Method = "geodesic") -> float:
    """Length of a WGS84 line (or perimeter of a polygon) in km, geodesic or in EPSG:4527."""
    _check_method(method)
    geom = _check_geometry(geom)
    if method == "gk":
        return float(to_metric(geom).length) / 1e3
    return float(_GEOD.geometry_length(geom)) / 1e3


def buffer_m(geom: BaseGeometry, metres: float, **kwargs) -> BaseGeometry:
    """Buffer a WGS84 geometry by ``metres``: buffered in EPSG:4527, returned in WGS84.

    Extra keyword arguments go to :meth:`shapely.buffer` (``quad_segs``, ``cap_style``, …).
    """
    if not isinstance(metres, (int, float)) or not math.isfinite(metres):
        raise LayerError(f"metres={metres!r}; expected a finite number of metres")
    return from_metric(to_metric(geom).buffer(metres, **kwargs))
