"""The bad-input corpus of tests/data/bad/: every case a clear error, none a crash.

Each layer file is read alone by ``load_layers``; each register file by ``load_register``.
``tests/data/bad/cases.json`` gives, per file, the words its problem must contain, the feature
the problem must name, and how many of its features must still load. Cases that cannot be
committed as files (too large, too deep, a folder, a symlink loop) are made here. CLI cases run
``python -m hedong_geo`` with bad arguments (exit status, words on stderr, never a traceback,
no file of the user changed); URL cases are parsed by ``urlstate.parse_state`` here and run
through the app in tests/test_robust_url.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from hedong_geo._errors import LayerError
from hedong_geo.layers import load_layers
from hedong_geo.register import load_register
from hedong_geo.schema import limits, register_limits
from hedong_geo.urlstate import parse_state

ROOT = Path(__file__).resolve().parent.parent

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
    assert sum(map(len, CASES.values())) >= 140
    assert len(CASES["cli"]) >= 25 and len(CASES["url"]) >= 16
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


# --- command line -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the CLI cases point at: a file, a symlink loop, an empty folder, a copy of the
    layers, a copy with one layer cut short, and an existing output file of the user's."""
    tmp = tmp_path_factory.mktemp("cli")
    (tmp / "a_file.txt").write_text("not a folder", encoding="utf-8")
    (tmp / "loop").symlink_to("loop")
    (tmp / "empty").mkdir()
    shutil.copytree(ROOT / "layers", tmp / "good")
    shutil.copytree(ROOT / "layers", tmp / "broken")
    shutil.copyfile(BAD / "cli" / "science_truncated.geojson", tmp / "broken" / "science.geojson")
    shutil.copyfile(BAD / "cli" / "existing_output.csv", tmp / "existing_output.csv")
    return tmp


def _tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (links not followed) with its content."""
    found = {}
    for base, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(base) / name
            found[str(path)] = b"" if path.is_symlink() else path.read_bytes()
    return found


@pytest.mark.parametrize("name", sorted(CASES["cli"]))
def test_bad_cli_call(name: str, workspace: Path, tmp_path: Path) -> None:
    case = CASES["cli"][name]
    out = tmp_path / "out"
    out.mkdir()
    args = [a.format(tmp=workspace, out=out) for a in case["args"]]
    before = _tree(workspace)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("HEDONG_GEO_LAYERS_DIR", None)
    done = subprocess.run(
        [sys.executable, "-m", "hedong_geo", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == case["status"], done.stderr
    for words in case["expect"]:
        assert words in done.stderr, f"{name}: {words!r} not in\n{done.stderr}"
    assert _tree(workspace) == before, "a file of the user's was changed"
    written = sorted(p.name for p in out.iterdir())
    assert written == ([case["writes"]] if "writes" in case else []), written


# --- URL query parameters -----------------------------------------------------------------------


def url_params(query: str) -> dict[str, list[str]]:
    """The query string as Streamlit reads it (``parse_qs``, bad UTF-8 as U+FFFD)."""
    return parse_qs(query, keep_blank_values=True)


@pytest.mark.parametrize("name", sorted(CASES["url"]))
def test_bad_url(name: str) -> None:
    from hedong_geo import plan
    from hedong_geo.layers import load_layers
    from hedong_geo.register import layer_titles

    case = CASES["url"][name]
    layers = load_layers(ROOT / "layers")
    state = parse_state(
        url_params(case["query"]),
        known_layers=tuple(layer_titles()),
        block_exists=plan.has_block,
        feature_exists=layers.has_feature,
    )
    assert [kind for kind, _ in state.problems] == case["problems"]
    for key, value in case["state"].items():
        got = getattr(state, key)
        assert (list(got) if isinstance(got, tuple) else got) == value, key
