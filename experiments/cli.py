"""The ``coprod`` command: every sub-command is registered here, once, and its module is imported
only when that command runs (so ``coprod --help`` and ``coprod params`` start without the model)."""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from coprod.core.errors import CommandStopped, InputError
from coprod.core.lean_imports import load_numba_without_yaml, load_scipy_parts
from coprod.core.mesa_core import load_mesa_core

if TYPE_CHECKING:
    from coprod.experiments.executors import StartedPool


@dataclass(frozen=True)
class Command:
    name: str
    where: str  # "module:function"; the function adds the command's options to its parser and sets func
    help: str


COMMANDS = (
    Command("run", "coprod.experiments.run:register_run", "run one scenario and write its results"),
    Command("scenarios", "coprod.experiments.catalogue:register_scenarios", "list the bundled scenarios"),
    Command("params", "coprod.experiments.catalogue:register_params",
            "list every parameter with default, range and meaning"),
    Command("new-scenario", "coprod.experiments.new_scenario:register", "write a commented scenario file to edit"),
    Command("sweep", "coprod.experiments.sweep:register",
            "global sensitivity sweep (Sobol, Morris, FAST, Latin) over a scenario's uncertain parameters"),
    Command("analyze", "coprod.experiments.analyze:register", "sensitivity indices and plots for a sweep folder"),
    Command("compare", "coprod.experiments.compare:register",
            "compare strategies (scenarios) with common random numbers and replications"),
    Command("claims", "coprod.experiments.claims:register", "test the literature's claims across parameter space"),
    Command("patterns", "coprod.experiments.patterns:register",
            "score the model against empirical patterns from the literature"),
    Command("calibrate", "coprod.experiments.calibrate:register",
            "fit a scenario's uncertain parameters to the empirical patterns (ABC-SMC)"),
    Command("dashboard", "coprod.classroom.dashboard:register", "start the classroom dashboard in the browser"),
    Command("animate", "coprod.classroom.animate:register",
            "render a run (or two side by side) to a GIF or MP4 for teaching"),
)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or (``only``) every command listed but only that one's options
    built, which imports only that command's module."""
    parser = argparse.ArgumentParser(
        prog="coprod", description="Agent-based simulation of co-production of public services (samskabelse).")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        sub = subparsers.add_parser(command.name, help=command.help)
        if only is None or command.name == only:
            module, function = command.where.split(":")
            getattr(importlib.import_module(module), function)(sub)
    return parser


def chosen_command(argv: list[str]) -> str | None:
    """The sub-command named on the command line (the first word that is not an option)."""
    names = {command.name for command in COMMANDS}
    first = next((word for word in argv if not word.startswith("-")), None)
    return first if first in names else None


# Commands that import Mesa without the sub-packages the model does not use (``core.mesa_core``:
# about a third of a warm ``coprod run``'s imports) and only the two parts of SciPy a run reaches
# (``core.lean_imports``: a fifth more), and numba without PyYAML (``load_numba_without_yaml``); the
# others pay a few tenths of a second more once, beside minutes of work, and keep Mesa and SciPy whole.
LEAN_IMPORTS = frozenset({"run"})


# Commands that run on a local pool unless told otherwise, and start it first (``early_pool``).
EARLY_POOL = frozenset({"claims", "sweep"})


def early_pool(command: str | None, argv: list[str]) -> StartedPool | None:
    """The local pool ``command`` will run on, started now: its workers import the model and load
    its kernels while this process imports the command and checks its inputs (``executors``). Only
    for a pool of at most one worker a core, the command's own default; any other pool, or none
    (``--workers 1``, ``--scheduler``, ``--help``), starts as before, after the checks. The words
    are read only for those two options: the command's parser reads (and checks) them all."""
    if command not in EARLY_POOL:
        return None
    asked = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    asked.add_argument("--workers", type=int)
    asked.add_argument("--scheduler")
    asked.add_argument("-h", "--help", action="store_true")
    try:
        known, _ = asked.parse_known_args(argv)
    except (argparse.ArgumentError, SystemExit):  # a malformed value: the command's parser says so
        return None
    cores = os.cpu_count() or 1
    workers = known.workers if known.workers is not None else cores
    if known.scheduler is not None or known.help or not 2 <= workers <= cores:
        return None
    from coprod.experiments.executors import start_pool  # only commands with a pool

    return start_pool(workers)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    command = chosen_command(argv)
    painter = pool = None
    if command == "run":
        # The picture's helper first: it imports matplotlib while the run imports the model.
        from coprod.reports.run_picture import early_painter

        painter = early_painter(argv)
    # Ctrl-C is one line at any moment, also while the sub-commands' libraries are imported.
    try:
        pool = early_pool(command, argv)
        if command in LEAN_IMPORTS:
            load_mesa_core()  # before the command's module imports the model (and mesa)
            load_scipy_parts()  # before numba loads its first kernel and the resources are drawn
            load_numba_without_yaml()
        # With no known command (``--help``, a typo) nothing is imported: argparse lists them all.
        parser = build_parser(only=command or "")
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        args.argv = argv  # the words a long command's resume hint repeats (``session.Session``)
        args.painter = painter
        args.pool = pool  # the command's runner takes it (``runner.open_executor``), or it is stopped below
        return int(args.func(args) or 0)
    except InputError as err:
        print(f"coprod: error: {err}", file=sys.stderr)
        return 2
    except CommandStopped as stop:
        print(stop, file=sys.stderr)
        return stop.code
    except KeyboardInterrupt:
        print("\ncoprod: interrupted", file=sys.stderr)
        return 130
    finally:
        if painter is not None:
            painter.close()  # unused if the run stopped early (bad input, --help): the helper ends
        if pool is not None:
            pool.stop()  # unless the command took it: stopped before its checks, or with nothing to run


# Commands that have written, closed and released everything when they return (no pool, server,
# cluster or log handler left to close at exit), so they may leave without the interpreter's teardown:
# the battery and the sweep close their pool (or dask client), their analysis thread and their progress
# bar before they return, and write every file whole (``storage``) before that.
LEAVE_AT_ONCE = frozenset({"run", "scenarios", "params", "claims", "sweep"})
# Commands that start without the cyclic garbage collector (see ``console_main``): short ones whose
# objects nearly all live to the end. The battery and the sweep make and drop tables for minutes.
START_WITHOUT_GC = frozenset({"run", "scenarios", "params"})


def console_main() -> None:
    """The installed ``coprod`` command. After a command in ``LEAVE_AT_ONCE`` it exits at once:
    the interpreter's teardown would only free the command's objects one by one (about 0.5-0.8 s of
    garbage collection and module teardown, a third of a warm ``coprod run``; 1.0-1.2 s after a
    claims battery, whose process holds pandas, SciPy, matplotlib and the model). A command in
    ``START_WITHOUT_GC`` also starts without the cyclic garbage collector: its imports and the
    model's build make some 10^5 objects that live to the end, and collecting among them cost a
    warm run about a tenth of its time while freeing a few hundred; ``coprod run`` freezes them and
    collects again once the model is built (``run.resume_collection``), so a long run's months
    collect as usual."""
    argv = sys.argv[1:]
    command = chosen_command(argv)
    if command in START_WITHOUT_GC:
        gc.disable()
    code = main(argv)
    if command in LEAVE_AT_ONCE:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    console_main()
