"""The plan corpus: the two plan texts as blocks with stable ids, and citations into them.

The shipped texts (``geodata/plan/*.txt``) are plain text converted from printed pages. This
module parses each into its real structure (parts or chapters, sections, paragraphs, boxed
columns, the indicator table, glossary, footnote) and gives every block a readable id such as
``fyp.ch6.s2.p1`` or ``wr.gloss.6``. A block keeps the offsets of the original file it came from,
so a quote can be highlighted where it stands.

Block text differs from the original in these documented ways only:

- page-break repair: a paragraph split over a page break is joined into one block;
- ``PM_{2.5}`` and ``PM _{2.5}`` read ``PM2.5``;
- footnote markers (``¹``) are taken out of the body; the footnote is its own block and the
  paragraph lists it in ``Block.notes``;
- a chapter title wrapped onto a second line is joined with one space.

Offsets are ``str`` indices into the decoded (UTF-8) file text, not byte offsets.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from dataclasses import dataclass, field

from hedong_geo._errors import CitationError, UnknownIdError
from hedong_geo.paths import PLAN_DIR

__all__ = [
    "KINDS",
    "Block",
    "Citation",
    "Document",
    "Span",
    "UnknownBlockError",
    "block",
    "blocks",
    "cite",
    "document",
    "documents",
    "find_quote",
    "normalise",
    "to_original",
]

KINDS = ("heading", "paragraph", "row", "note", "glossary", "footnote")


class UnknownBlockError(UnknownIdError, CitationError):
    """A citation names a block id that does not exist (catch either parent)."""


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


@dataclass(frozen=True)
class Document:
    """One plan text with its metadata (from ``geodata/plan/documents.json``) and blocks."""

    id: str
    file: str
    number: str
    date: str
    year: int
    title_zh: str
    title_en: str
    sha256: str
    text: str = field(repr=False)
    blocks: tuple[Block, ...] = field(repr=False)
    delivered: str | None = None
    publication: str = ""

    def block(self, block_id: str) -> Block:
        """The block with this id; raises UnknownBlockError naming the nearest ids."""
        found = self._by_id.get(block_id)
        if found is None:
            raise UnknownBlockError(_unknown_message(block_id, list(self._by_id)))
        return found

    @functools.cached_property
    def _by_id(self) -> dict[str, Block]:
        return {b.id: b for b in self.blocks}

    def headings(self) -> tuple[Block, ...]:
        """The heading blocks, in document order (a table of contents)."""
        return tuple(b for b in self.blocks if b.kind == "heading")


@dataclass(frozen=True)
class Citation:
    """A quote checked against a block: where it stands in the block and in the original file.

    ``start``/``end`` index ``Block.text``; ``spans`` are original-file ranges to highlight.
    """

    doc: str
    block_id: str
    quote: str
    start: int
    end: int
    spans: tuple[tuple[int, int], ...]
    block_text: str = field(repr=False)


# --- loading ------------------------------------------------------------------------------


def _metadata() -> list[dict]:
    with open(PLAN_DIR / "documents.json", encoding="utf-8") as f:
        return json.load(f)


@functools.lru_cache(maxsize=1)
def documents() -> dict[str, Document]:
    """Both plan documents, parsed once and cached, keyed by document id (``wr``, ``fyp``)."""
    docs = {}
    for meta in _metadata():
        text = (PLAN_DIR / meta["file"]).read_text(encoding="utf-8")
        blocks = tuple(_Parser(meta["id"], meta["title_zh"], text).parse())
        docs[meta["id"]] = Document(
            id=meta["id"],
            file=meta["file"],
            number=meta["number"],
            date=meta["date"],
            year=meta["year"],
            title_zh=meta["title_zh"],
            title_en=meta["title_en"],
            sha256=meta["sha256"],
            text=text,
            blocks=blocks,
            delivered=meta.get("delivered"),
            publication=meta.get("publication", ""),
        )
    return docs


def document(doc_id: str) -> Document:
    """The document with this id (``wr`` or ``fyp``); raises UnknownIdError otherwise."""
    docs = documents()
    if doc_id not in docs:
        raise UnknownIdError(f"no document {doc_id!r}; the documents are {', '.join(docs)}")
    return docs[doc_id]


def blocks(doc: str | None = None) -> tuple[Block, ...]:
    """Every block of one document, or of both (work report first), in document order."""
    if doc is not None:
        return document(doc).blocks
    return tuple(b for d in documents().values() for b in d.blocks)


def block(block_id: str) -> Block:
    """The block with this id, in whichever document its prefix names.

    Raises UnknownBlockError (an UnknownIdError and a CitationError) naming the nearest ids.
    """
    doc_id = block_id.split(".", 1)[0]
    docs = documents()
    if doc_id not in docs:
        all_ids = [b.id for b in blocks()]
        raise UnknownBlockError(_unknown_message(block_id, all_ids))
    return docs[doc_id].block(block_id)


def has_block(block_id: str) -> bool:
    """Whether a block with this id exists (a link to check before following it)."""
    return any(block_id in doc._by_id for doc in documents().values())


def _unknown_message(block_id: str, ids: list[str]) -> str:
    near = difflib.get_close_matches(block_id, ids, n=3, cutoff=0.5)
    hint = f"; nearest: {', '.join(near)}" if near else ""
    return f"no block {block_id!r}{hint} (python -m hedong_geo plan toc lists the headings)"


# --- offsets and citations ----------------------------------------------------------------


def to_original(blk: Block, start: int = 0, end: int | None = None) -> tuple[tuple[int, int], ...]:
    """Map a range of ``blk.text`` to ranges of the original file text.

    A repaired block maps back piecewise (one range per original line it spans); a normalised
    piece maps to its whole original (``PM2.5`` → ``PM_{2.5}``).

    Parameters
    ----------
    blk : Block
    start, end : int
        Range in ``blk.text`` (``end`` defaults to the end of the text).

    Returns
    -------
    tuple of (int, int)
        Original-file ranges, in order, adjacent ranges merged.
    """
    end = len(blk.text) if end is None else end
    if not 0 <= start <= end <= len(blk.text):
        raise ValueError(f"range {start}:{end} is outside block {blk.id} (length {len(blk.text)})")
    out: list[list[int]] = []
    for s in blk.spans:
        if s.start == s.end:  # a removal (or insertion): keep it only strictly inside the range
            piece = (s.orig_start, s.orig_end) if start < s.start < end else None
        elif s.end <= start or s.start >= end:
            piece = None
        elif s.exact:
            lo, hi = max(start, s.start), min(end, s.end)
            piece = (s.orig_start + lo - s.start, s.orig_start + hi - s.start)
        else:
            piece = (s.orig_start, s.orig_end)
        if piece is None or piece[0] == piece[1]:
            continue
        if out and out[-1][1] == piece[0]:
            out[-1][1] = piece[1]
        else:
            out.append(list(piece))
    if not out:  # an empty range: the point where it stands
        point = _point(blk, start)
        return ((point, point),)
    return tuple((a, b) for a, b in out)


def _point(blk: Block, offset: int) -> int:
    for s in blk.spans:
        if s.start <= offset <= s.end and s.exact:
            return s.orig_start + offset - s.start
    return blk.start


def cite(block_id: str, quote: str, doc: str | None = None) -> Citation:
    """Check that ``quote`` stands verbatim in block ``block_id`` and say where.

    The quote is compared with the normalised block text (so ``PM2.5`` matches ``PM_{2.5}``).

    Raises
    ------
    UnknownBlockError
        The id does not exist (the message names the nearest ids).
    CitationError
        The quote is not in the block (the message names the closest passage in the block and
        the blocks where the words do stand, if any), or the block is not in ``doc``.
    """
    blk = block(block_id)
    if doc is not None and blk.doc != doc:
        raise CitationError(f"block {block_id!r} is in {blk.doc!r}, not in document {doc!r}")
    wanted = normalise(quote)
    if not wanted.strip():
        raise CitationError(f"empty quote {quote!r} for block {block_id!r}")
    pos = blk.text.find(wanted)
    if pos < 0:
        raise CitationError(_not_there_message(blk, quote, wanted))
    return _citation(blk, quote, pos, pos + len(wanted))


def _citation(blk: Block, quote: str, start: int, end: int) -> Citation:
    return Citation(blk.doc, blk.id, quote, start, end, to_original(blk, start, end), blk.text)


def find_quote(words: str, doc: str | None = None) -> list[Citation]:
    """Every place where ``words`` stand verbatim (normalised), one Citation per occurrence."""
    wanted = normalise(words)
    out = []
    if not wanted:
        return out
    for blk in blocks(doc):
        pos = blk.text.find(wanted)
        while pos >= 0:
            out.append(_citation(blk, words, pos, pos + len(wanted)))
            pos = blk.text.find(wanted, pos + 1)
    return out


def _not_there_message(blk: Block, quote: str, wanted: str) -> str:
    closest, ratio = _closest_passage(blk.text, wanted)
    msg = f"quote {quote!r} is not in block {blk.id!r}; "
    msg += f"closest there: {closest!r}" if ratio >= 0.4 else "nothing like it there"
    elsewhere = sorted({c.block_id for c in find_quote(wanted)})
    if elsewhere:
        return msg + f"; the words stand verbatim in {', '.join(elsewhere[:5])}"
    if ratio >= 0.8:  # a slip of the pen in the right block: no need to look elsewhere
        return msg
    from hedong_geo import search  # search imports this module

    hits = [h for h in search.search(wanted, limit=3) if h.block_id != blk.id]
    if hits:
        msg += f"; most similar elsewhere: {hits[0].block_id} ({hits[0].snippet[:40]!r})"
    return msg


def _closest_passage(text: str, wanted: str) -> tuple[str, float]:
    """The substring of ``text`` most like ``wanted`` (same length) and its difflib ratio."""
    n = min(len(wanted), len(text))
    best, best_ratio = text[:n], -1.0
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(wanted)
    for i in range(0, max(1, len(text) - n + 1)):
        matcher.set_seq1(text[i : i + n])
        if matcher.real_quick_ratio() <= best_ratio or matcher.quick_ratio() <= best_ratio:
            continue
        ratio = matcher.ratio()
        if ratio > best_ratio:
            best, best_ratio = text[i : i + n], ratio
    return best, best_ratio


# --- normalisation ------------------------------------------------------------------------

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
