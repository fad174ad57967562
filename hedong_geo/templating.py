"""HTML from Jinja2 templates with autoescape: the one way hedong-geo writes HTML.

Templates live in ``hedong_geo/templates/*.html.j2``. Every value from the data is escaped by
the template engine; a fragment that is already HTML is passed as :class:`markupsafe.Markup`
made by another template, never by string concatenation.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import jinja2
from markupsafe import Markup

__all__ = ["Markup", "json_script", "panel_css", "render"]


def json_script(value: Any) -> Markup:
    """``value`` as JSON that is safe inside ``<script>``: ``<``, ``>``, ``&`` and the JS line
    separators escaped, so no data can close the script element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return Markup(text)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The shared template environment (autoescape on, undefined names are errors)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("hedong_geo", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["json_script"] = json_script
    return env


def render(name: str, /, **context: Any) -> Markup:
    """Render template ``name`` (e.g. ``"panel.html.j2"``) with ``context``; returns Markup."""
    return Markup(environment().get_template(name).render(**context))


def panel_css() -> str:
    """The panel's stylesheet (``templates/panel.css``), for a page that shows many panels
    (the app's map component has it once for all); here, not in :mod:`hedong_geo.panel`, so
    that a fresh process sends its first map without importing the panel's code (pandas)."""
    return environment().loader.get_source(environment(), "panel.css")[0]
