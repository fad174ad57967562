"""The panel data kept in the page cache (hedong_geo.pagecache via mapview.start_panel_data).

A fresh server process with the same layers and code reads every feature's panel from
``HEDONG_GEO_PAGE_CACHE`` instead of building them while its first map is served. Real layer
files copied to a temporary folder, a real cache folder; ``panel_data`` replaced by one that
raises to prove the data came from the cache.
"""

from __future__ import annotations

import json
import uuid

import pytest

from hedong_geo import mapview, pagecache, projects
from hedong_geo.layers import load_layers
from hedong_geo.links import AppLinks


def _panels(layers, shown=None, lang: str = "zh", links=None) -> str:
    """The panel data file the app serves, once the background writer has written it."""
    url = mapview.start_panel_data(
        layers, shown or layers, lang, links or AppLinks(lang), key=uuid.uuid4().hex
    )
    mapview._writer().submit(lambda: None).result()  # one worker: everything before is done
    return (mapview.pages_dir() / url.rsplit("/", 1)[1]).read_text(encoding="utf-8")


def _fresh(layers, shown=None, lang: str = "zh") -> str:
    data = mapview.panel_data(layers, shown or layers, lang, AppLinks(lang))
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _refuse(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("the panels were built again instead of read from the cache")

    monkeypatch.setattr(mapview, "panel_data", refuse)


def test_a_fresh_process_reads_the_panels_from_the_cache(page_cache, layers_dir, monkeypatch):
    first = _panels(load_layers(layers_dir))
    assert first == _fresh(load_layers(layers_dir))
    assert [p.name.split("-")[0] for p in page_cache.iterdir()] == ["panels"]
    _refuse(monkeypatch)
    assert _panels(load_layers(layers_dir)) == first  # new frames, same content: a hit


def test_filters_language_and_layer_content_are_other_entries(page_cache, layers_dir):
    layers = load_layers(layers_dir)
    _panels(layers)
    shown = projects.filter_layers(layers, projects.Filters(statuses=("planned",)))
    assert _panels(layers, shown) == _fresh(layers, shown)
    assert _panels(layers, lang="en") == _fresh(layers, lang="en")
    station = layers_dir / "station_zone.geojson"
    text = station.read_text(encoding="utf-8")
    station.write_text(text.replace('"name_en":"', '"name_en":"Renamed ', 1), encoding="utf-8")
    changed = load_layers(layers_dir)
    assert _panels(changed) == _fresh(changed)
    assert len(list(page_cache.iterdir())) == 4


def test_a_damaged_entry_is_built_again(page_cache, layers_dir):
    layers = load_layers(layers_dir)
    first = _panels(layers)
    (entry,) = page_cache.iterdir()
    entry.write_text(json.dumps(json.loads(entry.read_text("utf-8")) | {"text": "{}"}), "utf-8")
    assert _panels(layers) == first
    assert json.loads(entry.read_text("utf-8"))["text"] == first  # written again, whole


def test_links_without_a_value_repr_are_not_cached(page_cache, layers_dir):
    class Opaque:
        def __init__(self) -> None:
            self.inner = AppLinks("zh")

        def feature(self, feature_id: str) -> str:
            return self.inner.feature(feature_id)

        def block(self, block_id: str) -> str:
            return self.inner.block(block_id)

    layers = load_layers(layers_dir)
    assert pagecache.panels_key(layers, layers, "zh", Opaque()) is None
    assert _panels(layers, links=Opaque()) == _fresh(layers)
    assert not page_cache.exists() or not list(page_cache.iterdir())
