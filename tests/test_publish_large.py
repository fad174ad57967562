"""A large layer in the static site (issue 14): published as vector tiles and a data file, not
one page per feature, and not inlined into the map page. With a small threshold
(``HEDONG_GEO_TILE_THRESHOLD``) a few hundred generated parcels stand in for the bureau's tens of
thousands; the real features keep every page and detail they had. No timing here: the time and
the first page's size at 50k are printed by ``bench/bench_publish.py --parcels 50000``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bench.parcels import make_parcels
from hedong_geo.exports import publish_site, site_details
from hedong_geo.layers import LayerSet
from hedong_geo.links import page_name

N_PARCELS = 300


def _data(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="hd-data">(.*?)</script>', page, re.S)
    assert m, "no embedded detail data"
    return json.loads(m.group(1))


@pytest.fixture
def published(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_layers: LayerSet):
    """The small layers published without and with the parcels, tiled from 100 features."""
    monkeypatch.setenv("HEDONG_GEO_TILE_THRESHOLD", "100")
    monkeypatch.setenv("HEDONG_GEO_TILE_CACHE", str(tmp_path / "cache"))
    parcels = make_parcels(N_PARCELS, seed=3)
    both = LayerSet(layers={**small_layers.layers, "parcels": parcels})
    without = publish_site(small_layers, tmp_path / "without")
    with_parcels = publish_site(both, tmp_path / "with")
    return small_layers, parcels, without, with_parcels


def test_large_layer_is_tiles_and_a_data_file_not_pages(published) -> None:
    small, parcels, without, out = published
    ids = set(parcels["id"])
    # Tiles: a tile set for the parcels, with tile files in it.
    tile_sets = [p for p in (out / "tiles").iterdir() if p.name.startswith("parcels-")]
    assert len(tile_sets) == 1, tile_sets
    assert sum(1 for p in tile_sets[0].rglob("*") if p.is_file()) > 0
    # The data file holds every parcel.
    data = json.loads((out / "data" / "parcels.geojson").read_text(encoding="utf-8"))
    assert {f["properties"]["id"] for f in data["features"]} == ids
    # No page for a parcel; every real feature keeps its page, the same as without the parcels.
    pages = {p.name for p in (out / "features").iterdir()}
    assert not {page_name(i) for i in ids} & pages
    real = {page_name(item.id) for item in site_details(small)}
    assert real and pages == real == {p.name for p in (without / "features").iterdir()}


def test_map_page_does_not_inline_the_large_layer(published) -> None:
    small, parcels, without, out = published
    page = (out / "index.html").read_text(encoding="utf-8")
    page_without = (without / "index.html").read_text(encoding="utf-8")
    assert "HedongGeo.tiles(" in page, "the parcels are drawn from their tiles"
    assert not any(i in page for i in parcels["id"]), "no parcel id in the map page"
    # The real features' details are all there, the same with and without the parcels.
    details = _data(page)["details"]
    assert details.keys() == _data(page_without)["details"].keys()
    assert details.keys() == {item.id for item in site_details(small)}
    # What the parcels add to the page is a small fixed part (a layer entry, tile options), far
    # below their data: under 5% of the data file, under 40 bytes a parcel (≈ 5.5 kB here).
    grown = len(page.encode()) - len(page_without.encode())
    data_size = (out / "data" / "parcels.geojson").stat().st_size
    assert grown < data_size / 20 and grown < 40 * N_PARCELS, (grown, data_size)


def test_panel_stylesheet_linked_once_not_per_detail(published) -> None:
    *_, out = published
    page = (out / "index.html").read_text(encoding="utf-8")
    details = _data(page)["details"]
    assert details and not any("<style" in html for html in details.values())
    assert 'href="assets/panel.css"' in page
    assert ".hd-name" in (out / "assets" / "panel.css").read_text(encoding="utf-8")
    # A feature page (one detail) keeps its stylesheet inline.
    feature_page = next((out / "features").iterdir()).read_text(encoding="utf-8")
    assert ".hd-name" in feature_page
