"""Benchmark many small runs: what sweeps, the claims battery and calibration pay per run.

Prints, measured in one run on this machine:

1. runs per second per core (one process, one numba thread, model built and stepped after a
   warm-up run; median of 3 seeds) at 300 x 60, 2,000 x 120 and 20,000 x 120 (citizens x months);
2. the public side's fixed cost per month: a month's wall time minus the citizens' engine month
   (professionals, NGOs, learning, innovation, outcomes, data collection), median month;
3. a local pool: per-run overhead against the same runs in one process, one submitted run per task
   against batched tasks, and the scaling from 1 to 2 workers;
4. ``coprod run`` with defaults, launch to exit (warm kernel cache);
5. the wall time of a Sobol sweep of the default scenario (N=256, 2 replications, 2,000 citizens,
   120 months) and of the default claims battery, both on 2 workers (``--quick``: N=16 and a
   battery of 8 samples, with the full-size times extrapolated from the runs per second; say so
   when you quote them);
6. ``scaling``: the claims battery (defaults; ``--quick``: 8 samples) on 1 worker and on
   ``--workers`` workers, alternating ``--repeats`` times, and the ratio of the wall times
   (the issue's target: 2 workers at least 1.85x one);
7. ``dask``: one Sobol sweep (N=16, 2 replications, 2,000 x 120; ``--quick``: N=4, 300 x 60) on a
   local pool of ``--dask-workers`` workers and on a dask.distributed ``LocalCluster`` on
   127.0.0.1 with as many workers of one thread each, alternating ``--repeats`` times; both wall
   times and the ratio, twice: from nothing (the command starts its pool; a cluster is started for
   the sweep and closed) and the runs alone on warm executors (both started and warmed first).

    python benchmarks/bench_sweep.py            # everything but scaling and dask, ~15 min on 2 cores
    python benchmarks/bench_sweep.py --quick    # about 2 minutes
    python benchmarks/bench_sweep.py --only runs,public
    python benchmarks/bench_sweep.py --only scaling --repeats 3
    python benchmarks/bench_sweep.py --only dask --repeats 3
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = ((300, 60), (2_000, 120), (20_000, 120))
SCENARIO = "hybrid"
SECTIONS = ("runs", "public", "pool", "run", "sweep", "claims", "scaling", "dask")
DEFAULT_SECTIONS = ("runs", "public", "pool", "run", "sweep", "claims")


def _model(n: int, seed: int):
    from coprod.experiments.scenarios import load_scenario
    from coprod.model.model import CoProductionModel

    parameters = {**load_scenario(SCENARIO).parameters, "n_citizens": n}
    return CoProductionModel(seed=seed, engine="numba", **parameters)


def one_run(n: int, steps: int, seed: int) -> tuple[float, float]:
    """Build and step one model; (build seconds, step-loop seconds)."""
    start = time.perf_counter()
    model = _model(n, seed)
    built = time.perf_counter()
    for _ in range(steps):
        model.step()
    return built - start, time.perf_counter() - built


def runs_table() -> None:
    import numba

    numba.set_num_threads(1)
    print(f"\n## Runs per second per core (one process, one thread, scenario {SCENARIO!r}, median of 3 seeds)\n")
    print("| citizens x months | build ms | step loop ms | ms/month | runs/s per core | M citizen-steps/s |")
    print("|---|---:|---:|---:|---:|---:|")
    for n, steps in SIZES:
        one_run(n, steps, 99)  # warm-up: kernels loaded, caches warm
        builds, loops = zip(*(one_run(n, steps, seed) for seed in range(3)))
        build, loop = statistics.median(builds), statistics.median(loops)
        print(f"| {n:,} x {steps} | {build * 1e3:.1f} | {loop * 1e3:.0f} | {loop / steps * 1e3:.3f} | "
              f"{1.0 / (build + loop):.1f} | {n * steps / loop / 1e6:.2f} |")


def public_cost(n: int = 300, steps: int = 60) -> None:
    import numba

    numba.set_num_threads(1)
    print(f"\n## Public side's fixed cost per month ({n} citizens, {steps} months, median month of 3 seeds)\n")
    print("| scenario | month ms | citizens' engine ms | public side ms |")
    print("|---|---:|---:|---:|")
    from month_timing import time_months

    from coprod.experiments.scenarios import load_scenario
    from coprod.model.model import CoProductionModel

    for scenario in (SCENARIO, "default", "takeover"):
        months, engine_months = [], []
        for seed in (99, 0, 1, 2):
            model = CoProductionModel(seed=seed, engine="numba",
                                      **{**load_scenario(scenario).parameters, "n_citizens": n})
            whole, spent = time_months(model, steps)
            if seed != 99:  # the first run is the warm-up
                months += whole[1:]
                engine_months += spent[1:]
        month_ms = statistics.median(months) * 1e3
        engine_ms = statistics.median(engine_months) * 1e3
        public = statistics.median(w - e for w, e in zip(months, engine_months)) * 1e3
        print(f"| {scenario} | {month_ms:.3f} | {engine_ms:.3f} | {public:.3f} |")


def _evaluate(payload, seed):
    n, steps = payload
    model = _model(n, seed)
    for _ in range(steps):
        model.step()
    return model.outcomes["wellbeing_long"]


def pool_table(quick: bool) -> None:
    from coprod.experiments.executors import local_pool
    from coprod.experiments.runner import MemorySink, Task, run_tasks

    print("\n## Local pool (spawn; runs of 300 x 60 and 2,000 x 120; wall time from submission to the last result)\n")
    print("| runs | workers | batch | wall s | runs/s | per-run overhead ms (against one process) |")
    print("|---|---:|---:|---:|---:|---:|")
    for (n, steps), count in (((300, 60), 120 if quick else 400), ((2_000, 120), 24 if quick else 80)):
        tasks = [Task((k,), (n, steps), k) for k in range(count)]
        _evaluate((n, steps), 0)
        start = time.perf_counter()
        run_tasks(tasks, _evaluate, MemorySink(), executor=None, progress=False)
        alone = (time.perf_counter() - start) / count
        print(f"| {count} x {n:,} x {steps} | 1 | (this process) | {alone * count:.1f} | {1 / alone:.1f} | 0 |")
        walls = {}
        for workers in (1, 2):
            for batch in (1, None):
                with local_pool(workers) as executor:
                    # Start and warm every worker first: that cost is paid once per sweep, not per run.
                    warm = [Task(("warm", k), (n, 2), k) for k in range(workers)]
                    run_tasks(warm, _evaluate, MemorySink(), executor=executor, slots=workers, progress=False)
                    start = time.perf_counter()
                    run_tasks(tasks, _evaluate, MemorySink(), executor=executor, slots=workers, batch=batch,
                              progress=False)
                    wall = time.perf_counter() - start
                walls[(workers, batch)] = wall
                overhead = (wall * workers / count - alone) * 1e3
                print(f"| {count} x {n:,} x {steps} | {workers} | {batch or 'auto'} | {wall:.1f} | "
                      f"{count / wall:.1f} | {overhead:.2f} |")
        print(f"| scaling 2 workers / 1 ({n:,} x {steps}, batch auto) | | | | "
              f"{walls[(1, None)] / walls[(2, None)]:.2f}x | |")


def _timed(command: list[str], label: str) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        print(f"{label} failed ({done.returncode}): {done.stderr.strip().splitlines()[-1:]}")
    return wall


def _coprod() -> list[str]:
    return [sys.executable, "-m", "coprod.experiments.cli"]


def run_command() -> None:
    print("\n## `coprod run` with defaults (launch to exit, warm kernel cache; median of 3)\n")
    with tempfile.TemporaryDirectory() as folder:
        walls = [_timed([*_coprod(), "run", "--quiet", "--out", str(Path(folder) / f"r{k}")], "coprod run")
                 for k in range(4)]
    print(f"{statistics.median(walls[1:]):.2f} s (first, warming the cache: {walls[0]:.2f} s)")


def sweep_command(quick: bool, workers: int) -> None:
    samples = 16 if quick else 256
    print(f"\n## Sobol sweep, default scenario, N={samples}, 2 replications, 2,000 x 120, {workers} workers\n")
    with tempfile.TemporaryDirectory() as folder:
        command = [*_coprod(), "sweep", "default", "--method", "sobol", "--samples", str(samples),
                   "--replications", "2", "--citizens", "2000", "--steps", "120", "--workers", str(workers),
                   "--quiet", "--out", str(Path(folder) / "sweep")]
        wall = _timed(command, "sweep")
    runs = samples * (2 * 6 + 2) * 2  # Saltelli with second order: N (2k + 2), k = 6 uncertain parameters
    line = f"{runs} runs in {wall:.1f} s ({runs / wall:.1f} runs/s)"
    if quick:
        line += f"; N=256 (7,168 runs) at that rate: about {7168 / (runs / wall) / 60:.1f} min (extrapolated)"
    print(line)


def claims_command(quick: bool, workers: int) -> None:
    print(f"\n## Claims battery ({'8 samples per claim' if quick else 'defaults'}), {workers} workers\n")
    with tempfile.TemporaryDirectory() as folder:
        command = [*_coprod(), "claims", "--workers", str(workers), "--quiet", "--out", str(Path(folder) / "claims")]
        if quick:
            command += ["--samples", "8"]
        wall = _timed(command, "claims")
    print(f"{wall:.1f} s ({wall / 60:.1f} min)")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def claims_scaling(quick: bool, workers: int, repeats: int) -> None:
    """The claims battery on 1 worker and on ``workers``, alternating; the ratio of wall times."""
    print(f"\n## Claims battery ({'8 samples per claim' if quick else 'defaults'}): {workers} workers against 1, "
          f"alternating {repeats} time(s)\n")
    print(f"load average before: {_load()}")
    walls: dict[int, list[float]] = {1: [], workers: []}
    with tempfile.TemporaryDirectory() as folder:
        for k in range(repeats):
            for count in (1, workers):
                command = [*_coprod(), "claims", "--workers", str(count), "--quiet",
                           "--out", str(Path(folder) / f"claims-{count}-{k}")]
                walls[count].append(_timed(command + (["--samples", "8"] if quick else []), "claims"))
    print(f"load average after: {_load()}")
    ratios = [one / many for one, many in zip(walls[1], walls[workers])]
    print("| workers | median wall s | min s | max s |\n|---:|---:|---:|---:|")
    for count, values in walls.items():
        print(f"| {count} | {statistics.median(values):.1f} | {min(values):.1f} | {max(values):.1f} |")
    print(f"speed-up {workers} workers / 1, pair by pair: median {statistics.median(ratios):.2f}x "
          f"(min {min(ratios):.2f}, max {max(ratios):.2f}; target >= 1.85x with 2)")


def _sweep_size(quick: bool) -> tuple[int, int, int]:
    """The dask section's sweep: (N, citizens, months)."""
    return (4, 300, 60) if quick else (16, 2_000, 120)


def _sweep_command(quick: bool, out: Path, where: list[str]) -> list[str]:
    samples, citizens, steps = _sweep_size(quick)
    return [*_coprod(), "sweep", "default", "--method", "sobol", "--samples", str(samples), "--replications", "2",
            "--citizens", str(citizens), "--steps", str(steps), "--quiet", "--out", str(out), *where]


def _sweep_tasks(quick: bool) -> tuple[list, object]:
    """The runs of ``_sweep_command``'s sweep, as the command hands them to the runner, and its function."""
    import functools

    from coprod.experiments.evaluation import evaluate_model, evaluate_outcomes
    from coprod.experiments.scenarios import load_scenario
    from coprod.experiments.sweep import (
        DEFAULT_OUTCOMES,
        checked_plan,
        integer_names,
        method_options,
        model_problem,
        sweep_citizens,
    )

    samples, citizens, steps = _sweep_size(quick)
    scenario = load_scenario("default")
    problem = model_problem({k: tuple(v) for k, v in scenario.uncertain.items()})
    base = {**scenario.parameters, "n_citizens": sweep_citizens(citizens, dict(scenario.parameters))}
    _, plan = checked_plan(problem, "sobol", samples, 0, method_options("sobol"), integer_names(problem), base, 2,
                           None)
    function = functools.partial(evaluate_outcomes, functools.partial(evaluate_model, steps=steps),
                                 list(DEFAULT_OUTCOMES))
    return plan.tasks(set()), function


def _cold_dask_sweep(quick: bool, out: Path, workers: int) -> float:
    """Wall time of a dask LocalCluster started for one sweep: start, the command, close."""
    from distributed import LocalCluster

    start = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        _timed(_sweep_command(quick, out, ["--scheduler", cluster.scheduler_address]), "sweep on a new cluster")
    return time.perf_counter() - start


def _table(walls: dict[str, list[float]], workers: int) -> None:
    print("| executor | median wall s | min s | max s |\n|---|---:|---:|---:|")
    for name, values in walls.items():
        print(f"| {name} ({workers} workers) | {statistics.median(values):.2f} | {min(values):.2f} | "
              f"{max(values):.2f} |")
    pool, dask = walls.values()
    ratios = [d / p for d, p in zip(dask, pool)]
    print(f"dask / pool wall time, pair by pair: median {statistics.median(ratios):.2f} "
          f"(min {min(ratios):.2f}, max {max(ratios):.2f}; below 1: dask faster)\n")


def dask_against_pool(quick: bool, workers: int, repeats: int) -> None:
    """The same sweep on a local pool and on a dask LocalCluster (127.0.0.1) of as many one-thread
    workers, alternating, measured twice so that start-up is either counted on both sides or on neither:

    1. from nothing, as a one-off sweep: ``coprod sweep --workers`` (the pool starts and stops in the
       command) against a cluster started for the sweep, ``coprod sweep --scheduler``, the cluster closed;
    2. the runs alone on warm executors, in this process: the sweep's tasks through the runner on an
       open pool and on the running cluster, both warmed by the same sweep once (imports, kernels).

    (The cluster's start and its first sweep are printed apart: what a long-lived cluster saves.)"""
    from distributed import Client, LocalCluster

    from coprod.experiments.executors import local_pool
    from coprod.experiments.runner import MemorySink, run_tasks

    samples, citizens, steps = _sweep_size(quick)
    print(f"\n## Sobol sweep (N={samples}, {citizens:,} x {steps}, 2 replications): local pool against a dask "
          f"LocalCluster, {workers} workers each, alternating {repeats} time(s)\n")
    print(f"load average before: {_load()}")
    os.environ["NUMBA_NUM_THREADS"] = "1"  # one thread per dask worker, as the pool's workers have
    cold: dict[str, list[float]] = {"pool": [], "dask": []}
    with tempfile.TemporaryDirectory() as folder:
        for k in range(repeats):
            cold["pool"].append(_timed(_sweep_command(quick, Path(folder) / f"pool-{k}", ["--workers", str(workers)]),
                                       "sweep on a pool"))
            cold["dask"].append(_cold_dask_sweep(quick, Path(folder) / f"dask-{k}", workers))
    print("### 1. From nothing: the pool started by the command; the cluster started for the sweep and closed\n")
    _table(cold, workers)

    tasks, function = _sweep_tasks(quick)
    warm: dict[str, list[float]] = {"pool": [], "dask": []}
    start = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client, local_pool(workers) as pool:
        started = time.perf_counter() - start
        executors = {"pool": (pool, workers), "dask": (client.get_executor(pure=False), workers)}
        firsts = {}
        for name, (executor, slots) in executors.items():  # warm-up: imports and kernels in every worker
            first = time.perf_counter()
            run_tasks(tasks, function, MemorySink(), executor=executor, slots=slots, progress=False)
            firsts[name] = time.perf_counter() - first
        for _ in range(repeats):
            for name, (executor, slots) in executors.items():
                begin = time.perf_counter()
                run_tasks(tasks, function, MemorySink(), executor=executor, slots=slots, progress=False)
                warm[name].append(time.perf_counter() - begin)
    print(f"### 2. The {len(tasks)} runs alone on warm executors (this process; both started together in "
          f"{started:.1f} s, first sweep: pool {firsts['pool']:.1f} s, dask {firsts['dask']:.1f} s)\n")
    _table(warm, workers)
    print(f"load average after: {_load()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller pool, sweep and claims measurements")
    parser.add_argument("--only", default=",".join(DEFAULT_SECTIONS),
                        help=f"comma-separated sections: {','.join(SECTIONS)} (default: {','.join(DEFAULT_SECTIONS)})")
    parser.add_argument("--workers", type=int, default=2, help="workers for the sweep and the claims battery")
    parser.add_argument("--dask-workers", type=int, default=4, help="workers of the pool and the cluster (dask)")
    parser.add_argument("--repeats", type=int, default=1, help="alternating repeats (scaling, dask)")
    args = parser.parse_args(argv)
    sections = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = sections - set(SECTIONS)
    if unknown:
        parser.error(f"--only: unknown section(s) {', '.join(sorted(unknown))}; allowed: {', '.join(SECTIONS)}")
    import numba

    print(f"# bench_sweep, {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, {platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, numba {numba.__version__}, "
          f"load average {os.getloadavg()[0]:.2f}")
    if "runs" in sections:
        runs_table()
    if "public" in sections:
        public_cost()
    if "pool" in sections:
        pool_table(args.quick)
    if "run" in sections:
        run_command()
    if "sweep" in sections:
        sweep_command(args.quick, args.workers)
    if "claims" in sections:
        claims_command(args.quick, args.workers)
    if "scaling" in sections:
        claims_scaling(args.quick, args.workers, args.repeats)
    if "dask" in sections:
        dask_against_pool(args.quick, args.dask_workers, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
