"""The print layout, checked on the rendered figures and files: labels measured after drawing
never overlap and stay on the page, fonts embedded (pdffonts), page sizes (pdfinfo), a true
scale, a legend of what is drawn, a list never below 7 pt that continues over pages, and the
file named from the title and date. Crowded extents (the park with its quadrants and members),
the station zone and the whole district, in Chinese and English, from the real layers."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import shutil
import subprocess

import pytest
from conftest import _need
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text

from hedong_geo import exports, settings
from hedong_geo._errors import ExportError
from hedong_geo.cli import main
from hedong_geo.exports import PrintOptions, labels, listing
from hedong_geo.i18n import t
from hedong_geo.layers import LayerSet, load_layers
from hedong_geo.paths import LAYERS
from hedong_geo.styles import load_styles

DAY = dt.date(2026, 3, 1)
DPI = 100  # the layout is in points: what fits at 100 dpi fits at 300
EXTENTS = {
    "park": {"extent": "park.jinmao", "selected": ("park.jinmao",)},
    "station": {"extent": "station.zone.hedong"},
    "district": {},
}
LABEL_GIDS = ("feature_label", "basemap_label", "osm_label")


@pytest.fixture(scope="module")
def real() -> LayerSet:
    return load_layers(LAYERS)


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    how = f"apt-get install poppler-utils to run {tool} checks"
    _need(path, settings.get().require_gdal, "HEDONG_GEO_REQUIRE_GDAL", how)
    return path


def _pages(layerset, **options):
    opts = PrintOptions(dpi=DPI, date=DAY, **options)
    return exports.render_pages(layerset, opts)


def _drawn(fig):
    """Draw the figure; return its renderer (extents are final only after a draw)."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def _texts(fig, gids=None):
    return [
        a
        for a in fig.findobj(Text)
        if a.get_visible() and a.get_text().strip() and (gids is None or a.get_gid() in gids)
    ]


def _check_page(fig) -> int:
    """Every text lies inside the page; no two map labels overlap. Return how many labels."""
    renderer = _drawn(fig)
    page = fig.bbox
    for text in _texts(fig):
        box = text.get_window_extent(renderer)
        inside = (
            box.x0 >= page.x0 - 0.5
            and box.y0 >= page.y0 - 0.5
            and box.x1 <= page.x1 + 0.5
            and box.y1 <= page.y1 + 0.5
        )
        assert inside, (text.get_gid(), text.get_text()[:40], box, page)
    placed = [(a, a.get_window_extent(renderer)) for a in _texts(fig, LABEL_GIDS)]
    for (a, box_a), (b, box_b) in itertools.combinations(placed, 2):
        assert not labels.boxes_overlap(box_a, box_b), (a.get_text(), b.get_text())
    maps = [a for a in fig.axes if a.get_gid() == "map"]
    if not maps:  # a continuation page: the list only
        assert not placed
        return 0
    frame = maps[0].get_window_extent(renderer)
    for text, box in placed:
        assert frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1), text.get_text()
    return len(placed)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("where", list(EXTENTS))
def test_labels_never_overlap_and_text_stays_on_the_page(real, where, lang):
    figures = _pages(real, lang=lang, **EXTENTS[where])
    count = _check_page(figures[0])
    assert count >= 10, count  # the crowded extents are labelled, not emptied
    for page in figures[1:]:
        _check_page(page)


def test_park_figure_names_quadrants_and_members(real):
    (fig, *_) = _pages(real, **EXTENTS["park"])
    _drawn(fig)
    names = " ".join(a.get_text().replace("\n", "") for a in _texts(fig, ("feature_label",)))
    for quadrant in ("西北片区", "东北片区", "西南片区", "东南片区"):
        assert quadrant in names, names
    bold = [a for a in _texts(fig, ("feature_label",)) if a.get_fontweight() == "bold"]
    assert [a.get_text() for a in bold] and "金贸产业园区" in bold[0].get_text()
    (legend,) = fig.findobj(lambda a: a.get_gid() == "legend")
    entries = [x.get_text() for x in legend.get_texts()]
    assert entries[0] == t("print_selected", "zh")
    (ax,) = [a for a in fig.axes if a.get_gid() == "map"]
    colour = load_styles()["selected"]["color"]
    assert any(
        len(c.get_edgecolor()) and _hex(c.get_edgecolor()[0]) == colour for c in ax.collections
    )


def _hex(rgba) -> str:
    return "#" + "".join(f"{round(v * 255):02x}" for v in rgba[:3])


def test_legend_lists_only_what_is_drawn(real):
    (fig, *_) = _pages(real, extent="park.quadrant.se", scale=5000)
    (legend,) = fig.findobj(lambda a: a.get_gid() == "legend")
    entries = {x.get_text() for x in legend.get_texts()}
    groups = load_styles()["groups"]
    assert groups["park"]["label"]["zh"] in entries
    assert groups["station"]["label"]["zh"] not in entries  # no station feature near the park
    assert groups["belt"]["label"]["zh"] not in entries
    assert "海河" not in entries  # the river is far from the park


@pytest.mark.parametrize(("paper", "orientation"), [("A4", "landscape"), ("A3", "portrait")])
@pytest.mark.parametrize("scale", [2000, 10000, 50000])
def test_true_scale_at_print_size(real, paper, orientation, scale):
    (fig, *_) = _pages(
        real, extent="park.jinmao", scale=scale, paper=paper, orientation=orientation
    )
    (ax,) = [a for a in fig.axes if a.get_gid() == "map"]
    width_m = ax.get_position().width * fig.get_figwidth() * 0.0254  # on paper
    ground = ax.get_xlim()[1] - ax.get_xlim()[0]
    height_m = ax.get_position().height * fig.get_figheight() * 0.0254
    assert ground / width_m == pytest.approx(scale, rel=1e-6)
    assert (ax.get_ylim()[1] - ax.get_ylim()[0]) / height_m == pytest.approx(scale, rel=1e-6)
    (bar,) = fig.findobj(lambda a: a.get_gid() == "scalebar")
    assert f"1:{scale:,}" in " ".join(t.get_text() for t in bar.findobj(Text))


def test_list_continues_on_page_two_never_below_7pt_never_cut(real):
    figures = _pages(real, lang="en")
    assert len(figures) >= 2
    numbers = []
    for n, fig in enumerate(figures, start=1):
        (page_number,) = _texts(fig, ("page_number",))
        assert page_number.get_text() == f"Page {n} of {len(figures)}"
        for text in _texts(fig, ("feature_list",)):
            assert text.get_fontsize() >= listing.MIN_PT
            numbers += [int(m) for m in re.findall(r"^(\d+)\. ", text.get_text(), re.M)]
    assert numbers == list(range(1, len(numbers) + 1))  # every feature, in order, once
    labelled = {
        int(m)
        for a in _texts(figures[0], ("feature_label",))
        for m in re.findall(r"\d+", a.get_text().split(" ")[0])
    }
    assert labelled <= set(numbers)
    (heading,) = _texts(figures[1], ("list_heading",))
    assert heading.get_text().endswith("(continued)")


def test_english_list_stays_in_its_box(real):
    """Long English names and citations wrap inside the panel, not over the map or page."""
    (fig, *_) = _pages(real, lang="en", orientation="portrait", **EXTENTS["park"])
    renderer = _drawn(fig)
    (ax,) = [a for a in fig.axes if a.get_gid() == "map"]
    frame = ax.get_window_extent(renderer)
    for text in _texts(fig, ("feature_list", "list_heading")):
        box = text.get_window_extent(renderer)
        parent = text.axes.get_window_extent(renderer)
        assert box.x1 <= parent.x1 + 1, text.get_text()[:60]
        assert not labels.boxes_overlap(box, frame)
    note = " ".join(a.get_text() for a in _texts(fig, ("note",)))
    assert "authoritative" in note.replace("\n", " ")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pdf_fonts_embedded_and_pages_sized(real, tmp_path, lang):
    out = exports.export_snapshot(
        real,
        tmp_path / "park.pdf",
        "pdf",
        lang=lang,
        dpi=DPI,
        date=DAY,
        orientation="portrait",
        paper="A3",
        **EXTENTS["park"],
    )
    fonts = subprocess.run(
        [_poppler("pdffonts"), str(out)], capture_output=True, text=True, check=True
    ).stdout
    rows = fonts.splitlines()[2:]
    assert rows and any("NotoSansCJK" in row for row in rows), fonts
    for row in rows:
        assert re.search(r"\byes\b", row.split("CID")[-1] if "CID" in row else row), row
    info = subprocess.run(
        [_poppler("pdfinfo"), "-f", "1", "-l", "9", str(out)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert sizes
    for width, height in sizes:
        assert (float(width), float(height)) == pytest.approx((297 / 25.4 * 72, 420 / 25.4 * 72))


def test_print_figure_bytes_and_name(real):
    opts = PrintOptions(format="png", dpi=40, date=DAY, **EXTENTS["park"])
    printed = exports.print_figure(real, opts)
    assert printed.data.startswith(b"\x89PNG")
    assert printed.file_name == "金贸产业园区及周边_2026-03-01.png"
    assert printed.mime == "image/png"
    titled = PrintOptions(format="pdf", dpi=40, date=DAY, title="Site / plan: 1?", lang="en")
    printed = exports.print_figure(real, titled)
    assert printed.file_name == "Site-plan-1_2026-03-01.pdf"
    assert printed.data.startswith(b"%PDF") and printed.pages >= 2


@pytest.mark.parametrize(
    ("scale", "expected"),
    [("fit", None), (None, None), ("1:10000", 10000), ("25,000", 25000), (2000, 2000)],
)
def test_parse_scale(scale, expected):
    assert exports.parse_scale(scale) == expected


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"scale": "1:100"}, r"'1:100' is outside 1:2,000"),
        ({"scale": "big"}, "'big' is not a scale"),
        ({"orientation": "sideways"}, "unknown orientation 'sideways'"),
        ({"margin_m": -5.0}, "margin -5.0 m is out of range"),
        ({"extent": (117.2, 39.1)}, "expected minlon, minlat, maxlon, maxlat"),
    ],
)
def test_bad_options(real, options, message):
    with pytest.raises(ExportError, match=message):
        exports.print_figure(real, PrintOptions(**options))


def test_large_layer_is_drawn_and_summarised_not_listed(real):
    from bench.parcels import make_parcels

    parcels = make_parcels(400, seed=1)
    big = LayerSet(layers={**real.layers, "parcels": parcels})
    figures = _pages(big, extent="district")
    fig = figures[0]
    listed = "\n".join(a.get_text() for f in figures for a in _texts(f, ("feature_list",)))
    assert "gen.parcel" not in listed and "generated test parcel" not in listed.lower()
    summary = t("print_summary", "zh").format(layer="parcels", n="400")
    assert summary[:12] in listed.replace("\n", "")
    labels_text = " ".join(a.get_text() for a in _texts(fig, ("feature_label",)))
    assert "parcel" not in labels_text.lower()
    (ax,) = [a for a in fig.axes if a.get_gid() == "map"]
    assert max(len(c.get_paths()) for c in ax.collections) >= 400  # one collection, not 400


def test_cli_print_options(tmp_path, capsys):
    argv = ["export", "--layers-dir", str(LAYERS), "--format", "png", "--dpi", "40"]
    argv += ["--feature", "park.quadrant.se", "--scale", "1:5000", "--out", str(tmp_path)]
    argv += ["--title", "东南片区现状", "--orientation", "portrait", "--paper", "A3"]
    assert main(argv) == 0
    (out,) = tmp_path.iterdir()
    assert re.fullmatch(r"东南片区现状_\d{4}-\d\d-\d\d\.png", out.name)
    assert str(out) in capsys.readouterr().out
    bad = ["export", "--layers-dir", str(LAYERS), "--format", "csv", "--scale", "1:5000"]
    assert main([*bad, "--out", str(tmp_path / "x.csv")]) == 2
    assert "--scale apply to png, pdf and svg" in capsys.readouterr().err
