"""The offline basemap: the Haihe as water and names to find one's way by, with no tiles.

The data is built by ``geodata/build_basemap.py`` into ``geodata/basemap/`` (sources and
accuracy in its README); :func:`load_basemap` reads it, with the district outlines and the
approximate 街道 zones, as GeoDataFrames for any drawing (the web map here, a printed figure).

:func:`add_basemap` draws it into the web map's context group (so it is under every plan layer
and toggles with the context): the river as a pale water fill, and the names of the districts,
the Line 9 stations and OpenStreetMap places as labels that take no clicks. ``js/labels.js``
shows each label from its zoom and, on every zoom and move, greedily keeps the labels that do
not collide, by priority: district names, then 街道 (:func:`street_labels_element`, used for the
streets layer's names), metro stations, major places, other places. The OpenStreetMap credit
is added to the map while the basemap is shown. Styles: ``geodata/styles.json``, key
``basemap``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
from folium import MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from hedong_geo._errors import LayerError
from hedong_geo.context import load_context
from hedong_geo.mapdata import display_geometry
from hedong_geo.paths import GEODATA
from hedong_geo.places import OSM_ATTRIBUTION
from hedong_geo.styles import load_styles
from hedong_geo.templating import json_script

__all__ = [
    "BASEMAP_DIR",
    "BASEMAP_FILES",
    "add_basemap",
    "basemap_legend_rows",
    "label_rows",
    "load_basemap",
    "street_labels_element",
]

BASEMAP_DIR = GEODATA / "basemap"
#: The files of ``geodata/basemap/`` (written by ``geodata/build_basemap.py``).
BASEMAP_FILES = ("water", "district_labels", "places", "metro")
STREETS_FILE = GEODATA / "streets" / "streets.geojson"
LABELS_JS = ("hedong_labels_js", "hedong/labels.js")
LABELS_CSS = ("hedong_labels_css", "hedong/labels.css")


def _read(path: Path) -> gpd.GeoDataFrame:
    """One basemap file; any failure is a :class:`LayerError` naming the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return gpd.GeoDataFrame.from_features(data["features"], crs="EPSG:4326")
    except FileNotFoundError:
        raise LayerError(
            f"{path.name}: not found in {str(path.parent)!r}; run python geodata/build_basemap.py"
        ) from None
    except OSError as exc:
        raise LayerError(f"{path.name}: cannot be read ({exc.strerror or exc})") from None
    except Exception as exc:  # a malformed committed file: say which, rebuild it
        raise LayerError(
            f"{path.name}: not a FeatureCollection geopandas can read ({exc!r}); rebuild it "
            "with python geodata/build_basemap.py"
        ) from None


@lru_cache(maxsize=2)
def _load(basemap_dir: str) -> dict[str, gpd.GeoDataFrame]:
    frames = {name: _read(Path(basemap_dir) / f"{name}.geojson") for name in BASEMAP_FILES}
    context = load_context()
    frames["districts"] = context["districts"]
    frames["streets"] = _read(STREETS_FILE)
    return frames


def load_basemap(basemap_dir: str | Path = BASEMAP_DIR) -> dict[str, gpd.GeoDataFrame]:
    """The basemap as GeoDataFrames in WGS84, for any drawing of it (UI-agnostic).

    Returns
    -------
    dict
        ``districts`` (outlines, from ``geodata/context``), ``water`` (the Haihe band, with
        ``width_m``, ``accuracy_m`` and their basis), ``district_labels`` (where each district's
        name is written), ``streets`` (the approximate 街道 zones, ``official_boundary`` false;
        a null geometry for 天津铁厂街道), ``places`` (OpenStreetMap places with ``class``,
        ``min_zoom``, ``major``; show "© OpenStreetMap contributors" with them) and ``metro``
        (Line 9 stations with ``accuracy_m``). Copies: change them freely.

    Raises
    ------
    LayerError
        When a file is missing or unreadable (naming it).
    """
    frames = _load(str(Path(basemap_dir)))
    return {name: frame.copy() for name, frame in frames.items()}


# --- what the browser gets ----------------------------------------------------------------------


def _name(row: Any, lang: str) -> str:
    other = "en" if lang == "zh" else "zh"
    return str(row[f"name_{lang}"] or row[f"name_{other}"])


def _xy(geom: Any, gcj02: bool) -> list[float]:
    point = display_geometry(geom, gcj02)
    return [float(np.round(point.x, 6)), float(np.round(point.y, 6))]


def label_rows(frames: dict[str, gpd.GeoDataFrame], lang: str, gcj02: bool = False) -> list[list]:
    """Every basemap label as ``[lon, lat, text, class, dot, min_zoom]``, in the order labels
    are tried (districts, metro, major places, other places; 街道 names come with their layer).

    ``class`` names a style of ``styles.json`` ``basemap.labels``; ``dot`` is a place class of
    ``basemap.places`` (the colour of its dot), ``metro``, or empty (no dot); ``min_zoom`` is
    the place's own (None: the class's)."""
    rows = []
    for _, row in frames["district_labels"].iterrows():
        cls = "hedong" if row["is_hedong"] else "district"
        name = _name(row, lang)
        rows.append([*_xy(row.geometry, gcj02), name, cls, "", None])
    for _, row in frames["metro"].iterrows():
        rows.append([*_xy(row.geometry, gcj02), _name(row, lang), "metro", "metro", None])
    for _, row in frames["places"].iterrows():
        cls = "major" if row["major"] else "other"
        zoom = int(row["min_zoom"])
        rows.append([*_xy(row.geometry, gcj02), _name(row, lang), cls, row["class"], zoom])
    return rows


def _water(frames: dict[str, gpd.GeoDataFrame], gcj02: bool) -> dict:
    features = [
        {
            "type": "Feature",
            "properties": {"id": row["id"]},
            "geometry": display_geometry(row.geometry, gcj02).__geo_interface__,
        }
        for _, row in frames["water"].iterrows()
    ]
    return {"type": "FeatureCollection", "features": features}


def _options(online: bool) -> dict:
    styles = load_styles()["basemap"]
    return {
        "water": styles["water"],
        "online": online,
        "labels": styles["labels"],
        "places": {key: s["color"] for key, s in styles["places"].items()},
        "metro": styles["metro"],
        "attribution": OSM_ATTRIBUTION,
    }


class _Direct(MacroElement):
    """Rendered as webmap's elements are (compiled once, output final)."""

    def render(self, **kwargs: Any) -> None:
        from hedong_geo.webmap import render_direct  # webmap imports this module

        render_direct(self, kwargs)


class _Call(JSCSSMixin, _Direct):
    """A call into labels.js on the parent group; loads labels.js and labels.css."""

    def __init__(self) -> None:
        super().__init__()
        # Relative until localize() puts the static folder's URL in front.
        self.default_js = [LABELS_JS]
        self.default_css = [LABELS_CSS]


class _Basemap(_Call):
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        HedongLabels.basemap({{ this._parent.get_name() }},
            {{ this.data_js }}, {{ this.options_js }});
        {% endmacro %}
        """
    )

    def __init__(self, data: dict, options: dict):
        super().__init__()
        self._name = "HedongBasemap"
        self.data_js = json_script(data)
        self.options_js = json_script(options)


class _StreetLabels(_Call):
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        HedongLabels.add({{ this._parent.get_name() }}, {{ this.data_js }}, "street");
        {% endmacro %}
        """
    )

    def __init__(self, data: dict):
        super().__init__()
        self._name = "HedongStreetLabels"
        self.data_js = json_script(data)


def add_basemap(group: Any, lang: str, *, gcj02: bool = False, online: bool = False) -> None:
    """Draw the basemap into ``group`` (the web map's context FeatureGroup).

    Parameters
    ----------
    group : folium.FeatureGroup
        Where it is drawn: it shows and hides with that group.
    lang : {"zh", "en"}
        Language of the labels (English: the districts' and stations' English names, machine
        pinyin for OpenStreetMap places, as ``geodata/basemap/README.md`` says).
    gcj02 : bool
        Shift everything to GCJ-02 (the Gaode basemap).
    online : bool
        Tiles are drawn beneath: the water is made translucent.
    """
    frames = load_basemap()
    data = {"water": _water(frames, gcj02), "labels": label_rows(frames, lang, gcj02)}
    _Basemap(data, _options(online)).add_to(group)


def street_labels_element(labels: dict) -> MacroElement:
    """The 街道 names (a FeatureCollection of points with ``n``, from
    :func:`hedong_geo.mapdata.street_features`) as labels that compete for room with the
    basemap's, at the 街道 priority; add it to the streets layer's group."""
    return _StreetLabels(labels)


def basemap_legend_rows(lang: str) -> list[dict]:
    """Legend rows of what the basemap draws: the water, the metro stations, each kind of
    place (one row per colour), and the OpenStreetMap credit."""
    styles = load_styles()["basemap"]
    water = styles["water"]
    rows = [
        {
            "kind": "area",
            "color": water["color"],
            "fill_color": water["fill_color"],
            "fill_opacity": water["fill_opacity"],
            "weight": 1,
            "label": water["label"][lang],
        },
        {
            "kind": "metro",
            "color": styles["metro"]["color"],
            "fill_color": styles["metro"]["fill_color"],
            "label": styles["metro"]["label"][lang],
        },
    ]
    seen = set()
    for s in styles["places"].values():
        label = s["label"][lang]
        if label not in seen:
            seen.add(label)
            rows.append({"kind": "place", "color": s["color"], "label": label})
    rows.append({"kind": "note", "label": styles["credit"][lang]})
    return rows
