"""Build ``layers/*.geojson`` from the register and the context data, deterministically.

``python -m hedong_geo build`` calls :func:`build_layers`; a test builds into a temporary folder
and compares the files with the committed ones byte for byte.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shapely.geometry import MultiPoint, Point, mapping
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from hedong_geo import plan, recipes, text
from hedong_geo._io import atomic_write_text
from hedong_geo.context import HEDONG_ADCODE, load_context
from hedong_geo.layers import PROPERTY_ORDER
from hedong_geo.paths import CONTEXT_DIR, LAYERS
from hedong_geo.register import Entry, layer_titles, load_register
from hedong_geo.transform import from_metric, to_metric

ACROSS_RIVER = ("120101", "120103")  # 和平, 河西: their shared boundary is the river
STATION_NEIGHBOURS = ("120101", "120105")  # 和平, 河北: the other two districts of the zone
SENTENCE_STOPS = "。；！？\n"
CLAUSE_STOPS = "，："
QUOTE_MAX = 60


@dataclass(frozen=True)
class Placed:
    """A geometry in metres (EPSG:4527) with how it was obtained."""

    geometry: BaseGeometry | None
    basis: str
    accuracy_m: float | None
    source: str


class _Geography:
    """The context data in metres, read once per build."""

    def __init__(self, context_dir: Path) -> None:
        context = load_context(context_dir)
        districts = context["districts"].set_index("adcode")
        districts.index = districts.index.astype(str)
        self.districts = districts
        hedong = districts.loc[HEDONG_ADCODE]
        self.hedong = to_metric(hedong.geometry)
        self.hedong_accuracy = float(hedong["accuracy_m"])
        self.hedong_source = str(hedong["source"])
        river = context["haihe_frontage"].iloc[0]
        self.frontage = to_metric(river.geometry)
        self.frontage_accuracy = float(river["accuracy_m"])
        self.frontage_source = str(river["source"])
        self.refs = context["reference_points"].set_index("ref_id")
        self.context = context

    def district(self, adcode: str) -> BaseGeometry:
        return to_metric(self.districts.loc[adcode].geometry)

    def ref(self, ref_id: str) -> tuple[Point, float, str]:
        row = self.refs.loc[ref_id]
        source = f"{row['name_zh']} ({row['name_en']}): {row['source']}; {row['note']}"
        return to_metric(row.geometry), float(row["accuracy_m"]), source


def _weaker(basis: str, other: str) -> str:
    """The less certain of two location bases (derived is the surest, schematic the least)."""
    order = ("derived", "reference", "described", "schematic", "unlocated")
    return max(basis, other, key=order.index)


def _km(metres: float) -> str:
    return f"{metres / 1000:.2f} km"


class _Placer:
    """Resolves every entry's recipe to a :class:`Placed`, parents first, each once."""

    def __init__(self, entries: tuple[Entry, ...], geo: _Geography) -> None:
        self.entries = {e.id: e for e in entries}
        self.geo = geo
        self.placed: dict[str, Placed] = {}
        self.park_centre: Point | None = None

    def place(self, feature_id: str) -> Placed:
        if feature_id not in self.placed:
            self.placed[feature_id] = self._place(self.entries[feature_id])
        return self.placed[feature_id]

    def _place(self, entry: Entry) -> Placed:
        g, geo = entry.geometry, self.geo
        recipe = g["recipe"]
        if recipe == "unlocated":
            return Placed(None, "unlocated", None, "no citable location; listed with its passages")
        if recipe == "district":
            return Placed(geo.hedong, "derived", geo.hedong_accuracy, geo.hedong_source)
        if recipe == "frontage":
            return Placed(
                geo.frontage,
                g.get("basis", "derived"),
                float(g.get("accuracy_m", geo.frontage_accuracy)),
                f"the Haihe frontage of Hedong: {geo.frontage_source}",
            )
        if recipe == "belt":
            shape = recipes.belt(geo.frontage, geo.hedong, g["width_m"])
            return Placed(
                shape,
                "schematic",
                float(g["accuracy_m"]),
                f"a {g['width_m']} m band along the Haihe frontage inside Hedong (the width is "
                f"schematic); "
                f"frontage: {geo.frontage_source}",
            )
        if recipe == "frontage_segment":
            a, _, _ = geo.ref(g["from"])
            b, _, _ = geo.ref(g["to"])
            shape = recipes.frontage_segment(geo.frontage, geo.hedong, a, b, g["width_m"])
            return Placed(
                shape,
                "described",
                float(g["accuracy_m"]),
                f"the {g['width_m']} m riverside band between the frontage points nearest to "
                f"reference points {g['from']} and {g['to']}, as the plan's words describe it",
            )
        if recipe == "reference":
            point, accuracy, source = geo.ref(g["ref"])
            return Placed(point, "reference", accuracy, f"reference point {g['ref']}: {source}")
        if recipe == "near":
            point, ref_accuracy, source = geo.ref(g["ref"])
            accuracy = max(float(g["accuracy_m"]), ref_accuracy)
            return Placed(point, g["basis"], accuracy, f"at reference point {g['ref']}: {source}")
        if recipe == "station_zone":
            hub, _, _ = geo.ref(g["hub"])
            south, _, _ = geo.ref(g["south"])
            shape, radius = recipes.station_zone(geo.hedong, hub, south, g["area_km2"] * 1e6)
            return Placed(
                shape,
                "schematic",
                float(g["accuracy_m"]),
                f"schematic: Hedong within {radius:.0f} m of the line from {g['hub']} to "
                f"{g['south']}, the distance calibrated so the area is the plan's "
                f"{g['area_km2']} km² (专栏 2); the true outline is not published",
            )
        if recipe == "station_zone_whole":
            hub, _, _ = geo.ref(g["hub"])
            part = self.place("station.zone.hedong").geometry
            others = unary_union([geo.district(code) for code in STATION_NEIGHBOURS])
            shape, radius = recipes.station_zone_whole(part, others, hub, g["area_km2"] * 1e6)
            return Placed(
                shape,
                "schematic",
                float(g["accuracy_m"]),
                f"schematic: the Hedong part plus 和平 and 河北 within {radius:.0f} m of "
                f"{g['hub']}, calibrated to the plan's {g['area_km2']} km² over three districts",
            )
        if recipe == "park":
            anchor, _, _ = geo.ref(g["anchor"])
            shape, self.park_centre = recipes.park_square(geo.hedong, anchor, g["side_m"])
            return Placed(shape, "schematic", float(g["accuracy_m"]), entry.note or "")
        if recipe == "quadrant":
            park = self.place(entry.parent)
            quarter = recipes.quadrants(park.geometry, self.park_centre)[g["which"]]
            return Placed(
                quarter,
                "schematic",
                park.accuracy_m,
                f"the {g['which'].upper()} quarter of the schematic park outline, split at its "
                "centre; 专栏 1 names the quadrants by compass point, not their extents",
            )
        if recipe == "inside":
            parent = self.place(g["parent"])
            point, radius = recipes.inside_point(parent.geometry)
            accuracy = round(radius + (parent.accuracy_m or 0), -1)
            return Placed(
                point,
                _weaker("described", parent.basis),  # no surer than the outline it lies in
                accuracy,
                f"the plan places it within {g['parent']}; drawn at a point inside that "
                f"feature, the accuracy covering all of it ({_km(radius)} radius plus the "
                f"parent's own {parent.accuracy_m:.0f} m)",
            )
        if recipe == "tributary":
            line = recipes.tributary(geo.frontage, geo.hedong, g["length_km"] * 1000)
            return Placed(line, "schematic", float(g["accuracy_m"]), entry.note or "")
        if recipe == "points_of":
            members = [
                self.place(e.id)
                for e in self.entries.values()
                if e.layer in g["layers"] and e.id != entry.id
            ]
            points = [p.geometry for p in members if p.geometry is not None]
            points = [p if p.geom_type == "Point" else p.representative_point() for p in points]
            accuracy = max(p.accuracy_m for p in members if p.accuracy_m is not None)
            return Placed(
                MultiPoint(sorted((p.x, p.y) for p in points)),
                "described",
                accuracy,
                f"the located features of layers {g['layers']}, gathered as one MultiPoint",
            )
        raise ValueError(f"entry {entry.id!r}: unknown recipe {recipe!r}")


def _clause(text: str, start: int, end: int) -> str:
    """The words of ``text`` around ``text[start:end]`` to quote: the sentence, or where that
    is longer than ``QUOTE_MAX`` characters the comma-delimited part of it, or a window."""
    left = max(text.rfind(stop, 0, start) for stop in SENTENCE_STOPS) + 1
    rights = [i for i in (text.find(stop, end) for stop in SENTENCE_STOPS) if i != -1]
    right = min(rights) + 1 if rights else len(text)
    if right - left > QUOTE_MAX:
        left = max(left, *(text.rfind(stop, left, start) + 1 for stop in CLAUSE_STOPS))
        rights = [i for i in (text.find(stop, end, right) for stop in CLAUSE_STOPS) if i != -1]
        right = min(rights) + 1 if rights else right
    if right - left > QUOTE_MAX:
        left = max(left, start - QUOTE_MAX // 3)
        right = min(right, left + QUOTE_MAX)
    return text[left:right].strip()


def find_citations(entries: tuple[Entry, ...]) -> dict[str, list[dict[str, Any]]]:
    """Every passage naming each entry, as ``{doc, block, quote, marks}`` sorted by block order.

    All names of all entries are sought together (:func:`hedong_geo.text.find_mentions`), so the
    longest name wins where names overlap (天津站北广场 is not also a mention of 天津站).
    ``cite_exclude_words`` drops mentions that sit inside those words. ``marks`` are the
    ``[start, end]`` offsets of the entry's mentions in the block text: what the panel and the
    reader mark, so they never search again.
    """
    owners: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        for name in entry.names:
            owners[name].append(entry)
    order = {blk.id: i for i, blk in enumerate(plan.blocks())}
    found: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for mention in text.find_mentions(owners):
        block_text = plan.block(mention.block_id).text
        for entry in owners[mention.name]:
            if _excluded(entry, block_text, mention.start, mention.end):
                continue
            cite = found[entry.id].get(mention.block_id)
            if cite is None:
                cite = found[entry.id][mention.block_id] = {
                    "doc": mention.doc,
                    "block": mention.block_id,
                    "quote": _clause(block_text, mention.start, mention.end),
                    "marks": [],
                }
            cite["marks"].append([mention.start, mention.end])
    for entry in entries:  # reviewed quotes that the names alone do not find
        for block_id, quote in entry.cite_extra:
            if block_id in found[entry.id]:
                continue
            block_text = plan.block(block_id).text
            marks = [
                [a, b]
                for a, b, _ in text.find_spans(block_text, entry.names)
                if not _excluded(entry, block_text, a, b)
            ]
            doc = block_id.split(".", 1)[0]
            found[entry.id][block_id] = {
                "doc": doc,
                "block": block_id,
                "quote": quote,
                "marks": marks,
            }
    return {
        fid: [cites[b] for b in sorted(cites, key=order.__getitem__)]
        for fid, cites in found.items()
    }


def _excluded(entry: Entry, block_text: str, start: int, end: int) -> bool:
    """Whether the mention at ``[start, end)`` sits inside one of the entry's excluded words."""
    return any(text.covers(block_text, word, start, end) for word in entry.cite_exclude_words)


def _feature(entry: Entry, placed: Placed, citations: list[dict[str, str]]) -> dict[str, Any]:
    geometry = None
    if placed.geometry is not None:
        shape = from_metric(placed.geometry)
        if shape.geom_type in ("Point", "MultiPoint"):  # outlines keep 6 so quadrants still tile
            shape = recipes.round_coordinates(shape, recipes.decimals_for(placed.accuracy_m))
        shape = recipes.orient_rfc7946(recipes.round_coordinates(shape))
        geometry = mapping(shape)
    source = placed.source
    if entry.note and entry.note not in source:
        source = f"{source.rstrip('.')}. {entry.note}" if source else entry.note
    props = {
        "id": entry.id,
        "name_zh": entry.name_zh,
        "name_en": entry.name_en,
        "aliases": list(entry.aliases),
        "layer": entry.layer,
        "group": entry.group,
        "category": entry.category,
        "status": entry.status,
        "status_year": entry.status_year,
        "location_basis": placed.basis,
        "accuracy_m": placed.accuracy_m,
        "geometry_source": source,
        "cross_district": entry.cross_district,
        "parent": entry.parent,
        "anchors": list(entry.anchors),
        "citations": citations,
    }
    return {
        "type": "Feature",
        "properties": {k: props[k] for k in PROPERTY_ORDER},
        "geometry": geometry,
    }


def _context_features(geo: _Geography) -> list[dict[str, Any]]:
    """The context layer: district outlines, the river frontage, the reference points, written
    by the same :func:`_feature` as every other layer."""
    river = geo.context["haihe_frontage"].iloc[0]
    items = [
        (row["id"], row, "boundary", "derived", row["source"], code != HEDONG_ADCODE)
        for code, row in geo.districts.iterrows()
    ]
    items.append((river["id"], river, "river", "derived", river["source"], False))
    items += [
        (
            ref_id,
            row,
            "reference_point",
            "reference",
            f"{row['source']} ({row['source_crs']})",
            not bool(row["in_hedong"]),
        )
        for ref_id, row in geo.refs.iterrows()
    ]
    features = []
    for fid, row, category, basis, source, cross in items:
        entry = Entry(
            id=fid,
            name_zh=row["name_zh"],
            name_en=row["name_en"],
            layer="context",
            group="context",
            category=category,
            status="context",
            geometry={"recipe": "context"},
            cross_district=bool(cross),
        )
        placed = Placed(to_metric(row.geometry), basis, float(row["accuracy_m"]), source)
        features.append(_feature(entry, placed, []))
    return features


def _dump(collection: dict[str, Any]) -> str:
    """JSON text with one feature per line: stable, diff-friendly, small."""
    head = json.dumps({k: v for k, v in collection.items() if k != "features"}, ensure_ascii=False)[
        :-1
    ]
    lines = [
        json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in collection["features"]
    ]
    return head + ', "features": [\n' + ",\n".join(lines) + "\n]}\n"


def build_collections(context_dir: Path = CONTEXT_DIR) -> dict[str, dict[str, Any]]:
    """Every layer as a GeoJSON FeatureCollection (a dict), keyed by layer name."""
    entries = load_register()
    geo = _Geography(Path(context_dir))
    placer = _Placer(entries, geo)
    citations = find_citations(entries)
    features: dict[str, list] = defaultdict(list)
    for entry in entries:
        features[entry.layer].append(
            _feature(entry, placer.place(entry.id), citations.get(entry.id, []))
        )
    features["context"] = _context_features(geo)
    collections = {}
    for name, title in layer_titles().items():
        items = sorted(features.get(name, []), key=lambda f: f["properties"]["id"])
        collections[name] = {
            "type": "FeatureCollection",
            "name": name,
            "title": title,
            "features": items,
        }
    return collections


def build_layers(out_dir: str | Path = LAYERS, context_dir: Path = CONTEXT_DIR) -> list[Path]:
    """Write every layer file into ``out_dir``; return the paths written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, collection in build_collections(context_dir).items():
        path = out / f"{name}.geojson"
        atomic_write_text(path, _dump(collection))
        written.append(path)
    return written
