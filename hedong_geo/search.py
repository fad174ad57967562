"""Ranked search over both plan texts.

Chinese has no spaces between words, so the index is built on character bigrams (and single
characters for one-character terms): ``天津站片区`` then finds a block that says ``天津站`` …
``片区`` even though the five characters never stand together. Blocks are ranked with BM25 over
the bigrams, weighted by how much of each query term the block holds and boosted when a term
stands there verbatim.

Search ignores ASCII spaces next to a Chinese character, as name matching does (both use
:func:`hedong_geo.text.squeeze`); offsets always point at the text as it stands.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from hedong_geo import plan
from hedong_geo._errors import UnknownIdError
from hedong_geo.templating import Markup, render
from hedong_geo.text import segments, squeeze

__all__ = ["Hit", "search"]

SNIPPET_CHARS = 80
_K1, _B = 1.2, 0.75


@dataclass(frozen=True)
class Hit:
    """One ranked search result.

    ``matches`` are ``(start, end)`` offsets in the block text; ``snippet`` is
    ``text[snippet_start : snippet_start + len(snippet)]`` and ``snippet_html`` the same text,
    HTML-escaped, with ``<mark>`` around the matches (and … where it was cut).
    """

    block_id: str
    doc: str
    kind: str
    headings: tuple[str, ...]
    score: float
    snippet: str
    snippet_start: int
    snippet_html: Markup
    matches: tuple[tuple[int, int], ...]


_WORD = re.compile(r"[\w+\-.%]+")  # runs between punctuation and whitespace


def _grams(squeezed: str) -> list[str]:
    """Character bigrams within each run of word characters (a lone character stands alone)."""
    grams = []
    for m in _WORD.finditer(squeezed):
        run = m.group(0)
        if len(run) == 1:
            grams.append(run)
        grams.extend(run[i : i + 2] for i in range(len(run) - 1))
    return grams


# --- the index ---------------------------------------------------------------------------


@dataclass
class _Index:
    blocks: tuple[plan.Block, ...]
    squeezed: list[str]
    where: list[list[int]]
    lengths: list[int]
    avg_length: float
    postings: dict[str, dict[int, int]]  # gram → {block index: count}
    chars: dict[str, dict[int, int]]  # single character → {block index: count}


@functools.lru_cache(maxsize=1)
def _index() -> _Index:
    blocks = plan.blocks()
    squeezed, where, lengths = [], [], []
    postings: dict[str, dict[int, int]] = defaultdict(dict)
    chars: dict[str, dict[int, int]] = defaultdict(dict)
    for i, blk in enumerate(blocks):
        s, w = squeeze(blk.text)
        squeezed.append(s)
        where.append(w)
        lengths.append(len(s))
        for gram, count in Counter(_grams(s)).items():
            if len(gram) == 2:
                postings[gram][i] = count
        for ch, count in Counter(s).items():
            chars[ch][i] = count
    avg = sum(lengths) / max(1, len(lengths))
    return _Index(blocks, squeezed, where, lengths, avg, dict(postings), dict(chars))


def _idf(df: int, n: int) -> float:
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def _term_grams(term: str) -> list[str]:
    grams = list(dict.fromkeys(_grams(term)))
    return grams or ([term] if term else [])


def _allowed(blk: plan.Block, doc: str | None, chapter: str | None) -> bool:
    if doc is not None and blk.doc != doc:
        return False
    if chapter is not None:
        return blk.id == chapter or blk.id.startswith(chapter + ".") or chapter in blk.heading_ids
    return True


def _check_filters(doc: str | None, chapter: str | None) -> None:
    if doc is not None:
        plan.document(doc)
    if chapter is not None:
        heading_ids = {b.id for b in plan.blocks() if b.kind == "heading"}
        if chapter not in heading_ids:
            plan.block(chapter)  # raises with the nearest ids when it does not exist at all
            if plan.block(chapter).kind != "heading":
                raise UnknownIdError(f"{chapter!r} is a block, not a heading to search under")


def search(
    query: str,
    doc: str | None = None,
    chapter: str | None = None,
    limit: int | None = 20,
) -> list[Hit]:
    """Ranked full-text search over the plan texts.

    Parameters
    ----------
    query : str
        One or more terms separated by spaces; a term may be a name or a whole phrase
        (``天津站片区``). Terms are matched by character bigrams, so the words of a term need
        not stand together.
    doc : str, optional
        Only this document (``wr`` or ``fyp``).
    chapter : str, optional
        Only blocks under this heading id, e.g. ``fyp.ch6``, ``fyp.ch6.s2``, ``wr.p2``.
    limit : int, optional
        Most hits to return (``None``: all).

    Returns
    -------
    list of Hit
        Best first; ties keep document order.
    """
    _check_filters(doc, chapter)
    terms = [squeeze(t)[0] for t in query.split()]
    terms = [t for t in terms if t]
    if not terms:
        return []
    idx = _index()
    n = len(idx.blocks)
    term_grams = [_term_grams(t) for t in terms]
    all_grams = list(dict.fromkeys(g for grams in term_grams for g in grams))

    scores: dict[int, float] = defaultdict(float)
    for gram in all_grams:
        posting = (idx.chars if len(gram) == 1 else idx.postings).get(gram)
        if not posting:
            continue
        idf = _idf(len(posting), n)
        for i, tf in posting.items():
            norm = _K1 * (1 - _B + _B * idx.lengths[i] / idx.avg_length)
            scores[i] += idf * tf * (_K1 + 1) / (tf + norm)

    ranked = []
    for i, bm25 in scores.items():
        blk = idx.blocks[i]
        if not _allowed(blk, doc, chapter):
            continue
        s = idx.squeezed[i]
        weight = 0.0
        for term, grams in zip(terms, term_grams, strict=True):
            if term in s:
                weight += 1.0
            else:
                held = sum(1 for g in grams if g in s)
                weight += 0.5 * (held / len(grams)) ** 2
        weight /= len(terms)
        if weight > 0:
            ranked.append((bm25 * weight, i))
    ranked.sort(key=lambda t: (-t[0], t[1]))
    if limit is not None:
        ranked = ranked[:limit]
    return [_hit(idx, i, score, terms, term_grams) for score, i in ranked]


def _hit(idx: _Index, i: int, score: float, terms: list[str], term_grams: list[list[str]]) -> Hit:
    blk = idx.blocks[i]
    matches = _matches(idx.squeezed[i], idx.where[i], blk.text, terms, term_grams)
    start, end = _window(matches, len(blk.text))
    return Hit(
        block_id=blk.id,
        doc=blk.doc,
        kind=blk.kind,
        headings=blk.headings,
        score=round(score, 4),
        snippet=blk.text[start:end],
        snippet_start=start,
        snippet_html=_mark(blk.text, start, end, matches),
        matches=tuple(matches),
    )


def _matches(
    s: str, where: list[int], text: str, terms: list[str], term_grams: list[list[str]]
) -> list[tuple[int, int]]:
    """Offsets in ``text`` of what matched: whole terms where they stand, else their bigrams."""
    marked = [False] * len(s)
    for term, grams in zip(terms, term_grams, strict=True):
        pieces = [term] if term in s else grams
        for piece in pieces:
            pos = s.find(piece)
            while pos >= 0:
                for k in range(pos, pos + len(piece)):
                    marked[k] = True
                pos = s.find(piece, pos + 1)
    runs: list[list[int]] = []
    for k, on in enumerate(marked):
        if not on:
            continue
        a, b = where[k], where[k] + 1
        # join runs split only by the spaces squeezing dropped ("棉 3 创意")
        if runs and text[runs[-1][1] : a].strip(" ") == "" and (k and marked[k - 1]):
            runs[-1][1] = b
        else:
            runs.append([a, b])
    return [(a, b) for a, b in runs]


def _window(matches: list[tuple[int, int]], length: int) -> tuple[int, int]:
    """The SNIPPET_CHARS-long stretch of the text holding the most matched characters."""
    if length <= SNIPPET_CHARS:
        return 0, length
    best, best_start = -1, 0
    for a, _ in matches or [(0, 0)]:
        start = max(0, min(a - 15, length - SNIPPET_CHARS))
        end = start + SNIPPET_CHARS
        covered = sum(max(0, min(end, y) - max(start, x)) for x, y in matches)
        if covered > best:
            best, best_start = covered, start
    return best_start, best_start + SNIPPET_CHARS


def _mark(text: str, start: int, end: int, matches: list[tuple[int, int]]) -> Markup:
    """``text[start:end]`` as escaped HTML with the matches in ``<mark>`` and … where cut."""
    return render(
        "snippet.html.j2",
        pieces=segments(text, [(a, b, True) for a, b in matches], start, end),
        cut_before=start > 0,
        cut_after=end < len(text),
    )
