"""``coprod run``: one scenario, one seed, written to a result directory with its manifest.

The directory holds ``manifest.json`` (everything needed to repeat the run), the time series as
``timeseries.parquet``, ``summary.json`` (final outcomes and the step-loop time) and
``dimensions.png``. It is written atomically: a failed or interrupted run leaves nothing.
"""

from __future__ import annotations

import argparse
import gc
import shlex
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from coprod.core.errors import InputError
from coprod.core.parameters import PARAMETERS
from coprod.core.storage import atomic_directory, read_json, write_columns_parquet, write_json
from coprod.experiments.checks import (
    check_at_least,
    check_out,
    check_parameters,
    check_run_manifest,
    check_seed,
    check_work,
    parameters_hash,
)
from coprod.experiments.provenance import Checkout, git_commit, versions
from coprod.experiments.scenarios import Scenario, load_scenario, parse_set
from coprod.experiments.session import reserved_folder
from coprod.model.model import ENGINES, CoProductionModel
from coprod.model.outcomes import DIMENSIONS
from coprod.model.warmup import cold_kernels, warm_kernels
from coprod.reports.run_picture import Painter, draw_dimensions

DEFAULT_STEPS = 120
# Show a progress bar when a run is at least this many citizen-steps (or on a terminal).
PROGRESS_ABOVE = 200_000


def run_model(parameters: dict[str, Any], steps: int, seed: int, engine: str = "auto",
              progress: bool = False, when_built: Callable[[], None] | None = None) -> tuple[CoProductionModel, float]:
    """Build and step the model (calling ``when_built`` in between); return it and the wall time of
    the step loop alone."""
    model = CoProductionModel(seed=seed, engine=engine, **parameters)
    if when_built is not None:
        when_built()
    bar = None
    if progress:
        # Imported here: tqdm costs ~0.1 s (0.4 s on a loaded machine) that a quiet run never uses.
        from tqdm import tqdm  # noqa: PLC0415

        # A thread lock, not tqdm's default multiprocessing one: its semaphore would be reported
        # "leaked" by the resource tracker when the command leaves at once (cli.console_main).
        tqdm.set_lock(threading.RLock())
        bar = tqdm(total=steps, unit="month", desc="coprod run", file=sys.stderr, leave=False)
    start = time.perf_counter()
    for _ in range(steps):
        model.step()
        if bar is not None:
            bar.update()
    seconds = time.perf_counter() - start
    if bar is not None:
        bar.close()
    return model, seconds


def resume_collection() -> None:
    """The cyclic garbage collector back on, if ``cli.console_main`` started the command without it:
    the objects made so far (modules, kernels, the model) live until the process ends, so they are
    frozen (never scanned again) and collection resumes for the months."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def manifest(scenario: Scenario, model: CoProductionModel, overrides: dict, steps: int, seed: int,
             checkout: Checkout | None = None) -> dict:
    """What ``manifest.json`` records; ``checkout``: git's answers, if asked already."""
    checkout = checkout or Checkout()
    return {
        "scenario": scenario.name,
        "scenario_path": str(scenario.path),
        "scenario_description": scenario.description,
        "paradigm": model.p["paradigm"],
        "parameters": dict(model.p),
        "parameters_sha256": parameters_hash(dict(model.p)),  # checked by run --from
        "overrides": overrides,
        "seed": seed,
        "steps": steps,
        "engine": model.engine_name,
        "versions": versions(),
        "git_commit": checkout.commit(),
        "git_dirty": checkout.dirty(),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": shlex.join(["coprod", *sys.argv[1:]]),
    }


def timeseries(model: CoProductionModel) -> dict[str, np.ndarray]:
    """The run's monthly outcomes as columns, ``step`` (1, 2, ...) first: what
    ``datacollector.get_model_vars_dataframe()`` holds, read from its array without pandas."""
    history = model.datacollector
    rows = history.rows
    columns = {"step": np.arange(1, len(rows) + 1, dtype=np.int64)}
    columns.update((name, np.ascontiguousarray(rows[:, i])) for i, name in enumerate(history.names))
    return columns


def plot_dimensions(frame, path: Path, title: str, painter: Painter | None = None) -> None:
    """Five small panels: each dimension's monthly output and its long-horizon reading
    (``run_picture.draw_dimensions``), drawn by ``painter`` (a helper process that imported
    matplotlib and laid the picture out while the model ran; it may have been sent the picture
    already) or else here."""
    if painter is not None:
        painter.draw(frame, path, title, DIMENSIONS)
    else:
        draw_dimensions(frame, path, title, DIMENSIONS)


def write_run_directory(out: Path, scenario: Scenario, model: CoProductionModel, overrides: dict, steps: int,
                        seed: int, step_loop_seconds: float, plots: bool = True,
                        painter: Painter | None = None, checkout: Checkout | None = None) -> None:
    """Write the result files into ``out`` atomically (all or nothing); ``plots=False`` leaves out
    ``dimensions.png`` (batch use: matplotlib is then never imported). A ``painter`` is sent the
    picture first and draws it while the other files are written; the folder is complete when the
    picture is. ``checkout``: git's answers for the manifest, if asked already."""
    frame = timeseries(model)
    title = f"{scenario.name}: {scenario.description} (seed {seed}, {model.p['n_citizens']} citizens)"
    with atomic_directory(out) as tmp:
        try:
            if plots and painter is not None:
                painter.send(frame, tmp / "dimensions.png", title, DIMENSIONS)
            write_json(tmp / "manifest.json", manifest(scenario, model, overrides, steps, seed, checkout))
            write_columns_parquet(tmp / "timeseries.parquet", frame)
            write_json(tmp / "summary.json", {
                "outcomes": {name: float(column[-1]) for name, column in frame.items() if name != "step"},
                "step_loop_seconds": step_loop_seconds,
            })
            if plots:
                plot_dimensions(frame, tmp / "dimensions.png", title, painter)
        except BaseException:
            if painter is not None:
                painter.close()  # before the unfinished folder is removed: the helper must not write into it
            raise


def summary_table(model: CoProductionModel) -> str:
    """The five dimensions and inequality at the end of the run, as plain text."""
    o = model.outcomes
    lines = [f"{'dimension':<24}{'output':>9}{'long':>9}"]
    for dim in DIMENSIONS:
        lines.append(f"{dim.replace('_', ' '):<24}{o[dim + '_output']:>9.3f}{o[dim + '_long']:>9.3f}")
    lines.append("")
    lines.append(f"{'wellbeing Gini':<24}{o['wellbeing_gini']:>9.3f}")
    lines.append(f"{'taking part, top 20%':<24}{o['participation_top_quintile']:>9.3f}")
    lines.append(f"{'taking part, bottom 20%':<24}{o['participation_bottom_quintile']:>9.3f}")
    return "\n".join(lines)


def default_out(scenario: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path("results") / f"{stamp}-{scenario}"


def cmd_run(args: argparse.Namespace) -> int:
    checkout = Checkout()  # git answers while the run loads and steps its model
    try:
        return _run(args, checkout)
    finally:
        checkout.close()


def _run(args: argparse.Namespace, checkout: Checkout) -> int:
    if args.from_manifest:
        scenario, overrides, steps, seed, engine = recorded_run(args.from_manifest, args, checkout)
    else:
        scenario = load_scenario(args.scenario or "default")
        overrides = dict(scenario.parameters)
        overrides.update(parse_set(args.set))
        if args.citizens is not None:
            overrides.update(parse_set([f"n_citizens={args.citizens}"], where="--citizens"))
        steps = DEFAULT_STEPS if args.steps is None else args.steps
        seed = 0 if args.seed is None else args.seed
        engine = args.engine or "auto"
    check_at_least(steps, "--steps")
    check_seed(seed)
    check_parameters(overrides, str(scenario.path))
    check_work(overrides.get("n_citizens", PARAMETERS["n_citizens"].default), steps, 1, "run")
    out = Path(args.out) if args.out is not None else default_out(scenario.name)
    # before the simulation: a bad --out must not cost (and lose) the run
    check_out(args.out if args.out is not None else out)
    with reserved_folder(out):  # a second coprod aiming here is refused now, not after its run
        # The picture's helper, started by ``cli.main`` before this module's imports (or now), lays
        # the picture out while this process loads the model and runs it.
        painter = None if args.no_plots else (getattr(args, "painter", None) or Painter())
        try:
            if painter is not None:
                painter.prepare(steps, DIMENSIONS)
            model, seconds = _simulate(overrides, steps, seed, engine, progress=not args.quiet and (
                sys.stderr.isatty() or overrides.get("n_citizens", PARAMETERS["n_citizens"].default) * steps
                > PROGRESS_ABOVE))
            write_run_directory(out, scenario, model, overrides, steps, seed, seconds, plots=not args.no_plots,
                                painter=painter, checkout=checkout)
        finally:
            if painter is not None:
                painter.close()
    if not args.quiet:
        print(f"{scenario.name}: {scenario.description}")
        print(f"{model.p['n_citizens']} citizens, {steps} months, seed {seed}, engine {model.engine_name}, "
              f"step loop {seconds:.2f} s")
        print(summary_table(model))
        print(f"results in {out}")
    return 0


def _simulate(overrides: dict, steps: int, seed: int, engine: str, progress: bool) -> tuple[CoProductionModel, float]:
    """``run_model``, with a cold kernel cache compiled first and said on screen."""
    try:
        if engine != "agents" and cold_kernels():
            # A cold cache is said on screen, not spent in month 1; every kernel, the large populations' too,
            # so a later sweep or a bigger run does not compile again. With a warm cache the run loads only
            # the kernels it calls, when it calls them (the warm-up would load all 28 and step a model).
            warm_kernels()
        return run_model(overrides, steps, seed, engine, progress, when_built=resume_collection)
    except ValueError as err:  # a combination the declarations cannot catch alone
        raise InputError(str(err)) from None


def recorded_run(path: str, args: argparse.Namespace,
                 checkout: Checkout | None = None) -> tuple[Scenario, dict, int, int, str]:
    """Scenario, overrides, steps, seed and engine recorded in a run's ``manifest.json``, to repeat
    it exactly (``coprod run --from``). The manifest is checked like any input: its checksum, its
    types, its parameters against their hash and its overrides (``checks.check_run_manifest``);
    nothing beside ``--from`` may change what it records; a different git commit or different
    package versions are said on one line (the numbers may then differ)."""
    where = f"--from {path}"
    manifest_path = Path(path)
    if manifest_path.is_dir():
        manifest_path = manifest_path / "manifest.json"
    given = [option for option, value in (("scenario", args.scenario), ("--set", args.set),
                                          ("--citizens", args.citizens), ("--steps", args.steps),
                                          ("--seed", args.seed), ("--engine", args.engine)) if value is not None]
    if given:
        raise InputError(f"{given[0]}: cannot be combined with --from (the manifest records it); allowed: --from "
                         "alone (with --out, --quiet)")
    if not manifest_path.is_file():
        raise InputError(f"{where}: no such file; allowed: the manifest.json of a `coprod run` result")
    try:
        data = read_json(manifest_path, "repeat the run from its original command instead (coprod run SCENARIO ...)")
    except InputError as err:
        raise InputError(f"--from: {err}") from None
    overrides = check_run_manifest(data, where)
    installed = {"git_commit": checkout.commit() if checkout else git_commit(), "versions": versions()}
    changed = [key for key in ("git_commit", "versions")
               if data.get(key) is not None and data.get(key) != installed[key]]
    if changed:
        differ = [name for name, v in installed["versions"].items() if (data.get("versions") or {}).get(name) != v]
        what = " and ".join(["the git commit" if key == "git_commit" else f"versions of {', '.join(differ[:4])}"
                             for key in changed])
        print(f"coprod: warning: {where}: {what} differ from the recorded ones; the numbers may differ from the "
              "original", file=sys.stderr)
    scenario_file = Path(data.get("scenario_path") or "")
    scenario = load_scenario(str(scenario_file)) if scenario_file.is_file() else Scenario(
        name=str(data["scenario"]), path=scenario_file, description=str(data.get("scenario_description", "")),
        paradigm=str(overrides.get("paradigm", PARAMETERS["paradigm"].default)), parameters=dict(overrides))
    return scenario, overrides, data["steps"], data["seed"], data["engine"]


def _as_text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def register_run(run: argparse.ArgumentParser) -> None:
    run.description = "Run one scenario and write results/<timestamp>-<scenario>/."
    run.add_argument("scenario", nargs="?", help="bundled scenario name or path to a .toml file (default: default)")
    run.add_argument("--citizens", type=int, help="number of citizens (n_citizens)")
    run.add_argument("--steps", type=int, help=f"months to simulate (default {DEFAULT_STEPS})")
    run.add_argument("--seed", type=int, help="random seed (default 0)")
    run.add_argument("--engine", choices=ENGINES,
                     help="citizen engine: Mesa agents, compiled numba kernels, or auto by size (default auto)")
    run.add_argument("--out", help="result directory (default results/<timestamp>-<scenario>)")
    run.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a parameter (repeatable)")
    run.add_argument("--quiet", action="store_true", help="no progress bar and no table")
    run.add_argument("--no-plots", action="store_true", help="leave out dimensions.png (batch use; faster start)")
    run.add_argument("--from", dest="from_manifest", metavar="MANIFEST",
                     help="repeat a result exactly: the manifest.json (or folder) of an earlier `coprod run`")
    run.set_defaults(func=cmd_run)

