"""The READMEs of geodata/osm/ and geodata/streets/, written by build_places.py with the numbers
of the build (so that the text cannot drift from the files).

The text is in ``geodata/templates/osm_README.md.j2`` and ``streets_README.md.j2`` (both end with
``places_rebuild.md.j2``); the functions here compute what they quote.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import shapely
from _build import TEMPLATES, install_command
from shapely.geometry import shape

from hedong_geo.transform import to_metric


def _nn_median_m(points: list) -> int:
    """Median distance from each point to its nearest neighbour of the same set, metres."""
    if len(points) < 2:
        return 0
    xy = shapely.get_coordinates(to_metric(shapely.multipoints(points)))
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(d, np.inf)
    return int(round(float(np.median(d.min(axis=1))), -1))


def osm_readme(pois: list[dict], datum: list[dict], facts: dict) -> str:
    """``geodata/osm/README.md``: the POIs' sources, counts, accuracy rules and datum check."""
    props = [f["properties"] for f in pois]
    spacing = {
        fclass: _nn_median_m(
            [shape(f["geometry"]) for f in pois if f["properties"]["fclass"] == fclass
             and f["properties"]["kind"] == "area"]
        )
        for fclass in ("residential", "school", "building")
    }  # fmt: skip
    top = Counter(p["fclass"] for p in props if p["in_hedong"]).most_common(12)
    (station_id, station_name), within, at_least = facts["datum"]
    poi_file, node_file = facts["files"]
    return TEMPLATES.get_template("osm_README.md.j2").render(
        licence=facts["licence"],
        attribution=facts["attribution"],
        pins=facts["pins"],
        poi_file=poi_file,
        node_file=node_file,
        count=len(props),
        around_m=facts["around_m"],
        inside=sum(p["in_hedong"] for p in props),
        merged=sum(1 for p in props if p["fclass_also"]),
        kinds=Counter(p["kind"] for p in props),
        largest_area_id=max(p["osm_id"] for p in props if p["kind"] == "area"),
        top=", ".join(f"{k} {v}" for k, v in top),
        tiers=facts["tiers"],
        rules=Counter(p["accuracy_rule"] for p in props),
        spacing=spacing,
        campus=facts["campus"],
        site=facts["site"],
        station_id=station_id,
        station_name=station_name,
        within=within,
        at_least=at_least,
        datum_rows=[[r["ref_id"], f"{r['wgs84_m']:.0f}", f"{r['gcj02_m']:.0f}"] for r in datum],
        checksum_rows=[[f"`{k}`", f"`{v}`"] for k, v in facts["checksums"].items()],
        install=facts["install"],
        npm=facts["npm"],
        script=facts["script"],
        test=facts["test"],
    )


def streets_readme(
    features: list[dict], communities: list[dict], numbers: dict, facts: dict
) -> str:
    """``geodata/streets/README.md``: the 街道 sources, 社区 matches and how the zones are made."""
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
    columns = ["code", "街道", "box share in Hedong", "社区", "located", "match", "zone km²",
               "share of Hedong", "parts", "accuracy_m"]  # fmt: skip
    matches = Counter(c["match"] for c in comm)
    cover = numbers["cover"]
    two_plus = sum(v for k, v in cover.items() if k >= 2)
    return TEMPLATES.get_template("streets_README.md.j2").render(
        communities=len(comm),
        repeated=numbers["repeated"],
        hedong_key=numbers["hedong_key"],
        shares=numbers["shares"],
        extent_m=numbers["extent_m"],
        matches=", ".join(f"{k} {v}" for k, v in sorted(matches.items())),
        located=sum(p["located"] for p in props),
        in_box=sum(1 for c in comm if c["in_street_box"]),
        fallback_faces=numbers["fallback_faces"],
        zones_km2=sum(p["zone_area_km2"] or 0 for p in props),
        hedong_km2=numbers["hedong_km2"],
        cover=cover,
        voronoi_share=f"{two_plus / numbers['hedong_km2']:.0%}",
        columns=columns,
        rows=rows,
        exclave_note=next(p for p in props if p["box"] is None)["note"],
        install=install_command(facts["pins"]),
        npm=facts["npm"],
        script=facts["script"],
        test=facts["test"],
    )
