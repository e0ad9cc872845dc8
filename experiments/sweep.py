"""``coprod sweep``: global sensitivity sweeps over a scenario's uncertain parameters.

The pipeline is: a SALib problem (the scenario's ``uncertain`` table, or ``--uncertain``) ->
a sample matrix (Sobol/Saltelli, Morris, FAST or Latin hypercube) -> one run per
(sample, replication) -> Parquet. Runs go through one code path built on the
``concurrent.futures`` interface (``coprod.experiments.executors``): a local process pool or a
dask cluster. Each run's seed is derived from the sweep seed and (sample, replication) with
numpy's ``SeedSequence``, so a table does not depend on the executor, the number of workers
or the order in which runs finish.

The folder a sweep writes::

    manifest.json                 what was asked: problem, method, N, seeds, scenario, versions
    samples.parquet               the sample matrix: one row per sample, values as run
    results/chunk-00000.parquet   finished runs, written atomically every few runs / seconds
    results.parquet               the consolidated table, one row per (sample, replication)

A kill at any moment leaves only whole chunks; ``--resume`` reruns only the missing pairs.
The evaluation is pluggable: ``run_sweep(evaluate=...)`` takes any picklable module-level
callable ``evaluate(parameters: dict, seed: int) -> dict[str, float]``; the default runs
``CoProductionModel``; ``ishigami`` is the analytical test function used by the tests.
"""

from __future__ import annotations

import argparse
import copy
import functools
import hashlib
import json
import math
import platform
import re
import shlex
import sys
import time
from concurrent.futures import FIRST_COMPLETED, wait
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd

from coprod.experiments.errors import InputError
from coprod.experiments.storage import json_default, write_json, write_parquet
from coprod.model.outcomes import DIMENSIONS

METHODS = ("sobol", "morris", "fast", "latin")
DEFAULT_OUTCOMES = [f"{d}_long" for d in DIMENSIONS] + ["wellbeing_gini"]
DEFAULT_STEPS = 120
MANIFEST = "manifest.json"
SAMPLES = "samples.parquet"
RESULTS = "results.parquet"
CHUNK_DIR = "results"
CHUNK_RE = re.compile(r"^chunk-(\d{5,})\.parquet$")
# Fields a resumed sweep must share with the one it continues.
RESUME_FIELDS = ("scenario", "problem", "method", "method_options", "samples", "replications", "seed",
                 "outcomes", "steps", "citizens", "engine", "evaluate")
FAST_M = 4


class SweepInterrupted(Exception):
    """Raised by ``run_sweep`` after Ctrl-C, once finished runs are safely in a chunk."""

    def __init__(self, out: Path, done: int, total: int):
        super().__init__(f"interrupted with {done} of {total} runs saved in {out}")
        self.out, self.done, self.total = out, done, total


class SweepRunError(RuntimeError):
    """A run raised; the message names the (sample, replication)."""


# --- evaluation functions ----------------------------------------------------------------------

def evaluate_model(parameters: dict[str, Any], seed: int, *, steps: int, engine: str = "auto") -> dict[str, float]:
    """Build ``CoProductionModel`` with ``parameters``, step ``steps`` months, return its outcomes."""
    from coprod.model.model import CoProductionModel

    model = CoProductionModel(seed=seed, engine=engine, **parameters)
    for _ in range(steps):
        model.step()
    return dict(model.outcomes)


def ishigami(parameters: dict[str, Any], seed: int, a: float = 7.0, b: float = 0.1) -> dict[str, float]:
    """The Ishigami function of x1, x2, x3 in [-pi, pi] (seed unused): a known-answer test."""
    x1, x2, x3 = parameters["x1"], parameters["x2"], parameters["x3"]
    return {"y": math.sin(x1) + a * math.sin(x2) ** 2 + b * x3 ** 4 * math.sin(x1)}


def run_seed(seed: int, sample: int, replication: int) -> int:
    """The seed of one run: independent of executor, worker count and completion order."""
    return int(np.random.SeedSequence(seed, spawn_key=(sample, replication)).generate_state(1)[0])


def _run_batch(evaluate: Callable, base: dict[str, Any], outcomes: list[str],
               runs: list[tuple[int, int, int, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Worker side: evaluate a few runs; each row carries its keys, values, outcomes, runtime."""
    rows = []
    for sample, replication, seed, values in runs:
        start = time.perf_counter()
        try:
            result = evaluate({**base, **values}, seed)
        except Exception as err:  # noqa: BLE001 - reported with the run's identity
            raise SweepRunError(f"run sample={sample} replication={replication} seed={seed} failed: "
                                f"{type(err).__name__}: {err}") from None
        missing = [name for name in outcomes if name not in result]
        if missing:
            raise SweepRunError(f"run sample={sample} replication={replication}: evaluation returned no "
                                f"{', '.join(missing)}")
        row = {"sample": sample, "replication": replication, "seed": seed, **values}
        row.update({name: float(result[name]) for name in outcomes})
        row["runtime"] = time.perf_counter() - start
        rows.append(row)
    return rows


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
            table[name.strip()] = (float(low), float(high))
        except ValueError:
            raise InputError(f"--uncertain: got {item!r}; allowed: name=low:high, e.g. outreach=0:1") from None
    return table


def model_problem(uncertain: dict[str, tuple[float, float]], where: str = "uncertain") -> dict[str, Any]:
    """A SALib problem over model parameters, checked against their declarations."""
    from coprod.model.parameters import PARAMETERS

    if not uncertain:
        raise InputError(f"{where}: no uncertain parameters; give the scenario an uncertain table "
                         "or pass --uncertain name=low:high")
    for name, (low, high) in uncertain.items():
        p = PARAMETERS.get(name)
        if p is None:
            raise InputError(f"{where}: unknown parameter {name!r}; allowed: a declared model parameter")
        if p.kind not in ("float", "int"):
            raise InputError(f"{where}: {name} is {p.kind}; allowed: a float or int parameter")
        if not (p.low <= low < high <= p.high):
            raise InputError(f"{where}: {name}={low}:{high}; allowed: low < high within [{p.low}, {p.high}]")
    return {"num_vars": len(uncertain), "names": list(uncertain),
            "bounds": [[float(lo), float(hi)] for lo, hi in uncertain.values()]}


def integer_names(problem: dict[str, Any]) -> list[str]:
    from coprod.model.parameters import PARAMETERS

    return [n for n in problem["names"] if n in PARAMETERS and PARAMETERS[n].kind == "int"]


def method_options(method: str, second_order: bool = True, levels: int = 4) -> dict[str, Any]:
    if method == "sobol":
        return {"calc_second_order": bool(second_order)}
    if method == "morris":
        return {"num_levels": int(levels)}
    if method == "fast":
        return {"M": FAST_M}
    return {}


def generate_samples(problem: dict[str, Any], method: str, n: int, seed: int,
                     options: dict[str, Any]) -> np.ndarray:
    """The raw SALib sample matrix (before integer rounding)."""
    problem = copy.deepcopy(problem)  # SALib annotates the dict it is given
    if method not in METHODS:
        raise InputError(f"--method: got {method!r}; allowed: one of {', '.join(METHODS)}")
    if n < 1:
        raise InputError(f"--samples: got {n}; allowed: an integer >= 1")
    if method == "sobol":
        from SALib.sample import sobol

        if n & (n - 1):
            raise InputError(f"--samples: got {n}; allowed for sobol: a power of 2 (e.g. 64, 128, 256)")
        return sobol.sample(problem, n, calc_second_order=options["calc_second_order"], seed=seed)
    if method == "morris":
        from SALib.sample import morris

        if n < 2:
            raise InputError(f"--samples: got {n}; allowed for morris: at least 2 trajectories")
        return morris.sample(problem, n, num_levels=options["num_levels"], seed=seed)
    if method == "fast":
        from SALib.sample import fast_sampler

        if n <= 4 * options["M"] ** 2:
            raise InputError(f"--samples: got {n}; allowed for fast: more than {4 * options['M'] ** 2}")
        return fast_sampler.sample(problem, n, M=options["M"], seed=seed)
    from SALib.sample import latin

    return latin.sample(problem, n, seed=seed)


def latin_hypercube(ranges: dict[str, tuple[float, float]], samples: int,
                    seed: int | np.random.Generator) -> pd.DataFrame:
    """``samples`` Latin-hypercube points over ``ranges``, columns in the ranges' order (integer
    parameters rounded). Used where points are run directly rather than through a SALib problem."""
    from scipy.stats import qmc

    from coprod.model.parameters import PARAMETERS

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

def chunk_paths(out: Path) -> list[Path]:
    folder = Path(out) / CHUNK_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if CHUNK_RE.match(p.name))


def read_runs(out: Path) -> pd.DataFrame | None:
    """Every finished run of a sweep folder (consolidated table, else the chunks), deduplicated."""
    out = Path(out)
    chunks = chunk_paths(out)
    parts = [pd.read_parquet(p) for p in chunks]
    if not parts and (out / RESULTS).exists():
        parts = [pd.read_parquet(out / RESULTS)]
    if not parts:
        return None
    runs = pd.concat(parts, ignore_index=True)
    runs = runs.drop_duplicates(["sample", "replication"], keep="first")
    return runs.sort_values(["sample", "replication"], kind="stable").reset_index(drop=True)


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

def run_sweep(out: Path | str, *, problem: dict[str, Any], method: str, samples: int,
              outcomes: list[str], evaluate: Callable[[dict, int], dict] | None = None,
              base_parameters: dict[str, Any] | None = None, replications: int = 1, seed: int = 0,
              options: dict[str, Any] | None = None, integers: list[str] | None = None,
              info: dict[str, Any] | None = None, workers: int | None = None, scheduler: str | None = None,
              resume: bool = False, chunk_runs: int = 50, chunk_seconds: float = 10.0, batch: int = 1,
              progress: bool = True) -> pd.DataFrame:
    """Sample, run every (sample, replication) not yet done, and write the sweep folder.

    ``info`` holds the descriptive manifest fields (scenario, steps, citizens, engine,
    evaluate); with ``problem``, ``method``, ``samples``, ``options``, ``replications``,
    ``seed`` and ``outcomes`` they must match on ``resume``. Returns the consolidated table.
    Raises ``SweepInterrupted`` after Ctrl-C (finished runs saved) and ``InputError`` for a
    folder that cannot be resumed.
    """
    from coprod.experiments.executors import open_executor

    out = Path(out)
    evaluate = evaluate or functools.partial(evaluate_model, steps=DEFAULT_STEPS)
    options = dict(options if options is not None else method_options(method))
    integers = list(integers if integers is not None else [])
    base = dict(base_parameters or {})
    if replications < 1:
        raise InputError(f"--replications: got {replications}; allowed: an integer >= 1")
    if chunk_runs < 1 or batch < 1:
        raise InputError("--chunk-runs and --batch: allowed: integers >= 1")
    X = generate_samples(problem, method, samples, seed, options)
    table = sample_table(problem, X, integers)
    manifest = {
        "kind": "coprod-sweep",
        "problem": problem,
        "method": method,
        "method_options": options,
        "samples": samples,
        "sample_size": int(len(X)),
        "replications": replications,
        "runs": int(len(X)) * replications,
        "seed": seed,
        "run_seeds": "numpy.random.SeedSequence(seed, spawn_key=(sample, replication)).generate_state(1)[0]",
        "integer_parameters": integers,
        "outcomes": list(outcomes),
        **(info or {}),
        "base_parameters": base,
        "hash": _hash({"problem": problem, "parameters": base}),
        "hash_covers": "sha256 of the problem and the base (scenario) parameters",
        "versions": package_versions(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    for field in RESUME_FIELDS:
        manifest.setdefault(field, None)

    manifest_path = out / MANIFEST
    if manifest_path.exists():
        if not resume:
            raise InputError(f"--out: {out} already holds a sweep; add --resume to continue it or choose another folder")
        try:
            old = json.loads(manifest_path.read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise InputError(f"--resume: cannot read {manifest_path} ({err})") from None
        for field in RESUME_FIELDS + ("hash",):
            old_value, new_value = old.get(field), json.loads(json.dumps(manifest.get(field), default=json_default))
            if old_value != new_value:
                raise InputError(f"--resume: {out} was made with other settings: "
                                 f"{_describe_difference(field, old_value, new_value)}")
        if (out / SAMPLES).exists():
            stored = pd.read_parquet(out / SAMPLES)
            if not stored.equals(table):
                raise InputError(f"--resume: {out / SAMPLES} differs from the samples these settings give")
        manifest["created"] = old.get("created", manifest["created"])
        manifest["resumed"] = old.get("resumed", []) + [datetime.now(timezone.utc).isoformat(timespec="seconds")]
    elif resume and out.exists() and any(out.iterdir()):
        raise InputError(f"--resume: {out} has no {MANIFEST}; nothing to resume")

    (out / CHUNK_DIR).mkdir(parents=True, exist_ok=True)
    for leftover in (out / CHUNK_DIR).glob(".chunk-*.tmp"):
        leftover.unlink(missing_ok=True)
    write_json(manifest_path, manifest)
    if not (out / SAMPLES).exists():
        write_parquet(out / SAMPLES, table)

    existing = read_runs(out) if resume else None
    done = set()
    if existing is not None:
        done = set(zip(existing["sample"].tolist(), existing["replication"].tolist()))
    names = problem["names"]
    values_by_sample = [{n: (int(v) if n in integers else float(v)) for n, v in zip(names, row)}
                        for row in table[names].itertuples(index=False, name=None)]
    todo = [(i, r) for i in range(len(X)) for r in range(replications) if (i, r) not in done]
    total = len(X) * replications
    next_chunk = max((int(CHUNK_RE.match(p.name).group(1)) for p in chunk_paths(out)), default=-1) + 1
    buffer: list[dict[str, Any]] = []
    saved = total - len(todo)

    def flush() -> None:
        nonlocal next_chunk, buffer, saved
        if not buffer:
            return
        chunk = pd.DataFrame(buffer)
        write_parquet(out / CHUNK_DIR / f"chunk-{next_chunk:05d}.parquet", chunk)
        next_chunk += 1
        saved += len(buffer)
        buffer = []

    batches = [todo[k:k + batch] for k in range(0, len(todo), batch)]
    bar = None
    if todo:
        from tqdm import tqdm

        bar = tqdm(total=total, initial=total - len(todo), unit="run", disable=not progress,
                   file=sys.stderr, dynamic_ncols=True, mininterval=0.5, desc="sweep")
    try:
        if todo:
            with open_executor(workers, scheduler) as (executor, slots, _):
                queue = iter(batches)
                in_flight: dict[Any, list] = {}
                window = max(2 * slots, 4)
                last_flush = time.monotonic()

                def fill() -> None:
                    while len(in_flight) < window:
                        runs = next(queue, None)
                        if runs is None:
                            return
                        payload = [(i, r, run_seed(seed, i, r), values_by_sample[i]) for i, r in runs]
                        in_flight[executor.submit(_run_batch, evaluate, base, list(outcomes), payload)] = runs

                try:
                    fill()
                    while in_flight:
                        finished, _ = wait(list(in_flight), timeout=max(0.1, min(1.0, chunk_seconds)),
                                           return_when=FIRST_COMPLETED)
                        for future in finished:
                            in_flight.pop(future)
                            rows = future.result()
                            buffer.extend(rows)
                            if bar is not None:
                                bar.update(len(rows))
                        fill()
                        if len(buffer) >= chunk_runs or (buffer and time.monotonic() - last_flush >= chunk_seconds):
                            flush()
                            last_flush = time.monotonic()
                except BaseException:
                    # Ctrl-C or a failed run: stop what has not started, keep what has finished.
                    for future in in_flight:
                        future.cancel()
                    for future in in_flight:
                        if future.done() and not future.cancelled() and future.exception() is None:
                            buffer.extend(future.result())
                    flush()
                    raise
                flush()
    except KeyboardInterrupt:
        if bar is not None:
            bar.close()
        raise SweepInterrupted(out, saved, total) from None
    finally:
        if bar is not None:
            bar.close()

    runs = read_runs(out)
    runs = runs.sort_values(["sample", "replication"], kind="stable").reset_index(drop=True)
    if len(runs) != total:  # pragma: no cover - guarded by construction
        raise RuntimeError(f"sweep {out}: {len(runs)} runs for {total} (sample, replication) pairs")
    write_parquet(out / RESULTS, runs)
    manifest["completed"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    write_json(manifest_path, manifest)
    return runs


# --- command line ---------------------------------------------------------------------------------

def _scenario(name: str):
    from coprod.experiments.scenarios import load_scenario

    return load_scenario(name)


def cmd_sweep(args: argparse.Namespace) -> int:
    from coprod.model.model import resolve_parameters
    from coprod.model.outcomes import reporter_names
    from coprod.model.parameters import PARAMETERS

    scenario = _scenario(args.scenario)
    uncertain = parse_uncertain(args.uncertain) if args.uncertain else dict(getattr(scenario, "uncertain", {}) or {})
    where = "--uncertain" if args.uncertain else f"scenario {scenario.name}: uncertain"
    problem = model_problem({k: tuple(v) for k, v in uncertain.items()}, where)
    outcomes = [o.strip() for o in args.outcomes.split(",") if o.strip()] if args.outcomes else list(DEFAULT_OUTCOMES)
    known = set(reporter_names())
    unknown = [o for o in outcomes if o not in known]
    if unknown or not outcomes:
        raise InputError(f"--outcomes: unknown {', '.join(unknown) or '(none given)'}; allowed: names from "
                         "coprod.model.outcomes.reporter_names(), e.g. wellbeing_long,democracy_output")
    base = dict(scenario.parameters)
    citizens = args.citizens if args.citizens is not None else base.get("n_citizens", PARAMETERS["n_citizens"].default)
    try:
        citizens = PARAMETERS["n_citizens"].check(citizens)
    except ValueError as err:
        raise InputError(f"--citizens: {err}") from None
    base["n_citizens"] = citizens
    if args.steps < 1:
        raise InputError(f"--steps: got {args.steps}; allowed: an integer >= 1")
    options = method_options(args.method, second_order=not args.no_second_order, levels=args.levels)
    info = {
        "scenario": {"name": scenario.name, "parameters": dict(scenario.parameters)},
        "resolved_parameters": resolve_parameters(base),
        "scenario_path": str(getattr(scenario, "path", "") or ""),
        "scenario_description": getattr(scenario, "description", ""),
        "paradigm": getattr(scenario, "paradigm", base.get("paradigm")),
        "steps": args.steps,
        "citizens": citizens,
        "engine": args.engine,
        "evaluate": "coprod.experiments.sweep.evaluate_model",
    }
    out = Path(args.out) if args.out else Path("results") / (
        f"sweep-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%S')}-"
        f"{_hash({'problem': problem, 'parameters': base, 'method': args.method})[:8]}")
    if args.resume and not (out / MANIFEST).exists():
        raise InputError(f"--resume: {out / MANIFEST} not found; give --out the folder of the sweep to resume")
    evaluate = functools.partial(evaluate_model, steps=args.steps, engine=args.engine)
    print(f"sweep: {args.method}, N={args.samples}, {problem['num_vars']} parameters, "
          f"{args.replications} replication(s) -> {out}", flush=True)
    try:
        runs = run_sweep(out, problem=problem, method=args.method, samples=args.samples, outcomes=outcomes,
                         evaluate=evaluate, base_parameters=base, replications=args.replications,
                         seed=args.seed, options=options, integers=integer_names(problem), info=info,
                         workers=args.workers, scheduler=args.scheduler, resume=args.resume,
                         chunk_runs=args.chunk_runs, chunk_seconds=args.chunk_seconds, batch=args.batch,
                         progress=not args.quiet)
    except SweepInterrupted as stop:
        print(f"coprod: {stop}; resume with: {resume_command(args, out)}", file=sys.stderr)
        return 130
    except SweepRunError as err:
        print(f"coprod: sweep stopped: {err}; finished runs are saved, fix and rerun with --resume",
              file=sys.stderr)
        return 1
    print(f"sweep: {len(runs)} runs in {out / RESULTS}; analyse with: coprod analyze {out}")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "sweep", help="global sensitivity sweep (Sobol, Morris, FAST, Latin) over a scenario's uncertain parameters",
        description="Sample the scenario's uncertain parameters with SALib, run the model for every "
                    "(sample, replication) on a local process pool or a dask cluster, and write Parquet "
                    "chunks that --resume can continue.")
    parser.add_argument("scenario", help="scenario name or path to a scenario TOML file")
    parser.add_argument("--method", choices=METHODS, required=True)
    parser.add_argument("--samples", "-N", type=int, required=True,
                        help="N: base samples (sobol, a power of 2), trajectories (morris), samples per "
                             "parameter (fast, > 64) or rows (latin)")
    parser.add_argument("--replications", "-R", type=int, default=1, help="runs per sample with different seeds")
    parser.add_argument("--outcomes", help="comma-separated outcome names (default: the five dimensions _long "
                                           "and wellbeing_gini)")
    parser.add_argument("--citizens", type=int, help="n_citizens (default: the scenario's)")
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS, help=f"months per run (default {DEFAULT_STEPS})")
    parser.add_argument("--engine", choices=("auto", "agents", "numba"), default="auto")
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
    parser.add_argument("--chunk-runs", type=int, default=50, help="write a chunk every this many runs")
    parser.add_argument("--chunk-seconds", type=float, default=10.0, help="... or every this many seconds")
    parser.add_argument("--batch", type=int, default=1, help="runs per submitted task (raise for very short runs)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=cmd_sweep)

    from coprod.experiments import analyze

    analyze.register(subparsers)


def resume_command(args: argparse.Namespace, out: Path) -> str:
    """The command that continues this sweep (same settings, --out, --resume)."""
    argv = ["coprod", "sweep", args.scenario, "--method", args.method, "--samples", str(args.samples),
            "--replications", str(args.replications), "--steps", str(args.steps), "--seed", str(args.seed),
            "--engine", args.engine]
    if args.outcomes:
        argv += ["--outcomes", args.outcomes]
    if args.citizens is not None:
        argv += ["--citizens", str(args.citizens)]
    if args.no_second_order:
        argv.append("--no-second-order")
    if args.method == "morris":
        argv += ["--levels", str(args.levels)]
    if args.scheduler:
        argv += ["--scheduler", args.scheduler]
    elif args.workers:
        argv += ["--workers", str(args.workers)]
    if args.uncertain:
        argv += ["--uncertain", *args.uncertain]
    argv += ["--out", str(out), "--resume"]
    return shlex.join(argv)
