"""The feature register, ``geodata/features.yaml``: one entry per place the plan names.

The register is data, not code. :func:`load_register` reads it, checks every entry and raises
once with every problem found, so a reviewer fixes them all in one pass.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from hedong_geo import places, schema
from hedong_geo._errors import LayerError
from hedong_geo.paths import CONTEXT_DIR, GEODATA
from hedong_geo.placing import RECIPES, dependencies

REGISTER = GEODATA / "features.yaml"
LAYER_TITLES = GEODATA / "layers.json"
FIGURES = GEODATA / "figures.json"


@dataclass(frozen=True)
class Entry:
    """One place of the register. ``geometry`` holds the recipe name and its arguments.

    The fields are the keys of ``hedong_geo/schema/register.schema.json`` (a test holds them
    equal); list values are tuples, ``cite_extra`` ``(block, quote)`` pairs.
    """

    id: str
    name_zh: str
    name_en: str
    layer: str
    group: str
    category: str
    status: str
    geometry: dict[str, Any]
    aliases: tuple[str, ...] = ()
    status_year: int | None = None
    cross_district: bool = False
    parent: str | None = None
    anchors: tuple[str, ...] = ()
    note: str | None = None
    cite_exclude_words: tuple[str, ...] = ()
    cite_extra: tuple[tuple[str, str], ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """The Chinese name and every alias, without repeats: what the mention finder seeks."""
        return tuple(dict.fromkeys((self.name_zh, *self.aliases)))


_SAFE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when installed


class _Loader(_SAFE):  # type: ignore[misc, valid-type]
    """PyYAML's safe loader that keeps duplicate keys as problems instead of letting the later
    value win silently."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.problems: list[str] = []

    def construct_mapping(self, node: Any, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (str, int, float, bool)) and key in seen:
                self.problems.append(
                    f"line {key_node.start_mark.line + 1}: duplicate key {key!r}; "
                    "the later value would silently win"
                )
            if isinstance(key, (str, int, float, bool)):
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _check_events(text: str, most_aliases: int, most_depth: int) -> None:
    """Refuse, before building anything, a file with more than ``most_aliases`` aliases
    (``*name``: a few nested ones can stand for more data than any memory holds, the "billion
    laughs") or nested deeper than ``most_depth`` (which would exhaust the parser's stack). The
    events are streamed, so this scan itself needs neither."""
    aliases = depth = 0
    for event in yaml.parse(text, Loader=_SAFE):
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > most_aliases:
                raise yaml.YAMLError(
                    f"line {event.start_mark.line + 1}: more than {most_aliases} YAML aliases "
                    "(*name); the register needs none, and nested aliases can expand beyond "
                    "any memory"
                )
        elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > most_depth:
                raise yaml.YAMLError(
                    f"line {event.start_mark.line + 1}: nested too deeply (more than "
                    f"{most_depth} levels)"
                )
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1


def read_yaml(path: str | Path) -> tuple[Any, list[str]]:
    """The register file parsed safely, and its problems (duplicate keys).

    Raises :class:`LayerError` naming the file when it cannot be used at all: missing, too
    large, not UTF-8, not YAML, too many aliases, nested too deeply.
    """
    path = Path(path)
    limits = schema.register_limits()
    try:
        size = path.stat().st_size
        if size > limits["max_file_bytes"]:
            raise LayerError(
                f"{path.name}: is {size:,} bytes; the register may have at most "
                f"{limits['max_file_bytes']:,}"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise LayerError(f"{path.name}: cannot be read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LayerError(
            f"{path.name}: is not UTF-8 (byte {exc.start}: {raw[exc.start : exc.start + 2]!r}; "
            "GBK?); save it as UTF-8"
        ) from None
    loader = _Loader(text)
    try:
        _check_events(text, limits["max_aliases"], limits["max_depth"])
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        raise LayerError(f"{path.name}: not valid YAML: {str(exc)[:300]}") from None
    except RecursionError:
        raise LayerError(f"{path.name}: not valid YAML: nested too deeply") from None
    finally:
        loader.dispose()
    if isinstance(data, list) and len(data) > limits["max_entries"]:
        raise LayerError(f"{path.name}: has {len(data)} entries; at most {limits['max_entries']}")
    return data, loader.problems


def layer_titles() -> dict[str, dict[str, str]]:
    """Titles (``zh``, ``en``) of every layer, in map order, from ``geodata/layers.json``."""
    return json.loads(LAYER_TITLES.read_text(encoding="utf-8"))


def figures() -> dict[str, list[dict[str, Any]]]:
    """The figures the plan states (areas, lengths, tilings) from ``geodata/figures.json``."""
    return json.loads(FIGURES.read_text(encoding="utf-8"))


def _id_problems(where: str, recipe: str, geometry: dict, known: dict[str, Known]) -> list[str]:
    """Ids a recipe's arguments name that are not in the committed file they point into."""
    problems = []
    for name, param in RECIPES[recipe].params.items():
        value = geometry.get(name)
        kind = "osm" if param.kind == "osm_list" else param.kind
        if kind not in known or value is None:
            continue
        ids, what, file = known[kind]
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item not in ids:
                problems.append(f"{where}: {name} {item!r} is not {what} of {file}")
    return problems


Known = tuple[Collection[str], str, str]


def _entry_problems(raw: dict, index: int, titles: dict, known: dict[str, Known]) -> list[str]:
    """Everything wrong with one entry: the register schema, its layer, its recipe's arguments."""
    where = f"entry {index} ({raw.get('id', '?')!r})"
    problems = [f"{where}: {m}" for m in schema.check(raw, {"$ref": schema.REGISTER})]
    layer = raw.get("layer")
    if isinstance(layer, str) and layer not in titles:
        problems.append(f"{where}: layer {layer!r} is not one of {sorted(titles)}")
    geometry = raw.get("geometry")
    recipe = geometry.get("recipe") if isinstance(geometry, dict) else None
    if not isinstance(geometry, dict) or not isinstance(recipe, str):
        return problems  # the schema has said what is wrong with it
    if recipe not in RECIPES:
        return [*problems, f"{where}: recipe {recipe!r} is not one of {sorted(RECIPES)}"]
    found = schema.check(geometry, RECIPES[recipe].schema())
    problems += [f"{where}: recipe {recipe!r}: {m}" for m in found]
    if (recipe == "unlocated") != (layer == "unlocated"):
        problems.append(f"{where}: the unlocated recipe and layer 'unlocated' go together")
    return problems + _id_problems(where, recipe, geometry, known)


def _entry(raw: dict) -> Entry:
    """An :class:`Entry` from a checked register entry: lists become tuples."""
    values: dict[str, Any] = {}
    for f in fields(Entry):
        if f.name not in raw or raw[f.name] is None:
            continue
        value = raw[f.name]
        if f.name == "cite_extra":
            value = tuple((c["block"], c["quote"]) for c in value)
        elif f.name == "geometry":
            value = dict(value)
        elif isinstance(value, list):
            value = tuple(value)
        values[f.name] = value
    return Entry(**values)


def _reference_problems(entries: list[Entry], seen: set[str]) -> list[str]:
    """Ids an entry points at that do not exist, and cycles of parents or recipe dependencies."""
    problems = []
    by_id = {e.id: e for e in entries}
    graph: dict[str, list[str]] = {}
    for entry in entries:
        needs = dependencies(entry, by_id)
        for ref in dict.fromkeys(filter(None, [entry.parent, *needs])):
            if ref not in seen:
                problems.append(f"entry {entry.id!r}: parent {ref!r} is not in the register")
        graph[entry.id] = [r for r in {entry.parent, *needs} if r in by_id]
    state: dict[str, int] = {}  # 1 on the path being walked, 2 done
    for start in graph:
        if start in state:
            continue
        state[start] = 1
        path = [start]
        stack = [(start, iter(graph[start]))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(child) == 1:
                cycle = [*path[path.index(child) :], child]
                problems.append(f"entry {child!r}: parents form a cycle: {' -> '.join(cycle)}")
                state[child] = 2  # report each cycle once
            elif child not in state:
                state[child] = 1
                path.append(child)
                stack.append((child, iter(graph[child])))
    return problems


def parse_register(
    data: Any,
    titles: dict[str, dict[str, str]],
    ref_ids: Collection[str] | None = None,
    poi_ids: Collection[str] | None = None,
    street_codes: Collection[str] | None = None,
) -> list[Entry]:
    """Check a parsed register and turn it into entries; raise once with every problem.

    ``ref_ids``, ``poi_ids`` and ``street_codes`` are the reference points, OpenStreetMap
    objects and 街道 recipes may name (default: those of
    ``geodata/context/reference_points.geojson``, ``geodata/osm/pois.geojson`` and
    ``geodata/streets/streets.geojson``). An OSM object is named by its id, never looked up by
    name: an id the committed file does not hold is a problem naming the entry.
    """
    if not isinstance(data, list):
        raise LayerError(f"the register must be a list of entries, not {type(data).__name__}")
    known: dict[str, Known] = {
        "ref": (
            reference_ids() if ref_ids is None else ref_ids,
            "a reference point",
            "geodata/context/reference_points.geojson",
        ),
        "osm": (
            places.load_pois() if poi_ids is None else poi_ids,
            "an OpenStreetMap object (ids are checked, never looked up by name)",
            "geodata/osm/pois.geojson",
        ),
        "street": (
            [z.code for z in places.load_zones()] if street_codes is None else street_codes,
            "a 街道",
            "geodata/streets/streets.geojson",
        ),
    }
    problems: list[str] = []
    seen: set[str] = set()
    entries = []
    for index, raw in enumerate(data):
        if not isinstance(raw, dict):
            problems.append(f"entry {index}: {schema.short(raw)} is not a mapping")
            continue
        found = _entry_problems(raw, index, titles, known)
        fid = raw.get("id")
        if isinstance(fid, str) and fid in seen:
            found.append(f"entry {index}: id {fid!r} is used twice")
        seen.add(fid if isinstance(fid, str) else "")
        problems.extend(found)
        if not found:
            entries.append(_entry(raw))
    problems += _reference_problems(entries, seen)
    if problems:
        raise LayerError(
            f"{REGISTER.name}: {len(problems)} problem(s):\n  " + "\n  ".join(problems)
        )
    return entries


def reference_ids(context_dir: str | Path = CONTEXT_DIR) -> frozenset[str]:
    """The ids of the reference points recipes may name."""
    path = Path(context_dir) / "reference_points.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    return frozenset(f["properties"]["ref_id"] for f in data["features"])


@lru_cache(maxsize=2)
def load_register(path: str | Path = REGISTER) -> tuple[Entry, ...]:
    """Read and check the register (cached). Raises :class:`LayerError` listing every problem:
    the file (too large, not UTF-8, not YAML, duplicate keys, too many YAML aliases) and every
    entry."""
    data, problems = read_yaml(path)
    try:
        entries = parse_register(data, layer_titles())
    except LayerError as exc:
        text = str(exc)
        problems += text.split("\n  ")[1:] or [text]
        entries = []
    if problems:
        raise LayerError(
            f"{Path(path).name}: {len(problems)} problem(s):\n  " + "\n  ".join(problems)
        )
    return tuple(entries)
