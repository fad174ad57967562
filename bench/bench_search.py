"""Search speed: median and p95 time per query, indexed search against a naive linear scan.

Run: ``.venv/bin/python bench/bench_search.py``. Target: median ≤ 20 ms per query. Not a test.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from hedong_geo import plan
from hedong_geo.search import _index, search
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


def naive(query: str) -> list[tuple[int, str]]:
    """Baseline without an index: scan every block with ``in`` and count occurrences."""
    terms = [squeeze(t)[0] for t in query.split()]
    out = []
    for blk in plan.blocks():
        s = squeeze(blk.text)[0]
        score = sum(s.count(t) for t in terms)
        if score:
            out.append((score, blk.id))
    out.sort(reverse=True)
    return out[:20]


def timings(fn) -> list[float]:
    times = []
    for _ in range(ROUNDS):
        for q in QUERIES:
            t0 = time.perf_counter()
            fn(q)
            times.append((time.perf_counter() - t0) * 1000)
    return times


def report(name: str, times: list[float]) -> None:
    p95 = statistics.quantiles(times, n=20)[-1]
    print(f"{name:<28} median {statistics.median(times):7.3f} ms   p95 {p95:7.3f} ms")


def main() -> None:
    t0 = time.perf_counter()
    plan.documents()
    t1 = time.perf_counter()
    _index()
    t2 = time.perf_counter()
    n = len(plan.blocks())
    print(
        f"corpus: {n} blocks, parsed in {(t1 - t0) * 1000:.0f} ms, indexed in "
        f"{(t2 - t1) * 1000:.0f} ms"
    )
    print(f"{len(QUERIES)} queries x {ROUNDS} rounds (target: median <= 20 ms/query)")
    report("indexed search (limit 20)", timings(lambda q: search(q, limit=20)))
    report("naive scan with `in`", timings(naive))


if __name__ == "__main__":
    main()
