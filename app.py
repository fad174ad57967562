"""Hedong Planning Explorer: the Streamlit frame. Every piece of logic lives in hedong_geo/."""

from __future__ import annotations

import copy
import html
import os
import tempfile
from pathlib import Path

import streamlit as st
from streamlit_folium import st_folium

from hedong_geo import plan, search
from hedong_geo._errors import UnknownIdError
from hedong_geo.assets import install_static
from hedong_geo.i18n import t
from hedong_geo.layers import BASES, STATUSES, LayerSet, load_layers_cached
from hedong_geo.panel import feature_detail
from hedong_geo.paths import LAYERS
from hedong_geo.projects import (
    Filters,
    apply_filters,
    coverage_summary,
    project_table,
    zone_summary,
)
from hedong_geo.reader import anchor, document_html
from hedong_geo.register import layer_titles
from hedong_geo.urlstate import VIEWS, parse_state, state_params
from hedong_geo.webmap import build_map

st.set_page_config(page_title="河东区规划地图 · Hedong Planning Explorer", layout="wide")
DOCS = Path(__file__).parent / "docs"
# Another folder of layer files (a test copy, say) instead of ./layers.
LAYERS_DIR = os.environ.get("HEDONG_GEO_LAYERS_DIR") or LAYERS
st.html((DOCS / "app.css").read_text(encoding="utf-8").join(("<style>", "</style>")))


@st.cache_resource
def _static() -> list[Path]:
    return install_static()


@st.cache_resource(max_entries=16)
def _map_html_source(
    stamp: tuple, names: tuple | None, filters: Filters, lang: str, basemap: str, selected
):
    layers = _filtered(load_layers_cached(LAYERS_DIR), filters)
    try:
        return build_map(layers, visible=names, lang=lang, basemap=basemap, selected=selected)
    except UnknownIdError:  # a stale link, or the selected feature is filtered out
        return build_map(layers, visible=names, lang=lang, basemap=basemap)


def _filtered(layers: LayerSet, filters: Filters) -> LayerSet:
    kept = {n: apply_filters(g, filters) if n != "context" else g for n, g in layers.layers.items()}
    return LayerSet(kept, layers.problems)


def _block_exists(block_id: str) -> bool:
    try:
        plan.block(block_id)
        return True
    except KeyError:
        return False


_static()
layers = load_layers_cached(LAYERS_DIR)
titles = layer_titles()
state = parse_state(
    st.query_params.to_dict(), known_layers=tuple(titles), block_exists=_block_exists
)
lang = st.sidebar.radio(
    t("language", state.lang),
    ["zh", "en"],
    index=["zh", "en"].index(state.lang),
    format_func={"zh": "中文", "en": "English"}.get,
    horizontal=True,
)
view = st.sidebar.radio(
    " ",
    VIEWS,
    index=VIEWS.index(state.view),
    label_visibility="collapsed",
    format_func=lambda v: t(f"view_{v}", lang),
    horizontal=True,
)
feature = st.session_state.get("feature", state.feature)
state = state.with_(lang=lang, view=view, feature=feature)

# --- search and filters ---------------------------------------------------------------------
query = st.sidebar.text_input(t("search", lang))
if query:
    q = query.replace(" ", "")
    places = layers.features()
    places = places[
        places.apply(
            lambda r: (
                r.layer != "context"
                and any(q in n.replace(" ", "") for n in [r.name_zh, r.name_en, *r.aliases])
            ),
            axis=1,
        )
    ]
    st.sidebar.caption(t("search_places", lang))
    for row in places.head(8).itertuples():
        if st.sidebar.button(row.name_zh if lang == "zh" else row.name_en, key=f"p-{row.id}"):
            state = state.with_(view="map", feature=row.id)
            st.session_state["feature"] = row.id
    st.sidebar.caption(t("search_passages", lang))
    for hit in search.search(query, limit=6):
        st.sidebar.html(f"<small>{html.escape(hit.block_id)}</small><br>{hit.snippet_html}")
        if st.sidebar.button(t("open_in_reader", lang), key=f"h-{hit.block_id}"):
            state = state.with_(view="reader", para=hit.block_id, doc=hit.doc)
with st.sidebar.expander(t("filters", lang)):
    names = tuple(n for n in titles if n != "context")
    chosen = st.multiselect(
        t("layers", lang),
        names,
        default=list(state.layers or names),
        format_func=lambda n: titles[n][lang],
    )
    filters = Filters(
        categories=tuple(
            st.multiselect(t("category", lang), sorted(layers.features()["category"].unique()))
        ),
        statuses=tuple(
            st.multiselect(
                t("status", lang), STATUSES, format_func=lambda s: t(f"status_{s}", lang)
            )
        ),
        docs=tuple(
            st.multiselect(
                t("document", lang), ["wr", "fyp"], format_func=lambda d: t(f"doc_{d}", lang)
            )
        ),
        bases=tuple(
            st.multiselect(
                t("location_basis", lang), BASES, format_func=lambda b: t(f"basis_{b}", lang)
            )
        ),
    )
    basemap = st.selectbox(t("basemap", lang), ["none", "osm", "gaode"])
state = state.with_(layers=None if set(chosen) == set(names) else tuple(chosen))
st.query_params.from_dict(state_params(state))
st.sidebar.caption(t("link_to_view", lang))
st.sidebar.code("?" + "&".join(f"{k}={v}" for k, v in state_params(state).items()), language=None)
if layers.problems:
    st.warning(
        t("data_problems", lang)
        + "\n\n"
        + "\n".join(f"- {html.escape(str(p))}" for p in layers.problems)
    )
for problem in state.problems:
    st.warning(t("unknown_block", lang) + " " + problem if problem.startswith("para ") else problem)

st.title(t("app_title", lang))
st.caption(t("app_subtitle", lang))


def show_detail(fid: str) -> None:
    try:
        d = feature_detail(layers, fid, lang)
    except KeyError:
        st.warning(f"{t('unknown_feature', lang)} {fid}")
        return
    st.subheader(d.name)
    st.caption(d.other_name)
    acc = f"± {d.accuracy_m:.0f} m" if d.accuracy_m else t("not_located", lang)
    st.markdown(
        f"**{t('layer', lang)}**: {d.layer_title} · **{t('status', lang)}**: {d.status}  \n"
        f"**{t('location_basis', lang)}**: {d.basis} · {acc}"
    )
    st.caption(f"{t('geometry_source', lang)}: {d.geometry_source}")
    if not d.located:
        st.info(t("not_located_note", lang))
    st.markdown(f"#### {t('passages', lang)} ({len(d.passages)})")
    for p in d.passages:
        st.html(
            f"<div class='hd-passage'><small>{html.escape(p.doc_title)} · "
            f"{html.escape(' › '.join(p.headings))} · <a href='?view=reader&para={p.block_id}'>"
            f"{p.block_id}</a></small><p>{p.html}</p></div>"
        )
    if d.related:
        st.markdown(f"#### {t('related', lang)}")
        for r in d.related:
            if st.button(f"{r.relation}: {r.name}", key=f"r-{r.id}"):
                st.session_state["feature"] = r.id
                st.rerun()


if state.view == "map":
    # The files' folder and times, so an edited or another set of layers gives a new map.
    stamp = (str(LAYERS_DIR), tuple(sorted(Path(LAYERS_DIR).glob("*.geojson"), key=str)))
    stamp += tuple(p.stat().st_mtime_ns for p in stamp[1])
    first = st.session_state.setdefault("first_feature", state.feature)
    # A copy: st_folium renames and adds elements of the map it is given, so passing the cached
    # map twice gave a different script (a remount) that referred to undefined variables.
    m = copy.deepcopy(_map_html_source(stamp, state.layers, filters, lang, basemap, first))
    map_col, panel_col = st.columns([3, 2])
    with map_col:
        out = st_folium(
            m,
            key="map",
            height=560,
            use_container_width=True,
            returned_objects=["last_active_drawing"],
        )
    clicked = ((out or {}).get("last_active_drawing") or {}).get("properties", {}).get("id")
    if clicked and clicked != st.session_state.get("clicked"):
        st.session_state["clicked"] = st.session_state["feature"] = clicked
        st.query_params["feature"] = clicked
        state = state.with_(feature=clicked)
    with panel_col:
        # Statements, not a conditional expression: Streamlit's magic would st.write its value.
        if state.feature:
            show_detail(state.feature)
        else:
            st.info(t("click_hint", lang))
elif state.view == "reader":
    doc = st.radio(
        t("document", lang),
        ["fyp", "wr"],
        index=["fyp", "wr"].index(state.doc or "fyp"),
        format_func=lambda d: t(f"doc_{d}", lang),
        horizontal=True,
    )
    with st.container(height=700):
        st.html(document_html(doc, layers, highlight=state.para, lang=lang))
    if state.para:
        # Same-origin iframe (st.iframe runs scripts; st.html would not): scroll to the block.
        script = (
            f"<script>const e=window.parent.document.getElementById('{anchor(state.para)}');"
            "if(e){e.scrollIntoView({block:'center'});}</script>"
        )
        if hasattr(st, "iframe"):
            st.iframe(script, height=1)
        else:
            st.components.v1.html(script, height=0)
elif state.view == "projects":
    table = project_table(layers, filters, lang)
    picked = st.dataframe(table, on_select="rerun", selection_mode="single-row", hide_index=True)
    if picked.selection.rows:
        st.session_state["feature"] = table.iloc[picked.selection.rows[0]]["id"]
        st.query_params.update(view="map", feature=st.session_state["feature"])
        st.rerun()
    c1, c2 = st.columns(2)
    c1.markdown(f"#### {t('coverage', lang)}")
    c1.dataframe(coverage_summary(layers, lang), hide_index=True)
    c2.markdown(f"#### {t('zones', lang)}")
    c2.dataframe(zone_summary(layers, lang=lang), hide_index=True)
else:
    st.markdown((DOCS / f"about_{lang}.md").read_text(encoding="utf-8"))

with st.sidebar.expander(t("export", lang)):
    fmt = st.selectbox(t("export_format", lang), ["png", "pdf", "svg", "geojson", "gpkg", "csv"])
    if st.button(t("export_button", lang)):
        from hedong_geo.export import export_data, export_snapshot

        with st.spinner(t("working", lang)), tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / f"hedong.{fmt}"
            chosen_layers = list(state.layers) if state.layers else None
            if fmt in ("png", "pdf", "svg"):
                export_snapshot(
                    layers,
                    out,
                    fmt,
                    layers=chosen_layers,
                    lang=lang,
                    dpi=150 if fmt == "png" else 300,
                )
            else:
                export_data(_filtered(layers, filters), out, fmt, layers=chosen_layers)
            st.download_button(t("download", lang), out.read_bytes(), file_name=out.name)
