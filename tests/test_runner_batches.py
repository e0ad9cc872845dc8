"""Batches sized from measured run times (``runner.BatchPlanner``): the first batches measure,
later ones take about the target time, the last ones shrink so the workers finish together, and
no batching changes a result."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from coprod.experiments import runner


def tasks(count: int) -> list[runner.Task]:
    return [runner.Task((i,), float(i), 1000 + i, f"task {i}") for i in range(count)]


def planned(planner: runner.BatchPlanner, run_seconds: float) -> list[list[runner.Task]]:
    """Every batch the planner cuts when each run is measured at ``run_seconds``."""
    batches = []
    while (batch := planner.next_batch()) is not None:
        batches.append(batch)
        planner.measured([run_seconds] * len(batch))
    return batches


def test_first_batch_measures_then_batches_take_about_the_target_time():
    planner = runner.BatchPlanner(tasks(1000), slots=2, target_seconds=0.5)
    assert planner.size() == 1  # nothing measured yet
    assert len(planner.next_batch()) == 1
    planner.measured([0.01])
    assert planner.size() == 50  # 0.5 s of 0.01 s runs (fewer than a quarter of the 999 left)
    planner.measured([2.0] * 10)  # slower runs: smaller batches
    assert planner.size() == 1


def test_batches_cover_every_task_once_in_order_and_shrink_at_the_end():
    work = tasks(500)
    slots = 2
    batches = planned(runner.BatchPlanner(work, slots=slots, target_seconds=10.0), run_seconds=0.001)
    assert [task for batch in batches for task in batch] == work
    sizes = [len(batch) for batch in batches]
    left = len(work) - sizes[0]
    for size in sizes[1:]:  # after the first (measuring) batch: at most 1 / (2 x slots) of what is left
        assert size == math.ceil(left / (runner.TAIL_SHARES * slots))
        left -= size
    assert sizes[0] == 1
    assert sizes[1:] == sorted(sizes[1:], reverse=True) and sizes[-3:] == [1, 1, 1]


def test_a_fixed_batch_is_kept():
    batches = planned(runner.BatchPlanner(tasks(10), slots=4, fixed=3), run_seconds=0.1)
    assert [len(batch) for batch in batches] == [3, 3, 3, 1]


def evaluate(payload: float, seed: int) -> float:
    return float(np.random.default_rng(seed).standard_normal() + payload)


def test_results_do_not_depend_on_batching_or_executor():
    work = tasks(200)
    results = []
    for batch, workers in [(None, 0), (None, 3), (1, 2), (7, 2)]:
        sink = runner.MemorySink()
        if workers:
            with ThreadPoolExecutor(workers) as pool:
                runner.run_tasks(work, evaluate, sink, executor=pool, slots=workers, batch=batch, progress=False)
        else:
            runner.run_tasks(work, evaluate, sink, progress=False)
        results.append(sink.results)
    assert len(results[0]) == len(work)
    assert all(found == results[0] for found in results[1:])
