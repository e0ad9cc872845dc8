"""The ``coprod`` command: one sub-command per job, each registered by the module that does it."""

from __future__ import annotations

import argparse
import importlib
import sys

from coprod.experiments.errors import InputError

# Each module has ``register(subparsers)``, which adds its sub-commands with ``func`` set.
COMMAND_MODULES = [
    "coprod.experiments.run",
    "coprod.experiments.sweep",
    "coprod.experiments.compare",
    "coprod.experiments.dashboard", "coprod.experiments.animate",
    "coprod.experiments.claims",
    "coprod.experiments.patterns",
    "coprod.experiments.calibrate",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coprod", description="Agent-based simulation of co-production of public services (samskabelse).")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser



def main(argv: list[str] | None = None) -> int:
    # Ctrl-C is one line at any moment, also while the sub-commands' libraries are imported.
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        return int(args.func(args) or 0)
    except InputError as err:
        print(f"coprod: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ncoprod: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
