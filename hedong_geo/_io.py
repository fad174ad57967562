"""Atomic writes: every file and folder hedong-geo writes goes through here.

A writer works on a temporary file or folder beside the target and moves it into place only
when it is whole, so a reader never sees half a file and a failure leaves the old one intact.

The guards say *whether* a path may be written at all, so that no user's file is lost:

- :func:`check_new_file`: the suffix matches the format, an existing file is replaced only when
  asked, and nothing is written inside the project's ``layers/`` or ``geodata/``;
- :func:`check_dir_target`: a folder is replaced only when it is empty or was written by
  hedong-geo itself (a marker file listing what it wrote) and holds nothing else, or when asked.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from hedong_geo import paths
from hedong_geo._errors import WriteError

__all__ = [
    "PROTECTED",
    "atomic_dir",
    "atomic_write",
    "atomic_write_text",
    "check_dir_target",
    "check_file_target",
    "check_new_file",
]

# Folders of the project no output may go into: the built layers and the register with its
# sources (geodata/features.yaml, the plan texts, the reference geography).
PROTECTED = (paths.LAYERS, paths.GEODATA)


def _within(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or inside it (symbolic links followed)."""
    return path.resolve().is_relative_to(folder.resolve())


def _check_protected(out: Path, *, folder: bool) -> None:
    """Refuse a path inside :data:`PROTECTED`, or (for a folder) one that holds a protected one."""
    for guarded in PROTECTED:
        if _within(out, guarded) or (folder and _within(guarded, out)):
            where = "is, is inside or holds" if folder else "is inside"
            raise WriteError(
                f"refusing to write {str(out)!r}: it {where} the project's {guarded.name}/ "
                "folder, which only the build writes; choose another path"
            )


def check_file_target(out: str | os.PathLike) -> Path:
    """``out`` as a Path if a file can be written there; else :class:`WriteError` saying why.

    Call it before slow work, so a bad path fails at once.
    """
    out = Path(out)
    if out.is_dir():
        raise WriteError(f"output path {str(out)!r} is a folder; expected a file path")
    folder = out.absolute().parent
    if not folder.is_dir():
        raise WriteError(f"cannot write {str(out)!r}: folder {str(folder)!r} does not exist")
    return out


def check_new_file(
    out: str | os.PathLike,
    *,
    suffixes: Sequence[str],
    overwrite: bool = False,
    what: str = "the output",
) -> Path:
    """``out`` as a Path if a user's output may be written there; else :class:`WriteError`.

    Parameters
    ----------
    out : path
        The file to write.
    suffixes : sequence of str
        The suffixes the format is known by (``(".geojson", ".json")``), compared without case:
        a CSV is never written as ``x.geojson`` nor over ``features.yaml``.
    overwrite : bool
        Whether an existing file may be replaced (CLI ``--overwrite``/``--force``).
    what : str
        How the messages name the output, e.g. ``"a csv export"``.
    """
    out = check_file_target(out)
    if out.suffix.lower() not in suffixes:
        named = f"is named {out.suffix!r}" if out.suffix else "has no suffix"
        raise WriteError(
            f"{what} {str(out)!r} {named}; name it *{suffixes[0]} or choose the format that "
            "matches the name"
        )
    _check_protected(out, folder=False)
    if not overwrite and (out.exists() or out.is_symlink()):
        raise WriteError(
            f"{str(out)!r} exists; refusing to replace it. Choose another name, or pass "
            "overwrite=True (CLI: --overwrite) to replace it"
        )
    return out


def _link_into_place(tmp: Path, out: Path) -> None:
    """Move ``tmp`` to ``out`` only if nothing is at ``out`` yet (no window to lose a file)."""
    try:
        os.link(tmp, out)
    except FileExistsError:
        raise WriteError(
            f"{str(out)!r} appeared while it was being written; refusing to replace it"
        ) from None
    except OSError:  # a file system without hard links: check, then rename
        if out.exists() or out.is_symlink():
            raise WriteError(f"{str(out)!r} exists; refusing to replace it") from None
        os.replace(tmp, out)


def atomic_write(
    out: str | os.PathLike, write: Callable[[Path], None], *, overwrite: bool = True
) -> Path:
    """Call ``write(tmp)`` with a path beside ``out`` (no file there yet), then move it to ``out``.

    Raises :class:`WriteError` naming ``out`` when the folder is missing or not writable, or
    when ``overwrite`` is false and a file is at ``out`` (checked as it is moved into place);
    on any failure the temporary file is removed and ``out`` is left as it was.
    """
    out = check_file_target(out)
    folder = out.absolute().parent
    try:
        handle, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{out.stem}.", suffix=out.suffix)
    except OSError as exc:
        raise WriteError(f"cannot write {str(out)!r}: {exc.strerror}") from None
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        tmp.unlink()  # writers (GDAL in particular) want to create the file themselves
        write(tmp)
        if tmp.exists():
            os.chmod(tmp, 0o644)  # mkstemp makes it private
        if overwrite:
            os.replace(tmp, out)
        else:
            _link_into_place(tmp, out)
    except OSError as exc:
        if isinstance(exc, WriteError):
            raise
        raise WriteError(f"cannot write {str(out)!r}: {exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return out


def atomic_write_text(out: str | os.PathLike, text: str, *, overwrite: bool = True) -> Path:
    """Write ``text`` (UTF-8) to ``out`` atomically; see :func:`atomic_write`."""
    return atomic_write(
        out, lambda tmp: tmp.write_text(text, encoding="utf-8"), overwrite=overwrite
    )


def _files(folder: Path) -> set[str]:
    """Every file (or link) under ``folder``, as POSIX paths relative to it."""
    return {
        p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink()
    }


def _written_by_us(folder: Path, marker: str) -> set[str] | None:
    """The files the marker in ``folder`` lists, or None when there is no readable marker."""
    try:
        listed = json.loads((folder / marker).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return {str(name) for name in listed} if isinstance(listed, list) else None


def check_dir_target(out: str | os.PathLike, marker: str, *, force: bool = False) -> Path:
    """``out`` as a Path if a folder may be written there; else :class:`WriteError` saying why.

    A folder may be written where there is none, over an empty one, or over one whose
    ``marker`` file lists every file it holds (so hedong-geo wrote it and nobody added to it
    since). Anything else is refused unless ``force``. The project's ``layers/`` and
    ``geodata/`` folders (and the folders holding them) are refused even then.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise WriteError(f"output path {str(out)!r} is a file; expected a folder")
    parent = out.absolute().parent
    if not parent.is_dir():
        raise WriteError(f"cannot write {str(out)!r}: folder {str(parent)!r} does not exist")
    _check_protected(out, folder=True)
    if force or not out.exists():
        return out
    present = _files(out)
    listed = _written_by_us(out, marker)
    foreign = sorted(present - (listed or set()) - {marker})
    if listed is None and not present and not any(out.iterdir()):
        return out  # an empty folder
    if listed is None or foreign:
        held = ", ".join(foreign[:3]) + (
            f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        )
        why = (
            f"it holds files hedong-geo did not write ({held})"
            if held
            else ("it holds folders hedong-geo did not write")
        )
        raise WriteError(
            f"refusing to write into {str(out)!r}: {why}. Choose a new or empty folder, or pass "
            "force=True (CLI: --force) to replace it, deleting everything it holds"
        )
    return out


def atomic_dir(
    out: str | os.PathLike,
    write: Callable[[Path], None],
    *,
    marker: str | None = None,
    force: bool = False,
) -> Path:
    """Call ``write(tmp)`` on a new folder beside ``out``, then rename it to ``out``.

    An existing ``out`` is replaced only once ``write`` has succeeded; on any failure the
    temporary folder is removed and ``out`` is left as it was. With a ``marker`` the folder is
    checked by :func:`check_dir_target` before and again after writing, and the marker (a JSON
    list of the files written) is added, so that the next run knows the folder is its own.
    Without one, whether an existing folder may be replaced is the caller's decision.
    """
    out = Path(out)
    if marker is not None:
        check_dir_target(out, marker, force=force)
    if out.exists() and not out.is_dir():
        raise WriteError(f"output path {str(out)!r} is a file; expected a folder")
    parent = out.absolute().parent
    if not parent.is_dir():
        raise WriteError(f"cannot write {str(out)!r}: folder {str(parent)!r} does not exist")
    try:
        tmp = Path(tempfile.mkdtemp(dir=parent, prefix=f".{out.name}.new-"))
    except OSError as exc:
        raise WriteError(f"cannot write {str(out)!r}: {exc.strerror}") from None
    old = parent / f".{out.name}.old-{tmp.name.rsplit('-', 1)[-1]}"
    try:
        write(tmp)
        if marker is not None:
            listing = {"written_by": "hedong-geo", "files": sorted(_files(tmp))}
            (tmp / marker).write_text(json.dumps(listing, indent=0) + "\n", encoding="utf-8")
            check_dir_target(out, marker, force=force)  # nothing added while we wrote
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; a web server must read it
        if out.exists():
            os.replace(out, old)
        try:
            os.replace(tmp, out)
        except OSError:
            if old.exists():
                os.replace(old, out)
            raise
    except OSError as exc:
        if isinstance(exc, WriteError):
            raise
        raise WriteError(f"cannot write {str(out)!r}: {exc}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return out
