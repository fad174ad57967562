"""The map's guides for the public: the tour and the list of the places it does not draw.

Both are Leaflet controls of ``hedong_geo/js`` (``tour.js``, ``unlocated.js``); this module
gives their options, words in the map's language from ``geodata/i18n.json`` and data from
:mod:`hedong_geo.tour` and :func:`hedong_geo.mapdata.unlocated_places`. Every text goes into
the page as JSON and into the map with ``textContent``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hedong_geo.i18n import counted, texts
from hedong_geo.layers import LayerSet
from hedong_geo.mapdata import unlocated_places
from hedong_geo.tour import tour_steps

__all__ = ["guide_controls"]

_TOUR_WORDS = ("label", "step", "prev", "next", "done", "quote")
_UNLOCATED_WORDS = ("title", "hint", "zone")


def guide_controls(
    layers: LayerSet, visible: Iterable[str] | None, lang: str, gcj02: bool
) -> list[tuple[str, dict[str, Any]]]:
    """The tour and the "N places not yet located" list as (control factory, options), each
    only when it has something to show.

    Parameters
    ----------
    layers : LayerSet
        The layers the map draws (filters applied).
    visible : iterable of str or None
        The layers shown on opening (None: all): their unlocated places are listed.
    lang : {"zh", "en"}
        Language of the words and names.
    gcj02 : bool
        The map is drawn in GCJ-02 (the tour flies to shifted bounds).
    """
    text = texts("map", lang)
    controls = []
    steps = tour_steps(layers, lang, gcj02)
    if steps:
        words = {key: text[f"tour_{key}"] for key in _TOUR_WORDS}
        words.update(tour=text["tour"], close=text["close"])
        controls.append(("new L.Control.HdTour", {"steps": steps, "text": words}))
    places = unlocated_places(layers, visible, lang)
    if places:
        words = {key: text[f"unlocated_{key}"] for key in _UNLOCATED_WORDS}
        words["count"] = counted("map_unlocated_count", len(places), lang)
        words["close"] = text["close"]
        controls.append(("new L.Control.HdUnlocated", {"places": places, "text": words}))
    return controls
