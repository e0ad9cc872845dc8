"""Input checks the commands share: each raises a one-line ``InputError`` before anything is written.

Every command calls these on its options before it creates a folder, opens an executor or runs a
model, so a bad input costs nothing and leaves nothing behind.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from coprod.core.errors import InputError
from coprod.core.storage import LOCK_NAME

SEED_LIMIT = 2**64
# Addresses a dask Client accepts: an optional protocol, a host and a port.
SCHEDULER_RE = re.compile(r"^(?:(?:tcp|tls|ucx|ws|wss)://)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):\d{1,5}/?$")


def check_seed(value: int, option: str = "--seed") -> int:
    """A seed the model uses as given: 0 <= seed < 2**64 (larger ones would wrap onto smaller ones)."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < SEED_LIMIT:
        raise InputError(f"{option}: got {value}; allowed: an integer from 0 to 2**64 - 1 "
                         f"({SEED_LIMIT - 1})")
    return value


def check_at_least(value: int | None, option: str, least: int = 1) -> None:
    if value is not None and value < least:
        raise InputError(f"{option}: got {value}; allowed: an integer >= {least}")


def check_positive_number(value: float, option: str) -> float:
    """A finite number > 0 (rejects nan and inf, which argparse's ``float`` lets through)."""
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise InputError(f"{option}: got {value}; allowed: a finite number > 0")
    return float(value)


def check_scheduler_address(address: str | None, option: str = "--scheduler") -> None:
    """The form of a dask scheduler address (whether it answers is checked when connecting)."""
    if address is None:
        return
    if not SCHEDULER_RE.match(address):
        raise InputError(f"{option}: got {address!r}; allowed: a dask scheduler address such as "
                         "tcp://127.0.0.1:8786")
    port = int(address.rstrip("/").rsplit(":", 1)[1])
    if not 0 < port < 65536:
        raise InputError(f"{option}: got {address!r}; allowed: a port from 1 to 65535")


def check_out(path: str | Path | None, option: str = "--out", *, may_exist: bool = False) -> Path | None:
    """``path`` can be a result folder: not empty text, not a file, not inside a file, writable.

    With ``may_exist`` an existing non-empty folder passes (the caller decides what it may hold,
    e.g. a sweep to resume); otherwise an existing folder must be empty. Writability is tested by
    creating and removing a hidden probe folder in the nearest existing ancestor, so a path under
    ``/proc`` or on a read-only file system is refused now, not after the simulation ran.
    """
    if path is None:
        return None
    if str(path).strip() == "":
        raise InputError(f"{option}: got an empty path; allowed: a folder path")
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{option} {path}: is a file; allowed: a new or empty folder")
    if path.is_dir():
        names = [p.name for p in path.iterdir()]
        if LOCK_NAME in names:
            from coprod.core.locks import FolderLock

            FolderLock(path, option).refuse_if_held()  # another coprod is writing there now
        if not may_exist and [name for name in names if name != LOCK_NAME]:
            raise InputError(f"{option} {path}: exists and is not empty; allowed: a new or empty folder")
    ancestor = path if path.is_dir() else path.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    absolute = ancestor.resolve()
    if not absolute.is_dir():
        raise InputError(f"{option} {path}: {ancestor} is a file; allowed: a folder path not inside a file")
    try:
        probe = tempfile.mkdtemp(dir=absolute, prefix=".coprod-probe-")
        os.rmdir(probe)
    except OSError as err:
        raise InputError(f"{option} {path}: cannot create files in {ancestor} ({err.strerror or err}); "
                         "allowed: a folder you can write") from None
    return path


def check_parameters(values: dict[str, Any], where: str) -> dict[str, Any]:
    """Resolve ``values`` (declared defaults, the paradigm's rules, the values) and check both each
    value and the combinations; return the resolved parameters."""
    from coprod.model.model import resolve_parameters

    try:
        resolved = resolve_parameters(values, where=where)
    except ValueError as err:
        raise InputError(str(err)) from None
    check_combinations(resolved, where)
    return resolved


# Pairs of parameters the model cannot honour together; the model would quietly use other values.
def check_combinations(values: dict[str, Any], where: str) -> None:
    """Reject parameter combinations the model would otherwise clamp (so the manifest never
    records values other than the ones run)."""
    def get(name):
        return values.get(name)

    rules = (
        ("nk_k", "nk_n", lambda k, n: k < n, "nk_k must be less than nk_n"),
        ("perspective_width", "nk_n", lambda w, n: w <= n, "perspective_width must be at most nk_n"),
        ("n_ngos", "n_groups", lambda a, b: a <= b, "n_ngos must be at most n_groups"),
        ("mean_degree", "n_citizens", lambda d, n: d < n, "mean_degree must be less than n_citizens"),
        ("n_groups", "n_citizens", lambda g, n: g <= n, "n_groups must be at most n_citizens"),
    )
    for first, second, ok, rule in rules:
        a, b = get(first), get(second)
        if a is not None and b is not None and not ok(a, b):
            raise InputError(f"{where}: {first} = {a} with {second} = {b}; allowed: {rule}")
