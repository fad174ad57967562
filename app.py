"""Hedong Planning Explorer: the Streamlit frame. Every piece of logic lives in hedong_geo/."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit_folium import st_folium

from hedong_geo import plan, projects, search, settings
from hedong_geo._errors import HedongGeoError
from hedong_geo.assets import serve
from hedong_geo.exports import FORMATS, export_to
from hedong_geo.i18n import LANGS, t
from hedong_geo.indicators import indicators_html
from hedong_geo.layers import BASES, STATUSES, files_stamp, load_layers_cached
from hedong_geo.limits import Busy, ExportLimiter
from hedong_geo.links import AppLinks
from hedong_geo.mapdata import highlight_target
from hedong_geo.panel import detail_html, feature_detail
from hedong_geo.reader import document_html, scroll_script
from hedong_geo.register import layer_titles
from hedong_geo.templating import Markup, render
from hedong_geo.urlstate import VIEWS, parse_state, problem_messages, state_params
from hedong_geo.webmap import build_map, selection_group, view_for

st.set_page_config(page_title="河东区规划地图 · Hedong Planning Explorer", layout="wide")
DOCS = Path(__file__).parent / "docs"
LAYERS_DIR = settings.get().layers_dir  # HEDONG_GEO_LAYERS_DIR, e.g. a test copy


@st.cache_resource
def export_limiter() -> ExportLimiter:
    """One export limiter for the whole server process."""
    return ExportLimiter()


@st.cache_resource
def page_style() -> str:
    """The app's stylesheet (docs/app.css, a file of the project) as a <style> element."""
    return render("app_style.html.j2", css=Markup((DOCS / "app.css").read_text(encoding="utf-8")))


st.html(page_style())
asset_url = serve()  # Leaflet & co. served from the installed packages


@st.cache_resource(max_entries=16)
def shown_layers(stamp: tuple, filters: projects.Filters):
    """The layers with the filters applied, made once per folder state and filters."""
    return projects.filter_layers(load_layers_cached(LAYERS_DIR), filters)


@st.cache_resource(max_entries=256)
def cached_detail(stamp: tuple, feature_id: str, lang: str):
    """The panel's content for a feature (raises UnknownIdError for a stale id)."""
    return feature_detail(load_layers_cached(LAYERS_DIR), feature_id, lang)


@st.cache_resource(max_entries=16)
def cached_map(
    stamp: tuple, names: tuple | None, filters: projects.Filters, lang: str, basemap: str
):
    """The base map: the same for every click, so st_folium never rebuilds it."""
    shown = shown_layers(stamp, filters)
    return build_map(shown, visible=names, lang=lang, basemap=basemap, asset_base=asset_url)


def select(feature_id: str, view: str = "map") -> None:
    """Show a feature chosen outside the map (search, table, related): the map flies to it."""
    st.session_state.update(feature=feature_id, focus=feature_id)
    st.query_params.update(view=view, feature=feature_id)
    st.query_params.pop("para", None)


stamp = files_stamp(LAYERS_DIR)
layers = load_layers_cached(LAYERS_DIR)
titles = layer_titles()
state = parse_state(
    {k: st.query_params.get_all(k) for k in st.query_params},
    known_layers=tuple(titles),
    block_exists=plan.has_block,
    feature_exists=layers.has_feature,
)
lang = st.sidebar.radio(
    t("language", state.lang),
    LANGS,
    index=LANGS.index(state.lang),
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
state = state.with_(lang=lang, view=view, feature=st.session_state.get("feature", state.feature))
links = AppLinks(lang)

query = st.sidebar.text_input(t("search", lang))
if query:
    st.sidebar.caption(t("search_places", lang))
    for fid, zh, en in projects.find_places(layers, query):
        st.sidebar.button(zh if lang == "zh" else en, key=f"p-{fid}", on_click=select, args=(fid,))
    st.sidebar.caption(t("search_passages", lang))
    for hit in search.search(query, limit=6):
        st.sidebar.html(render("search_hit.html.j2", hit=hit))
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
    picks = {
        key: tuple(st.multiselect(t(label, lang), options, format_func=fmt))
        for key, label, options, fmt in (
            ("categories", "category", projects.categories(layers), lambda c: t(f"cat_{c}", lang)),
            ("statuses", "status", STATUSES, lambda s: t(f"status_{s}", lang)),
            ("docs", "document", ["wr", "fyp"], lambda d: t(f"doc_{d}", lang)),
            ("bases", "location_basis", BASES, lambda b: t(f"basis_{b}", lang)),
        )
    }
    filters = projects.Filters(**picks)
    online = list(settings.get().basemaps)
    basemap = st.selectbox(
        t("basemap", lang), ["none", *online], format_func=lambda n: t(f"map_{n}", lang)
    )
state = state.with_(layers=None if set(chosen) == set(names) else tuple(chosen))
st.query_params.from_dict(state_params(state))
link_box = st.sidebar.empty()  # filled last, when a click in this run has changed the view
if layers.problems:
    st.warning(t("data_problems", lang) + "\n" + "\n".join(f"- `{p}`" for p in layers.problems))
for message in problem_messages(state, lang):
    st.warning(message)
st.title(t("app_title", lang))
st.caption(t("app_subtitle", lang))


def show_detail(feature_id: str) -> None:
    try:
        detail = cached_detail(stamp, feature_id, lang)
    except KeyError:
        st.warning(f"{t('unknown_feature', lang)} {feature_id}")
        return
    st.html(detail_html(detail, lang, links, related=False))
    if not detail.located and not detail.zone:
        st.info(t("not_located_note", lang))
    if detail.related:
        st.markdown(f"#### {t('related', lang)}")
    for r in detail.related:
        st.button(f"{r.relation}: {r.name}", key=f"r-{r.id}", on_click=select, args=(r.id,))


if state.view == "map":
    # The map's last click, as st_folium left it under its key: read before drawing, so the
    # panel and the highlight follow it in this same run.
    clicked = (
        ((st.session_state.get("map") or {}).get("last_active_drawing") or {})
        .get("properties", {})
        .get("id")
    )
    if clicked and clicked != st.session_state.get("clicked"):
        st.session_state.update(clicked=clicked, feature=clicked)
        st.query_params["feature"] = clicked
        state = state.with_(feature=clicked, para=None)
        try:  # a stale id (the layers changed under the page) is reported by the panel below
            name = layers.feature(clicked)["name_zh" if lang == "zh" else "name_en"]
            st.toast(f"{t('selected_toast', lang)} {name}")  # on a phone the panel is below
        except KeyError:
            pass
    shown = shown_layers(stamp, filters)
    in_shown = state.feature in set(shown.features()["id"])
    # What the map highlights: the feature, or for a place tied only to a zone, the zone.
    selected = highlight_target(shown, state.feature) if in_shown else None
    if state.feature and not in_shown and state.feature in set(layers.features()["id"]):
        st.warning(f"{t('feature_filtered', lang)} {state.feature}")
    # A copy: st_folium renames elements of the map it is given, and the cached one is reused.
    m = copy.deepcopy(cached_map(stamp, state.layers, filters, lang, basemap))
    focus = st.session_state.pop("focus", None) or st.session_state.pop("first", state.feature)
    st.session_state["first"] = None  # a link's feature is flown to once, on opening
    flying = selected and focus and focus == state.feature
    view_here = view_for(shown, selected, (480, 560)) if flying else None
    map_col, panel_col = st.columns([3, 2])
    with map_col:
        st_folium(
            m,
            key="map",
            height=560,
            use_container_width=True,
            returned_objects=["last_active_drawing"],
            center=view_here[0] if view_here else None,
            zoom=view_here[1] if view_here else None,
            feature_group_to_add=selection_group(shown, selected) if selected else None,
        )
    with panel_col:
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
        st.html(document_html(doc, layers, highlight=state.para, lang=lang, links=links))
    if state.para:
        st.components.v1.html(scroll_script(state.para), height=0)
elif state.view == "projects":
    table = projects.project_table(layers, filters, lang)
    picked = st.dataframe(table, on_select="rerun", selection_mode="single-row", hide_index=True)
    if picked.selection.rows:
        select(table.iloc[picked.selection.rows[0]]["id"])
        st.rerun()
    left, right = st.columns(2)
    left.markdown(f"#### {t('coverage', lang)}")
    left.dataframe(projects.coverage_summary(layers, lang), hide_index=True)
    right.markdown(f"#### {t('zones', lang)}")
    right.dataframe(projects.zone_summary(layers, lang=lang), hide_index=True)
elif state.view == "indicators":
    st.html(indicators_html(lang, links))
else:
    st.markdown((DOCS / f"about_{lang}.md").read_text(encoding="utf-8"))

with st.sidebar.expander(t("export", lang)):
    fmt = st.selectbox(t("export_format", lang), FORMATS)
    if st.button(t("export_button", lang)):
        try:  # a few exports at once per process, one per session (hedong_geo.limits)
            with (
                export_limiter().slot(get_script_run_ctx().session_id),
                st.spinner(t("working", lang)),
                tempfile.TemporaryDirectory() as tmp,
            ):
                out_file = Path(tmp) / f"hedong.{fmt}"
                layer_names = list(state.layers) if state.layers else None
                options = {"dpi": 300} if fmt == "png" else {}
                export_to(
                    shown_layers(stamp, filters),
                    out_file,
                    fmt,
                    layers=layer_names,
                    feature=state.feature if fmt == "html" else None,
                    lang=lang,
                    **options,
                )
                st.download_button(
                    t("download", lang), out_file.read_bytes(), file_name=out_file.name
                )
        except Busy:
            st.warning(t("export_busy", lang))
        except HedongGeoError as exc:  # e.g. the filters leave nothing to export
            st.warning(str(exc))

with link_box.container():
    st.caption(t("link_to_view", lang))
    st.code(links.view(state), language=None)
