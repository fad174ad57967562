"""纲要's indicator table (the ``fyp.ind.*`` blocks) as rows a person can read, in Chinese or
English: each indicator with its 2025 value, its 2030 target, whether it is expected (预期性)
or binding (约束性), the passage it stands in, and the chapters of the plan that speak of it.

The table's cells come from :attr:`hedong_geo.plan.Block.cells`; the English names and the
words by which chapters speak of each indicator are reviewed data in
``geodata/indicators.json``; the chapters are found with :func:`hedong_geo.text.find_mentions`
(the one home of name matching). Pure: no Streamlit.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pandas as pd

from hedong_geo import plan, text
from hedong_geo.i18n import t
from hedong_geo.links import AppLinks, Links
from hedong_geo.paths import GEODATA
from hedong_geo.templating import render

__all__ = ["INDICATORS", "Indicator", "indicator_rows", "indicator_table", "indicators_html"]

INDICATORS = GEODATA / "indicators.json"
TABLE = "fyp.ind"
# Blocks whose mention of an indicator is no commitment to it: the table itself, and the
# review of the last five years (chapter 1).
NOT_COMMITMENTS = ("fyp.ind", "fyp.ch1.", "fyp.ch1")
_UNIT = re.compile(r"[（(]([^（）()]*)[）)]$")
_CJK_SPACE = re.compile(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])")


@dataclass(frozen=True)
class Indicator:
    """One row of the indicator table."""

    number: str
    area: str  # the table's group: 高质量发展, 科技创新, …
    name: str  # as the table gives it, PDF line breaks removed
    unit: str
    value_2025: str
    target_2030: str
    kind: str  # 预期性 (expected) or 约束性 (binding)
    block: str
    chapters: tuple[tuple[str, str], ...]  # (chapter id, first block there that speaks of it)


@lru_cache(maxsize=1)
def _reviewed() -> dict[str, Any]:
    try:
        return json.loads(INDICATORS.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{INDICATORS.name}: cannot be read ({exc})") from None


def _clean(cell: str) -> str:
    return _CJK_SPACE.sub("", cell.strip())


def _split_unit(name: str) -> tuple[str, str]:
    found = _UNIT.search(name)
    return (name[: found.start()], found.group(1)) if found else (name, "")


def _rows() -> list[dict[str, str]]:
    """The table's indicator rows as plain cells; a row continuing the one above (the doctors
    and nurses per 1,000 people share a number and a name) takes what it leaves out from it."""
    rows: list[dict[str, str]] = []
    area = ""
    for blk in plan.blocks("fyp"):
        if not blk.id.startswith(TABLE + ".r"):
            continue
        cells = [_clean(c) for c in blk.cells]
        if len(cells) == 1:
            area = cells[0]
            continue
        if not cells or cells[0] == "序号":
            continue
        if cells[0] == "" and rows:  # 每千人口拥有 / 医护人员数: one name over two rows
            above = rows[-1]
            stem = above["stem"] + cells[1]
            above["name"] = f"{stem}：{above['sub']}"
            rows.append({**above, "sub": cells[2], "name": f"{stem}：{cells[2]}", "block": blk.id})
            rows[-1].update(value=cells[3], target=cells[4])
            continue
        if len(cells) >= 6:
            number, name, sub, value, target, kind = cells[:6]
        else:
            number, name, value, target, kind = cells[:5]
            sub = ""
        full = f"{name}：{sub}" if sub else name
        rows.append(
            dict(
                number=number,
                area=area,
                stem=name,
                sub=sub,
                name=full,
                value=value,
                target=target,
                kind=kind,
                block=blk.id,
            )
        )
    return rows


@lru_cache(maxsize=1)
def indicator_rows() -> tuple[Indicator, ...]:
    """Every indicator of the table, in its order, with the chapters that speak of it."""
    reviewed = _reviewed()
    rows = _rows()
    terms = {r["block"]: tuple(reviewed.get(r["block"], {}).get("terms", ())) for r in rows}
    owners: dict[str, list[str]] = {}
    for block_id, words in terms.items():
        for word in words:
            owners.setdefault(word, []).append(block_id)
    chapters: dict[str, dict[str, str]] = {r["block"]: {} for r in rows}
    for mention in text.find_mentions(owners, "fyp"):
        if mention.block_id.startswith(NOT_COMMITMENTS):
            continue
        chapter = plan.block(mention.block_id).heading_ids[0]
        for block_id in owners[mention.name]:
            chapters[block_id].setdefault(chapter, mention.block_id)
    order = {blk.id: i for i, blk in enumerate(plan.blocks("fyp"))}
    out = []
    for r in rows:
        name, unit = _split_unit(r["name"])
        found = sorted(chapters[r["block"]].items(), key=lambda kv: order[kv[1]])
        out.append(
            Indicator(
                r["number"],
                r["area"],
                name,
                unit,
                r["value"],
                r["target"],
                r["kind"],
                r["block"],
                tuple(found),
            )
        )
    return tuple(out)


def chapter_title(chapter_id: str, lang: str = "zh") -> str:
    """A chapter's short title: ``第六章`` / ``Ch. 6`` (from the heading, or the id's number)."""
    number = chapter_id.rsplit(".ch", 1)[-1]
    if lang != "zh" and number.isdigit():
        return f"{t('ind_chapter', lang)} {number}"
    return plan.block(chapter_id).text.split(" ")[0] if plan.has_block(chapter_id) else chapter_id


def _display(row: Indicator, lang: str) -> dict[str, Any]:
    """One row's cells in ``lang``: the English name and area from the reviewed file."""
    reviewed = _reviewed()
    areas = reviewed.get("_areas", {})
    kinds = {"预期性": "ind_expected", "约束性": "ind_binding"}
    english = reviewed.get(row.block, {}).get("en")
    zh = lang == "zh"
    return {
        "number": row.number,
        "area": row.area if zh else areas.get(row.area, row.area),
        "name": row.name if zh or not english else english,
        "unit": row.unit if zh or not english else "",  # the English name carries its unit
        "value": row.value_2025 if zh else _english_value(row.value_2025),
        "target": row.target_2030 if zh else _english_value(row.target_2030),
        "kind": t(kinds[row.kind], lang) if row.kind in kinds else row.kind,
        "block": row.block,
        "chapters": [(chapter_title(c, lang), first) for c, first in row.chapters],
    }


def _english_value(value: str) -> str:
    """A cell in English where the table words it (``5.5以内`` → ``within 5.5``); numbers stay."""
    words = _reviewed().get("_values", {})
    if value.startswith("[") and value.endswith("]"):  # a five-year total, bracketed
        return f"[{_english_value(value[1:-1])}]"
    if value in words:
        return words[value]
    for suffix, pattern in words.items():
        if "{}" in pattern and value.endswith(suffix):
            return pattern.format(value.removesuffix(suffix).strip())
    return value


def indicator_table(lang: str = "zh") -> pd.DataFrame:
    """The indicator table as a frame (one row per indicator, columns named in ``lang``):
    number, area, indicator, unit, 2025, 2030 target, expected or binding, its passage
    (``block``) and the chapters that speak of it."""
    records = []
    for row in indicator_rows():
        cells = _display(row, lang)
        records.append(
            {
                t("ind_number", lang): cells["number"],
                t("ind_area", lang): cells["area"],
                t("ind_name", lang): cells["name"],
                t("ind_unit", lang): cells["unit"],
                t("ind_2025", lang): cells["value"],
                t("ind_2030", lang): cells["target"],
                t("ind_kind", lang): cells["kind"],
                "block": cells["block"],
                t("ind_chapters", lang): " · ".join(title for title, _ in cells["chapters"]),
            }
        )
    return pd.DataFrame(records)


def indicators_html(lang: str = "zh", links: Links | None = None) -> str:
    """The indicator table as one HTML fragment (escaped by ``indicators.html.j2``): each row
    linked to its passage and to the chapters that speak of it, the table's own note below."""
    links = links or AppLinks(lang)
    rows = [_display(row, lang) for row in indicator_rows()]
    note = plan.block(TABLE + ".note").text if plan.has_block(TABLE + ".note") else ""
    html = render(
        "indicators.html.j2",
        rows=rows,
        note=note,
        links=links,
        show_unit=any(r["unit"] for r in rows),
        source=plan.block(TABLE).text if plan.has_block(TABLE) else "",
        t=lambda key: t(key, lang),
    )
    return str(html)
