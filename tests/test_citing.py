"""What the plan says about each feature: whole-sentence quotes, stances, facts, and the
checks `validate` makes of them."""

from __future__ import annotations

import json
import shutil

import pytest

from hedong_geo import citing, plan
from hedong_geo._validate import validate_layers
from hedong_geo.facts import Fact
from hedong_geo.layers import load_layers
from hedong_geo.paths import LAYERS
from hedong_geo.stance import Override


@pytest.fixture(scope="module")
def layers():
    return load_layers()


def _cite(layers, feature_id, block_id):
    found = [c for c in layers.feature(feature_id).citations if c["block"] == block_id]
    assert found, f"{feature_id} is not cited in {block_id}"
    return found[0]


def test_quotes_are_whole_sentences_that_say_where(layers):
    """The 60-character clause used to stop before the place it belongs to (大直沽片区)."""
    cite = _cite(layers, "renewal.dazhigu-parcel-18", "fyp.ch6.s2.p1")
    assert cite["quote"].startswith("大直沽片区突出天津城市原生点历史文化主线")
    assert cite["quote"].endswith("。")
    for row in layers.features().itertuples():
        for c in row.citations:
            assert citing.citation_problems(row.id, c) == [], (row.id, c["block"])


@pytest.mark.parametrize(
    ("feature", "block", "value", "words"),
    [
        ("park.yijichuang", "wr.p1.p16", "under_way", "顺利启动并加快建设"),
        ("station.zone.hedong", "fyp.box2.r2", "planned", None),
        ("renewal.station-area", "wr.p2.s1.p4", "to_start", "高起点谋划、高标准启动"),
    ],
)
def test_each_citation_says_what_its_passage_states(layers, feature, block, value, words):
    stance = _cite(layers, feature, block)["stance"]
    assert stance["value"] == value, stance
    if words is not None:
        assert words in stance["words"] or stance["words"] in words
        assert all(piece in plan.block(block).text for piece in stance["words"].split("…"))


def test_facts_carry_their_number_and_passage(layers):
    facts = {f["kind"]: f for f in layers.feature("station.zone.hedong").facts}
    assert facts["area_km2"]["value"] == 6.53 and facts["area_km2"]["unit"] == "km²"
    hucanghe = {f["kind"]: f["value"] for f in layers.feature("infra.hucanghe").facts}
    assert hucanghe["length_km"] == 5.43 and hucanghe["depth_m"] == 2
    for row in layers.features().itertuples():
        for fact in row.facts:
            assert fact["words"] in plan.block(fact["block"]).text


def test_a_clause_quote_is_a_problem():
    block = plan.block("fyp.ch6.s2.p1")
    start = block.text.index("重点加快")
    cite = {"block": block.id, "quote": block.text[start : start + 20], "marks": [[0, 5]]}
    (message,) = [m for m in citing.citation_problems("x", cite) if "whole sentence" in m]
    assert repr(cite["quote"]) in message and block.id in message


def test_a_quote_without_the_mention_is_a_problem():
    block = plan.block("fyp.ch6.s2.p1")
    first = block.text.index("。") + 1
    cite = {"block": block.id, "quote": block.text[:first], "marks": [[first + 2, first + 4]]}
    assert any(
        "holds none of the marked mentions" in m for m in citing.citation_problems("x", cite)
    )


def test_unknown_status_words_are_reported_not_guessed():
    cite = {
        "block": "fyp.ch6.s2.p1",
        "quote": "",
        "marks": [],
        "stance": {"value": "none", "words": "", "rule": "", "reason": "no rule knows the words"},
    }
    problems = citing.citation_problems("x", cite)
    assert any("no stance rule knows" in m and "stance_rules.yaml" in m for m in problems)


def test_review_problems_name_each_bad_row(layers, monkeypatch):
    frame = layers.features()
    citations = dict(zip(frame["id"], frame["citations"], strict=True))
    bad_fact = Fact("infra.hucanghe", "length_km", 9.99, "km", "", "fyp.box6.r1", "全长 5.43 公里")
    monkeypatch.setattr(citing, "load_facts", lambda: [bad_fact])
    overrides = {
        ("infra.hucanghe", "wr.p1.p1"): Override("infra.hucanghe", "wr.p1.p1", "done", "", "r"),
        ("park.yijichuang", "wr.p1.p16"): Override(
            "park.yijichuang", "wr.p1.p16", "under_way", "加快建设", "same as the rules"
        ),
    }
    monkeypatch.setattr(citing, "load_overrides", lambda: overrides)
    problems = citing.review_problems(citations, set(citations))
    assert any("9.99 is not in the words" in p for p in problems)
    assert any(
        "(infra.hucanghe, wr.p1.p1): overrides a citation that does not exist" in p
        for p in problems
    )
    assert any("the rules already give 'under_way'" in p for p in problems)


def test_validate_reports_a_clause_quote_in_a_layer_file(tmp_path):
    folder = tmp_path / "layers"
    shutil.copytree(LAYERS, folder)
    for path in folder.glob("*.geojson"):
        data = json.loads(path.read_text(encoding="utf-8"))
        for feature in data["features"]:
            if feature["properties"]["id"] == "renewal.dazhigu-parcel-18":
                for cite in feature["properties"]["citations"]:
                    cite["quote"] = "重点加快 18 号地、四号台、棉一地块等项目建设，"
                path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    messages = [str(p) for p in validate_layers(folder)]
    assert any(
        "renewal.dazhigu-parcel-18" in m and "not a whole sentence" in m for m in messages
    ), messages


def test_timeline_steps_through_the_documents_in_date_order(layers):
    steps = citing.timeline(list(layers.feature("park.yijichuang").citations))
    assert [(s["year"], s["stance"]) for s in steps] == [(2024, "under_way"), (2026, "under_way")]
    assert steps[0]["words"] in plan.block(steps[0]["block"]).text


def test_exports_carry_the_timeline_and_the_facts(layers, tmp_path):
    import geopandas as gpd

    from hedong_geo.exports import csv_rows, export_data

    frame = layers.features()
    (row,) = csv_rows(frame[frame["id"] == "station.zone.hedong"])
    assert row["facts"] == "area_km2 6.53 km² (Hedong part) [fyp.box2.r2]"
    assert row["timeline"].startswith("2024 wr.gloss.6: ") and "2026 fyp." in row["timeline"]
    out = export_data(layers, tmp_path / "zone.gpkg", "gpkg", ids=["station.zone.hedong"])
    table = gpd.read_file(out, layer="station_zone")
    assert json.loads(table.loc[0, "facts"])[0]["value"] == 6.53
    assert json.loads(table.loc[0, "citations"])[0]["stance"]["value"]
