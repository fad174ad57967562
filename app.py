"""Hedong Planning Explorer: the Streamlit frame. Every piece of logic lives in hedong_geo/.

A session's first run on a plain link sends the map first, from the page cache, before the
heavy imports (pandas, geopandas): the browser loads the map while the server imports the rest
and builds the sidebar (issue 14, cold start; docs/performance.md).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from hedong_geo import settings
from hedong_geo.assets import serve, serve_folder
from hedong_geo.i18n import HTML_LANG, LANGS, t
from hedong_geo.layerfiles import files_stamp
from hedong_geo.links import AppLinks, anchor
from hedong_geo.mapview import MapArgs, cached_first_map
from hedong_geo.templating import Markup, render
from hedong_geo.ui_map import map_component, remembered, serve_pages
from hedong_geo.urlstate import FILTERS, VIEWS, ViewState, parse_state

st.set_page_config(page_title="河东区规划地图 · Hedong Planning Explorer", layout="wide")
DOCS = Path(__file__).parent / "docs"
LAYERS_DIR = settings.get().layers_dir  # HEDONG_GEO_LAYERS_DIR, e.g. a test copy
BASEMAPS = ("none", *settings.get().basemaps)
# What a link may hold for its first map to be sent before the layers are read: nothing that
# needs them to be checked (a feature, layers, filters) or that is not the map.
FIRST_MAP_PARAMS = {"lang", "view", "basemap", "colour", "at"}


@st.cache_resource
def page_style() -> str:
    """The app's stylesheet (docs/app.css, a file of the project) as a <style> element."""
    return render("app_style.html.j2", css=Markup((DOCS / "app.css").read_text(encoding="utf-8")))


st.html(page_style())
asset_url = serve()  # Leaflet & co. served from the installed packages
serve_pages()  # the map pages and panel data (hedong_geo.mapview)
TILE_CACHE = settings.get().tile_cache  # vector tiles of large layers (hedong_geo.tiles)
TILE_CACHE.mkdir(parents=True, exist_ok=True)
tile_url = serve_folder("vtiles", TILE_CACHE).rstrip("/")
lang_slot = st.container()  # the page's language (<html lang>), once the sidebar chose it
head = st.container()  # warnings: above the title, written once the layers are read
title_slot = st.container()  # the title and caption, written with the first map if it goes early
map_slot = st.container()  # the map view's map and panel


def lang_and_view(before: ViewState) -> tuple[str, str]:
    """The sidebar's first widgets, language and view, from ``before``. Drawn before a first
    map sent early: the map is then laid out beside the sidebar it will have (it fits the
    district to its size once, when it loads)."""
    lang = st.sidebar.radio(
        t("language", before.lang),
        LANGS,
        index=LANGS.index(before.lang),
        format_func={"zh": "中文", "en": "English"}.get,
        horizontal=True,
    )
    view = st.sidebar.radio(
        t("view", lang),
        VIEWS,
        index=VIEWS.index(before.view),
        label_visibility="collapsed",
        format_func=lambda v: t(f"view_{v}", lang),
        horizontal=True,
    )
    return lang, view


def title(lang: str) -> None:
    """The app's title and subtitle (in ``title_slot``)."""
    with title_slot:
        st.title(t("app_title", lang))
        st.caption(t("app_subtitle", lang))


def map_args(names: tuple | None, picks: tuple, lang: str, basemap: str) -> MapArgs:
    """What the app's map is made for (:class:`hedong_geo.mapview.MapArgs`): ``picks`` are the
    filters as plain values (:data:`hedong_geo.urlstate.FILTERS`)."""
    return MapArgs(
        visible=names,
        filters=picks,
        lang=lang,
        basemap=basemap,
        asset_base=asset_url,
        tile_base=tile_url,
        links=AppLinks(lang),
    )


def map_urls(names: tuple | None, picks: tuple, lang: str, basemap: str) -> tuple[str, str]:
    """URLs of the map page and the panel data: from the page cache without reading the layers
    when they are kept there (a fresh process), else made (:func:`map_files`)."""
    found = cached_first_map(LAYERS_DIR, map_args(names, picks, lang, basemap))
    return found or map_files(stamp, names, picks, lang, basemap)


def on_map_click() -> None:
    """A click in the browser chose a feature: the panel already shows it; remember it."""
    clicked = st.session_state["map"]["feature"]
    st.session_state.view_state = st.session_state.view_state.with_(feature=clicked, para=None)


def on_map_area() -> None:
    """An area drawn with the map's area tool: the site check can check it."""
    st.session_state.drawn_site = st.session_state["map"]["area"]


def on_map_move() -> None:
    """The map has moved and rested: its bounds, for the print panel's "current view"."""
    view = st.session_state["map"]["view"] or {}
    st.session_state.map_bbox = view.get("bbox")


def map_of_session(
    names: tuple | None, picks: tuple, lang: str, basemap: str, make: Callable[[], tuple[str, str]]
) -> tuple[str, str]:
    """The map page's and panel data's URLs this session shows for these arguments, ``make()``
    when they change (a click: one tuple compared, no cache keys hashed)."""
    return remembered("map_inputs", (stamp, names, picks, lang, basemap), make)


@st.fragment
def map_and_panel(names: tuple | None, picks: tuple) -> None:
    """The map and its panel: a click reruns only this (a few milliseconds of Python).

    ``picks`` are the filters as ``((name, values), ...)`` in
    :data:`hedong_geo.urlstate.FILTERS`'s order: plain values, so that a session's first map is
    sent before the code that applies them is imported.
    """
    if files_stamp(LAYERS_DIR) != stamp:  # the layer files changed under the page: read them
        st.rerun()
    now = st.session_state.view_state
    page, panels = map_of_session(
        names, picks, now.lang, now.basemap, lambda: map_urls(names, picks, now.lang, now.basemap)
    )
    if now.feature:  # the layers are read by then: only a first map on a plain link goes early
        shown_ids = remembered(
            "map_shown_ids",
            (stamp, picks),
            lambda: frozenset(shown_layers(stamp, picks).features()["id"]),
        )
        if not layers.has_feature(now.feature):  # renamed by a rebuild
            st.warning(f"{t('unknown_feature', now.lang)} {now.feature}")
        elif now.feature not in shown_ids:
            st.warning(f"{t('feature_filtered', now.lang)} {now.feature}")
    map_component(
        page=page,
        panels=panels,
        feature=now.feature,
        nonce=st.session_state.get("fly", 0),
        colour=now.colour,
        lang=now.lang,
        tour=now.tour,
        on_feature_change=on_map_click,
        on_view_change=on_map_move,
        on_area_change=on_map_area,
    )


def first_map() -> tuple[ViewState, tuple[str, str]] | None:
    """A new session on a plain link (:data:`FIRST_MAP_PARAMS`) whose map is in the page cache:
    send the map now, before the layers are read and the rest of the sidebar is built. Returns
    the view it was sent for (the run checks that the sidebar's defaults gave the same) and
    :func:`lang_and_view`'s answer, else None."""
    query = {k: st.query_params.get_all(k) for k in st.query_params}
    if "view_state" in st.session_state or not set(query) <= FIRST_MAP_PARAMS:
        return None
    state = parse_state(query, known_docs=(), basemaps=BASEMAPS)  # no doc in such a link
    if state.view != "map" or state.problems:
        return None
    picks = tuple((key, getattr(state, key)) for key in FILTERS)
    found = cached_first_map(LAYERS_DIR, map_args(state.layers, picks, state.lang, state.basemap))
    if found is None:
        return None
    map_of_session(state.layers, picks, state.lang, state.basemap, lambda: found)
    st.session_state.view_state = state
    st.session_state.fly = st.session_state.get("fly", 0) + 1
    chosen = lang_and_view(state)
    title(state.lang)  # before the map, so that the page does not move when it comes
    with map_slot:
        map_and_panel(state.layers, picks)
    return state, chosen


stamp = files_stamp(LAYERS_DIR)
# The address bar is the truth when a session starts (a link, a reload) and on Back/Forward;
# otherwise the view is what this session made it (Python never writes the address bar: the
# page component makes it equal to the view, see hedong_geo/ui_page.py).
ctx = get_script_run_ctx()
adopted = "view_state" not in st.session_state or bool(ctx and ctx.is_history_navigation)
early = first_map()

# The rest of the app's code: imported once the first map, if any, is on its way.
from hedong_geo import basemaps, plan, projects  # noqa: E402
from hedong_geo._errors import HedongGeoError  # noqa: E402
from hedong_geo.indicators import indicators_html  # noqa: E402
from hedong_geo.layers import BASES, STATUSES, load_layers_cached  # noqa: E402
from hedong_geo.limits import Busy, ExportLimiter  # noqa: E402
from hedong_geo.mapview import keep_first_map, start_panel_data, write_map_page  # noqa: E402
from hedong_geo.names import places_of  # noqa: E402
from hedong_geo.reader import document_html  # noqa: E402
from hedong_geo.register import layer_titles  # noqa: E402
from hedong_geo.ui_page import page_sync  # noqa: E402
from hedong_geo.ui_search import search_box  # noqa: E402
from hedong_geo.urlstate import COLOURS, problem_messages, state_query  # noqa: E402


@st.cache_resource
def export_limiter() -> ExportLimiter:
    """One export limiter for the whole server process."""
    return ExportLimiter()


@st.cache_resource(max_entries=16)
def shown_layers(stamp: tuple, picks: tuple):
    """The layers with the filters applied, made once per folder state and filters."""
    filters = projects.Filters(**dict(picks))
    return projects.filter_layers(load_layers_cached(LAYERS_DIR), filters)


@st.cache_resource(max_entries=16)
def map_files(stamp: tuple, names: tuple | None, picks: tuple, lang: str, basemap: str):
    """URLs of the map page and the panel data: made once per layer state, filters and
    language; a click never rebuilds them. Noted in the page cache for the first map of a
    fresh process (:func:`hedong_geo.mapview.cached_first_map`)."""
    shown = shown_layers(stamp, picks)
    args = map_args(names, picks, lang, basemap)
    page = write_map_page(shown, **args.page_args())
    every = load_layers_cached(LAYERS_DIR)
    panels = start_panel_data(every, shown, lang, args.links, key=repr((stamp, picks)))
    if files_stamp(LAYERS_DIR) == stamp:  # still the files these layers were read from
        keep_first_map(LAYERS_DIR, every, shown, args)
    return page, panels


def select(feature_id: str, view: str = "map") -> None:
    """Show a feature chosen outside the map (search, table, related): the map flies to it."""
    st.session_state.view_state = st.session_state.view_state.with_(
        view=view, feature=feature_id, para=None
    )
    st.session_state.fly = st.session_state.get("fly", 0) + 1
    st.session_state.picks = st.session_state.get("picks", 0) + 1


layers = load_layers_cached(LAYERS_DIR)
titles = layer_titles()
if adopted:
    st.session_state.view_state = parse_state(
        {k: st.query_params.get_all(k) for k in st.query_params},
        known_layers=tuple(titles),
        block_exists=plan.has_block,
        feature_exists=layers.has_feature,
        vocabularies={"categories": projects.categories(layers)},
        basemaps=BASEMAPS,
    )
    if early is None:  # first_map() counted its fly
        st.session_state.fly = st.session_state.get("fly", 0) + 1
before = st.session_state.view_state
lang, view = early[1] if early else lang_and_view(before)
state = before.with_(lang=lang, view=view)
links = AppLinks(lang)
with lang_slot:
    st.html(render("page_lang.html.j2", html_lang=HTML_LANG[lang]), unsafe_allow_javascript=True)


def open_passage(block_id: str, doc: str) -> None:
    """A passage picked in the search: the reader at that passage."""
    st.session_state.view_state = st.session_state.view_state.with_(
        view="reader", para=block_id, doc=doc, feature=None
    )
    st.session_state.picks = st.session_state.get("picks", 0) + 1


st.session_state.view_state = state  # the search's callbacks start from this run's view
search_box(places_of(layers), lang, on_place=select, on_passage=open_passage, container=st.sidebar)
with st.sidebar.expander(t("filters", lang)):
    names = tuple(n for n in titles if n != "context")
    chosen = st.multiselect(
        t("layers", lang),
        names,
        default=list(state.layers or names),
        format_func=lambda n: titles[n][lang],
        placeholder=t("choose_options", lang),
        select_all=False,  # Streamlit's "Select all" cannot be translated
    )
    picks = {
        key: tuple(
            st.multiselect(
                t(label, lang),
                options,
                default=[v for v in getattr(state, key) if v in options],
                format_func=fmt,
                placeholder=t("choose_options", lang),
                select_all=False,
                filter_mode=None,  # short lists: no filter box, no untranslatable "No results"
            )
        )
        for key, label, options, fmt in (
            ("categories", "category", projects.categories(layers), lambda c: t(f"cat_{c}", lang)),
            ("statuses", "status", STATUSES, lambda s: t(f"status_{s}", lang)),
            ("docs", "document", ["wr", "fyp"], lambda d: t(f"doc_{d}", lang)),
            ("bases", "location_basis", BASES, lambda b: t(f"basis_{b}", lang)),
        )
    }
    filters = projects.Filters(**picks)
    pick_values = tuple((key, picks[key]) for key in FILTERS)  # as first_map() makes them
    basemap = st.selectbox(
        t("basemap", lang),
        BASEMAPS,
        index=BASEMAPS.index(state.basemap),
        format_func=lambda n: basemaps.label(n, lang),
        placeholder=t("choose_option", lang),
        filter_mode=None,
    )
colour = st.sidebar.radio(
    t("colour_by", lang),
    COLOURS,
    index=COLOURS.index(state.colour),
    format_func=lambda c: t(f"colour_{c}", lang),
)
state = state.with_(
    layers=None if set(chosen) == set(names) else tuple(chosen),
    basemap=basemap,
    colour=colour,
    **picks,
)
with head:
    if adopted:
        for message in problem_messages(state, lang):
            st.warning(message)
    if layers.problems:
        problems = "\n".join(f"- `{p}`" for p in layers.problems)
        st.warning(t("data_problems", lang) + "\n" + problems)
if early is None:
    title(lang)


scroll_to = None
if state.view == "map":
    st.session_state.view_state = state
    if early is None:
        with map_slot:
            map_and_panel(state.layers, pick_values)
    elif state != early[0]:  # the sidebar gave another view than the link's: draw that one
        st.rerun()
elif state.view == "reader":
    doc = st.radio(
        t("document", lang),
        ["fyp", "wr"],
        index=["fyp", "wr"].index(state.doc or "fyp"),
        format_func=lambda d: t(f"doc_{d}", lang),
        horizontal=True,
    )
    state = state.with_(doc=doc, para=state.para if (state.para or "").startswith(doc) else None)
    with st.container(height=700):
        st.html(document_html(doc, layers, highlight=state.para, lang=lang, links=links))
    scroll_to = anchor(state.para) if state.para else None
elif state.view == "projects":
    table = projects.project_table(layers, filters, lang)
    picked = st.dataframe(table, on_select="rerun", selection_mode="single-row", hide_index=True)
    if picked.selection.rows:
        st.session_state.view_state = state
        select(table.iloc[picked.selection.rows[0]]["id"])
        st.rerun()
    left, right = st.columns(2)
    left.markdown(f"#### {t('coverage', lang)}")
    left.dataframe(projects.coverage_summary(layers, lang), hide_index=True)
    right.markdown(f"#### {t('zones', lang)}")
    right.dataframe(projects.zone_summary(layers, lang=lang), hide_index=True)
elif state.view == "indicators":
    st.html(indicators_html(lang, links))
elif state.view == "sitecheck":
    from hedong_geo.ui_sitecheck import site_check_panel  # loads the upload readers when used

    site_check_panel(
        layers,
        lang,
        slot=lambda: export_limiter().slot(get_script_run_ctx().session_id),
        drawn=st.session_state.get("drawn_site"),
    )
else:
    st.markdown((DOCS / f"about_{lang}.md").read_text(encoding="utf-8"))

if state.view != "map":
    st.session_state.view_state = state

export_box = st.sidebar.expander(t("export", lang), key="export_box", on_change="rerun")
with export_box:
    if export_box.open:  # the export stack (matplotlib & co.) loads only once someone opens it
        from hedong_geo.ui_export import export_panel

        now = st.session_state.view_state
        session_id = get_script_run_ctx().session_id
        export_panel(
            shown_layers(stamp, pick_values),
            lang,
            layers=list(now.layers) if now.layers else None,
            selected=now.feature if now.feature and layers.has_feature(now.feature) else None,
            view_bbox=st.session_state.get("map_bbox"),
            limiter=export_limiter(),
            session=session_id,
        )
        st.divider()
        fmt = st.selectbox(
            t("export_data_format", lang),
            ("geojson", "gpkg", "csv", "html"),
            placeholder=t("choose_option", lang),
            filter_mode=None,
        )
        if st.button(t("export_data_button", lang)):
            from hedong_geo.exports import export_to

            try:  # a few exports at once per process, one per session (hedong_geo.limits)
                with (
                    export_limiter().slot(session_id),
                    st.spinner(t("working", lang)),
                    tempfile.TemporaryDirectory() as tmp,
                ):
                    out_file = Path(tmp) / f"hedong.{fmt}"
                    export_to(
                        shown_layers(stamp, pick_values),
                        out_file,
                        fmt,
                        layers=list(now.layers) if now.layers else None,
                        feature=now.feature if fmt == "html" else None,
                        lang=lang,
                    )
                    st.download_button(
                        t("download", lang), out_file.read_bytes(), file_name=out_file.name
                    )
            except Busy:
                st.warning(t("export_busy", lang))
            except HedongGeoError as exc:  # e.g. the filters leave nothing to export
                st.warning(str(exc))
        chosen_feature = st.session_state.view_state.feature
        if chosen_feature and layers.has_feature(chosen_feature):
            st.caption(t("dossier_of", lang) + " " + layers.feature(chosen_feature)[f"name_{lang}"])
            if st.button(t("dossier_button", lang)):
                from hedong_geo.dossier import build_dossier
                from hedong_geo.dossier_pdf import dossier_pdf

                try:
                    with (
                        export_limiter().slot(get_script_run_ctx().session_id),
                        st.spinner(t("working", lang)),
                    ):
                        pdf = dossier_pdf(build_dossier(layers, chosen_feature, lang))
                    st.download_button(
                        t("download", lang), pdf, file_name=f"dossier_{chosen_feature}_{lang}.pdf"
                    )
                except Busy:
                    st.warning(t("export_busy", lang))

with st.sidebar:
    final = st.session_state.view_state
    page_sync(
        state_query(final),
        push=not adopted and st.session_state.get("last_query") != state_query(final),
        lang=lang,
        scroll=scroll_to,
        pick=st.session_state.get("picks", 0),
    )
    st.session_state.last_query = state_query(final)
