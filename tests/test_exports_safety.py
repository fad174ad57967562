"""Nothing a user gave is lost: exports and publish refuse to replace what is not theirs, never
write inside the project's layers/ or geodata/, never name a file for another format; CSV cells
that a spreadsheet would run as formulas are written as text. Real files in tmp_path."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

from hedong_geo import _io, paths
from hedong_geo._errors import WriteError
from hedong_geo.cli import main
from hedong_geo.exports import export_data, export_to, publish_site
from hedong_geo.exports.data import FORMULA_STARTS, neutralise
from hedong_geo.exports.site import SITE_MARKER
from hedong_geo.layers import load_layers


@pytest.fixture(scope="module")
def small():
    return load_layers(Path(__file__).parent / "data" / "layers_small")


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with a hash of its bytes."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    """A stand-in project: layers/ and geodata/features.yaml, guarded like the real ones."""
    root = tmp_path / "project"
    (root / "layers").mkdir(parents=True)
    (root / "layers" / "renewal.geojson").write_text('{"type": "FeatureCollection"}\n')
    (root / "geodata").mkdir()
    (root / "geodata" / "features.yaml").write_text("features: []\n", encoding="utf-8")
    monkeypatch.setattr(_io, "PROTECTED", (root / "layers", root / "geodata"))
    return root


def test_the_real_project_folders_are_guarded():
    assert _io.PROTECTED == (paths.LAYERS, paths.GEODATA)


# --- publish ------------------------------------------------------------------------------------


def test_a_folder_of_documents_survives_a_refused_publish(small, tmp_path, capsys):
    docs = tmp_path / "documents"
    (docs / "sub").mkdir(parents=True)
    (docs / "report.docx").write_bytes(b"\x50\x4b\x03\x04 not really a docx")
    (docs / "sub" / "notes.txt").write_text("mine", encoding="utf-8")
    before = _snapshot(docs)
    with pytest.raises(WriteError, match=r"holds files hedong-geo did not write \(report\.docx"):
        publish_site(small, docs)
    assert (
        main(
            [
                "publish",
                str(docs),
                "--layers-dir",
                str(Path(__file__).parent / "data" / "layers_small"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "refusing to write into" in err and "--force" in err
    assert _snapshot(docs) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["documents"]  # no temporary left


def test_publish_into_new_empty_and_own_folders(small, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    publish_site(small, empty)
    assert (empty / "index.html").is_file() and (empty / SITE_MARKER).is_file()
    publish_site(small, empty, lang="en")  # its own site: replaced
    assert '<html lang="en">' in (empty / "index.html").read_text(encoding="utf-8")
    publish_site(small, tmp_path / "new")
    assert (tmp_path / "new" / "index.html").is_file()


def test_a_file_added_to_a_published_site_is_kept(small, tmp_path):
    site = publish_site(small, tmp_path / "site")
    (site / "CNAME").write_text("maps.example.org\n")
    with pytest.raises(WriteError, match=r"did not write \(CNAME\)"):
        publish_site(small, site)
    assert (site / "CNAME").read_text() == "maps.example.org\n"
    publish_site(small, site, force=True)  # asked: replaced, CNAME with it
    assert not (site / "CNAME").exists()


def test_a_marker_that_does_not_list_the_files_is_not_trusted(small, tmp_path):
    folder = tmp_path / "fake"
    folder.mkdir()
    (folder / SITE_MARKER).write_text("not json")
    (folder / "thesis.pdf").write_bytes(b"%PDF")
    with pytest.raises(WriteError, match=r"thesis\.pdf"):
        publish_site(small, folder)
    assert (folder / "thesis.pdf").read_bytes() == b"%PDF"


def test_publish_never_replaces_the_project_folders(small, project):
    before = _snapshot(project)
    for target in (project / "layers", project / "geodata", project, project / "layers" / "site"):
        with pytest.raises(WriteError, match="refusing to write"):
            publish_site(small, target, force=True)
    assert _snapshot(project) == before


# --- export -------------------------------------------------------------------------------------


def test_export_refuses_an_existing_file_unless_asked(small, tmp_path, capsys):
    out = tmp_path / "mine.csv"
    out.write_text("precious", encoding="utf-8")
    with pytest.raises(WriteError, match=r"exists; refusing to replace it.*overwrite=True"):
        export_to(small, out, "csv")
    argv = ["export", "--layers-dir", str(Path(__file__).parent / "data" / "layers_small")]
    argv += ["--format", "csv", "--out", str(out)]
    assert main(argv) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "precious"
    assert main([*argv, "--overwrite"]) == 0
    assert out.read_text(encoding="utf-8-sig").startswith("id,name_zh")
    assert [p.name for p in tmp_path.iterdir()] == ["mine.csv"]


@pytest.mark.parametrize("fmt", ["png", "html", "geojson"])
def test_every_format_refuses_to_overwrite(small, tmp_path, fmt):
    out = tmp_path / f"mine.{fmt}"
    out.write_bytes(b"precious")
    with pytest.raises(WriteError, match="refusing to replace"):
        export_to(small, out, fmt, **({"dpi": 30} if fmt == "png" else {}))
    assert out.read_bytes() == b"precious"


@pytest.mark.parametrize(
    ("fmt", "name"),
    [
        ("csv", "x.geojson"),
        ("geojson", "x.csv"),
        ("csv", "features.yaml"),
        ("png", "x"),
        ("gpkg", "x.GPKG.txt"),
    ],
)
def test_a_name_for_another_format_is_refused(small, tmp_path, fmt, name):
    with pytest.raises(WriteError, match=r"name it \*\."):
        export_to(small, tmp_path / name, fmt, overwrite=True)
    assert list(tmp_path.iterdir()) == []


def test_cli_format_and_name_must_agree(tmp_path, capsys):
    small_dir = str(Path(__file__).parent / "data" / "layers_small")
    out = tmp_path / "x.geojson"
    assert main(["export", "--layers-dir", small_dir, "--format", "csv", "--out", str(out)]) == 2
    assert "is named '.geojson'; name it *.csv" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_the_register_and_layers_are_never_written(small, project):
    before = _snapshot(project)
    register = project / "geodata" / "features.yaml"
    for out, fmt in (
        (register, "csv"),  # the case: the register overwritten with CSV
        (project / "geodata" / "features.csv", "csv"),
        (project / "layers" / "renewal.geojson", "geojson"),
        (project / "layers" / "new.gpkg", "gpkg"),
    ):
        with pytest.raises(WriteError):
            export_to(small, out, fmt, overwrite=True)
    assert _snapshot(project) == before


def test_an_existing_geopackage_keeps_its_other_tables(small, tmp_path):
    out = tmp_path / "work.gpkg"
    mine = gpd.GeoDataFrame(
        {"name": ["my survey point"]}, geometry=[shapely.Point(117.2, 39.1)], crs="EPSG:4326"
    )
    pyogrio.write_dataframe(mine, out, layer="survey", driver="GPKG")
    before = out.read_bytes()
    with pytest.raises(WriteError, match="refusing to replace"):
        export_data(small, out, "gpkg")
    assert out.read_bytes() == before
    export_data(small, out, "gpkg", layers=["renewal"], overwrite=True)
    names = set(pyogrio.list_layers(out)[:, 0])
    assert names == {"survey", "renewal"}
    assert pyogrio.read_dataframe(out, layer="survey")["name"].tolist() == ["my survey point"]
    export_data(small, out, "gpkg", layers=["renewal"], overwrite=True)  # replaced, not doubled
    assert len(pyogrio.read_dataframe(out, layer="renewal")) == 2


# --- CSV formulas -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
)
def test_formula_cells_are_text(text):
    assert neutralise(text) == "'" + text
    assert text.startswith(FORMULA_STARTS)


@pytest.mark.parametrize("value", ["天津站", "a=b", "", 117.2, -3.5, None])
def test_other_cells_are_unchanged(value):
    assert neutralise(value) == value


def test_csv_written_with_formula_names_neutralised(small, tmp_path):
    frame = small.features().copy()
    frame.loc[0, "name_en"] = '=HYPERLINK("http://evil.example","x")'
    frame.loc[1, "name_zh"] = "@SUM(1+1)"
    frame.loc[2, "name_en"] = "-1+2"
    out = export_data(frame, tmp_path / "sel.csv", "csv")
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["name_en"] == '\'=HYPERLINK("http://evil.example","x")'
    assert rows[1]["name_zh"] == "'@SUM(1+1)"
    assert rows[2]["name_en"] == "'-1+2"
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(FORMULA_STARTS), cell
    assert float(rows[3]["lon"]) > 117  # numbers stay numbers
