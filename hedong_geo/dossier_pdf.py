"""A :class:`~hedong_geo.dossier.Dossier` set as a PDF with fpdf2: A4 portrait text pages, the
map on an A4 landscape page of its own (the exports' sheet at its printed size, so its type is
as large as designed), the CJK font embedded (subset).

Every line is broken here, before it is set, from the font's own widths (:func:`break_lines`:
a line may break before any CJK character or between Latin words, never before a closing
punctuation mark; a Latin word longer than the line is split), so no text runs past the margin,
and a page break comes before any line that would not fit: text is never cut. No type is
smaller than :data:`MIN_PT`.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from fontTools.ttLib import TTCollection
from fpdf import FPDF
from matplotlib import font_manager

from hedong_geo.dossier import Dossier, Entry
from hedong_geo.exports import cjk_font_family
from hedong_geo.i18n import t
from hedong_geo.panel import Passage

__all__ = ["MIN_PT", "break_lines", "dossier_pdf"]

MIN_PT = 7.0
BODY_PT = 9.5
SMALL_PT = 7.5
PAGE = (210.0, 297.0)
MARGIN = (18.0, 16.0, 18.0, 18.0)  # left, top, right, bottom in mm
LEADING = 1.45
LABEL_W = 34.0  # the column of labels beside values  # line height as a multiple of the type size
PT_MM = 25.4 / 72
INK, GREY, ACCENT, WARN = (20, 20, 20), (95, 95, 95), (96, 64, 160), (170, 40, 30)
MARK_FILL = (255, 236, 150)

# Break opportunities: one CJK character (with any closing punctuation that follows it), a
# run of spaces, or a run of anything else (a Latin word, a number).
_CJK = r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]"
_CLOSE = r"[，。、；：！？）》」』”’,.;:!?)\]]"
_TOKENS = re.compile(
    rf"{_CJK}{_CLOSE}*|\s+|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+{_CLOSE}*"
)


@dataclass(frozen=True)
class Run:
    """A piece of one line set in one style."""

    text: str
    marked: bool = False


@lru_cache(maxsize=1)
def font_file() -> tuple[str, int]:
    """The file of the CJK font the figures use (:func:`hedong_geo.exports.cjk_font_family`)
    and, in a collection (``.ttc``), the number of its face: the Simplified Chinese one, whose
    glyphs are the mainland forms."""
    family = cjk_font_family()
    files = [e.fname for e in font_manager.fontManager.ttflist if e.name == family]
    files.sort(key=lambda f: f.lower().endswith(".ttc"))  # a single font before a collection
    path = files[0]
    if not path.lower().endswith(".ttc"):
        return path, 0
    for number, face in enumerate(TTCollection(path, lazy=True).fonts):
        if face["name"].getBestFamilyName() == family:
            return path, number
    return path, 0


def _pieces(text: str, marks: Sequence[tuple[int, int]]) -> list[tuple[str, bool]]:
    """``text`` cut at the marks' edges: (piece, inside a mark)."""
    edges = sorted({0, len(text), *(p for a, b in marks for p in (a, b) if 0 <= p <= len(text))})
    return [
        (text[a:b], any(ma <= a and b <= mb for ma, mb in marks))
        for a, b in itertools.pairwise(edges)
        if b > a
    ]


def break_lines(
    text: str, width: float, measure, marks: Sequence[tuple[int, int]] = ()
) -> list[list[Run]]:
    """``text`` broken into lines no wider than ``width`` as measured by ``measure(str)``;
    each line a list of runs (marked or not). Newlines in ``text`` end a line."""
    lines: list[list[Run]] = [[]]
    used = 0.0

    def put(token: str, marked: bool) -> None:
        nonlocal used
        size = measure(token)
        if token.isspace():
            if lines[-1] and used + size <= width:
                lines[-1].append(Run(token, marked))
                used += size
            return
        if lines[-1] and used + size > width:
            lines.append([])
            used = 0.0
        if size > width:  # a word longer than the line: split it where it must
            for char in token:
                put(char, marked)
            return
        lines[-1].append(Run(token, marked))
        used += size

    for piece, marked in _pieces(text, marks):
        for part_no, part in enumerate(piece.split("\n")):
            if part_no:
                lines.append([])
                used = 0.0
            for token in _TOKENS.findall(part):
                put(token, marked)
    return [_merge(line) for line in lines]


def _merge(line: list[Run]) -> list[Run]:
    """Neighbouring runs of one style joined; spaces at the end of the line dropped."""
    out: list[Run] = []
    for run in line:
        if out and out[-1].marked == run.marked:
            out[-1] = Run(out[-1].text + run.text, run.marked)
        else:
            out.append(run)
    if out:
        out[-1] = Run(out[-1].text.rstrip(), out[-1].marked)
    return [r for r in out if r.text]


class _Pdf(FPDF):
    """The pages, with a footer (title and page number) on the text pages."""

    footer_text = ""

    def footer(self) -> None:
        if self.w > self.h:  # the map's landscape sheet has its own notes at the foot
            return
        self.set_font("cjk", size=SMALL_PT)
        self.set_text_color(*GREY)
        self.set_y(-11)
        self.set_x(MARGIN[0])
        width = PAGE[0] - MARGIN[0] - MARGIN[2]
        self.cell(width - 20, 4, self.footer_text[:80])
        self.cell(20, 4, f"{self.page_no()} / {{nb}}", align="R")


class _Writer:
    """Sets blocks of text down the page, breaking lines and pages."""

    def __init__(self, title: str, lang: str, map_png: bytes | None = None) -> None:
        self.pdf = _Pdf(unit="mm", format="A4")
        self.pdf.set_auto_page_break(False)
        path, number = font_file()
        self.pdf.add_font("cjk", "", path, collection_font_number=number)
        # The embedded subset keeps the whole font's bounding box: recomputing it from every
        # outline would take most of the time it takes to write the file.
        self.pdf.fonts["cjk"].ttfont.recalcBBoxes = False
        self.pdf.set_title(title)
        self.pdf.set_creator("hedong-geo")
        self.pdf.set_lang("zh-CN" if lang == "zh" else "en")
        self.pdf.footer_text = title
        self.pdf.set_margins(MARGIN[0], MARGIN[1], MARGIN[2])
        self.width = PAGE[0] - MARGIN[0] - MARGIN[2]
        self.map_png = map_png
        self.new_page()

    def new_page(self) -> None:
        """The next text page; the map's page comes second, after the cover."""
        if self.map_png is not None and self.pdf.page_no() == 1:
            self.image_page()
        self.pdf.add_page(orientation="P")
        self.y = MARGIN[1]

    def measure(self, size: float):
        """Width in mm of a string at ``size`` pt, from the font's advance widths (what
        ``get_string_width`` sums, without its per-call text preparation: ten times faster)."""
        widths = self.pdf.current_font.cw
        scale = size * 0.001 / self.pdf.k
        return lambda text: sum(widths[ord(c)] for c in text) * scale

    def room(self, height: float) -> None:
        """Start a new page unless ``height`` mm fit above the bottom margin."""
        if self.y + height > PAGE[1] - MARGIN[3]:
            self.new_page()

    def text(
        self,
        text: str,
        size: float = BODY_PT,
        color: tuple[int, int, int] = INK,
        indent: float = 0.0,
        marks: Sequence[tuple[int, int]] = (),
        after: float = 1.2,
        bar: tuple[int, int, int] | None = None,
        keep: int = 1,
        label: str = "",
    ) -> None:
        """Set ``text`` as a paragraph; ``keep`` lines of it (or all, if fewer) stay together
        with whatever comes before on the page; ``bar`` draws a rule down its left side;
        ``label`` is set small and grey at the margin beside the first line."""
        size = max(size, MIN_PT)
        pdf = self.pdf
        pdf.set_font("cjk", size=size)
        line_h = size * PT_MM * LEADING
        text = text.replace("\t", "｜")  # a table row's cells: one character for one, marks hold
        measure = self.measure(size)
        lines = break_lines(text, self.width - indent, measure, marks)
        self.room(line_h * min(keep, len(lines)))
        for line in lines:
            self.room(line_h)
            x = MARGIN[0] + indent
            base = self.y + line_h * 0.75
            for run in line:
                w = measure(run.text)
                if run.marked:
                    pdf.set_fill_color(*MARK_FILL)
                    pdf.rect(x, self.y + line_h * 0.08, w, line_h * 0.84, style="F")
                pdf.set_text_color(*color)
                pdf.text(x, base, run.text)
                x += w
            if label:
                pdf.set_font("cjk", size=SMALL_PT)
                pdf.set_text_color(*GREY)
                pdf.text(MARGIN[0], base, label)
                pdf.set_font("cjk", size=size)
                label = ""
            if bar is not None:
                pdf.set_draw_color(*bar)
                pdf.set_line_width(0.5)
                pdf.line(
                    MARGIN[0] + indent - 2.5, self.y, MARGIN[0] + indent - 2.5, self.y + line_h
                )
            self.y += line_h
        self.y += after

    def heading(self, text: str, level: int = 1) -> None:
        size = {0: 17.0, 1: 12.5, 2: 10.5}[level]
        self.room(size * PT_MM * LEADING + 14)  # a heading never ends a page
        self.y += 2.5 if level else 0
        self.text(text, size=size, color=INK if level != 1 else ACCENT, after=1.5, keep=2)

    def rows(self, rows: Sequence[tuple[str, str]], size: float = BODY_PT) -> None:
        """Label–value rows: the label in grey beside the value (above it when too long)."""
        self.pdf.set_font("cjk", size=SMALL_PT)
        for label, value in rows:
            if self.pdf.get_string_width(label) > LABEL_W - 2:
                self.text(label, size=SMALL_PT, color=GREY, after=0.2, keep=2)
                self.text(value, size=size, indent=LABEL_W, after=0.8, keep=2)
            else:
                self.text(value, size=size, indent=LABEL_W, after=0.8, keep=2, label=label)

    def image_page(self) -> None:
        """The map sheet on an A4 landscape page at its printed size (once)."""
        png, self.map_png = self.map_png, None
        self.pdf.add_page(orientation="L")
        self.pdf.image(io.BytesIO(png), x=0, y=0, w=PAGE[1], h=PAGE[0])

    def finish(self) -> bytes:
        """The PDF; the map's page last if the text never left the cover."""
        if self.map_png is not None:
            self.image_page()
        return bytes(self.pdf.output())


def _passage(w: _Writer, p: Passage, lang: str) -> None:
    where = " › ".join(p.headings) or p.doc_title
    # As in the panel: no label for a passage that states no status, no one-character words.
    words = f" “{p.stance_words}”" if len(p.stance_words) > 1 else ""
    stance = f" · {p.stance_label}{words}" if p.stance != "none" else ""
    original = f" · {t('dos_original', lang)}" if lang != "zh" else ""
    w.text(
        f"{p.doc_title} · {where} · {p.block_id}{stance}{original}",
        size=SMALL_PT,
        color=GREY,
        indent=4,
        after=0.6,
        keep=3,
    )
    w.text(p.text, size=BODY_PT, indent=4, marks=p.marks, after=2.5, bar=ACCENT)


def _entry(
    w: _Writer, e: Entry, lang: str, level: int = 2, name: bool = True, passages: bool = True
) -> None:
    """One feature in full: name, relation, where it lies, provenance, timeline, figures and
    (``passages``) every passage."""
    colon = t("colon", lang)
    if name:
        w.heading(e.name, level)
        w.text(
            e.other_name + (f" · {e.relation}" if e.relation else ""),
            size=SMALL_PT,
            color=GREY,
            keep=2,
        )
    rows = [(t("layer", lang), e.layer_title), (t("status", lang), e.status)]
    if e.street:
        rows.append((t("street", lang), e.street))
    if e.zones:
        rows.append(
            (t("rel_within", lang), "、".join(e.zones) if lang == "zh" else "; ".join(e.zones))
        )
    w.rows(rows)
    w.text(t("dos_provenance", lang), size=SMALL_PT, color=GREY, after=0.2, keep=2)
    for line in e.provenance:
        w.text(line, size=8.5, indent=3, after=0.8)
    if e.timeline:
        w.text(t("timeline", lang), size=SMALL_PT, color=GREY, after=0.2, keep=2)
        for s in e.timeline:
            w.text(s.text() + f" · {s.block}", indent=3, after=0.6)
    if e.facts:
        w.text(t("figures", lang), size=SMALL_PT, color=GREY, after=0.2, keep=2)
        for f in e.facts:
            qual = f" ({f.qualifier})" if f.qualifier else ""
            w.text(
                f"{f.label} {f.value}{qual}{colon}“{f.words}” · {f.block_id}", indent=3, after=0.6
            )
    if passages:
        _passages(w, e, lang, SMALL_PT)


def _passages(w: _Writer, e: Entry, lang: str, size: float) -> None:
    title = f"{t('passages', lang)} ({len(e.passages)})"
    if size > SMALL_PT:
        w.heading(title, 1)
    else:
        w.text(title, size=size, color=GREY, after=0.8, keep=3)
    if not e.passages:
        w.text(t("dos_no_passages", lang), indent=4)
    for p in e.passages:
        _passage(w, p, lang)


def dossier_pdf(d: Dossier) -> bytes:
    """The dossier as PDF bytes: the cover (title, summary, warnings), the map page, the
    subject in full, then each section (members in full, neighbours one line each), notes."""
    lang = d.lang
    w = _Writer(d.title, lang, d.map_png)
    w.heading(d.title, 0)
    if d.subject is not None:
        w.text(d.subject.other_name, size=BODY_PT, color=GREY, after=0.5)
    w.text(d.subtitle, size=SMALL_PT, color=GREY, after=3)
    for warning in d.warnings:
        w.text(f"{t('dos_warning', lang)}{warning}", color=WARN, after=1.5)
    if d.summary:
        w.rows(d.summary)
    w.text(d.map_note + t("dos_map_page", lang), size=SMALL_PT, color=GREY)
    if d.subject is not None:
        _entry(w, d.subject, lang, name=False, passages=False)
    if d.subject is not None:
        _passages(w, d.subject, lang, 12.0)
    for section in d.sections:
        w.heading(section.title, 1)
        if section.note:
            w.text(section.note, size=SMALL_PT, color=GREY)
        if not section.entries:
            w.text(t("dos_none", lang), color=GREY)
        for e in section.entries:
            if e.full:
                _entry(w, e, lang)
            else:
                w.text(
                    f"• {e.name} · {e.relation}" + (f" · {e.street}" if e.street else ""),
                    indent=2,
                    after=0.8,
                )
    w.heading(t("dos_notes", lang), 1)
    for note in d.notes:
        w.text(note, size=8.0, color=GREY)
    return w.finish()
