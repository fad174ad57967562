"""The bad-input corpus of tests/data/bad/: every case a clear error, none a crash.

Each layer file is read alone by ``load_layers``; each register file by ``load_register``.
``tests/data/bad/cases.json`` gives, per file, the words its problem must contain, the feature
the problem must name, and how many of its features must still load. Cases that cannot be
committed as files (too large, too deep, a folder, a symlink loop) are made here.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hedong_geo._errors import LayerError
from hedong_geo.layers import load_layers
from hedong_geo.register import load_register
from hedong_geo.schema import limits, register_limits

BAD = Path(__file__).parent / "data" / "bad"
CASES = json.loads((BAD / "cases.json").read_text(encoding="utf-8"))


def _make(kind: str, path: Path) -> None:
    """The cases made at test time."""
    if kind == "folder":
        path.mkdir()
    elif kind == "symlink_loop":
        path.symlink_to(path.name)
    elif kind == "too_large":
        most = limits()["max_file_bytes"] if path.suffix == ".geojson" else 0
        most = most or register_limits()["max_file_bytes"]
        with path.open("wb") as f:
            f.truncate(most + 1)
    elif kind == "deeply_nested":
        depth = 200_000
        path.write_text("[" * depth + "]" * depth, encoding="utf-8")
    elif kind == "too_many_vertices":
        good = json.loads((BAD / "layers" / "one_bad_among_good.geojson").read_text("utf-8"))
        feature = good["features"][0]
        feature["properties"]["layer"] = path.stem
        line = [[117.25 + i * 1e-6, 39.11] for i in range(limits()["max_vertices"] + 1)]
        feature["geometry"] = {"type": "LineString", "coordinates": line}
        good["features"] = [feature]
        path.write_text(json.dumps(good), encoding="utf-8")
    else:
        raise AssertionError(f"unknown kind of case {kind!r}")


def _place(kind: str, name: str, case: dict, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if "make" in case:
        _make(case["make"], path)
    else:
        shutil.copyfile(BAD / kind / name, path)
    return path


def test_the_corpus_is_large_enough_and_every_file_is_listed():
    assert len(CASES["layers"]) + len(CASES["register"]) >= 40
    for kind in ("layers", "register"):
        on_disk = {p.name for p in (BAD / kind).iterdir()}
        listed = {n for n, c in CASES[kind].items() if "make" not in c}
        assert on_disk == listed, kind


@pytest.mark.parametrize("name", sorted(CASES["layers"]))
def test_bad_layer_file(name, tmp_path):
    case = CASES["layers"][name]
    path = _place("layers", name, case, tmp_path / "layers")
    layers = load_layers(path.parent)  # never raises: a bad file is a problem, not a crash
    mine = [p for p in layers.problems if p.file == name]
    assert mine, f"no problem reported for {name}"
    text = "\n".join(map(str, mine))
    for words in case["expect"]:
        assert words in text, f"{name}: {words!r} not in\n{text}"
    if "feature" in case:
        assert any(p.feature == case["feature"] for p in mine), text
        assert f"{name}: feature {case['feature']!r}: " in text
    if "loads" in case:
        assert len(layers.layers[path.stem]) == case["loads"]
    assert all(len(str(p)) < 600 for p in mine), "a message should be short enough to read"


@pytest.mark.parametrize("name", sorted(CASES["register"]))
def test_bad_register_file(name, tmp_path):
    case = CASES["register"][name]
    path = _place("register", name, case, tmp_path)
    with pytest.raises(LayerError) as caught:
        load_register(path)
    text = str(caught.value)
    assert text.startswith(f"{name}: "), text
    for words in case["expect"]:
        assert words in text, f"{name}: {words!r} not in\n{text}"
    assert len(text) < 3000
