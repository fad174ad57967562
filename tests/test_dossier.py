"""The dossier of a place or zone: complete passages with their heading paths, a zone's members,
provenance in words, and a PDF checked with poppler (fonts embedded, pages, every word inside
the page and at least 7 pt, every passage's text all there)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hedong_geo import citing, dossier, plan, settings
from hedong_geo.cli import main
from hedong_geo.dossier_pdf import MARGIN, MIN_PT, break_lines, dossier_pdf
from hedong_geo.i18n import heading_path
from hedong_geo.layers import load_layers

DEVELOPER_IDS = re.compile(
    r"osm\.(?:area|node|way|relation)\.\d|\bref\.[a-z]|geodata/|\w\.(?:csv|geojson|md|yaml)\b"
)
ZONES = [
    "park.jinmao",
    "park.yijichuang",
    "park.quadrant.se",
    "station.zone.hedong",
    "street.120102005",
]


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        if settings.get().require_gdal:
            pytest.fail(f"HEDONG_GEO_REQUIRE_GDAL is set but {tool} is not installed")
        pytest.skip(f"not installed: apt-get install poppler-utils to run the {tool} checks")
    return path


@pytest.fixture(scope="module")
def layers():
    return load_layers()


@pytest.fixture(scope="module")
def texts(layers):
    """Dossiers without their map (the data, both languages)."""
    return {
        (fid, lang): dossier.build_dossier(layers, fid, lang, with_map=False)
        for fid in [*ZONES, "renewal.dazhigu-area"]
        for lang in ("zh", "en")
    }


@pytest.fixture(scope="module")
def pdfs(layers, tmp_path_factory):
    """The PDFs, with their maps, of a crowded zone in Chinese and a 街道 in English."""
    folder = tmp_path_factory.mktemp("dossiers")
    out = {}
    for fid, lang in (("park.jinmao", "zh"), ("street.120102005", "en")):
        found = dossier.build_dossier(layers, fid, lang)
        out[(fid, lang)] = (found, dossier.write_dossier(found, folder / f"{fid}.{lang}.pdf"))
    return out


def _entries(d: dossier.Dossier):
    yield d.subject
    for section in d.sections:
        yield from (e for e in section.entries if e.full)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("fid", [*ZONES, "renewal.dazhigu-area"])
def test_every_passage_in_full_with_its_heading_path(layers, texts, fid, lang):
    d = texts[(fid, lang)]
    for entry in _entries(d):
        cited = [c["block"] for c in layers.feature(entry.id)["citations"] or []]
        assert [p.block_id for p in entry.passages] == cited, entry.id
        for p in entry.passages:
            blk = plan.block(p.block_id)
            assert p.text == blk.text  # the whole block, not the quote
            # The heading path in the dossier's language (English headings where they exist).
            assert p.headings == heading_path(blk, lang)
            assert lang == "en" or p.headings == tuple(blk.headings[1:])
            assert p.doc == blk.doc


def test_the_timeline_and_figures_are_the_layers(layers, texts):
    for (fid, _lang), d in texts.items():
        row = layers.feature(fid)
        steps = citing.timeline(list(row["citations"] or []))
        assert [(s.doc, s.stance, s.block) for s in d.subject.timeline] == [
            (s["doc"], s["stance"], s["block"]) for s in steps
        ]
        assert [f.block_id for f in d.subject.facts] == [f["block"] for f in row["facts"] or []]


def test_a_zone_lists_its_members_with_their_passages(layers, texts):
    park = texts[("park.jinmao", "zh")]
    assert park.kind == "zone"
    members = {e.id for e in park.sections[0].entries}
    listed = set(layers.features().query("parent == 'park.jinmao'")["id"])
    assert listed and listed <= members
    assert {"park.quadrant.ne", "park.quadrant.se"} <= members
    assert all(e.full and e.relation for e in park.sections[0].entries)
    quadrant = texts[("park.quadrant.se", "en")]
    assert "park.tianjin-electric-institute" in {e.id for e in quadrant.sections[0].entries}
    street = texts[("street.120102005", "zh")]
    features = layers.features().query("layer != 'context'")  # reference points are not plan
    placed = set(features[features["street"] == "street.120102005"]["id"])
    assert placed <= {e.id for e in street.sections[0].entries}


def test_a_place_says_where_it_lies_and_what_is_near(layers, texts):
    place = dossier.build_dossier(
        layers, "park.ceec-tianjin-power-construction", "en", with_map=False
    )
    assert place.kind == "feature" and len(place.sections) == 1
    assert "Jinmao park, north-east quadrant" in place.subject.zones
    assert place.subject.street and "Erhaoqiao" in place.subject.street
    wide = dossier.build_dossier(layers, "park.yijichuang", "en", near_m=1000, with_map=False)
    near = wide.sections[-1].entries
    assert near and all(not e.full and "m away" in e.relation for e in near)
    assert wide.sections[-1].title == "Within 1000 m"


def test_provenance_is_in_words_without_developer_ids(layers):
    for fid in layers.features().query("layer != 'context'")["id"]:
        for lang in ("zh", "en"):
            lines = dossier.provenance(layers, layers.feature(fid), lang)
            assert lines, fid
            for line in lines:
                assert not DEVELOPER_IDS.search(line), (fid, line)


def test_english_marks_chinese_passages_as_authoritative(texts):
    html = dossier.dossier_html(texts[("park.quadrant.se", "en")])
    assert html.count("Chinese original, the authoritative text") >= 1
    assert 'lang="zh-CN"' in html and "<mark>" in html


def test_html_stands_alone_and_escapes(layers, tmp_path):
    d = dossier.build_dossier(layers, "park.quadrant.se", "zh")
    out = dossier.write_dossier(d, tmp_path / "se.html")
    html = out.read_text(encoding="utf-8")
    assert 'src="data:image/png;base64,' in html
    assert "http://" not in html and "https://" not in html  # nothing fetched
    for p in d.subject.passages:
        assert f'data-block="{p.block_id}"' in html
    d.title = "<script>x</script>"
    assert "<script>x</script>" not in dossier.dossier_html(d)


def test_pdf_embeds_its_cjk_font(pdfs):
    tool = _poppler("pdffonts")
    for _d, path in pdfs.values():
        rows = subprocess.run([tool, path], capture_output=True, text=True, check=True).stdout
        fonts = rows.splitlines()[2:]
        assert fonts and any("CJK" in row for row in fonts)
        for row in fonts:
            assert row.split()[-5] == "yes", row  # emb


def _page_sizes(path: Path) -> list[tuple[float, float]]:
    tool = _poppler("pdfinfo")
    out = subprocess.run(
        [tool, "-f", "1", "-l", "999", path], capture_output=True, text=True, check=True
    ).stdout
    return [
        (float(m[1]), float(m[2]))
        for m in re.finditer(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", out)
    ]


def test_pdf_pages_are_a4_with_the_map_landscape_second(pdfs):
    for _d, path in pdfs.values():
        sizes = _page_sizes(path)
        assert len(sizes) >= 3
        assert sizes[1] == pytest.approx((841.89, 595.28), abs=0.5)  # the map
        for i, size in enumerate(sizes):
            if i != 1:
                assert size == pytest.approx((595.28, 841.89), abs=0.5)


def test_pdf_text_stays_inside_the_page_at_7_pt_or_more(pdfs):
    tool = _poppler("pdftotext")
    left = MARGIN[0] * 72 / 25.4
    for _d, path in pdfs.values():
        out = subprocess.run(
            [tool, "-bbox", path, "-"], capture_output=True, text=True, check=True
        ).stdout
        pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', out, re.S)
        for width, height, body in pages:
            words = re.findall(
                r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)"', body
            )
            for x0, y0, x1, y1 in ((float(v) for v in w) for w in words):
                assert x0 >= left - 1 and x1 <= float(width) - left + 1, (path, x0, x1)
                assert y0 >= 0 and y1 <= float(height)
                assert y1 - y0 >= MIN_PT, (path, y1 - y0)


def test_pdf_holds_every_passage_whole(pdfs):
    tool = _poppler("pdftotext")
    for d, path in pdfs.values():
        text = subprocess.run([tool, path, "-"], capture_output=True, text=True, check=True)
        footer = re.compile(rf"^({re.escape(d.title)}|\d+\s*/\s*\d+)$")  # passages go over
        lines = [
            line for line in text.stdout.splitlines() if not footer.match(line.strip().strip("\f"))
        ]
        flat = re.sub(r"\s+", "", "".join(lines))
        for entry in _entries(d):
            for p in entry.passages:
                assert re.sub(r"\s+", "", p.text.replace("\t", "｜")) in flat, p.block_id


def test_line_breaking_keeps_to_the_width():
    def measure(s: str) -> float:
        return sum(2.0 if ord(c) > 0x2E80 else 1.0 for c in s)

    text = "金贸产业园是天津市承接非首都功能“1+16”重点平台之一，位于二号桥街域内。" * 3
    lines = break_lines(text + " Supercalifragilisticexpialidocious-and-more", 20, measure)
    joined = ["".join(r.text for r in line) for line in lines]
    assert all(measure(line) <= 20 for line in joined)
    assert not any(line.startswith(("，", "。", "”")) for line in joined)
    assert "".join(joined).replace(" ", "") == (
        text + "Supercalifragilisticexpialidocious-and-more"
    )
    marked = break_lines("一二三四五六", 100, measure, marks=[(2, 4)])
    assert [(r.text, r.marked) for r in marked[0]] == [
        ("一二", False),
        ("三四", True),
        ("五六", False),
    ]


def test_cli_dossier(tmp_path, capsys):
    out = tmp_path / "se.html"
    assert main(["dossier", "park.quadrant.se", "--lang", "en", "--out", str(out)]) == 0
    assert out.is_file()
    assert main(["dossier", "park.quadrant.se", "--out", str(out)]) == 2  # exists
    assert "exists" in capsys.readouterr().err
    assert main(["dossier", "no.such.place", "--out", str(tmp_path / "x.pdf")]) == 2
    assert "no.such.place" in capsys.readouterr().err
    assert main(["dossier", "park.jinmao", "--out", str(tmp_path / "x.docx")]) == 2


def test_pdf_without_map_is_one_flow(texts):
    data = dossier_pdf(texts[("renewal.dazhigu-area", "en")])
    assert data.startswith(b"%PDF")
