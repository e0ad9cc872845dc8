"""Input checks the commands share: each raises a one-line ``InputError`` before anything is written.

Every command calls these on its options before it creates a folder, opens an executor or runs a
model, so a bad input costs nothing and leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from coprod.core.errors import InputError
from coprod.core.locks import FolderLock
from coprod.core.parameters import PARAMETERS
from coprod.core.storage import LOCK_NAME
from coprod.model.paradigms import resolve_parameters

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
    """An integer >= ``least`` and, for an option with a documented upper bound (``UPPER_BOUNDS``),
    within it."""
    if value is not None and value < least:
        raise InputError(f"{option}: got {value}; allowed: an integer >= {least}")
    if option.lstrip("-") in UPPER_BOUNDS:
        check_at_most(value, option)


# The largest machine coprod supports (documented in the README): 64 cores. A citizen-month costs
# at least 1 / 6.5 M s on one core (benchmarks/README: 6.55 M citizen-steps/s on one thread, numba),
# so a day on that machine is at most this many citizen-months; work beyond it is refused at once.
LARGEST_MACHINE_CORES = 64
CITIZEN_MONTHS_PER_CORE_SECOND = 6.5e6
DAY_OF_WORK = LARGEST_MACHINE_CORES * CITIZEN_MONTHS_PER_CORE_SECOND * 86_400  # about 3.6e13 citizen-months
# Upper bounds of the numeric options, each beyond what could finish in a day on that machine even
# at the smallest population (10 citizens), or beyond what it could hold or start:
UPPER_BOUNDS = {
    "steps": 10**8,         # months of one run: a month costs >= ~0.1 ms of fixed work (tally, history)
    "samples": 10**7,       # sample points: each is at least one run of >= 1 ms
    "replications": 10**6,  # runs per point
    "population": 10**6,    # ABC particles per generation
    "generations": 10**6,   # ABC generations (calibrate stops earlier when the acceptance falls)
    "budget": 10**10,       # model runs of a calibration
    "predictive": 10**6,    # posterior draws
    "workers": 4 * LARGEST_MACHINE_CORES,  # processes: more than 4 per core only oversubscribes
    "chunk-runs": 10**7,    # runs held in memory before a chunk is written
    "batch": 10**4,         # runs per submitted task
    "levels": 1000,         # Morris grid levels
    "fps": 1000,            # animation frames per second (no viewer shows more)
    "frames": 10**6,        # animation frames: each takes >= 0.1 s to draw
    "chunk-seconds": 86_400.0,  # a chunk at least once a day
}


def check_at_most(value: float | None, option: str, bound: str | None = None) -> None:
    """``value`` within the documented upper bound of ``bound`` (default: the option's name)."""
    key = bound or option.lstrip("-")
    limit = UPPER_BOUNDS[key]
    if value is not None and value > limit:
        raise InputError(f"{option}: got {value:g}; allowed: at most {limit:g} (more could not finish in a day on "
                         f"the largest machine coprod supports, {LARGEST_MACHINE_CORES} cores)")


def resolved_citizens(overrides: dict[str, Any]) -> int:
    """The population a run with ``overrides`` has (for ``check_work``; validated elsewhere)."""
    value = overrides.get("n_citizens", PARAMETERS["n_citizens"].default)
    return value if isinstance(value, int) and not isinstance(value, bool) else PARAMETERS["n_citizens"].default


def check_work(citizens: int, steps: int, runs: float, where: str) -> None:
    """Refuse work of more than a day on the largest supported machine (``DAY_OF_WORK``)."""
    work = float(citizens) * float(steps) * float(runs)
    if work > DAY_OF_WORK:
        raise InputError(f"{where}: {runs:.4g} runs x {citizens} citizens x {steps} months = {work:.3g} "
                         "citizen-months; "
                         f"allowed: at most {DAY_OF_WORK:.2g}, a day on the largest machine coprod supports "
                         f"({LARGEST_MACHINE_CORES} cores at {CITIZEN_MONTHS_PER_CORE_SECOND:.2g} citizen-months/s "
                         "each)")


def check_positive_number(value: float, option: str) -> float:
    """A finite number > 0 (rejects nan and inf, which argparse's ``float`` lets through)."""
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise InputError(f"{option}: got {value}; allowed: a finite number > 0")
    if option.lstrip("-") in UPPER_BOUNDS:
        check_at_most(value, option)
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


def check_out_file(path: str | Path, option: str = "--out") -> Path:
    """``path`` can be written as a new file: not empty text, not a folder, in an existing folder
    (not inside a file) where this user can create files. Checked with a hidden probe file, so a
    path under ``/proc`` or on a read-only file system is refused before any work."""
    if str(path).strip() == "":
        raise InputError(f"{option}: got an empty path; allowed: a file path")
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{option} {path}: is a folder; allowed: a file path")
    parent = path.parent
    if not parent.exists():
        ancestor = parent
        while not ancestor.exists():
            ancestor = ancestor.parent
        if not ancestor.is_dir():
            raise InputError(f"{option} {path}: {ancestor} is a file; allowed: a file path not inside a file")
        raise InputError(f"{option} {path}: no folder {parent}; allowed: a file in an existing folder")
    if not parent.is_dir():
        raise InputError(f"{option} {path}: {parent} is a file; allowed: a file path not inside a file")
    try:
        fd, probe = tempfile.mkstemp(dir=parent, prefix=".coprod-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise InputError(f"{option} {path}: cannot create files in {parent} ({err.strerror or err}); "
                         "allowed: a folder you can write") from None
    return path


def check_parameters(values: dict[str, Any], where: str) -> dict[str, Any]:
    """Resolve ``values`` (declared defaults, the paradigm's rules, the values) and check both each
    value and the combinations; return the resolved parameters."""
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


def parameters_hash(parameters: dict[str, Any]) -> str:
    """SHA-256 of a run's parameters as run (sorted JSON): `coprod run` records it, ``--from`` checks it."""
    return hashlib.sha256(json.dumps(parameters, sort_keys=True).encode()).hexdigest()


# What a `coprod run` manifest must hold for `run --from`, with the type of each value.
RUN_MANIFEST_TYPES = {"scenario": str, "overrides": dict, "parameters": dict, "seed": int, "steps": int, "engine": str}


def check_run_manifest(data: Any, where: str) -> dict[str, Any]:
    """A `coprod run` manifest checked like any input: its keys and their types, seed, steps and
    engine in range, the overrides valid, and the parameters equal to what the overrides resolve
    to and to their recorded hash (an edit to either is refused, not silently run otherwise).
    Returns the overrides as parsed values."""
    from coprod.model.model import ENGINES  # noqa: PLC0415 - start-up cost: see check_parameters

    if not isinstance(data, dict) or any(key not in data for key in RUN_MANIFEST_TYPES):
        raise InputError(f"{where}: not a `coprod run` manifest; allowed: a manifest.json with keys "
                         f"{', '.join(RUN_MANIFEST_TYPES)}")
    for key, kind in RUN_MANIFEST_TYPES.items():
        value = data[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise InputError(f"{where}: {key} is {value!r}; allowed: {'an integer' if kind is int else kind.__name__}")
    if data["engine"] not in ENGINES:
        raise InputError(f"{where}: engine is {data['engine']!r}; allowed: one of {', '.join(ENGINES)}")
    check_seed(data["seed"], f"{where}: seed")
    check_at_least(data["steps"], f"{where}: steps")
    check_at_most(data["steps"], f"{where}: steps", "steps")
    check_work(resolved_citizens(data["overrides"]), data["steps"], 1, where)
    resolved = check_parameters(data["overrides"], f"{where}: overrides")
    recorded = data["parameters"]
    if resolved != recorded:
        keys = sorted(k for k in set(resolved) | set(recorded) if resolved.get(k) != recorded.get(k))
        raise InputError(f"{where}: parameters disagree with its overrides ({', '.join(keys[:4])}); allowed: a "
                         "manifest as coprod run wrote it")
    if "parameters_sha256" in data and data["parameters_sha256"] != parameters_hash(recorded):
        raise InputError(f"{where}: parameters disagree with their recorded hash (parameters_sha256); allowed: a "
                         "manifest as coprod run wrote it")
    return dict(data["overrides"])
