"""Ranked search over both plan texts.

Chinese has no spaces between words, so the index (:func:`build_index`) is of character
bigrams (and single characters for one-character terms): ``天津站片区`` then finds a block
that says ``天津站`` … ``片区`` even though the five characters never stand together. Blocks
are ranked with BM25 over the bigrams, weighted by how much of each query term the block holds
and boosted when a term stands there verbatim.

Search ignores ASCII spaces next to a Chinese character, as name matching does (both use
:func:`hedong_geo.text.squeeze`), and reads a query in traditional characters as simplified;
offsets always point at the text as it stands.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from hedong_geo import names, plan
from hedong_geo._errors import UnknownIdError
from hedong_geo.i18n import block_position, heading_path, t
from hedong_geo.names import Match, Place, to_simplified
from hedong_geo.templating import Markup, render
from hedong_geo.text import segments, squeeze

__all__ = [
    "Corpus",
    "Hit",
    "Results",
    "build_index",
    "corpus_of",
    "find",
    "hit_label",
    "rank",
    "search",
]

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


# --- the corpus and the term frequencies ----------------------------------------------------


@dataclass(frozen=True)
class Corpus:
    """Blocks with their text normalised once: squeezed (:func:`hedong_geo.text.squeeze`),
    each character's offset in the block text, and the lengths BM25 needs."""

    blocks: tuple[plan.Block, ...]
    squeezed: tuple[str, ...]
    where: tuple[list[int], ...]
    lengths: tuple[int, ...]
    avg_length: float


def corpus_of(blocks: Iterable[plan.Block]) -> Corpus:
    """The :class:`Corpus` of ``blocks`` (any blocks: the benchmark makes larger ones)."""
    blocks = tuple(blocks)
    pairs = [squeeze(blk.text) for blk in blocks]
    lengths = tuple(len(s) for s, _ in pairs)
    avg = sum(lengths) / max(1, len(lengths))
    return Corpus(blocks, tuple(s for s, _ in pairs), tuple(w for _, w in pairs), lengths, avg)


@functools.lru_cache(maxsize=1)
def _corpus() -> Corpus:
    return corpus_of(plan.blocks())


Postings = dict[str, dict[int, int]]  # gram → {block index: occurrences}


def build_index(corpus: Corpus) -> Postings:
    """The inverted index of ``corpus``: every bigram within a run of word characters, and
    every character, with how often each block holds it.

    Search looks its grams up here. ``bench/bench_search.py`` holds it against a fair scan of
    the texts normalised once (the same ranking, the grams found with ``in``/``count``): the
    index ranks in about half the scan's time at the plan's size and at ten times it, so it is
    kept.
    """
    postings: Postings = defaultdict(dict)
    for i, s in enumerate(corpus.squeezed):
        for gram, count in Counter(g for g in _grams(s) if len(g) == 2).items():
            postings[gram][i] = count
        for ch, count in Counter(s).items():
            postings[ch][i] = count
    return dict(postings)


@functools.lru_cache(maxsize=1)
def _index() -> Postings:
    return build_index(_corpus())


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
    terms = [squeeze(to_simplified(t))[0] for t in query.split()]
    terms = [t for t in terms if t]
    if not terms:
        return []
    corpus = _corpus()
    postings = _index()
    ranked = rank(
        corpus, terms, lambda g: postings.get(g, {}), lambda blk: _allowed(blk, doc, chapter)
    )
    if limit is not None:
        ranked = ranked[:limit]
    term_grams = [_term_grams(t) for t in terms]
    return [_hit(corpus, i, score, terms, term_grams) for score, i in ranked]


def rank(
    corpus: Corpus,
    terms: list[str],
    frequencies: Callable[[str], dict[int, int]],
    allowed: Callable[[plan.Block], bool] = lambda blk: True,
) -> list[tuple[float, int]]:
    """``(score, block index)`` of the blocks holding the terms, best first (ties in corpus
    order): BM25 over the terms' bigrams, weighted by how much of each term a block holds and
    boosted where it stands verbatim. ``frequencies`` gives a gram's ``{block index:
    occurrences}``: search looks it up in :func:`build_index`'s index, the benchmark passes a
    scan to compare."""
    n = len(corpus.blocks)
    term_grams = [_term_grams(t) for t in terms]
    scores: dict[int, float] = defaultdict(float)
    for gram in dict.fromkeys(g for grams in term_grams for g in grams):
        posting = frequencies(gram)
        if not posting:
            continue
        idf = _idf(len(posting), n)
        for i, tf in posting.items():
            norm = _K1 * (1 - _B + _B * corpus.lengths[i] / corpus.avg_length)
            scores[i] += idf * tf * (_K1 + 1) / (tf + norm)
    ranked = []
    for i, bm25 in scores.items():
        if not allowed(corpus.blocks[i]):
            continue
        s = corpus.squeezed[i]
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
    return ranked


def _hit(idx: Corpus, i: int, score: float, terms: list[str], term_grams: list[list[str]]) -> Hit:
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


# --- places and passages together, for a search box ----------------------------------------


@dataclass(frozen=True)
class Results:
    """What a search box shows for one query.

    ``passages_for`` is the name the passages were sought for when it is not the query as
    typed (``yijichuang`` → 一机床, ``棉三`` → 棉3创意街区), ``""`` otherwise; ``nearby`` are
    the closest names when nothing was found (for "did you mean …")."""

    query: str
    places: tuple[Match, ...]
    passages: tuple[Hit, ...]
    passages_for: str = ""
    nearby: tuple[Match, ...] = ()

    @property
    def empty(self) -> bool:
        """Whether the query found neither a place nor a passage."""
        return not self.places and not self.passages


def _literal(query: str, top: Match) -> bool:
    """Whether ``top`` matched the query as typed (in characters, not pinyin, a numeral
    variant or a slip), so the passages are best sought for the query itself."""
    as_typed = squeeze(to_simplified(query))[0]
    return top.how in ("exact", "prefix", "contains") and names.normalise(query) == as_typed


def find(
    places: Iterable[Place], query: str, place_limit: int = 8, passage_limit: int = 6
) -> Results:
    """Places and passages for a search box: the places :func:`hedong_geo.names.match` finds,
    the passages :func:`search` finds (for the place's own name when the query found it by
    pinyin, a variant or a slip, so ``yijichuang`` shows the passages on 一机床) and, when
    nothing is found, the nearest names (:func:`hedong_geo.names.nearby`)."""
    query = query.strip()
    if not query:
        return Results(query, (), ())
    places = tuple(places)
    found = names.match(places, query, place_limit)
    sought = query
    if found and not _literal(query, found[0]):
        top = found[0]
        sought = top.name_zh if top.matched == top.name_en else top.matched
    hits = search(sought, limit=passage_limit)
    if not hits and sought != query:
        sought, hits = query, search(query, limit=passage_limit)
    nearby = () if found or hits else tuple(names.nearby(places, query))
    return Results(query, tuple(found), tuple(hits), "" if sought == query else sought, nearby)


def hit_label(hit: Hit, lang: str = "zh") -> str:
    """A passage found, named by where it stands, in ``lang``: the document, its heading and
    its place under it (``纲要 › 第四节 空间布局 › 专栏 1：金贸产业园 · 第 2 行`` / ``Plan outline
    › Section 4: Spatial layout › Box 1: Jinmao Industrial Park · row 2``), so no two results
    read alike."""
    blk = plan.block(hit.block_id)
    path = heading_path(blk, lang)[-2:]
    where = " › ".join((t(f"doc_short_{blk.doc}", lang), *path))
    position = block_position(blk, lang)
    return f"{where} · {position}" if position else where
