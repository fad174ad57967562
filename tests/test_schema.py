"""One schema: everything derived from hedong_geo/schema/*.json agrees with it."""

from __future__ import annotations

from dataclasses import fields

from hedong_geo import layers, placing, schema
from hedong_geo.paths import GEODATA, ROOT
from hedong_geo.register import Entry

REGENERATE = (
    'python -c "import pathlib, hedong_geo.schema as s; '
    "pathlib.Path('docs/layers.md').write_text(s.render_docs(), 'utf-8')\""
)


def test_docs_layers_md_is_generated_from_the_schema():
    committed = (ROOT / "docs" / "layers.md").read_text(encoding="utf-8")
    assert committed == schema.render_docs(), f"docs/layers.md is stale; regenerate: {REGENERATE}"


def test_the_register_header_lists_the_registered_recipes():
    text = (GEODATA / "features.yaml").read_text(encoding="utf-8")
    start = text.index("# geometry.recipe")
    header = text[start:].split("\n\n", 1)[0].splitlines()[1:]
    assert header == placing.header_lines(), (
        "the recipe list at the top of geodata/features.yaml differs from placing.RECIPES; "
        "paste placing.header_lines() there"
    )


def test_layer_constants_come_from_the_schema():
    assert layers.GROUPS == ("station", "belt", "park", "points", "context")
    assert layers.BASES == ("derived", "reference", "described", "schematic", "unlocated")
    assert schema.vocabulary("status") == layers.STATUSES
    assert schema.property_order() == layers.PROPERTY_ORDER
    assert layers.PROPERTY_ORDER[0] == "id" and layers.PROPERTY_ORDER[-2:] == ("citations", "facts")
    assert [*layers.PROPERTY_ORDER, "geometry"] == layers.COLUMNS
    assert set(layers.REQUIRED) == set(layers.PROPERTY_ORDER)
    # Only the 街道 the build computes may be absent (files written before it still load).
    optional = set(layers.PROPERTY_ORDER) - set(schema.required_properties())
    assert optional == {"street", "street_confidence"}
    assert layers.REQUIRED["cross_district"] == (bool,)
    assert type(None) in layers.REQUIRED["accuracy_m"]


def test_register_entry_fields_are_the_register_schema_keys():
    assert [f.name for f in fields(Entry)][:8] == list(schema.load(schema.REGISTER)["required"])
    assert {f.name for f in fields(Entry)} == set(schema.register_keys())


def test_csv_columns_are_properties_or_declared_derived():
    derived = schema.load()["x-csv-derived"]
    for column in schema.csv_columns():
        assert column in layers.PROPERTY_ORDER or column in derived, column
    assert schema.csv_columns()[:3] == ("id", "name_zh", "name_en")


def test_every_recipe_parameter_has_a_declared_type():
    kinds = schema.load(schema.REGISTER)["$defs"]["param"]
    for name, recipe in placing.RECIPES.items():
        for param, spec in recipe.params.items():
            assert spec.kind in kinds, (name, param)
    assert list(placing.RECIPES)[-1] == "unlocated"


def test_the_weaker_basis_follows_the_schema_order():
    assert placing._weaker("described", "schematic") == "schematic"
    assert placing._weaker("reference", "derived") == "reference"


def test_every_vocabulary_value_has_its_ui_string():
    assert schema.ui_problems() == []


def test_a_missing_ui_string_is_reported(monkeypatch):
    from hedong_geo import i18n

    table = {k: v for k, v in i18n.strings().items() if k != "cat_wharf"}
    monkeypatch.setattr(i18n, "strings", lambda: table)
    assert schema.ui_problems() == ["category 'wharf' has no UI string 'cat_wharf' in zh and en"]


def test_messages_show_the_bad_value_and_the_place():
    feature = {
        "type": "Feature",
        "geometry": {"type": "Circle", "coordinates": [117.2, 39.1]},
        "properties": {"id": "x", "aliases": "金贸产业园", "cross_district": "no"},
    }
    text = "\n".join(schema.check(feature))
    assert "geometry.type is 'Circle'; expected one of ['Point'," in text
    assert "aliases is '金贸产业园'; expected a list of strings" in text
    assert "cross_district is 'no'; expected true or false" in text
    assert "properties ['name_zh', 'name_en'," in text and "are missing" in text
