"""Where the project's files live. Every module asks here instead of building paths itself.

The same layout is found in two places:

- **a checkout** (development): the repository's own ``layers/``, ``geodata/``, ``docs/`` and
  ``app.py``, so ``python -m hedong_geo build`` writes the repository's ``layers/``;
- **an installed wheel**: the copies the wheel carries inside the package as
  ``hedong_geo/_data/`` (see ``setup.py``), found with :mod:`importlib.resources`.

A checkout is recognised by the package sitting next to ``pyproject.toml`` and
``geodata/features.yaml``. Where the app and the commands *read* layers from can be changed with
``HEDONG_GEO_LAYERS_DIR`` (see :mod:`hedong_geo.settings`); :data:`LAYERS` is the built-in copy.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = [
    "APP",
    "CONTEXT_DIR",
    "DOCS",
    "GEODATA",
    "IN_CHECKOUT",
    "LAYERS",
    "PLAN_DIR",
    "REFERENCE_DIR",
    "ROOT",
    "STREAMLIT_CONFIG",
]


def _checkout() -> Path | None:
    """The repository holding this package, or None when the package is installed."""
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file() and (root / "geodata" / "features.yaml").is_file():
        return root
    return None


def _packaged() -> Path:
    """The data folder inside the installed package (a real folder: wheels are unpacked)."""
    data = files("hedong_geo") / "_data"
    if not isinstance(data, Path) or not (data / "geodata").is_dir():
        raise RuntimeError(
            f"hedong_geo is installed without its data ({data}): reinstall it from a wheel "
            "built with `python -m pip wheel .` (not from a zip)"
        )
    return data


_CHECKOUT = _checkout()
IN_CHECKOUT: bool = _CHECKOUT is not None
#: The folder holding ``layers/``, ``geodata/``, ``docs/``, ``app.py`` and ``.streamlit/``.
ROOT: Path = _CHECKOUT or _packaged()
GEODATA = ROOT / "geodata"
LAYERS = ROOT / "layers"
DOCS = ROOT / "docs"
PLAN_DIR = GEODATA / "plan"
CONTEXT_DIR = GEODATA / "context"
REFERENCE_DIR = GEODATA / "reference"
#: The Streamlit script ``hedong-geo app`` runs.
APP = ROOT / "app.py"
#: The app's Streamlit options (also applied as flags by ``hedong-geo app``).
STREAMLIT_CONFIG = ROOT / ".streamlit" / "config.toml"
