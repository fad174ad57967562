"""The register's checks: every problem at once, each naming the entry and what to fix."""

from __future__ import annotations

import pytest

from hedong_geo._errors import LayerError
from hedong_geo.register import layer_titles, load_register, parse_register

GOOD = {
    "id": "infra.example",
    "name_zh": "示例路",
    "name_en": "Example Road",
    "layer": "unlocated",
    "group": "points",
    "category": "road",
    "status": "planned",
    "geometry": {"recipe": "unlocated"},
}


def test_the_committed_register_parses():
    entries = load_register()
    assert len(entries) > 140
    assert len({e.id for e in entries}) == len(entries)


def test_every_problem_is_reported_at_once():
    bad = [
        {**GOOD, "cite_exlude_words": ["x"]},  # misspelt key
        {**GOOD, "id": "infra.other", "layer": "nowhere"},
        {**GOOD, "id": "infra.example"},  # duplicate id
        {**GOOD, "id": "infra.near", "geometry": {"recipe": "near", "ref": "r"}},
        {**GOOD, "id": "infra.child", "parent": "no.such.parent"},
    ]
    with pytest.raises(LayerError) as caught:
        parse_register(bad, layer_titles())
    text = str(caught.value)
    assert "unknown key 'cite_exlude_words'" in text
    assert "layer 'nowhere' is not one of" in text
    assert "id 'infra.example' is used twice" in text
    assert "recipe 'near': properties ['basis', 'accuracy_m'] are missing" in text
    assert "parent 'no.such.parent' is not in the register" in text
    assert text.count("\n  ") == len(text.splitlines()) - 1 >= 5  # one line a problem
