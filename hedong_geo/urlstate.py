"""The view as URL query parameters, both ways: ``?view=map&feature=park.quadrant.se&lang=en``.

Parsing never raises on a bad link: unknown values are dropped and reported, so a stale link
still opens the app (with a message) instead of an error page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from hedong_geo.i18n import LANGS

VIEWS = ("map", "reader", "projects", "indicators", "about")


@dataclass(frozen=True)
class ViewState:
    """What the user is looking at."""

    view: str = "map"
    lang: str = "zh"
    feature: str | None = None
    para: str | None = None
    layers: tuple[str, ...] | None = None  # None: every layer
    doc: str | None = None
    # What a link asked for that does not exist: (parameter, value) pairs, dropped from the state.
    problems: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def with_(self, **changes) -> ViewState:
        """A copy with some fields changed."""
        return replace(self, **changes)


def _first(params: Mapping, key: str) -> str | None:
    value = params.get(key)
    if isinstance(value, list):
        value = value[0] if value else None
    return value or None


def parse_state(
    params: Mapping, *, known_layers: tuple[str, ...] = (), block_exists=None
) -> ViewState:
    """Read a :class:`ViewState` from query parameters (a dict of str or list of str).

    ``para`` implies the reader view unless a view is given; ``feature`` the map view.
    """
    problems = []
    view = _first(params, "view")
    if view not in VIEWS:
        if view is not None:
            problems.append(("view", view))
        view = None
    lang = _first(params, "lang") or "zh"
    if lang not in LANGS:
        problems.append(("lang", lang))
        lang = "zh"
    para = _first(params, "para")
    if para and block_exists is not None and not block_exists(para):
        problems.append(("para", para))
        para = None
    feature = _first(params, "feature")
    layers = None
    raw = _first(params, "layers")
    if raw is not None:
        wanted = tuple(n for n in raw.split(",") if n)
        unknown = [n for n in wanted if known_layers and n not in known_layers]
        if unknown:
            problems.append(("layers", ",".join(unknown)))
        layers = tuple(n for n in wanted if n not in unknown)
    if view is None:
        view = "reader" if para and not feature else "map"
    doc = _first(params, "doc")
    if para and not doc:
        doc = para.split(".", 1)[0]
    return ViewState(view, lang, feature, para, layers, doc, tuple(problems))


def state_params(state: ViewState) -> dict[str, str]:
    """The query parameters that reproduce ``state`` (defaults left out)."""
    params = {"view": state.view}
    if state.lang != "zh":
        params["lang"] = state.lang
    if state.feature:
        params["feature"] = state.feature
    if state.para:
        params["para"] = state.para
    if state.layers is not None:
        params["layers"] = ",".join(state.layers)
    if state.doc and state.view == "reader" and not state.para:
        params["doc"] = state.doc
    return params


def state_url(state: ViewState, base: str = "") -> str:
    """A link to ``state``: ``base`` (e.g. ``http://host:8501/``) plus its query string."""
    return f"{base}?{urlencode(state_params(state))}"
