"""The parser of the plan texts: plain text converted from printed pages → :class:`Block` s.

It recognises the documents' structure (parts or chapters, sections, paragraphs, boxed columns,
the indicator table, the glossary, footnotes), repairs page breaks and normalises the few things
listed in :mod:`hedong_geo.plan`, keeping for every block the offsets of the original file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hedong_geo._plan_blocks import Block, Span

__all__ = ["normalise", "parse_document"]


def parse_document(doc: str, title: str, source: str) -> tuple[Block, ...]:
    """The blocks of one plan text ``source`` (document id ``doc``, Chinese ``title``)."""
    return tuple(_Parser(doc, title, source).parse())


_PM = re.compile(r"PM\s*_\{([0-9.]+)\}")
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


def normalise(text: str) -> str:
    """Apply the block-text normalisation to any text: ``PM_{2.5}``/``PM _{2.5}`` → ``PM2.5``."""
    return _PM.sub(r"PM\1", text)


# --- parsing ------------------------------------------------------------------------------

_TERMINAL = "。！？：；”"
_CN_NUM = "一二三四五六七八九十"
_CHAPTER = re.compile(rf"^第([{_CN_NUM}]+)章\s")
_SECTION = re.compile(rf"^第([{_CN_NUM}]+)节\s")
_PART = re.compile(rf"^([{_CN_NUM}]+)、")
_SUB = re.compile(rf"^（([{_CN_NUM}]+)）")
_BOX = re.compile(r"^专栏\s*(\d+)：")
_GLOSSARY = re.compile(r"^名词解释：?$")
_GLOSS_ENTRY = re.compile(r"^(\d+)\.")
_FOOTNOTE = re.compile(r"^([⁰¹²³⁴⁵⁶⁷⁸⁹]+)\s*")
_BACK = re.compile(r"^抄送")
_TABLE_NOTE = re.compile(r"^注：")
# A paragraph opening with a short lead sentence ("完善“多点”支撑。") is body text, never part of
# a boxed column written as prose (those open with a clause: "护仓河为海河支流之一，…").
_LEAD = re.compile(r"^[^，。：；、]{2,24}。")


def _cn_int(s: str) -> int:
    digits = {c: i for i, c in enumerate(_CN_NUM, 1)}
    if s == "十":
        return 10
    if s.startswith("十"):
        return 10 + digits[s[1]]
    if s.endswith("十"):
        return digits[s[0]] * 10
    if "十" in s:
        return digits[s[0]] * 10 + digits[s[2]]
    return digits[s]


@dataclass
class _Line:
    start: int  # offsets of the stripped line in the file
    end: int
    text: str  # stripped
    tab: bool  # a tab-separated row (tabs inside, or a trailing tab on a box title)


def _lines(text: str) -> list[_Line]:
    out, pos = [], 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        if stripped:
            lead = len(raw) - len(raw.lstrip())
            start = pos + lead
            out.append(_Line(start, start + len(stripped), stripped, "\t" in raw))
        pos += len(raw) + 1
    return out


class _TextBuilder:
    """Accumulates a block's text and its spans over the original."""

    def __init__(self, source: str, markers: str | None) -> None:
        self.source = source
        self.pattern = _PM if markers is None else re.compile(f"{_PM.pattern}|{markers}")
        self.parts: list[str] = []
        self.spans: list[Span] = []
        self.length = 0
        self.notes: list[str] = []

    def _put(self, text: str, orig_start: int, orig_end: int, exact: bool) -> None:
        self.spans.append(Span(self.length, self.length + len(text), orig_start, orig_end, exact))
        self.parts.append(text)
        self.length += len(text)

    def add(self, start: int, end: int) -> None:
        """Add original text ``source[start:end]``, normalised."""
        pos = start
        for m in self.pattern.finditer(self.source, start, end):
            if m.start() > pos:
                self._put(self.source[pos : m.start()], pos, m.start(), True)
            if m.group(0).startswith("PM"):
                self._put(normalise(m.group(0)), m.start(), m.end(), False)
            else:
                self._put("", m.start(), m.end(), False)
                self.notes.append(m.group(0).translate(_SUPERSCRIPT))
            pos = m.end()
        if end > pos:
            self._put(self.source[pos:end], pos, end, True)

    def insert(self, text: str, at: int) -> None:
        self._put(text, at, at, False)

    @property
    def text(self) -> str:
        return "".join(self.parts)


class _Parser:
    """Turns one plan text into blocks.

    One parser serves both documents: the work report has parts (一、) and subsections (（一）),
    the five-year plan chapters (第一章) and sections (第一节); both map onto the same two
    levels (``p``/``ch`` then ``s``).
    """

    def __init__(self, doc: str, title: str, source: str) -> None:
        self.doc, self.title, self.source = doc, title, source
        self.lines = _lines(source)
        notes = {m.group(1) for ln in self.lines if (m := _FOOTNOTE.match(ln.text))}
        self.markers = f"(?:{'|'.join(map(re.escape, sorted(notes)))})" if notes else None
        self.blocks: list[Block] = []
        self.top: tuple[str, str] | None = None  # (id, heading text) of the part or chapter
        self.sec: tuple[str, str] | None = None
        self.box: dict | None = None  # open boxed column or table
        self.where = "front"  # front | body | glossary | back
        self.counters: dict[str, int] = {}

    # -- helpers

    def _classify(self, ln: _Line) -> str:
        t = ln.text
        if _BOX.match(t):
            return "box"
        if ln.tab:
            return "tab"
        for name, rx in (
            ("chapter", _CHAPTER),
            ("section", _SECTION),
            ("part", _PART),
            ("sub", _SUB),
            ("glossary", _GLOSSARY),
            ("footnote", _FOOTNOTE),
            ("back", _BACK),
            ("note", _TABLE_NOTE),
        ):
            if rx.match(t):
                return name
        if self.where == "glossary" and _GLOSS_ENTRY.match(t):
            return "entry"
        return "plain"

    def _count(self, key: str) -> int:
        self.counters[key] = self.counters.get(key, 0) + 1
        return self.counters[key]

    def _path(self) -> tuple[list[str], list[str]]:
        names, ids = [self.title], []
        for part in (self.top, self.sec):
            if part:
                ids.append(part[0])
                names.append(part[1])
        if self.box:
            ids.append(self.box["id"])
            names.append(self.box["title"])
        return names, ids

    def _emit(
        self,
        block_id: str,
        kind: str,
        tb: _TextBuilder,
        cells: tuple[str, ...] = (),
    ) -> Block:
        names, ids = self._path()
        blk = Block(
            id=f"{self.doc}.{block_id}",
            doc=self.doc,
            kind=kind,
            text=tb.text,
            headings=tuple(names),
            heading_ids=tuple(f"{self.doc}.{i}" for i in ids),
            spans=tuple(tb.spans),
            cells=cells,
            notes=tuple(f"{self.doc}.fn.{n}" for n in tb.notes),
        )
        self.blocks.append(blk)
        return blk

    def _builder(self, *ranges: tuple[int, int]) -> _TextBuilder:
        tb = _TextBuilder(self.source, self.markers)
        for a, b in ranges:
            tb.add(a, b)
        return tb

    def _heading(self, block_id: str, start: int, end: int) -> None:
        """Emit a heading; the caller has already made it the current part, section or box."""
        self._emit(block_id, "heading", self._builder((start, end)))

    def _paragraph_lines(self, i: int, join) -> tuple[list[_Line], int]:
        """The lines of the paragraph opening at ``i`` (page-break repair) and the next index.

        Footnotes met on the way are emitted as their own blocks.
        """
        got = [self.lines[i]]
        j = i + 1
        while j < len(self.lines) and join(got[-1]):
            kind = self._classify(self.lines[j])
            if kind == "footnote":  # it sits between the two halves of a split paragraph
                self._footnote(self.lines[j])
                j += 1
                continue
            if kind not in ("plain",):
                break
            got.append(self.lines[j])
            j += 1
        return got, j

    def _footnote(self, ln: _Line) -> None:
        m = _FOOTNOTE.match(ln.text)
        number = m.group(1).translate(_SUPERSCRIPT)
        tb = _TextBuilder(self.source, None)
        tb.add(ln.start + m.end(), ln.end)
        self._emit(f"fn.{number}", "footnote", tb)

    def _close_box(self) -> None:
        self.box = None

    # -- main loop

    def parse(self) -> list[Block]:
        i, n = 0, len(self.lines)
        while i < n:
            i = self._step(i)
        self.blocks.sort(key=lambda b: b.start)  # footnotes were emitted before their paragraph
        ids = [b.id for b in self.blocks]
        if len(ids) != len(set(ids)):
            raise AssertionError(f"duplicate block ids in {self.doc}")
        return self.blocks

    def _step(self, i: int) -> int:
        ln = self.lines[i]
        kind = self._classify(ln)

        if self.where == "front" and kind not in ("chapter", "part"):
            return self._loose(i, "front")
        if kind == "back" or self.where == "back":
            self.where, self.top, self.sec, self.box = "back", None, None, None
            return self._loose(i, "back")

        # a tabular box or table ends at the first line that is not a row (or the table's note)
        box = self.box
        if box and box["tabular"] and kind != "tab" and not (kind == "note" and box["table"]):
            self._close_box()
        if box and not box["tabular"] and (kind != "plain" or _LEAD.match(ln.text)):
            self._close_box()

        if kind in ("chapter", "part"):
            self.where = "body"
            rx = _CHAPTER if kind == "chapter" else _PART
            number = _cn_int(rx.match(ln.text).group(1))
            self.top = (f"{'ch' if kind == 'chapter' else 'p'}{number}", "")
            self.sec = None
            return self._top_heading(i, kind)
        if kind in ("section", "sub"):
            rx = _SECTION if kind == "section" else _SUB
            number = _cn_int(rx.match(ln.text).group(1))
            sid = f"{self.top[0]}.s{number}"
            if kind == "sub" and "。" in ln.text:
                # a run-in subsection: "（一）抓牢政治建设，永葆忠诚本色。持续做好…" — the lead is
                # its heading, the whole paragraph its first paragraph
                lead_end = ln.start + ln.text.index("。")
                self.sec = (sid, self.source[ln.start : lead_end])
                self._heading(sid, ln.start, lead_end)
                nxt = self._paragraph(i, sid)
                self.sec = None  # what follows belongs to the part again
                return nxt
            self.sec = (sid, ln.text)
            self._heading(sid, ln.start, ln.end)
            return i + 1
        if kind == "box":
            number = int(_BOX.match(ln.text).group(1))
            nxt = self.lines[i + 1] if i + 1 < len(self.lines) else None
            tabular = ln.tab or (nxt is not None and nxt.tab)
            self.box = {"id": f"box{number}", "title": ln.text, "tabular": tabular, "table": False}
            self._heading(f"box{number}", ln.start, ln.end)
            return i + 1
        if kind == "tab":
            if not self.box:
                raise AssertionError(f"{self.doc}: row outside a table at offset {ln.start}")
            return self._row(ln, i)
        if kind == "note" and self.box and self.box["table"]:
            self._emit(f"{self.box['id']}.note", "note", self._builder((ln.start, ln.end)))
            self._close_box()
            return i + 1
        if kind == "footnote":
            self._footnote(ln)
            return i + 1
        if kind == "glossary":
            end = ln.start + len(ln.text.rstrip("："))
            self.where, self.top, self.sec = (
                "glossary",
                ("gloss", self.source[ln.start : end]),
                None,
            )
            self._heading("gloss", ln.start, end)
            return i + 1
        if kind == "entry":
            number = _GLOSS_ENTRY.match(ln.text).group(1)
            lines, nxt = self._paragraph_lines(i, _continues)
            self._emit(f"gloss.{number}", "glossary", self._joined(lines))
            return nxt
        # plain text: a table title (its next line is a row), a box row, or a paragraph
        if i + 1 < len(self.lines) and self.lines[i + 1].tab and not ln.tab and not _ends(ln.text):
            table_id = "ind" if "主要指标" in ln.text else f"tab{self._count('tables')}"
            self.box = {"id": table_id, "title": ln.text, "tabular": True, "table": True}
            self._heading(table_id, ln.start, ln.end)
            return i + 1
        if self.box:
            lines, nxt = self._paragraph_lines(i, _continues)
            bid = self.box["id"]
            self._emit(f"{bid}.r{self._count(bid)}", "row", self._joined(lines))
            return nxt
        container = self.sec[0] if self.sec else self.top[0] if self.top else "body"
        return self._paragraph(i, container)

    def _paragraph(self, i: int, container: str) -> int:
        lines, nxt = self._paragraph_lines(i, _continues)
        self._emit(f"{container}.p{self._count(container)}", "paragraph", self._joined(lines))
        return nxt

    def _joined(self, lines: list[_Line]) -> _TextBuilder:
        return self._builder(*((ln.start, ln.end) for ln in lines))

    def _row(self, ln: _Line, i: int) -> int:
        bid = self.box["id"]
        # cells come from the whole line: a leading tab is an empty first cell (a row that
        # continues a merged cell, e.g. "\t医护人员数\t注册护士数（人）…")
        line_start = self.source.rfind("\n", 0, ln.start) + 1
        line_end = self.source.find("\n", ln.end)
        raw = self.source[line_start : line_end if line_end >= 0 else len(self.source)]
        cells = tuple(normalise(c.strip()) for c in raw.rstrip().split("\t"))
        self._emit(f"{bid}.r{self._count(bid)}", "row", self._builder((ln.start, ln.end)), cells)
        return i + 1

    def _top_heading(self, i: int, kind: str) -> int:
        ln = self.lines[i]
        tb = self._builder((ln.start, ln.end))
        nxt = i + 1
        if kind == "chapter" and i + 1 < len(self.lines):
            # "第四章 以科技创新引领新质生产力发展" + "加快推动产业焕新升级": a title wrapped onto
            # the next line (short, unpunctuated, not a heading of its own)
            cont = self.lines[i + 1]
            if (
                self._classify(cont) == "plain"
                and not _ends(cont.text)
                and len(cont.text) <= 20
                and not (i + 2 < len(self.lines) and self.lines[i + 2].tab)
            ):
                tb.insert(" ", ln.end)
                tb.add(cont.start, cont.end)
                nxt = i + 2
        self.top = (self.top[0], tb.text)
        self._emit(self.top[0], "heading", tb)
        return nxt

    def _loose(self, i: int, where: str) -> int:
        """Front matter (notice, title, address) or back matter (抄送, issuing office): each line
        is a block, except a line ending in ，/、 or a "——" subtitle, which runs on."""

        def runs_on(last: _Line) -> bool:
            return last.text.endswith(("，", "、")) or (
                last.text.startswith("——") and not _ends(last.text)
            )

        lines, nxt = self._paragraph_lines(i, runs_on)
        if len(lines) > 1 and lines[0].text.startswith("——"):
            lines, nxt = lines[:2], i + 2
        self._emit(f"{where}.p{self._count(where)}", "paragraph", self._joined(lines))
        return nxt


def _ends(text: str) -> bool:
    return text.endswith(tuple(_TERMINAL))


def _continues(last: _Line) -> bool:
    """A paragraph line that ends without 。！？：；” runs on after the page break."""
    return not _ends(last.text)
