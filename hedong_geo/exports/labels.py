"""Labels on the printed map that never overlap: placed by their measured size, in order.

Each label is measured once with the renderer the figure will be drawn by
(:meth:`~matplotlib.text.Text.get_window_extent`), then tried at candidate positions around its
anchor, best first: beside the point (or centred on an area), then the number alone beside it,
then the number further out on a leader line. A position is taken only if the label's box,
padded for its white halo, lies inside the map frame and touches no label placed before it nor
the frame's furniture (scale bar, north arrow). What cannot be placed is reported, never drawn
over another label: a feature keeps its number in the list; a basemap name is dropped.

Boxes are in display units (pixels at the figure's dpi); everything else in points.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from matplotlib import patheffects
from matplotlib.text import Text
from matplotlib.transforms import Bbox

__all__ = ["Label", "LabelPlacer", "boxes_overlap"]

HALO_PT = 1.0  # the white halo drawn around label text (and kept clear of other labels)
POINT_GAP_PT = 3.5  # from a point to the near edge of its label
LEADER_RADII_PT = (16.0, 26.0, 40.0, 58.0, 80.0)
LEADER_DIRECTIONS = 16


def boxes_overlap(a: Bbox, b: Bbox) -> bool:
    """Whether two boxes share any area (touching edges do not count)."""
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


@dataclass
class Label:
    """A label to place: its text(s), its anchor in data coordinates, how it is styled.

    ``short`` is the fallback text (the feature's number) used beside the anchor or on a
    leader when ``text`` does not fit; ``None`` means the label is dropped instead (basemap
    names). ``area`` labels try the anchor itself first (centred inside a polygon).
    """

    text: str
    x: float
    y: float
    short: str | None = None
    area: bool = False
    size: float = 6.5
    color: str = "black"
    weight: str = "normal"
    gid: str = "feature_label"
    style: dict[str, Any] = field(default_factory=dict)


class LabelPlacer:
    """Places :class:`Label` objects on ``ax`` one by one; none overlaps another.

    Parameters
    ----------
    ax : matplotlib Axes
        The map, with its limits set (so data → display is final).
    renderer : matplotlib renderer
        The renderer of the figure's canvas at its final dpi.
    obstacles : list of Bbox
        Display-space boxes labels must avoid (scale bar, north arrow).
    """

    def __init__(self, ax: Any, renderer: Any, obstacles: Iterable[Bbox] = ()) -> None:
        self.ax = ax
        self.renderer = renderer
        self.px_per_pt = ax.figure.dpi / 72.0
        frame = ax.get_window_extent(renderer)
        inset = 2 * self.px_per_pt
        self.frame = Bbox.from_extents(
            frame.x0 + inset, frame.y0 + inset, frame.x1 - inset, frame.y1 - inset
        )
        self.taken: list[Bbox] = list(obstacles)
        self.placed: list[Text] = []
        self.dropped: list[Label] = []

    # --- measuring -------------------------------------------------------------------------

    def _text(self, label: Label, content: str) -> Text:
        halo = [patheffects.withStroke(linewidth=2 * HALO_PT, foreground="white")]
        text = self.ax.text(
            label.x,
            label.y,
            content,
            fontsize=label.size,
            color=label.color,
            fontweight=label.weight,
            ha="left",
            va="bottom",
            linespacing=1.1,
            path_effects=halo,
            zorder=8,
            gid=label.gid,
            **label.style,
        )
        return text

    def _size(self, text: Text) -> tuple[float, float]:
        """The text's measured width and height; it stays hidden until it is placed."""
        box = text.get_window_extent(self.renderer)  # an invisible text measures as empty
        text.set_visible(False)
        return box.width, box.height

    # --- trying positions ------------------------------------------------------------------

    def _free(self, box: Bbox) -> bool:
        pad = HALO_PT * self.px_per_pt
        padded = Bbox.from_extents(box.x0 - pad, box.y0 - pad, box.x1 + pad, box.y1 + pad)
        inside = (
            padded.x0 >= self.frame.x0
            and padded.x1 <= self.frame.x1
            and padded.y0 >= self.frame.y0
            and padded.y1 <= self.frame.y1
        )
        return inside and not any(boxes_overlap(padded, other) for other in self.taken)

    def _beside(self, px: float, py: float, w: float, h: float, area: bool) -> list[Bbox]:
        """Boxes around the anchor, best first: centred (areas), right, left, above, below."""
        g = POINT_GAP_PT * self.px_per_pt
        spots = [(px + g, py - h / 2), (px - g - w, py - h / 2)]
        spots += [(px + g * 0.7, py + g * 0.7), (px + g * 0.7, py - g * 0.7 - h)]
        spots += [(px - g * 0.7 - w, py + g * 0.7), (px - g * 0.7 - w, py - g * 0.7 - h)]
        spots += [(px - w / 2, py + g), (px - w / 2, py - g - h)]
        if area:
            spots.insert(0, (px - w / 2, py - h / 2))
        return [Bbox.from_bounds(x, y, w, h) for x, y in spots]

    def _on_leader(self, px: float, py: float, w: float, h: float) -> Iterable[Bbox]:
        """Boxes centred on rings around the anchor, nearest first, starting to the right."""
        for radius in LEADER_RADII_PT:
            r = radius * self.px_per_pt
            for k in range(LEADER_DIRECTIONS):
                angle = 2 * math.pi * k / LEADER_DIRECTIONS
                cx, cy = px + r * math.cos(angle), py + r * math.sin(angle)
                yield Bbox.from_bounds(cx - w / 2, cy - h / 2, w, h)

    def _put(self, text: Text, box: Bbox) -> None:
        """Move ``text`` so its measured box is ``box``; mark the space taken."""
        x, y = self.ax.transData.inverted().transform((box.x0, box.y0))
        text.set_position((x, y))
        text.set_visible(True)
        self.taken.append(box)
        self.placed.append(text)

    def _leader(self, label: Label, box: Bbox, px: float, py: float) -> None:
        """A thin line from the anchor to the near edge of the label's box."""
        cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
        dx, dy = cx - px, cy - py
        scale = min(
            abs((box.width / 2) / dx) if dx else math.inf,
            abs((box.height / 2) / dy) if dy else math.inf,
        )
        ex, ey = cx - dx * min(scale, 1.0), cy - dy * min(scale, 1.0)
        inverse = self.ax.transData.inverted()
        (x0, y0), (x1, y1) = inverse.transform([(px, py), (ex, ey)])
        self.ax.plot([x0, x1], [y0, y1], color="0.25", linewidth=0.4, zorder=7.5, gid="leader")

    def place(self, label: Label) -> str | None:
        """Place ``label``; return how ("full", "short", "leader") or ``None`` if dropped."""
        px, py = self.ax.transData.transform((label.x, label.y))
        if not self.frame.contains(px, py):
            self.dropped.append(label)
            return None
        full = self._text(label, label.text)
        w, h = self._size(full)
        for box in self._beside(px, py, w, h, label.area):
            if self._free(box):
                self._put(full, box)
                return "full"
        full.remove()
        if label.short is None:
            self.dropped.append(label)
            return None
        short = self._text(label, label.short)
        w, h = self._size(short)
        for box in self._beside(px, py, w, h, label.area):
            if self._free(box):
                self._put(short, box)
                return "short"
        for box in self._on_leader(px, py, w, h):
            if self._free(box):
                self._put(short, box)
                self._leader(label, box, px, py)
                return "leader"
        short.remove()
        self.dropped.append(label)
        return None

    def place_all(self, labels: Sequence[Label]) -> list[str | None]:
        """Place each label in turn (earlier labels have the better spots)."""
        return [self.place(label) for label in labels]

    def avoid(self, xs: Sequence[float], ys: Sequence[float], radius_pt: float) -> None:
        """Keep labels off the markers at data points ``xs``, ``ys`` (a square of that radius)."""
        r = radius_pt * self.px_per_pt
        for px, py in self.ax.transData.transform(list(zip(xs, ys, strict=True))):
            self.taken.append(Bbox.from_extents(px - r, py - r, px + r, py + r))
