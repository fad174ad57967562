"""The closed polylines of a DXF drawing (from CAD) as polygons, read with ezdxf.

A CAD file states no coordinate system; :mod:`hedong_geo.uploads` detects it from the numbers.
Only closed LWPOLYLINE and POLYLINE entities of the model space count as the site's outline;
anything else (text, hatches, open lines) is left out, and a drawing with no closed polyline is
an :class:`~hedong_geo._errors.UploadGeometryError`.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
from shapely.geometry import LineString, Polygon

from hedong_geo._errors import UploadFormatError, UploadGeometryError, UploadTooLargeError

__all__ = ["read_dxf"]


def read_dxf(path: Path, max_vertices: int) -> gpd.GeoDataFrame:
    """The drawing's closed polylines as polygons (no CRS), each with its layer's name."""
    import ezdxf

    try:
        doc = ezdxf.readfile(path)
    except (OSError, ezdxf.DXFStructureError, ezdxf.DXFError, UnicodeDecodeError) as exc:
        raise UploadFormatError(f"{path.name!r} cannot be read as DXF: {exc}") from None
    rows, other, vertices = [], 0, 0
    for entity in doc.modelspace().query("LWPOLYLINE POLYLINE"):
        points = (
            [(p[0], p[1]) for p in entity.vertices()]
            if entity.dxftype() == "POLYLINE"
            else [(p[0], p[1]) for p in entity.get_points("xy")]
        )
        vertices += len(points)
        if vertices > max_vertices:
            raise UploadTooLargeError(
                f"{path.name!r} has over {max_vertices} vertices; simplify the outline"
            )
        if entity.is_closed and len(points) >= 3:
            rows.append({"name": entity.dxf.layer, "geometry": Polygon(points)})
        elif len(points) >= 2:
            other += 1
            rows.append({"name": entity.dxf.layer, "geometry": LineString(points)})
    if not any(r["geometry"].geom_type == "Polygon" for r in rows):
        raise UploadGeometryError(
            f"{path.name!r} has no closed polyline ({other} open ones): draw the site's outline "
            "as a closed polyline"
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=None)
