"""Both languages all the way: every UI string in Chinese and English, every key the code asks
for present, the plan's headings in English, and no panel showing raw ids or developer text."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from hedong_geo import plan
from hedong_geo.describe import summary
from hedong_geo.i18n import LANGS, counted, headings_en, strings
from hedong_geo.layers import load_layers
from hedong_geo.panel import detail_html, feature_detail

ROOT = Path(__file__).resolve().parent.parent
CODE = sorted(
    [
        *ROOT.glob("hedong_geo/**/*.py"),
        *ROOT.glob("hedong_geo/templates/*"),
        *ROOT.glob("hedong_geo/js/*.js"),
        ROOT / "app.py",
    ]
)
CJK = re.compile(r"[\u3400-\u9fff]")
FIELD = re.compile(r"\{(\w*)\}")
# English strings that name the Chinese word on purpose, and strings the same in both.
EN_WITH_CHINESE = {"language", "street", "map_streets"}
SAME_IN_BOTH = {"map_osm"}
# t("key"), t('key', lang), counted("key", n), texts("prefix"), and t(f"prefix_{…}") in Python,
# Jinja and JS.
LITERAL = re.compile(r"""\b(?:t|counted)\(\s*["']([a-z][a-z0-9_]*)["']""")
PREFIX = re.compile(r"""\bt\(\s*f["']([a-z][a-z0-9_]*_)\{""")
TEXTS = re.compile(r"""\btexts\(\s*["']([a-z][a-z0-9_]*)["']""")


def test_every_string_in_both_languages():
    bad = []
    for key, entry in strings().items():
        if set(entry) != set(LANGS) or not all(entry[lang].strip() for lang in LANGS):
            bad.append(f"{key}: {entry!r}")
        elif FIELD.findall(entry["zh"]) and set(FIELD.findall(entry["zh"])) != set(
            FIELD.findall(entry["en"])
        ):
            bad.append(f"{key}: fields differ between zh and en")
        elif CJK.search(entry["en"]) and key not in EN_WITH_CHINESE:
            bad.append(f"{key}: Chinese in the English string {entry['en']!r}")
        elif entry["zh"] == entry["en"] and key not in SAME_IN_BOTH:
            bad.append(f"{key}: not translated ({entry['zh']!r} in both)")
    assert not bad, "untranslated UI strings in geodata/i18n.json:\n" + "\n".join(bad)


def test_a_count_of_one_reads_as_one_in_english():
    # Every singular form has its plural, the same Chinese, and the count in it.
    for key in [k for k in strings() if k.endswith("_one")]:
        base, one = strings()[key.removesuffix("_one")], strings()[key]
        assert one["zh"] == base["zh"] and "{n}" in one["en"] and "{n}" in base["en"], key
    assert counted("summary_passages", 1, "en").startswith("1 passage of the plan names it;")
    assert counted("summary_passages", 2, "en").startswith("2 passages of the plan name it;")
    assert counted("summary_passages", 1, "zh") == "共有 1 段原文提到它。"
    assert counted("map_unlocated_count", 1, "en") == "1 place not yet located"
    assert counted("map_unlocated_count", 0, "en") == "0 places not yet located"
    assert counted("snap_more", 1, "en") == "1 more not listed (see the data export)"  # no _one


def _uses() -> tuple[dict[str, str], dict[str, str]]:
    keys, prefixes = {}, {}
    for path in CODE:
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(ROOT).as_posix()
        for key in LITERAL.findall(text):  # t("doc_" ~ d) in Jinja: a prefix
            (prefixes if key.endswith("_") else keys).setdefault(key, rel)
        for prefix in PREFIX.findall(text):
            prefixes.setdefault(prefix, rel)
        for prefix in TEXTS.findall(text):
            prefixes.setdefault(prefix + "_", rel)
    return keys, prefixes


def test_every_key_the_code_asks_for_exists():
    keys, prefixes = _uses()
    assert len(keys) > 50, "the scan of the code found too few t() calls: is the regex stale?"
    table = strings()
    missing = [f"{key} (in {where})" for key, where in keys.items() if key not in table]
    missing += [
        f"{prefix}… (in {where})"
        for prefix, where in prefixes.items()
        if not any(k.startswith(prefix) for k in table)
    ]
    assert not missing, "UI strings asked for but not in geodata/i18n.json:\n" + "\n".join(missing)


def test_every_heading_has_an_english_heading():
    ids = {b.id for b in plan.blocks() if b.kind == "heading"}
    table = headings_en()
    assert ids - set(table) == set(), "headings with no English in geodata/plan/headings_en.json"
    assert set(table) - ids == set(), "English headings for no heading"
    chinese = {k: v for k, v in table.items() if CJK.search(v)}
    assert not chinese


class _Text(HTMLParser):
    """The text a person sees (and the attributes a person may see: title, alt)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._skip += 1
        self.parts += [v for k, v in attrs if k in ("title", "alt", "placeholder") and v]

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(markup: str) -> str:
    parser = _Text()
    parser.feed(markup)
    return html.unescape(" ".join(parser.parts))


# Raw ids and developer words: OSM and reference ids, recipe names, block and feature ids,
# snake_case tokens, file paths.
DEVELOPER = [
    re.compile(r"osm\.(node|way|area|relation)\."),
    re.compile(r"\bref\.[a-z_]+"),
    re.compile(r"\brecipe\b"),
    re.compile(r"\b(wr|fyp)\.[a-z]+\d"),
    re.compile(r"\b[a-z]+\.[a-z0-9-]+\.[a-z0-9-]+\b"),  # park.quadrant.se
    re.compile(r"\b[a-z]+_[a-z_]+\b"),  # snake_case
    re.compile(r"\.(geojson|json|yaml|csv|md|py)\b"),
    re.compile(r"\bNone\b|\bnan\b|\bTrue\b|\bFalse\b"),
]


@pytest.fixture(scope="module")
def layers():
    return load_layers()


@pytest.mark.parametrize("lang", LANGS)
def test_no_panel_shows_raw_ids_or_developer_text(layers, lang):
    features = layers.features()
    bad = []
    for fid in features.loc[features["layer"] != "context", "id"]:
        text = visible_text(detail_html(feature_detail(layers, fid, lang), lang))
        for pattern in DEVELOPER:
            hit = pattern.search(text)
            if hit:
                around = text[max(0, hit.start() - 40) : hit.end() + 40]
                bad.append(f"{fid}: {hit.group(0)!r} in …{around}…")
                break
    assert not bad, f"{len(bad)} panels ({lang}) show developer text:\n" + "\n".join(bad[:20])


def test_english_panels_are_english_but_quote_the_chinese(layers):
    """In English every heading, document name and label is English; the Chinese passage is
    kept, with the note that it is the authoritative text, and a summary written from it."""
    features = layers.features()
    bad = []
    for fid in features.loc[features["layer"] != "context", "id"]:
        detail = feature_detail(layers, fid, "en")
        for p in detail.passages:
            where = " ".join((p.doc_title, *p.headings, p.position, p.stance_label))
            if CJK.search(where):
                bad.append(f"{fid} {p.block_id}: {where!r}")
        said = detail.summary.replace(detail.name, "").split("“")[0]  # names are data
        if not detail.summary or CJK.search(said):
            bad.append(f"{fid}: summary {detail.summary!r}")
        if CJK.search(detail.geometry_source.split("“")[0]):
            bad.append(f"{fid}: source {detail.geometry_source!r}")
        markup = detail_html(detail, "en")
        if detail.passages and "authoritative" not in markup:
            bad.append(f"{fid}: no note that the Chinese is authoritative")
    assert not bad, "\n".join(bad[:20])


def test_a_summary_quotes_only_words_that_say_something(layers):
    # "以" ties the quadrant into its sentence (东南片区以核理化院…为核心): not worth quoting.
    quadrant = feature_detail(layers, "park.quadrant.se", "en").summary
    assert "The 2026 Plan outline states it as planned." in quadrant and "“以”" not in quadrant
    assert "(“加快建设”)" in feature_detail(layers, "park.jinmao", "en").summary


def test_a_summary_says_how_surely_a_feature_lies_in_its_subdistrict(layers):
    quadrant = feature_detail(layers, "park.quadrant.se", "en").summary
    assert "It likely lies in Erhaoqiao Subdistrict (home of the Jinmao park), whose" in quadrant

    def said(street):
        return summary("X", "Layer", [], [], street, 0, "en")

    assert "It lies in Y Subdistrict, whose outline is approximate." in said(
        ("Y Subdistrict", "certain")
    )
    assert "Its subdistrict is not known." in said((None, "unknown"))
    assert "lies in" not in said(None) and "subdistrict" not in said(None)
