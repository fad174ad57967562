"""The search box of the app (Streamlit): places and passages as one types, and a clear
"no results" with the nearest names.

The matching lives in :mod:`hedong_geo.names` and :mod:`hedong_geo.search` (no Streamlit);
this module only draws. The app calls :func:`search_box` with what to do on a pick::

    search_box(places_of(layers), lang, on_place=select, on_passage=open_passage,
               container=st.sidebar)

Every text comes from ``geodata/i18n.json``; the widget's placeholder is passed, so none of
Streamlit's own English shows in Chinese.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import streamlit as st

from hedong_geo.i18n import t
from hedong_geo.names import Match, Place
from hedong_geo.search import Results, find, hit_label
from hedong_geo.templating import render

__all__ = ["place_label", "search_box"]

LIVE = "300ms"  # results follow the typing after this pause (st.text_input's ``live``)


def place_label(match: Match, lang: str = "zh") -> str:
    """A place found, as its button reads: the name in ``lang``, the alias that matched when it
    was not the name, and how it matched when not by its characters (拼音, 首字母, 相近)."""
    name = match.name_zh if lang == "zh" else match.name_en
    label = name
    if match.matched not in (match.name_zh, match.name_en):
        label += t("search_alias", lang).format(alias=match.matched)
    if match.how in ("pinyin", "initials", "typo"):
        label += " · " + t(f"search_how_{match.how}", lang)
    return label


def _places(results: Results, lang: str, on_place: Callable[[str], None], key: str) -> bool:
    st.caption(t("search_places", lang))
    for m in results.places:
        if st.button(place_label(m, lang), key=f"{key}-p-{m.id}", width="stretch"):
            on_place(m.id)
            return True
    return False


def _passages(
    results: Results, lang: str, on_passage: Callable[[str, str], None], key: str
) -> bool:
    caption = t("search_passages", lang)
    if results.passages_for:
        caption += t("search_passages_for", lang).format(name=results.passages_for)
    st.caption(caption)
    for hit in results.passages:
        label = hit_label(hit, lang)
        st.html(render("search_hit.html.j2", hit=hit, label=label))
        button = t("open_in_reader", lang) + " · " + label.rsplit(" › ", 1)[-1]
        if st.button(button, key=f"{key}-h-{hit.block_id}", width="stretch"):
            on_passage(hit.block_id, hit.doc)
            return True
    return False


def _nothing(results: Results, lang: str, on_place: Callable[[str], None], key: str) -> bool:
    st.info(t("search_none", lang).format(query=results.query))
    if not results.nearby:
        st.caption(t("search_none_hint", lang))
        return False
    st.caption(t("search_nearby", lang))
    for m in results.nearby:
        name = m.name_zh if lang == "zh" else m.name_en
        if st.button(name, key=f"{key}-n-{m.id}", width="stretch"):
            on_place(m.id)
            return True
    return False


def _draw(
    places: tuple[Place, ...],
    lang: str,
    on_place: Callable[[str], None],
    on_passage: Callable[[str, str], None],
    key: str,
) -> None:
    query = st.text_input(
        t("search", lang),
        key=key,
        type="search",
        live=LIVE,
        placeholder=t("search_placeholder", lang),
    )
    if not query or not query.strip():
        return
    results = find(places, query)
    if results.empty:
        picked = _nothing(results, lang, on_place, key)
    else:
        picked = bool(results.places) and _places(results, lang, on_place, key)
        picked = picked or (bool(results.passages) and _passages(results, lang, on_passage, key))
    if picked:
        st.rerun(scope="app")  # the pick changes the whole page, not only the search box


def search_box(
    places: Iterable[Place],
    lang: str,
    on_place: Callable[[str], None],
    on_passage: Callable[[str, str], None],
    container=None,
    key: str = "search",
) -> None:
    """Draw the search box and what it finds.

    Parameters
    ----------
    places : iterable of Place
        What the box finds (:func:`hedong_geo.names.places_of` of the layers).
    lang : str
        ``zh`` or ``en``: every text and name in that language.
    on_place : callable
        Called with a feature id when a place (or a "did you mean" name) is picked.
    on_passage : callable
        Called with ``(block id, document id)`` when a passage is picked.
    container : Streamlit container, optional
        Where to draw (``st.sidebar``); the main page when omitted.
    key : str
        The text box's widget key (its value is ``st.session_state[key]``).

    Notes
    -----
    The box and its results are one ``st.fragment``: typing reruns only them, and a pick
    reruns the whole app after its callback.
    """
    places = tuple(places)
    fragment = st.fragment(_draw)
    if container is None:
        fragment(places, lang, on_place, on_passage, key)
    else:
        with container:
            fragment(places, lang, on_place, on_passage, key)
