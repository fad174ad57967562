"""The printed map's numbered feature list: each shown feature with the passages that cite it,
in the largest type (never below 7 pt at print size) that lets it fit the panel, else continued
on further pages. Lines are wrapped by the measured width of the figures' font, so a long
English name or citation wraps inside its column instead of running off the page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import geopandas as gpd

from hedong_geo import plan
from hedong_geo.exports.typeset import measured_width, wrap
from hedong_geo.i18n import counted, t, texts

__all__ = ["MIN_PT", "ListPage", "citation_lines", "doc_text", "paginate"]

# The number of a heading: 第三章, 第二节, 专栏 2, 一、, （二）; else its first few characters.
_HEADING_NUMBER = re.compile(
    r"第\S+?[编篇章节]|专栏\s*\d+|[一二三四五六七八九十]+、|（\S+?）|\S{1,8}"
)
# Type sizes of the feature list, largest first; it never goes below MIN_PT at print size,
# it continues on further pages instead.
LIST_SIZES = (8.0, 7.5, 7.0)
MIN_PT = 7.0
MIN_COLUMN_EM = 24.0  # a column narrower than this (in ems of its type) reads badly
MAX_CITES = 3  # citations listed per feature; the rest counted ("+ 2 more citations")
LINE_SPACING = 1.25
COLUMN_GAP_PT = 8.0


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


def _entries(shown: gpd.GeoDataFrame, lang: str) -> list[tuple[str, list[str]]]:
    """Each feature's heading ("3. name") and its citation lines."""
    text = texts("snap", lang)
    out = []
    for i, row in enumerate(shown.itertuples(), start=1):
        head = f"{i}. {row.name_zh if lang == 'zh' else row.name_en}"
        cites = citation_lines(row.citations, lang)
        more = len(cites) - MAX_CITES
        extra = [f"+ {counted('snap_more_cites', more, lang)}"] if more > 0 else []
        out.append((head, (cites[:MAX_CITES] or [text["no_cites"]]) + extra))
    return out


def _blocks(entries: list, width_em: float) -> list[list[str]]:
    """Each feature's lines wrapped to ``width_em``: the name, then its citations indented."""
    blocks = []
    for head, cites in entries:
        block = wrap(head, width_em, "   ", measured_width)
        for cite in cites:
            block += wrap("   " + cite, width_em, "      ", measured_width)
        blocks.append(block)
    return blocks


@dataclass(frozen=True)
class ListPage:
    """One page's part of the list: the type size and the lines of each column."""

    size: float
    columns: list[list[str]]


def _columns(width_pt: float, size: float) -> int:
    """How many columns of at least :data:`MIN_COLUMN_EM` fit across ``width_pt``."""
    return max(1, int((width_pt + COLUMN_GAP_PT) / (MIN_COLUMN_EM * size + COLUMN_GAP_PT)))


def _fill(blocks: list[list[str]], ncols: int, per_column: int) -> tuple[list[list[str]], int]:
    """Whole blocks into up to ``ncols`` columns of ``per_column`` lines; return the columns
    and how many blocks were placed. A block taller than a column runs on into the next one
    (a feature with that many citations is never cut)."""
    columns: list[list[str]] = [[]]
    for n, block in enumerate(blocks):
        trial = [list(c) for c in columns]
        lines = list(block)
        if trial[-1] and len(trial[-1]) + len(lines) > per_column:
            trial.append([])
        while len(trial[-1]) + len(lines) > per_column:
            room = per_column - len(trial[-1])
            trial[-1] += lines[:room]
            lines = lines[room:]
            trial.append([])
        trial[-1] += lines
        if len(trial) > ncols:
            return columns, n
        columns = trial
    return columns, len(blocks)


def paginate(
    shown: gpd.GeoDataFrame,
    lang: str,
    first: tuple[float, float],
    rest: tuple[float, float],
    summary: list[str] = (),
) -> list[ListPage]:
    """The numbered list "1. name" with its citations, over as many pages as it needs.

    ``first`` is the (width, height) in points of the list's box on the map page, ``rest`` of
    the box on a continuation page. The largest size of :data:`LIST_SIZES` at which the whole
    list fits the first box is used; when none does, the list is set at :data:`MIN_PT` and goes
    on over continuation pages. ``summary`` lines (large layers, counted not listed) end it.
    """
    entries = _entries(shown, lang) + [(line, []) for line in summary]
    for size in LIST_SIZES:
        pages = _pages(entries, size, first, rest, max_pages=1)
        if pages:
            return pages
    return _pages(entries, MIN_PT, first, rest, max_pages=None)


def _pages(entries: list, size: float, first: tuple, rest: tuple, max_pages: int | None) -> list:
    """The list at ``size`` over pages (``[]`` if it needs more than ``max_pages``)."""
    pages: list[ListPage] = []
    start, box = 0, first
    while start < len(entries) or not pages:
        ncols = _columns(box[0], size)
        width_em = (box[0] - (ncols - 1) * COLUMN_GAP_PT) / ncols / size
        per_column = max(1, int(box[1] / (size * LINE_SPACING)))
        columns, placed = _fill(_blocks(entries[start:], width_em), ncols, per_column)
        if placed == 0 and start < len(entries) and box is rest:
            raise ValueError(f"a continuation page of {rest} pt holds no entry of the list")
        pages.append(ListPage(size, columns))
        start += placed
        if max_pages is not None and len(pages) >= max_pages and start < len(entries):
            return []
        box = rest
    return pages
