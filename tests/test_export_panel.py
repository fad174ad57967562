"""The app's print panel (hedong_geo.ui_export): the extents it offers, the options it builds,
and the panel itself run in Streamlit's AppTest: a preview image, then a download named from
the title and date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from hedong_geo.i18n import t
from hedong_geo.layers import load_layers
from hedong_geo.ui_export import extent_choices, panel_options

SMALL = Path(__file__).parent / "data" / "layers_small"


@pytest.fixture
def small():
    return load_layers(SMALL)


def test_extent_choices(small):
    choices = extent_choices(
        small, "en", selected="park.quadrant.se", view_bbox=(117.2, 39.1, 117.3, 39.2)
    )
    keys = list(choices)
    assert keys[:3] == ["selected", "view", "district"]
    assert "Selected feature: " in choices["selected"]
    assert "feature:station.zone.hedong" in keys
    assert "feature:unlocated.longtanlu" not in keys  # nothing to frame
    assert next(iter(extent_choices(small, "zh"))) == "district"


def test_panel_options(small):
    view = (117.2, 39.1, 117.3, 39.2)
    opts = panel_options(
        "view", lang="zh", selected="park.quadrant.se", view_bbox=view, scale=10000
    )
    assert opts.extent == view and opts.selected == ("park.quadrant.se",) and opts.scale == 10000
    opts = panel_options("feature:station.zone.hedong", lang="en", title="  ", fmt="png")
    assert opts.extent == "station.zone.hedong" and opts.selected == ("station.zone.hedong",)
    assert opts.title is None and opts.format == "png"
    assert panel_options("district", lang="zh").extent == "district"


def _script(layers_dir: str) -> None:
    from hedong_geo.layers import load_layers
    from hedong_geo.ui_export import export_panel

    export_panel(load_layers(layers_dir), "zh", selected="park.quadrant.se")


def test_panel_previews_and_downloads():
    app = AppTest.from_function(_script, args=(str(SMALL),), default_timeout=120)
    app.run()
    assert not app.exception
    assert app.selectbox(key="print-extent").value == "selected"
    title = app.text_input(key="print-title-selected")
    assert title.value == "东南片区及周边"  # the fixture names it 东南片区
    app.button(key="print-preview").click().run()
    assert not app.exception and not app.warning
    assert [node for node in app.main if node.type == "image"], "no preview image"
    title.set_value("东南片区").run()
    app.selectbox(key="print-format").set_value("png").run()
    app.button(key="print-make").click().run()
    assert not app.exception and not app.warning
    (download,) = [node for node in app.main if node.type == "download_button"]
    today = dt.date.today().isoformat()
    assert download.proto.label == t("print_download", "zh").format(name=f"东南片区_{today}.png")
