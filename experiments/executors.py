"""Where runs execute: a local process pool ('spawn', Ctrl-C left to the parent).

The runner (``coprod.experiments.runner.open_executor``) chooses between this process, this pool
and a dask cluster; all give a ``concurrent.futures.Executor`` (a dask ``Client.get_executor()``
returns plain ``concurrent.futures.Future`` objects), so the run loop has one code path.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Iterator


def _start_worker() -> None:
    """Pool workers leave Ctrl-C to the parent, which cancels, flushes and exits cleanly, and step
    on one numba thread each: the runs are the parallel unit, and a thread team per run would only
    oversubscribe the cores (results do not depend on the thread count)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ["NUMBA_NUM_THREADS"] = "1"  # read when the worker first imports numba
    if "numba" in sys.modules:  # already imported (e.g. by the parent's main module): set it directly
        sys.modules["numba"].set_num_threads(1)


@contextmanager
def local_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``workers`` processes using 'spawn': safe with numba's threads and the same on
    every platform. Workers are started once and take every run (and batches of short runs) with
    their kernels loaded; a cold kernel cache is filled here first."""
    from coprod.model.warmup import cold_kernels, warm_kernels

    if cold_kernels():
        # Compile once here, saying so, rather than in every worker at once (each would compile the
        # same kernels, fighting for the same cores); the workers then load them from the cache.
        warm_kernels()
    context = multiprocessing.get_context("spawn")
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker)
    try:
        yield executor
    finally:
        executor.shutdown(wait=True, cancel_futures=True)

