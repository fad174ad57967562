"""Rebuild the offline basemap in geodata/basemap/ from the project's committed geography.

    pip install pypinyin==0.55.0     # only for the machine pinyin of English place labels
    python geodata/build_basemap.py [OUT_DIR] [--check]

Writes water.geojson (the Haihe as a band of stated width around the centreline proxy),
district_labels.geojson (where each district's name is written), places.geojson (OpenStreetMap
places chosen for orientation, each with the zoom its label appears at), metro.geojson (Metro
Line 9 stations of geodata/reference/points.csv) and README.md. It reads only committed files
(geodata/context/, geodata/osm/pois.geojson, geodata/streets/) and is deterministic: a rebuild
is byte-for-byte identical (tests/test_basemap.py checks it). The map reads the files through
hedong_geo.basemap_layers.load_basemap(); the app never needs pypinyin.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

if str(Path(__file__).resolve().parent) not in sys.path:  # _build, when loaded by path
    sys.path.insert(0, str(Path(__file__).resolve().parent))

import _build
from _build import MissingPackage, SourceError
from shapely.geometry import shape
from shapely.ops import polylabel

from hedong_geo import recipes
from hedong_geo.paths import CONTEXT_DIR, GEODATA
from hedong_geo.places import OSM_MARK
from hedong_geo.transform import area_km2, from_metric, to_metric

# What main() reports, and what tests catch, are _build's errors.
__all__ = ["MissingPackage", "SourceError", "build", "main", "readme"]

BASEMAP_DIR = GEODATA / "basemap"
POIS = GEODATA / "osm" / "pois.geojson"
PINS = {"pypinyin": "0.55.0"}
INSTALL = _build.install_command(PINS)
HEDONG = "120102"

# The Haihe band. The centreline proxy is the Hedong–和平/河西 boundary (haihe_frontage.geojson,
# ±200 m). The width is one figure for the whole reach: 解放桥 (Jiefang Bridge), which crosses the
# Haihe at Tianjin station, is 96.7 m long; the river is wider downstream, which nothing offline
# measures. So: 100 m, said to be good to ±50 m, on a line good to ±200 m.
RIVER_WIDTH_M = 100
RIVER_WIDTH_ACCURACY_M = 50
RIVER_WIDTH_BASIS = (
    "one nominal width for the whole reach: 解放桥 (Jiefang Bridge), which spans the Haihe at "
    "Tianjin station, is 96.7 m long (cityexplore.net, 'Liberation Bridge'); the river is wider "
    "downstream, which no offline source measures"
)

# Where a district's name is written: the pole of inaccessibility of the part of the district
# within this distance of Hedong (so a neighbour's name sits next to Hedong, not 10 km away).
LABEL_REACH_M = {"adjacent": 2500, "other": 4000}

# OpenStreetMap places drawn for orientation: class -> (OSM main classes, zoom the label appears
# at, major). Major places outrank the others when labels compete for room.
PLACE_CLASSES = {
    "station": (("building",), 13, True),  # only names ending in 站 (see _place_class)
    "hospital": (("hospital",), 14, True),
    "university": (("university", "college"), 13, True),
    "mall": (("mall", "department_store"), 12, True),
    "park": (("park", "recreation_ground", "stadium", "sports_centre"), 14, True),
    "landmark": (("museum", "attraction", "theatre", "memorial", "monument", "library"), 15, False),
    "school": (("school",), 15, False),
    "clinic": (("clinic",), 16, False),  # and hospitals named 社区卫生服务中心 (see _place_class)
    "kindergarten": (("kindergarten",), 16, False),
    "market": (("market_place", "supermarket"), 16, False),
    "residential": (("residential",), 16, False),
}
# Names that say the place is a big one of its class: its label appears from this zoom (a
# 公园 among parks, sports grounds and patches of green; a 医院 among hospitals).
NAME_ZOOM = {"公园": 12, "医院": 13}
# A hospital class object named like this is a neighbourhood clinic.
CLINIC_NAMES = ("社区卫生服务中心",)
# A place named like a metro station within this distance is that station: only the station is
# labelled (天津站 the building and 天津站 the Line 9 station).
SAME_AS_STATION_M = 500

# English labels: a generic ending translated, the rest in machine pinyin (pypinyin) written as
# words of two syllables (GB/T 16159 joins a proper name; we cannot segment, so pairs).
GENERIC_EN = {
    "社区卫生服务中心": "Community Health Centre",
    "中医医院分院": "TCM Hospital Branch",
    "购物中心": "Shopping Centre",
    "购物公园": "Shopping Park",
    "购物广场": "Shopping Plaza",
    "商业中心": "Commercial Centre",
    "博物馆": "Museum",
    "纪念馆": "Memorial Hall",
    "大剧院": "Grand Theatre",
    "音乐厅": "Concert Hall",
    "幼儿园": "Kindergarten",
    "体育场": "Stadium",
    "体育馆": "Gymnasium",
    "客运站": "Bus Terminal",
    "公交站": "Bus Station",
    "医院": "Hospital",
    "小学": "Primary School",
    "中学": "Middle School",
    "大学": "University",
    "学院": "College",
    "学校": "School",
    "公园": "Park",
    "广场": "Plaza",
    "校区": "Campus",
    "站": "Station",
}
PREFIX_EN = {
    "天津市": "Tianjin",
    "天津": "Tianjin",
    "河东区": "Hedong",
    "河东": "Hedong",
    "河西区": "Hexi",
    "河北区": "Hebei",
    "和平区": "Heping",
    "东丽区": "Dongli",
}
# Full-width punctuation in OSM names, as ASCII in English labels.
ASCII_PUNCTUATION = str.maketrans({"（": "(", "）": ")", "·": " ", "－": "-", "—": "-"})
HAN = r"[\u4e00-\u9fff〇]+"


def _pinyin():
    """pypinyin's ``lazy_pinyin``, checked to be the pinned version."""
    _build.package_dir("pypinyin", "pypinyin", PINS, INSTALL)
    from pypinyin import lazy_pinyin

    return lazy_pinyin


# --- water --------------------------------------------------------------------------------------


def water_feature(frontage: dict) -> dict:
    """The Haihe band: the centreline proxy buffered by half the nominal width, flat ends (the
    band stops where the proxy does, at the two tri-points)."""
    line = shape(frontage["geometry"])
    band = to_metric(line).buffer(RIVER_WIDTH_M / 2, cap_style="flat", join_style="round")
    accuracy = frontage["properties"]["accuracy_m"]
    geom = recipes.orient_rfc7946(
        recipes.round_coordinates(from_metric(band), recipes.decimals_for(accuracy))
    )
    props = {
        "id": "basemap.water.haihe",
        "name_zh": "海河",
        "name_en": "Haihe",
        "width_m": RIVER_WIDTH_M,
        "width_accuracy_m": RIVER_WIDTH_ACCURACY_M,
        "width_basis": RIVER_WIDTH_BASIS,
        "centreline": "geodata/context/haihe_frontage.geojson (context.haihe_frontage)",
        "accuracy_m": accuracy,
        "area_km2": round(area_km2(geom), 3),
        "location_basis": "derived",
        "geometry_source": (
            f"the boundary Hedong shares with 和平区 and 河西区 (it follows the Haihe centreline, "
            f"±{accuracy} m), buffered by {RIVER_WIDTH_M // 2} m each side in EPSG:4527; a "
            "schematic band for reading the map at about 1:25,000, not the river's banks"
        ),
    }
    return _build.feature(props, geom)


# --- district labels ----------------------------------------------------------------------------


def district_label_features(districts: list[dict]) -> list[dict]:
    """One point per district where its name is written, inside the district and near Hedong."""
    hedong = to_metric(
        next(shape(f["geometry"]) for f in districts if f["properties"]["adcode"] == HEDONG)
    )
    out = []
    for f in districts:
        p = f["properties"]
        area = to_metric(shape(f["geometry"]))
        if p["adcode"] == HEDONG:
            near, reach = area, 0
        else:
            reach = LABEL_REACH_M["adjacent" if p["shared_with_hedong_km"] else "other"]
            near = area.intersection(hedong.buffer(reach))
            if near.is_empty:
                near = area
        if near.geom_type != "Polygon":
            near = max(getattr(near, "geoms", [near]), key=lambda g: g.area)
        spot = from_metric(polylabel(near, tolerance=10))
        spot = recipes.round_coordinates(spot, recipes.decimals_for(p["accuracy_m"]))
        props = {
            "id": f"basemap.district_label.{p['adcode']}",
            "adcode": p["adcode"],
            "name_zh": p["name_zh"],
            "name_en": p["name_en"],
            "is_hedong": p["adcode"] == HEDONG,
            "placement": (
                "pole of inaccessibility of the district"
                if reach == 0
                else f"pole of inaccessibility of the part within {reach} m of Hedong"
            ),
        }
        out.append(_build.feature(props, spot))
    return out


# --- places -------------------------------------------------------------------------------------


def _place_class(props: dict) -> str | None:
    if props["fclass"] == "hospital" and props["name"].endswith(CLINIC_NAMES):
        return "clinic"
    for key, (fclasses, _, _) in PLACE_CLASSES.items():
        if props["fclass"] in fclasses:
            if key == "station" and not props["name"].endswith("站"):
                continue
            return key
    return None


def _words(syllables: list[str]) -> str:
    """Pinyin syllables as capitalised words of two (three when one would be left over)."""
    if len(syllables) <= 3:
        groups = [syllables]
    else:
        groups = [syllables[i : i + 2] for i in range(0, len(syllables), 2)]
        if len(groups[-1]) == 1:
            groups[-2:] = [groups[-2] + groups[-1]]
    return " ".join("".join(g).capitalize() for g in groups if g)


def _han_words(run: str, lazy_pinyin) -> list[str]:
    """One run of Chinese characters as English words: known prefixes, then pinyin."""
    words = []
    stripped = True
    while stripped:
        stripped = False
        for prefix in sorted(PREFIX_EN, key=len, reverse=True):
            if run.startswith(prefix):
                words.append(PREFIX_EN[prefix])
                run, stripped = run[len(prefix) :], True
                break
    return [*words, _words(lazy_pinyin(run))] if run else words


def english_name(name: str, lazy_pinyin) -> str:
    """A place name for English labels: known prefixes and the generic ending translated, the
    rest in machine pinyin; Latin letters, digits and brackets kept. Not an official name."""
    head, tail = name.translate(ASCII_PUNCTUATION).strip(), ""
    for generic in sorted(GENERIC_EN, key=len, reverse=True):
        if head.endswith(generic) and len(head) > len(generic):
            head, tail = head[: -len(generic)], GENERIC_EN[generic]
            break
    parts = []
    for run in re.findall(f"{HAN}|[^\\u4e00-\\u9fff〇]+", head):
        if re.fullmatch(HAN, run):
            parts += _han_words(run, lazy_pinyin)
        elif run.strip():
            parts.append(run.strip())
    text = " ".join(p for p in [*parts, tail] if p)
    return re.sub(r"\( ", "(", re.sub(r" \)", ")", text))


def place_features(pois: list[dict], metro: list[dict], lazy_pinyin) -> list[dict]:
    """The chosen OSM places, most important first (the order labels are tried in)."""
    stations = [(m["properties"]["name_zh"], to_metric(shape(m["geometry"]))) for m in metro]
    chosen = []
    for f in pois:
        p = f["properties"]
        key = _place_class(p)
        if key is None or len(p["name"]) < 2:
            continue
        here = to_metric(shape(f["geometry"]))
        if any(p["name"] == n and here.distance(s) <= SAME_AS_STATION_M for n, s in stations):
            continue
        _, min_zoom, major = PLACE_CLASSES[key]
        for suffix, zoom in NAME_ZOOM.items():
            if major and p["name"].endswith(suffix):
                min_zoom = min(min_zoom, zoom)
        props = {
            "id": f"basemap.place.{p['poi_id']}",
            "poi_id": p["poi_id"],
            "name_zh": p["name"],
            "name_en": english_name(p["name"], lazy_pinyin),
            "class": key,
            "fclass": p["fclass"],
            "min_zoom": min_zoom,
            "major": major,
            "accuracy_m": p["accuracy_m"],
            "in_hedong": p["in_hedong"],
            "attribution": OSM_MARK,
        }
        chosen.append(_build.feature(props, shape(f["geometry"])))
    # Major first, then by the zoom the label appears at, Hedong's own first, the larger sites
    # first, then by id.
    chosen.sort(
        key=lambda f: (
            not f["properties"]["major"],
            f["properties"]["min_zoom"],
            not f["properties"]["in_hedong"],
            -f["properties"]["accuracy_m"],
            f["properties"]["poi_id"],
        )
    )
    return chosen


# --- metro --------------------------------------------------------------------------------------


def _station_names(props: dict) -> tuple[str, str]:
    zh = props["name_zh"].split("（")[0]
    en = re.split(r" \(| \[", props["name_en"])[0]
    return zh, re.sub(r" station$", "", en)


def metro_features(points: list[dict]) -> list[dict]:
    """One point per Line 9 station: where two rows name one station, the more accurate."""
    best: dict[str, dict] = {}
    for f in points:
        p = f["properties"]
        if p["kind"] != "metro_station":
            continue
        zh, _ = _station_names(p)
        if zh not in best or p["accuracy_m"] < best[zh]["properties"]["accuracy_m"]:
            best[zh] = f
    out = []
    for f in best.values():
        p = f["properties"]
        zh, en = _station_names(p)
        others = [
            g["properties"]["ref_id"]
            for g in points
            if g["properties"]["kind"] == "metro_station"
            and _station_names(g["properties"])[0] == zh
            and g is not f
        ]
        props = {
            "id": f"basemap.metro.{p['ref_id'].removeprefix('ref.')}",
            "ref_id": p["ref_id"],
            "name_zh": zh,
            "name_en": en,
            "line": "9",
            "accuracy_m": p["accuracy_m"],
            "in_hedong": p["in_hedong"],
            "source": p["source"],
            "source_crs": p["source_crs"],
            "also": others,
        }
        out.append(_build.feature(props, shape(f["geometry"])))
    # West to east along 津塘路, as the line runs.
    return sorted(out, key=lambda f: f["geometry"]["coordinates"][0])


# --- writing ------------------------------------------------------------------------------------


def build(out_dir: str | Path = BASEMAP_DIR) -> dict[str, Path]:
    """Write the basemap files into ``out_dir``; return their paths by name.

    Raises
    ------
    MissingPackage
        If pypinyin is missing or not the pinned version (nothing written).
    SourceError
        If a committed input (geodata/context/, geodata/osm/pois.geojson) is missing or not a
        GeoJSON FeatureCollection (nothing written).
    """
    out_dir = Path(out_dir)
    lazy_pinyin = _pinyin()
    districts = _build.read_features(CONTEXT_DIR / "districts.geojson")
    frontage = _build.read_features(CONTEXT_DIR / "haihe_frontage.geojson")[0]
    metro = metro_features(_build.read_features(CONTEXT_DIR / "reference_points.geojson"))
    places = place_features(_build.read_features(POIS), metro, lazy_pinyin)
    osm = {
        "attribution": OSM_MARK,
        "licence": "ODbL 1.0, https://opendatacommons.org/licenses/odbl/1-0/",
    }
    files = {
        "water": (
            {"title": {"zh": "海河（示意水面）", "en": "The Haihe (schematic band)"}},
            [water_feature(frontage)],
        ),
        "district_labels": (
            {"title": {"zh": "区名注记位置", "en": "District name positions"}},
            district_label_features(districts),
        ),
        "places": (
            {"title": {"zh": "地名（OpenStreetMap）", "en": "Places (OpenStreetMap)"}, **osm},
            places,
        ),
        "metro": ({"title": {"zh": "地铁9号线车站", "en": "Metro Line 9 stations"}}, metro),
    }
    texts = {
        name: (
            out_dir / f"{name}.geojson",
            _build.dumps_collection({"type": "FeatureCollection", "name": name, **head}, features),
        )
        for name, (head, features) in files.items()
    }
    texts["README"] = (out_dir / "README.md", readme({k: v[1] for k, v in files.items()}))
    return _build.write_outputs(texts)


def readme(files: dict[str, list[dict]]) -> str:
    """The provenance README, with the numbers of this build."""
    places = files["places"]
    counts = {}
    for f in places:
        counts[f["properties"]["class"]] = counts.get(f["properties"]["class"], 0) + 1
    classes = [
        {
            "key": k,
            "fclasses": ", ".join(v[0]),
            "zoom": v[1],
            "major": v[2],
            "count": counts.get(k, 0),
        }
        for k, v in PLACE_CLASSES.items()
    ]
    return _build.TEMPLATES.get_template("basemap_README.md.j2").render(
        water=files["water"][0]["properties"],
        labels=[f["properties"] for f in files["district_labels"]],
        classes=classes,
        places=len(places),
        inside=sum(f["properties"]["in_hedong"] for f in places),
        metro=[f["properties"] for f in files["metro"]],
        generic=GENERIC_EN,
        prefix=PREFIX_EN,
        reach=LABEL_REACH_M,
        same_as_station=SAME_AS_STATION_M,
        pins=PINS,
        install=INSTALL,
        script="build_basemap.py",
        test="test_basemap.py",
        width_accuracy=RIVER_WIDTH_ACCURACY_M,
        name_zoom=NAME_ZOOM,
    )


def main(argv: list[str] | None = None) -> int:
    """``python geodata/build_basemap.py [OUT_DIR] [--check]``; see :func:`_build.run_script`."""
    return _build.run_script(argv, build, {"OUT_DIR": BASEMAP_DIR}, __doc__)


if __name__ == "__main__":
    sys.exit(main())
