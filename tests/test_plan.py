"""The plan corpus: shipped texts, structure, page-break repair, offsets, ids, citations."""

from __future__ import annotations

import hashlib
import itertools
import json
from pathlib import Path

import pytest

from hedong_geo import CitationError, UnknownIdError, plan
from hedong_geo.paths import PLAN_DIR

DATA = Path(__file__).parent / "data"
SNAPSHOT = DATA / "plan_block_ids.txt"
REGENERATE = (
    '.venv/bin/python -c "from hedong_geo import plan; '
    "print('\\n'.join(b.id for b in plan.blocks()))\" > tests/data/plan_block_ids.txt"
)

SHA256 = {
    "wr": "861c4dc82dc1e8bc98d2cf0150cec5701711a650fe95cf18c4629ed5dda91024",
    "fyp": "41957fe81662a10196e64a025f5477509c6217eb32235cc003dcc11bd3419543",
}


def _ids(doc: str, kind: str | None = None, prefix: str = "") -> list[str]:
    return [
        b.id
        for b in plan.blocks(doc)
        if (kind is None or b.kind == kind) and b.id.startswith(prefix)
    ]


# --- the shipped files --------------------------------------------------------------------


@pytest.mark.parametrize("doc", ["wr", "fyp"])
def test_shipped_text_is_byte_identical(doc):
    path = PLAN_DIR / plan.document(doc).file
    assert hashlib.sha256(path.read_bytes()).hexdigest() == SHA256[doc]


def test_metadata_file_agrees():
    meta = {d["id"]: d for d in json.loads((PLAN_DIR / "documents.json").read_text("utf-8"))}
    assert {k: v["sha256"] for k, v in meta.items()} == SHA256
    wr, fyp = plan.document("wr"), plan.document("fyp")
    assert (wr.number, wr.date, wr.delivered, wr.year) == (
        "河东政发〔2024〕1号",
        "2024-01-23",
        "2024-01-17",
        2024,
    )
    assert (fyp.number, fyp.date) == ("河东政发〔2026〕2号", "2026-02-13")
    for doc in (wr, fyp):
        assert doc.number in doc.text
        assert doc.publication in doc.text


def test_readme_lists_the_checksums():
    readme = (PLAN_DIR / "README.md").read_text("utf-8")
    for digest in SHA256.values():
        assert digest in readme


def test_unknown_document():
    with pytest.raises(UnknownIdError, match="wr, fyp"):
        plan.document("fyp15")


# --- structure ----------------------------------------------------------------------------


def test_work_report_structure():
    assert _ids("wr", "heading", "wr.p") == [
        "wr.p1",
        "wr.p2",
        *(f"wr.p2.s{i}" for i in range(1, 6)),
        "wr.p3",
        *(f"wr.p3.s{i}" for i in range(1, 5)),
    ]
    assert [b for b in _ids("wr", "heading") if b.count(".") == 1] == [
        "wr.p1",
        "wr.p2",
        "wr.p3",
        "wr.gloss",
    ]
    assert _ids("wr", "glossary") == [f"wr.gloss.{i}" for i in range(1, 19)]
    assert _ids("wr", "footnote") == ["wr.fn.1"]
    assert plan.block("wr.p2.s1").text == "（一）坚持产业为基、提质增效，加快形成更多新质生产力"
    assert plan.block("wr.gloss").text == "名词解释"
    assert plan.block("wr.gloss.7").text.startswith("7.“无废细胞”：指为贯彻落实")
    assert plan.block("wr.gloss.7").text.endswith("等各类生产生活单元。")  # split entry joined


def test_five_year_plan_structure():
    chapters = [b for b in _ids("fyp", "heading") if b.count(".") == 1 and ".ch" in b]
    assert chapters == [f"fyp.ch{i}" for i in range(1, 11)]
    boxes = [b for b in _ids("fyp", "heading") if ".box" in b]
    assert boxes == [f"fyp.box{i}" for i in range(1, 9)]
    rows = {i: len(_ids("fyp", "row", f"fyp.box{i}.")) for i in range(1, 9)}
    assert rows == {1: 5, 2: 2, 3: 4, 4: 1, 5: 4, 6: 1, 7: 2, 8: 3}
    assert plan.block("fyp.box1").text == "专栏 1：金贸产业园"
    assert plan.block("fyp.box3.r2").cells[0] == "能源电力 双创融合专项行动"
    assert plan.block("fyp.ch3.s2").text == "第二节 推进站产城融合发展"


def test_wrapped_chapter_titles_are_joined():
    assert plan.block("fyp.ch4").text == "第四章 以科技创新引领新质生产力发展 加快推动产业焕新升级"
    assert plan.block("fyp.ch10").text == "第十章 坚持和加强党的全面领导 凝心聚力推动落地见效"
    assert plan.block("fyp.ch4.p1").text.startswith("坚持科技创新和产业创新一起抓")
    assert plan.block("fyp.ch1").text == "第一章 开启新征程 迈入承上启下的关键期"


def test_indicator_table():
    rows = [plan.block(i) for i in _ids("fyp", "row", "fyp.ind.")]
    assert len(rows) == 27  # two header rows (one per page), five group rows, 20 indicator lines
    numbered = [r.cells[0] for r in rows if r.cells[0].isdigit()]
    assert numbered == [str(i) for i in range(1, 19)]
    assert rows[0].cells == ("序号", "指标", "", "2025 年", "2030 年 目标值", "属性")
    pm = next(r for r in rows if r.cells[0] == "16")
    assert "PM2.5" in pm.cells[1] and "PM2.5" in pm.text
    assert plan.block("fyp.ind.r19").cells[:2] == ("", "医护人员数")  # merged cell of row 13
    assert plan.block("fyp.ind.note").text.startswith("注：[]为五年累计数")
    assert plan.block("fyp.ind").headings[1:3] == (
        "第二章 立足新起点 谱写高质量发展新篇章",
        "第三节 主要目标",
    )


def test_paragraphs_before_the_first_section_and_after_a_box():
    assert plan.block("fyp.ch6.p1").text.startswith("践行人民城市理念")
    assert plan.block("fyp.ch2.s4.p5").text.startswith("完善“多点”支撑。")  # after 专栏 1
    assert plan.block("wr.p1.p4").text.startswith("协同发展战略深入实施。")
    assert plan.block("wr.p3.p2").text.startswith("各位代表，奋斗创造幸福")


def test_front_and_back_matter():
    assert plan.block("wr.front.p1").text == "河东政发〔2024〕1号"
    assert plan.block("fyp.front.p1").text == "河东政发〔2026〕2号"
    subtitle = "——2024年1月17日在天津市河东区第十八届人民代表大会第五次会议上"
    assert subtitle in {b.text for b in plan.blocks("wr")}
    assert plan.block("fyp.back.p1").text.endswith("区检察院，区武装部，各人民团体，各民主党派。")


def test_every_block_has_kind_doc_and_heading_path():
    for doc in ("wr", "fyp"):
        title = plan.document(doc).title_zh
        for b in plan.blocks(doc):
            assert b.doc == doc and b.id.startswith(doc + ".")
            assert b.kind in plan.KINDS
            assert b.text and b.text == b.text.strip()
            assert b.headings[0] == title
            assert len(b.headings) == len(b.heading_ids) + 1
            if b.kind == "heading":
                assert b.heading_ids[-1] == b.id and b.headings[-1] == b.text


# --- page-break repair and normalisation --------------------------------------------------


def test_split_paragraph_is_one_block():
    hits = plan.find_quote("以河东之为服务全市高质量发展大局。")
    assert [c.block_id for c in hits] == ["wr.p1.p1"]
    assert not any(b.text in ("发展大局。", "以河东之为服务全市高质量") for b in plan.blocks())


def test_footnote_moved_out_of_the_split_paragraph():
    (cite,) = plan.find_quote("彩丽园小学等7个项目实现竣工")
    blk = plan.block(cite.block_id)
    assert blk.text.endswith("彩丽园小学等7个项目实现竣工，投资结构进一步优化。")
    assert "该数据系" not in blk.text
    note = plan.block("wr.fn.1")
    assert note.kind == "footnote" and note.text.startswith("该数据系按照")
    assert blk.start < note.start < blk.end  # it stood between the two halves
    marked = plan.block("wr.p1.p2")
    assert marked.notes == ("wr.fn.1",) and "¹" not in marked.text
    assert "预计增长5.5%左右。" in marked.text


def test_pm25_normalised():
    texts = [b.text for b in plan.blocks()]
    assert not any("_{" in t for t in texts)
    assert sum(t.count("PM2.5") for t in texts) == 4


def test_no_paragraph_ends_mid_sentence():
    for b in plan.blocks():
        loose = ".front." in b.id or ".back." in b.id  # titles, dates, addresses
        if b.kind in ("paragraph", "glossary", "footnote") and not loose:
            assert b.text[-1] in "。！？：；”", b.id


# --- offsets ------------------------------------------------------------------------------


def _rebuild(blk: plan.Block, source: str) -> str:
    out = []
    for s in blk.spans:
        orig = source[s.orig_start : s.orig_end]
        piece = blk.text[s.start : s.end]
        if s.exact:
            assert piece == orig, (blk.id, s)
        else:  # the documented normalisations only
            assert (
                plan.normalise(orig) == piece  # PM_{2.5} → PM2.5
                or (piece == "" and orig == "¹")  # footnote marker taken out
                or (orig == "" and piece == " ")  # wrapped title joined
            ), (blk.id, s, orig, piece)
        out.append(piece)
    return "".join(out)


def test_every_block_stands_at_its_offsets():
    for doc in plan.documents().values():
        for blk in doc.blocks:
            assert _rebuild(blk, doc.text) == blk.text
            spans = blk.spans
            assert spans[0].start == 0 and spans[-1].end == len(blk.text)
            assert all(a.end == b.start for a, b in itertools.pairwise(spans))
            assert all(a.orig_end <= b.orig_start for a, b in itertools.pairwise(spans))


def test_to_original_maps_a_quote_across_a_page_break():
    doc = plan.document("wr")
    blk = plan.block("wr.p1.p1")
    start = blk.text.index("服务全市高质量发展")
    spans = plan.to_original(blk, start, start + len("服务全市高质量发展"))
    assert [doc.text[a:b] for a, b in spans] == ["服务全市高质量", "发展"]


def test_to_original_of_a_normalised_piece():
    doc = plan.document("fyp")
    blk = plan.block("fyp.ind.r24")
    start = blk.text.index("PM2.5")
    ((a, b),) = plan.to_original(blk, start, start + 5)
    assert doc.text[a:b] == "PM _{2.5}"
    ((a, b),) = plan.to_original(blk, start - 5, start + 7)
    assert doc.text[a:b] == "细颗粒物（PM _{2.5} ）"


def test_to_original_rejects_a_range_outside_the_block():
    with pytest.raises(ValueError, match="outside"):
        plan.to_original(plan.block("wr.p1"), 0, 999)


# --- ids ----------------------------------------------------------------------------------


def test_block_ids_match_snapshot():
    ids = [b.id for b in plan.blocks()]
    assert len(ids) == len(set(ids))
    expected = SNAPSHOT.read_text("utf-8").split()
    if ids != expected:
        added = sorted(set(ids) - set(expected))[:10]
        gone = sorted(set(expected) - set(ids))[:10]
        pytest.fail(
            f"block ids drifted (new: {added}, gone: {gone}). Citations in layers use these ids; "
            f"if the change is intended, regenerate the snapshot with\n    {REGENERATE}"
        )


def test_examples_from_the_issue_exist():
    for block_id in (
        "fyp.ch6.s2.p1",
        "fyp.ch4.p1",
        "fyp.box1.r2",
        "fyp.ind.r3",
        "fyp.front.p1",
        "wr.p2.s1.p3",
        "wr.p1.p4",
        "wr.gloss.6",
        "wr.fn.1",
        "wr.front.p1",
        "fyp.ch6",
        "fyp.ch6.s2",
        "wr.p2.s1",
        "fyp.box1",
    ):
        assert plan.block(block_id).id == block_id


# --- citations ----------------------------------------------------------------------------


def test_cite_a_true_quote():
    cite = plan.cite("wr.gloss.6", "一站，即天津站地区京津商务区", doc="wr")
    blk = plan.block("wr.gloss.6")
    assert blk.text[cite.start : cite.end] == "一站，即天津站地区京津商务区"
    ((a, b),) = cite.spans
    assert plan.document("wr").text[a:b] == "一站，即天津站地区京津商务区"


def test_cite_accepts_the_original_pm_spelling():
    assert plan.cite("wr.p2.s4.p4", "PM_{2.5}年均浓度").start >= 0


def test_unknown_id_names_the_nearest():
    with pytest.raises(UnknownIdError, match=r"'fyp\.ch6\.s2\.p9'.*fyp\.ch6\.s2\.p[12]"):
        plan.cite("fyp.ch6.s2.p9", "天津站")
    with pytest.raises(CitationError, match=r"nearest: fyp\.ch6"):  # also a CitationError
        plan.block("fyp.ch66")
    with pytest.raises(UnknownIdError, match=r"wr\.gloss\.6"):
        plan.block("wr.glos.6")


def test_false_quote_names_the_closest_passage():
    with pytest.raises(CitationError) as err:
        plan.cite("fyp.ch6.s2.p1", "天津站片区发挥交通枢纽劣势")
    msg = str(err.value)
    assert "'天津站片区发挥交通枢纽劣势'" in msg and "fyp.ch6.s2.p1" in msg
    assert "'天津站片区发挥交通枢纽优势'" in msg


def test_false_quote_says_where_the_words_do_stand():
    with pytest.raises(CitationError, match=r"verbatim in fyp\.ch1\.s1\.p3"):
        plan.cite("fyp.ch6.s2.p1", "一机床项目被评为全国低效用地再开发试点")


def test_cite_in_the_wrong_document():
    with pytest.raises(CitationError, match="not in document 'wr'"):
        plan.cite("fyp.ch6.s2.p1", "天津站片区", doc="wr")


def test_find_quote_everywhere():
    found = plan.find_quote("一机床")
    docs = {c.doc for c in found}
    assert docs == {"wr", "fyp"}
    for c in found:
        assert plan.block(c.block_id).text[c.start : c.end] == "一机床"
    assert plan.find_quote("一机床", doc="wr") == [c for c in found if c.doc == "wr"]


def test_a_misquote_names_the_most_similar_block_elsewhere():
    """A quote with a slip, cited on the wrong block, points to the block it came from."""
    source = plan.block("fyp.box1.r2").text[:30]
    slipped = source[:10] + "某" + source[11:]
    with pytest.raises(CitationError, match=r"most similar elsewhere: fyp\.box1\.r2"):
        plan.cite("wr.gloss.6", slipped)
