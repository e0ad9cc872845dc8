"""Where runs execute: a local process pool ('spawn', Ctrl-C left to the parent, workers that
end with their parent however it ends).

The runner (``coprod.experiments.runner.open_executor``) chooses between this process, this pool
and a dask cluster; all give a ``concurrent.futures.Executor`` (a dask ``Client.get_executor()``
returns plain ``concurrent.futures.Future`` objects), so the run loop has one code path.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

from coprod.core.lean_imports import load_scipy_parts
from coprod.core.mesa_core import load_mesa_core
from coprod.model.model import CoProductionModel
from coprod.model.warmup import cold_kernels, warm_kernels

# prctl(2) option: the signal the kernel sends this process when its parent dies (Linux).
PR_SET_PDEATHSIG = 1
# Citizens of the model a worker builds and steps once when the pool starts (``warm_worker``).
WARM_CITIZENS = 200
# How often the fallback watchdog looks whether the parent is still there (seconds).
WATCHDOG_INTERVAL = 1.0


def _start_worker(parent: int) -> None:
    """Pool workers end with their parent (``_die_with_parent``), leave Ctrl-C to the parent, which
    cancels, flushes and exits cleanly, and step on one numba thread each: the runs are the parallel
    unit, and a thread team per run would only oversubscribe the cores (results do not depend on
    the thread count). Mesa is imported without the sub-packages the model does not use
    (``mesa_core``)."""
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    load_mesa_core()  # before the first task's module imports mesa: a worker starts ~0.7 s sooner
    load_scipy_parts()  # and SciPy's two parts a run reaches, not its packages (``core.lean_imports``)
    os.environ["NUMBA_NUM_THREADS"] = "1"  # read when the worker first imports numba
    if "numba" in sys.modules:
        # Imported already (by this module's imports), so numba read the variable unset (one thread
        # per core). Read it again before any thread starts: numba's compiler re-reads it at every
        # compile, and a value that differs from the running team's is a RuntimeError; a worker that
        # compiled a kernel (a cold cache) failed its run so.
        sys.modules["numba"].core.config.reload_config()
        sys.modules["numba"].set_num_threads(1)


def warm_worker() -> None:
    """A pool worker's first task: import the model and load the kernels a small run calls (a model
    of a few citizens, one month), as its first run would. Runs never depend on what ran before
    them in a worker (each builds its own model from its own seed)."""
    CoProductionModel(seed=0, n_citizens=WARM_CITIZENS).step()


def _die_with_parent(parent: int) -> None:
    """End this worker when the process ``parent`` dies, however it dies (SIGKILL included; a
    parent's own cleanup never runs then, so the worker must see to it itself).

    On Linux the kernel delivers SIGKILL to the worker at once (``prctl(PR_SET_PDEATHSIG)``): even a
    worker inside a long compiled kernel ends. Everywhere, a watchdog thread also looks every
    ``WATCHDOG_INTERVAL`` seconds whether the worker has been handed to another parent (``getppid``
    changes when the parent dies) and exits then. The parent may already be gone before either was
    set up, so that is checked last. The kernel's signal follows the parent *thread* that started the
    worker: the pool is created and fed from the command's main thread, which lives as long as the
    command."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no prctl (an unusual libc): the watchdog alone serves
            pass
    threading.Thread(target=_watch_parent, args=(parent,), name="coprod-parent-watchdog", daemon=True).start()
    if os.getppid() != parent:
        os._exit(1)


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCHDOG_INTERVAL)
    os._exit(1)  # no cleanup: the parent that would receive the results is gone


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
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker,
                                   initargs=(os.getpid(),))
    # Every worker starts now and loads the model while this process prepares its table (a claims
    # battery samples its points, a sweep its design), not when the first runs are handed out.
    for _ in range(workers):
        executor.submit(warm_worker)
    try:
        yield executor
    finally:
        executor.shutdown(wait=True, cancel_futures=True)

