"""Search speed: an inverted bigram index against a fair scan, at 1x and 10x the corpus.

Run: ``.venv/bin/python bench/bench_search.py``. Not a test; prints figures and ratios.

Three ways to find the blocks a query's terms stand in, each ranking with the same BM25
(:func:`hedong_geo.search.rank`), so they return the same hits:

- **index** (what :func:`hedong_geo.search.search` uses): every bigram and character
  (:func:`hedong_geo.search.build_index`, built once per corpus), each query gram looked up;
- **fair scan**: the texts normalised once (:func:`hedong_geo.search.corpus_of`), each query
  gram looked for with ``in`` / ``count``;
- **naive**: re-normalising every block for every query (the baseline this benchmark once used:
  unfair to a scan, shown only for reference).

The index is kept only if it earns its place: it must beat the fair scan at both sizes. It
does (about half the scan's time to rank at 1x and 10x on this machine), so search keeps it;
the verdict line says so again each run. The whole ``search()`` (snippets included) is
printed too, for what a person waits.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from hedong_geo import plan
from hedong_geo.search import Corpus, build_index, corpus_of, rank, search
from hedong_geo.text import squeeze

QUERIES = [
    "一机床",
    "天津站",
    "天津站片区",
    "天津站北广场",
    "金贸产业园",
    "海河东岸",
    "津龙湾",
    "井冈山路",
    "棉3创意街区",
    "汪庄子1号地",
    "大直沽",
    "护仓河",
    "二次方产业园",
    "金贸产业园 一机床",
    "城市更新 片区",
    "海河 文旅 商圈",
    "养老 服务 设施",
    "数字经济 数据要素",
    "京津冀 协同发展 北京非首都功能",
    "PM2.5 浓度",
]
ROUNDS = 20
SIZES = (1, 10)


def scan_frequencies(corpus: Corpus, gram: str) -> dict[int, int]:
    """``{block index: occurrences}`` of ``gram`` by scanning the texts normalised once."""
    out = {}
    for i, s in enumerate(corpus.squeezed):
        if gram in s:
            if len(gram) == 2 and gram[0] == gram[1]:  # overlaps count, as in the index
                out[i] = sum(1 for k in range(len(s) - 1) if s[k : k + 2] == gram)
            else:
                out[i] = s.count(gram)
    return out


def terms_of(query: str) -> list[str]:
    return [t for t in (squeeze(t)[0] for t in query.split()) if t]


def naive(blocks: tuple[plan.Block, ...], query: str) -> list[tuple[int, str]]:
    """The old baseline: normalise every block again for every query and count the terms."""
    terms = terms_of(query)
    out = []
    for blk in blocks:
        s = squeeze(blk.text)[0]
        score = sum(s.count(t) for t in terms)
        if score:
            out.append((score, blk.id))
    out.sort(reverse=True)
    return out[:20]


def timings(fn: Callable[[str], object]) -> list[float]:
    times = []
    for _ in range(ROUNDS):
        for q in QUERIES:
            t0 = time.perf_counter()
            fn(q)
            times.append((time.perf_counter() - t0) * 1000)
    return times


def report(name: str, times: list[float]) -> float:
    median = statistics.median(times)
    p95 = statistics.quantiles(times, n=20)[-1]
    print(f"  {name:<34} median {median:8.3f} ms   p95 {p95:8.3f} ms")
    return median


def one_size(factor: int) -> tuple[float, float]:
    blocks = plan.blocks() * factor
    t0 = time.perf_counter()
    corpus = corpus_of(blocks)
    t1 = time.perf_counter()
    index = build_index(corpus)
    t2 = time.perf_counter()
    build_ms = (t2 - t1) * 1000
    print(
        f"\n{factor}x corpus: {len(blocks)} blocks; normalised once in {(t1 - t0) * 1000:.0f} ms,"
        f" index built in {(t2 - t1) * 1000:.0f} ms ({len(index)} grams)"
    )

    def from_index(gram: str) -> dict[int, int]:
        return index.get(gram, {})

    def scan(gram: str) -> dict[int, int]:
        return scan_frequencies(corpus, gram)

    same = all(
        rank(corpus, terms_of(q), scan) == rank(corpus, terms_of(q), from_index) for q in QUERIES
    )
    print(f"  scan and index rank the same: {'yes' if same else 'NO'}")
    scanned = report("fair scan (rank, scan)", timings(lambda q: rank(corpus, terms_of(q), scan)))
    indexed = report(
        "inverted index (rank, index)",
        timings(lambda q: rank(corpus, terms_of(q), from_index)),
    )
    if factor == 1:
        report("naive scan, re-normalising (ref.)", timings(lambda q: naive(blocks, q)))
        report("search() end to end (20 hits)", timings(lambda q: search(q, limit=20)))
    print(f"  index / fair scan: {indexed / scanned:.2f}x  (< 1: the index is faster)")
    print(
        f"  index build {build_ms:.0f} ms = the time it saves over "
        f"{build_ms / max(scanned - indexed, 1e-9):.0f} queries"
    )
    return scanned, indexed


def main() -> None:
    plan.documents()
    print(f"{len(QUERIES)} queries x {ROUNDS} rounds; time to rank, the same for both ways")
    results = {factor: one_size(factor) for factor in SIZES}
    wins = [factor for factor, (scanned, indexed) in results.items() if indexed < scanned]
    verdict = (
        f"the index is faster at {wins}x of {list(SIZES)}x: search keeps it"
        if wins == list(SIZES)
        else f"the index is faster only at {wins}x: search should scan (change search.search)"
    )
    print(f"\nverdict: {verdict}")


if __name__ == "__main__":
    main()
