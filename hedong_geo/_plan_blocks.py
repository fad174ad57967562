"""The pieces of the plan corpus: :class:`Block` and the :class:`Span` mapping its text back onto
the original file. Shared by the parser (:mod:`hedong_geo._plan_parser`) and :mod:`hedong_geo.plan`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KINDS", "Block", "Span"]

KINDS = ("heading", "paragraph", "row", "note", "glossary", "footnote")


@dataclass(frozen=True)
class Span:
    """One piece of a block's text and where it comes from in the original file.

    ``exact`` pieces are the original characters unchanged. Other pieces are a normalisation:
    a replacement (``PM_{2.5}`` → ``PM2.5``), a removal (empty text, e.g. a footnote marker)
    or an insertion (empty original range, e.g. the space joining a wrapped title).
    """

    start: int
    end: int
    orig_start: int
    orig_end: int
    exact: bool = True


@dataclass(frozen=True)
class Block:
    """One addressable piece of a plan text: a heading, paragraph, table row, note, ...

    Attributes
    ----------
    id : str
        Stable readable id, e.g. ``fyp.ch6.s2.p1``, ``fyp.box1.r2``, ``wr.gloss.6``.
    doc : str
        Document id, ``wr`` or ``fyp``.
    kind : str
        One of ``heading``, ``paragraph``, ``row``, ``note``, ``glossary``, ``footnote``.
    text : str
        Normalised text (see the module docstring).
    headings : tuple of str
        Heading path in Chinese from the document title down; a heading ends with itself.
    heading_ids : tuple of str
        Ids of the headings in ``headings`` after the document title.
    spans : tuple of Span
        Piecewise mapping of ``text`` onto the original file.
    cells : tuple of str
        The cells of a tab-separated row (empty for other blocks).
    notes : tuple of str
        Ids of the footnotes this block refers to.
    """

    id: str
    doc: str
    kind: str
    text: str
    headings: tuple[str, ...]
    heading_ids: tuple[str, ...]
    spans: tuple[Span, ...]
    cells: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def start(self) -> int:
        """Offset in the original file where the block begins."""
        return min(s.orig_start for s in self.spans)

    @property
    def end(self) -> int:
        """Offset in the original file where the block ends."""
        return max(s.orig_end for s in self.spans)
