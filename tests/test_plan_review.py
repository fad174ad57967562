"""The reviewed reading of the plan: citations in the sense meant, stances, figures, quotes.

``tests/data/golden_citations.csv`` is a list of (feature, passage) pairs reviewed by reading
both texts: ``cited`` rows must be in the built layers with the stated stance, ``not_cited`` rows
(a 片区 that is not the station, a company that is not a park of similar name) must not.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from hedong_geo import plan, stance, text
from hedong_geo._errors import LayerError
from hedong_geo.facts import KINDS, Fact, check_facts, load_facts, numbers_in
from hedong_geo.layers import load_layers
from hedong_geo.paths import LAYERS
from hedong_geo.register import load_register

GOLDEN = Path(__file__).parent / "data" / "golden_citations.csv"


@pytest.fixture(scope="module")
def citations() -> dict[tuple[str, str], dict]:
    features = load_layers(LAYERS).features()
    return {
        (row.id, cite["block"]): cite
        for row in features.itertuples()
        if row.layer != "context"
        for cite in row.citations
    }


def _golden() -> list[dict[str, str]]:
    with GOLDEN.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_golden_list_is_large_and_both_ways():
    rows = _golden()
    expects = [r["expect"] for r in rows]
    assert len(rows) >= 60
    assert expects.count("cited") >= 40 and expects.count("not_cited") >= 15
    ids = {e.id for e in load_register()}
    for r in rows:
        assert r["feature_id"] in ids, r
        assert plan.has_block(r["block_id"]), r


@pytest.mark.parametrize("row", _golden(), ids=lambda r: f"{r['feature_id']}@{r['block_id']}")
def test_golden_citation(row, citations):
    key = (row["feature_id"], row["block_id"])
    if row["expect"] == "not_cited":
        assert key not in citations, f"{key} is cited but must not be: {row['note']}"
        return
    assert key in citations, f"{key} must be cited: {row['note']}"
    cite = citations[key]
    got = stance.citation_stance(*key, cite["marks"])
    assert got.stance == row["stance"], (key, got)
    assert got.words == row["words"], (key, got)
    if got.stance != "none":
        assert stance.words_in(got.words, plan.block(row["block_id"]).text)


def test_register_status_is_what_the_latest_document_says(citations):
    """Each feature's status is the current stance of its passages (to_start is planned)."""
    wrong = []
    for entry in load_register():
        timeline = [
            (b, stance.citation_stance(fid, b, cite["marks"]))
            for (fid, b), cite in citations.items()
            if fid == entry.id
        ]
        order = {blk.id: i for i, blk in enumerate(plan.blocks())}
        if not timeline:  # geography the plan does not name (most 街道 zones): no stance
            continue
        timeline.sort(key=lambda item: order[item[0]])
        now = stance.register_status(stance.current(timeline))
        if now != entry.status:
            wrong.append((entry.id, entry.status, now))
    assert not wrong


def test_every_citation_has_a_stance_or_a_reason(citations):
    for (fid, block_id), cite in citations.items():
        got = stance.citation_stance(fid, block_id, cite["marks"])
        assert got.stance in stance.STANCES
        if got.stance == "none":
            assert got.reason, (fid, block_id)


# --- the stance rules on reviewed examples ----------------------------------------------------

EXAMPLES = [
    # (block, name, stance, words): one per rule family, in both documents and tenses
    ("wr.p2.s1.p4", "新开路地块", "to_start", "推动…开工建设"),  # 推动…开工 is not under way
    ("wr.p2.s4.p2", "金梭南道", "under_way", "完成…建设"),  # 完成…建设 planned for 2024
    ("wr.p1.p16", "十三经路", "done", "完成…建设"),  # the same words in the 2023 review
    ("wr.p2.s2.p3", "直沽记忆", "under_way", "加快…建设"),
    ("fyp.ch7.s2.p1", "严复主题公园", "planned", "打造"),
    ("wr.p1.p13", "东孙台", "under_way", "出让后…实现开工"),
    ("wr.p1.p10", "东孙台", "planned", "顺利出让"),
    ("fyp.box5.r1", "昆仑路燃气中压管线", "to_start", "新开工"),
    ("fyp.box2.r2", "中海国际中心", "under_way", "预计 2027 年竣工"),
    ("wr.p1.p17", "桥园吉姆都市冒险世界", "done", "建成并投入使用"),
    ("fyp.ch1.s1.p4", "天津机床工业博物馆", "done", "建成"),
    ("fyp.box8.r2", "公建公营养老机构", "planned", "谋划"),
    ("fyp.ch4.s1.p2", "核理化院", "existing", "依托"),
    ("wr.p2.s4.p2", "龙图道", "existing", "至"),
    ("wr.gloss.5", "万爱商圈", "existing", "即"),
    ("fyp.ch3.s2.p2", "超高层写字楼集群", "under_way", "共同形成"),
]


@pytest.mark.parametrize("block_id, name, expected, words", EXAMPLES)
def test_stance_rules(block_id, name, expected, words):
    body = plan.block(block_id).text
    start = body.index(name)
    got = stance.stance(body, start, start + len(name), block_id)
    assert (got.stance, got.words) == (expected, words), got
    assert got.rule and not got.reason


def test_a_heading_states_nothing():
    body = plan.block("fyp.box1").text
    got = stance.stance(body, body.index("金贸"), body.index("金贸") + 5, "fyp.box1")
    assert got.stance == "none" and "heading" in got.reason


def test_unknown_words_are_reported_not_guessed():
    body = "某某公园悄然焕新。"
    got = stance.stance(body, 0, 4, "fyp.ch6.s2.p1")
    assert got.stance == "none" and "某某公园" not in got.words and "悄然焕新" in got.reason


def test_tenses_follow_the_documents_parts():
    assert stance.tense("wr.p1.p10")[0] == "past"
    assert stance.tense("wr.p2.s1.p4")[0] == "plan"
    assert stance.tense("fyp.ch1.s1.p3")[0] == "past"
    assert stance.tense("fyp.ch6.s2.p1")[0] == "plan"
    assert stance.register_status("to_start") == "planned"


def test_current_prefers_the_plan_part_of_the_latest_document():
    past = stance.Stance("done", "组建", "before_done", "past")
    ahead = stance.Stance("under_way", "推进…建设", "push_works", "plan")
    ref = stance.Stance("existing", "依托", "referred", "plan")
    old = stance.Stance("planned", "谋划", "plan_words", "plan")
    assert stance.current([("fyp.ch1.s1.p4", past), ("fyp.ch7.s4.p1", ahead)]) == "under_way"
    assert stance.current([("fyp.ch1.s1.p2", past), ("fyp.ch4.s4.p1", ref)]) == "done"
    assert stance.current([("fyp.ch3.s2.p2", ref)]) == "existing"
    assert stance.current([("fyp.ch3.s2.p2", old), ("wr.p2.s1.p4", ahead)]) == "planned"
    assert stance.current([]) == "none"


def test_overrides_are_checked(tmp_path):
    bad = tmp_path / "overrides.csv"
    bad.write_text(
        "feature_id,block_id,stance,words,reason\n"
        "x,fyp.box2.r2,finished,6.53,\n"
        "y,fyp.box2.r2,planned,七十七,a reason\n",
        encoding="utf-8",
    )
    with pytest.raises(LayerError) as err:
        stance.load_overrides(bad)
    assert "finished" in str(err.value) and "七十七" in str(err.value)


def test_every_override_is_used_by_a_citation(citations):
    """An override that matches no citation corrects nothing: it must go."""
    for fid, block_id in stance.load_overrides():
        assert (fid, block_id) in citations, (fid, block_id)


# --- figures ----------------------------------------------------------------------------------


def test_every_fact_is_in_its_passage():
    facts = load_facts()
    assert len(facts) >= 40
    assert not check_facts(facts, {e.id for e in load_register()})
    assert {f.kind for f in facts} <= set(KINDS)


def test_a_number_not_in_the_passage_is_reported():
    ids = {"infra.hucanghe"}
    wrong = Fact("infra.hucanghe", "length_km", 5.34, "km", "", "fyp.box6.r1", "全长 5.43 公里")
    (problem,) = check_facts([wrong], ids)
    assert "5.34" in problem and "全长 5.43 公里" in problem
    invented = Fact("infra.hucanghe", "depth_m", 2, "m", "", "fyp.box6.r1", "平均水深 3 米")
    (problem,) = check_facts([invented], ids)
    assert "not in fyp.box6.r1" in problem


def test_numbers_in_words():
    assert numbers_in("河东区规划面积 6.53 平方公里") == {6.53}
    assert 2 in numbers_in("建设南北两个区级养老服务指导中心")
    assert 15 in numbers_in("十五年一贯制")


def test_the_zone_figures_go_to_the_right_part():
    by_feature = {(f.feature_id, f.value) for f in load_facts() if f.kind == "area_km2"}
    assert by_feature == {("station.zone.whole", 14.3), ("station.zone.hedong", 6.53)}


# --- whole-sentence quotes --------------------------------------------------------------------

SENTENCES = [
    # (block, mention, words today's 60-character clause drops, that the sentence keeps)
    ("fyp.ch6.s2.p1", "18 号地", "大直沽片区"),
    ("fyp.ch6.s2.p1", "天音艺术街区", "天津站片区"),
    ("fyp.box2.r1", "天津站站产城片区", "涉及河东、和平、河北三区"),
    ("fyp.ch3.s2.p2", "超高层写字楼集群", "推动中海城市广场商务楼宇子项目建设"),
    ("fyp.box4.r1", "十四经路", "二手高价值物品"),
    ("fyp.box2.r2", "六经路至十一经路", "成为中心城区高层写字楼最密集地区之一"),
]


@pytest.mark.parametrize("block_id, name, kept", SENTENCES)
def test_whole_sentence_keeps_where_and_what(block_id, name, kept):
    body = plan.block(block_id).text
    start = body.index(name)
    quote = text.sentence(body, start, start + len(name))
    assert name in quote and kept in quote
    assert plan.cite(block_id, quote).start >= 0  # verbatim


def test_sentence_stops_at_list_items_and_table_cells():
    body = plan.block("wr.gloss.6").text
    start = body.index("多点，即")
    assert text.sentence(body, start, start + 2) == (
        "多点，即一机床、津龙湾、井冈山路周边片区等城市更新项目。"
    )
    row = plan.block("fyp.box7.r1").text
    start = row.index("天津一中")
    assert not text.sentence(row, start, start + 4).startswith("新建学校")
    with pytest.raises(ValueError):
        text.sentence_span("短", 0, 5)
