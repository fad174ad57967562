"""No Streamlit English in the Chinese app (and no Chinese UI left in the English one), in
Debian's chromium: every view, the filters open, a multiselect's list open.

Streamlit's widgets bring English of their own unless the app passes its text: ``placeholder=``
of ``st.multiselect`` ("Choose options"), ``st.selectbox`` ("Choose an option") and
``st.text_input``; ``select_all=False`` on ``st.multiselect`` ("Select all", which cannot be
translated); ``filter_mode=None`` or options few enough that typing never shows the dropdown's
hard-coded "No results"; ``client.toolbarMode = "viewer"`` for the menu ("Deploy", "Rerun").
"""

from __future__ import annotations

import re

import pytest
from conftest import settle

pytest.importorskip("playwright.sync_api")
# app.py is wired by the lead: pass placeholder=t("choose_options"/"choose_option", lang),
# select_all=False, and st.html(render("page_lang.html.j2", html_lang=HTML_LANG[lang]),
# unsafe_allow_javascript=True). Strict: once it is, these pass and the mark must go.
pytestmark = pytest.mark.browser

# Streamlit's own English, as it appears on a page (text, placeholders, aria labels).
STREAMLIT_ENGLISH = (
    "Select all",
    "Choose options",
    "Choose an option",
    "No results",
    "Press Enter to apply",
    "Deploy",
    "Running...",
)
VIEWS = ("map", "reader", "projects", "indicators", "sitecheck", "about")
CJK = re.compile(r"[\u3400-\u9fff]")


def _shown(page) -> str:
    """Everything a person can read on the page: the text and the placeholders and labels."""
    return page.evaluate(
        """() => [document.body.innerText,
            ...[...document.querySelectorAll('[placeholder],[aria-label],[title]')].map(
                e => [e.getAttribute('placeholder'), e.getAttribute('aria-label'),
                      e.getAttribute('title')].filter(Boolean).join(' '))].join('\\n')"""
    )


def _open_filters(page) -> None:
    """Open the sidebar's expanders and the first multiselect's list."""
    for summary in page.locator("section[data-testid='stSidebar'] details summary").all():
        summary.click()
    box = page.locator("section[data-testid='stSidebar'] [data-testid='stMultiSelect']").first
    if box.count():
        box.click()


@pytest.mark.parametrize("view", VIEWS)
def test_no_streamlit_english_in_chinese(session, app_url, view):
    page = session.page
    page.goto(app_url + f"?view={view}")
    page.locator("h1").first.wait_for()  # the run has begun: settle waits for its end
    settle(page)
    _open_filters(page)
    # A run the page started after the first one (the map's first report, on a slow machine)
    # shows Streamlit's status while it lasts: the page at rest is what is read.
    settle(page)
    text = _shown(page)
    found = [s for s in STREAMLIT_ENGLISH if s in text]
    assert not found, f"Streamlit's English in the Chinese {view} view: {found}"
    assert page.evaluate("document.documentElement.lang").startswith("zh")


@pytest.mark.parametrize("view", VIEWS)
def test_english_page_says_it_is_english(session, app_url, view):
    page = session.page
    page.goto(app_url + f"?view={view}&lang=en")
    page.locator("h1").first.wait_for()  # the run has begun: settle waits for its end
    settle(page)
    assert page.evaluate("document.documentElement.lang") == "en"
