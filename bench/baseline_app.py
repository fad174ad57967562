"""The naive baseline for bench/bench_app.py: the same layers on a default streamlit-folium map.

Every rerun builds a new folium map with all the features and every property (what
``gdf.explore()`` does: one GeoJson per layer, a tooltip of names), hands it to ``st_folium``
with its defaults (all returned objects, no key) and shows the clicked feature's passages with
the same panel code as the app. Assets are the local copies, so it runs offline too.

Run: ``.venv/bin/python -m streamlit run bench/baseline_app.py``. Not a test, not the app.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import folium

from hedong_geo.assets import localize
from hedong_geo.layers import LayerSet, load_layers


def naive_map(layers: LayerSet) -> folium.Map:
    """All layers as folium GeoJson layers with every property, built from scratch."""
    m = folium.Map(location=[39.12, 117.24], zoom_start=13, tiles=None)
    for name, gdf in layers.layers.items():
        located = gdf[gdf.geometry.notna()]
        if located.empty:
            continue
        # Single parts: Leaflet 1.9.3 cannot bind a tooltip over a GeometryCollection's group.
        data = located.explode(index_parts=False)
        data["aliases"] = data["aliases"].map(lambda a: ", ".join(a or []))
        data["citations"] = data["citations"].map(lambda cs: str(cs or []))
        data["anchors"] = data["anchors"].map(str)
        folium.GeoJson(
            data.to_json(),
            name=name,
            tooltip=folium.GeoJsonTooltip(fields=["name_zh", "name_en", "location_basis"]),
        ).add_to(m)
    folium.LayerControl().add_to(m)
    return localize(m)


def main() -> None:
    import streamlit as st
    from streamlit_folium import st_folium

    from hedong_geo.panel import detail_html, feature_detail

    st.set_page_config(page_title="baseline", layout="wide")
    layers = load_layers()  # read again on every rerun, like a script without caching
    map_col, panel_col = st.columns([3, 2])
    with map_col:
        out = st_folium(naive_map(layers), height=560, use_container_width=True)
    clicked = ((out or {}).get("last_active_drawing") or {}).get("properties", {}).get("id")
    with panel_col:
        if clicked:
            st.html(detail_html(feature_detail(layers, clicked, "zh"), "zh", related=False))
        else:
            st.info("click a feature")


if __name__ == "__main__":
    main()
