"""The address bar and the "copy link" button: a small Streamlit component (components v2).

Python never writes ``st.query_params`` (each write would add a history entry of its own);
it gives this component the query string of the whole view and says whether the view
changed, and ``hedong_geo/js/pagesync.js`` makes the address bar equal to it. The component
also replaces ``st.components.v1.html`` for the reader's scroll to a passage.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import streamlit as st

from hedong_geo.assets import OWN_JS
from hedong_geo.i18n import t

__all__ = ["page_sync"]

_HTML = (
    '<div class="hd-copy-row"><button class="hd-copy" type="button"></button>'
    '<span class="hd-copy-note" aria-live="polite"></span></div>'
)
_CSS = """
.hd-copy-row { display: flex; align-items: center; gap: .5rem; flex-wrap: wrap; }
.hd-copy { min-height: 44px; padding: 0 1rem; border-radius: .5rem; cursor: pointer;
  border: 1px solid rgba(49, 51, 63, .2); background: white; font: inherit; }
.hd-copy:hover { border-color: #ff4b4b; color: #ff4b4b; }
.hd-copy-note { font-size: .85rem; color: rgba(49, 51, 63, .6); }
"""


@lru_cache(maxsize=1)
def _component() -> Any:
    return st.components.v2.component(
        "hedong_geo.page",
        html=_HTML,
        css=_CSS,
        js=(OWN_JS / "pagesync.js").read_text(encoding="utf-8"),
    )


def page_sync(
    query: str, *, push: bool, lang: str, scroll: str | None = None, pick: int = 0
) -> None:
    """Make the address bar say ``query`` and show the "copy link" button.

    Parameters
    ----------
    query : str
        The view's query string (:func:`hedong_geo.urlstate.state_query`), without ``?``.
    push : bool
        The view changed in this run: a new history entry (else the entry is replaced).
    lang : {"zh", "en"}
        Language of the button.
    scroll : str, optional
        The HTML id of an element to bring into view once it is on the page.
    pick : int
        Changed by the app when the user picked something in the sidebar: on a phone the
        sidebar drawer closes and the page scrolls to the answer.
    """
    data = {
        "query": query,
        "push": push,
        "scroll": scroll,
        "pick": pick,
        "text": {
            "copy": t("mapview_copy_link", lang),
            "copied": t("mapview_copied", lang),
            "failed": t("mapview_copy_failed", lang),
        },
    }
    _component()(key="page", data=data)
