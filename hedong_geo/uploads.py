"""A site outline a user uploads, read safely into one WGS84 area for the site check.

Formats: GeoJSON, GeoPackage, a zipped Shapefile, KML (read with GDAL through pyogrio) and DXF
from CAD (read with ezdxf: its closed polylines). Coordinate systems: WGS84, CGCS2000
(EPSG:4490, and the 3-degree Gauss–Krüger projections EPSG:4513–4533 with the zone number in
the easting, 4534–4554 without), GCJ-02 and BD-09 (converted with :mod:`hedong_geo.transform`),
as the caller states (``crs=``), else as the file states, else detected from the numbers.

Safety: the file is checked against :data:`MAX_BYTES` before it is opened, a zip against
:data:`MAX_UNZIPPED` and :data:`MAX_MEMBERS` (and names that climb out of it) before anything is
unpacked, the outline against :data:`MAX_VERTICES` and :data:`MAX_FEATURES`; bytes from an
upload go to a temporary folder that is removed afterwards, never into the project's layers.
Every problem is an :class:`~hedong_geo._errors.UploadError` naming the file and what is wrong.

When a file's coordinates look shifted (a GCJ-02 file declared as WGS84: the place its
attributes name lies outside the site, or its vertices run beside the district boundary they
follow, and both fit when read as GCJ-02 or BD-09), :attr:`Site.warnings` says so.
"""

from __future__ import annotations

import os
import re
import tempfile
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
import shapely.geometry
from shapely.geometry.base import BaseGeometry

from hedong_geo import transform
from hedong_geo._dxf import read_dxf
from hedong_geo._errors import (
    UploadCRSError,
    UploadFormatError,
    UploadGeometryError,
    UploadTooLargeError,
)
from hedong_geo._shift import shift_notices
from hedong_geo.i18n import counted, t

__all__ = [
    "CRS_CHOICES",
    "MAX_BYTES",
    "MAX_VERTICES",
    "SUFFIXES",
    "Notice",
    "Site",
    "parse_crs",
    "read_site",
    "read_site_bytes",
    "site_from_drawing",
]

MAX_BYTES = 10 * 1024 * 1024
MAX_UNZIPPED = 50 * 1024 * 1024
MAX_MEMBERS = 50
MAX_VERTICES = 50_000
MAX_FEATURES = 2_000
SUFFIXES = (".geojson", ".json", ".gpkg", ".zip", ".kml", ".dxf")
#: What a user may state: a name or an EPSG code (WGS84, CGCS2000 and its GK projections).
CRS_CHOICES = ("wgs84", "cgcs2000", "gcj02", "bd09")
_GK_ZONES = range(4513, 4534)  # CGCS2000 / 3-degree GK zone 25..45 (zone number in easting)
_GK_CMS = range(4534, 4555)  # CGCS2000 / 3-degree GK CM 75E..135E (no zone number)
_TIANJIN_CM_EPSG = 4548  # CM 117°E, the meridian of Tianjin
TIANJIN_LON = (116.7, 118.1)
TIANJIN_LAT = (38.5, 40.3)


@dataclass(frozen=True)
class Notice:
    """A warning in both languages: an ``i18n.json`` key and the values it is formatted with."""

    key: str
    values: tuple[tuple[str, Any], ...] = ()

    def text(self, lang: str = "zh") -> str:
        """The warning in ``lang``; values that are notices are themselves put in ``lang``."""
        values = {k: v.text(lang) if isinstance(v, Notice) else v for k, v in self.values}
        if "n" in values:  # a count: "1 feature ... was", "2 features ... were"
            return counted(self.key, values.pop("n"), lang, **values)
        return t(self.key, lang).format(**values)


@dataclass
class Site:
    """The uploaded area in WGS84, how it was read and what to warn about."""

    name: str
    file: str
    format: str
    geometry: BaseGeometry
    crs: str  # how it was read: wgs84, cgcs2000, gcj02, bd09 or EPSG:nnnn
    crs_stated: bool
    vertices: int
    warnings: list[Notice] = field(default_factory=list)

    def crs_label(self) -> str:
        """The coordinate system as people know it (``CGCS2000 / 3° GK zone 39 (EPSG:4527)``)."""
        return crs_label(self.crs)


def crs_label(crs: str) -> str:
    """A CRS choice in words."""
    named = {
        "wgs84": "WGS84 (EPSG:4326)",
        "cgcs2000": "CGCS2000 (EPSG:4490)",
        "gcj02": "GCJ-02",
        "bd09": "BD-09",
    }
    if crs in named:
        return named[crs]
    code = int(crs.split(":")[1])
    if code in _GK_ZONES:
        return f"CGCS2000 / 3° Gauss–Krüger zone {code - 4513 + 25} ({crs})"
    if code in _GK_CMS:
        return f"CGCS2000 / 3° Gauss–Krüger CM {75 + 3 * (code - 4534)}°E ({crs})"
    return crs


def parse_crs(text: str | None) -> str | None:
    """A stated CRS (``wgs84``, ``CGCS2000``, ``GCJ-02``, ``bd09``, ``EPSG:4527``, ``4527``)
    in canonical form; None for nothing stated or ``auto``. :class:`UploadCRSError` otherwise."""
    if text is None or not str(text).strip() or str(text).strip().lower() == "auto":
        return None
    key = re.sub(r"[\s_-]", "", str(text)).lower()
    aliases = {"epsg:4326": "wgs84", "4326": "wgs84", "epsg:4490": "cgcs2000", "4490": "cgcs2000"}
    key = aliases.get(key, key)
    if key in CRS_CHOICES:
        return key
    found = re.fullmatch(r"(?:epsg:)?(\d{4,5})", key)
    if found and (int(found[1]) in _GK_ZONES or int(found[1]) in _GK_CMS):
        return f"EPSG:{found[1]}"
    raise UploadCRSError(
        f"unknown coordinate system {text!r}; expected one of {list(CRS_CHOICES)} or a CGCS2000 "
        "Gauss–Krüger EPSG code (4513–4554, e.g. EPSG:4527)"
    )


# --- reading the file -------------------------------------------------------------------------


def read_site_bytes(data: bytes, filename: str, *, crs: str | None = None) -> Site:
    """Read an upload given as bytes (a web form's): written to a private temporary folder,
    read with :func:`read_site`, and removed."""
    if len(data) > MAX_BYTES:
        raise UploadTooLargeError(_too_large(filename, len(data)))
    safe = Path(filename).name or "upload"
    with tempfile.TemporaryDirectory(prefix="hedong-site-") as folder:
        path = Path(folder) / safe
        path.write_bytes(data)
        site = read_site(path, crs=crs)
    site.file = safe
    return site


def site_from_drawing(polygon: dict, name: str) -> Site:
    """An area drawn on the map (a GeoJSON Polygon in WGS84: the map component's ``area``),
    checked as an uploaded file is (a valid area, inside Tianjin)."""
    try:
        geometry = shapely.geometry.shape(polygon)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise UploadGeometryError(f"{name!r}: the drawn area is not a polygon ({exc})") from None
    frame = gpd.GeoDataFrame({"name": [name]}, geometry=[geometry], crs="EPSG:4326")
    return _to_site(frame, name, "drawn", "wgs84")


def _too_large(name: str, size: int) -> str:
    return (
        f"{name!r} is {size / 1e6:.1f} MB; a site file may be at most {MAX_BYTES / 1e6:.0f} MB "
        "(simplify the outline or send only the site's layer)"
    )


def read_site(path: str | os.PathLike, *, crs: str | None = None) -> Site:
    """Read the site outline in ``path``; ``crs`` overrides what the file states."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise UploadFormatError(f"{str(path)!r} is not a file")
    if path.stat().st_size > MAX_BYTES:
        raise UploadTooLargeError(_too_large(name, path.stat().st_size))
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise UploadFormatError(
            f"{name!r}: cannot read {suffix or 'a file without a suffix'!r}; send GeoJSON, "
            "GeoPackage, a zipped Shapefile, KML or DXF"
        )
    try:
        stated = parse_crs(crs)
    except UploadCRSError as exc:
        raise UploadCRSError(f"{name!r}: {exc}") from None
    frame = read_dxf(path, MAX_VERTICES) if suffix == ".dxf" else _read_gdal(path, suffix)
    return _to_site(frame, name, suffix.lstrip("."), stated)


def _zip_target(path: Path) -> str:
    """The Shapefile inside a zip as a GDAL ``/vsizip/`` path, after checking the archive
    (its size unpacked, its number of members, no member outside it) without unpacking it."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile:
        raise UploadFormatError(f"{path.name!r} is not a zip archive") from None
    if len(members) > MAX_MEMBERS:
        raise UploadTooLargeError(
            f"{path.name!r} holds {len(members)} files (at most {MAX_MEMBERS})"
        )
    unzipped = sum(m.file_size for m in members)
    if unzipped > MAX_UNZIPPED:
        raise UploadTooLargeError(
            f"{path.name!r} unpacks to {unzipped / 1e6:.0f} MB "
            f"(at most {MAX_UNZIPPED / 1e6:.0f} MB)"
        )
    bad = [m.filename for m in members if m.filename.startswith(("/", "\\")) or ".." in m.filename]
    if bad:
        raise UploadFormatError(f"{path.name!r} has members outside the archive: {bad[:3]!r}")
    shapes = [m.filename for m in members if m.filename.lower().endswith(".shp")]
    if len(shapes) != 1:
        raise UploadFormatError(
            f"{path.name!r} must hold one Shapefile (*.shp with its .shx, .dbf and .prj); "
            f"it holds {len(shapes)}: {shapes[:5]!r}"
        )
    return f"/vsizip/{path}/{shapes[0]}"


def _read_gdal(path: Path, suffix: str) -> gpd.GeoDataFrame:
    """The features of a GeoJSON, GeoPackage, zipped Shapefile or KML file (its first layer)."""
    target = _zip_target(path) if suffix == ".zip" else str(path)
    try:
        info = pyogrio.read_info(target)
        if info["features"] > MAX_FEATURES:
            raise UploadTooLargeError(
                f"{path.name!r} has {info['features']} features (at most {MAX_FEATURES})"
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pyogrio.read_dataframe(target)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        message = str(exc).replace(str(path), path.name)
        raise UploadFormatError(
            f"{path.name!r} cannot be read as {suffix[1:]}: {message}"
        ) from None


# --- from the file's coordinates to a WGS84 area ----------------------------------------------


def _area(frame: gpd.GeoDataFrame, name: str) -> tuple[BaseGeometry, list[Notice]]:
    """The polygons of ``frame`` as one valid area, with notices of what was left out or
    repaired; :class:`UploadGeometryError` when there is none or it is too detailed."""
    notices = []
    geoms = [g for g in frame.geometry if g is not None and not g.is_empty]
    vertices = int(sum(shapely.get_num_coordinates(g) for g in geoms))
    if vertices > MAX_VERTICES:
        raise UploadTooLargeError(
            f"{name!r} has {vertices} vertices (at most {MAX_VERTICES}); simplify the outline"
        )
    polygons = [g for g in geoms if g.geom_type in ("Polygon", "MultiPolygon")]
    if not polygons:
        kinds = sorted({g.geom_type for g in geoms}) or ["nothing"]
        raise UploadGeometryError(
            f"{name!r} holds no area ({', '.join(kinds)}): draw the site as a closed polygon"
        )
    if len(geoms) > len(polygons):
        notices.append(Notice("site_warn_skipped", (("n", len(geoms) - len(polygons)),)))
    if len(polygons) > 1:
        notices.append(Notice("site_warn_merged", (("n", len(polygons)),)))
    if not all(p.is_valid for p in polygons):
        notices.append(Notice("site_warn_repaired"))
        polygons = [shapely.make_valid(p) for p in polygons]
    area = shapely.union_all(polygons)
    area = shapely.union_all([g for g in getattr(area, "geoms", [area]) if g.area > 0])
    if area.is_empty or area.area == 0:
        raise UploadGeometryError(f"{name!r}: the outline encloses no area")
    return area, notices


def _detect(frame: gpd.GeoDataFrame, name: str) -> tuple[str, str]:
    """The CRS of undeclared coordinates from their numbers: degrees → WGS84; a CGCS2000
    Gauss–Krüger easting with its zone number (39 500 000 …) → that zone; without one → the
    central meridian of Tianjin, 117°E. Returns (crs, what to tell the user)."""
    minx, miny, maxx, maxy = frame.total_bounds
    if minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90:
        return "wgs84", crs_label("wgs84")
    zone = int(minx // 1_000_000)
    if 25 <= zone <= 45 and int(maxx // 1_000_000) == zone and miny > 3e6 and maxy < 6e6:
        crs = f"EPSG:{4513 + zone - 25}"
        return crs, crs_label(crs)
    if minx > 1e5 and maxx < 9e5 and miny > 3e6 and maxy < 6e6:
        crs = f"EPSG:{_TIANJIN_CM_EPSG}"
        return crs, crs_label(crs)
    raise UploadCRSError(
        f"{name!r}: cannot tell the coordinate system of coordinates like "
        f"({minx:.6g}, {miny:.6g}): neither degrees nor CGCS2000 Gauss–Krüger metres; state it "
        f"(one of {list(CRS_CHOICES)} or EPSG:4513–4554)"
    )


def _stated(frame: gpd.GeoDataFrame, name: str) -> str | None:
    """The CRS the file states, when it is one we read; :class:`UploadCRSError` for others."""
    if frame.crs is None:
        return None
    code = frame.crs.to_epsg()
    if code == 4326:
        return "wgs84"
    if code == 4490:
        return "cgcs2000"
    if code in _GK_ZONES or code in _GK_CMS:
        return f"EPSG:{code}"
    raise UploadCRSError(
        f"{name!r} states the coordinate system {frame.crs.name!r} (EPSG:{code}); the site check "
        "reads WGS84, CGCS2000 and its Gauss–Krüger zones, GCJ-02 and BD-09: reproject it, or "
        "state which of those the numbers really are"
    )


def to_wgs84(geometry: BaseGeometry, crs: str) -> BaseGeometry:
    """``geometry`` in ``crs`` (a canonical choice) as WGS84 longitude/latitude."""
    if crs in ("wgs84", "cgcs2000"):
        return geometry  # CGCS2000 and WGS84 differ by less than a metre here
    if crs == "gcj02":
        return transform.geometry_from_gcj02(geometry)
    if crs == "bd09":

        def to_gcj(coords: np.ndarray) -> np.ndarray:
            return np.array([transform.bd09_to_gcj02(x, y) for x, y in coords])

        return transform.geometry_from_gcj02(shapely.transform(geometry, to_gcj))
    return gpd.GeoSeries([geometry], crs=crs).to_crs("EPSG:4326").iloc[0]


def _to_site(frame: gpd.GeoDataFrame, name: str, fmt: str, stated: str | None) -> Site:
    area, notices = _area(frame, name)
    crs, said = stated, True
    if crs is None:
        crs = _stated(frame, name)
    if crs is None and fmt in ("geojson", "json", "kml"):
        crs = "wgs84"  # RFC 7946 and KML: longitude/latitude on WGS84 unless stated
    if crs is None:
        crs, label = _detect(frame, name)
        said = False
        notices.append(Notice("site_warn_guessed", (("crs", label),)))
    wgs = to_wgs84(area, crs)
    minx, miny, maxx, maxy = wgs.bounds
    if not (
        TIANJIN_LON[0] <= minx
        and maxx <= TIANJIN_LON[1]
        and TIANJIN_LAT[0] <= miny
        and maxy <= TIANJIN_LAT[1]
    ):
        raise UploadGeometryError(
            f"{name!r}: read as {crs_label(crs)}, the site lies at lon {minx:.4f}–{maxx:.4f}, "
            f"lat {miny:.4f}–{maxy:.4f}, outside Tianjin: is the coordinate system right?"
        )
    notices += shift_notices(wgs, area, crs, _names(frame, name))
    title = next(iter(_names(frame, name)), Path(name).stem)
    return Site(
        name=title,
        file=name,
        format=fmt,
        geometry=wgs,
        crs=crs,
        crs_stated=said,
        vertices=int(shapely.get_num_coordinates(area)),
        warnings=notices,
    )


def _names(frame: gpd.GeoDataFrame, file_name: str) -> list[str]:
    """The texts that may name the site: string attributes (a ``name`` column first)."""
    columns = sorted(
        (c for c in frame.columns if c != frame.geometry.name),
        key=lambda c: c.lower() not in ("name", "名称", "title"),
    )
    found = [str(v).strip() for c in columns for v in frame[c] if isinstance(v, str) and v.strip()]
    return list(dict.fromkeys(found))[:20]
