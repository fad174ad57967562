"""Where everything goes on the snapshot's sheet, computed from sizes in millimetres and points.

A :class:`Sheet` holds the rules (margins, gaps, type sizes, the side panel's share); from them
and the text to set, :func:`page_layout` computes a :class:`Layout` of boxes in millimetres
from the sheet's lower-left corner::

    ┌──────────────────────────────────────┐   landscape: the panel beside the map,
    │ title                                │   legend above the feature list;
    │ subtitle (as many lines as it wraps) │   portrait: the panel under the map,
    │ ┌───────────────────────┐ ┌────────┐ │   legend left of the list.
    │ │ map                   │ │ legend │ │
    │ │                       │ ├────────┤ │
    │ │                       │ │ list   │ │
    │ └───────────────────────┘ └────────┘ │
    │ note                                 │
    └──────────────────────────────────────┘

The boxes are turned into matplotlib figure fractions only when they are placed
(:meth:`Box.fraction`).
"""

from __future__ import annotations

from dataclasses import dataclass

from hedong_geo._errors import ExportError

__all__ = [
    "PAPER_MM",
    "SHEET",
    "Box",
    "Continuation",
    "Layout",
    "Sheet",
    "continuation_layout",
    "page_layout",
    "page_mm",
    "pt_to_mm",
    "text_width_em",
]

PAPER_MM = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}  # (short side, long side)
MM_PER_INCH = 25.4
PT_PER_INCH = 72.0


def pt_to_mm(points: float) -> float:
    """Typographic points to millimetres."""
    return points * MM_PER_INCH / PT_PER_INCH


@dataclass(frozen=True)
class Box:
    """A rectangle on the sheet: lower-left corner, width and height, in millimetres."""

    x: float
    y: float
    w: float
    h: float

    @property
    def top(self) -> float:
        return self.y + self.h

    def fraction(self, page: tuple[float, float]) -> tuple[float, float, float, float]:
        """The box in figure fractions of a ``page`` (width, height) in mm, for ``add_axes``."""
        width, height = page
        return (self.x / width, self.y / height, self.w / width, self.h / height)


@dataclass(frozen=True)
class Sheet:
    """The rules of the sheet; every box follows from them."""

    margin_mm: float = 7.0  # around everything
    gap_mm: float = 5.0  # between the map, the panel, the title block and the note
    title_pt: float = 15.0
    subtitle_pt: float = 8.0
    note_pt: float = 6.0
    legend_pt: float = 7.0
    leading: float = 1.3  # line height as a multiple of the type size
    # The side panel (legend and feature list) takes this share of the room inside the
    # margins: across in landscape, down in portrait. The map takes the rest.
    panel_share: float = 1 / 3
    legend_row: float = 1.55  # a legend entry's height, in multiples of its type size
    legend_max_share: float = 0.45  # of the panel's height in landscape; the list needs room
    legend_width_mm: float = 70.0  # in portrait, beside the list
    list_heading_pt: float = 14.0  # room for the list's heading above its columns
    north_inset_mm: float = 8.0  # north arrow's tip from the map's top-right corner
    north_length_mm: float = 18.0


SHEET = Sheet()


def page_mm(paper: str, orientation: str) -> tuple[float, float]:
    """Width and height of the sheet in millimetres."""
    if paper not in PAPER_MM:
        raise ExportError(f"unknown paper {paper!r}; expected one of {sorted(PAPER_MM)}")
    short, long = PAPER_MM[paper]
    if orientation == "portrait":
        return short, long
    if orientation == "landscape":
        return long, short
    raise ExportError(f"unknown orientation {orientation!r}; expected 'portrait' or 'landscape'")


@dataclass(frozen=True)
class Layout:
    """The boxes of one sheet, in millimetres."""

    page: tuple[float, float]
    sheet: Sheet
    title: Box
    subtitle: Box
    map: Box
    panel: Box
    note: Box

    @property
    def landscape(self) -> bool:
        return self.page[0] > self.page[1]

    def split_panel(self, legend_entries: int) -> tuple[Box, Box]:
        """The legend's box and the feature list's box for a legend of ``legend_entries``."""
        s, p = self.sheet, self.panel
        if self.landscape:
            wanted = (legend_entries + 2) * s.legend_row * pt_to_mm(s.legend_pt)
            legend_h = min(s.legend_max_share * p.h, wanted)
            legend = Box(p.x, p.top - legend_h, p.w, legend_h)
            return legend, Box(p.x, p.y, p.w, p.h - legend_h - s.gap_mm / 2)
        legend_w = min(s.legend_width_mm, p.w / 2)
        legend = Box(p.x, p.y, legend_w, p.h)
        return legend, Box(p.x + legend_w + s.gap_mm / 2, p.y, p.w - legend_w - s.gap_mm / 2, p.h)


def text_width_em(page: tuple[float, float], size_pt: float, sheet: Sheet = SHEET) -> float:
    """How many ems of ``size_pt`` type fit across the sheet inside its margins."""
    return (page[0] - 2 * sheet.margin_mm) / pt_to_mm(size_pt)


def page_layout(
    page: tuple[float, float],
    *,
    subtitle_lines: int,
    note_lines: int,
    title_lines: int = 1,
    sheet: Sheet = SHEET,
) -> Layout:
    """The boxes of a sheet of ``page`` (width, height) mm with that much title and note text."""
    width, height = page
    s = sheet
    inner_w = width - 2 * s.margin_mm

    title_h = title_lines * s.title_pt * s.leading * pt_to_mm(1)
    title = Box(s.margin_mm, height - s.margin_mm - title_h, inner_w, title_h)
    subtitle_h = subtitle_lines * s.subtitle_pt * s.leading * pt_to_mm(1)
    subtitle = Box(s.margin_mm, title.y - subtitle_h, inner_w, subtitle_h)
    note_h = note_lines * s.note_pt * s.leading * pt_to_mm(1)
    note = Box(s.margin_mm, s.margin_mm, inner_w, note_h)

    bottom = note.top + s.gap_mm
    room_h = subtitle.y - s.gap_mm - bottom
    if width > height:
        panel_w = s.panel_share * (inner_w - s.gap_mm)
        map_box = Box(s.margin_mm, bottom, inner_w - s.gap_mm - panel_w, room_h)
        panel = Box(map_box.x + map_box.w + s.gap_mm, bottom, panel_w, room_h)
    else:
        panel_h = s.panel_share * (room_h - s.gap_mm)
        panel = Box(s.margin_mm, bottom, inner_w, panel_h)
        map_box = Box(s.margin_mm, panel.top + s.gap_mm, inner_w, room_h - s.gap_mm - panel_h)
    return Layout(page, s, title, subtitle, map_box, panel, note)


@dataclass(frozen=True)
class Continuation:
    """The boxes of a page that continues the feature list: a heading, the list, the footer."""

    page: tuple[float, float]
    sheet: Sheet
    heading: Box
    body: Box
    note: Box


def continuation_layout(
    page: tuple[float, float], *, note_lines: int, sheet: Sheet = SHEET
) -> Continuation:
    """A continuation page: the title's line at subtitle size, then the list to the footer."""
    width, height = page
    s = sheet
    inner_w = width - 2 * s.margin_mm
    heading_h = 2 * (s.subtitle_pt + 2) * s.leading * pt_to_mm(1)  # two lines at 10 pt
    heading = Box(s.margin_mm, height - s.margin_mm - heading_h, inner_w, heading_h)
    note = Box(s.margin_mm, s.margin_mm, inner_w, note_lines * s.note_pt * s.leading * pt_to_mm(1))
    body = Box(
        s.margin_mm, note.top + s.gap_mm, inner_w, heading.y - s.gap_mm - note.top - s.gap_mm
    )
    return Continuation(page, s, heading, body, note)
