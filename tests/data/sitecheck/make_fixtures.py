"""Write the site-check fixtures of this folder (see README.md); run from the repository root:

    .venv/bin/python tests/data/sitecheck/make_fixtures.py

One site, a 900 m × 800 m rectangle around the 天津第一机床厂 site (OpenStreetMap object
osm.area.1226944861 at 117.2724, 39.0923, as committed in geodata/osm/pois.geojson), written in
each format and coordinate system, plus the bad files. Deterministic: the same bytes each run
(but GeoPackage, Shapefile and zip files hold timestamps; the tests read them, never compare).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import ezdxf
import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import Point, box, mapping

from hedong_geo import transform

HERE = Path(__file__).resolve().parent
NAME = "天津第一机床厂 地块"
CENTRE = (117.2724, 39.0923)
HALF_M = (450.0, 400.0)


def site_wgs84():
    x, y = transform.to_metric(Point(CENTRE)).coords[0]
    return transform.from_metric(box(x - HALF_M[0], y - HALF_M[1], x + HALF_M[0], y + HALF_M[1]))


def _round(geom, digits=7):
    return shapely.set_precision(geom, 10**-digits)


def geojson(path: Path, geom, crs: str | None = None) -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {"name": NAME}, "geometry": mapping(geom)}],
    }
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def frame(geom, crs):
    return gpd.GeoDataFrame({"name": [NAME]}, geometry=[geom], crs=crs)


def dxf(path: Path, geom) -> None:
    doc = ezdxf.new()
    doc.header["$INSUNITS"] = 6  # metres
    points = list(geom.exterior.coords)[:-1]
    doc.modelspace().add_lwpolyline(points, close=True, dxfattribs={"layer": "用地红线"})
    doc.modelspace().add_text("天津第一机床厂", dxfattribs={"layer": "标注"})
    doc.saveas(path)


def bd09(geom):
    def one(coords):
        return np.array([transform.gcj02_to_bd09(x, y) for x, y in coords])

    return shapely.transform(transform.geometry_to_gcj02(geom), one)


def main() -> None:
    wgs = site_wgs84()
    gcj = transform.geometry_to_gcj02(wgs)
    geojson(HERE / "site_wgs84.geojson", _round(wgs))
    geojson(HERE / "site_gcj02_declared_wgs84.geojson", _round(gcj))
    geojson(HERE / "site_bd09.geojson", _round(bd09(wgs)))
    geojson(HERE / "site_cgcs2000_4490.geojson", _round(wgs), "urn:ogc:def:crs:EPSG::4490")
    gk39 = frame(wgs, "EPSG:4326").to_crs("EPSG:4527")
    gk39.geometry = gk39.geometry.set_precision(0.01)
    gk39.to_file(HERE / "site_cgcs2000_4527.gpkg", driver="GPKG")
    frame(_round(gcj), "EPSG:4326").to_file(HERE / "site_gcj02.kml", driver="KML")
    buffer = io.BytesIO()
    shp = HERE / "_shp"
    shp.mkdir(exist_ok=True)
    cm117 = frame(wgs, "EPSG:4326").to_crs("EPSG:4548")
    cm117.to_file(shp / "site.shp", driver="ESRI Shapefile", encoding="UTF-8")
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in sorted(shp.iterdir()):
            archive.write(part, f"site/{part.name}")
            part.unlink()
    shp.rmdir()
    (HERE / "site_cgcs2000_cm117_shp.zip").write_bytes(buffer.getvalue())
    dxf(HERE / "site_gk39.dxf", gk39.geometry.iloc[0])
    bad(wgs)


def bad(wgs) -> None:
    text = (HERE / "site_wgs84.geojson").read_text(encoding="utf-8")
    (HERE / "bad_malformed.geojson").write_text(text[: len(text) // 2], encoding="utf-8")
    geojson(HERE / "bad_points_only.geojson", Point(CENTRE))
    geojson(HERE / "bad_outside_tianjin.geojson", box(116.38, 39.90, 116.40, 39.92))
    frame(wgs, "EPSG:4326").to_crs("EPSG:3857").to_file(HERE / "bad_web_mercator.gpkg")
    with zipfile.ZipFile(HERE / "bad_oversized.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("site/site.shp", b"\0" * (60 * 1024 * 1024))
    with zipfile.ZipFile(HERE / "bad_traversal.zip", "w") as archive:
        archive.writestr("../site.shp", b"\0" * 100)
    doc = ezdxf.new()
    doc.modelspace().add_lwpolyline([(0, 0), (10, 0), (10, 10)], close=False)
    doc.saveas(HERE / "bad_open_outline.dxf")


if __name__ == "__main__":
    main()
