"""The view as URL query parameters, both ways: ``?view=map&feature=park.quadrant.se&lang=en``.

Parsing never raises on a bad link: every parameter is checked, and a value that is unknown,
malformed, too long or repeated with different values is dropped and reported once (as a
``(kind, value)`` pair; :func:`problem_messages` words them), so a stale or forged link still
opens the app with a message instead of an error page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from hedong_geo import schema
from hedong_geo.i18n import LANGS, t

VIEWS = ("map", "reader", "projects", "indicators", "sitecheck", "about")
#: The filters a link carries (comma lists), each checked against its vocabulary.
FILTERS = ("categories", "statuses", "docs", "bases")
#: How features are coloured: by their group (default) or their status.
COLOURS = ("group", "status")
PARAMS = (
    "view",
    "lang",
    "feature",
    "para",
    "layers",
    "doc",
    *FILTERS,
    "basemap",
    "colour",
    "at",
    "tour",
)
# The map's position, ``at=lat,lng,zoom``: written by the map in the browser, kept in links.
_AT = re.compile(r"(-?\d{1,3}(?:\.\d{1,7})?),(-?\d{1,3}(?:\.\d{1,7})?),(\d{1,2})")
#: Longest value a parameter may have: every layer name joined by commas fits well within it.
MAX_VALUE = 500
#: Longest value shown back to the user in a message.
MAX_SHOWN = 80
# The id patterns of the layer schema: a value that cannot be an id is reported without
# looking it up.
_DEFS = schema.load()["$defs"]
_FEATURE_ID = re.compile(_DEFS["id"]["pattern"])
_BLOCK_ID = re.compile(_DEFS["citation"]["properties"]["block"]["pattern"])
_LAYER_NAME = re.compile(schema.load()["properties"]["name"]["pattern"])


@dataclass(frozen=True)
class ViewState:
    """What the user is looking at."""

    view: str = "map"
    lang: str = "zh"
    feature: str | None = None
    para: str | None = None
    layers: tuple[str, ...] | None = None  # None: every layer
    doc: str | None = None
    categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    docs: tuple[str, ...] = ()
    bases: tuple[str, ...] = ()
    basemap: str = "none"
    colour: str = "group"
    at: str | None = None  # "lat,lng,zoom" of the map, as the map wrote it
    tour: bool = False  # a link that opens the map's guided tour (once: not kept in the URL)
    # What a link asked for that is not there: (kind, value) pairs, dropped from the state.
    # ``kind`` is a parameter name, ``repeated`` or ``unknown`` (a parameter the app has not).
    problems: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def with_(self, **changes) -> ViewState:
        """A copy with some fields changed."""
        return replace(self, **changes)


def _values(params: Mapping, key: str) -> list[str]:
    value = params.get(key)
    if value is None:
        return []
    values = value if isinstance(value, list | tuple) else [value]
    return [v if isinstance(v, str) else str(v) for v in values]


def _read(params: Mapping, problems: list) -> dict[str, str]:
    """One value per known parameter (the last, as Streamlit does); oddities into ``problems``."""
    found = {}
    for key in params:
        values = _values(params, key)
        if not values:
            continue
        if key not in PARAMS:
            problems.append(("unknown", str(key)))
            continue
        if len(set(values)) > 1:
            problems.append(("repeated", f"{key}={' | '.join(values)}"))
        value = values[-1]
        if len(value) > MAX_VALUE or not value.isprintable():
            problems.append((key, value))
            continue
        if value:
            found[key] = value
    return found


def _pick(value: str | None, ok: bool, kind: str, problems: list) -> str | None:
    if value is not None and not ok:
        problems.append((kind, value))
        return None
    return value


def _layers(raw: str | None, known: tuple[str, ...], problems: list) -> tuple[str, ...] | None:
    if raw is None:
        return None
    wanted = tuple(dict.fromkeys(n.strip() for n in raw.split(",") if n.strip()))
    bad = [n for n in wanted if not _LAYER_NAME.fullmatch(n) or (known and n not in known)]
    if bad:
        problems.append(("layers", ",".join(bad)))
    return tuple(n for n in wanted if n not in bad)


def _listed(raw: str | None, allowed: Iterable[str], kind: str, problems: list) -> tuple[str, ...]:
    """A comma list of vocabulary values (a filter); unknown values dropped and reported."""
    if raw is None:
        return ()
    wanted = tuple(dict.fromkeys(v.strip() for v in raw.split(",") if v.strip()))
    allowed = set(allowed)
    bad = [v for v in wanted if v not in allowed]
    if bad:
        problems.append((kind, ",".join(bad)))
    return tuple(v for v in wanted if v not in bad)


def _at(raw: str | None, problems: list) -> str | None:
    match = _AT.fullmatch(raw) if raw is not None else None
    ok = match is not None and abs(float(match[1])) <= 90 and abs(float(match[2])) <= 180
    ok = ok and 0 <= int(match[3]) <= 22
    return _pick(raw, ok, "at", problems)


def parse_state(
    params: Mapping,
    *,
    known_layers: tuple[str, ...] = (),
    block_exists: Callable[[str], bool] | None = None,
    feature_exists: Callable[[str], bool] | None = None,
    known_docs: tuple[str, ...] | None = None,
    vocabularies: Mapping[str, Iterable[str]] | None = None,
    basemaps: Iterable[str] = ("none",),
) -> ViewState:
    """Read a :class:`ViewState` from query parameters (a dict of str or list of str).

    ``para`` implies the reader view unless a view is given; ``feature`` the map view. Each
    value is checked (its shape always; whether it exists when ``known_layers``,
    ``block_exists`` or ``feature_exists`` is given; ``doc`` against ``known_docs``, by default
    the plan's documents; the filters against ``vocabularies`` (filter name → allowed values,
    by default the layer schema's, any category allowed); ``basemap`` against ``basemaps``);
    what fails is left out and listed in ``problems``.
    """
    problems: list[tuple[str, str]] = []
    raw = _read(params, problems)
    view = _pick(raw.get("view"), raw.get("view") in VIEWS, "view", problems)
    lang = _pick(raw.get("lang"), raw.get("lang") in LANGS, "lang", problems) or "zh"
    para = raw.get("para")
    para_ok = para is not None and bool(_BLOCK_ID.fullmatch(para))
    para = _pick(para, para_ok and (block_exists is None or block_exists(para)), "para", problems)
    feature = raw.get("feature")
    feature_ok = feature is not None and bool(_FEATURE_ID.fullmatch(feature))
    feature_ok = feature_ok and (feature_exists is None or feature_exists(feature))
    feature = _pick(feature, feature_ok, "feature", problems)
    layers = _layers(raw.get("layers"), known_layers, problems)
    if known_docs is None:
        from hedong_geo import plan

        known_docs = tuple(plan.documents())
    doc = raw.get("doc")
    para_doc = para.split(".", 1)[0] if para else None
    doc = _pick(doc, doc in known_docs and para_doc in (None, doc), "doc", problems) or para_doc
    if view is None:
        view = "reader" if para and not feature else "map"
    vocab = {**_default_vocabularies(known_docs), **(vocabularies or {})}
    filters = {}
    for name in FILTERS:
        filters[name] = _listed(raw.get(name), vocab[name], name, problems)
    basemap = _pick(raw.get("basemap"), raw.get("basemap") in set(basemaps), "basemap", problems)
    colour = _pick(raw.get("colour"), raw.get("colour") in COLOURS, "colour", problems)
    return ViewState(
        view,
        lang,
        feature,
        para,
        layers,
        doc,
        **filters,
        basemap=basemap or "none",
        colour=colour or "group",
        at=_at(raw.get("at"), problems),
        tour=_pick(raw.get("tour"), raw.get("tour") == "1", "tour", problems) == "1",
        problems=tuple(problems),
    )


def _default_vocabularies(known_docs: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    return {
        "statuses": schema.vocabulary("status"),
        "bases": schema.vocabulary("location_basis"),
        "categories": schema.vocabulary("category"),
        "docs": known_docs,
    }


def shown_value(value: str) -> str:
    """``value`` as a Markdown code span, shortened and with unprintable characters escaped:
    a link's text is shown as typed, never rendered (no Markdown, HTML, math or emoji)."""
    text = value if len(value) <= MAX_SHOWN else value[:MAX_SHOWN] + "…"
    text = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def problem_messages(state: ViewState, lang: str = "zh") -> list[str]:
    """One Markdown message per problem of ``state``, in ``lang``: what the link asked for that
    is not there (``geodata/i18n.json`` keys ``url_<kind>``) and the value, shown as text."""
    return [f"{t(f'url_{kind}', lang)} {shown_value(value)}" for kind, value in state.problems]


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
    for name in FILTERS:
        if getattr(state, name):
            params[name] = ",".join(getattr(state, name))
    if state.basemap != "none":
        params["basemap"] = state.basemap
    if state.colour != "group":
        params["colour"] = state.colour
    if state.at and state.view == "map":
        params["at"] = state.at
    return params


def state_query(state: ViewState) -> str:
    """The query string of ``state`` (no ``?``): what the address bar says for the view."""
    return urlencode(state_params(state), safe=",")


def state_url(state: ViewState, base: str = "") -> str:
    """A link to ``state``: ``base`` (e.g. ``http://host:8501/``) plus its query string."""
    return f"{base}?{state_query(state)}"
