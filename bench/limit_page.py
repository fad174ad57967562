"""The plain-Leaflet "limit" page of bench/bench_app.py: what answering a click cannot beat.

The same located features as the app's map and the same panel HTML
(:func:`hedong_geo.mapview.panel_data`), on one static page with Leaflet from the local
assets: a click fills a panel div from data the page already holds, with no Streamlit, no
iframe and no messages. Made from ``bench/templates/limit_page.html.j2`` (autoescape).
"""

from __future__ import annotations

from pathlib import Path

import jinja2
import shapely

from hedong_geo.assets import install_static
from hedong_geo.layers import LayerSet

TEMPLATES = Path(__file__).resolve().parent / "templates"


def located_features(layers: LayerSet, ids: set[str]) -> dict:
    """The features ``ids`` as a GeoJSON FeatureCollection, one feature per single part (so
    every drawn part is a Leaflet layer that knows its feature), properties ``id`` only. Drawn
    in the order that lets every feature be clicked somewhere: areas largest first, then
    lines, then points on top."""
    frame = layers.features()
    frame = frame[frame["id"].isin(ids) & frame.geometry.notna()][["id", "geometry"]]
    parts = frame.explode(index_parts=False)
    rank = parts.geom_type.map({"Polygon": 0, "LineString": 1}).fillna(2)
    parts = parts.assign(_rank=rank, _area=-shapely.area(parts.geometry.values)).sort_values(
        ["_rank", "_area"]
    )
    return parts[["id", "geometry"]].__geo_interface__


def write_limit_page(folder: Path, layers: LayerSet, panels: dict) -> str:
    """Write ``limit.html`` and the Leaflet assets into ``folder``; return the page's name.

    Parameters
    ----------
    folder : Path
        A folder to serve (``static/`` is made in it).
    layers : LayerSet
        The app's layers.
    panels : dict
        :func:`hedong_geo.mapview.panel_data` of the app: ``bounds`` names the located
        features, ``html`` their panels.
    """
    install_static(folder / "static")
    located = set(panels["bounds"])
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    page = env.get_template("limit_page.html.j2").render(
        leaflet_js="static/vendor/leaflet/leaflet.js",
        leaflet_css="static/vendor/leaflet/leaflet.css",
        features=located_features(layers, located),
        panels={fid: panels["html"][fid] for fid in located},
    )
    (folder / "limit.html").write_text(page, encoding="utf-8")
    return "limit.html"
