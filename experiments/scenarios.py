"""Load and check scenario files: a paradigm, parameter overrides and uncertain ranges.

A scenario is a TOML file::

    title = "NPG with collective co-production"   # optional: the name reports show (default: file name)
    description = "New Public Governance with collective co-production"
    paradigm = "npg"
    [parameters]            # any declared parameter
    cp_level = "collective"
    [uncertain]             # ranges for sweeps: numeric parameters only
    critical_mass = [0.05, 0.3]
    trust_build_rate = "declared"   # the range declared with the parameter (core/parameters.py)

Every problem is reported as one ``InputError`` line naming the file, the key and what is allowed.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coprod.core.errors import InputError
from coprod.core.parameters import PARAMETERS, validate
from coprod.scenarios import SCENARIO_DIR

TOP_LEVEL_KEYS = ("title", "description", "paradigm", "parameters", "uncertain")
# In an [uncertain] table: the range declared with the parameter (``Parameter.uncertain``), named once.
DECLARED = "declared"
# ... and the narrower band several scenarios share inside it (``Parameter.typical``), named once too.
TYPICAL = "typical"


@dataclass(frozen=True)
class Scenario:
    name: str
    path: Path
    description: str
    paradigm: str
    title: str = ""  # the name readers see in reports; the file name when the file gives none
    parameters: dict[str, Any] = field(default_factory=dict)  # validated overrides, including "paradigm"
    uncertain: dict[str, tuple[float, float]] = field(default_factory=dict)


def bundled_scenarios() -> list[str]:
    """Names of the scenarios shipped with coprod."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))


def scenario_path(name_or_path: str) -> Path:
    """A path to an existing file, or the file of a bundled scenario of that name."""
    candidate = Path(name_or_path)
    if candidate.is_file():
        return candidate
    bundled = SCENARIO_DIR / f"{name_or_path}.toml"
    if bundled.is_file():
        return bundled
    raise InputError(f"no such scenario {name_or_path!r}: not a file and not one of: {', '.join(bundled_scenarios())}")


def load_scenario(name_or_path: str) -> Scenario:
    """Read and check a scenario; raise ``InputError`` on the first problem found."""
    path = scenario_path(str(name_or_path))
    where = str(path)
    data = read_toml(path, what="scenario file")
    if not data:
        raise InputError(f"{where}: is empty; allowed: a scenario with a description and its paradigm or "
                         "[parameters] (start one with: coprod new-scenario PATH)")

    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise InputError(f"{where}: unknown key {key!r}; allowed top-level keys: {', '.join(TOP_LEVEL_KEYS)}")
    description = data.get("description", "")
    title = data.get("title", path.stem.replace("_", " "))
    for key, value in (("description", description), ("title", title)):
        if not isinstance(value, str):
            raise InputError(f"{where}: key {key!r}: got {value!r}; allowed: a string")

    overrides = _table(data, "parameters", where)
    if "paradigm" in data:
        if "paradigm" in overrides:
            raise InputError(f"{where}: key 'paradigm' is given twice (top level and [parameters]); keep one")
        overrides = {"paradigm": data["paradigm"], **overrides}
    parameters = check_values(overrides, where)
    parameters.setdefault("paradigm", PARAMETERS["paradigm"].default)
    uncertain = check_uncertain(_table(data, "uncertain", where), where)
    return Scenario(name=path.stem, path=path, description=description, paradigm=parameters["paradigm"], title=title,
                    parameters=parameters, uncertain=uncertain)


def read_toml(path: Path, what: str = "file") -> dict:
    """A TOML file's tables; every problem (missing, a folder, binary, not UTF-8, a byte-order
    mark, bad TOML) is one ``InputError`` naming the file and what is allowed."""
    where = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{where}: no such {what}") from None
    except IsADirectoryError:
        raise InputError(f"{where}: is a folder; allowed: a TOML {what}") from None
    except OSError as err:
        raise InputError(f"{where}: cannot read: {err.strerror or err}") from None
    if raw.startswith(b"\xef\xbb\xbf"):
        raise InputError(f"{where}: starts with a UTF-8 byte-order mark (BOM, often added by Windows editors); "
                         "allowed: UTF-8 without a BOM (save it again as plain UTF-8)")
    if b"\x00" in raw:
        raise InputError(f"{where}: is a binary file; allowed: a UTF-8 TOML {what}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"{where}: is not UTF-8 (byte {err.start}); allowed: a UTF-8 TOML {what}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"{where}: malformed TOML: {err}") from None


def check_entry_keys(entry: dict, required: tuple[str, ...], optional: tuple[str, ...], at: str) -> None:
    """One [[table]] entry of a data file (claims, patterns) has every required key and no other
    than the optional ones; else a one-line ``InputError`` naming the entry (``at``) and the key."""
    allowed = required + optional
    for key in entry:
        if key not in allowed:
            raise InputError(f"{at}: unknown key {key!r}; allowed: {', '.join(allowed)}")
    for key in required:
        if key not in entry:
            raise InputError(f"{at}: missing key {key!r}")


def _table(data: dict, key: str, where: str) -> dict:
    table = data.get(key, {})
    if not isinstance(table, dict):
        raise InputError(f"{where}: key {key!r}: got {table!r}; allowed: a table [{key}]")
    return table


def check_values(values: dict[str, Any], where: str) -> dict[str, Any]:
    """Check parameter values against their declarations; return them typed."""
    try:
        return validate(values, where)
    except ValueError as err:
        raise InputError(str(err)) from None


def check_uncertain(table: dict[str, Any], where: str) -> dict[str, tuple[float, float]]:
    """Check ``[uncertain]``: numeric parameters, each ``"declared"`` (the range declared with the
    parameter, ``Parameter.uncertain``) or two numbers, low < high, inside the declared range (or,
    where none is declared, inside the parameter's allowed range)."""
    ranges = {}
    for key, value in table.items():
        declared = PARAMETERS.get(key)
        if declared is None:
            raise InputError(f"{where}: unknown key 'uncertain.{key}'; "
                             "allowed: a numeric parameter listed by `coprod params`")
        if declared.kind not in ("float", "int"):
            raise InputError(f"{where}: key 'uncertain.{key}': a {declared.kind} parameter cannot be uncertain; "
                             "allowed: numeric parameters")
        if value == DECLARED:
            if declared.uncertain is None:
                raise InputError(f"{where}: key 'uncertain.{key}': got {DECLARED!r}, but {key} declares no uncertain "
                                 "range; allowed: [low, high], two numbers")
            value = list(declared.uncertain)
        elif value == TYPICAL:
            if declared.typical is None:
                raise InputError(f"{where}: key 'uncertain.{key}': got {TYPICAL!r}, but {key} declares no typical "
                                 "band; allowed: [low, high], two numbers")
            value = list(declared.typical)
        numbers = isinstance(value, list) and len(value) == 2 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
        if not numbers:
            raise InputError(f"{where}: key 'uncertain.{key}': got {value!r}; allowed: [low, high], two numbers"
                             + (f", or {DECLARED!r}" if declared.uncertain else ""))
        low, high = float(value[0]), float(value[1])
        if not low < high:
            raise InputError(f"{where}: key 'uncertain.{key}': got [{value[0]}, {value[1]}]; allowed: low < high")
        bound_low, bound_high = declared.widest_uncertain()
        if low < bound_low or high > bound_high:
            raise InputError(f"{where}: key 'uncertain.{key}': got [{value[0]}, {value[1]}]; "
                             f"allowed: inside [{bound_low}, {bound_high}]"
                             + (f", the range declared for it (write {DECLARED!r} for all of it)" if declared.uncertain
                                else ""))
        ranges[key] = (low, high)
    return ranges


def parse_set(items: list[str] | None, where: str = "--set") -> dict[str, Any]:
    """``key=value`` strings from the command line -> typed parameter values."""
    values: dict[str, Any] = {}
    for item in items or []:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep:
            raise InputError(f"{where}: got {item!r}; allowed: key=value")
        if key not in PARAMETERS:
            raise InputError(f"{where}: unknown key {key!r}; allowed: a parameter listed by `coprod params`")
        if key in values:
            raise InputError(f"{where}: key {key!r} given twice; allowed: each parameter once")
        try:
            values[key] = PARAMETERS[key].parse(text)
        except ValueError as err:
            raise InputError(f"{where}: key {key!r}: {err}") from None
    return values
