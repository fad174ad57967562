"""The layer and register schema, declared once in ``hedong_geo/schema/*.json``.

``layer.schema.json`` declares a layer file and its features (property order, types, ranges,
the ordered vocabularies: enum order is display order); ``register.schema.json`` declares an
entry of ``geodata/features.yaml`` and the types of recipe parameters. Both are checked with
the ``jsonschema`` library, which reports every problem at once; this module turns each error
into one readable line naming the property and showing the bad value. Everything else is
derived from here: ``hedong_geo.layers``' constants, the register's keys, the build's property
order, the CSV columns and ``docs/layers.md`` (:func:`render_docs`).
"""

from __future__ import annotations

import itertools
import json
import math
import reprlib
import textwrap
from collections.abc import Iterable, Iterator
from functools import cache
from importlib import resources
from string import Template
from typing import TYPE_CHECKING, Any

import jsonschema_rs

if TYPE_CHECKING:  # jsonschema is imported on first use: only a feature with a problem needs it
    from jsonschema.exceptions import ValidationError
    from referencing import Registry

__all__ = [
    "LAYER",
    "REGISTER",
    "check",
    "check_slow",
    "csv_columns",
    "is_valid",
    "limits",
    "load",
    "property_order",
    "python_types",
    "recipe_schema",
    "render_docs",
    "required_properties",
    "short",
    "ui_problems",
    "vocabulary",
]

LAYER = "urn:hedong-geo:layer"
REGISTER = "urn:hedong-geo:register"
_FILES = {LAYER: "layer.schema.json", REGISTER: "register.schema.json"}
_REPR_MAX = 80
_PYTHON: dict[str, Any] = {"string": str, "array": list, "object": dict, "boolean": bool}
_PYTHON |= {"integer": int, "number": (int, float), "null": type(None)}


@cache
def load(uri: str = LAYER) -> dict[str, Any]:
    """The schema document ``uri`` (:data:`LAYER` or :data:`REGISTER`) as a dict."""
    text = (resources.files("hedong_geo") / "schema" / _FILES[uri]).read_text(encoding="utf-8")
    return json.loads(text)


# --- the validator: JSON Schema 2020-12, plus finite numbers, rings and a vertex limit ------
#
# Two validators read the same schema: a compiled one (``jsonschema_rs``) answers "any
# problem?" fast; only an instance with one goes through ``jsonschema``, whose errors say where
# and what (:func:`check`). Both call the same custom keywords (``_CUSTOM``).


def _is_number(_checker: Any, value: Any) -> bool:
    """JSON numbers are finite: NaN and ±Infinity (which Python's json reads) are not numbers."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_integer(checker: Any, value: Any) -> bool:
    return _is_number(checker, value) and float(value).is_integer()


def _numeric_ring(ring: Any) -> list[tuple[float, float]] | None:
    if not isinstance(ring, list) or len(ring) < 4:
        return None
    points = []
    for pos in ring:
        if not (isinstance(pos, list) and len(pos) >= 2 and all(_is_number(None, c) for c in pos)):
            return None  # the position's own errors are reported by its schema
        points.append((float(pos[0]), float(pos[1])))
    return points


def _ring_problem(sense: str, instance: Any, trusted: bool = False) -> str | None:
    """``x-ring: ccw|cw``: a closed ring wound as RFC 7946 §3.1.6 asks (exteriors ccw).

    ``trusted``: the caller checks the positions with the same schema (the compiled validator
    does, in the same pass), so they are read without checking each coordinate again; a ring
    that is not a list of positions then fails those checks, whatever this one says.
    """
    points = _trusted_ring(instance) if trusted else _numeric_ring(instance)
    if points is None:
        return None
    if points[0] != points[-1]:
        return f"is not closed: it starts at {points[0]} and ends at {points[-1]}"
    twice_area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(points))
    if (twice_area > 0) != (sense == "ccw") and twice_area != 0:
        want = "counter-clockwise (an exterior)" if sense == "ccw" else "clockwise (a hole)"
        return f"is wound the wrong way; RFC 7946 wants it {want}"
    return None


def _trusted_ring(ring: Any) -> list[tuple[float, float]] | None:
    try:
        return [(float(pos[0]), float(pos[1])) for pos in ring] if len(ring) >= 4 else None
    except (TypeError, ValueError, IndexError, KeyError):
        return None


def _count_positions(coords: Any, depth: int = 0) -> int:
    if not isinstance(coords, list) or depth > 4:
        return 0
    if coords and not isinstance(coords[0], list):
        return 1
    return sum(_count_positions(c, depth + 1) for c in coords)


def _trusted_count(coords: Any) -> int:
    """:func:`_count_positions` of coordinates the schema checks in the same pass (each level
    all positions or all lists): a list of positions is counted by its length."""
    if not coords or not isinstance(coords[0], list):
        return 1 if coords else 0
    if not isinstance(coords[0][0], list):
        return len(coords)
    return sum(map(_trusted_count, coords))


def _vertices_problem(most: int, instance: Any, trusted: bool = False) -> str | None:
    """``x-max-vertices``: a geometry has at most ``most`` positions (``trusted``: as above)."""
    if isinstance(instance, dict):
        coords = instance.get("coordinates")
        count = _trusted_count(coords) if trusted else _count_positions(coords)
        if count > most:
            return f"has {count} vertices; at most {most} are allowed"
    return None


_CUSTOM = {"x-ring": _ring_problem, "x-max-vertices": _vertices_problem}


def _validator_class() -> type:
    import jsonschema
    from jsonschema.exceptions import ValidationError

    def keyword(problem: Any) -> Any:
        def validate(_validator: Any, value: Any, instance: Any, _schema: Any) -> Iterator[Any]:
            message = problem(value, instance)
            if message is not None:
                yield ValidationError(message)

        return validate

    checker = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine_many(
        {"number": _is_number, "integer": _is_integer}
    )
    return jsonschema.validators.extend(
        jsonschema.Draft202012Validator,
        validators={name: keyword(problem) for name, problem in _CUSTOM.items()},
        type_checker=checker,
    )


@cache
def _registry() -> Registry:
    from referencing import Registry, Resource

    return Registry().with_resources((uri, Resource.from_contents(load(uri))) for uri in _FILES)


@cache
def _validator(schema_json: str) -> Any:
    return _validator_class()(json.loads(schema_json), registry=_registry())


def _compiled_keyword(problem: Any) -> type:
    """A ``jsonschema_rs`` custom keyword raising what ``problem`` finds."""

    class Keyword:
        def __init__(self, _parent: Any, value: Any, _path: Any) -> None:
            self.value = value

        def validate(self, instance: Any) -> None:
            message = problem(self.value, instance, trusted=True)
            if message is not None:
                raise ValueError(message)

    return Keyword


@cache
def _compiled(schema_json: str) -> Any:
    registry = jsonschema_rs.Registry(
        [(uri, load(uri)) for uri in _FILES], draft=jsonschema_rs.Draft202012
    )
    keywords = {name: _compiled_keyword(problem) for name, problem in _CUSTOM.items()}
    return jsonschema_rs.validator_for(
        json.loads(schema_json), registry=registry, keywords=keywords
    )


# --- readable messages ----------------------------------------------------------------------------


_REPR = reprlib.Repr()  # attributes, not keywords: Python 3.11
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict = 3, 6, 6
_REPR.maxstring = _REPR.maxother = _REPR_MAX


def short(value: Any, most: int = _REPR_MAX) -> str:
    """``repr(value)``, cut to about ``most`` characters without building the whole repr (a
    nested or shared structure stays cheap to show)."""
    if isinstance(value, str):
        if len(value) > most:
            return repr(value[: most - 10]) + f" … ({len(value):,} characters)"
        return repr(value)
    return _REPR.repr(value)


def _where(path: Iterable[Any]) -> str:
    """``citations[0].quote`` for a path; a feature's ``properties.`` is left out."""
    parts = list(path)
    if parts[:1] == ["properties"] and (len(parts) > 1 or not parts):
        parts = parts[1:]
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_TYPE_WORDS = {"string": "a string", "array": "a list", "object": "a mapping", "null": "null"}
_TYPE_WORDS |= {"boolean": "true or false", "integer": "an integer", "number": "a finite number"}
_USE_EXPECTED = {"type", "anyOf", "oneOf", "pattern", "minimum", "maximum", "exclusiveMinimum"}
_USE_EXPECTED |= {"exclusiveMaximum", "enum", "const", "not", "minItems", "maxItems"}


def _expected(error: ValidationError) -> str:
    kind, want = error.validator, error.validator_value
    if kind == "type":
        words = [_TYPE_WORDS[t] for t in ([want] if isinstance(want, str) else want)]
        return " or ".join(words)
    if kind == "enum":
        return f"one of {list(want)}"
    if kind == "const":
        return repr(want)
    if kind == "pattern":
        return f"text matching {want}"
    simple = {
        "minimum": f"at least {want}",
        "maximum": f"at most {want}",
        "exclusiveMinimum": f"more than {want}",
        "exclusiveMaximum": f"less than {want}",
        "minItems": f"at least {want} item(s)",
        "maxItems": f"at most {want} item(s)",
        "minLength": f"at least {want} character(s)",
        "maxLength": f"at most {want} character(s)",
    }
    return simple.get(kind, error.message)


def describe(error: ValidationError) -> str:
    """One line for a validation error: where, the bad value (``!r``), and what is expected."""
    where = _where(error.absolute_path)
    if where == "properties" and error.validator in ("required", "additionalProperties"):
        where = ""
    schema = error.schema if isinstance(error.schema, dict) else {}
    at = f"{where}: " if where else ""
    if error.validator == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        if len(missing) == 1:
            return f"{at}property {missing[0]!r} is missing"
        return f"{at}properties {missing} are missing"
    if error.validator == "additionalProperties":
        known = sorted(schema.get("properties", {}))
        extra = sorted(map(str, set(error.instance) - set(known)))
        keys = f"key {extra[0]!r}" if len(extra) == 1 else f"keys {extra}"
        return f"{at}unknown {keys}; expected one of {known}"
    if "x-message" in schema:
        return schema["x-message"].format(value=short(error.instance))
    if error.validator in ("x-ring", "x-max-vertices"):
        return f"{where or 'value'} {error.message}"
    expected = schema.get("x-expected") if error.validator in _USE_EXPECTED else None
    expected = expected or _expected(error)
    return f"{where or 'value'} is {short(error.instance)}; expected {expected}"


_FEATURE = json.dumps({"$ref": f"{LAYER}#/$defs/feature"})


def _schema_json(schema: dict[str, Any] | None) -> str:
    return json.dumps(schema, sort_keys=True) if schema else _FEATURE


def is_valid(instance: Any, schema: dict[str, Any] | None = None) -> bool:
    """Whether ``instance`` has no problem against ``schema`` (default: a layer feature).

    The compiled validator answers; anything it cannot take (a value JSON cannot hold, a
    lone surrogate) counts as "not known valid", so :func:`check` looks at it slowly.
    """
    try:
        return bool(_compiled(_schema_json(schema)).is_valid(instance))
    except Exception:  # not known valid: the slow path says why
        return False


def check(instance: Any, schema: dict[str, Any] | None = None) -> list[str]:
    """Every problem of ``instance`` against ``schema`` (default: a layer feature), one line each.

    Only the first problem at each place is kept (a string where a number should be is one
    problem, not one per rule it breaks). A valid instance is known valid fast
    (:func:`is_valid`); the lines come from :func:`check_slow`.
    """
    if is_valid(instance, schema):
        return []
    return check_slow(instance, schema)


def check_slow(instance: Any, schema: dict[str, Any] | None = None) -> list[str]:
    """:func:`check` with the ``jsonschema`` library alone: what the lines are made from."""
    validator = _validator(_schema_json(schema))
    seen: dict[tuple, str] = {}
    try:
        for error in validator.iter_errors(instance):
            key = tuple(map(str, error.absolute_path))
            if error.validator in ("required", "additionalProperties"):
                key += (error.validator,)  # one line for all missing (or unknown) keys
            seen.setdefault(key, describe(error))
    except RecursionError:
        return ["is nested too deeply to check"]
    return list(seen.values())


# --- what the rest of the package derives from the schema ----------------------------------------


def vocabulary(name: str) -> tuple[str, ...]:
    """The ordered values of a vocabulary (``group``, ``status``, ``location_basis``,
    ``category``, ``doc``): enum order is display order."""
    return tuple(load(LAYER)["$defs"][name]["enum"])


def _properties() -> dict[str, Any]:
    return load(LAYER)["$defs"]["properties"]["properties"]


def property_order() -> tuple[str, ...]:
    """The feature properties in the order they are written, so a rebuild is byte-identical."""
    return tuple(_properties())


def list_properties() -> tuple[str, ...]:
    """The feature properties that hold lists (``aliases``, ``citations``, ``facts`` …)."""
    return tuple(k for k, spec in _properties().items() if spec.get("type") == "array")


def csv_derived() -> dict[str, str]:
    """The CSV columns that are not feature properties, with what each holds."""
    return dict(load(LAYER)["x-csv-derived"])


def required_properties() -> tuple[str, ...]:
    return tuple(load(LAYER)["$defs"]["properties"]["required"])


def python_types() -> dict[str, tuple[type, ...]]:
    """Each property's allowed Python types (``None`` for JSON null), from its JSON type."""
    defs = load(LAYER)["$defs"]
    out = {}
    for key, spec in _properties().items():
        spec = defs[spec["$ref"].rsplit("/", 1)[1]] if "$ref" in spec else spec
        kinds = spec.get("type", "string" if "enum" in spec else ["string", "null"])
        names = [kinds] if isinstance(kinds, str) else kinds
        out[key] = tuple(t for k in names for t in (_PYTHON[k] if k == "number" else (_PYTHON[k],)))
    return out


def limits() -> dict[str, int]:
    """Size limits: bytes per layer file, vertices per feature, nesting depth."""
    return {
        **load(LAYER)["x-limits"],
        "max_vertices": load(LAYER)["$defs"]["geometry"]["x-max-vertices"],
    }


def register_limits() -> dict[str, int]:
    """Size limits of the register: bytes, YAML aliases, entries."""
    return dict(load(REGISTER)["x-limits"])


def register_keys() -> tuple[str, ...]:
    """Every key an entry of the register may have, required ones first."""
    return tuple(load(REGISTER)["properties"])


def csv_columns() -> tuple[str, ...]:
    """The CSV export's columns: properties, plus ``lon``/``lat``/``wkt`` made from geometry."""
    return tuple(load(LAYER)["x-csv"])


def recipe_schema(params: dict[str, tuple[str, bool]]) -> dict[str, Any]:
    """The schema of a register ``geometry`` mapping whose recipe takes ``params``
    (name → (parameter type of ``register.schema.json#/$defs/param``, required))."""
    props: dict[str, Any] = {"recipe": {"type": "string"}}
    for name, (kind, _) in params.items():
        props[name] = {"$ref": f"{REGISTER}#/$defs/param/{kind}"}
    required = ["recipe", *(n for n, (_, needed) in params.items() if needed)]
    return {
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": False,
    }


def ui_problems() -> list[str]:
    """Vocabulary values without their UI string: what the app, export and publish would fail
    to show. Strings come from ``geodata/i18n.json`` (``hedong_geo.i18n``); group labels from
    ``geodata/styles.json``."""
    from hedong_geo import i18n, styles

    problems = []
    table = i18n.strings()
    for vocab, prefix in load(LAYER)["x-ui"].items():
        for value in vocabulary(vocab):
            entry = table.get(prefix + value)
            if not isinstance(entry, dict) or not all(entry.get(lang) for lang in i18n.LANGS):
                problems.append(
                    f"{vocab} {value!r} has no UI string {prefix + value!r} in zh and en"
                )
    groups = styles.load_styles().get("groups", {})
    for value in vocabulary("group"):
        label = groups.get(value, {}).get("label", {})
        if not all(label.get(lang) for lang in i18n.LANGS):
            problems.append(f"group {value!r} has no label in zh and en in geodata/styles.json")
    return problems


def _type_words(spec: dict[str, Any]) -> str:
    defs = load(LAYER)["$defs"]
    if "x-type" in spec:
        return spec["x-type"]
    if "$ref" in spec:
        name = spec["$ref"].rsplit("/", 1)[1]
        target = defs[name]
        if "enum" in target:
            return " · ".join(f"`{v}`" for v in target["enum"])
        return _type_words(target)
    if "anyOf" in spec:
        return " or ".join(_type_words(s) for s in spec["anyOf"])
    kinds = spec.get("type")
    if kinds == "array":
        return "list of strings"
    kinds = [kinds] if isinstance(kinds, str) else kinds
    return " or ".join(k if k != "null" else "null" for k in kinds)


def render_docs() -> str:
    """``docs/layers.md``, generated from the schema and ``hedong_geo/schema/layers.md.tmpl``."""
    layer = load(LAYER)
    rows = [
        f"| `{key}` | {_type_words(spec)} | {spec.get('description', '')} |"
        for key, spec in _properties().items()
    ]
    basis = layer["$defs"]["location_basis"]
    bases = [
        textwrap.fill(f"- `{b}`: {basis['x-descriptions'][b]}", 100, subsequent_indent="  ")
        for b in basis["enum"]
    ]
    conf = layer["$defs"]["street_confidence"]
    street_rules = [
        textwrap.fill(f"- `{c}`: {conf['x-descriptions'][c]}", 100, subsequent_indent="  ")
        for c in conf["enum"]
    ]
    cats = textwrap.fill(", ".join(f"`{c}`" for c in vocabulary("category")) + ".", 100)
    stances = textwrap.fill(", ".join(f"`{s}`" for s in vocabulary("stance")) + ".", 100)
    units = layer["$defs"]["fact_kind"]["x-units"]
    kinds = [f"- `{k}`: {units[k] or 'named by the fact (firms, towers …)'}" for k in units]
    lim = limits()
    template = (resources.files("hedong_geo") / "schema" / "layers.md.tmpl").read_text("utf-8")
    return Template(template).substitute(
        properties="\n".join(rows),
        bases="\n".join(bases),
        street_rules="\n".join(street_rules),
        categories=cats,
        stances=stances,
        csv_columns="\n".join(
            f"- `{c}`" + (f": {csv_derived()[c]}" if c in csv_derived() else "")
            for c in csv_columns()
        ),
        fact_kinds="\n".join(kinds),
        max_vertices=f"{lim['max_vertices']:,}",
        max_file_bytes=f"{lim['max_file_bytes'] / 1e6:g} MB",
    )
