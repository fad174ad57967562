"""Place search as people type it: the one home for matching a query to a place's names.

A person looking for 一机床 may type it in traditional characters (一機床), with a digit for a
numeral (棉三 for 棉3, 1机床), in pinyin (``yijichuang``), by its initials (``yjc``), in English
(``machine tool``), or with a slip (一机窗, ``yijichaung``). Every name and alias of every place
is turned once into the forms compared here:

- :func:`normalise`: traditional → simplified (OpenCC), lower case, the ASCII spaces next to a
  Chinese character dropped (as :func:`hedong_geo.text.squeeze` does for the plan texts) and
  runs of Chinese numerals written as digits (十一 → 11, 三 → 3);
- :func:`pinyin`: the pinyin of the simplified name, in full and as initials (pypinyin).

:func:`match` ranks what a query finds (an exact name first, then names that start with it,
then names that hold it, then pinyin, initials and at last one-slip matches); :func:`suggest`
is the prefix matches for suggestions while typing; :func:`nearby` the closest names when
nothing matches. The plan texts' mentions are found by :mod:`hedong_geo.text`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

import opencc

from hedong_geo.text import squeeze

__all__ = [
    "Match",
    "Place",
    "match",
    "nearby",
    "normalise",
    "pinyin",
    "places_of",
    "suggest",
    "to_simplified",
]

# How a query found a place, best first: its rank is the position in this tuple.
HOW = (
    "exact",  # the whole name
    "prefix",  # the name starts with the query
    "contains",  # the name holds the query
    "pinyin",  # the name's pinyin starts with or holds the query
    "initials",  # the initials of the name's pinyin start with the query
    "typo",  # one character (or syllable letter) off, or a homophone
)
MIN_TYPO_CJK = 3  # a slip is allowed in a Chinese query of at least this many characters …
MIN_TYPO_LATIN = 5  # … and in a pinyin or English one of at least this many letters
MIN_PINYIN_INSIDE = 3  # pinyin matched inside a name (not at its start) from this length on

_DIGITS = {ch: str(i) for i, ch in enumerate("零一二三四五六七八九")} | {"〇": "0"}
_NUMERAL_RUN = re.compile(r"[〇零一二三四五六七八九十]+")
_LATIN = re.compile(r"^[a-z0-9 .'\-]+$")
_SUFFIXES = ("街道", "街")  # a 街道 is also called by its bare name: 二号桥街道 → 二号桥


@functools.lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s.json")


def to_simplified(text: str) -> str:
    """``text`` in simplified characters (OpenCC ``t2s``): 一機床 → 一机床."""
    return _converter().convert(text)


def _numeral(run: str) -> str:
    """A run of Chinese numerals as digits: 三 → 3, 十一 → 11, 二十 → 20, 一〇一 → 101."""
    if "十" not in run:
        return "".join(_DIGITS[ch] for ch in run)
    tens, _, ones = run.partition("十")
    if len(tens) > 1 or len(ones) > 1 or "十" in ones:
        return run  # not a number people write this way (十十, 一二十)
    return str(int(_DIGITS.get(tens, "1")) * 10 + int(_DIGITS.get(ones, "0")))


def normalise(text: str) -> str:
    """The form names are compared in: simplified, lower case, spaces next to Chinese dropped,
    Chinese numerals as digits (棉 三 創意 → 棉3创意)."""
    squeezed = squeeze(to_simplified(text.strip()))[0]
    return _NUMERAL_RUN.sub(lambda m: _numeral(m.group(0)), squeezed)


@functools.lru_cache(maxsize=4096)
def pinyin(text: str) -> tuple[str, str]:
    """The pinyin of ``text`` (simplified first) without tones or spaces, and its initials:
    ``("yijichuang", "yjc")`` for 一机床; letters and digits stay as they are."""
    import pypinyin  # ≈ 1 s to import (its phrase dictionary): only when a search needs it

    simple = squeeze(to_simplified(text))[0]
    syllables = [s for s in pypinyin.lazy_pinyin(simple, errors="default") if s.strip()]
    full = "".join(s.lower() for s in syllables if s.isalnum() or _LATIN.match(s.lower()))
    full = re.sub(r"[^a-z0-9]", "", full)
    initials = "".join(s[0].lower() for s in syllables if s[:1].isalnum())
    return full, initials


@dataclass(frozen=True)
class Place:
    """A place as search sees it: its id, names, aliases and layer."""

    id: str
    name_zh: str
    name_en: str
    aliases: tuple[str, ...] = ()
    layer: str = ""


@dataclass(frozen=True)
class Match:
    """A place a query found: how (one of :data:`HOW`) and by which of its names."""

    id: str
    name_zh: str
    name_en: str
    how: str
    matched: str  # the name or alias that matched, as written in the register
    layer: str = ""


@dataclass(frozen=True)
class _Key:
    """One name of a place in every form compared."""

    place: Place
    name: str
    is_alias: bool
    norm: str
    full: str  # pinyin
    initials: str
    english: bool


def places_of(layers) -> tuple[Place, ...]:
    """The places of a :class:`~hedong_geo.layers.LayerSet` search can find (context
    excluded), as a hashable tuple for :func:`match`."""
    features = layers.features()
    return tuple(
        Place(row.id, row.name_zh, row.name_en, tuple(row.aliases or ()), row.layer)
        for row in features.itertuples()
        if row.layer != "context"
    )


def _names(place: Place) -> list[tuple[str, bool, bool]]:
    """``(name, is_alias, is_english)`` for every name of a place, a 街道's bare name too."""
    out = [(place.name_zh, False, False)]
    for suffix in _SUFFIXES:
        if place.name_zh.endswith(suffix) and len(place.name_zh) > len(suffix) + 1:
            out.append((place.name_zh.removesuffix(suffix), True, False))
    out += [(alias, True, False) for alias in place.aliases]
    if place.name_en:
        out.append((place.name_en, False, True))
    return out


@functools.lru_cache(maxsize=8)
def _keys(places: tuple[Place, ...]) -> tuple[_Key, ...]:
    keys = []
    for place in places:
        for name, is_alias, english in dict.fromkeys(_names(place)):
            norm = normalise(name)
            if not norm:
                continue
            full, initials = ("", "") if english else pinyin(name)
            keys.append(_Key(place, name, is_alias, norm, full, initials, english))
    return tuple(keys)


def _substring_distance(query: str, text: str, most: int) -> int:
    """The fewest edits (insert, delete, replace, swap of neighbours) that turn ``query`` into
    some stretch of ``text``; ``most + 1`` as soon as it is sure to exceed ``most``."""
    if not query:
        return 0
    width = len(text) + 1
    before2: list[int] | None = None
    before = [0] * width  # a stretch may start anywhere: no cost before it
    for i, q in enumerate(query, 1):
        row = [i] + [0] * len(text)
        for j, ch in enumerate(text, 1):
            cost = 0 if q == ch else 1
            best = min(before[j] + 1, row[j - 1] + 1, before[j - 1] + cost)
            if before2 is not None and j > 1 and q == text[j - 2] and query[i - 2] == ch:
                best = min(best, before2[j - 2] + 1)
            row[j] = best
        if min(row) > most:
            return most + 1
        before2, before = before, row
    return min(before)


def _how(key: _Key, q: str, latin: bool) -> tuple[int, str] | None:
    """How ``key`` matches the normalised query: its rank (0 best) and the word for it (one of
    :data:`HOW`). Pinyin that is the whole name, or starts it, ranks with a name typed in
    characters (``tianjinzhan`` is 天津站 as surely as 天津站 is)."""
    for rank, found in enumerate((key.norm == q, key.norm.startswith(q), q in key.norm)):
        if found:
            return rank, HOW[rank]
    if latin and not key.english:
        compact = q.replace(" ", "")
        if key.full == compact:
            return 0, "pinyin"
        if key.full.startswith(compact):
            return 1, "pinyin"
        if len(compact) >= MIN_PINYIN_INSIDE and compact in key.full:
            return 3, "pinyin"
        if len(compact) >= 2 and key.initials.startswith(compact):
            return 4 if key.initials != compact else 3, "initials"
    return None


def _typo(key: _Key, q: str, q_pinyin: tuple[str, str], latin: bool) -> bool:
    """Whether ``key`` is one slip (or a homophone) away from the normalised query."""
    if latin:
        compact = q.replace(" ", "")
        if len(compact) < MIN_TYPO_LATIN:
            return False
        target = key.norm.replace(" ", "") if key.english else key.full
        return _substring_distance(compact, target, 1) <= 1
    if len(q) < MIN_TYPO_CJK or key.english:
        return False
    if q_pinyin[0] and len(q_pinyin[0]) >= MIN_TYPO_LATIN and q_pinyin[0] in key.full:
        return True  # 一机窗 sounds like 一机床
    return _substring_distance(q, key.norm, 1) <= 1


def _ranked(places: tuple[Place, ...], query: str, typos: bool) -> list[tuple[tuple, Match]]:
    q = normalise(query)
    if not q:
        return []
    latin = bool(_LATIN.match(q))
    q_pinyin = ("", "") if latin else pinyin(query)
    best: dict[str, tuple[tuple, Match]] = {}
    for key in _keys(places):
        how = _how(key, q, latin)
        if how is None and typos and _typo(key, q, q_pinyin, latin):
            how = (len(HOW), "typo")
        if how is None:
            continue
        order = (how[0], key.is_alias, len(key.norm), key.place.id)
        found = Match(
            key.place.id, key.place.name_zh, key.place.name_en, how[1], key.name, key.place.layer
        )
        if key.place.id not in best or order < best[key.place.id][0]:
            best[key.place.id] = (order, found)
    return sorted(best.values(), key=lambda item: item[0])


def match(places: Iterable[Place], query: str, limit: int | None = 10) -> list[Match]:
    """The places ``query`` finds, best first.

    Parameters
    ----------
    places : iterable of Place
        What to search (:func:`places_of` of the layers).
    query : str
        A name or part of one, in simplified or traditional characters, digits or Chinese
        numerals, pinyin (full or initials) or English; one slip is forgiven in a query of
        :data:`MIN_TYPO_CJK` Chinese characters or :data:`MIN_TYPO_LATIN` letters.
    limit : int, optional
        Most places to return (``None``: all).

    Returns
    -------
    list of Match
        Ranked by how they matched (:data:`HOW`), then names before aliases, shorter names
        first; each place once.
    """
    places = tuple(places)
    ranked = _ranked(places, query, typos=False)
    if limit is None or len(ranked) < limit:
        ranked = _ranked(places, query, typos=True)  # slips only fill what is left
    out = [m for _, m in ranked]
    return out if limit is None else out[:limit]


def suggest(places: Iterable[Place], typed: str, limit: int = 8) -> list[Match]:
    """Suggestions while typing: the places one of whose names (or its pinyin or initials)
    starts with what is typed so far, best first; no slips, so the list narrows as one types."""
    ranked = _ranked(tuple(places), typed, typos=False)
    return [m for order, m in ranked if order[0] <= 1 or m.how == "initials"][:limit]


def nearby(places: Iterable[Place], query: str, limit: int = 5) -> list[Match]:
    """The names closest to a query that found nothing (for "did you mean …"): at most a third
    of the query's characters (pinyin letters for a Latin query) off, closest first."""
    q = normalise(query)
    if not q:
        return []
    latin = bool(_LATIN.match(q))
    compact = q.replace(" ", "")
    most = max(1, len(compact) // 3)
    scored: dict[str, tuple[tuple, Match]] = {}
    for key in _keys(tuple(places)):
        if latin:
            target = key.norm.replace(" ", "") if key.english else key.full
        else:
            target = "" if key.english else key.norm
        if not target:
            continue
        distance = _substring_distance(compact, target, most)
        if distance > most:
            continue
        order = (distance, key.is_alias, len(key.norm), key.place.id)
        found = Match(
            key.place.id, key.place.name_zh, key.place.name_en, "typo", key.name, key.place.layer
        )
        if key.place.id not in scored or order < scored[key.place.id][0]:
            scored[key.place.id] = (order, found)
    return [m for _, m in sorted(scored.values(), key=lambda item: item[0])][:limit]
