"""The plan reader: a document as HTML where every place the build cited links to its feature.

Pure functions, no Streamlit. The links come from the layers' citations: each citation names a
block and the offsets (``marks``) of the feature's mentions in it, so the reader marks what the
build found instead of searching again. Each block is an element with ``id="blk-<block id>"``
so a deep link (``?para=fyp.ch6.s2.p1``) can scroll to it; the highlighted block gets
``class="hd-hit"``. HTML comes from ``reader.html.j2`` and ``toc.html.j2`` (autoescaped).
"""

from __future__ import annotations

from collections import defaultdict

from hedong_geo import plan
from hedong_geo.i18n import t
from hedong_geo.layers import LayerSet
from hedong_geo.links import AppLinks, Links, anchor
from hedong_geo.templating import Markup, render
from hedong_geo.text import segments

_HEADING_TAGS = {1: "h2", 2: "h3", 3: "h4"}


def place_links(layers: LayerSet) -> dict[str, list[tuple[int, int, str]]]:
    """Block id → the cited mentions in it, ``(start, end, feature id)`` in text order.

    A mention cited by several features (a name two of them share) links to one: located
    features first, then by id, so the link opens the map where it can.
    """
    features = layers.features()
    features = features[features["layer"] != "context"]
    ordered = sorted(features.itertuples(), key=lambda r: (r.geometry is None, r.id))
    spans: dict[str, dict[tuple[int, int], str]] = defaultdict(dict)
    for row in ordered:
        for cite in row.citations or []:
            for start, end in cite.get("marks") or []:
                spans[cite["block"]].setdefault((start, end), row.id)
    return {
        block: sorted((a, b, fid) for (a, b), fid in found.items())
        for block, found in spans.items()
    }


def toc_html(doc_id: str, lang: str = "zh") -> Markup:
    """The document's table of contents as a nested list of links to the headings."""
    items = [
        (len(blk.heading_ids), anchor(blk.id), blk.text)
        for blk in plan.blocks(doc_id)
        if blk.kind == "heading"
    ]
    return render("toc.html.j2", title=t("toc", lang), items=items)


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
    (default: the app's views in ``lang``). Raises ``UnknownIdError`` for an unknown document.
    A plain string of finished HTML: to put it into another template, wrap it in ``Markup``.
    """
    links = links or AppLinks(lang)
    doc = plan.document(doc_id)
    cited = place_links(layers)
    blocks = []
    for blk in plan.blocks(doc_id):
        heading = blk.kind == "heading"
        blocks.append(
            {
                "id": blk.id,
                "anchor": anchor(blk.id),
                "tag": _HEADING_TAGS.get(len(blk.heading_ids), "h4") if heading else "p",
                "classes": f"hd-{blk.kind}" + (" hd-hit" if blk.id == highlight else ""),
                "pieces": segments(blk.text, cited.get(blk.id, [])),
                "pid": links.block(blk.id) or "#" + anchor(blk.id),
            }
        )
    html = render(
        "reader.html.j2",
        doc_id=doc_id,
        doc=doc,
        title=doc.title_zh if lang == "zh" else f"{doc.title_zh} — {doc.title_en}",
        toc=toc_html(doc_id, lang),
        blocks=blocks,
        links=links,
    )
    return str(html)


def scroll_script(block_id: str) -> str:
    """A script for a same-origin iframe that scrolls the parent page to a block."""
    return str(render("scroll.html.j2", anchor=anchor(block_id)))
