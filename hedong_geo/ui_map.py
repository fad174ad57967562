"""The app's map as a Streamlit component (components v2): map page in an iframe, panel beside.

The files it shows are made by :mod:`hedong_geo.mapview`; the behaviour is in
``hedong_geo/js/mapview.js``. A click is answered in the browser; Python hears of it as the
component's ``feature`` state (a rerun of the fragment that holds the map, see ``app.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from functools import lru_cache
from typing import Any, TypeVar

import streamlit as st

from hedong_geo.assets import OWN_JS, serve_folder
from hedong_geo.i18n import t
from hedong_geo.mapview import PAGES_COMPONENT, pages_dir
from hedong_geo.templating import panel_css

__all__ = ["map_component", "remembered", "serve_pages"]

T = TypeVar("T")

_HTML = (
    '<div class="hd-mv"><div class="hd-mv-map"><iframe allow="fullscreen" '
    'referrerpolicy="same-origin"></iframe></div>'
    '<aside class="hd-mv-panel" aria-live="polite"></aside></div>'
)


def serve_pages() -> None:
    """Have Streamlit serve :func:`hedong_geo.mapview.pages_dir` (a component folder, read
    as it is under ``/component/hedong_geo.assets.pages/``; registering again changes nothing)."""
    serve_folder(PAGES_COMPONENT, pages_dir())


def remembered(name: str, key: Hashable, make: Callable[[], T]) -> T:
    """``make()``, kept in this session's state under ``name`` while ``key`` stays equal.

    A click reruns the map's fragment: there the map's files and the shown features are found
    by comparing one tuple, not by ``st.cache_resource``, whose key for the same arguments costs
    several milliseconds of hashing and ``inspect.signature`` per call (py-spy, cProfile).

    Parameters
    ----------
    name : str
        The ``st.session_state`` key that holds ``(key, value)``.
    key : hashable
        Everything ``make`` depends on; a different key makes it again.
    make : callable
        Makes the value (it may use process-wide caches: this only skips their look-up).

    Returns
    -------
    object
        What ``make()`` returned for this ``key``, made at most once per key change.
    """
    held = st.session_state.get(name)
    if held is None or held[0] != key:
        held = (key, make())
        st.session_state[name] = held
    return held[1]


@lru_cache(maxsize=1)
def _component() -> Any:
    return st.components.v2.component(
        "hedong_geo.map",
        html=_HTML,
        css=(OWN_JS / "mapview.css").read_text(encoding="utf-8") + panel_css(),
        js=(OWN_JS / "mapview.js").read_text(encoding="utf-8"),
    )


def map_component(
    *,
    page: str,
    panels: str,
    feature: str | None,
    nonce: int,
    colour: str,
    lang: str,
    tour: bool = False,
    key: str = "map",
    on_feature_change: Any = None,
    on_view_change: Any = None,
    on_area_change: Any = None,
) -> Any:
    """Mount (or update) the map component and return its state (``.feature``).

    Parameters
    ----------
    page, panels : str
        URLs of the map page and the panel data (:mod:`hedong_geo.mapview`).
    feature : str or None
        The selection Python knows of (from a link, a search, the table, Back).
    nonce : int
        Changed by Python when it chose ``feature`` itself: the map flies to it.
    colour : {"group", "status"}
        How the features are coloured.
    lang : {"zh", "en"}
        Language of the component's own words.
    tour : bool
        Open the map's guided tour (a link's ``?tour=1``).
    key : str
        The component's key; its state is ``st.session_state[key]``.
    on_feature_change : callable, optional
        Called when a click in the browser changed the selection.
    on_view_change : callable, optional
        Called when the map has moved (its state ``view`` is ``{"bbox": [w, s, e, n]}``).
    on_area_change : callable, optional
        Called when an area was drawn with the map's area tool (state ``area``: a GeoJSON
        Polygon in WGS84), for the site check.
    """
    data = {
        "page": page,
        "panels": panels,
        "feature": feature,
        "nonce": nonce,
        "colour": colour,
        "tour": tour,
        # As JSON text: Streamlit checks every value of ``data`` that is not a plain scalar for
        # a data frame, importing pandas and pyarrow to do so (1–1.6 s before a first map).
        "text": json.dumps(
            {
                "label": t("mapview_map_label", lang),
                "hint": t("click_hint", lang),
                "unknown": t("unknown_feature", lang),
                "loading": t("mapview_loading", lang),
            },
            ensure_ascii=False,
        ),
    }
    return _component()(
        key=key,
        data=data,
        default={"feature": feature, "view": None, "area": None},
        on_feature_change=on_feature_change or (lambda: None),
        on_view_change=on_view_change or (lambda: None),
        on_area_change=on_area_change or (lambda: None),
    )
