"""What the plan says, as the views show it: the status timeline, the figures, the 街道, a
zone's members, status colouring, same-site features, the projects table's new columns and
纲要's indicator table (pure functions, no browser)."""

from __future__ import annotations

import html
import json
import re

import pytest

from hedong_geo import plan
from hedong_geo.describe import fact_value, headline, steps, street_text, timeline_text
from hedong_geo.indicators import indicator_rows, indicator_table, indicators_html
from hedong_geo.layers import STATUSES, load_layers
from hedong_geo.legend import legend_html
from hedong_geo.links import SiteLinks
from hedong_geo.mapdata import highlight_target, shared_sites, status_counts, zone_of
from hedong_geo.panel import detail_html, feature_detail
from hedong_geo.projects import project_table
from hedong_geo.webmap import build_map


@pytest.fixture(scope="module")
def layers():
    return load_layers()


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


# --- the panel ----------------------------------------------------------------------------------


def test_timeline_one_step_per_document_linked_to_its_passage(layers):
    detail = feature_detail(layers, "park.yijichuang", "zh")
    assert [(s.year, s.doc, s.stance) for s in detail.timeline] == [
        (2024, "wr", "under_way"),
        (2026, "fyp", "under_way"),
    ]
    page = detail_html(detail, "zh")
    steps_html = re.search(r'<ol class="hd-timeline">(.*?)</ol>', page).group(1)
    assert "2024 政府工作报告</a>：<q>顺利启动并加快建设</q>" in steps_html
    assert "建设中" in steps_html
    # Each step links to its passage, which the panel shows (and which links to the reader).
    for step in detail.timeline:
        anchor = f"hd-cite-{step.block.replace('.', '-')}"
        assert f'href="#{anchor}"' in steps_html and f'id="{anchor}"' in page
        assert f"para={step.block}" in page
    en = detail_html(feature_detail(layers, "park.yijichuang", "en"), "en")
    assert "Status as each document states it" in en and "2024 Work Report" in en
    assert "under way" in en


def test_timeline_text_as_the_issue_writes_it():
    cites = [
        {
            "doc": "wr",
            "block": "wr.p2.s1.p4",
            "stance": {"value": "under_way", "words": "加快建设"},
        },
        {"doc": "fyp", "block": "fyp.ch6.s2.p1", "stance": {"value": "done", "words": "建成"}},
    ]
    assert timeline_text(cites, "zh") == (
        "2024 政府工作报告：“加快建设”（建设中） · 2026 纲要：“建成”（已建成）"
    )
    assert timeline_text(cites, "en") == (
        "2024 Work Report: “加快建设” (under way) · 2026 Plan outline: “建成” (done)"
    )
    assert [s.block for s in steps(cites)] == ["wr.p2.s1.p4", "fyp.ch6.s2.p1"]
    assert timeline_text([], "zh") == ""


def test_facts_show_value_unit_kind_and_link_their_words(layers):
    zh = detail_html(feature_detail(layers, "station.zone.hedong", "zh"), "zh")
    figures = re.search(r'<ul class="hd-figures">(.*?)</ul>', zh).group(1)
    assert "面积" in figures and "6.53 km²" in figures
    assert 'href="#hd-cite-fyp-box2-r2"' in figures and "河东区规划面积 6.53 平方公里" in figures
    en = detail_html(feature_detail(layers, "station.zone.hedong", "en"), "en")
    figures = re.search(r'<ul class="hd-figures">(.*?)</ul>', en).group(1)
    assert "area" in figures and "6.53 km²" in figures and "(Hedong part)" in figures
    # A figure whose passage is not among the citations links to the reader instead.
    tower = feature_detail(layers, "station.zhonghai-international-centre", "en")
    assert {("floor area", "37 万 m²"), ("height", "340 m")} <= {
        (f.label, f.value) for f in tower.facts
    }


def test_fact_values_read_as_the_plan_gives_them():
    fact = {"kind": "completion_year", "value": 2027, "unit": "year"}
    assert fact_value(fact, "zh") == "2027 年" and fact_value(fact, "en") == "2027"
    count = {"kind": "count", "value": 34, "unit": "firms"}
    assert fact_value(count, "zh") == "34" and fact_value(count, "en") == "34 firms"
    assert fact_value({"kind": "share_pct", "value": 15, "unit": "%"}, "en") == "15%"
    assert fact_value({"kind": "area_km2", "value": 6.53, "unit": "km²"}) == "6.53 km²"
    area = {"kind": "area_km2", "value": 6.53, "unit": "km²", "words": "面积 6.53 平方公里"}
    assert headline([count | {"words": "34 家企业"}, area], "zh") == "面积 6.53 km²"
    assert headline([count | {"words": "签约 34 家企业"}], "zh") == "签约 34 家企业"
    assert headline([], "en") == ""


def test_each_passage_shows_its_stance(layers):
    detail = feature_detail(layers, "station.zone.hedong", "zh")
    page = detail_html(detail, "zh")
    for p in detail.passages:
        badge = re.search(
            rf'id="hd-cite-{re.escape(p.block_id.replace(".", "-"))}".*?'
            r'<span class="hd-stance hd-stance-(\w+)">(.*?)</span>',
            page,
        )
        assert badge and badge.group(1) == p.stance, p.block_id
    assert "谋划 · “打造”" in page


def test_street_with_its_confidence(layers):
    zh = feature_detail(layers, "park.yijichuang", "zh")
    assert zh.street == "二号桥街道（可能位于 · 近似范围）"
    en = feature_detail(layers, "park.yijichuang", "en")
    assert en.street.endswith("(likely in — approximate zone)")
    assert "Erhaoqiao" in en.street
    assert "所在街道" in detail_html(zh, "zh")
    assert street_text(None, "unknown", "en") == "subdistrict unknown"
    assert street_text("x", None) is None
    # An unlocated feature and a 街道 itself have no 街道 line.
    assert feature_detail(layers, "park.huakan-hq").street is None
    assert feature_detail(layers, "street.120102005").street is None


def test_zone_lists_its_members_located_or_not(layers):
    quadrant = feature_detail(layers, "park.quadrant.ne", "zh")
    members = {m.id for m in quadrant.members}
    assert {"park.huakan-hq", "park.mafangchang", "park.tianjin-power-design-institute"} <= members
    page = detail_html(quadrant, "zh")
    assert 'data-feature="park.huakan-hq" href="?view=map&amp;feature=park.huakan-hq"' in page
    zone = feature_detail(layers, "station.zone.hedong", "en")
    assert [m.id for m in zone.members] == ["renewal.station-area"]
    # A 街道 lists what the build put in it, with its confidence.
    erhaoqiao = feature_detail(layers, "street.120102005", "zh")
    found = {m.id: m.relation for m in erhaoqiao.members}
    assert found["park.jinmao"] == "可能位于"
    assert all(m.relation in ("确定位于", "可能位于", "规划列于此") for m in erhaoqiao.members)
    # In the static site, members link to the map or to their page.
    site = detail_html(quadrant, "zh", SiteLinks("", frozenset()))
    assert 'href="features/park.huakan-hq.html"' in site
    assert feature_detail(layers, "culture.wanda-plaza").members == []


def test_member_chosen_highlights_its_zone(layers):
    assert highlight_target(layers, "park.huakan-hq") == "park.quadrant.ne"
    assert highlight_target(layers, "renewal.tianyin-art-street") == "station.zone.hedong"
    assert highlight_target(layers, "park.quadrant.ne") == "park.quadrant.ne"
    detail = feature_detail(layers, "park.huakan-hq", "zh")
    assert detail.zone.id == "park.quadrant.ne"
    assert "地图上高亮该区域" in detail_html(detail, "zh")
    page = build_map(layers, selected="park.huakan-hq").get_root().render()
    assert 'HedongGeo.select("park.quadrant.ne")' in page
    assert zone_of(layers)["park.huakan-hq"] == "park.quadrant.ne"
    assert '"park.huakan-hq": "park.quadrant.ne"' in page or (
        '"park.huakan-hq":"park.quadrant.ne"' in page
    )


def test_detail_html_still_takes_the_site_arguments(layers):
    detail = feature_detail(layers, "park.quadrant.se", "en")
    page = detail_html(detail, "en", SiteLinks("../", frozenset({"park.quadrant.se"})), True)
    assert "../plan/fyp.html#blk-fyp-box1-r2" in page


# --- the map ------------------------------------------------------------------------------------


def test_legend_counts_each_status_the_map_draws(layers):
    counts = status_counts(layers)
    drawn = [
        row
        for name, gdf in layers.layers.items()
        if name not in ("context", "streets")
        for row in gdf.itertuples()
        if row.geometry is not None
    ]
    assert sum(counts.values()) == len(drawn) and set(counts) <= set(STATUSES)
    legend = legend_html("zh", True, counts, streets=True)
    for status, n in counts.items():
        label = {"planned": "规划", "under_way": "在建/推进中", "done": "已完成"}.get(status)
        if label:
            assert re.search(rf"{re.escape(label)} <span class=\"hd-count\">\({n}\)</span>", legend)
    assert 'name="hd-colour-by" value="status"' in legend and "建设状态" in legend
    assert "街道（近似范围，非官方边界）" in legend
    en = legend_html("en", True, counts)
    assert "Colour by:" in en and "under way" in en


def test_map_sends_status_and_styles_streets_under_everything(layers):
    page = build_map(layers).get_root().render()
    assert '"statuses": {"planned"' in page or '"statuses":{"planned"' in page
    assert '"pane": "hdStreets"' in page or '"pane":"hdStreets"' in page
    assert "HedongLabels.add(" in page and "二号桥街道" in page
    assert '"s": "under_way"' in page or '"s":"under_way"' in page
    assert "ctx|street" in page


def test_same_site_features_carry_a_site_for_the_chooser(layers):
    sites = shared_sites(layers)
    assert sites == {
        "belt.mian3": "belt.mian3",
        "belt.mian3-museum": "belt.mian3",
        "park.yijichuang": "park.yijichuang",
        "park.yijichuang-industrial-parcel": "park.yijichuang",
    }
    page = build_map(layers).get_root().render()
    for fid in sites:
        found = re.search(rf'"id": ?"{re.escape(fid)}"[^}}]*', page).group(0)
        assert '"site"' in found and '"n"' in found and '"l"' in found, fid


def test_tooltip_leads_with_the_figures(layers):
    page = build_map(layers).get_root().render()
    data = re.search(r'"id": ?"station\.zone\.hedong"[^}]*', page).group(0)
    tip = json.loads("{" + data + "}")["t"]
    assert "面积 6.53 km²" in tip
    assert "6.53 km²" in build_map(layers, lang="en").get_root().render()


# --- the projects table -------------------------------------------------------------------------


def test_projects_table_has_timeline_street_and_sortable_figures(layers):
    table = project_table(layers, lang="zh")
    for column in ("进展（各文件所述）", "所在街道", "建筑面积 (万 m²)", "高度 (m)", "完成年份"):
        assert column in table.columns, column
    assert table["高度 (m)"].dtype.kind == "f"
    tallest = table.sort_values("高度 (m)", ascending=False).iloc[0]
    assert tallest["id"] == "station.zhonghai-international-centre"
    row = table[table["id"] == "park.yijichuang"].iloc[0]
    assert row["所在街道"] == "二号桥街道 (可能位于)"
    assert row["进展（各文件所述）"].startswith("2024 政府工作报告：")
    en = project_table(layers, lang="en")
    assert {"Status as each document states it", "Subdistrict (街道)", "height (m)"} <= set(
        en.columns
    )


# --- the indicator table ------------------------------------------------------------------------


def test_indicator_rows_read_the_table():
    rows = indicator_rows()
    assert len(rows) == 19  # 18 numbered rows, no. 13 over two (doctors and nurses)
    assert [r.number for r in rows][:3] == ["1", "2", "3"]
    gdp = rows[0]
    assert (gdp.name, gdp.unit, gdp.value_2025, gdp.target_2030, gdp.kind) == (
        "地区生产总值增速",
        "%",
        "--",
        "4.5-5*",
        "预期性",
    )
    nurses = next(r for r in rows if r.block == "fyp.ind.r19")
    assert nurses.number == "13" and nurses.name == "每千人口拥有医护人员数：注册护士数"
    assert nurses.kind == "预期性" and nurses.unit == "人"
    pm = next(r for r in rows if "PM2.5" in r.name)
    assert pm.kind == "约束性" and pm.value_2025 == "38.0"
    for row in rows:
        assert plan.block(row.block).id.startswith("fyp.ind.r")
        for chapter, first in row.chapters:
            assert plan.block(first).heading_ids[0] == chapter
            assert not first.startswith(("fyp.ind", "fyp.ch1."))


def test_indicators_link_their_passage_and_chapters():
    page = indicators_html("zh")
    for row in indicator_rows():
        assert f'href="?view=reader&amp;para={row.block}"' in page
        for _, first in row.chapters:
            assert f"para={first}" in page
    assert "“十五五”时期河东区经济社会发展主要指标" in page and "第六章" in page
    en = indicators_html("en")
    assert "Life expectancy (years)" in en and "within 5.5" in en and "Ch. 8" in en
    table = indicator_table("en")
    assert len(table) == 19 and list(table.columns)[:3] == ["No.", "Area", "Indicator"]
