"""The snapshot's numbered feature list: each shown feature with the passages that cite it,
laid out in as few columns and as large type as the panel allows."""

from __future__ import annotations

import re
from typing import Any

import geopandas as gpd

from hedong_geo import plan
from hedong_geo.exports.typeset import wrap
from hedong_geo.i18n import t, texts

__all__ = ["citation_lines", "doc_text", "feature_list"]

# The number of a heading: 第三章, 第二节, 专栏 2, 一、, （二）; else its first few characters.
_HEADING_NUMBER = re.compile(
    r"第\S+?[编篇章节]|专栏\s*\d+|[一二三四五六七八九十]+、|（\S+?）|\S{1,8}"
)
# Layouts of the feature list, most readable first: (citations on their own lines?, columns,
# font size in points).
LIST_LAYOUTS = (
    (True, 1, 7.0),
    (True, 1, 6.0),
    (True, 2, 6.0),
    (True, 1, 5.0),
    (True, 2, 5.0),
    (False, 2, 5.0),
    (False, 3, 4.5),
    (False, 3, 4.0),
)
LINE_SPACING = 1.25
COLUMN_GAP_PT = 6.0


def doc_text(kind: str, doc_id: str, lang: str) -> str:
    """A document's title (``kind="doc"``) or short name (``"short"``) on the sheet."""
    try:
        return t(f"snap_{kind}_{doc_id}", lang)
    except KeyError:
        return str(doc_id)


def _heading_path(block_id: str, short: bool = False) -> str:
    """Headings above ``block_id`` below the document title, joined with " › ".

    ``short`` keeps only each heading's number ("第三章 › 第二节 › 专栏 2"). Falls back to the
    bare block id when the plan corpus does not know the block (or cannot be read), so an
    export never fails over a citation.
    """
    try:
        headings = plan.block(block_id).headings[1:]
    except (LookupError, OSError, ValueError):
        return block_id
    if short:
        headings = [_HEADING_NUMBER.match(h)[0].strip() for h in headings]
    return " › ".join(headings) or block_id


def citation_lines(citations: Any, lang: str, short: bool = False) -> list[str]:
    """One ``document · heading path (block)`` line per cited block, each block once.

    ``short`` gives the compact form the dense list layouts use: the document's short name and
    the heading numbers only.
    """
    lines: list[str] = []
    for cite in citations or []:
        doc_id, block = str(cite.get("doc")), str(cite.get("block"))
        path = _heading_path(block, short)
        if short:
            line = f"{doc_text('short', doc_id, lang)} {path}"
        else:
            doc = doc_text("doc", doc_id, lang)
            line = f"{doc} · {path} ({block})" if path != block else f"{doc} · {block}"
        if line not in lines:
            lines.append(line)
    return lines


def _entries(shown: gpd.GeoDataFrame, lang: str) -> tuple[list, list]:
    """Each feature's heading with its full and its compact citation lines."""
    text = texts("snap", lang)
    full, short = [], []
    for i, row in enumerate(shown.itertuples(), start=1):
        head = f"{i}. {row.name_zh if lang == 'zh' else row.name_en}"
        cites = citation_lines(row.citations, lang)
        extra = [f"+ {text['more_cites'].format(n=len(cites) - 3)}"] if len(cites) > 3 else []
        full.append((head, (cites[:3] or [text["no_cites"]]) + extra))
        short.append((head, citation_lines(row.citations, lang, short=True) or ["-"]))
    return full, short


def _blocks(full: list, short: list, own_lines: bool, width_em: float, lang: str) -> list:
    """Each feature's lines, wrapped to ``width_em``: citations below, or run on after it."""
    sep, colon = ("；", "：") if lang == "zh" else ("; ", ": ")
    blocks = []
    for (head, cites), (_, brief) in zip(full, short, strict=True):
        if own_lines:
            block = wrap(head, width_em, "   ")
            for cite in cites:
                block += wrap("   " + cite, width_em, "     ")
        else:
            block = wrap(head + colon + sep.join(brief), width_em, "   ")
        blocks.append(block)
    return blocks


def feature_list(
    shown: gpd.GeoDataFrame, lang: str, height_pt: float, width_pt: float
) -> tuple[float, list[list[str]], bool]:
    """The numbered list "1. name" with its citations, laid out to fit the panel.

    Returns the font size, the lines of each column and whether the compact citation form
    (short document names, heading numbers) was used. Tries ever denser layouts (smaller
    type, more columns, citations run on after the name); when even the densest cannot hold
    every feature, the list ends with how many were left out.
    """
    full, short = _entries(shown, lang)
    for own_lines, ncols, size in LIST_LAYOUTS:
        width_em = (width_pt / ncols - COLUMN_GAP_PT) / size
        per_column = int(height_pt / (size * LINE_SPACING))
        blocks = _blocks(full, short, own_lines, width_em, lang)
        columns, fitted = _fill_columns(blocks, ncols, per_column)
        if fitted == len(blocks):
            return size, columns, not own_lines
    # Even the densest layout cannot hold them all: keep a line to say how many are left out.
    columns, fitted = _fill_columns(blocks, ncols, per_column - 1)
    columns[-1].append(texts("snap", lang)["more"].format(n=len(blocks) - fitted))
    return size, columns, True


def _fill_columns(
    blocks: list[list[str]], ncols: int, per_column: int
) -> tuple[list[list[str]], int]:
    """Put whole blocks of lines into up to ``ncols`` columns; return them and how many fit."""
    columns: list[list[str]] = [[]]
    for n, block in enumerate(blocks):
        if columns[-1] and len(columns[-1]) + len(block) > per_column:
            if len(columns) == ncols:
                return columns, n
            columns.append([])
        columns[-1] += block
    return columns, len(blocks)
