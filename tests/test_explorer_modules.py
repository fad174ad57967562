"""The explorer's pure parts: panel, reader, projects table, URL state, UI strings."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from hedong_geo import plan
from hedong_geo.i18n import strings, t
from hedong_geo.layers import LayerSet, load_layers
from hedong_geo.links import anchor
from hedong_geo.panel import cite_block, detail_html, feature_detail, mark_html, related_features
from hedong_geo.projects import Filters, coverage_summary, project_table, zone_summary
from hedong_geo.reader import document_html, place_links
from hedong_geo.text import find_spans
from hedong_geo.urlstate import ViewState, parse_state, state_params, state_url

DATA = Path(__file__).parent / "data"
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def layers():
    return load_layers()


@pytest.fixture(scope="module")
def small():
    return load_layers(DATA / "layers_small")


# --- i18n -------------------------------------------------------------------------------------


def test_every_ui_string_has_both_languages():
    for key, entry in strings().items():
        assert entry.get("zh") and entry.get("en"), key


def test_unknown_string_key_fails_loudly():
    with pytest.raises(KeyError, match="no UI string 'nope'"):
        t("nope")
    assert t("view_map", "fr") == t("view_map", "zh")


# --- panel ------------------------------------------------------------------------------------


def test_mark_html_escapes_and_marks():
    text = f"{XSS} 棉 3 创意街区"
    marks = [(a, b) for a, b, _ in find_spans(text, ["棉3创意街区"])]
    assert mark_html(text, marks) == (
        "&lt;img src=x onerror=alert(1)&gt; <mark>棉 3 创意街区</mark>"
    )
    assert mark_html("a<b", []) == "a&lt;b"


def test_panel_marks_what_the_build_cited(layers):
    """The passage marks the citation's offsets, not every word that looks like a name."""
    cite = {"doc": "fyp", "block": "fyp.box1.r2", "quote": "东南片区", "marks": [[0, 2]]}
    passage = cite_block(cite)
    assert passage.html.startswith("<mark>东南</mark>片区")
    assert passage.html.count("<mark>") == 1
    assert "<mark>" not in cite_block({**cite, "marks": []}).html


def test_quadrant_detail_shows_its_box_1_passage(layers):
    detail = feature_detail(layers, "park.quadrant.se", "zh")
    assert detail.name == "金贸产业园东南片区"
    assert [p.block_id for p in detail.passages] == ["fyp.box1.r2"]
    passage = detail.passages[0]
    assert "<mark>东南片区</mark>以核理化院" in passage.html
    assert passage.headings[-1] == "专栏 1：金贸产业园"
    related = {r.id: r.relation for r in detail.related}
    assert related["park.jinmao"] == t("rel_within", "zh")
    assert related["park.hulihuayuan"] == t("rel_contains", "zh")


def test_every_citation_renders_with_its_quote_inside(layers):
    for row in layers.features().itertuples():
        for cite in row.citations:
            passage = cite_block(cite)
            block = plan.block(passage.block_id).text
            assert cite["quote"] in block
            # Every mark the build stored is marked, around the feature's name as it stands.
            assert passage.html.count("<mark>") == len(cite["marks"])
            for a, b in cite["marks"]:
                assert f"<mark>{block[a:b]}</mark>" in passage.html


def test_related_is_a_spatial_query(layers):
    related = {r.id for r in related_features(layers, "station.zone.hedong")}
    assert "belt.office-cluster" in related and "station.zone.whole" in related
    assert "park.jinmao" not in related
    assert related_features(layers, "no.such.feature") == []


def test_related_respects_accuracy(layers):
    """Places known only to be "in the park" are members of the park, not points in one of its
    quadrants: the quadrant must not claim them."""
    nw = {r.id: r.relation for r in related_features(layers, "park.quadrant.nw")}
    assert nw["park.meijian5"] == t("rel_contains")  # 专栏 1 puts it there
    assert nw.get("park.parcel-11d") != t("rel_contains")
    parcel = layers.feature("park.parcel-11d")
    assert parcel.geometry is None and parcel["parent"] == "park.jinmao"


def test_unlocated_detail_says_so(layers):
    detail = feature_detail(layers, "infra.longtanlu", "en")
    assert not detail.located and detail.accuracy_m is None
    assert detail.passages and detail.basis == t("basis_unlocated", "en")


def test_detail_html_escapes_data(small):
    detail = feature_detail(small, "renewal.xss", "zh")
    page = detail_html(detail, "zh")
    assert XSS not in page and "&lt;img src=x" in page


def test_unknown_feature_names_the_id(layers):
    with pytest.raises(KeyError, match=r"no\.such"):
        feature_detail(layers, "no.such")


# --- reader -----------------------------------------------------------------------------------


def test_reader_links_every_place_and_highlights_the_block(layers):
    page = document_html("fyp", layers, highlight="fyp.box1.r2")
    hit = re.search(r'<p id="blk-fyp-box1-r2" class="hd-row hd-hit"[^>]*>(.*?)</p>', page)
    assert hit
    assert 'data-feature="park.quadrant.se"' in hit.group(1)
    assert page.count('class="hd-place"') > 100
    for blk in plan.blocks("fyp"):
        assert f'id="{anchor(blk.id)}"' in page


def test_reader_links_what_the_build_cited(layers):
    spans = place_links(layers)
    assert (0, 4, "park.quadrant.se") in spans["fyp.box1.r2"]
    text = plan.block("wr.p2.s1.p4").text
    # "富民路、天津站等片区": the renewal 片区, so the build no longer cites the station there.
    assert [fid for a, b, fid in spans["wr.p2.s1.p4"] if text[a:b] == "富民路"] == [
        "renewal.fuminlu-area"
    ]
    assert not [fid for a, b, fid in spans["wr.p2.s1.p4"] if fid == "station.hub"]
    # Every span is a citation of its feature, with these offsets.
    cited = {
        (c["block"], a, b, row.id)
        for row in layers.features().itertuples()
        for c in row.citations or []
        for a, b in c.get("marks") or []
    }
    assert all((blk, a, b, fid) in cited for blk, found in spans.items() for a, b, fid in found)


def test_reader_prefers_located_features_for_a_shared_mention(layers):
    """A mention cited by a located and an unlocated feature links to the located one."""
    layer = layers.layers["unlocated"].copy()
    se = layers.feature("park.quadrant.se")
    row = layer.iloc[0]
    layer.at[layer.index[0], "citations"] = [
        *row["citations"],
        {"doc": "fyp", "block": "fyp.box1.r2", "quote": "东南片区", "marks": [[0, 4]]},
    ]
    assert row["id"] < se["id"]  # so only the located-first rule can pick the quadrant
    mixed = LayerSet({**layers.layers, "unlocated": layer}, [])
    assert (0, 4, "park.quadrant.se") in place_links(mixed)["fyp.box1.r2"]


# --- projects ---------------------------------------------------------------------------------


def test_project_table_includes_unlocated_and_filters(layers):
    table = project_table(layers, lang="en")
    assert len(table) == sum(len(g) for n, g in layers.layers.items() if n != "context")
    assert "infra.longtanlu" in set(table["id"])
    only_wr = project_table(layers, Filters(docs=("wr",)), "en")
    assert 0 < len(only_wr) < len(table)
    schematic = project_table(layers, Filters(bases=("schematic",)), "en")
    assert set(schematic[t("location_basis", "en")]) == {t("basis_schematic", "en")}


def test_summaries(layers):
    cov = coverage_summary(layers, "en")
    assert cov[t("count", "en")].sum() == len(project_table(layers))
    zones = zone_summary(layers, lang="en").set_index("id")
    assert zones.loc["station.zone.hedong", t("area_km2", "en")] == pytest.approx(6.53, rel=0.01)
    assert (
        zones.loc["park.jinmao", t("count", "en")]
        >= zones.loc["park.quadrant.se", t("count", "en")]
    )
    assert pd.isna(zones.loc["park.jinmao", t("area_km2", "en")])  # a placeholder's area: blank


# --- URL state --------------------------------------------------------------------------------


def test_url_state_round_trips():
    state = ViewState(view="map", lang="en", feature="park.quadrant.se", layers=("renewal",))
    params = state_params(state)
    assert parse_state(params) == state
    assert state_url(state).startswith("?view=map&lang=en&feature=park.quadrant.se")


def test_para_opens_the_reader_at_its_document():
    state = parse_state({"para": "wr.gloss.6"}, block_exists=lambda b: True)
    assert (state.view, state.doc, state.para) == ("reader", "wr", "wr.gloss.6")


def test_bad_links_are_reported_not_fatal():
    state = parse_state(
        {"view": "nope", "lang": "fr", "para": "fyp.ch99", "layers": "renewal,bogus"},
        known_layers=("renewal",),
        block_exists=lambda b: False,
    )
    assert (state.view, state.lang, state.para, state.layers) == ("map", "zh", None, ("renewal",))
    assert dict(state.problems) == {
        "view": "nope",
        "lang": "fr",
        "para": "fyp.ch99",
        "layers": "bogus",
    }
    for param, _ in state.problems:
        assert t(f"url_{param}", "en")  # every kind of problem has a message
