"""Search over both plan texts and the place-mention finder."""

from __future__ import annotations

import html
import re

import pytest

from hedong_geo import UnknownIdError, plan
from hedong_geo.search import _mark, search
from hedong_geo.text import find_mentions


def test_one_term_hits_both_documents_exact_first():
    hits = search("一机床", limit=None)
    exact = ["一机床" in plan.block(h.block_id).text for h in hits]
    assert sum(exact) == len({c.block_id for c in plan.find_quote("一机床")}) == 7
    assert exact == sorted(exact, reverse=True)  # every exact hit before any partial one
    assert {h.doc for h, e in zip(hits, exact, strict=True) if e} == {"wr", "fyp"}
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_hit_fields_agree():
    for hit in search("金贸产业园 一机床", limit=10):
        blk = plan.block(hit.block_id)
        assert hit.headings == blk.headings and hit.kind == blk.kind
        assert blk.text[hit.snippet_start : hit.snippet_start + len(hit.snippet)] == hit.snippet
        assert hit.matches and all(0 <= a < b <= len(blk.text) for a, b in hit.matches)
        plain = re.sub(r"</?mark>", "", hit.snippet_html).strip("…")
        assert html.unescape(plain) == hit.snippet


def test_snippet_html_marks_and_escapes():
    (hit,) = [h for h in search("一机床", limit=None) if h.block_id == "fyp.box1.r4"]
    assert "<mark>一机床</mark>" in hit.snippet_html
    row = search("每千人口拥有", limit=1)[0]
    assert row.block_id == "fyp.ind.r18"
    # nothing in the plan texts needs escaping today; check the marker on made-up text
    assert _mark("a<b一机床&c", 0, 8, [(3, 6)]) == "a&lt;b<mark>一机床</mark>&amp;c"
    assert _mark("x" * 10, 2, 5, [(3, 4)]) == "…x<mark>x</mark>x…"


def test_multi_term_ranks_blocks_with_all_terms_first():
    hits = search("金贸产业园 一机床", limit=5)
    top = plan.block(hits[0].block_id).text
    assert "金贸产业园" in top and "一机床" in top


def test_phrase_without_spaces_matches_by_bigrams():
    hits = search("天津站片区", limit=None)
    ids = [h.block_id for h in hits]
    assert "fyp.ch6.s2.p1" in ids[:3]  # the phrase itself
    # a block that says 天津站 … 片区 apart is found too
    apart = [i for i in ids if "天津站片区" not in plan.block(i).text]
    assert any("天津站" in plan.block(i).text and "片区" in plan.block(i).text for i in apart)
    hit = next(h for h in hits if h.block_id == "fyp.box2")
    marked = [plan.block("fyp.box2").text[a:b] for a, b in hit.matches]
    assert marked == ["天津站", "片区"]


def test_spaced_name_is_found_and_marked_with_its_spaces():
    hits = search("棉3创意街区", limit=None)
    assert "wr.p1.p10" in {h.block_id for h in hits}
    hit = next(h for h in hits if h.block_id == "wr.p1.p10")
    assert "棉 3 创意街区" in [plan.block(hit.block_id).text[a:b] for a, b in hit.matches]


def test_filters():
    fyp = search("一机床", doc="fyp", limit=None)
    assert fyp and {h.doc for h in fyp} == {"fyp"}
    ch6 = search("一机床", chapter="fyp.ch6", limit=None)
    assert [h.block_id for h in ch6] == ["fyp.ch6.s2.p1"]
    wr2 = search("一机床", chapter="wr.p2", limit=None)
    assert wr2 and all(h.block_id.startswith("wr.p2.") for h in wr2)
    box = search("养老", chapter="fyp.ch8.s5", limit=None)
    assert "fyp.box8.r1" in {h.block_id for h in box}  # boxes belong to their section


def test_bad_filters_raise_with_a_suggestion():
    with pytest.raises(UnknownIdError, match=r"fyp\.ch1"):
        search("一机床", chapter="fyp.ch11")
    with pytest.raises(UnknownIdError, match="wr, fyp"):
        search("一机床", doc="fy")


def test_limit_and_empty_query():
    assert len(search("发展", limit=3)) == 3
    assert search("   ") == []
    assert search("魑魅魍魉") == []


# --- mentions -----------------------------------------------------------------------------


def test_mentions_ignore_spaces_and_report_actual_offsets():
    names = ["棉3创意街区", "金贸产业园区11-D及15号地块", "汪庄子1号地"]
    found = find_mentions(names)
    got = {(m.name, m.text) for m in found}
    assert ("棉3创意街区", "棉 3 创意街区") in got
    assert ("棉3创意街区", "棉3创意街区") in got  # the five-year plan writes it unspaced
    assert ("金贸产业园区11-D及15号地块", "金贸产业园区 11-D 及 15 号地块") in got
    assert ("汪庄子1号地", "汪庄子 1 号地") in got
    for m in found:
        assert plan.block(m.block_id).text[m.start : m.end] == m.text


def test_mentions_accept_spaced_names_too():
    spaced = find_mentions(["棉 3 创意街区"], doc="wr")
    assert [m.block_id for m in spaced] == ["wr.p1.p10", "wr.p2.s1.p2"]


def test_longest_name_wins():
    found = find_mentions(["天津站", "天津站北广场"], doc="fyp")
    in_block = [(m.name, m.start) for m in found if m.block_id == "fyp.ch5.s1.p2"]
    assert ("天津站北广场", in_block[0][1]) in in_block
    assert not any(
        a.block_id == b.block_id and a is not b and a.start < b.end and b.start < a.end
        for a in found
        for b in found
    )
    assert sum(m.name == "天津站" for m in found) > 5  # still found where it stands alone


def test_mentions_in_document_order():
    found = find_mentions(["天津站"])
    order = {b.id: i for i, b in enumerate(plan.blocks())}
    keys = [(order[m.block_id], m.start) for m in found]
    assert keys == sorted(keys)
