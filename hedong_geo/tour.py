"""The guided tour of the plan's overall layout, 一站 · 一带 · 一园 · 多点, for the public.

The steps are data (``geodata/tour.json``): each names a feature the map flies to, a plan block
and one whole sentence of it quoted verbatim, and a title and a short text in both languages.
:func:`tour_problems` checks them against the layers and the plan texts (a test runs it);
:func:`tour_steps` gives the map what its "导览 / Tour" control shows (``hedong_geo/js/tour.js``).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from hedong_geo import plan, text
from hedong_geo._errors import CitationError, UnknownIdError
from hedong_geo.i18n import t
from hedong_geo.layers import LayerSet
from hedong_geo.mapdata import feature_bounds
from hedong_geo.paths import GEODATA

__all__ = ["TOUR_FILE", "load_tour", "tour_problems", "tour_steps"]

TOUR_FILE = GEODATA / "tour.json"
_FIELDS = ("key", "feature", "block", "quote", "title", "text")


@lru_cache(maxsize=1)
def load_tour() -> tuple[dict[str, Any], ...]:
    """The tour's steps as written in ``geodata/tour.json``, in order."""
    data = json.loads(TOUR_FILE.read_text(encoding="utf-8"))
    return tuple(data["steps"])


def _step_problems(layers: LayerSet, step: dict[str, Any]) -> list[str]:
    where = f"{TOUR_FILE.name}: step {step.get('key')!r}"
    missing = [name for name in _FIELDS if not step.get(name)]
    if missing:
        return [f"{where}: missing {', '.join(missing)}"]
    problems = []
    if not layers.has_feature(step["feature"]):
        problems.append(f"{where}: no feature {step['feature']!r} in the layers")
    elif feature_bounds(layers, step["feature"]) is None:
        problems.append(f"{where}: feature {step['feature']!r} is not located: nothing to fly to")
    for part in ("title", "text"):
        for lang in ("zh", "en"):
            if not (step[part].get(lang) or "").strip():
                problems.append(f"{where}: no {part} in {lang!r}")
    try:
        found = plan.cite(step["block"], step["quote"])
    except (UnknownIdError, CitationError) as exc:
        return [*problems, f"{where}: {exc}"]
    if not text.is_whole(found.block_text, found.start, found.end):
        problems.append(f"{where}: the quote {step['quote']!r} is not a whole sentence")
    return problems


def tour_problems(layers: LayerSet) -> list[str]:
    """Every problem of the tour at once: missing fields or languages, a feature that is not in
    ``layers`` or not located, an unknown block, a quote not verbatim in its block or not made
    of whole sentences. Empty when the tour is sound."""
    problems = []
    for step in load_tour():
        problems += _step_problems(layers, step)
    return problems


def tour_steps(layers: LayerSet, lang: str, gcj02: bool = False) -> list[dict[str, Any]]:
    """What the map's tour shows in ``lang``: per step the feature's ``id`` and ``bounds`` (in
    GCJ-02 on the Gaode basemap), ``title``, ``text``, the ``quote`` (the plan's Chinese, the
    authoritative text) and its ``source`` (the document's short name and the block id). Steps
    whose feature is not drawn on this map (filtered out, not located) are left out."""
    steps = []
    for step in load_tour():
        if not layers.has_feature(step["feature"]):
            continue
        bounds = feature_bounds(layers, step["feature"], gcj02=gcj02)
        if bounds is None:
            continue
        doc = plan.block(step["block"]).doc
        steps.append(
            {
                "id": step["feature"],
                "bounds": bounds,
                "title": step["title"][lang],
                "text": step["text"][lang],
                "quote": step["quote"],
                "source": f"{t(f'doc_short_{doc}', lang)} · {step['block']}",
            }
        )
    return steps
