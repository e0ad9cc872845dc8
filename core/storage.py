"""Atomic, checksummed writing: a file or a whole result directory appears complete or not at all,
and a reader can tell whether its bytes are still the ones written.

Files are written to a temporary name in the same directory, flushed to disk, then renamed
(``os.replace`` is atomic on POSIX). Files and folders get the permissions the umask allows
(``mkstemp``/``mkdtemp`` alone would make them private to the writer). \
Directories are built under a hidden temporary sibling
and renamed into place at the end; on any error or Ctrl-C the temporary is removed.

Checksums. Every file written here gets the SHA-256 of its bytes, in the format of ``sha256sum``
(``<hex>  <name>``): a file written on its own gets a sidecar ``<name>.sha256`` beside it; a
directory written whole (``atomic_directory``) gets one ``SHA256SUMS`` listing every file in it
instead. ``sha256sum -c SHA256SUMS`` (or ``-c results.parquet.sha256``) checks them by hand.
Readers go through ``verified`` (or ``read_parquet``/``read_json``), which raise ``DamagedFile``,
one line naming the file and what to do, when the bytes differ or no checksum is found.

The sidecar is written before its file is renamed into place and lists the new digest and, while
the rename is pending, the digest of the file it replaces: a kill at any moment leaves a file that
matches its sidecar (the old one or the new one), never a good file reported as damaged.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coprod.core.errors import InputError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

# The lock file of an output folder in use (see ``locks.FolderLock``).
LOCK_NAME = ".coprod.lock"
# A file's own checksum sits beside it as ``<name>.sha256``; a directory written whole has one list.
CHECKSUM_SUFFIX = ".sha256"
CHECKSUM_LIST = "SHA256SUMS"


class DamagedFile(InputError):
    """A result file whose bytes differ from the checksum written with it, or that has none."""


def write_atomically(path: Path | str, writer: Callable[[Path], None], suffix: str = ".tmp",
                     checksum: bool = True) -> None:
    """Call ``writer(tmp_path)`` then move the finished file to ``path``, with its checksum sidecar
    (see the module docstring) unless ``checksum`` is False. ``suffix`` ends the temporary name,
    for writers that choose the format by it."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    tmp_path = Path(tmp)
    new = old = None
    try:
        os.fchmod(fd, 0o666 & ~current_umask())  # mkstemp makes 0600; results are for colleagues too
        os.close(fd)
        writer(tmp_path)
        with open(tmp_path, "rb+") as handle:
            os.fsync(handle.fileno())
        if checksum:
            new = file_digest(tmp_path)
            old = _current_digest(path)
            _write_sidecar(path, [new] + ([old] if old and old != new else []))
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)
    if old and old != new:
        _write_sidecar(path, [new])  # the rename is done: the replaced file's digest goes


def file_digest(path: Path | str) -> str:
    """The SHA-256 of a file's bytes, as hex."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def checksum_path(path: Path | str) -> Path:
    path = Path(path)
    return path.with_name(path.name + CHECKSUM_SUFFIX)


def _write_sidecar(path: Path, digests: list[str]) -> None:
    text = "".join(f"{digest}  {path.name}\n" for digest in digests)
    write_atomically(checksum_path(path), lambda tmp: tmp.write_text(text, encoding="ascii"), checksum=False)


def _listed_digests(listing: Path, name: str) -> list[str] | None:
    """The digests ``listing`` (``sha256sum`` format) gives for ``name``; None if it cannot be read."""
    try:
        text = listing.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return None
    digests = []
    for line in text.splitlines():
        digest, sep, listed = line.partition("  ")
        if sep and listed.lstrip("*") == name and len(digest) == 64:
            digests.append(digest.lower())
    return digests


def recorded_digests(path: Path | str) -> list[str] | None:
    """The digests written with ``path``: its sidecar's, else its directory's ``SHA256SUMS``
    entry; None when neither records it."""
    path = Path(path)
    for listing in (checksum_path(path), path.parent / CHECKSUM_LIST):
        digests = _listed_digests(listing, path.name) if listing.is_file() else None
        if digests:
            return digests
    return None


def _current_digest(path: Path) -> str | None:
    """The digest of the file at ``path`` if it matches its checksum (else None: nothing to keep)."""
    if not path.is_file():
        return None
    recorded = recorded_digests(path)
    if not recorded:
        return None
    digest = file_digest(path)
    return digest if digest in recorded else None


def verified(path: Path | str, remedy: str) -> Path:
    """``path``, once its bytes match the checksum written with it; else ``DamagedFile`` naming the
    file and ``remedy`` (what to do, e.g. rerun the runs it holds with --resume)."""
    path = Path(path)
    recorded = recorded_digests(path)
    if not recorded:
        raise DamagedFile(f"{path}: no checksum ({path.name}{CHECKSUM_SUFFIX} or {CHECKSUM_LIST}) was found "
                          f"for it, so it cannot be trusted; {remedy} (or, if you know it is intact, record its "
                          f"checksum: sha256sum {path.name} > {path.name}{CHECKSUM_SUFFIX})")
    if file_digest(path) not in recorded:
        raise DamagedFile(f"{path}: damaged (its SHA-256 differs from the one written with it); {remedy}")
    return path


def is_intact(path: Path | str) -> bool:
    """Whether ``path`` exists and matches its checksum."""
    path = Path(path)
    return path.is_file() and _current_digest(path) is not None


def read_parquet(path: Path | str, remedy: str, columns: list[str] | None = None) -> pd.DataFrame:
    """A checked Parquet table (``DamagedFile`` if damaged, see ``verified``)."""
    # Imported here: ``coprod run`` writes through this module and never reads a table; pandas
    # cost it ~0.5 s of a ~2 s run (``write_columns_parquet``).
    import pandas as pd  # noqa: PLC0415

    path = verified(path, remedy)
    try:
        return pd.read_parquet(path, columns=columns)
    except Exception as err:  # noqa: BLE001 - its checksum matched, so the writer wrote a bad file
        raise DamagedFile(f"{path}: unreadable ({type(err).__name__}) although its checksum matches; "
                          f"{remedy}") from None


def read_json(path: Path | str, remedy: str) -> Any:
    """A checked JSON file (``DamagedFile`` if damaged, see ``verified``)."""
    path = verified(path, remedy)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise DamagedFile(f"{path}: unreadable ({type(err).__name__}) although its checksum matches; "
                          f"{remedy}") from None


def write_checksum_list(folder: Path | str) -> None:
    """Replace the sidecars of every file in ``folder`` (recursively) by one ``SHA256SUMS`` per
    directory (for a directory written whole, before it is renamed into place)."""
    folder = Path(folder)
    for directory in [folder, *(p for p in sorted(folder.rglob("*")) if p.is_dir())]:
        files = sorted(p for p in directory.iterdir() if p.is_file() and p.name != CHECKSUM_LIST
                       and not p.name.endswith(CHECKSUM_SUFFIX) and p.name != LOCK_NAME)
        for sidecar in directory.glob(f"*{CHECKSUM_SUFFIX}"):
            sidecar.unlink()
        if files:
            text = "".join(f"{file_digest(p)}  {p.name}\n" for p in files)
            # bound now: a lambda would read `text` of the loop's last directory if called later
            write_text = functools.partial(Path.write_text, data=text, encoding="ascii")
            write_atomically(directory / CHECKSUM_LIST, write_text, checksum=False)


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


def write_columns_parquet(path: Path | str, columns: dict[str, np.ndarray]) -> None:
    """``columns`` (1-D int64 or float64 arrays of one length) as the Parquet file, byte for byte,
    that ``write_parquet(path, pandas.DataFrame(columns))`` writes, without importing pandas
    (~0.5 s of a one-second ``coprod run``): pyarrow writes the table with the schema metadata
    pandas would give it (``pyarrow.pandas_compat.construct_metadata`` for ``index=False``), so
    pandas reads the same frame back (tests/test_run_startup.py compares the bytes)."""
    # Imported here: the quick commands import this module and must not load pyarrow (nor numpy).
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.parquet as pq  # noqa: PLC0415

    described = []
    for name, values in columns.items():
        if values.ndim != 1 or values.dtype.name not in ("int64", "float64"):
            raise TypeError(f"{name}: got {values.dtype.name} of {values.ndim} dimensions; allowed: 1-D int64 or "
                            "float64")
        described.append({"name": name, "field_name": name, "pandas_type": values.dtype.name,
                          "numpy_type": values.dtype.name, "metadata": None})
    pandas_metadata = {"index_columns": [], "column_indexes": [], "columns": described, "attributes": {},
                       "creator": {"library": "pyarrow", "version": pa.__version__},
                       "pandas_version": metadata.version("pandas")}
    table = pa.table({name: _arrow_column(pa, values) for name, values in columns.items()},
                     metadata={b"pandas": json.dumps(pandas_metadata).encode("utf8")})
    write_atomically(path, lambda tmp: pq.write_table(table, tmp, compression="snappy"))


def _arrow_column(pa, values: np.ndarray):
    """``values`` as an Arrow array, a NaN as null as pandas writes it, built from the buffers:
    ``pyarrow.array`` asks its pandas shim about every array and so imports pandas."""
    import numpy as np  # noqa: PLC0415 - the quick commands import this module without numpy

    values = np.ascontiguousarray(values)
    validity, nulls = None, 0
    if values.dtype.kind == "f":
        present = ~np.isnan(values)
        nulls = len(values) - int(present.sum())
        if nulls:
            validity = pa.py_buffer(np.packbits(present, bitorder="little"))
    arrow_type = pa.float64() if values.dtype.kind == "f" else pa.int64()
    return pa.Array.from_buffers(arrow_type, len(values), [validity, pa.py_buffer(values)], null_count=nulls)


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
        raise InputError(f"--out {final}: exists and is not empty; allowed: a new or empty directory")
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".tmp-{final.name}-"))
    try:
        os.chmod(tmp, 0o777 & ~current_umask())  # mkdtemp makes 0700
        yield tmp
        write_checksum_list(tmp)
        if final.exists():
            # An empty folder, or one this process reserved (``runner.reserved_folder``): its lock
            # file goes; the flock stays with this process until it releases it.
            (final / LOCK_NAME).unlink(missing_ok=True)
            final.rmdir()
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
