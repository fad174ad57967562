"""Atomic writes: every file and folder hedong-geo writes goes through here.

A writer works on a temporary file or folder beside the target and moves it into place only
when it is whole, so a reader never sees half a file and a failure leaves the old one intact.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from hedong_geo._errors import WriteError

__all__ = ["atomic_dir", "atomic_write", "atomic_write_text", "check_file_target"]


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


def atomic_write(out: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` with a path beside ``out`` (no file there yet), then move it to ``out``.

    Raises :class:`WriteError` naming ``out`` when the folder is missing or not writable; on
    any failure the temporary file is removed and ``out`` is left as it was.
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
        os.replace(tmp, out)
    except OSError as exc:
        raise WriteError(f"cannot write {str(out)!r}: {exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return out


def atomic_write_text(out: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``out`` atomically; see :func:`atomic_write`."""
    return atomic_write(out, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def atomic_dir(out: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a new folder beside ``out``, then rename it to ``out``.

    An existing ``out`` is replaced only once ``write`` has succeeded; on any failure the
    temporary folder is removed and ``out`` is left as it was. Whether an existing folder may
    be replaced at all is the caller's decision.
    """
    out = Path(out)
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
        raise WriteError(f"cannot write {str(out)!r}: {exc}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return out
