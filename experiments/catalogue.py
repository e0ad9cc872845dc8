"""``coprod scenarios`` and ``coprod params``: what is bundled and what can be set, read from the
declarations alone (no model, no numba), so both answer at once."""

from __future__ import annotations

import argparse

from coprod.core.parameters import PARAMETERS, markdown_table
from coprod.experiments.scenarios import bundled_scenarios, load_scenario


def cmd_scenarios(args: argparse.Namespace) -> int:
    for name in bundled_scenarios():
        scenario = load_scenario(name)
        print(f"{name:<16} {scenario.description}")
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    if args.markdown:
        print(markdown_table(), end="")
        return 0
    print(f"{'name':<28} {'default':<14} {'allowed':<26}[unit]  meaning")
    for p in PARAMETERS.values():
        allowed = (" | ".join(p.choices) if p.kind == "choice"
                   else ("true | false" if p.kind == "bool" else f"{p.low} .. {p.high}"))
        unit = "" if p.unit == "-" else f" [{p.unit}]"
        print(f"{p.name:<28} {str(p.default):<14} {allowed:<26}{unit}  {p.display()}: {p.description}")
    return 0


def register_scenarios(scenarios: argparse.ArgumentParser) -> None:
    scenarios.description = ("List the bundled scenarios (scenarios/*.toml) with their stories; run one with "
                             "`coprod run NAME`, copy one with `coprod new-scenario PATH --from NAME`.")
    scenarios.set_defaults(func=cmd_scenarios)


def register_params(params: argparse.ArgumentParser) -> None:
    params.description = ("List every model parameter: name, default, allowed values, unit and meaning (set one "
                          "with --set NAME=VALUE or in a scenario's [parameters]).")
    params.add_argument("--markdown", action="store_true", help="print the ODD parameter table")
    params.set_defaults(func=cmd_params)
