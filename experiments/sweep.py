"""``coprod sweep``: global sensitivity sweeps over a scenario's uncertain parameters.

The pipeline is: a SALib problem (the scenario's ``uncertain`` table, or ``--uncertain``) ->
a sample matrix (Sobol/Saltelli, Morris, FAST or Latin hypercube) -> one run per
(sample, replication) -> Parquet. Runs go through one code path built on the
shared runner (``coprod.experiments.runner``): this process, a local process pool or a dask
cluster. Each run's seed follows the runner's one convention (``runner.run_seed``): derived from
the sweep seed, the seed unit and the replication, where the unit is the sample, or for Sobol the
whole Saltelli base block (A, B and every AB_j share seeds: common random numbers, so seed noise
does not leak into every total index). A table does not depend on the executor, the number of
workers or the order in which runs finish.

The folder a sweep writes::

    manifest.json                 what was asked: problem, method, N, seeds, scenario, versions
    samples.parquet               the sample matrix: one row per sample, values as run
    results/chunk-00000.parquet   finished runs, written atomically every few runs / seconds
    results.parquet               the consolidated table, one row per (sample, replication)

A kill at any moment leaves only whole chunks; ``--resume`` reruns only the missing pairs (a
truncated chunk counts as missing). The folder is locked (``.coprod.lock``) while a sweep runs.
The evaluation is pluggable: ``run_sweep(evaluate=...)`` takes any picklable module-level
callable ``evaluate(parameters: dict, seed: int) -> dict[str, float]``; the default runs
``CoProductionModel`` (the tests pass analytical functions with known answers).
"""

from __future__ import annotations

import argparse
import copy
import functools
import hashlib
import json
import platform
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

from coprod.analysis.designs import DESIGNS, design
from coprod.core.errors import InputError
from coprod.core.parameters import PARAMETERS
from coprod.core.storage import LOCK_NAME, DamagedFile, json_default, read_json, read_parquet, write_json, write_parquet
from coprod.experiments.checks import (
    check_at_least,
    check_parameters,
    check_positive_number,
    check_scheduler_address,
    check_seed,
    check_work,
)
from coprod.experiments.evaluation import evaluate_model, evaluate_outcomes
from coprod.experiments.executors import StartedPool
from coprod.experiments.provenance import git_commit, git_dirty
from coprod.experiments.runner import (
    SEED_CONVENTION,
    ChunkFolder,
    ChunkSink,
    Interrupted,
    Task,
    open_executor,
    run_seed,
    run_tasks,
)
from coprod.experiments.scenarios import load_scenario
from coprod.experiments.session import IN_PLACE, Session
from coprod.model.outcomes import DIMENSIONS, reporter_names
from coprod.model.paradigms import resolve_parameters

DEFAULT_OUTCOMES = [f"{d}_long" for d in DIMENSIONS] + ["wellbeing_gini"]
DEFAULT_STEPS = 120
MANIFEST = "manifest.json"
SAMPLES = "samples.parquet"
RESULTS = "results.parquet"
RUN_KEY = ("sample", "replication")
# Fields a resumed sweep must share with the one it continues.
RESUME_FIELDS = ("scenario", "problem", "method", "method_options", "samples", "replications", "seed",
                 "seed_convention", "outcomes", "steps", "citizens", "engine", "evaluate")


def seed_units(method: str, sample_size: int, num_vars: int, options: dict[str, Any]) -> np.ndarray:
    """Which seed unit each sample row belongs to (see ``runner.run_seed``): the design's block of
    consecutive rows that share seeds (Sobol: every row of one Saltelli base block, so f(A) - f(AB_j)
    measures parameter j and not seed noise; other designs: each sample is its own unit)."""
    return np.arange(sample_size, dtype=np.int64) // design(method).block_rows(num_vars, options)


# --- problem and samples -------------------------------------------------------------------------

def parse_uncertain(items: Iterable[str]) -> dict[str, tuple[float, float]]:
    """``name=low:high`` items -> {name: (low, high)}."""
    table: dict[str, tuple[float, float]] = {}
    for item in items:
        name, sep, rng = item.partition("=")
        low, sep2, high = rng.partition(":")
        try:
            if not (sep and sep2):
                raise ValueError
            if name.strip() in table:
                raise InputError(f"--uncertain: {name.strip()!r} given twice; allowed: each parameter once")
            table[name.strip()] = (float(low), float(high))
        except ValueError:
            raise InputError(f"--uncertain: got {item!r}; allowed: name=low:high, e.g. outreach=0:1") from None
    return table


def model_problem(uncertain: dict[str, tuple[float, float]], where: str = "uncertain") -> dict[str, Any]:
    """A SALib problem over model parameters, checked against their declarations."""
    if not uncertain:
        raise InputError(f"{where}: no uncertain parameters; give the scenario an uncertain table "
                         "or pass --uncertain name=low:high")
    for name, (low, high) in uncertain.items():
        p = PARAMETERS.get(name)
        if p is None:
            raise InputError(f"{where}: unknown parameter {name!r}; allowed: a declared model parameter")
        if p.kind not in ("float", "int"):
            raise InputError(f"{where}: {name} is {p.kind}; allowed: a float or int parameter")
        bound_low, bound_high = p.widest_uncertain()  # the declared uncertain range, if any
        if not (bound_low <= low < high <= bound_high):
            raise InputError(f"{where}: {name}={low}:{high}; allowed: low < high within [{bound_low}, {bound_high}]")
    return {"num_vars": len(uncertain), "names": list(uncertain),
            "bounds": [[float(lo), float(hi)] for lo, hi in uncertain.values()]}


def integer_names(problem: dict[str, Any]) -> list[str]:
    return [n for n in problem["names"] if n in PARAMETERS and PARAMETERS[n].kind == "int"]


def method_options(method: str, second_order: bool = True, levels: int = 4) -> dict[str, Any]:
    """The design's own options from the command line's (``--no-second-order``, ``--levels``), checked."""
    return design(method).options(second_order=second_order, levels=levels)


def sample_rows(method: str, n: int, num_vars: int, second_order: bool = True) -> int:
    """How many sample rows (runs per replication) a design of ``n`` gives, before sampling it."""
    if method == "sobol":
        return n * (2 * num_vars + 2 if second_order else num_vars + 2)
    if method == "morris":
        return n * (num_vars + 1)
    if method == "fast":
        return n * num_vars
    return n


def generate_samples(problem: dict[str, Any], method: str, n: int, seed: int,
                     options: dict[str, Any]) -> np.ndarray:
    """The raw sample matrix of the design (before integer rounding)."""
    problem = copy.deepcopy(problem)  # SALib annotates the dict it is given
    chosen = design(method)
    if n < 1:
        raise InputError(f"--samples: got {n}; allowed: an integer >= 1")
    return chosen.sample(problem, n, seed, options)


def latin_hypercube(ranges: dict[str, tuple[float, float]], samples: int,
                    seed: int | np.random.Generator) -> pd.DataFrame:
    """``samples`` Latin-hypercube points over ``ranges``, columns in the ranges' order (integer
    parameters rounded). Used where points are run directly rather than through a SALib problem."""
    names = list(ranges)
    unit = qmc.LatinHypercube(d=len(names), seed=seed).random(samples)
    lows = np.array([ranges[n][0] for n in names])
    highs = np.array([ranges[n][1] for n in names])
    points = pd.DataFrame(qmc.scale(unit, lows, highs), columns=names)
    for name in names:
        if PARAMETERS[name].kind == "int":
            points[name] = points[name].round().astype(int)
    return points


def sample_table(problem: dict[str, Any], X: np.ndarray, integers: list[str]) -> pd.DataFrame:
    """One row per sample: the values as run (integers rounded) and, for integers, the raw value."""
    table = pd.DataFrame({"sample": np.arange(len(X), dtype=np.int64)})
    for j, name in enumerate(problem["names"]):
        if name in integers:
            table[name] = np.rint(X[:, j]).astype(np.int64)
        else:
            table[name] = X[:, j].astype(np.float64)
    for j, name in enumerate(problem["names"]):
        if name in integers:
            table[f"{name}__raw"] = X[:, j].astype(np.float64)
    return table


def raw_matrix(samples: pd.DataFrame, names: list[str]) -> np.ndarray:
    """The SALib sample matrix back from ``samples.parquet`` (raw values for rounded integers)."""
    cols = [f"{n}__raw" if f"{n}__raw" in samples.columns else n for n in names]
    return samples.sort_values("sample")[cols].to_numpy(dtype=np.float64)


# --- files ----------------------------------------------------------------------------------------

def resume_remedy(out: Path) -> str:
    """What to do about a damaged file of the sweep in ``out`` (said in ``DamagedFile`` messages)."""
    return f"run its runs again: repeat the coprod sweep that made it with --out {out} --resume"


def read_runs(out: Path) -> pd.DataFrame | None:
    """Every finished run of a sweep folder, one row per (sample, replication): the consolidated
    table of a finished sweep, else its chunks; each file checked against its checksum
    (``DamagedFile`` names a damaged one and how to redo its runs)."""
    out = Path(out)
    if (out / RESULTS).exists():
        return read_parquet(out / RESULTS, resume_remedy(out))
    return ChunkFolder(out, RUN_KEY, resume_remedy(out)).read()


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in ("coprod", "mesa", "numpy", "scipy", "pandas", "pyarrow", "SALib", "numba", "dask", "distributed"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return versions


def _hash(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=json_default).encode()).hexdigest()


def _describe_difference(field: str, old: Any, new: Any) -> str:
    if isinstance(old, dict) and isinstance(new, dict):
        keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        shown = ", ".join(f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in keys[:3])
        return f"{field} differs ({shown}{', ...' if len(keys) > 3 else ''})"
    return f"{field} differs (was {old!r}, now {new!r})"


# --- the runner -----------------------------------------------------------------------------------

def check_run_options(*, replications: int = 1, chunk_runs: int = 50, chunk_seconds: float = 10.0,
                      batch: int | None = None, seed: int = 0, workers: int | None = None,
                      scheduler: str | None = None) -> None:
    """The options every sweep checks before it writes anything."""
    check_at_least(replications, "--replications")
    check_at_least(chunk_runs, "--chunk-runs")
    check_at_least(batch, "--batch")
    check_positive_number(chunk_seconds, "--chunk-seconds")
    check_seed(seed)
    check_at_least(workers, "--workers")
    check_scheduler_address(scheduler)


# Files a sweep folder may hold before its manifest exists (a sweep killed while starting).
# (A manifest's checksum sidecar is written just before the manifest itself.)
STARTING_LEFTOVERS = re.compile(r"^(\.coprod\.lock|results|manifest\.json\.sha256|"
                                r"\.(manifest\.json|samples\.parquet|results\.parquet)\..*\.tmp)$")


def _remove_leftovers(out: Path) -> None:
    """Temporary files of a killed writer (we hold the folder's lock: nobody else writes them)."""
    for leftover in out.glob(".*.tmp"):
        if STARTING_LEFTOVERS.match(leftover.name):
            leftover.unlink(missing_ok=True)


def _check_resumable(out: Path, manifest: dict[str, Any], table: pd.DataFrame, resume: bool) -> dict[str, Any]:
    """The manifest to write: a new one, or the old one's history for a matching ``--resume``
    (``_refuse_other_settings`` first; a damaged samples file is removed, to be written again)."""
    old, samples_damaged = _refuse_other_settings(out, manifest, table, resume)
    if old is None:
        return manifest
    if samples_damaged:
        (out / SAMPLES).unlink()
    manifest["created"] = old.get("created", manifest["created"])
    manifest["resumed"] = old.get("resumed", []) + [datetime.now(UTC).isoformat(timespec="seconds")]
    return manifest


def _stored_samples(out: Path) -> pd.DataFrame | None:
    """The samples file, or None when it is damaged: it follows from the settings (checked against
    the manifest), so it is written again."""
    try:
        return read_parquet(out / SAMPLES, "")
    except DamagedFile:
        return None


def _refuse_other_settings(out: Path, manifest: dict[str, Any], table: pd.DataFrame,
                           resume: bool) -> tuple[dict | None, bool]:
    """Raise ``InputError`` unless ``out`` is new, empty, or a sweep these settings may ``--resume``.
    Returns the stopped sweep's manifest (None for a new folder) and whether its samples file is
    unreadable. Reads only, so it may run before the folder is locked."""
    manifest_path = out / MANIFEST
    if not manifest_path.exists():
        others = [p.name for p in out.iterdir() if not STARTING_LEFTOVERS.match(p.name)] if out.is_dir() else []
        chunks = ChunkFolder(out, RUN_KEY).paths()
        if others or chunks:
            raise InputError(f"--out {out}: holds files but no {MANIFEST} "
                             f"({', '.join(sorted(others)[:3]) or 'chunks'}); "
                             "allowed: a new or empty folder, or a sweep folder to --resume")
        return None, False
    if not resume:
        raise InputError(f"--out {out}: already holds a sweep; add --resume to continue it or choose another folder")
    old = read_json(manifest_path, "it records the settings to continue with: restore it from a copy, or run "
                                   "the sweep afresh in a new folder")
    if not isinstance(old, dict):
        raise InputError(f"--resume: {manifest_path}: not a sweep manifest; allowed: a sweep folder to --resume")
    for field in RESUME_FIELDS + ("hash",):
        old_value, new_value = old.get(field), json.loads(json.dumps(manifest.get(field), default=json_default))
        if old_value != new_value:
            raise InputError(f"--resume: {out} was made with other settings: "
                             f"{_describe_difference(field, old_value, new_value)}")
    stored = _stored_samples(out) if (out / SAMPLES).exists() else table
    if stored is not None and not stored.equals(table):
        raise InputError(f"--resume: {out / SAMPLES} differs from the samples these settings give")
    return old, stored is None


def sweep_manifest(*, problem: dict[str, Any], method: str, options: dict[str, Any], samples: int, sample_size: int,
                   replications: int, seed: int, integers: list[str], outcomes: list[str],
                   info: dict[str, Any] | None, base: dict[str, Any]) -> dict[str, Any]:
    """What a sweep folder's manifest says: the design, the seeds, the scenario and versions; the
    fields ``--resume`` must find unchanged are among them (``RESUME_FIELDS``)."""
    manifest = {
        "kind": "coprod-sweep",
        "problem": problem,
        "method": method,
        "method_options": options,
        "samples": samples,
        "sample_size": int(sample_size),
        "replications": replications,
        "runs": int(sample_size) * replications,
        "seed": seed,
        "seed_convention": SEED_CONVENTION,
        "seed_unit": design(method).block_words,
        "integer_parameters": integers,
        "outcomes": list(outcomes),
        **(info or {}),
        "base_parameters": base,
        "hash": _hash({"problem": problem, "parameters": base}),
        "hash_covers": "sha256 of the problem and the base (scenario) parameters",
        "versions": package_versions(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    for field in RESUME_FIELDS:
        manifest.setdefault(field, None)
    return manifest


def run_sweep(out: Path | str, *, problem: dict[str, Any], method: str, samples: int,
              outcomes: list[str], evaluate: Callable[[dict, int], dict] | None = None,
              base_parameters: dict[str, Any] | None = None, replications: int = 1, seed: int = 0,
              options: dict[str, Any] | None = None, integers: list[str] | None = None,
              info: dict[str, Any] | None = None, workers: int | None = None, scheduler: str | None = None,
              resume: bool = False, chunk_runs: int = 50, chunk_seconds: float = 10.0, batch: int | None = None,
              progress: bool = True, check: Callable[[dict[str, Any]], None] | None = None,
              announce: str | None = None, started: StartedPool | None = None) -> pd.DataFrame:
    """Sample, run every (sample, replication) not yet done, and write the sweep folder.

    ``info`` holds the descriptive manifest fields (scenario, steps, citizens, engine,
    evaluate); with ``problem``, ``method``, ``samples``, ``options``, ``replications``,
    ``seed`` and ``outcomes`` they must match on ``resume``. ``check`` is called with every
    sample's parameters before anything is written (raise ``InputError`` to refuse); ``announce`` is
    printed once everything is checked (so a refusal is the only line). ``started``: the local pool the
    command started before its checks (``executors.start_pool``). Everything
    is checked, and a scheduler connected, before the first file is written; the folder is locked
    while the sweep runs. Returns the consolidated table. Raises the runner's ``Interrupted`` after Ctrl-C,
    ``RunFailed``/``ExecutorLost``/``StorageFailed`` (finished runs saved) and ``InputError``.
    """
    session = Session("sweep", out, layout=IN_PLACE, resume=resume)
    out = session.out
    session.check_folders()
    evaluate = evaluate or functools.partial(evaluate_model, steps=DEFAULT_STEPS)
    options = dict(options if options is not None else method_options(method))
    integers = list(integers if integers is not None else [])
    base = dict(base_parameters or {})
    check_run_options(replications=replications, chunk_runs=chunk_runs, chunk_seconds=chunk_seconds,
                      batch=batch, seed=seed, workers=workers, scheduler=scheduler)
    table, plan = checked_plan(problem, method, samples, seed, options, integers, base, replications, check)
    manifest = sweep_manifest(problem=problem, method=method, options=options, samples=samples, sample_size=len(table),
                              replications=replications, seed=seed, integers=integers, outcomes=outcomes,
                              info=info, base=base)
    if (out / MANIFEST).exists() and not resume:
        raise InputError(f"--out {out}: already holds a sweep; add --resume to continue it or choose another folder")
    # Other settings (or a folder that is not a sweep's) are refused before a kernel compiles or a
    # worker starts; checked again under the lock below.
    _refuse_other_settings(out, manifest, table, resume)
    function = functools.partial(evaluate_outcomes, evaluate, list(outcomes))
    with open_executor(workers, scheduler, started=started) as (executor, slots, _):
        if announce:  # after every check and the scheduler's answer: a refusal is the only line
            print(announce, flush=True)
        with session.locked():
            manifest = _check_resumable(out, manifest, table, resume)
            _remove_leftovers(out)
            chunks = ChunkFolder(out, RUN_KEY, resume_remedy(out))
            chunks.prepare()
            write_json(out / MANIFEST, manifest)
            if not (out / SAMPLES).exists():
                write_parquet(out / SAMPLES, table)
            runs = plan.run(chunks, function, done=chunks.done_keys() if resume else set(), executor=executor,
                            slots=slots, scheduler=scheduler, batch=batch, chunk_runs=chunk_runs,
                            chunk_seconds=chunk_seconds, progress=progress)
            write_parquet(out / RESULTS, runs)
            manifest["completed"] = datetime.now(UTC).isoformat(timespec="seconds")
            write_json(out / MANIFEST, manifest)
            # A finished sweep keeps no lock file: removed while still held (a resume of a finished
            # sweep only rebuilds results.parquet from checked chunks, so the rare race is harmless).
            (out / LOCK_NAME).unlink(missing_ok=True)
    return runs


def checked_plan(problem: dict[str, Any], method: str, samples: int, seed: int, options: dict[str, Any],
                 integers: list[str], base: dict[str, Any], replications: int,
                 check: Callable[[dict[str, Any]], None] | None) -> tuple[pd.DataFrame, SweepPlan]:
    """The design's sample table and the plan of its runs, every sample's parameters passed to
    ``check`` first (which raises ``InputError`` to refuse)."""
    X = generate_samples(problem, method, samples, seed, options)
    table = sample_table(problem, X, integers)
    plan = SweepPlan(sample_values(problem, table, integers), base,
                     seed_units(method, len(X), problem["num_vars"], options), seed, replications)
    if check is not None:
        for values in plan.values:
            check({**base, **values})
    return table, plan


def sample_values(problem: dict[str, Any], table: pd.DataFrame, integers: list[str]) -> list[dict[str, Any]]:
    """Each sample's parameter values as run (integers as ``int``), in sample order."""
    names = problem["names"]
    return [{n: (int(v) if n in integers else float(v)) for n, v in zip(names, row)}
            for row in table[names].itertuples(index=False, name=None)]


@dataclass(frozen=True)
class SweepPlan:
    """What a sweep runs: every (sample, replication) with the base parameters under each sample's
    values, seeded by its seed unit (``runner.run_seed``)."""
    values: list[dict[str, Any]]
    base: dict[str, Any]
    units: np.ndarray
    seed: int
    replications: int

    @property
    def total(self) -> int:
        return len(self.values) * self.replications

    def tasks(self, done: set[tuple]) -> list[Task]:
        """The runs not in ``done``, in (sample, replication) order."""
        return [Task((i, r), {**self.base, **self.values[i]}, run_seed(self.seed, int(self.units[i]), r),
                     f"sample={i} replication={r}")
                for i in range(len(self.values)) for r in range(self.replications) if (i, r) not in done]

    def row(self, task: Task, result: dict[str, float], seconds: float) -> dict[str, Any]:
        """One finished run as a row of the results table."""
        sample, replication = task.key
        return {"sample": sample, "replication": replication, "seed": task.seed,
                **self.values[sample], **result, "runtime": seconds}

    def run(self, chunks: ChunkFolder, function: Callable, *, done: set[tuple], chunk_runs: int,
            chunk_seconds: float, progress: bool, **executor) -> pd.DataFrame:
        """Run what is not ``done`` into ``chunks`` (whose folder the caller has locked); return every
        run, sorted. Ctrl-C raises the runner's ``Interrupted`` counting earlier sessions' runs too."""
        tasks = self.tasks(done)
        sink = ChunkSink(chunks, self.row, chunk_runs, chunk_seconds)
        try:
            run_tasks(tasks, function, sink, total=self.total, progress=progress, desc="sweep", **executor)
        except Interrupted:
            raise Interrupted(self.total - len(tasks) + sink.saved, self.total) from None
        runs = chunks.read()
        if runs is None or len(runs) != self.total:  # pragma: no cover - guarded by construction and the lock
            raise RuntimeError(f"sweep {chunks.folder.parent}: {0 if runs is None else len(runs)} runs for "
                               f"{self.total} (sample, replication) pairs")
        return runs


# --- command line ---------------------------------------------------------------------------------

def _scenario(name: str):
    return load_scenario(name)


def cmd_sweep(args: argparse.Namespace) -> int:
    scenario = _scenario(args.scenario)
    uncertain = parse_uncertain(args.uncertain) if args.uncertain else dict(getattr(scenario, "uncertain", {}) or {})
    where = "--uncertain" if args.uncertain else f"scenario {scenario.name}: uncertain"
    problem = model_problem({k: tuple(v) for k, v in uncertain.items()}, where)
    outcomes = parse_outcomes(args.outcomes)
    base = dict(scenario.parameters)
    base["n_citizens"] = sweep_citizens(args.citizens, base)
    check_at_least(args.steps, "--steps")
    check_at_least(args.samples, "--samples")
    if args.method == "morris":
        check_at_least(args.levels, "--levels", 2)
    options = method_options(args.method, second_order=not args.no_second_order, levels=args.levels)
    check_work(base["n_citizens"], args.steps, sample_rows(args.method, args.samples, problem["num_vars"],
                                                 not args.no_second_order) * args.replications, "sweep")
    check_run_options(replications=args.replications, chunk_runs=args.chunk_runs, chunk_seconds=args.chunk_seconds,
                      batch=args.batch, seed=args.seed, workers=args.workers, scheduler=args.scheduler)
    info = scenario_info(scenario, base, args)
    out = Path(args.out) if args.out is not None else Path("results") / (
        f"sweep-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-"
        f"{_hash({'problem': problem, 'parameters': base, 'method': args.method})[:8]}")
    session = Session.for_command("sweep", args, out, layout=IN_PLACE)
    session.check_folders()
    evaluate = functools.partial(evaluate_model, steps=args.steps, engine=args.engine)

    def check(values: dict[str, Any]) -> None:
        check_parameters(values, f"scenario {scenario.name} with a sampled point")

    announce = (f"sweep: {args.method}, N={args.samples}, {problem['num_vars']} parameters, "
                f"{args.replications} replication(s) -> {out}")
    with session.stops():
        runs = run_sweep(out, problem=problem, method=args.method, samples=args.samples, outcomes=outcomes,
                         evaluate=evaluate, base_parameters=base, replications=args.replications,
                         seed=args.seed, options=options, integers=integer_names(problem), info=info,
                         workers=args.workers, scheduler=args.scheduler, resume=args.resume,
                         chunk_runs=args.chunk_runs, chunk_seconds=args.chunk_seconds, batch=args.batch,
                         progress=not args.quiet, check=check, announce=announce, started=getattr(args, "pool", None))
    print(f"sweep: {len(runs)} runs in {out / RESULTS}; analyse with: coprod analyze {out}")
    return 0


def parse_outcomes(text: str | None) -> list[str]:
    """``--outcomes a,b`` (default: the five dimensions at the long horizon and the wellbeing Gini)."""
    outcomes = ([o.strip() for o in text.split(",") if o.strip()] if text is not None
                else list(DEFAULT_OUTCOMES))  # an empty --outcomes is refused below, not read as the defaults
    doubled = sorted({o for o in outcomes if outcomes.count(o) > 1})
    if doubled:
        raise InputError(f"--outcomes: {doubled[0]!r} given twice; allowed: each outcome once")
    known = set(reporter_names())
    unknown = [o for o in outcomes if o not in known]
    if unknown or not outcomes:
        raise InputError(f"--outcomes: unknown {', '.join(unknown) or '(none given)'}; allowed: names from "
                         "coprod.model.outcomes.reporter_names(), e.g. wellbeing_long,democracy_output")
    return outcomes


def sweep_citizens(given: int | None, base: dict[str, Any]) -> int:
    """``--citizens``, else the scenario's n_citizens, else the declared default; checked."""
    citizens = given if given is not None else base.get("n_citizens", PARAMETERS["n_citizens"].default)
    try:
        return PARAMETERS["n_citizens"].check(citizens)
    except ValueError as err:
        raise InputError(f"--citizens: {err}") from None


def scenario_info(scenario, base: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """The descriptive manifest fields of a model sweep: the scenario, its resolved parameters,
    steps, citizens, engine, the evaluation and the commit."""

    return {
        "scenario": {"name": scenario.name, "parameters": dict(scenario.parameters)},
        "resolved_parameters": resolve_parameters(base),
        "scenario_path": str(getattr(scenario, "path", "") or ""),
        "scenario_description": getattr(scenario, "description", ""),
        "paradigm": getattr(scenario, "paradigm", base.get("paradigm")),
        "steps": args.steps,
        "citizens": base["n_citizens"],
        "engine": args.engine,
        "evaluate": "coprod.experiments.sweep.evaluate_model",
        "git_commit": git_commit(),
        "git_dirty": git_dirty(),
    }


def register(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Sample the scenario's uncertain parameters with SALib, run the model for every "
                          "(sample, replication) on a local process pool or a dask cluster, and write Parquet "
                          "chunks that --resume can continue.")
    parser.add_argument("scenario", help="scenario name or path to a scenario TOML file")
    parser.add_argument("--method", choices=tuple(DESIGNS), required=True,  # the registered designs
                        help="sobol: Sobol indices (Saltelli); morris: elementary effects; fast: FAST indices; "
                             "latin: Latin hypercube, rank regression")
    parser.add_argument("--samples", "-N", type=int, required=True,
                        help="N: base samples (sobol, a power of 2), trajectories (morris), samples per "
                             "parameter (fast, > 64) or rows (latin)")
    parser.add_argument("--replications", "-R", type=int, default=1,
                        help="runs per sample with different seeds (default 1)")
    parser.add_argument("--outcomes", help="comma-separated outcome names (default: the five dimensions _long "
                                           "and wellbeing_gini)")
    parser.add_argument("--citizens", type=int, help="n_citizens (default: the scenario's)")
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS, help=f"months per run (default {DEFAULT_STEPS})")
    parser.add_argument("--engine", choices=("auto", "agents", "numba"), default="auto",
                        help="citizen engine: Mesa agents, compiled numba kernels, or auto by size (default auto)")
    parser.add_argument("--seed", type=int, default=0, help="sweep seed: samples and run seeds derive from it")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help="local worker processes (default: number of cores)")
    where.add_argument("--scheduler", help="address of a dask scheduler, e.g. tcp://127.0.0.1:8786")
    parser.add_argument("--out", help="sweep folder (default results/sweep-<time>-<hash>)")
    parser.add_argument("--resume", action="store_true", help="continue the sweep in --out; runs only missing pairs")
    parser.add_argument("--uncertain", nargs="+", metavar="NAME=LOW:HIGH",
                        help="replace the scenario's uncertain table with these ranges")
    parser.add_argument("--no-second-order", action="store_true", help="sobol: skip second-order indices")
    parser.add_argument("--levels", type=int, default=4, help="morris: grid levels (default 4)")
    parser.add_argument("--chunk-runs", type=int, default=50, help="write a chunk every this many runs (default 50)")
    parser.add_argument("--chunk-seconds", type=float, default=10.0,
                        help="... or every this many seconds (default 10)")
    parser.add_argument("--batch", type=int, default=None,
                        help="runs per submitted task (default: automatic, up to 8 for long tables)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=cmd_sweep)

