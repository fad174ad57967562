"""The app's print panel: choose the area, scale, paper and title of a figure, preview it, and
download it under a name made from its title and date.

:func:`export_panel` is the Streamlit part (app.py calls it); :func:`panel_options`,
:func:`extent_choices` and :func:`preview_png` are plain functions, so the choices and the
options they give are tested without a browser. The figure itself is
:func:`hedong_geo.exports.print_figure`; nothing heavy is imported until the panel is drawn.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Sequence
from contextlib import nullcontext
from typing import Any

from hedong_geo._errors import HedongGeoError
from hedong_geo.i18n import t
from hedong_geo.layers import LayerSet

__all__ = ["PREVIEW_DPI", "export_panel", "extent_choices", "panel_options", "preview_png"]

PREVIEW_DPI = 60  # enough to judge the layout on screen; the download is at 300 dpi
DOWNLOAD_DPI = 300
FORMATS = ("pdf", "png", "svg")


def extent_choices(
    layerset: LayerSet,
    lang: str,
    selected: str | None = None,
    view_bbox: Sequence[float] | None = None,
) -> dict[str, str]:
    """The extents on offer, ``{key: label}``: the selected feature, the current map view, the
    district, then any located feature or zone (key ``feature:<id>``)."""
    choices: dict[str, str] = {}
    if selected and layerset.has_feature(selected):
        row = layerset.feature(selected)
        name = row["name_zh"] if lang == "zh" else row["name_en"]
        if row.geometry is not None:
            choices["selected"] = t("print_extent_selected", lang).format(name=name)
    if view_bbox is not None:
        choices["view"] = t("print_extent_view", lang)
    choices["district"] = t("print_extent_district", lang)
    located = layerset.features()
    located = located[located.geometry.notna() & (located["layer"] != "context")]
    names = located["name_zh"] if lang == "zh" else located["name_en"]
    for fid, name in sorted(zip(located["id"], names, strict=True), key=lambda p: p[1]):
        choices[f"feature:{fid}"] = f"{name} ({fid})"
    return choices


def panel_options(
    choice: str,
    *,
    lang: str,
    selected: str | None = None,
    view_bbox: Sequence[float] | None = None,
    layers: Sequence[str] | None = None,
    scale: int | None = None,
    paper: str = "A4",
    orientation: str = "landscape",
    title: str = "",
    subtitle: str = "",
    fmt: str = "pdf",
    dpi: int = DOWNLOAD_DPI,
    date: dt.date | None = None,
) -> Any:
    """The :class:`~hedong_geo.exports.PrintOptions` for the panel's choices."""
    from hedong_geo.exports import PrintOptions

    marked = (selected,) if selected else ()
    if choice == "selected":
        extent: Any = selected
    elif choice == "view":
        extent = tuple(view_bbox) if view_bbox is not None else "district"
    elif choice.startswith("feature:"):
        extent = choice.removeprefix("feature:")
        marked = (extent,)
    else:
        extent = "district"
    return PrintOptions(
        extent=extent,
        selected=marked,
        scale=scale,
        paper=paper,
        orientation=orientation,
        title=title.strip() or None,
        subtitle=subtitle.strip() or None,
        lang=lang,
        layers=tuple(layers) if layers is not None else None,
        format=fmt,
        dpi=dpi,
        date=date,
    )


def preview_png(layerset: LayerSet, options: Any) -> bytes:
    """The map page as a small PNG (:data:`PREVIEW_DPI`) to show before the download."""
    from dataclasses import replace

    from hedong_geo.exports import print_figure

    return print_figure(layerset, replace(options, format="png", dpi=PREVIEW_DPI, page=1)).data


def _controls(st: Any, layerset: LayerSet, lang: str, selected, view_bbox) -> dict[str, Any]:
    """The panel's widgets; return their values."""
    from hedong_geo.exports import COMMON_SCALES, default_title

    choices = extent_choices(layerset, lang, selected, view_bbox)
    # Every box says "choose" in the page's language (Streamlit's own words are English).
    plain = {"placeholder": t("choose_option", lang), "filter_mode": None}
    choice = st.selectbox(
        t("print_extent", lang),
        list(choices),
        format_func=choices.get,
        key="print-extent",
        placeholder=t("choose_option", lang),
    )
    scales = [None, *COMMON_SCALES]
    scale = st.selectbox(
        t("print_scale", lang),
        scales,
        format_func=lambda s: t("print_scale_fit", lang) if s is None else f"1:{s:,}",
        key="print-scale",
        **plain,
    )
    left, right = st.columns(2)
    paper = left.radio(t("print_paper", lang), ["A4", "A3"], key="print-paper")
    orientation = right.radio(
        t("print_orientation", lang),
        ["landscape", "portrait"],
        format_func=lambda o: t(f"print_{o}", lang),
        key="print-orientation",
    )
    fmt = st.selectbox(t("print_format", lang), FORMATS, key="print-format", **plain)
    probe = panel_options(choice, lang=lang, selected=selected, view_bbox=view_bbox)
    default = default_title(layerset, probe.checked())
    title = st.text_input(t("print_title", lang), value=default, key=f"print-title-{choice}")
    subtitle = st.text_input(t("print_subtitle", lang), key="print-subtitle")
    return {
        "choice": choice,
        "scale": scale,
        "paper": paper,
        "orientation": orientation,
        "fmt": fmt,
        "title": title,
        "subtitle": subtitle,
    }


def export_panel(
    layerset: LayerSet,
    lang: str,
    *,
    layers: Sequence[str] | None = None,
    selected: str | None = None,
    view_bbox: Sequence[float] | None = None,
    limiter: Any = None,
    session: Hashable | None = None,
) -> None:
    """Draw the print panel in the current Streamlit container.

    Parameters
    ----------
    layerset : LayerSet
        The layers shown (after the app's filters).
    lang : str
        ``"zh"`` or ``"en"``.
    layers : list of str, optional
        The layer names shown (default: every layer).
    selected : str, optional
        The selected feature's id: offered as the extent and highlighted.
    view_bbox : (minlon, minlat, maxlon, maxlat), optional
        The map's current view, offered as the extent.
    limiter, session : optional
        A :class:`hedong_geo.limits.ExportLimiter` and the session's id: a figure is made only
        in a free slot (else the limiter's ``Busy`` is shown as a warning).
    """
    import streamlit as st

    from hedong_geo.exports import print_figure

    st.markdown(f"**{t('print_panel', lang)}**")
    values = _controls(st, layerset, lang, selected, view_bbox)
    options = panel_options(
        values.pop("choice"),
        lang=lang,
        selected=selected,
        view_bbox=view_bbox,
        layers=layers,
        **values,
    )
    slot = limiter.slot(session) if limiter is not None else nullcontext()
    preview, make = st.columns(2)
    try:
        if preview.button(t("print_preview", lang), key="print-preview"):
            with slot, st.spinner(t("working", lang)):
                st.image(preview_png(layerset, options), caption=t("print_preview", lang))
        elif make.button(t("export_button", lang), key="print-make"):
            with slot, st.spinner(t("working", lang)):
                printed = print_figure(layerset, options)
            if printed.pages > 1:
                st.caption(t("print_pages", lang).format(n=printed.pages))
            st.download_button(
                t("print_download", lang).format(name=printed.file_name),
                printed.data,
                file_name=printed.file_name,
                mime=printed.mime,
                key="print-download",
            )
    except HedongGeoError as exc:  # Busy, or an extent with nothing to draw
        st.warning(t("print_failed", lang).format(error=exc))
