"""Issue 9's "silent wrong results", one test each: every one is now a clear error.

- ``aliases: 金贸产业园`` (a string) became five one-character aliases;
- ``cross_district: 'no'`` read as true;
- ``accuracy_m: true`` passed as ± 1 m;
- a duplicated YAML key silently won;
- GCJ-02 coordinates labelled WGS84 (≈ 550 m off) went unnoticed.

Each is checked where it entered: the register (``load_register``) and, where the value can
also stand in a layer file, the layer reader (the feature is left out and named).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hedong_geo._errors import LayerError
from hedong_geo._validate import validate_layers
from hedong_geo.layers import load_layers
from hedong_geo.register import load_register

ROOT = Path(__file__).resolve().parent.parent
BAD = Path(__file__).parent / "data" / "bad"


def register_error(name: str) -> str:
    with pytest.raises(LayerError) as caught:
        load_register(BAD / "register" / name)
    return str(caught.value)


def layer_problems(name: str, tmp_path: Path) -> tuple[list[str], int]:
    """The problems of one corpus layer file read alone, and how many of its features loaded."""
    shutil.copyfile(BAD / "layers" / name, tmp_path / name)
    layers = load_layers(tmp_path)
    return [str(p) for p in layers.problems], len(layers.layers[Path(name).stem])


def test_aliases_given_as_a_string_are_an_error(tmp_path: Path) -> None:
    text = register_error("aliases_string.yaml")
    assert "aliases is '金贸产业园'; expected a list of strings" in text
    problems, loaded = layer_problems("aliases_string.geojson", tmp_path)
    assert any("aliases is '金贸产业园'" in p for p in problems) and loaded == 0


def test_cross_district_no_as_text_is_an_error(tmp_path: Path) -> None:
    assert "cross_district is 'no'; expected true or false" in register_error(
        "cross_district_no.yaml"
    )
    problems, loaded = layer_problems("cross_district_no.geojson", tmp_path)
    assert any("cross_district is 'no'" in p for p in problems) and loaded == 0


def test_accuracy_true_is_an_error(tmp_path: Path) -> None:
    assert "accuracy_m is True; expected a number of metres > 0" in register_error(
        "accuracy_bool.yaml"
    )
    problems, loaded = layer_problems("accuracy_is_bool.geojson", tmp_path)
    assert any("accuracy_m is True" in p for p in problems) and loaded == 0


def test_a_duplicated_yaml_key_is_an_error() -> None:
    assert "line 9: duplicate key 'layer'" in register_error("duplicate_key.yaml")


def test_gcj02_labelled_wgs84_is_flagged(tmp_path: Path) -> None:
    from hedong_geo.transform import wgs84_to_gcj02

    layers = tmp_path / "layers"
    shutil.copytree(ROOT / "layers", layers)
    path = layers / "riverside.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))

    def shift(coords):
        if isinstance(coords[0], int | float):
            return list(wgs84_to_gcj02(coords[0], coords[1]))
        return [shift(c) for c in coords]

    for feature in data["features"]:
        if feature["geometry"]:
            feature["geometry"]["coordinates"] = shift(feature["geometry"]["coordinates"])
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    found = [str(p) for p in validate_layers(layers) if "labelled as WGS84" in str(p)]
    assert found and all(m.startswith("riverside.geojson") for m in found), found
    assert "looks like GCJ-02 labelled as WGS84" in found[0]
