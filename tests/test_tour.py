"""The tour (geodata/tour.json) and the list of places the map does not draw."""

from __future__ import annotations

import json

import pytest

from hedong_geo import tour
from hedong_geo.layers import load_layers
from hedong_geo.mapdata import highlight_target, unlocated_places
from hedong_geo.mapguides import guide_controls
from hedong_geo.text import is_whole


@pytest.fixture(scope="module")
def layers():
    return load_layers()


def test_tour_is_sound(layers) -> None:
    steps = tour.load_tour()
    assert [s["key"] for s in steps][:4] == ["station", "belt", "park", "points"]
    assert tour.tour_problems(layers) == []
    for step in steps:
        # Each quote is whole sentences of its block, and its feature is drawn.
        found = tour.plan.cite(step["block"], step["quote"])
        assert is_whole(found.block_text, found.start, found.end), step["key"]
        assert layers.has_feature(step["feature"]) and highlight_target(layers, step["feature"])


def test_tour_problems_name_the_step_and_what_is_wrong(layers, monkeypatch, tmp_path) -> None:
    steps = [dict(s) for s in tour.load_tour()]
    steps[0] = {**steps[0], "feature": "no.such.feature"}
    steps[1] = {**steps[1], "quote": steps[1]["quote"][5:]}  # not from a sentence's start
    steps[2] = {**steps[2], "quote": "规划里没有这句话。"}
    steps[3] = {**steps[3], "block": "fyp.no.such.block"}
    steps[4] = {**steps[4], "title": {"zh": "标题", "en": ""}}
    bad = tmp_path / "tour.json"
    bad.write_text(json.dumps({"steps": steps}, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(tour, "TOUR_FILE", bad)
    tour.load_tour.cache_clear()
    try:
        problems = tour.tour_problems(layers)
    finally:
        tour.load_tour.cache_clear()
    text = "\n".join(problems)
    assert len(problems) == 5, text
    assert "step 'station': no feature 'no.such.feature'" in text
    assert "step 'belt'" in text and "not a whole sentence" in text
    assert "step 'park'" in text and "规划里没有这句话" in text
    assert "step 'points'" in text and "fyp.no.such.block" in text
    assert "step 'yijichuang': no title in 'en'" in text


def test_tour_steps_in_each_language(layers) -> None:
    zh, en = tour.tour_steps(layers, "zh"), tour.tour_steps(layers, "en")
    assert (
        [s["id"] for s in zh] == [s["id"] for s in en] == [s["feature"] for s in tour.load_tour()]
    )
    assert zh[0]["title"].startswith("一站") and en[0]["title"].startswith("One station")
    assert zh[0]["quote"] == en[0]["quote"]  # the plan's words stay Chinese
    assert en[0]["source"].endswith("wr.p2.s3.p2")
    (south, west), (north, east) = zh[0]["bounds"]
    assert south < north and west < east


def test_unlocated_places_with_their_zones(layers) -> None:
    places = unlocated_places(layers, None, "zh")
    rows = layers.layers["unlocated"]
    assert len(places) == len(rows)
    by_id = {p["id"]: p for p in places}
    assert by_id["park.huakan-hq"]["z"] == "park.quadrant.ne"
    assert by_id["park.huakan-hq"]["zn"] == "金贸产业园东北片区"
    tied = [p for p in places if "z" in p]
    assert tied and places[: len(tied)] == tied  # zone-tied places first
    for place in tied:
        assert place["z"] == highlight_target(layers, place["id"])
    # Only the shown layers' places are listed; with none to list, no control.
    assert unlocated_places(layers, ["renewal"], "zh") == []
    names = [factory for factory, _ in guide_controls(layers, ["renewal"], "en", False)]
    assert names == ["new L.Control.HdTour"]
    controls = dict(guide_controls(layers, None, "en", False))
    shown = controls["new L.Control.HdUnlocated"]
    assert shown["text"]["count"] == f"{len(shown['places'])} places not yet located"
