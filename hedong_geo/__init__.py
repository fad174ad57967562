"""hedong-geo: an explorer of the Hedong District (河东区, Tianjin) development plan.

Modules, one job each:

- ``plan``: the two plan texts as a corpus of blocks with stable ids; citations.
- ``search``: ranked full-text search and the place-mention finder.
- ``transform``: coordinate transforms (GCJ-02 ⇄ WGS84, metric CRS) and measures.
- ``recipes``: geometry recipes that derive layer geometry from source data.
- ``context``: the committed context geography (districts, the Haihe, reference points).
- ``register``: the feature register (``geodata/features.yaml``).
- ``build``: writes ``layers/*.geojson`` from the register and ``geodata/``.
- ``layers``: loads the layer files; ``_validate`` checks them; ``coverage`` counts them.
- ``webmap``, ``assets``: the folium map (no Streamlit) and its local scripts and styles,
  served by the app from where they are installed.
- ``panel``, ``reader``, ``projects``, ``urlstate``, ``i18n``: the explorer's views as data.
- ``export``: map snapshots and data exports; ``publish``: the HTML export and static site.
- ``paths``: where the data is (the checkout's folders, or the wheel's ``hedong_geo/_data``);
  ``settings``: the ``HEDONG_GEO_*`` environment variables, read in one place.
- ``cli``: ``python -m hedong_geo`` / ``hedong-geo``, including ``app`` (starts the app).
"""

from hedong_geo._errors import (
    CitationError,
    ExportError,
    HedongGeoError,
    LayerError,
    UnknownIdError,
)

__version__ = "0.1.0"

__all__ = [
    "CitationError",
    "ExportError",
    "HedongGeoError",
    "LayerError",
    "UnknownIdError",
    "__version__",
]
