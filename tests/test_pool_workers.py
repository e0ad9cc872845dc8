"""The local pool's workers step on one numba thread each, may compile a kernel of their own (a cold
cache) without tripping over numba's thread count, and import Mesa and SciPy as lean as ``coprod run``."""

from __future__ import annotations

import functools
import sys

import numba
import numpy as np
import pytest

from coprod.experiments.evaluation import evaluate_model, evaluate_outcomes, evaluate_pair
from coprod.experiments.executors import local_pool
from coprod.experiments.runner import _evaluate_batch


def compile_and_count_threads() -> tuple[float, int, int]:
    """Compile a new parallel kernel in this process (numba re-reads its settings at a compile),
    run it, and say the thread counts the worker has."""

    @numba.njit(parallel=True)
    def total(values):
        summed = 0.0
        for i in numba.prange(values.shape[0]):
            summed += values[i]
        return summed

    return total(np.ones(10)), numba.config.NUMBA_NUM_THREADS, numba.get_num_threads()


def test_a_worker_compiles_a_kernel_on_one_thread():
    # Before the fix: "Cannot set NUMBA_NUM_THREADS to a different value once the threads have
    # been launched", because numba was imported before the worker set the variable to 1.
    with local_pool(2) as executor:
        results = [executor.submit(compile_and_count_threads).result(timeout=300) for _ in range(2)]
    assert results == [(10.0, 1, 1)] * 2


# Loaded by the whole packages, never by the parts a run uses (tests/test_run_startup.py: the same for
# ``coprod run``).
WHOLE_PACKAGES_ONLY = ("mesa.space", "mesa.batchrunner", "networkx", "scipy.linalg._basic", "scipy._lib._array_api")


def whole_packages_loaded() -> list[str]:
    return [name for name in WHOLE_PACKAGES_ONLY if name in sys.modules]


def test_a_worker_loads_the_model_without_the_whole_of_mesa_and_scipy():
    # Before: the worker's initializer lived beside the pool, whose module imports the model, so
    # Mesa and SciPy were whole before the worker could ask for their lean parts (0.8 s a worker).
    with local_pool(1) as executor:
        assert executor.submit(whole_packages_loaded).result(timeout=300) == []


def command_modules_loaded() -> list[str]:
    return [name for name in ("coprod.experiments.sweep", "coprod.experiments.claims") if name in sys.modules]


def test_a_worker_runs_pairs_and_sweep_runs_without_the_commands_modules():
    # Before: the functions a worker runs lived in ``sweep`` and ``claims``, and unpickling them
    # imported pandas' tables, SciPy's statistics and SALib in every worker (0.85 s of CPU each).
    arm = {"n_citizens": 40}
    pair = [(("claim", "sample", 0, 0), (arm, arm, "wellbeing_long", 2, "numba"), 1, "")]
    run = [((0, 0), arm, 1, "")]
    sweep_run = functools.partial(evaluate_outcomes, functools.partial(evaluate_model, steps=2), ["wellbeing_long"])
    with local_pool(1) as executor:
        (_, (treated, controlled), _), = executor.submit(_evaluate_batch, evaluate_pair, pair).result(timeout=300)
        (_, outcomes, _), = executor.submit(_evaluate_batch, sweep_run, run).result(timeout=300)
        assert executor.submit(command_modules_loaded).result(timeout=300) == []
    assert treated == controlled == outcomes["wellbeing_long"]  # the same arms with the same seed


def started_pools(monkeypatch) -> list:
    """Every pool a command starts (``executors.StartedPool``), recorded as it starts."""
    from coprod.experiments import executors

    pools = []

    class Recorded(executors.StartedPool):
        def __init__(self, workers):
            super().__init__(workers)
            self.processes = list(self.executor._processes.values())  # gone from the executor once shut
            pools.append(self)

    monkeypatch.setattr(executors, "StartedPool", Recorded)
    return pools


BATTERY = ["claims", "--claim", "openness_sustains", "--samples", "4", "--replications", "1", "--citizens", "120",
           "--steps", "12", "--quiet"]


def test_a_battery_starts_its_pool_before_its_checks_and_runs_on_it(tmp_path, monkeypatch):
    # The pool is started by ``cli.main`` before the command's module is imported (``early_pool``),
    # and the battery runs on that pool rather than starting a second one after its checks.
    from coprod.experiments import cli

    pools = started_pools(monkeypatch)
    assert cli.main([*BATTERY, "--workers", "2", "--out", str(tmp_path / "b")]) == 0
    assert len(pools) == 1 and pools[0].taken and pools[0].workers == 2
    assert (tmp_path / "b" / "runs.parquet").is_file()


@pytest.mark.parametrize("bad", [["--samples", "0"], ["--seed", "-1"], ["--claim", "no_such_claim"]])
def test_bad_input_stops_the_early_pool_quietly_and_writes_nothing(tmp_path, capsys, monkeypatch, bad):
    from coprod.experiments import cli

    pools = started_pools(monkeypatch)
    assert cli.main([*BATTERY, "--workers", "2", *bad, "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("coprod: error:"), err
    assert not (tmp_path / "b").exists() and not (tmp_path / "b.partial").exists()
    assert len(pools) == 1 and len(pools[0].processes) == 2  # it was started
    assert not any(process.is_alive() for process in pools[0].processes)


def test_no_early_pool_for_one_worker_a_scheduler_or_help():
    from coprod.experiments.cli import early_pool

    assert early_pool("claims", ["claims", "--workers", "1"]) is None
    assert early_pool("sweep", ["sweep", "default", "--scheduler", "tcp://127.0.0.1:1"]) is None
    assert early_pool("claims", ["claims", "--help"]) is None
    assert early_pool("claims", ["claims", "--workers", "x"]) is None
    assert early_pool("run", ["run", "--workers", "2"]) is None
