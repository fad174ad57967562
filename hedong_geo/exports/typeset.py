"""Type for the snapshot: the CJK font, matplotlib's settings for one render, line wrapping."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from matplotlib import font_manager
from matplotlib.textpath import TextToPath

from hedong_geo._errors import ExportError

__all__ = ["cjk_font_family", "display_width", "measured_width", "rc", "wrap"]


def _font_candidates() -> list[Path]:
    """Noto Sans CJK SC from the ``mplfonts`` package if installed, then Debian's copies."""
    candidates = [
        Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
        Path("/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf"),
    ]
    try:
        import mplfonts  # optional: a pip-installable CJK font
    except ImportError:
        return candidates
    return [Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf", *candidates]


@lru_cache(maxsize=1)
def cjk_font_family() -> str:
    """Register a CJK font with matplotlib and return its family name.

    Raises :class:`ExportError` when none is installed, because Chinese labels would otherwise
    render as empty boxes.
    """
    candidates = _font_candidates()
    for path in candidates:
        if path.is_file():
            font_manager.fontManager.addfont(str(path))
            return font_manager.FontProperties(fname=str(path)).get_name()
    raise ExportError(
        f"no CJK font found (looked at {[str(p) for p in candidates]}); "
        "pip install mplfonts or apt-get install fonts-noto-cjk"
    )


def rc() -> dict[str, Any]:
    """Matplotlib settings for one render; used as an ``rc_context`` so global state is kept."""
    return {
        "font.family": [cjk_font_family(), "DejaVu Sans"],
        "axes.unicode_minus": False,
        "pdf.fonttype": 42,
        "svg.fonttype": "path",
        "path.simplify": True,
    }


def display_width(text: str) -> float:
    """Width in ems: a CJK character is one em, others about half."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.5 for c in text)


@lru_cache(maxsize=1)
def _measure_font() -> tuple[TextToPath, font_manager.FontProperties]:
    return TextToPath(), font_manager.FontProperties(family=[cjk_font_family()], size=10)


@lru_cache(maxsize=50_000)
def measured_width(text: str) -> float:
    """Width in ems of ``text`` set in the figures' font, measured from its glyphs (+2 %)."""
    if not text:
        return 0.0
    to_path, prop = _measure_font()
    width, _, _ = to_path.get_text_width_height_descent(text, prop, ismath=False)
    return 1.02 * width / 10.0


# A line may break before any CJK character or between Latin words.
_TOKENS = re.compile(
    r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]|\s+|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+"
)


def _tokens(text: str, width_em: float, measure: Callable[[str], float]) -> list[str]:
    """The breakable pieces of ``text``; one wider than a line is cut into characters."""
    out = []
    for token in _TOKENS.findall(text):
        out.extend(list(token) if measure(token) > width_em else [token])
    return out


def wrap(
    text: str,
    width_em: float,
    indent: str = "",
    measure: Callable[[str], float] = display_width,
) -> list[str]:
    """Wrap mixed Chinese/Latin text to ``width_em`` (textwrap counts characters, not ems).

    ``measure`` gives a piece's width in ems: :func:`display_width` estimates,
    :func:`measured_width` measures the figures' font.
    """
    lines, line, used = [], "", 0.0
    for token in _tokens(text, width_em - measure(indent), measure):
        size = measure(token)
        if line.strip() and used + size > width_em and not token.isspace():
            lines.append(line.rstrip())
            line, used = indent, measure(indent)
        elif line.strip() and used + size > width_em:
            continue  # a space at the end of a line
        line += token
        used += size
    lines.append(line.rstrip())
    return lines
