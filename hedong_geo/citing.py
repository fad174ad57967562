"""What the plan says about each feature: its citations, the stance of each, and its figures.

The build calls :func:`citations_by_feature` and :func:`facts_by_feature`; everything here is
derived from the plan texts and the reviewed data under ``geodata/review/``:

- a **citation** is every block naming the feature (its name or an alias, found by
  :func:`hedong_geo.text.find_mentions`, the longest name winning), or one a reviewer added
  (``cite_extra`` in the register). Its ``quote`` is the whole sentence (or list item, or table
  cell) around the first mention (:func:`hedong_geo.text.sentence`), so it can be read without
  opening the reader; a reviewed quote is kept as the reviewer wrote it. ``marks`` are the
  offsets of the feature's mentions: what the panel and the reader mark.
- its **stance** is what that passage states about the project (planned, to start, under way,
  done, existing, or nothing), with the words that say it (:mod:`hedong_geo.stance`).
- a feature's **facts** are the figures the texts give about it (``geodata/review/facts.csv``,
  checked by :func:`hedong_geo.facts.check_facts`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from hedong_geo import plan, stance, text
from hedong_geo.facts import check_facts, load_facts
from hedong_geo.register import Entry
from hedong_geo.stance import load_overrides

__all__ = [
    "citation_problems",
    "citations_by_feature",
    "facts_by_feature",
    "review_problems",
    "timeline",
]


def citations_by_feature(entries: tuple[Entry, ...]) -> dict[str, list[dict[str, Any]]]:
    """Every passage about each entry, as ``{doc, block, quote, marks, stance}`` in block order.

    ``cite_exclude_words`` drops mentions that sit inside those words (another sense of the
    name); ``cite_extra`` adds reviewed passages, and its quote wins over the sentence.
    """
    found = _found_by_names(entries)
    for entry in entries:
        for block_id, quote in entry.cite_extra:
            cite = found[entry.id].get(block_id)
            if cite is None:
                cite = found[entry.id][block_id] = _citation(block_id, _marks(entry, block_id))
            cite["quote"] = quote
    order = {blk.id: i for i, blk in enumerate(plan.blocks())}
    out = {}
    for fid, cites in found.items():
        out[fid] = [cites[b] for b in sorted(cites, key=order.__getitem__)]
        for cite in out[fid]:
            cite["stance"] = _stance(fid, cite)
    return out


def _found_by_names(entries: tuple[Entry, ...]) -> dict[str, dict[str, dict[str, Any]]]:
    """Feature id → block id → citation, from the mentions of every entry's names."""
    owners: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        for name in entry.names:
            owners[name].append(entry)
    found: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for mention in text.find_mentions(owners):
        block_text = plan.block(mention.block_id).text
        for entry in owners[mention.name]:
            if _excluded(entry, block_text, mention.start, mention.end):
                continue
            cite = found[entry.id].get(mention.block_id)
            if cite is None:
                cite = found[entry.id][mention.block_id] = _citation(mention.block_id, [])
            cite["marks"].append([mention.start, mention.end])
    for cites in found.values():
        for cite in cites.values():
            block_text = plan.block(cite["block"]).text
            cite["quote"] = text.sentence(block_text, *cite["marks"][0])
    return found


def _citation(block_id: str, marks: list[list[int]]) -> dict[str, Any]:
    return {"doc": plan.block(block_id).doc, "block": block_id, "quote": "", "marks": marks}


def _marks(entry: Entry, block_id: str) -> list[list[int]]:
    """The entry's own mentions in a reviewed block (none where the review cites it by sense)."""
    block_text = plan.block(block_id).text
    return [
        [a, b]
        for a, b, _ in text.find_spans(block_text, entry.names)
        if not _excluded(entry, block_text, a, b)
    ]


def _excluded(entry: Entry, block_text: str, start: int, end: int) -> bool:
    """Whether the mention at ``[start, end)`` sits inside one of the entry's excluded words."""
    return any(text.covers(block_text, word, start, end) for word in entry.cite_exclude_words)


def _stance(feature_id: str, cite: dict[str, Any]) -> dict[str, str]:
    """The citation's stance as the layer stores it: ``{value, words, rule}`` (``reason`` too
    when the passage states nothing)."""
    found = stance.citation_stance(feature_id, cite["block"], cite["marks"])
    out = {"value": found.stance, "words": found.words, "rule": found.rule}
    if found.reason:
        out["reason"] = found.reason
    return out


def facts_by_feature() -> dict[str, list[dict[str, Any]]]:
    """The figures the texts give about each feature, in the order of the facts file."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for fact in load_facts():
        value = int(fact.value) if fact.value.is_integer() else fact.value
        out[fact.feature_id].append(
            {
                "kind": fact.kind,
                "value": value,
                "unit": fact.unit,
                "qualifier": fact.qualifier,
                "doc": plan.block(fact.block_id).doc,
                "block": fact.block_id,
                "words": fact.words,
            }
        )
    return dict(out)


def citation_problems(feature_id: str, cite: dict[str, Any]) -> list[str]:
    """What is wrong with one citation of a layer, beyond its quote standing in the block
    (``plan.cite`` checks that): the quote must be whole sentences holding one of the marked
    mentions, and a stance of ``none`` must not hide words the rules do not know."""
    problems = []
    block_text = plan.block(cite["block"]).text
    start = block_text.find(cite["quote"])
    if start >= 0:
        end = start + len(cite["quote"])
        if not text.is_whole(block_text, start, end):
            problems.append(
                f"quote {cite['quote']!r} in {cite['block']} is not a whole sentence, list item "
                "or table cell: quote the sentence that names the place"
            )
        marks = cite.get("marks") or []
        if marks and not any(start <= a and b <= end for a, b in marks):
            problems.append(
                f"quote {cite['quote']!r} in {cite['block']} holds none of the marked mentions"
            )
    said = cite.get("stance") or {}
    if said.get("value") == "none" and said.get("reason", "").startswith("no rule knows"):
        problems.append(
            f"{cite['block']}: no stance rule knows the words around the mention; add a rule to "
            f"{stance.RULES.name} or an override to {stance.OVERRIDES.name} "
            f"({said['reason']})"
        )
    return problems


def review_problems(citations: dict[str, list[dict[str, Any]]], feature_ids: set[str]) -> list[str]:
    """Problems of the reviewed data: facts whose number is not in their passage, and stance
    overrides that contradict nothing (no such citation, or the rules already say the same)."""
    problems = check_facts(load_facts(), feature_ids)
    cited = {(fid, c["block"]): c for fid, cites in citations.items() for c in cites}
    for (fid, block_id), override in load_overrides().items():
        where = f"{stance.OVERRIDES.name} ({fid}, {block_id})"
        cite = cited.get((fid, block_id))
        if cite is None:
            problems.append(f"{where}: overrides a citation that does not exist")
            continue
        by_rules = stance.citation_stance(fid, block_id, cite["marks"], overrides={})
        if by_rules.stance == override.stance:
            problems.append(
                f"{where}: the rules already give {override.stance!r}; drop the override"
            )
    return problems


def timeline(citations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A project's status as each document states it, oldest document first.

    One step per document that cites the feature: ``{doc, year, stance, words, block}``, the
    stance that document states (its plan outranking its review of past years, as for the
    current status, :func:`hedong_geo.stance.current`) with the words and the passage that say
    it. Documents that state nothing (only ``none``) are left out.
    """
    by_doc: dict[str, list[tuple[str, stance.Stance]]] = defaultdict(list)
    for cite in citations:
        said = cite.get("stance") or {}
        step = stance.Stance(
            said.get("value", "none"),
            said.get("words", ""),
            said.get("rule", ""),
            stance.tense(cite["block"])[0],
        )
        by_doc[cite["doc"]].append((cite["block"], step))
    steps = []
    for doc_id in sorted(by_doc, key=lambda d: plan.document(d).date):
        value = stance.current(by_doc[doc_id])
        if value == "none":
            continue
        block, said = next((b, s) for b, s in by_doc[doc_id] if s.stance == value)
        year = plan.document(doc_id).year
        steps.append(
            {"doc": doc_id, "year": year, "stance": value, "words": said.words, "block": block}
        )
    return steps
