"""The page and tile caches surveyed and pruned (hedong_geo.caches, ``hedong_geo cache``).

Real cache folders in a temporary directory: page entries written by ``pagecache.write_page``
(so their list of tile folders is the real one), tile folders with the markers their writers
put in them last, and last use set with ``os.utime``. The present is passed as ``now``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from hedong_geo import caches, pagecache
from hedong_geo.cli import main

DAY = 86400.0
NOW = time.time()
TILE_BASE = "/app/static/tiles"


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    pages, tiles = tmp_path / "pages", tmp_path / "tiles"
    monkeypatch.setenv("HEDONG_GEO_PAGE_CACHE", str(pages))
    monkeypatch.setenv("HEDONG_GEO_TILE_CACHE", str(tiles))
    pages.mkdir()
    tiles.mkdir()
    return pages, tiles


def _age(path: Path, days: float) -> Path:
    os.utime(path, (NOW - days * DAY, NOW - days * DAY))
    return path


def _page(key: str, days: float, tiles: tuple[str, ...] = ()) -> Path:
    urls = "".join(f'"{TILE_BASE}/{name}/{{z}}/{{x}}/{{y}}.pbf"' for name in tiles)
    pagecache.write_page(key, f"<html>{urls}</html>", TILE_BASE)
    return _age(pagecache._entry(key, None), days)


def _tiles(folder: Path, name: str, days: float, marker: str = caches.LAYER_TILES_MARKER) -> Path:
    (folder / name / "14").mkdir(parents=True)
    (folder / name / "14" / "1.pbf").write_bytes(b"x" * 1000)
    (folder / name / marker).write_text("{}", encoding="utf-8")
    _age(folder / name / marker, days)
    return folder / name


def _names(report: caches.CacheReport) -> list[str]:
    return sorted(e.path.name for e in report.removed)


def test_prune_removes_what_was_not_used_for_the_given_days(folders) -> None:
    pages, tiles = folders
    _page("aa", days=40)
    _page("bb", days=2, tiles=("parcels-old",))
    _tiles(tiles, "parcels-old", days=90)  # old, but the page kept above draws from it
    _tiles(tiles, "parcels-gone", days=45)
    _tiles(tiles, "parcels-new", days=1)
    _tiles(tiles, "basemap-1234", days=60, marker=caches.LOCAL_TILES_MARKER)

    reports = caches.prune(30, now=NOW)

    assert _names(reports["pages"]) == ["map-aa.json"]
    assert _names(reports["tiles"]) == ["basemap-1234", "parcels-gone"]
    assert sorted(p.name for p in pages.iterdir()) == ["map-bb.json"]
    assert sorted(p.name for p in tiles.iterdir()) == ["parcels-new", "parcels-old"]
    assert reports["tiles"].size(reports["tiles"].removed) >= 2000


def test_a_page_that_goes_no_longer_holds_its_tiles(folders) -> None:
    _, tiles = folders
    _page("aa", days=40, tiles=("parcels-old",))
    _tiles(tiles, "parcels-old", days=40)
    reports = caches.prune(30, now=NOW)
    assert _names(reports["pages"]) == ["map-aa.json"]
    assert _names(reports["tiles"]) == ["parcels-old"]
    assert not any(tiles.iterdir())


def test_dry_run_reports_the_same_and_removes_nothing(folders) -> None:
    pages, tiles = folders
    _page("aa", days=40)
    _tiles(tiles, "parcels-gone", days=45)
    before = sorted(p.name for p in [*pages.iterdir(), *tiles.iterdir()])

    reports = caches.prune(30, dry_run=True, now=NOW)

    assert _names(reports["pages"]) == ["map-aa.json"]
    assert _names(reports["tiles"]) == ["parcels-gone"]
    assert sorted(p.name for p in [*pages.iterdir(), *tiles.iterdir()]) == before


def test_what_hedong_geo_did_not_write_is_left_alone(folders, tmp_path: Path) -> None:
    pages, tiles = folders
    (pages / "notes.txt").write_text("mine", encoding="utf-8")
    _age(pages / "notes.txt", 400)
    (tiles / "my-tiles" / "14").mkdir(parents=True)  # no marker: not a folder we wrote
    _age(tiles / "my-tiles", 400)
    outside = tmp_path / "outside"
    _tiles(outside.parent, "outside", days=400)
    (tiles / "linked").symlink_to(outside)

    reports = caches.prune(0, now=NOW)

    assert reports["pages"].removed == [] and reports["tiles"].removed == []
    kinds = {e.path.name: e.kind for e in reports["pages"].entries + reports["tiles"].entries}
    assert kinds == {"notes.txt": "not ours", "my-tiles": "not ours", "linked": "not ours"}
    assert (outside / caches.LAYER_TILES_MARKER).is_file()


def test_half_written_leftovers_go_only_when_stale(folders) -> None:
    pages, tiles = folders
    _age(pages, 0)
    fresh = pages / ".map-aa.k2j3.json"
    stale = pages / ".map-bb.x9y8.json"
    for path, days in ((fresh, 0.1), (stale, 2)):
        path.write_text("{", encoding="utf-8")
        _age(path, days)
    for name, days in ((".unpack-fresh", 0.1), (".parcels-1.new-stale", 2)):
        (tiles / name).mkdir()
        _age(tiles / name, days)

    reports = caches.prune(0, now=NOW)  # even "everything" keeps a write that may be going on

    assert _names(reports["pages"]) == [stale.name]
    assert _names(reports["tiles"]) == [".parcels-1.new-stale"]
    assert fresh.is_file() and (tiles / ".unpack-fresh").is_dir()


def test_reading_a_page_marks_it_and_its_tiles_used(folders) -> None:
    _, tiles = folders
    entry = _page("aa", days=40, tiles=("parcels-old",))
    _tiles(tiles, "parcels-old", days=40)

    assert (
        pagecache.read_page("aa") == f'<html>"{TILE_BASE}/parcels-old/{{z}}/{{x}}/{{y}}.pbf"</html>'
    )

    assert entry.stat().st_mtime > NOW - DAY
    assert (tiles / "parcels-old" / caches.LAYER_TILES_MARKER).stat().st_mtime > NOW - DAY
    reports = caches.prune(30)
    assert reports["pages"].removed == [] and reports["tiles"].removed == []


def test_a_negative_age_is_refused() -> None:
    with pytest.raises(ValueError, match=r"older_than_days must be 0 or more; got -1"):
        caches.prune(-1)


def test_cli_lists_and_prunes(folders, capsys: pytest.CaptureFixture[str]) -> None:
    pages, tiles = folders
    _page("aa", days=40)
    _page("bb", days=1)
    _tiles(tiles, "parcels-gone", days=45)
    (pages / "notes.txt").write_text("mine", encoding="utf-8")

    assert main(["cache"]) == 0
    out = capsys.readouterr().out
    assert f"pages: {pages}: 2 entries" in out and "1 not written by hedong-geo" in out
    assert f"tiles: {tiles}: 1 entry" in out

    assert main(["cache", "prune", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would remove 1 entry" in out and "page: map-aa.json" in out
    assert "layer tiles: parcels-gone" in out
    assert (pages / "map-aa.json").is_file()

    assert main(["cache", "prune", "--older-than", "30"]) == 0
    assert "removed 1 entry" in capsys.readouterr().out
    assert not (pages / "map-aa.json").exists() and (pages / "map-bb.json").is_file()
    assert not (tiles / "parcels-gone").exists()


@pytest.mark.parametrize("days", ["-1", "soon", "nan"])
def test_cli_refuses_a_bad_age(days: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["cache", "prune", "--older-than", days])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert f"expected a number of days, 0 or more; got {days!r}" in err


def test_panel_data_entries_are_pruned_and_marked_like_pages(folders) -> None:
    pages, _ = folders
    pagecache.write_panels("cc", '{"a": 1}')
    pagecache.write_panels("dd", '{"b": 2}')
    old = _age(pages / "panels-cc.json", 40)
    _age(pages / "panels-dd.json", 40)

    assert pagecache.read_panels("dd") == '{"b": 2}'  # read: used now
    reports = caches.prune(30, now=NOW)

    assert _names(reports["pages"]) == [old.name]
    assert sorted(p.name for p in pages.iterdir()) == ["panels-dd.json"]
