"""The register's geometry recipes, in one registry: name → parameters, dependencies, function.

Each entry of ``geodata/features.yaml`` names a recipe (``geometry: {recipe: park, ...}``).
:data:`RECIPES` is the only list of them: the register check reads the parameter names and
types (``hedong_geo.register``), the build dispatches to the functions (:func:`place_all`), and
a test holds the header of ``features.yaml`` to it (:func:`header_lines`).

A recipe receives what it depends on explicitly: ``depends`` names the features it needs, and
:func:`place_all` places those first and hands them over in :attr:`Inputs.deps` (the park's
quadrants get the park's centre from the placed park, not from whatever was placed last). The
shapes themselves come from the pure functions of :mod:`hedong_geo.recipes`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shapely.geometry import MultiPoint, Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from hedong_geo import places, recipes, schema
from hedong_geo._errors import LayerError
from hedong_geo.context import HEDONG_ADCODE, load_context
from hedong_geo.transform import to_metric

if TYPE_CHECKING:
    from hedong_geo.register import Entry

__all__ = ["RECIPES", "Geography", "Inputs", "Param", "Placed", "Recipe", "place_all"]

STATION_NEIGHBOURS = ("120101", "120105")  # 和平, 河北: the other two districts of the zone


@dataclass(frozen=True)
class Placed:
    """A geometry in metres (EPSG:4527) with how it was obtained.

    ``centre`` is a point other recipes may build on (the park's centre, where its quadrants
    meet); None for most.
    """

    geometry: BaseGeometry | None
    basis: str
    accuracy_m: float | None
    source: str
    centre: Point | None = None


@dataclass(frozen=True)
class Param:
    """A recipe parameter: its type (a key of ``register.schema.json#/$defs/param``), whether
    the register must give it, and what it means."""

    kind: str
    required: bool = True
    doc: str = ""


class Geography:
    """The context data, the committed OSM objects and the 街道 zones, in metres, read once per
    build."""

    def __init__(
        self, context_dir: Path, pois: Path = places.POIS, streets: Path = places.STREETS
    ) -> None:
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
        self.pois = places.load_pois(Path(pois))
        self.zones = {z.code: z for z in places.load_zones(Path(streets))}

    def district(self, adcode: str) -> BaseGeometry:
        return to_metric(self.districts.loc[adcode].geometry)

    def ref(self, ref_id: str) -> tuple[Point, float, str]:
        if ref_id not in self.refs.index:
            raise LayerError(f"reference point {ref_id!r} is not in reference_points.geojson")
        row = self.refs.loc[ref_id]
        source = f"{row['name_zh']} ({row['name_en']}): {row['source']}; {row['note']}"
        return to_metric(row.geometry), float(row["accuracy_m"]), source

    def poi(self, poi_id: str) -> places.Poi:
        if poi_id not in self.pois:
            raise LayerError(f"OSM object {poi_id!r} is not in geodata/osm/pois.geojson")
        return self.pois[poi_id]

    def zone(self, code: str) -> places.Zone:
        if code not in self.zones:
            raise LayerError(f"街道 {code!r} is not in geodata/streets/streets.geojson")
        return self.zones[code]


@dataclass(frozen=True)
class Inputs:
    """What a recipe is given: its entry, the geography, and the placed features it depends on."""

    entry: Entry
    geo: Geography
    deps: Mapping[str, Placed] = field(default_factory=dict)

    @property
    def g(self) -> dict[str, Any]:
        """The entry's ``geometry`` mapping: the recipe's arguments."""
        return self.entry.geometry


Depends = Callable[["Entry", Mapping[str, "Entry"]], list[str]]


@dataclass(frozen=True)
class Recipe:
    """A registered recipe: its name, parameters, dependencies and function."""

    name: str
    doc: str
    params: dict[str, Param]
    function: Callable[[Inputs], Placed]
    depends: Depends

    def schema(self) -> dict[str, Any]:
        """The JSON Schema of a register ``geometry`` mapping that uses this recipe."""
        return schema.recipe_schema({n: (p.kind, p.required) for n, p in self.params.items()})


RECIPES: dict[str, Recipe] = {}


def _none(_entry: Entry, _entries: Mapping[str, Entry]) -> list[str]:
    return []


def recipe(name: str, doc: str, depends: Depends = _none, **params: Param):
    """Register the decorated function as recipe ``name`` taking ``params``."""

    def register(function: Callable[[Inputs], Placed]) -> Callable[[Inputs], Placed]:
        RECIPES[name] = Recipe(name, doc, params, function, depends)
        return function

    return register


def _weaker(basis: str, other: str) -> str:
    """The less certain of two location bases (the schema's order: derived is the surest)."""
    order = schema.vocabulary("location_basis")
    return max(basis, other, key=order.index)


# --- the recipes, in the order the features.yaml header lists them ------------------------------

_ACC = Param("metres", doc="accuracy in metres")


@recipe("district", "the derived Hedong polygon")
def _district(i: Inputs) -> Placed:
    geo = i.geo
    return Placed(geo.hedong, "derived", geo.hedong_accuracy, geo.hedong_source)


@recipe(
    "frontage",
    "the Haihe frontage line (Hedong–和平/河西 boundary)",
    basis=Param("basis", False),
    accuracy_m=Param("metres", False),
)
def _frontage(i: Inputs) -> Placed:
    geo, g = i.geo, i.g
    return Placed(
        geo.frontage,
        g.get("basis", "derived"),
        float(g.get("accuracy_m", geo.frontage_accuracy)),
        f"the Haihe frontage of Hedong: {geo.frontage_source}",
    )


@recipe(
    "belt", "the frontage buffered `width_m` into Hedong", width_m=Param("metres"), accuracy_m=_ACC
)
def _belt(i: Inputs) -> Placed:
    geo, g = i.geo, i.g
    return Placed(
        recipes.belt(geo.frontage, geo.hedong, g["width_m"]),
        "schematic",
        float(g["accuracy_m"]),
        f"a {g['width_m']} m band along the Haihe frontage inside Hedong (the width is "
        f"schematic); frontage: {geo.frontage_source}",
    )


@recipe(
    "frontage_segment",
    "the belt between two reference points (`from`, `to`), `width_m` wide",
    **{"from": Param("ref"), "to": Param("ref")},
    width_m=Param("metres"),
    accuracy_m=_ACC,
)
def _frontage_segment(i: Inputs) -> Placed:
    geo, g = i.geo, i.g
    a, _, _ = geo.ref(g["from"])
    b, _, _ = geo.ref(g["to"])
    return Placed(
        recipes.frontage_segment(geo.frontage, geo.hedong, a, b, g["width_m"]),
        "described",
        float(g["accuracy_m"]),
        f"the {g['width_m']} m riverside band between the frontage points nearest to "
        f"reference points {g['from']} and {g['to']}, as the plan's words describe it",
    )


@recipe(
    "reference", "a point of geodata/context/reference_points.geojson (`ref`)", ref=Param("ref")
)
def _reference(i: Inputs) -> Placed:
    point, accuracy, source = i.geo.ref(i.g["ref"])
    return Placed(point, "reference", accuracy, f"reference point {i.g['ref']}: {source}")


@recipe(
    "near",
    "a point at a reference point, with the stated basis and accuracy",
    ref=Param("ref"),
    basis=Param("basis"),
    accuracy_m=_ACC,
)
def _near(i: Inputs) -> Placed:
    g = i.g
    point, ref_accuracy, source = i.geo.ref(g["ref"])
    accuracy = max(float(g["accuracy_m"]), ref_accuracy)
    return Placed(point, g["basis"], accuracy, f"at reference point {g['ref']}: {source}")


@recipe(
    "station_zone",
    "Hedong part of the station zone, calibrated to `area_km2`",
    area_km2=Param("km2"),
    hub=Param("ref"),
    south=Param("ref"),
    accuracy_m=_ACC,
)
def _station_zone(i: Inputs) -> Placed:
    geo, g = i.geo, i.g
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


def _hedong_zone(_entry: Entry, entries: Mapping[str, Entry]) -> list[str]:
    return [e.id for e in entries.values() if e.geometry.get("recipe") == "station_zone"]


@recipe(
    "station_zone_whole",
    "the whole zone over three districts, calibrated to `area_km2`",
    depends=_hedong_zone,
    area_km2=Param("km2"),
    hub=Param("ref"),
    accuracy_m=_ACC,
)
def _station_zone_whole(i: Inputs) -> Placed:
    geo, g = i.geo, i.g
    hub, _, _ = geo.ref(g["hub"])
    parts = [p.geometry for p in i.deps.values()]
    if len(parts) != 1:
        raise LayerError(
            f"needs exactly one station_zone entry (the Hedong part), not {len(parts)}"
        )
    others = unary_union([geo.district(code) for code in STATION_NEIGHBOURS])
    shape, radius = recipes.station_zone_whole(parts[0], others, hub, g["area_km2"] * 1e6)
    return Placed(
        shape,
        "schematic",
        float(g["accuracy_m"]),
        f"schematic: the Hedong part plus 和平 and 河北 within {radius:.0f} m of "
        f"{g['hub']}, calibrated to the plan's {g['area_km2']} km² over three districts",
    )


@recipe(
    "osm",
    "a committed OpenStreetMap object (`poi`); with `also`, the circle over several",
    poi=Param("osm"),
    also=Param("osm_list", False),
    accuracy_m=Param("metres", False, "widened beyond the object's own accuracy"),
    basis=Param("basis", False, "weaker than `reference` where the object only anchors it"),
)
def _osm(i: Inputs) -> Placed:
    g = i.g
    objects = [i.geo.poi(pid) for pid in [g["poi"], *g.get("also", [])]]
    point, needed = recipes.covering_circle([(o.point, o.accuracy_m) for o in objects])
    wanted = float(g.get("accuracy_m", needed))
    if wanted < needed:
        raise LayerError(
            f"accuracy_m {wanted:g} is tighter than its OSM object(s) allow ({needed:.0f} m)"
        )
    sources = "; ".join(o.source() for o in objects)
    what = "at" if len(objects) == 1 else "the circle over"
    return Placed(
        point, _weaker(g.get("basis", "reference"), "reference"), wanted, f"{what} {sources}"
    )


@recipe(
    "street",
    "a 街道's approximate zone (`code`) of geodata/streets/, as its outline",
    code=Param("street"),
)
def _street(i: Inputs) -> Placed:
    zone = i.geo.zone(i.g["code"])
    if zone.geometry is None:
        raise LayerError(f"街道 {zone.name_zh} has no zone: use the unlocated recipe ({zone.note})")
    # The outline, not the area: a zone drawn as a filled polygon over the map would cover (and
    # catch the clicks of) every place inside it. The area is in geodata/streets/streets.geojson
    # (hedong_geo.places.load_zones), which is what street membership is computed from.
    return Placed(
        zone.geometry.boundary,
        "schematic",
        zone.accuracy_m,
        f"the outline of an approximate zone, NOT an official boundary: {zone.basis}, ± "
        f"{zone.accuracy_m:.0f} m; geodata/streets/README.md. {zone.note}",
    )


_ANCHORS = {
    q: Param("osm_list", False, f"OSM objects the plan puts in the {q} quadrant")
    for q in ("ne", "nw", "se", "sw")
}


@recipe(
    "park",
    "the park drawn around its located anchors (`ne`…`sw`) in 街道 `street`",
    street=Param("street"),
    accuracy_m=_ACC,
    **_ANCHORS,
)
def _park(i: Inputs) -> Placed:
    g, geo = i.g, i.geo
    zone = geo.zone(g["street"])
    anchors = {q: [geo.poi(pid) for pid in g.get(q, [])] for q in ("ne", "nw", "se", "sw")}
    shape, centre = recipes.park_from_anchors(
        {q: [(o.point, o.accuracy_m) for o in objs] for q, objs in anchors.items()},
        geo.hedong,
        zone.geometry,
    )
    named = "; ".join(
        f"{q.upper()}: {', '.join(o.name for o in objs)}" for q, objs in anchors.items() if objs
    )
    return Placed(
        shape,
        "schematic",
        float(g["accuracy_m"]),
        f"drawn around the anchors OpenStreetMap locates ({named}; "
        f"{places.OSM_ATTRIBUTION}): the hull of their accuracy circles, extended south to the "
        f"district boundary (南接海河柳林), clipped to the approximate {zone.name_zh} zone; "
        "the outline beyond the anchors is schematic, the quadrants meet between the anchors",
        centre,
    )


def _parent(entry: Entry, _entries: Mapping[str, Entry]) -> list[str]:
    return [entry.parent] if entry.parent else []


@recipe(
    "quadrant", "a quarter of the park (the entry's `parent`)", _parent, which=Param("quadrant")
)
def _quadrant(i: Inputs) -> Placed:
    park = i.deps.get(i.entry.parent or "")
    if park is None or park.centre is None or park.geometry is None:
        raise LayerError(f"parent {i.entry.parent!r} is not a park outline with a centre")
    which = i.g["which"]
    return Placed(
        recipes.quadrants(park.geometry, park.centre)[which],
        "schematic",
        park.accuracy_m,
        f"the {which.upper()} part of the park outline, split where the anchors 专栏 1 names "
        "for each quadrant fall apart (the park's north-south and east-west lines between "
        "them); 专栏 1 names the quadrants by compass point, not their extents",
    )


@recipe(
    "tributary",
    "a schematic line of `length_km` leaving the frontage (护仓河)",
    length_km=Param("km"),
    accuracy_m=_ACC,
)
def _tributary(i: Inputs) -> Placed:
    line = recipes.tributary(i.geo.frontage, i.geo.hedong, i.g["length_km"] * 1000)
    return Placed(line, "schematic", float(i.g["accuracy_m"]), i.entry.note or "")


def _layer_members(entry: Entry, entries: Mapping[str, Entry]) -> list[str]:
    wanted = entry.geometry["layers"]
    return [e.id for e in entries.values() if e.layer in wanted and e.id != entry.id]


@recipe(
    "points_of",
    "the located features of the named layers, as one MultiPoint",
    _layer_members,
    layers=Param("layers"),
)
def _points_of(i: Inputs) -> Placed:
    members = list(i.deps.values())
    points = [p.geometry for p in members if p.geometry is not None]
    if not points:
        raise LayerError(f"layers {i.g['layers']} have no located feature to gather")
    points = [p if p.geom_type == "Point" else p.representative_point() for p in points]
    located = [p for p in members if p.geometry is not None]
    accuracy = max(p.accuracy_m for p in located)
    basis = "derived"
    for p in located:  # the gathering is no surer than its least sure member
        basis = _weaker(basis, p.basis)
    return Placed(
        MultiPoint(sorted({(p.x, p.y) for p in points})),
        basis,
        accuracy,
        f"the located features of layers {i.g['layers']}, gathered as one MultiPoint",
    )


@recipe("unlocated", "no citable location: null geometry")
def _unlocated(_i: Inputs) -> Placed:
    return Placed(None, "unlocated", None, "no citable location; listed with its passages")


# --- resolving every entry, dependencies first --------------------------------------------------


def dependencies(entry: Entry, entries: Mapping[str, Entry]) -> list[str]:
    """The ids ``entry``'s recipe needs placed first."""
    return RECIPES[entry.geometry["recipe"]].depends(entry, entries)


def place_all(entries: tuple[Entry, ...], geo: Geography) -> dict[str, Placed]:
    """Every entry placed by its recipe, each after the features it depends on, each once.

    Raises :class:`LayerError` naming the entry and recipe when one cannot be placed (a cycle
    of dependencies, a recipe that fails on its data).
    """
    by_id = {e.id: e for e in entries}
    placed: dict[str, Placed] = {}
    for entry in entries:
        stack = [(entry.id, False)]
        active: set[str] = set()
        while stack:  # iterative depth-first: dependencies are placed before their users
            fid, ready = stack.pop()
            if fid in placed:
                continue
            current = by_id[fid]
            deps = dependencies(current, by_id)
            if ready:
                active.discard(fid)
                placed[fid] = _run(current, geo, {d: placed[d] for d in deps})
                continue
            if fid in active:
                raise LayerError(f"entry {fid!r}: its recipe depends on itself through {deps}")
            active.add(fid)
            stack.append((fid, True))
            stack.extend((d, False) for d in reversed(deps) if d not in placed)
    return placed


def _run(entry: Entry, geo: Geography, deps: dict[str, Placed]) -> Placed:
    name = entry.geometry["recipe"]
    try:
        return RECIPES[name].function(Inputs(entry, geo, deps))
    except LayerError as exc:
        raise LayerError(f"entry {entry.id!r} (recipe {name!r}): {exc}") from None
    except (ValueError, KeyError, TypeError, ArithmeticError) as exc:
        raise LayerError(f"entry {entry.id!r} (recipe {name!r}) failed: {exc}") from exc


def header_lines() -> list[str]:
    """The recipe list as the header of ``geodata/features.yaml`` shows it, one per line."""
    width = max(map(len, RECIPES)) + 2
    return [f"#   {name:<{width}}{r.doc}" for name, r in RECIPES.items()]
