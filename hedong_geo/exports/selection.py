"""Which features an export holds: layers and ids checked against what is loaded."""

from __future__ import annotations

import os
from collections.abc import Sequence

import geopandas as gpd

from hedong_geo._errors import UnknownIdError
from hedong_geo.layers import LayerSet, load_layers
from hedong_geo.register import layer_titles

__all__ = ["as_layerset", "check_layers", "layer_title", "select_features"]


def as_layerset(source: LayerSet | str | os.PathLike) -> LayerSet:
    """``source`` itself, or the layers loaded from the folder it names."""
    return source if isinstance(source, LayerSet) else load_layers(source)


def layer_title(name: str, lang: str) -> str:
    """A layer's title from ``geodata/layers.json``, or its name when it has none."""
    return layer_titles().get(name, {}).get(lang, name)


def check_layers(layerset: LayerSet, layers: Sequence[str] | str | None) -> list[str]:
    """The layer names asked for (default: all, sorted); :class:`UnknownIdError` for others."""
    known = sorted(layerset.layers)
    if layers is None:
        return known
    if isinstance(layers, str):
        layers = [layers]
    for name in layers:
        if name not in layerset.layers:
            raise UnknownIdError(f"unknown layer {name!r}; expected one of {known}")
    return list(layers)


def select_features(
    source: LayerSet | str | os.PathLike,
    layers: Sequence[str] | None = None,
    ids: Sequence[str] | None = None,
) -> gpd.GeoDataFrame:
    """The features of ``layers`` (default: all), narrowed to ``ids`` when given.

    Unlocated features (null geometry) are kept. Raises :class:`UnknownIdError` for a layer
    name or feature id that is not in the selection, naming it and what exists.
    """
    layerset = as_layerset(source)
    names = check_layers(layerset, layers)
    gdf = layerset.features(names)
    if ids is not None:
        if isinstance(ids, str):
            ids = [ids]
        known = set(gdf["id"])
        for fid in ids:
            if fid not in known:
                raise UnknownIdError(f"no feature with id {fid!r} in layers {names}")
        gdf = gdf[gdf["id"].isin(list(ids))].reset_index(drop=True)
    return gdf
