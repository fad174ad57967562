"""The plan reader: a document as HTML where every place mention links to its feature.

Pure functions, no Streamlit. Each block is an element with ``id="blk-<block id>"`` so a deep
link (``?para=fyp.ch6.s2.p1``) can scroll to it; the highlighted block gets ``class="hd-hit"``.
"""

from __future__ import annotations

import html
import json
from collections import defaultdict
from collections.abc import Callable
from functools import lru_cache

from hedong_geo import plan
from hedong_geo.i18n import t
from hedong_geo.layers import LayerSet
from hedong_geo.links import AppLinks, Links, anchor
from hedong_geo.text import find_mentions

_HEADING_TAGS = {1: "h2", 2: "h3", 3: "h4"}


def place_index(layers: LayerSet) -> dict[str, str]:
    """Every place name and alias → the id of the feature it names (located features first,
    so a name shared by a located and an unlocated feature links to the map)."""
    features = layers.features()
    features = features[features["layer"] != "context"]
    index: dict[str, str] = {}
    ordered = sorted(features.itertuples(), key=lambda r: (r.geometry is None, r.id))
    for row in ordered:
        for name in (row.name_zh, *row.aliases):
            index.setdefault(name, row.id)
    return index


@lru_cache(maxsize=4)
def _mentions(names: tuple[str, ...]) -> dict[str, list[tuple[int, int, str]]]:
    by_block: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for m in find_mentions(names):
        by_block[m.block_id].append((m.start, m.end, m.name))
    return by_block


def linked_text(
    text: str, spans: list[tuple[int, int, str]], index: dict[str, str], link: Callable[[str], str]
) -> str:
    """``text`` escaped, each span ``(start, end, name)`` an ``<a>`` to its feature."""
    out, last = [], 0
    for start, end, name in sorted(spans):
        if start < last:
            continue
        fid = index[name]
        out.append(html.escape(text[last:start]))
        out.append(
            f'<a class="hd-place" href="{html.escape(link(fid))}" data-feature="{html.escape(fid)}"'
            f' target="_self">{html.escape(text[start:end])}</a>'
        )
        last = end
    out.append(html.escape(text[last:]))
    return "".join(out)


def toc_html(doc_id: str, lang: str = "zh") -> str:
    """The document's table of contents as a nested list of links to the headings."""
    items = []
    for blk in plan.blocks(doc_id):
        if blk.kind != "heading":
            continue
        depth = len(blk.heading_ids)
        link = f'<a href="#{anchor(blk.id)}">{html.escape(blk.text)}</a>'
        items.append(f'<li class="hd-toc-{depth}">{link}</li>')
    return f'<nav class="hd-toc"><h4>{t("toc", lang)}</h4><ul>' + "".join(items) + "</ul></nav>"


def document_html(
    doc_id: str,
    layers: LayerSet,
    *,
    highlight: str | None = None,
    lang: str = "zh",
    links: Links | None = None,
) -> str:
    """A whole document as HTML: title, contents, then every block with place links.

    ``highlight`` is a block id to mark; ``links`` says where place links and ¶ links go
    (default: the app's views in ``lang``).
    """
    links = links or AppLinks(lang)
    link = links.feature
    doc = plan.document(doc_id)
    index = place_index(layers)
    mentions = _mentions(tuple(sorted(index)))
    parts = [f'<article class="hd-doc" data-doc="{doc_id}">']
    title = doc.title_zh if lang == "zh" else f"{doc.title_zh} — {doc.title_en}"
    parts.append(f"<h1>{html.escape(title)}</h1>")
    parts.append(f'<p class="hd-meta">{html.escape(doc.number)} · {doc.date}</p>')
    parts.append(toc_html(doc_id, lang))
    for blk in plan.blocks(doc_id):
        classes = f"hd-{blk.kind}" + (" hd-hit" if blk.id == highlight else "")
        body = linked_text(blk.text, mentions.get(blk.id, []), index, link)
        tag = _HEADING_TAGS.get(len(blk.heading_ids), "h4") if blk.kind == "heading" else "p"
        pid = links.block(blk.id) or "#" + anchor(blk.id)
        parts.append(
            f'<{tag} id="{anchor(blk.id)}" class="{classes}" data-block="{blk.id}">'
            f'{body} <a class="hd-pid" href="{html.escape(pid)}">'
            f"¶ {blk.id}</a></{tag}>"
        )
    parts.append("</article>")
    return "\n".join(parts)


def scroll_script(block_id: str) -> str:
    """A script for a same-origin iframe that scrolls the parent page to a block."""
    target = json.dumps(anchor(block_id))
    return (
        f"<script>const e = window.parent.document.getElementById({target});"
        "if (e) { e.scrollIntoView({block: 'center'}); }</script>"
    )
