"""User-interface text in Chinese and English, from ``geodata/i18n.json``."""

from __future__ import annotations

import json
from functools import lru_cache

from hedong_geo.paths import GEODATA

LANGS = ("zh", "en")


@lru_cache(maxsize=1)
def strings() -> dict[str, dict[str, str]]:
    """Every UI string by key, then language."""
    return json.loads((GEODATA / "i18n.json").read_text(encoding="utf-8"))


def t(key: str, lang: str = "zh") -> str:
    """The text of ``key`` in ``lang`` (Chinese when the language is unknown).

    A missing key raises ``KeyError`` naming it: a typo should fail a test, not show a blank.
    """
    table = strings()
    if key not in table:
        raise KeyError(f"no UI string {key!r} in geodata/i18n.json")
    entry = table[key]
    return entry.get(lang if lang in LANGS else "zh") or entry["zh"]


def texts(prefix: str, lang: str = "zh") -> dict[str, str]:
    """Every string whose key starts with ``prefix_``, keyed by the rest: one module's texts."""
    start = prefix + "_"
    return {key[len(start) :]: t(key, lang) for key in strings() if key.startswith(start)}
