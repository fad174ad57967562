"""Map styles, loaded from ``geodata/styles.json`` so the web map and the snapshot export agree."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from hedong_geo.paths import GEODATA


@lru_cache(maxsize=1)
def load_styles() -> dict[str, Any]:
    """The style table: colour by ``group``, dash/weight/fill by ``location_basis``."""
    return json.loads((GEODATA / "styles.json").read_text(encoding="utf-8"))


def feature_style(group: str, location_basis: str) -> dict[str, Any]:
    """Colour, dash pattern (SVG ``dashArray`` or None), weight and fill opacity of one feature."""
    styles = load_styles()
    colour = styles["groups"].get(group, styles["groups"]["points"])["color"]
    base = styles["bases"].get(location_basis, styles["bases"]["schematic"])
    return {
        "color": colour,
        "dash": base["dash"],
        "weight": base["weight"],
        "fill_opacity": base["fill_opacity"],
    }
