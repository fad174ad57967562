"""Every href hedong-geo writes: to a feature, to a passage, to a page of the static site.

One object per kind of output says where a link goes, and every HTML view takes such an object
instead of assembling URLs itself:

- :class:`AppLinks`: the Streamlit app's query-string links (``?view=reader&para=…``);
- :class:`SiteLinks`: the static site's relative links (``plan/fyp.html#blk-…``);
- :class:`OneFileLinks`: the self-contained HTML export, which has only the map page.

A method that returns ``None`` means "no link here": the view shows the text without one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import quote

from hedong_geo.urlstate import ViewState, state_url

__all__ = ["AppLinks", "Links", "OneFileLinks", "SiteLinks", "anchor", "page_name"]

_SAFE_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def anchor(block_id: str) -> str:
    """The HTML id of a block's element (``fyp.ch6.s2.p1`` → ``blk-fyp-ch6-s2-p1``)."""
    return "blk-" + block_id.replace(".", "-")


def page_name(feature_id: str) -> str:
    """File name of a feature's page in the static site: the id when filename-safe, else quoted."""
    if _SAFE_ID.fullmatch(feature_id):
        return f"{feature_id}.html"
    return quote(feature_id, safe="").replace("%", "_") + ".html"


class Links(Protocol):
    """Where the links of one output go."""

    def feature(self, feature_id: str) -> str | None:
        """The href that shows a feature (on the map, or its page when it is not located)."""

    def block(self, block_id: str) -> str | None:
        """The href of a passage in the reader."""


@dataclass(frozen=True)
class AppLinks:
    """Links inside the Streamlit app, in ``lang``; ``base`` makes them absolute."""

    lang: str = "zh"
    base: str = ""

    def feature(self, feature_id: str) -> str:
        return state_url(ViewState(view="map", lang=self.lang, feature=feature_id), self.base)

    def block(self, block_id: str) -> str:
        return state_url(ViewState(view="reader", lang=self.lang, para=block_id), self.base)

    def view(self, state: ViewState) -> str:
        """The link that reproduces a whole view (the app's "link to this view")."""
        return state_url(state, self.base)


@dataclass(frozen=True)
class SiteLinks:
    """Links of the static site, from a page ``prefix`` deep (``""`` at the top, ``"../"`` in
    ``plan/`` and ``features/``). Located features open on the map, the others on their page."""

    prefix: str = ""
    located: frozenset[str] = field(default_factory=frozenset)

    def map(self, feature_id: str) -> str:
        """The map page, opened on the feature."""
        return f"{self.prefix}index.html#feature={quote(feature_id, safe='')}"

    def page(self, feature_id: str) -> str:
        """The feature's own page."""
        return f"{self.prefix}features/{page_name(feature_id)}"

    def feature(self, feature_id: str) -> str:
        return self.map(feature_id) if feature_id in self.located else self.page(feature_id)

    def block(self, block_id: str) -> str:
        doc = block_id.split(".", 1)[0]
        return f"{self.prefix}plan/{doc}.html#{anchor(block_id)}"

    def document(self, doc_id: str) -> str:
        """A reader page."""
        return f"{self.prefix}plan/{doc_id}.html"

    def home(self) -> str:
        """The map page."""
        return f"{self.prefix}index.html"


@dataclass(frozen=True)
class OneFileLinks:
    """Links inside the one-file HTML export: features by fragment, passages not linked."""

    def feature(self, feature_id: str) -> str:
        return f"#feature={quote(feature_id, safe='')}"

    def block(self, block_id: str) -> None:
        return None
