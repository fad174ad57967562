"""The site check in the Streamlit app: upload an outline, choose the coordinate system and the
distance, see what the plan says there, download the report as PDF.

``app.py`` calls :func:`site_check_panel` where the panel belongs (a tab, an expander). The
upload is read from memory through a private temporary folder (:func:`hedong_geo.uploads.
read_site_bytes`) and never written into the layers; the check and the report are the same
functions the CLI uses (:mod:`hedong_geo.sitecheck`). The report is made only when asked
(it draws a map), one at a time per session through the app's export limiter when given.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

from hedong_geo._errors import HedongGeoError
from hedong_geo.i18n import t
from hedong_geo.layers import LayerSet
from hedong_geo.uploads import CRS_CHOICES, MAX_BYTES, SUFFIXES, crs_label

__all__ = ["crs_options", "report_name", "site_check_panel"]

#: The coordinate systems offered, beyond "as the file states": the named ones and the
#: CGCS2000 Gauss–Krüger projections used around Tianjin (zone 39 and CM 117°E).
EXTRA_CRS = ("EPSG:4527", "EPSG:4548")
DEFAULT_DISTANCE_M = 200


def crs_options() -> list[str | None]:
    """The choices of the coordinate-system box: None (automatic), then the named systems."""
    return [None, *CRS_CHOICES, *EXTRA_CRS]


def report_name(site_name: str, when: dt.date | None = None) -> str:
    """The report's file name from the site's name and the date
    (``sitecheck_一机床地块_2026-11-23.pdf``)."""
    stem = re.sub(r"[^\w\u4e00-\u9fff-]+", "_", site_name).strip("_")[:40] or "site"
    return f"sitecheck_{stem}_{(when or dt.date.today()).isoformat()}.pdf"


def site_check_panel(
    layers: LayerSet,
    lang: str = "zh",
    *,
    slot: Callable[[], AbstractContextManager] | None = None,
    key: str = "sitecheck",
    drawn: dict | None = None,
) -> None:
    """Draw the site check: uploader, CRS, distance, the result and the PDF download.

    Parameters
    ----------
    layers : LayerSet
        The layers to check against (the app's, with its filters if it wants them applied).
    lang : str
        ``zh`` or ``en``.
    slot : callable, optional
        Returns a context manager held while the report is made (the app's
        ``export_limiter().slot(session_id)``), so reports count against the export limit.
    key : str
        Prefix of the widgets' keys, to place the panel more than once.
    drawn : dict, optional
        An area drawn on the map (GeoJSON Polygon, WGS84): checked when no file is uploaded.
    """
    import streamlit as st

    from hedong_geo import sitecheck
    from hedong_geo.dossier_pdf import dossier_pdf
    from hedong_geo.uploads import read_site_bytes, site_from_drawing

    st.caption(t("site_intro", lang))
    upload = st.file_uploader(
        t("site_upload", lang),
        type=[s.lstrip(".") for s in SUFFIXES],
        key=f"{key}_file",
        help=f"≤ {MAX_BYTES // (1024 * 1024)} MB",
    )
    auto = t("site_crs_auto", lang)
    crs = st.selectbox(
        t("site_crs", lang),
        crs_options(),
        format_func=lambda c: auto if c is None else crs_label(c),
        key=f"{key}_crs",
        placeholder=t("choose_option", lang),
    )
    distance = st.number_input(
        t("site_distance", lang), 0, 5000, DEFAULT_DISTANCE_M, step=50, key=f"{key}_distance"
    )
    if upload is None and drawn is None:
        st.caption(t("site_draw_hint", lang))
        return
    try:
        if upload is None:
            site = site_from_drawing(drawn, t("site_drawn_name", lang))
            st.caption(t("site_drawn_used", lang))
        else:
            site = read_site_bytes(upload.getvalue(), upload.name, crs=crs)
        result = sitecheck.check_site(layers, site, float(distance))
    except HedongGeoError as exc:  # the message names the file and the problem
        st.error(str(exc))
        return
    st.html(sitecheck.result_html(layers, result, lang))
    if st.button(t("site_download", lang), key=f"{key}_report"):
        try:
            with (slot or nullcontext)(), st.spinner(t("working", lang)):
                data = dossier_pdf(sitecheck.site_dossier(layers, result, lang))
        except HedongGeoError as exc:  # e.g. Busy: too many exports at once
            st.warning(str(exc))
            return
        st.download_button(
            t("download", lang),
            data,
            file_name=report_name(site.name),
            mime="application/pdf",
            key=f"{key}_download",
        )
