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
from dataclasses import dataclass, field

from hedong_geo._errors import CitationError, UnknownIdError
from hedong_geo._plan_blocks import KINDS, Block, Span
from hedong_geo._plan_parser import normalise, parse_document
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


class UnknownBlockError(UnknownIdError, CitationError):
    """A citation names a block id that does not exist (catch either parent)."""


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
        blocks = parse_document(meta["id"], meta["title_zh"], text)
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
    similar = _most_similar_block(wanted, exclude=blk.id)
    if similar is not None:
        msg += f"; most similar elsewhere: {similar.id} ({similar.text[:40]!r})"
    return msg


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _most_similar_block(wanted: str, exclude: str) -> Block | None:
    """The block sharing the largest share of ``wanted``'s character bigrams (at least half)."""
    grams = _bigrams(wanted)
    if not grams:
        return None
    best, best_share = None, 0.5
    for blk in blocks():
        share = len(grams & _bigrams(blk.text)) / len(grams)
        if blk.id != exclude and share > best_share:
            best, best_share = blk, share
    return best


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
