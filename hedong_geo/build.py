"""Build ``layers/*.geojson`` from the register and the context data, deterministically.

``python -m hedong_geo build`` calls :func:`build_layers`; a test builds into a temporary folder
and compares the files with the committed ones byte for byte.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from shapely.geometry import mapping

from hedong_geo import places, recipes
from hedong_geo._io import atomic_write_text
from hedong_geo.citing import citations_by_feature, facts_by_feature
from hedong_geo.context import HEDONG_ADCODE
from hedong_geo.layers import PROPERTY_ORDER
from hedong_geo.paths import CONTEXT_DIR, LAYERS
from hedong_geo.placing import Geography, Placed, place_all
from hedong_geo.register import Entry, layer_titles, load_register
from hedong_geo.transform import from_metric, to_metric


def _feature(
    entry: Entry,
    placed: Placed,
    citations: list[dict[str, Any]],
    facts: list[dict[str, Any]] = (),
) -> dict[str, Any]:
    geometry = None
    if placed.geometry is not None:
        shape = from_metric(placed.geometry)
        if shape.geom_type in ("Point", "MultiPoint"):  # outlines keep 6 so quadrants still tile
            shape = recipes.round_coordinates(shape, recipes.decimals_for(placed.accuracy_m))
        shape = recipes.orient_rfc7946(recipes.round_coordinates(shape))
        geometry = mapping(shape)
    street, confidence = _street(entry, placed)
    source = placed.source
    if entry.note and entry.note not in source:
        source = f"{source.rstrip('.')}. {entry.note}" if source else entry.note
    values = {
        **{key: getattr(entry, key) for key in PROPERTY_ORDER if hasattr(entry, key)},
        "aliases": list(entry.aliases),
        "anchors": list(entry.anchors),
        "location_basis": placed.basis,
        "accuracy_m": placed.accuracy_m,
        "geometry_source": source,
        "street": street,
        "street_confidence": confidence,
        "citations": citations,
        "facts": list(facts),
    }
    return {
        "type": "Feature",
        "properties": {key: values[key] for key in PROPERTY_ORDER},
        "geometry": geometry,
    }


def _street(entry: Entry, placed: Placed) -> tuple[str | None, str | None]:
    """The 街道 a feature lies in and how surely (:func:`hedong_geo.places.street_of`); none for
    the 街道 zones themselves."""
    if entry.category == "street_zone":
        return None, None
    return places.street_of(placed.geometry, placed.accuracy_m)


def _context_features(geo: Geography) -> list[dict[str, Any]]:
    """The context layer: district outlines, the river frontage, the reference points, written
    by the same :func:`_feature` as every other layer."""
    river = geo.context["haihe_frontage"].iloc[0]
    items = [
        (row["id"], row, "boundary", "derived", row["source"], code != HEDONG_ADCODE)
        for code, row in geo.districts.iterrows()
    ]
    items.append((river["id"], river, "river", "derived", river["source"], False))
    items += [
        (
            ref_id,
            row,
            "reference_point",
            "reference",
            f"{row['source']} ({row['source_crs']})",
            not bool(row["in_hedong"]),
        )
        for ref_id, row in geo.refs.iterrows()
    ]
    features = []
    for fid, row, category, basis, source, cross in items:
        entry = Entry(
            id=fid,
            name_zh=row["name_zh"],
            name_en=row["name_en"],
            layer="context",
            group="context",
            category=category,
            status="context",
            geometry={"recipe": "context"},
            cross_district=bool(cross),
        )
        placed = Placed(to_metric(row.geometry), basis, float(row["accuracy_m"]), source)
        features.append(_feature(entry, placed, []))
    return features


def _dump(collection: dict[str, Any]) -> str:
    """JSON text with one feature per line: stable, diff-friendly, small."""
    head = json.dumps({k: v for k, v in collection.items() if k != "features"}, ensure_ascii=False)[
        :-1
    ]
    lines = [
        json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in collection["features"]
    ]
    return head + ', "features": [\n' + ",\n".join(lines) + "\n]}\n"


def build_collections(context_dir: Path = CONTEXT_DIR) -> dict[str, dict[str, Any]]:
    """Every layer as a GeoJSON FeatureCollection (a dict), keyed by layer name."""
    entries = load_register()
    geo = Geography(Path(context_dir))
    placed = place_all(entries, geo)
    citations = citations_by_feature(entries)
    facts = facts_by_feature()
    features: dict[str, list] = defaultdict(list)
    for entry in entries:
        features[entry.layer].append(
            _feature(entry, placed[entry.id], citations.get(entry.id, []), facts.get(entry.id, []))
        )
    features["context"] = _context_features(geo)
    collections = {}
    for name, title in layer_titles().items():
        items = sorted(features.get(name, []), key=lambda f: f["properties"]["id"])
        collections[name] = {
            "type": "FeatureCollection",
            "name": name,
            "title": title,
            "features": items,
        }
    return collections


def build_layers(out_dir: str | Path = LAYERS, context_dir: Path = CONTEXT_DIR) -> list[Path]:
    """Write every layer file into ``out_dir``; return the paths written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, collection in build_collections(context_dir).items():
        path = out / f"{name}.geojson"
        atomic_write_text(path, _dump(collection))
        written.append(path)
    return written
