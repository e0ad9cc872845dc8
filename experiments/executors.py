"""Where runs execute: a local process pool ('spawn', Ctrl-C left to the parent, workers that
end with their parent however it ends), which a command may start before it has checked its inputs.

The runner (``coprod.experiments.runner.open_executor``) chooses between this process, this pool
and a dask cluster; all give a ``concurrent.futures.Executor`` (a dask ``Client.get_executor()``
returns plain ``concurrent.futures.Future`` objects), so the run loop has one code path.

A pool's workers take 1-1.5 s each to start (the interpreter, the model's imports, its kernels
loaded from numba's cache), as long as the command's own imports and input checks. So a command that
will use a pool starts it first (``start_pool``, from ``cli.main``): its workers import the model
and load the kernels while the command imports its own modules and checks its inputs. They run no
task of the command's until it hands the pool to ``local_pool``, after every check; a command that
stops before (bad input, ``--help``, nothing left to run) stops them (``StartedPool.stop``). This
module imports nothing of the model: the command's own process may never need it.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager, suppress

from coprod.experiments.pool_worker import start_worker

# Citizens of the model a worker builds and steps once when the pool starts (``warm_worker``).
WARM_CITIZENS = 200


def warm_worker() -> None:
    """Load the kernels a small run calls (a model of a few citizens, one month), as a worker's first
    run would. Runs never depend on what ran before them in a worker (each builds its own model from
    its own seed)."""
    # The model is imported here, in the worker (its start-up), never by the command's process for it.
    from coprod.model.model import CoProductionModel  # noqa: PLC0415 - see above

    CoProductionModel(seed=0, n_citizens=WARM_CITIZENS).step()


def prepare_worker() -> list[str]:
    """A pool worker's first task: import the model and, when numba's cache holds every kernel, load
    them (``warm_worker``). Returns the cold kernels' names: then it loads nothing, as each worker would
    compile the same kernels at once; the command compiles them once and warms the workers after."""
    from coprod.model.warmup import cold_kernels  # noqa: PLC0415 - the model: see ``warm_worker``

    cold = cold_kernels()
    if not cold:
        warm_worker()
    return cold


class StartedPool:
    """A pool of ``workers`` 'spawn' processes, started now, each preparing itself (``prepare_worker``)
    before the command has checked its inputs; ``local_pool`` takes it over, or ``stop`` ends it."""

    def __init__(self, workers: int):
        self.workers = workers
        self.executor = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=start_worker, initargs=(os.getpid(),))
        # One task a worker, submitted at once: the pool starts a process for each while none is idle.
        self.prepared: list[Future] = [self.executor.submit(prepare_worker) for _ in range(workers)]
        self.taken = False

    def ready(self) -> None:
        """Wait for every worker's preparation; with cold kernels, compile them here, once, saying so
        (``warm_kernels``), then have every worker load them."""
        if any(_answer(future) for future in self.prepared):
            from coprod.model.warmup import warm_kernels  # noqa: PLC0415 - only with a cold cache

            warm_kernels()
            for future in [self.executor.submit(warm_worker) for _ in range(self.workers)]:
                _answer(future)

    def stop(self) -> None:
        """End the workers now, quietly, unless ``local_pool`` took the pool (it closes it itself).
        They ran nothing of the command's and hold nothing to save: they are terminated rather than
        left to finish loading the model first."""
        if self.taken:
            return
        self.taken = True
        processes = list(getattr(self.executor, "_processes", {}).values())  # the standard library's own
        for process in processes:
            with suppress(OSError, ValueError):
                process.terminate()
        # Then close the pool for real (its manager thread finds the workers gone), and let go of it:
        # its queues' semaphores are unregistered with multiprocessing's resource tracker only when
        # freed, and a command that leaves at once (``cli.LEAVE_AT_ONCE``) would have them reported.
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.executor, self.prepared = None, []
        gc.collect()


def _answer(future: Future):
    """A preparation's answer; None when it failed (a worker that cannot load the model fails its first
    run too, and the runner reports that on one line, naming the run; a dead worker, as a lost pool)."""
    try:
        return future.result()
    except Exception:  # noqa: BLE001 - reported by the runs, above
        return None


def start_pool(workers: int) -> StartedPool:
    """A local pool of ``workers`` processes, starting now (see the module docstring)."""
    return StartedPool(workers)


@contextmanager
def local_pool(workers: int, started: StartedPool | None = None) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``workers`` processes using 'spawn': safe with numba's threads and the same on
    every platform. Workers are started once and take every run (and batches of short runs) with
    their kernels loaded; a cold kernel cache is filled here first. ``started``: the pool the command
    started before its checks (``start_pool``), used if it has as many workers."""
    if started is not None and (started.taken or started.workers != workers):
        started.stop()
        started = None
    pool = started or StartedPool(workers)
    pool.taken = True
    try:
        pool.ready()
        yield pool.executor
    finally:
        pool.executor.shutdown(wait=True, cancel_futures=True)
