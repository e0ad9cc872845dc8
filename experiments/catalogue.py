"""``coprod scenarios`` and ``coprod params``: what is bundled and what can be set, read from the
declarations alone (no model, no numba), so both answer at once."""

from __future__ import annotations

import argparse

from coprod.experiments.scenarios import bundled_scenarios, load_scenario
from coprod.core.parameters import PARAMETERS, markdown_table


def cmd_scenarios(args: argparse.Namespace) -> int:
    for name in bundled_scenarios():
        scenario = load_scenario(name)
        print(f"{name:<16} {scenario.description}")
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    if args.markdown:
        print(markdown_table(), end="")
        return 0
    for p in PARAMETERS.values():
        allowed = " | ".join(p.choices) if p.kind == "choice" else ("true | false" if p.kind == "bool" else f"{p.low} .. {p.high}")
        unit = "" if p.unit == "-" else f" [{p.unit}]"
        print(f"{p.name:<28} {str(p.default):<14} {allowed:<26}{unit}  {p.display()}: {p.description}")
    return 0


def register_scenarios(scenarios: argparse.ArgumentParser) -> None:
    scenarios.set_defaults(func=cmd_scenarios)


def register_params(params: argparse.ArgumentParser) -> None:
    params.add_argument("--markdown", action="store_true", help="print the ODD parameter table")
    params.set_defaults(func=cmd_params)
