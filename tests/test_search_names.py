"""Place search as people type it (hedong_geo.names) and the search box's results
(hedong_geo.search.find, hit_label): variants, pinyin, initials, slips, no results."""

from __future__ import annotations

import pytest

from hedong_geo import names, plan
from hedong_geo.layers import load_layers
from hedong_geo.search import _corpus, _index, _term_grams, find, hit_label, rank, search
from hedong_geo.text import squeeze


@pytest.fixture(scope="module")
def places() -> tuple[names.Place, ...]:
    return names.places_of(load_layers())


# query → (the feature expected first, how it matches)
FOUND = [
    ("一机床", "park.yijichuang", "exact"),  # an alias, as typed
    ("一機床", "park.yijichuang", "exact"),  # traditional characters
    ("1机床", "park.yijichuang", "exact"),  # a digit for the numeral
    ("棉三", "belt.mian3", "exact"),  # the numeral for a digit (棉3)
    ("棉三創意街區", "belt.mian3", "exact"),  # both, traditional
    ("棉 3 创意", "belt.mian3", "prefix"),  # spaces as the texts write them
    ("11经路", "station.office-corridor", "prefix"),  # 十一 → 11
    ("yijichuang", "park.yijichuang", "pinyin"),
    ("YiJiChuang", "park.yijichuang", "pinyin"),  # case
    ("yjc", "park.yijichuang", "initials"),
    ("tianjinzhan", "station.hub", "pinyin"),
    ("tjz", "station.hub", "initials"),
    ("erhaoqiao", "street.120102005", "pinyin"),
    ("二号桥", "street.120102005", "exact"),  # a 街道 by its bare name
    ("一机窗", "park.yijichuang", "typo"),  # one character off (a homophone)
    ("一几床", "park.yijichuang", "typo"),  # one character off
    ("yijichaung", "park.yijichuang", "typo"),  # two letters swapped
    ("tianjinzan", "station.hub", "typo"),  # a letter left out
    ("railway hub", "station.hub", "contains"),  # words of the English name
]


@pytest.mark.parametrize(("query", "expected", "how"), FOUND, ids=[q for q, *_ in FOUND])
def test_query_finds_the_place_first(places, query, expected, how):
    found = names.match(places, query, limit=5)
    assert found, f"{query!r} found nothing"
    assert (found[0].id, found[0].how) == (expected, how), [(m.id, m.how) for m in found]


@pytest.mark.parametrize("query", ["魑魅魍魉", "zzzzqqq", "xkcd", "   "])
def test_nonsense_finds_nothing(places, query):
    assert names.match(places, query) == []
    results = find(places, query)
    assert results.empty and not results.places and not results.passages


def test_short_queries_allow_no_slips(places):
    # a slip in two characters or four letters would match half the register
    assert all(m.how != "typo" for m in names.match(places, "机窗", limit=None))
    assert all(m.how != "typo" for m in names.match(places, "tanj", limit=None))


def test_exact_before_prefix_before_contains(places):
    found = names.match(places, "天津站", limit=None)
    order = [names.HOW.index(m.how) for m in found]
    assert found[0].id == "station.hub" and order == sorted(order)
    assert len({m.id for m in found}) == len(found)  # each place once


def test_suggestions_narrow_as_one_types(places):
    typed = [names.suggest(places, "tianjinzhan"[:n]) for n in (4, 7, 11)]
    assert all(s for s in typed)
    assert {m.id for m in typed[2]} <= {m.id for m in names.match(places, "tian", limit=None)}
    assert typed[2][0].id == "station.hub"
    assert all(m.how != "typo" for s in typed for m in s)
    assert len(names.suggest(places, "tian", limit=3)) == 3


def test_nearby_names_for_a_query_that_found_nothing(places):
    results = find(places, "金贸产园业区")  # two characters swapped and one off
    if not results.empty:  # the passage search may still find its words: nearby is for none
        return
    assert "park.jinmao" in [m.id for m in results.nearby]


def test_nearby_for_a_near_miss(places):
    near = names.nearby(places, "jinmaochanyyuanqu")
    assert near and near[0].id.startswith("park.")


def test_normalise():
    assert names.normalise("棉 三 創意") == "棉3创意"
    assert names.normalise("十一经路") == "11经路"
    assert names.normalise("二十") == "20" and names.normalise("一〇一") == "101"
    assert names.pinyin("一机床") == ("yijichuang", "yjc")


def test_find_seeks_passages_by_the_place_a_pinyin_query_found(places):
    results = find(places, "yijichuang")
    assert results.places[0].id == "park.yijichuang"
    assert results.passages_for == "一机床"
    assert all("一机床" in plan.block(h.block_id).text for h in results.passages[:3])
    assert find(places, "一机床").passages_for == ""  # typed as the texts write it


def test_passage_labels_are_headings_and_differ():
    for lang in ("zh", "en"):
        for query in ("一机床", "天津站", "养老"):
            labels = [hit_label(h, lang) for h in search(query, limit=6)]
            assert len(set(labels)) == len(labels), labels
            assert not any(h.block_id in label for h in search(query) for label in labels)
    label = hit_label(next(h for h in search("一机床") if h.block_id == "fyp.box1.r4"), "en")
    assert label == (
        "Plan outline › Section 4: Spatial layout › Box 1: Jinmao Industrial Park · row 4"
    )


def test_traditional_passage_query():
    assert [h.block_id for h in search("一機床")] == [h.block_id for h in search("一机床")]


def _scan(gram: str) -> dict[int, int]:
    out = {}
    for i, s in enumerate(_corpus().squeezed):
        if gram in s:
            same = len(gram) == 2 and gram[0] == gram[1]
            out[i] = sum(s[k : k + 2] == gram for k in range(len(s) - 1)) if same else s.count(gram)
    return out


@pytest.mark.parametrize("query", ["一机床", "天津站片区", "金贸产业园 一机床", "PM2.5 浓度", "11"])
def test_index_ranks_as_a_scan_would(query):
    """The index is an optimisation only: a scan of the texts ranks the same (bench_search)."""
    terms = [squeeze(t)[0] for t in query.split()]
    assert _term_grams(terms[0])
    index = _index()
    assert rank(_corpus(), terms, lambda g: index.get(g, {})) == rank(_corpus(), terms, _scan)
