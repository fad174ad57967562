"""Packaging hook: the wheel carries the app and its data inside the package.

``layers/``, ``geodata/``, ``docs/``, ``app.py`` and ``.streamlit/config.toml`` stay at the top
of the repository, where people edit them. A wheel copies the files the app and the command line
read at run time into ``hedong_geo/_data/`` with the same layout, where ``hedong_geo.paths``
finds them with ``importlib.resources``. Everything else is declared in ``pyproject.toml``.
"""

from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
# Run-time files shipped in the wheel, as globs relative to the repository. Not shipped: what
# only rebuilds geodata/context (geodata/build_context.py and its PyPI inputs).
SHIPPED = [
    "app.py",
    ".streamlit/config.toml",
    "layers/*.geojson",
    "geodata/*.json",
    "geodata/*.yaml",
    "geodata/*.md",
    "geodata/plan/*",
    "geodata/context/*",
    "geodata/basemap/*",
    "geodata/osm/pois.geojson",
    "geodata/streets/streets.geojson",
    "geodata/reference/*",
    "geodata/review/*",
    "docs/*.md",
    "docs/*.css",
]


class BuildWithData(build_py):
    """``build_py`` that also copies :data:`SHIPPED` into ``hedong_geo/_data/``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout itself
        target = Path(self.build_lib) / "hedong_geo" / "_data"
        for pattern in SHIPPED:
            found = sorted(p for p in HERE.glob(pattern) if p.is_file())
            if not found:
                raise FileNotFoundError(f"nothing matches {pattern!r} in {HERE}")
            for source in found:
                rel = source.relative_to(HERE)
                self.mkpath(str((target / rel).parent))
                self.copy_file(str(source), str(target / rel), preserve_mode=False)


setup(
    packages=find_packages(include=["hedong_geo", "hedong_geo.*"]),
    cmdclass={"build_py": BuildWithData},
)
