"""The fast path of reading layers (compiled validator, geometries built per type) reports the
same problems and loads the same frames as the slow path (jsonschema and shape() per feature)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hedong_geo import schema
from hedong_geo.layers import load_layers

ROOT = Path(__file__).resolve().parent.parent
BAD = ROOT / "tests" / "data" / "bad"
CASES = json.loads((BAD / "cases.json").read_text(encoding="utf-8"))
FILES = sorted(name for name, case in CASES["layers"].items() if "make" not in case)


def _both(folder: Path, monkeypatch: pytest.MonkeyPatch):
    fast = load_layers(folder)
    with monkeypatch.context() as patch:
        patch.setattr(schema, "is_valid", lambda *_args, **_kw: False)  # everything slow
        slow = load_layers(folder)
    return fast, slow


def _same(fast, slow) -> None:
    assert [str(p) for p in fast.problems] == [str(p) for p in slow.problems]
    assert sorted(fast.layers) == sorted(slow.layers)
    for name, frame in fast.layers.items():
        other = slow.layers[name]
        assert frame.drop(columns="geometry").equals(other.drop(columns="geometry")), name
        assert [g.wkb if g is not None else None for g in frame.geometry] == [
            g.wkb if g is not None else None for g in other.geometry
        ], name


@pytest.mark.parametrize("name", FILES)
def test_a_broken_layer_reports_the_same_problems_fast_and_slow(name, tmp_path, monkeypatch):
    shutil.copyfile(BAD / "layers" / name, tmp_path / name)
    fast, slow = _both(tmp_path, monkeypatch)
    assert fast.problems, f"{name}: no problem found"
    _same(fast, slow)


def test_the_real_layers_load_the_same_fast_and_slow(monkeypatch):
    _same(*_both(ROOT / "layers", monkeypatch))


def test_the_compiled_validator_accepts_only_what_the_slow_one_accepts():
    features = []
    for name in FILES:
        try:
            data = json.loads((BAD / "layers" / name).read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(data, dict) and isinstance(data.get("features"), list):
            features += data["features"]
    good = json.loads((ROOT / "layers" / "context.geojson").read_text("utf-8"))["features"]
    features += good
    assert len(features) > 50
    for feature in features:
        # Known valid fast only when the slow path finds nothing (the compiled validator may
        # be stricter, e.g. "$" before a final newline: the slow path then has the last word).
        assert not schema.is_valid(feature) or schema.check_slow(feature) == [], feature
        assert schema.check(feature) == schema.check_slow(feature)


def _variants() -> list[dict]:
    """Features broken in the ways the custom keywords and number types judge."""
    base = json.loads((ROOT / "layers" / "context.geojson").read_text("utf-8"))["features"]
    polygon = next(f for f in base if f["geometry"] and f["geometry"]["type"] == "Polygon")
    out = []

    def variant(change) -> None:
        feature = json.loads(json.dumps(polygon))
        change(feature, feature["geometry"]["coordinates"][0])
        out.append(feature)

    variant(lambda f, ring: ring.reverse())  # wound the wrong way
    variant(lambda f, ring: ring.pop())  # not closed
    variant(lambda f, ring: ring.__setitem__(1, [ring[1][0], float("nan")]))
    variant(lambda f, ring: ring.__setitem__(1, [ring[1][0], True]))
    variant(lambda f, ring: ring.__setitem__(1, [*ring[1], 5.0]))  # 2-D and 3-D mixed
    variant(lambda f, ring: f["geometry"].__setitem__("coordinates", [[[117.2, 39.1]] * 4]))
    variant(lambda f, ring: f["properties"].__setitem__("accuracy_m", float("inf")))
    variant(lambda f, ring: f["properties"].__setitem__("id", "bad\n"))
    line = [[117.25 + i * 1e-6, 39.11] for i in range(schema.limits()["max_vertices"] + 1)]
    variant(lambda f, ring: f.__setitem__("geometry", {"type": "LineString", "coordinates": line}))
    return out


def test_rings_numbers_and_vertex_limits_are_judged_alike_fast_and_slow():
    for feature in _variants():
        # Known valid fast only when the slow path finds nothing (the compiled validator may
        # be stricter, e.g. "$" before a final newline: the slow path then has the last word).
        assert not schema.is_valid(feature) or schema.check_slow(feature) == [], feature
        assert schema.check(feature) == schema.check_slow(feature)
