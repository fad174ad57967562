"""Name matching in the plan texts: the one place that decides what counts as a mention.

The texts put ASCII spaces inside names (``棉 3 创意街区``, ``汪庄子 1 号地``), so every match
here ignores ASCII spaces next to a Chinese character. Offsets always point at the text as it
stands. The build finds each feature's mentions here and stores their offsets in the layer
(``citations[].marks``); the panel and the reader show those offsets instead of searching again.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from hedong_geo import plan

__all__ = [
    "Mention",
    "covers",
    "find_mentions",
    "is_whole",
    "segments",
    "sentence",
    "sentence_span",
    "squeeze",
]

T = TypeVar("T")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# A sentence or list item ends after one of these (kept in the quote) ...
SENTENCE_ENDS = "。！？；"
# ... and a table cell or a line ends before one of these (not kept).
CELL_BREAKS = "\t\n"


@dataclass(frozen=True)
class Mention:
    """A place name found in a block: ``text`` is ``block.text[start:end]`` (spaces included)."""

    name: str
    block_id: str
    doc: str
    start: int
    end: int
    text: str


def _is_cjk(ch: str) -> bool:
    return bool(_CJK.match(ch))


def squeeze(text: str) -> tuple[str, list[int]]:
    """Lower-case ``text`` without the ASCII spaces next to a Chinese character.

    Returns the squeezed text and, for each of its characters, the index in ``text``.
    """
    out: list[str] = []
    where: list[int] = []
    n = len(text)
    for i, ch in enumerate(text):
        if ch == " ":
            j = i
            while j < n and text[j] == " ":
                j += 1
            before = text[i - 1] if i else ""
            after = text[j] if j < n else ""
            if (before and _is_cjk(before)) or (after and _is_cjk(after)) or not before:
                continue
        out.append(ch.lower())
        where.append(i)
    return "".join(out), where


@functools.lru_cache(maxsize=1)
def squeezed_blocks() -> tuple[tuple[plan.Block, str, list[int]], ...]:
    """Every block of both documents with its squeezed text and offset map (made once)."""
    return tuple((blk, *squeeze(blk.text)) for blk in plan.blocks())


def find_spans(text: str, names: Iterable[str]) -> list[tuple[int, int, str]]:
    """Where ``names`` occur in ``text``: ``(start, end, name)`` in text order.

    Where names overlap the longest wins (``天津站北广场`` over ``天津站``); a shorter name still
    counts where it stands on its own.
    """
    squeezed, where = squeeze(text)
    return _spans(squeezed, where, _keys(names))


def _keys(names: Iterable[str]) -> dict[str, str]:
    """Squeezed name → the name as given, longest first."""
    wanted: dict[str, str] = {}
    for name in names:
        key = squeeze(name)[0]
        if key:
            wanted.setdefault(key, name)
    return dict(sorted(wanted.items(), key=lambda item: len(item[0]), reverse=True))


def _spans(squeezed: str, where: list[int], keys: dict[str, str]) -> list[tuple[int, int, str]]:
    taken = [False] * len(squeezed)
    found = []
    for key, name in keys.items():
        pos = squeezed.find(key)
        while pos >= 0:
            end = pos + len(key)
            if not any(taken[pos:end]):
                taken[pos:end] = [True] * len(key)
                found.append((where[pos], where[end - 1] + 1, name))
            pos = squeezed.find(key, pos + 1)
    return sorted(found)


def find_mentions(names: Iterable[str], doc: str | None = None) -> list[Mention]:
    """Every mention of the given place names in the plan texts.

    Parameters
    ----------
    names : iterable of str
    doc : str, optional
        Only this document (``wr`` or ``fyp``).

    Returns
    -------
    list of Mention
        In document order; offsets index ``Block.text``.
    """
    if doc is not None:
        plan.document(doc)  # raises UnknownIdError naming an unknown document
    keys = _keys(names)
    out = []
    for blk, squeezed, where in squeezed_blocks():
        if doc is not None and blk.doc != doc:
            continue
        for start, end, name in _spans(squeezed, where, keys):
            out.append(Mention(name, blk.id, blk.doc, start, end, blk.text[start:end]))
    return out


def covers(text: str, word: str, start: int, end: int) -> bool:
    """Whether an occurrence of ``word`` (spaces ignored) in ``text`` covers ``[start, end)``."""
    return any(a <= start and end <= b for a, b, _ in find_spans(text, [word]))


def sentence_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The whole sentence, list item or table cell of ``text`` around ``text[start:end]``.

    A sentence ends after 。！？ or the ； that closes a list item; a table cell or line ends at a
    tab or a line break. The span covers the mention even where a stop sits inside it, and has no
    surrounding white space. Use it to quote a mention with the words that say where and what:
    the clause alone (``重点加快 18 号地、四号台、棉一地块等项目建设，``) can drop the place it
    belongs to (``大直沽片区``), the sentence never does.

    Returns
    -------
    tuple of int
        ``(left, right)`` offsets into ``text``: ``text[left:right]`` is the sentence.
    """
    if not 0 <= start <= end <= len(text):
        raise ValueError(f"span [{start}, {end}) is outside a text of {len(text)} characters")
    left = start
    while left > 0 and text[left - 1] not in SENTENCE_ENDS + CELL_BREAKS:
        left -= 1
    right = end
    while right < len(text) and text[right] not in CELL_BREAKS:
        right += 1
        if text[right - 1] in SENTENCE_ENDS:
            break
    while left < right and text[left].isspace():
        left += 1
    while right > left and text[right - 1].isspace():
        right -= 1
    return left, right


def sentence(text: str, start: int, end: int) -> str:
    """The whole sentence (or list item, or table cell) containing ``text[start:end]``.

    See :func:`sentence_span`; the result is a verbatim substring of ``text``.
    """
    left, right = sentence_span(text, start, end)
    return text[left:right]


def is_whole(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is made of whole sentences (list items, table cells): it
    begins where a sentence begins and ends where one ends, white space aside."""
    before = text[:start].rstrip()
    after = text[end:].lstrip()
    quote = text[start:end].strip()
    begins = (
        not before or before[-1] in SENTENCE_ENDS + CELL_BREAKS or text[start - 1] in CELL_BREAKS
    )
    ends = (
        not after or quote[-1:] in tuple(SENTENCE_ENDS) or text[end : end + 1] in tuple(CELL_BREAKS)
    )
    return bool(quote) and begins and ends


def segments(
    text: str, spans: Iterable[tuple[int, int, T]], start: int = 0, end: int | None = None
) -> list[tuple[str, T | None]]:
    """``text[start:end]`` cut at ``spans`` (``(a, b, tag)`` offsets): ``(piece, tag)`` for each
    span and ``(piece, None)`` between them, for a template to mark or link.

    Spans are clipped to the window; one overlapping an earlier span is left out.
    """
    end = len(text) if end is None else end
    out: list[tuple[str, T | None]] = []
    pos = start
    for a, b, tag in sorted(spans, key=lambda span: (span[0], span[1])):
        a, b = max(a, start), min(b, end)
        if a < pos or a >= b:
            continue
        if a > pos:
            out.append((text[pos:a], None))
        out.append((text[a:b], tag))
        pos = b
    if pos < end:
        out.append((text[pos:end], None))
    return out
