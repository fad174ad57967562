"""User-interface text in Chinese and English, from ``geodata/i18n.json``; the plan's headings
in English from ``geodata/plan/headings_en.json`` (the Chinese heading stays authoritative)."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from hedong_geo.paths import GEODATA, PLAN_DIR

LANGS = ("zh", "en")
HTML_LANG = {"zh": "zh-CN", "en": "en"}  # <html lang> of a page in each language
HEADINGS_EN = PLAN_DIR / "headings_en.json"


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


def counted(key: str, n: int, lang: str = "zh", **values: Any) -> str:
    """The text of ``key`` for a count of ``n``, formatted with ``n`` and ``values``.

    English has a singular: ``<key>_one`` in ``i18n.json`` is the form for one ("1 passage of
    the plan names it", not "1 passages ... name it"); a key with no ``_one`` is used for every
    count, and Chinese ``_one`` forms repeat the plural.
    """
    one = f"{key}_one"
    return t(one if n == 1 and one in strings() else key, lang).format(n=n, **values)


def texts(prefix: str, lang: str = "zh") -> dict[str, str]:
    """Every string whose key starts with ``prefix_``, keyed by the rest: one module's texts."""
    start = prefix + "_"
    return {key[len(start) :]: t(key, lang) for key in strings() if key.startswith(start)}


@lru_cache(maxsize=1)
def headings_en() -> dict[str, str]:
    """The English heading of every heading block, by block id (``fyp.ch6.s2``)."""
    table = json.loads(HEADINGS_EN.read_text(encoding="utf-8"))
    return {key: text for key, text in table.items() if not key.startswith("_")}


def heading_path(block: Any, lang: str = "zh") -> tuple[str, ...]:
    """The headings a plan block stands under (the document title left out), in ``lang``:
    ``("第二章 …", "第四节 空间布局")`` / ``("Chapter 2: …", "Section 4: Spatial layout")``. A
    heading with no English yet is shown in Chinese rather than dropped."""
    if lang != "en":
        return tuple(block.headings[1:])
    table = headings_en()
    return tuple(
        table.get(hid, zh) for hid, zh in zip(block.heading_ids, block.headings[1:], strict=False)
    )


_POSITION = re.compile(r"^(p|r)?(\d+)$")


def block_position(block: Any, lang: str = "zh") -> str:
    """Where a block stands under its heading, in words: ``第 2 段`` / ``para. 2``, ``第 3 行``
    / ``row 3`` (a table), ``第 6 条`` / ``entry 6`` (the glossary); ``""`` for a heading."""
    if block.kind == "heading":
        return ""
    m = _POSITION.match(block.id.rsplit(".", 1)[-1])
    kind = {"paragraph": "para", "row": "row", "glossary": "entry"}.get(block.kind)
    if not m or kind is None:
        return t(f"block_{block.kind}", lang)
    return t(f"position_{kind}", lang).format(n=int(m.group(2)))
