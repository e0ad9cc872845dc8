"""Atomic writing: a file or a whole result directory appears complete or not at all.

Files are written to a temporary name in the same directory, flushed to disk, then renamed
(``os.replace`` is atomic on POSIX). Files and folders get the permissions the umask allows
(``mkstemp``/``mkdtemp`` alone would make them private to the writer). Directories are built under a hidden temporary sibling
and renamed into place at the end; on any error or Ctrl-C the temporary is removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator

import pandas as pd

# The lock file of an output folder in use (see ``locks.FolderLock``).
LOCK_NAME = ".coprod.lock"


def write_atomically(path: Path | str, writer: Callable[[Path], None], suffix: str = ".tmp") -> None:
    """Call ``writer(tmp_path)`` then move the finished file to ``path``. ``suffix`` ends the
    temporary name, for writers that choose the format by it."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    tmp_path = Path(tmp)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())  # mkstemp makes 0600; results are for colleagues too
        os.close(fd)
        writer(tmp_path)
        with open(tmp_path, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def current_umask() -> int:
    """The process's umask (read by setting and restoring it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_directory(folder: Path) -> None:
    """Make the rename itself durable (where the platform lets a directory be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes(path: Path | str, data: bytes) -> None:
    write_atomically(path, lambda tmp: tmp.write_bytes(data))


def write_json(path: Path | str, data: Any) -> None:
    def dump(tmp: Path) -> None:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=False, default=json_default) + "\n", encoding="utf-8")
    write_atomically(path, dump)


def write_parquet(path: Path | str, table: pd.DataFrame) -> None:
    write_atomically(path, lambda tmp: table.to_parquet(tmp, engine="pyarrow", index=False))


def write_tables(folder: Path | str, tables: dict[str, pd.DataFrame]) -> None:
    """Each table as ``<name>.parquet`` and ``<name>.csv`` in ``folder``, each file atomically."""
    folder = Path(folder)
    for name, table in tables.items():
        write_parquet(folder / f"{name}.parquet", table)
        write_bytes(folder / f"{name}.csv", table.to_csv(index=False).encode())


def json_default(value):
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


@contextlib.contextmanager
def atomic_directory(final: Path | str) -> Iterator[Path]:
    """Yield a temporary sibling directory; rename it to ``final`` if the block succeeds."""
    final = Path(final)
    if final.exists() and any(p.name != LOCK_NAME for p in final.iterdir()):
        from coprod.core.errors import InputError
        raise InputError(f"--out {final}: exists and is not empty; allowed: a new or empty directory")
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".tmp-{final.name}-"))
    try:
        os.chmod(tmp, 0o777 & ~current_umask())  # mkdtemp makes 0700
        yield tmp
        if final.exists():
            # An empty folder, or one this process reserved (``runner.reserved_folder``): its lock
            # file goes; the flock stays with this process until it releases it.
            (final / LOCK_NAME).unlink(missing_ok=True)
            final.rmdir()
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
