"""The Streamlit frame (app.py) run headless with AppTest: panel, filters, URL state, bad links."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import edit_feature, wait_until
from streamlit.testing.v1 import AppTest

from hedong_geo.i18n import t
from hedong_geo.layers import load_layers
from hedong_geo.mapview import pages_dir

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ROOT / "layers"
SE_PASSAGE = "以核理化院和国机集团天津电气院为核心"


def run(monkeypatch: pytest.MonkeyPatch | None = None, layers_dir: Path | None = None, **params):
    """The app after its first run with ``params`` as the URL's query parameters."""
    if monkeypatch is not None:
        if layers_dir is None:
            monkeypatch.delenv("HEDONG_GEO_LAYERS_DIR", raising=False)
        else:
            monkeypatch.setenv("HEDONG_GEO_LAYERS_DIR", str(layers_dir))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def component_data(at: AppTest, name: str) -> dict | None:
    """What Python gave one of our components (``hedong_geo.map``, ``hedong_geo.page``)."""
    for node in (*at.main, *at.sidebar):
        proto = getattr(node, "proto", None)
        if getattr(proto, "component_name", None) == f"hedong_geo.{name}":
            return json.loads(proto.json)
    return None


def panel_html(at: AppTest) -> str:
    """The panel the map component shows for the selected feature: its HTML in the panel data
    file the component is given (what the browser fetches), "" when nothing is selected."""
    data = component_data(at, "map")
    if data is None or not data["feature"]:
        return ""
    path = pages_dir() / data["panels"].rsplit("/", 1)[1]
    wait_until(lambda: "pending" not in path.read_text("utf-8")[:20], path.name, timeout=120)
    panels = json.loads(path.read_text("utf-8"))
    return panels["html"].get(data["feature"], "")


def html_text(at: AppTest) -> str:
    return "\n".join([*(el.value for el in at.get("html")), panel_html(at)])


def panel_names(at: AppTest) -> list[str]:
    """The names the detail panel shows (its <h3 class="hd-name">, unescaped)."""
    found = re.findall(r'<h3 class="hd-name">(.*?)</h3>', html_text(at))
    return [html.unescape(name) for name in found]


def warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning]


def params(at: AppTest) -> dict[str, str]:
    """The address bar as the page component makes it (Python never writes it itself)."""
    query = component_data(at, "page")["query"]
    return {k: v for k, v in (pair.split("=", 1) for pair in query.split("&") if pair)}


def sidebar_multiselect(at: AppTest, label_key: str, lang: str = "zh"):
    return next(m for m in at.sidebar.multiselect if m.label == t(label_key, lang))


@pytest.fixture(autouse=True)
def _own_layers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test reads ./layers unless it says otherwise."""
    monkeypatch.delenv("HEDONG_GEO_LAYERS_DIR", raising=False)


# --- panel --------------------------------------------------------------------------------------


def test_feature_param_shows_its_passage_in_the_panel() -> None:
    at = run(feature="park.quadrant.se")
    assert panel_names(at) == ["金贸产业园东南片区"]
    text = html_text(at)
    assert SE_PASSAGE in text
    assert "<mark>东南片区</mark>" in text
    assert "fyp.box1.r2" in text
    assert params(at) == {"view": "map", "feature": "park.quadrant.se"}
    assert not warnings(at)


def test_panel_links_its_related_features_for_the_map_to_open() -> None:
    """Related places are links the map component opens in the browser (data-feature); the
    click itself is tested in tests/test_app_browser.py."""
    at = run(feature="park.quadrant.se")
    related = html_text(at).split('class="hd-related"', 1)[1]
    ids = re.findall(r'data-feature="([^"]+)"[^>]*>核理化院<', related)
    assert ids and load_layers(LAYERS).has_feature(ids[0])


def test_unlocated_feature_says_so() -> None:
    unlocated = load_layers(LAYERS).layers["unlocated"]["id"].iloc[0]
    at = run(feature=unlocated)
    assert f'<p class="hd-mv-note">{t("not_located_note", "zh")}</p>' in panel_html(at)


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("zh", ["进展（各文件所述）", "2024 政府工作报告", "建设中", "规划数据", "二号桥街道"]),
        (
            "en",
            [
                "Status as each document states it",
                "2024 Work Report",
                "under way",
                "Figures the plan gives",
                "34 firms",
                "Erhaoqiao",
            ],
        ),
    ],
)
def test_panel_shows_the_timeline_figures_and_street(lang: str, words: list[str]) -> None:
    at = run(feature="park.yijichuang", lang=lang)
    text = html.unescape(html_text(at))
    for word in words:
        assert word in text, word
    assert 'class="hd-timeline"' in text and 'class="hd-figures"' in text


def test_zone_panel_lists_its_members_and_a_member_names_its_zone() -> None:
    at = run(feature="park.quadrant.ne")
    text = html_text(at)
    assert 'class="hd-members"' in text and 'data-feature="park.huakan-hq"' in text
    member = run(feature="park.huakan-hq")
    assert t("zone_shown", "zh") in html.unescape(html_text(member))
    assert not member.info  # the zone is drawn instead: no "not on the map" note
    assert not warnings(member)


def test_indicator_view_shows_the_table() -> None:
    at = run(view="indicators")
    text = html_text(at)
    assert 'class="hd-ind"' in text and text.count("<tr data-block=") == 19
    assert "para=fyp.ind.r3" in text
    en = run(view="indicators", lang="en")
    assert "Life expectancy (years)" in html_text(en)
    assert params(en)["view"] == "indicators"


def test_map_view_without_feature_shows_the_hint() -> None:
    at = run()
    data = component_data(at, "map")
    assert data["feature"] is None and json.loads(data["text"])["hint"] == t("click_hint", "zh")
    assert params(at) == {"view": "map"}


@pytest.mark.parametrize("query", [{}, {"feature": "park.quadrant.se"}, {"para": "fyp.box1.r2"}])
def test_no_stray_magic_output(query: dict) -> None:
    # A bare expression statement in app.py is st.write-n by Streamlit's magic ("`None`").
    at = run(**query)
    assert not [m.value for m in at.markdown if "None" in m.value]


# --- language -----------------------------------------------------------------------------------


def test_lang_en_switches_the_ui() -> None:
    at = run(lang="en", feature="park.quadrant.se")
    assert [x.value for x in at.title] == ["Hedong Planning Explorer"]
    assert panel_names(at)[0] == "Jinmao park, south-east quadrant"
    assert "<h4>What the plan says" in html_text(at)
    assert at.sidebar.text_input[0].label == "Search places or the plan text"
    assert params(at)["lang"] == "en"


def test_language_radio_switches_and_keeps_it_in_the_url() -> None:
    at = run()
    assert at.title[0].value == "河东区规划地图"
    at.sidebar.radio[0].set_value("en").run()
    assert at.title[0].value == "Hedong Planning Explorer"
    assert params(at)["lang"] == "en"
    at.run()
    assert at.title[0].value == "Hedong Planning Explorer"


# --- projects table and filters -----------------------------------------------------------------


def test_projects_table_lists_every_feature_including_unlocated() -> None:
    features = load_layers(LAYERS).features()
    features = features[features["layer"] != "context"]
    at = run(view="projects")
    table = at.dataframe[0].value
    assert sorted(table["id"]) == sorted(features["id"])
    unlocated = set(features.loc[features["location_basis"] == "unlocated", "id"])
    assert unlocated and unlocated <= set(table["id"])


@pytest.mark.parametrize("basis", ["unlocated", "schematic"])
def test_location_basis_filter_narrows_the_table(basis: str) -> None:
    features = load_layers(LAYERS).features()
    features = features[features["layer"] != "context"]
    expected = sorted(features.loc[features["location_basis"] == basis, "id"])
    at = run(view="projects")
    total = len(at.dataframe[0].value)
    sidebar_multiselect(at, "location_basis").set_value([basis]).run()
    table = at.dataframe[0].value
    assert 0 < len(table) < total
    assert sorted(table["id"]) == expected
    assert set(table[t("location_basis", "zh")]) == {t(f"basis_{basis}", "zh")}


def test_filters_combine() -> None:
    at = run(view="projects")
    sidebar_multiselect(at, "location_basis").set_value(["schematic"]).run()
    sidebar_multiselect(at, "category").set_value(["quadrant"]).run()
    assert sorted(at.dataframe[0].value["id"]) == [
        "park.quadrant.ne",
        "park.quadrant.nw",
        "park.quadrant.se",
        "park.quadrant.sw",
    ]


def test_filter_that_hides_the_selected_feature_keeps_the_map() -> None:
    at = run(feature="park.quadrant.se")
    sidebar_multiselect(at, "category").set_value(["parcel"]).run()
    assert not at.exception
    assert panel_names(at)[0] == "金贸产业园东南片区"  # the panel still shows it


def test_map_files_follow_filters_and_language() -> None:
    """The map's files are remembered per session (hedong_geo.ui_map.remembered): a filter or
    a language change still gives a new map page, and the filtered feature says so."""
    at = run(feature="park.quadrant.se")
    first = component_data(at, "map")["page"]
    assert not any(t("feature_filtered", "zh") in w for w in warnings(at))
    sidebar_multiselect(at, "category").set_value(["parcel"]).run()
    filtered = component_data(at, "map")["page"]
    assert filtered != first
    assert any(t("feature_filtered", "zh") in w for w in warnings(at))
    at.sidebar.radio[0].set_value("en").run()
    assert component_data(at, "map")["page"] not in (first, filtered)
    assert any(t("feature_filtered", "en") in w for w in warnings(at))
    sidebar_multiselect(at, "category", "en").set_value([]).run()
    assert not any(t("feature_filtered", "en") in w for w in warnings(at))


def test_layers_param_round_trips_through_the_layer_filter() -> None:
    at = run(layers="renewal,science")
    chosen = sidebar_multiselect(at, "layers")
    assert chosen.value == ["renewal", "science"]
    assert params(at)["layers"] == "renewal,science"
    chosen.set_value(["renewal"]).run()
    assert params(at)["layers"] == "renewal"


def test_view_radio_changes_the_view_and_the_url() -> None:
    at = run()
    at.sidebar.radio[1].set_value("projects").run()
    assert params(at)["view"] == "projects"
    assert at.dataframe
    at.run()  # a rerun keeps it
    assert params(at)["view"] == "projects"
    assert at.dataframe


# --- reader and search --------------------------------------------------------------------------


def test_para_opens_the_reader_at_the_block() -> None:
    at = run(para="fyp.box1.r2")
    assert params(at) == {"view": "reader", "para": "fyp.box1.r2"}
    text = html_text(at)
    assert re.search(r'id="blk-fyp-box1-r2" class="[^"]*\bhd-hit\b', text)
    assert len(re.findall(r'class="[^"]*\bhd-hit\b', text)) == 1
    assert 'class="hd-place"' in text


def test_search_finds_places_and_passages() -> None:
    at = run()
    at.sidebar.text_input[0].input("东南片区").run()
    place = next(b for b in at.sidebar.button if b.key == "search-p-park.quadrant.se")
    place.click().run()
    assert not at.exception
    assert panel_names(at)[0] == "金贸产业园东南片区"
    assert params(at)["feature"] == "park.quadrant.se"


def test_search_passage_button_opens_the_reader() -> None:
    at = run()
    at.sidebar.text_input[0].input("核理化院").run()
    hit = next(b for b in at.sidebar.button if b.key and b.key.startswith("search-h-"))
    block = hit.key.removeprefix("search-h-")
    hit.click().run()
    assert not at.exception
    assert params(at)["view"] == "reader"
    assert params(at)["para"] == block
    assert f'id="blk-{block.replace(".", "-")}"' in html_text(at)


@pytest.mark.parametrize("view", ["about", "reader", "indicators"])
def test_other_views_run(view: str) -> None:
    at = run(view=view, lang="en")
    assert params(at)["view"] == view


# --- bad links ----------------------------------------------------------------------------------


def test_unknown_feature_is_a_warning_not_an_error() -> None:
    at = run(feature="no.such.feature")
    assert any("no.such.feature" in w for w in warnings(at))


def test_unknown_para_is_a_warning_not_an_error() -> None:
    at = run(para="fyp.no.such.block")
    (warning,) = warnings(at)
    assert warning.startswith(t("url_para", "zh")) and "fyp.no.such.block" in warning


def test_other_bad_params_warn_and_fall_back() -> None:
    at = run(view="nowhere", lang="xx", layers="renewal,nope")
    found = warnings(at)
    assert len(found) == 3
    assert not any(w.startswith(t("url_para", "zh")) for w in found)
    assert any(w.startswith(t("url_layers", "zh")) and "nope" in w for w in found)
    assert at.title[0].value == "河东区规划地图"
    assert params(at) == {"view": "map", "layers": "renewal"}


# --- broken layer files and HEDONG_GEO_LAYERS_DIR -----------------------------------------------


@pytest.fixture
def layers_copy(tmp_path: Path) -> Path:
    target = tmp_path / "layers"
    shutil.copytree(LAYERS, target)
    return target


def test_broken_layer_file_still_loads_the_others(
    monkeypatch: pytest.MonkeyPatch, layers_copy: Path
) -> None:
    (layers_copy / "science.geojson").write_text("{not json", encoding="utf-8")
    at = run(monkeypatch, layers_copy, view="projects")
    assert any("science.geojson" in w for w in warnings(at))
    table = at.dataframe[0].value
    assert "park.quadrant.se" in set(table["id"])
    science = load_layers(LAYERS).layers["science"]["id"]
    assert not set(science) & set(table["id"])
    at = run(monkeypatch, layers_copy, feature="park.quadrant.se")
    assert SE_PASSAGE in html_text(at)


def test_layers_dir_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, layers_copy: Path
) -> None:
    path = layers_copy / "jinmao_quadrants.geojson"
    edit_feature(path, "park.quadrant.se", name_zh="测试东南片区")
    at = run(monkeypatch, layers_copy, feature="park.quadrant.se")
    assert panel_names(at)[0] == "测试东南片区"
    at = run(monkeypatch, None, feature="park.quadrant.se")
    assert panel_names(at)[0] == "金贸产业园东南片区"


def test_feature_name_with_markup_stays_text(
    monkeypatch: pytest.MonkeyPatch, layers_copy: Path
) -> None:
    path = layers_copy / "jinmao_quadrants.geojson"
    edit_feature(path, "park.quadrant.se", name_en="<img src=x onerror=alert(1)>")
    at = run(monkeypatch, layers_copy, feature="park.quadrant.se", lang="en")
    assert "<img" not in html_text(at)
    # Markdown elements never render raw HTML; the name arrives as the literal string.
    assert panel_names(at)[0] == "<img src=x onerror=alert(1)>"


# --- export panel -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "geojson", "html"])
def test_export_panel_offers_the_file_for_download(fmt: str) -> None:
    """The data downloads; figures come from the print panel (tests/test_export_panel.py)."""
    at = run(layers="renewal,jinmao_quadrants")
    # Closed, the box draws nothing (and the export stack is not imported).
    assert all(b.label != t("export_data_button") for b in at.sidebar.button)
    at.session_state["export_box"] = True  # the export box opened: its widgets are drawn
    at.run()
    next(s for s in at.sidebar.selectbox if s.label == t("export_data_format")).set_value(fmt).run()
    next(b for b in at.sidebar.button if b.label == t("export_data_button")).click().run()
    assert not at.exception, [e.message for e in at.exception]
    downloads = [d for d in at.sidebar.get("download_button") if d.proto.label == t("download")]
    assert len(downloads) == 1  # beside the print panel's own download of the figure


def test_stale_click_is_a_warning_and_keeps_the_map() -> None:
    """A click on a feature the layers no longer have (renamed by a rebuild): a message."""
    at = run()
    # What the map component's callback leaves when the browser reports such a click.
    at.session_state["view_state"] = at.session_state["view_state"].with_(feature="gone.feature")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("gone.feature" in w for w in warnings(at))
    assert params(at)["feature"] == "gone.feature"
