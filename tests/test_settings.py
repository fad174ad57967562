"""hedong_geo.settings: every environment variable read in one place, checked and documented."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from hedong_geo import paths, settings
from hedong_geo.settings import Settings, SettingsError, from_environ

ROOT = Path(__file__).resolve().parent.parent


def test_docs_show_the_declared_table() -> None:
    doc = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert settings.markdown_table() in doc, "regenerate the table: settings.markdown_table()"
    assert {f.name for f in dataclasses.fields(Settings)} == {v.field for v in settings.VARIABLES}


def test_no_other_module_reads_the_environment() -> None:
    reads = re.compile(r"os\.environ|getenv\(")
    sources = [*sorted((ROOT / "hedong_geo").rglob("*.py")), ROOT / "app.py"]
    offenders = [
        str(p.relative_to(ROOT))
        for p in sources
        if p.name != "settings.py" and reads.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_defaults() -> None:
    s = from_environ({})
    assert s.layers_dir == paths.LAYERS
    assert (s.tianditu_key, s.basemaps) == ("", ("osm", "gaode"))
    assert (s.require_browser, s.require_gdal) == (False, False)
    # An empty value is unset (tests pass HEDONG_GEO_LAYERS_DIR="" for "the default").
    assert from_environ({"HEDONG_GEO_LAYERS_DIR": ""}).layers_dir == paths.LAYERS


def test_values_are_parsed(tmp_path: Path) -> None:
    s = from_environ(
        {
            "HEDONG_GEO_LAYERS_DIR": str(tmp_path),
            "TIANDITU_KEY": " legacy ",
            "HEDONG_GEO_REQUIRE_BROWSER": "1",
            "HEDONG_GEO_REQUIRE_GDAL": "no",
        }
    )
    assert s.layers_dir == tmp_path
    assert s.tianditu_key == "legacy" and s.basemaps == ("osm", "gaode", "tianditu")
    assert (s.require_browser, s.require_gdal) == (True, False)
    s = from_environ({"HEDONG_GEO_TIANDITU_KEY": "new", "TIANDITU_KEY": "old"})
    assert s.tianditu_key == "new"
    assert from_environ({"HEDONG_GEO_BASEMAPS": "none"}).basemaps == ()
    assert from_environ({"HEDONG_GEO_BASEMAPS": " gaode , osm,gaode"}).basemaps == (
        "gaode",
        "osm",
    )


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"HEDONG_GEO_REQUIRE_GDAL": "maybe"}, "HEDONG_GEO_REQUIRE_GDAL='maybe'"),
        ({"HEDONG_GEO_BASEMAPS": "osm,google"}, r"unknown basemap\(s\) \['google'\]"),
        ({"HEDONG_GEO_BASEMAPS": "tianditu"}, "tianditu needs HEDONG_GEO_TIANDITU_KEY"),
    ],
)
def test_bad_values_are_errors_naming_the_variable(environ: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        from_environ(environ)


def test_a_misspelt_variable_is_reported() -> None:
    with pytest.warns(UserWarning, match="HEDONG_GEO_LAYER_DIR is not a hedong-geo setting"):
        from_environ({"HEDONG_GEO_LAYER_DIR": "/x"})


def test_get_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HEDONG_GEO_LAYERS_DIR", raising=False)
    first = settings.get()
    assert settings.get() is first  # parsed once
    monkeypatch.setenv("HEDONG_GEO_LAYERS_DIR", str(tmp_path))
    assert settings.get().layers_dir == tmp_path


def test_the_command_line_reports_a_bad_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from hedong_geo.cli import main

    monkeypatch.setenv("HEDONG_GEO_BASEMAPS", "google")
    assert main(["validate"]) == 2
    assert "HEDONG_GEO_BASEMAPS='google'" in capsys.readouterr().err


def test_the_build_cache_follows_xdg_unless_set(tmp_path: Path, monkeypatch) -> None:
    home = Path("~").expanduser()
    assert from_environ({}).build_cache == home / ".cache" / "hedong-geo"
    assert from_environ({"XDG_CACHE_HOME": str(tmp_path)}).build_cache == tmp_path / "hedong-geo"
    mine = {"XDG_CACHE_HOME": str(tmp_path), "HEDONG_GEO_CACHE": str(tmp_path / "b")}
    assert from_environ(mine).build_cache == tmp_path / "b"
    # geodata builds read it through the settings, which see a changed XDG_CACHE_HOME.
    from geodata._build import cache_dir

    monkeypatch.delenv("HEDONG_GEO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert cache_dir() == tmp_path / "x" / "hedong-geo"
