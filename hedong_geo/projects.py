"""The projects table, its filters and the zone summaries (pandas, no Streamlit)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from hedong_geo import names
from hedong_geo.describe import timeline_text
from hedong_geo.facts import KINDS
from hedong_geo.i18n import t
from hedong_geo.layers import BASES, LayerSet
from hedong_geo.names import places_of
from hedong_geo.panel import surely_inside
from hedong_geo.register import figures, layer_titles
from hedong_geo.transform import area_km2

# The zones summarised: the station zone, the belt, the park and its quadrants.
SUMMARY_ZONES = (
    "station.zone.hedong",
    "belt.innovation-belt",
    "park.jinmao",
    "park.quadrant.ne",
    "park.quadrant.nw",
    "park.quadrant.se",
    "park.quadrant.sw",
)


@dataclass(frozen=True)
class Filters:
    """What the user narrowed the features to; ``None`` or empty means no narrowing."""

    layers: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    docs: tuple[str, ...] = ()
    bases: tuple[str, ...] = ()


def apply_filters(features: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The rows of ``features`` that pass every filter (a document filter keeps features with
    at least one citation from one of the documents)."""
    keep = pd.Series(True, index=features.index)
    for column, wanted in (
        ("layer", filters.layers),
        ("category", filters.categories),
        ("status", filters.statuses),
        ("location_basis", filters.bases),
    ):
        if wanted:
            keep &= features[column].isin(wanted)
    if filters.docs:
        docs = set(filters.docs)
        keep &= features["citations"].map(lambda cs: any(c["doc"] in docs for c in cs or []))
    return features[keep]


def categories(layers: LayerSet) -> list[str]:
    """The categories the features use (context excluded), sorted."""
    features = layers.features()
    return sorted(features.loc[features["layer"] != "context", "category"].unique())


def filter_layers(layers: LayerSet, filters: Filters) -> LayerSet:
    """The layers with only the features that pass ``filters`` (the context layer untouched)."""
    kept = {
        name: gdf if name == "context" else apply_filters(gdf, filters)
        for name, gdf in layers.layers.items()
    }
    return LayerSet(kept, layers.problems)


def find_places(layers: LayerSet, query: str, limit: int = 8) -> list[tuple[str, str, str]]:
    """Features a query finds by their names or aliases: ``(id, zh, en)``, best first. The
    matching is :func:`hedong_geo.names.match` (简/繁, numerals, pinyin and its initials,
    English names, one slip)."""
    return [(m.id, m.name_zh, m.name_en) for m in names.match(places_of(layers), query, limit)]


# The figures shown as sortable columns of the projects table, in this order.
FACT_COLUMNS = (
    "area_km2",
    "area_wan_m2",
    "floor_area_wan_m2",
    "height_m",
    "length_km",
    "depth_m",
    "investment_yi",
    "completion_year",
)


def fact_columns(features: pd.DataFrame, lang: str = "zh") -> dict[str, pd.Series]:
    """One numeric column per kind of figure the features carry (``面积 (km²)``, ``高度 (m)``
    …), the largest where a feature has several of a kind; blank where it has none. Numbers,
    so the table sorts them as numbers."""
    columns = {}
    for kind in FACT_COLUMNS:
        values = features["facts"].map(
            lambda facts, kind=kind: max(
                (f["value"] for f in facts or [] if f["kind"] == kind), default=None
            )
        )
        if values.notna().any():
            unit = KINDS.get(kind)
            label = t(f"fact_{kind}", lang)
            name = label if kind == "completion_year" or not unit else f"{label} ({unit})"
            columns[name] = pd.to_numeric(values, errors="coerce")
    return columns


def project_table(layers: LayerSet, filters: Filters = Filters(), lang: str = "zh") -> pd.DataFrame:
    """One row per feature (unlocated included, context excluded), ready for a table: names,
    layer, category, the current status and the timeline of what each document states, the
    街道, how it is located, its figures (sortable numbers) and its citations."""
    features = layers.features()
    streets = dict(
        zip(features["id"], features["name_zh" if lang == "zh" else "name_en"], strict=True)
    )
    features = features[features["layer"] != "context"]
    features = apply_filters(features, filters)
    titles = layer_titles()
    street = features["street"].map(lambda s: streets.get(s, "") if isinstance(s, str) else "")
    confidence = features["street_confidence"].map(
        lambda c: f" ({t(f'street_{c}', lang)})" if c == "likely" else ""
    )
    table = pd.DataFrame(
        {
            "id": features["id"],
            t("name", lang): features["name_zh" if lang == "zh" else "name_en"],
            t("layer", lang): features["layer"].map(lambda n: titles.get(n, {}).get(lang, n)),
            t("category", lang): features["category"].map(lambda c: t(f"cat_{c}", lang)),
            t("status", lang): features["status"].map(lambda s: t(f"status_{s}", lang)),
            t("timeline", lang): features["citations"].map(lambda cs: timeline_text(cs, lang)),
            t("street", lang): (street + confidence).where(street != "", ""),
            t("location_basis", lang): features["location_basis"].map(
                lambda b: t(f"basis_{b}", lang)
            ),
            t("accuracy", lang) + " (m)": features["accuracy_m"],
            **fact_columns(features, lang),
            t("citations", lang): features["citations"].map(len),
            t("document", lang): features["citations"].map(
                lambda cs: " · ".join(sorted({c["doc"] for c in cs}))
            ),
        }
    )
    return table.sort_values("id", ignore_index=True)


def coverage_summary(layers: LayerSet, lang: str = "zh") -> pd.DataFrame:
    """How many features have each location basis (unlocated included)."""
    features = layers.features()
    features = features[features["layer"] != "context"]
    counts = features["location_basis"].value_counts()
    return pd.DataFrame(
        {
            t("location_basis", lang): [t(f"basis_{b}", lang) for b in BASES],
            t("count", lang): [int(counts.get(b, 0)) for b in BASES],
        }
    )


def zone_summary(
    layers: LayerSet, zones: Iterable[str] = SUMMARY_ZONES, lang: str = "zh"
) -> pd.DataFrame:
    """For each zone: how many features lie in it (by the register's parent, or surely by
    geometry: see :func:`hedong_geo.panel.surely_inside`) and its area where the area means
    something: a derived outline, or one calibrated to a figure the plan states. A schematic
    placeholder's area is left blank."""
    features = layers.features()
    features = features[features["layer"] != "context"]
    stated = {fig["feature"] for fig in figures().get("area_km2", [])}
    rows = []
    for zone_id in zones:
        zone = layers.feature(zone_id)
        inside = {
            row.id
            for row in features.itertuples()
            if row.id != zone_id
            and (
                row.parent == zone_id
                or (
                    row.geometry is not None
                    and surely_inside(row.geometry, row.accuracy_m, zone.geometry)
                )
            )
        }
        meaningful = zone_id in stated or zone["location_basis"] != "schematic"
        rows.append(
            {
                "id": zone_id,
                t("name", lang): zone["name_zh" if lang == "zh" else "name_en"],
                t("location_basis", lang): t(f"basis_{zone['location_basis']}", lang),
                t("area_km2", lang): round(area_km2(zone.geometry), 3) if meaningful else None,
                t("count", lang): len(inside),
            }
        )
    return pd.DataFrame(rows)
