"""``coprod new-scenario PATH [--from SCENARIO]``: a commented scenario file for an analyst to edit.

Every lever (``Parameter.lever``) is written as a live setting; every other parameter is written
commented out. Each line carries the parameter's meaning, allowed values, unit and source as
comments. Values come from ``--from``'s scenario as the model would run it (its overrides, then
its paradigm's rule set, then the declared defaults). The file loads with ``load_scenario``.
"""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path
from typing import Any

from coprod.core.errors import InputError
from coprod.core.parameters import PARAMETERS
from coprod.core.storage import write_atomically
from coprod.experiments.checks import check_out_file
from coprod.experiments.scenarios import DECLARED, TYPICAL, load_scenario
from coprod.model.model import resolve_parameters
from coprod.model.paradigms import paradigm_values


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _comment(text: str, indent: str = "# ") -> list[str]:
    return [indent + line for line in textwrap.wrap(text, 96)] or [indent.rstrip()]


def _describe(name: str, origin: str) -> list[str]:
    p = PARAMETERS[name]
    unit = "" if p.unit == "-" else f"; unit: {p.unit}"
    lines = _comment(f"{name}: {p.description}.")
    lines += _comment(f"Allowed: {p.allowed()}{unit}. Declared default: {toml_value(p.default)}. {origin}")
    lines += _comment(f"Source: {p.source}.")
    return lines


def scenario_text(source_name: str | None) -> str:
    if source_name:
        scenario = load_scenario(source_name)
        explicit = dict(scenario.parameters)
        description = scenario.description or f"copy of {scenario.name}"
        title = f"{scenario.title} (copy)"
        uncertain = scenario.uncertain
        origin_name = f"scenario {scenario.name!r} ({scenario.path})"
    else:
        explicit, description, uncertain = {}, "A new strategy (edit this description)", {}
        title = "My strategy"
        origin_name = "the declared defaults"
    values = resolve_parameters(explicit)
    paradigm = values["paradigm"]
    by_paradigm = paradigm_values(paradigm)

    def origin(name: str) -> str:
        if name in explicit:
            return f"Value from {origin_name}."
        if name in by_paradigm:
            return f"Value set by the {paradigm!r} paradigm's rule set."
        return "Value: the declared default."

    out = [
        "# A coprod scenario: one strategy for `coprod run` / `coprod compare`.",
        f"# Written by `coprod new-scenario` from {origin_name}.",
        "#",
        "# How values combine: declared defaults, then the paradigm's rule set, then what this file sets.",
        "# Levers (what a municipality chooses) are set below; other parameters are commented out:",
        "# remove the leading '# ' to set one. `coprod params` lists them all. Levers written here",
        "# override the paradigm's rule set: if you change the paradigm, revisit them too.",
        "",
        "# title: the name reports show for this strategy.",
        f"title = {toml_value(title)}",
        f"description = {toml_value(description)}",
        "",
    ]
    out += _describe("paradigm", origin("paradigm"))
    out += [f"paradigm = {toml_value(paradigm)}", "", "[parameters]", "", "# --- levers " + "-" * 80, ""]
    for name, p in PARAMETERS.items():
        if p.lever and name != "paradigm":
            out += _describe(name, origin(name))
            out += [f"{name} = {toml_value(values[name])}", ""]
    out += ["# --- other parameters (set one by removing its leading '# ') " + "-" * 32, ""]
    for name, p in PARAMETERS.items():
        if p.lever:
            continue
        out += _describe(name, origin(name))
        prefix = "" if name in explicit else "# "
        out += [f"{prefix}{name} = {toml_value(values[name])}", ""]
    out += ["[uncertain]",
            "# Ranges [low, high] of numeric parameters that are uncertain; `coprod compare --robust` and",
            "# `coprod sweep` sample them. Each must lie inside the parameter's declared uncertain range",
            "# (\"declared\" names it), or where none is declared, inside its allowed range."]
    if uncertain:
        out += [f"{name} = {uncertain_value(name, low, high)}" for name, (low, high) in uncertain.items()]
    else:
        out += [f'# trust_build_rate = "{DECLARED}"   # its declared range, or [low, high] inside it']
    return "\n".join(out) + "\n"


def uncertain_value(name: str, low: float, high: float) -> str:
    """An [uncertain] entry as TOML: ``"declared"`` or ``"typical"`` when it is the parameter's declared
    range or band (named once)."""
    if PARAMETERS[name].uncertain == (low, high):
        return f'"{DECLARED}"'
    if PARAMETERS[name].typical == (low, high):
        return f'"{TYPICAL}"'
    return f"[{toml_value(low)}, {toml_value(high)}]"


def cmd_new_scenario(args: argparse.Namespace) -> int:
    path = Path(args.path)
    if path.exists():
        raise InputError(f"new-scenario: {path} exists; allowed: a path that does not exist yet (nothing overwritten)")

    check_out_file(path, "new-scenario")  # a folder that exists, is not a file, and can be written
    text = scenario_text(args.from_scenario)
    write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), checksum=False)  # a file to edit
    load_scenario(str(path))  # what we write must load
    if not args.quiet:
        print(f"wrote {path}; edit it, then: coprod compare {path} <other scenario>")
    return 0


def register(p: argparse.ArgumentParser) -> None:
    p.description = ("Write a commented TOML scenario listing every lever (and, commented "
                     "out, every other parameter) with meaning, allowed values and source.")
    p.add_argument("path", metavar="PATH", help="file to write (must not exist)")
    p.add_argument("--from", dest="from_scenario", metavar="SCENARIO",
                   help="take the values from this bundled scenario name or .toml path (default: declared defaults)")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")
    p.set_defaults(func=cmd_new_scenario)
