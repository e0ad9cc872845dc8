"""Where runs execute: a local process pool ('spawn', Ctrl-C left to the parent, workers that
end with their parent however it ends).

The runner (``coprod.experiments.runner.open_executor``) chooses between this process, this pool
and a dask cluster; all give a ``concurrent.futures.Executor`` (a dask ``Client.get_executor()``
returns plain ``concurrent.futures.Future`` objects), so the run loop has one code path.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

from coprod.experiments.pool_worker import start_worker
from coprod.model.model import CoProductionModel
from coprod.model.warmup import cold_kernels, warm_kernels

# Citizens of the model a worker builds and steps once when the pool starts (``warm_worker``).
WARM_CITIZENS = 200


def warm_worker() -> None:
    """A pool worker's first task: import the model and load the kernels a small run calls (a model
    of a few citizens, one month), as its first run would. Runs never depend on what ran before
    them in a worker (each builds its own model from its own seed)."""
    CoProductionModel(seed=0, n_citizens=WARM_CITIZENS).step()


@contextmanager
def local_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``workers`` processes using 'spawn': safe with numba's threads and the same on
    every platform. Workers are started once and take every run (and batches of short runs) with
    their kernels loaded; a cold kernel cache is filled here first."""
    if cold_kernels():
        # Compile once here, saying so, rather than in every worker at once (each would compile the
        # same kernels, fighting for the same cores); the workers then load them from the cache.
        warm_kernels()
    context = multiprocessing.get_context("spawn")
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=start_worker,
                                   initargs=(os.getpid(),))
    # Every worker starts now and loads the model while this process prepares its table (a claims
    # battery samples its points, a sweep its design), not when the first runs are handed out.
    for _ in range(workers):
        executor.submit(warm_worker)
    try:
        yield executor
    finally:
        executor.shutdown(wait=True, cancel_futures=True)

