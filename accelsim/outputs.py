"""Output paths: checked before any work starts, written whole or not at all.

A file is written to a temporary name beside it and renamed into place, so a crash, a full disk or a
read-only file system leaves the old file (or none), never a truncated one; the temporary is removed
on any failure. An existing path of the other kind (a directory where a file goes, a device, a file
where a directory goes) is refused with one line.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from accelsim.errors import InputError


def check_output(path: str | Path, kind: Literal["file", "dir"] = "file", field: str | None = None) -> Path:
    """Refuse ``path`` as an output of ``kind`` unless it is absent or of that kind, and its nearest
    existing ancestor is a directory this process may write in."""
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        st = None
    except OSError as err:
        raise InputError(path, field, f"cannot use as an output ({err.strerror})") from None
    if st is not None:
        if kind == "file" and not stat.S_ISREG(st.st_mode):
            got = "a directory" if stat.S_ISDIR(st.st_mode) else "a device, pipe or socket"
            raise InputError(path, field, f"is {got}; expected a file path to write")
        if kind == "dir" and not stat.S_ISDIR(st.st_mode):
            raise InputError(path, field, "is a file; expected a directory to write results in")
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(path, field, f"{parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(path, field, f"cannot write in {parent} (permission denied)")
    return path


def _make_parents(path: Path) -> list[Path]:
    """Create the missing parents of ``path``; returns those created, outermost first."""
    missing = [p for p in path.absolute().parents if not p.exists()][::-1]
    for p in missing:
        p.mkdir()
    return missing


def _remove(created: list[Path]) -> None:
    """Remove the directories ``_make_parents`` created, where they are still empty."""
    for p in reversed(created):
        with contextlib.suppress(OSError):
            p.rmdir()


def _temp(path: Path) -> Path:
    return path.parent / f".{path.name}.{uuid.uuid4().hex[:8]}.tmp"


@contextmanager
def atomic_file(path: str | Path, field: str | None = None) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``path`` (parents are created), on any
    failure it is removed. OS errors (full disk, read-only file system) become one-line InputErrors."""
    path = check_output(path, "file", field)
    tmp = _temp(path)
    created: list[Path] = []
    done = False
    try:
        created = _make_parents(path)
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
        done = True
    except OSError as err:
        raise InputError(path, field, f"cannot write ({err.strerror or err})") from None
    finally:
        tmp.unlink(missing_ok=True)
        if not done:
            _remove(created)


def write_text(path: str | Path, text: str, field: str | None = None) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically (see :func:`atomic_file`)."""
    with atomic_file(path, field) as tmp:
        tmp.write_text(text, encoding="utf-8")


@contextmanager
def atomic_dir(path: str | Path, field: str | None = None) -> Iterator[Path]:
    """Yield a temporary directory to fill; on success it replaces the directory ``path``, on any failure
    it is removed with its content."""
    path = check_output(path, "dir", field)
    tmp = _temp(path)
    old = _temp(path)
    created: list[Path] = []
    done = False
    try:
        created = _make_parents(path)
        tmp.mkdir()
        yield tmp
        if path.exists():
            path.rename(old)
        tmp.rename(path)
        done = True
    except OSError as err:
        if old.exists() and not path.exists():
            old.rename(path)
        raise InputError(path, field, f"cannot write ({err.strerror or err})") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
        if not done:
            _remove(created)
