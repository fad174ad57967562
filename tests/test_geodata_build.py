"""geodata/_build.py, what every build script under geodata/ shares: its errors, the pinned
packages, the text of the outputs and the command line (``--check`` and the exit status).

The builds themselves are proved in tests/test_context.py, test_basemap.py and
test_places_build.py (the committed files equal a fresh build); these tests need no source
package, so they run everywhere.
"""

from __future__ import annotations

import csv
import importlib
import importlib.metadata
import importlib.util
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import load_build_script
from shapely.geometry import Point

from hedong_geo._errors import WriteError
from hedong_geo.paths import GEODATA, REFERENCE_DIR

SCRIPTS = ("build_context", "build_basemap", "build_places")


@pytest.fixture(scope="module")
def build_lib():
    """geodata/_build.py, imported as the scripts import it (one module, one set of errors)."""
    if str(GEODATA) not in sys.path:
        sys.path.insert(0, str(GEODATA))
    return importlib.import_module("_build")


def _fake_build(build_lib, texts: dict[str, str], fail: Exception | None = None):
    """A build(*folders) writing ``{name: text}`` into the first folder, or raising ``fail``."""

    def build(folder: Path, *others: Path) -> dict[str, Path]:
        if fail is not None:
            raise fail
        out = {name: (Path(folder) / name, text) for name, text in texts.items()}
        return build_lib.write_outputs(out)

    return build


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_script_uses_the_shared_errors_and_main(name, build_lib):
    script = load_build_script(name)
    shared = build_lib
    assert script.MissingPackage is shared.MissingPackage
    assert script.SourceError is shared.SourceError
    assert issubclass(shared.MissingPackage, shared.SourceError)
    assert callable(script.main)


@pytest.mark.parametrize("name", SCRIPTS)
def test_scripts_run_as_scripts(name):
    """Run from a checkout (not imported), a script finds _build and hedong_geo: --help works."""
    done = subprocess.run(
        [sys.executable, str(GEODATA / f"{name}.py"), "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "--check" in done.stdout and "DIR" in done.stdout


def test_check_passes_when_the_files_equal_their_rebuild(build_lib, tmp_path, capsys):
    build = _fake_build(build_lib, {"a.geojson": "{}\n", "README.md": "# a\n"})
    build(tmp_path)
    assert build_lib.run_script([str(tmp_path), "--check"], build, {"OUT_DIR": tmp_path}, "") == 0
    assert capsys.readouterr().err == ""


def test_check_names_every_file_that_differs_and_writes_nothing(build_lib, tmp_path, capsys):
    build = _fake_build(build_lib, {"a.geojson": "{}\n", "README.md": "# a\n", "b.geojson": "[]\n"})
    build(tmp_path)
    (tmp_path / "README.md").write_text("# edited by hand\n", encoding="utf-8")
    (tmp_path / "b.geojson").unlink()
    status = build_lib.run_script([str(tmp_path), "--check"], build, {"OUT_DIR": tmp_path}, "")
    err = capsys.readouterr().err
    assert status == 1
    assert f"{tmp_path / 'README.md'}: differs from its rebuild" in err
    assert f"{tmp_path / 'b.geojson'}: missing" in err
    assert "a.geojson" not in err
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == "# edited by hand\n"
    assert not (tmp_path / "b.geojson").exists()


def test_a_source_error_is_one_line_naming_the_file_and_nothing_is_written(
    build_lib, tmp_path, capsys
):
    fail = build_lib.SourceError("sizhi/sizhi.py: sha256 0000 differs from the recorded 1111")
    build = _fake_build(build_lib, {"a.geojson": "{}\n"}, fail=fail)
    out = tmp_path / "out"
    assert build_lib.run_script([str(out)], build, {"OUT_DIR": tmp_path}, "") == 1
    err = capsys.readouterr().err
    assert err == f"test_geodata_build.py: {fail}\n"
    assert not out.exists()


def test_a_failed_write_is_reported_naming_the_file(build_lib, tmp_path, capsys):
    fail = WriteError(f"cannot write {str(tmp_path / 'x.geojson')!r}: Permission denied")
    build = _fake_build(build_lib, {}, fail=fail)
    assert build_lib.run_script([], build, {"OUT_DIR": tmp_path}, "") == 1
    assert "x.geojson" in capsys.readouterr().err


def test_all_output_folders_or_none(build_lib, tmp_path, capsys):
    build = _fake_build(build_lib, {"a.geojson": "{}\n"})
    folders = {"OSM_DIR": tmp_path / "osm", "STREETS_DIR": tmp_path / "streets"}
    assert build_lib.run_script([str(tmp_path / "x")], build, folders, "") == 2
    assert "give all of OSM_DIR, STREETS_DIR or none" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    assert build_lib.run_script([], build, folders, "") == 0
    assert capsys.readouterr().out == f"{tmp_path / 'osm' / 'a.geojson'}\n"


def test_missing_package_names_the_install_command(build_lib):
    pins = {"no-such-dist": "1.0"}
    install = build_lib.install_command(pins)
    assert install == "pip install no-such-dist==1.0"
    with pytest.raises(build_lib.MissingPackage, match=r"no-such-dist is not installed; run: pip"):
        build_lib.package_dir("no_such_module", "no-such-dist", pins, install)


def test_a_package_at_another_version_is_refused(build_lib):
    pins = {"jinja2": "0.0.1"}
    with pytest.raises(build_lib.MissingPackage, match=r"jinja2 is version '.*'; .* '0\.0\.1'"):
        build_lib.package_dir("jinja2", "jinja2", pins, build_lib.install_command(pins))
    pins = {"jinja2": importlib.metadata.version("jinja2")}
    assert (build_lib.package_dir("jinja2", "jinja2", pins, "") / "__init__.py").is_file()


def test_collection_text_is_one_feature_a_line_and_refuses_nan(build_lib):
    head = {"type": "FeatureCollection", "name": "x"}
    features = [
        build_lib.feature({"name": "河东"}, Point(117.2, 39.1)),
        build_lib.feature({}, None),
    ]
    text = build_lib.dumps_collection(head, features)
    assert json.loads(text)["features"] == json.loads(json.dumps(features))
    lines = [json.dumps(f, ensure_ascii=False) for f in features]
    assert text.splitlines()[1:3] == [lines[0] + ",", lines[1]]
    assert "河东" in text and text.endswith("\n]}\n")
    with pytest.raises(ValueError):
        build_lib.dumps_collection(head, [build_lib.feature({"v": math.nan}, None)])


def test_markdown_table(build_lib):
    table = build_lib.markdown_table(["a", "b"], [[1, None]])
    assert table == "| a | b |\n| --- | --- |\n| 1 | None |"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{", "not JSON"),
        ('{"type": "Feature"}', "not a GeoJSON FeatureCollection"),
        (None, "cannot be read"),
    ],
)
def test_a_bad_input_file_is_named(build_lib, tmp_path, text, problem):
    path = tmp_path / "districts.geojson"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(build_lib.SourceError, match=rf"^{re.escape(str(path))}: {problem}"):
        build_lib.read_features(path)


def test_a_bad_number_in_points_csv_names_the_file_and_line(tmp_path, monkeypatch):
    builder = load_build_script("build_context")  # reading points.csv needs no package
    with open(REFERENCE_DIR / "points.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows[0]["lat_wgs84"] = "39.1N"
    with open(tmp_path / "points.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows[:2])
    monkeypatch.setattr(builder, "REFERENCE_DIR", tmp_path)
    with pytest.raises(builder.SourceError, match=r"points\.csv: line 2 .*lat_wgs84.*'39\.1N'"):
        builder.read_points()
