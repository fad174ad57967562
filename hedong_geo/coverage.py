"""How much of the plan the layers cover: located places by layer and basis, the places still
unlocated, and passages that seem to name a place no feature covers."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from hedong_geo import plan
from hedong_geo.layers import BASES, load_layers
from hedong_geo.paths import LAYERS
from hedong_geo.places import OSM_MARK
from hedong_geo.text import find_mentions

# A run of Chinese (or 路名 digits) ending in a word that names a place.
_PLACE = re.compile(
    r"[\u4e00-\u9fff0-9A-Za-z·]{2,8}?"
    r"(?:路|道|街区|产业园|科技园|园区|厂|馆|中心|广场|地块|号地|片区|公园|学校|中学|小学|医院|大厦|商圈|码头)"
    r"(?![\u4e00-\u9fff]{0,1}[径线网])"
)
# Words that end like a place but are not one (生产空间, 商务中心区 …): leading words to strip.
_LEAD = re.compile(
    r"^(?:[0-9一二三四五六七八九十两多各个]+[个家所批处条座项]?|推动|推进|加快|建设|打造|依托|围绕|"
    r"完成|实施|提升|改造|新建|共建|启动|服务|支持|盘活|优化|举办|位于|作为|促进|充分挖掘|全面|"
    r"养护维修|以|在|和|与|及|等|为|一批|业生等)+"
)


SOURCES = ("OpenStreetMap", "reference point", "context data", "街道 zones", "drawn from the plan")


def source_of(row) -> str:
    """Where a located feature's geometry comes from, in one of :data:`SOURCES`: an
    OpenStreetMap object, a reference point, the derived context data (district, river), the
    approximate 街道 zones, or an outline drawn from the plan's words and figures."""
    text = row.geometry_source or ""
    if OSM_MARK in text and row.location_basis in ("reference", "described"):
        return SOURCES[0]
    if row.category == "street_zone":
        return SOURCES[3]
    if text.startswith(("reference point", "at reference")):
        return SOURCES[1]
    if row.location_basis == "derived":
        return SOURCES[2]
    return SOURCES[4]


@dataclass
class Coverage:
    """The numbers of the coverage report. ``unlocated`` rows are (id, name, passages, why)."""

    by_layer: dict[str, Counter] = field(default_factory=dict)
    by_source: Counter = field(default_factory=Counter)
    unlocated: list[tuple[str, str, int, str]] = field(default_factory=list)
    uncovered: list[tuple[str, int, list[str]]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(sum(c.values()) for c in self.by_layer.values())


def coverage(layers_dir: str | Path = LAYERS, most: int = 25) -> Coverage:
    """Count features by layer and location basis; list unlocated features (id, name, number
    of citations); list place-like words in the plan that no feature's names cover, with the
    blocks they stand in (candidates for review, most frequent first)."""
    layers = load_layers(layers_dir)
    report = Coverage()
    names = set()
    for name, gdf in layers.layers.items():
        if name == "context":
            continue
        report.by_layer[name] = Counter(gdf["location_basis"])
        for row in gdf.itertuples():
            names.update([row.name_zh, *row.aliases])
            if row.location_basis == "unlocated":
                why = f"listed in {row.parent}" if isinstance(row.parent, str) else "no source"
                report.unlocated.append((row.id, row.name_zh, len(row.citations), why))
            else:
                report.by_source[source_of(row)] += 1
    covered: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for mention in find_mentions(names):
        covered[mention.block_id].append((mention.start, mention.end))
    candidates: dict[str, list[str]] = defaultdict(list)
    for blk in plan.blocks():
        if blk.kind == "heading":
            continue
        for match in _PLACE.finditer(blk.text):
            if any(s < match.end() and match.start() < e for s, e in covered[blk.id]):
                continue
            word = _LEAD.sub("", match.group())
            if len(word) >= 3 and blk.id not in candidates[word]:
                candidates[word].append(blk.id)
    ranked = sorted(candidates.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    report.uncovered = [(word, len(ids), ids[:4]) for word, ids in ranked[:most]]
    return report


def format_coverage(report: Coverage) -> str:
    """The report as plain text, as ``python -m hedong_geo coverage`` prints it."""
    lines = [f"{report.total} places in {len(report.by_layer)} layers", ""]
    header = f"{'layer':<22}" + "".join(f"{b:>11}" for b in BASES) + f"{'total':>8}"
    lines += [header, "-" * len(header)]
    totals: Counter = Counter()
    for name, counts in sorted(report.by_layer.items()):
        totals.update(counts)
        cells = "".join(f"{counts.get(b, 0):>11}" for b in BASES)
        lines.append(f"{name:<22}{cells}{sum(counts.values()):>8}")
    lines.append(
        f"{'all':<22}"
        + "".join(f"{totals.get(b, 0):>11}" for b in BASES)
        + f"{sum(totals.values()):>8}"
    )
    located = sum(totals.values()) - totals.get("unlocated", 0)
    total = sum(totals.values())
    lines += ["", f"located: {located} of {total} ({located / max(total, 1):.0%})", ""]
    lines.append("located, by basis and by source:")
    lines += [
        f"  {b:<22}{totals.get(b, 0):>5}  {totals.get(b, 0) / max(total, 1):>4.0%}"
        for b in BASES
        if b != "unlocated"
    ]
    lines += [
        f"  {s:<22}{n:>5}  {n / max(total, 1):>4.0%}"
        for s, n in ((s, report.by_source.get(s, 0)) for s in SOURCES)
    ]
    in_zone = sum(1 for *_, why in report.unlocated if why.startswith("listed in"))
    lines += [
        "",
        f"not yet located ({len(report.unlocated)}): {in_zone} listed in a zone (its parent), "
        f"{len(report.unlocated) - in_zone} with no location at all; passages, and why:",
    ]
    lines += [f"  {fid:<42} {name}  ({n}; {why})" for fid, name, n, why in report.unlocated]
    lines += [
        "",
        "place-like words in the plan that no feature covers (review; most frequent first):",
    ]
    lines += [
        f"  {word:<16} {n:>3} block(s): {', '.join(ids)}" for word, n, ids in report.uncovered
    ]
    return "\n".join(lines)
