"""What a local pool's worker does first, before any task: end with its parent, leave Ctrl-C to it,
step on one numba thread, import Mesa and SciPy as ``coprod run`` does (``core.mesa_core``,
``core.lean_imports``), and leave without the interpreter's teardown when the pool closes.

A 'spawn' worker imports the module of its initializer to find it, so this module imports nothing of
the model: were the model imported first (as ``executors``, beside it, does), Mesa and SciPy would be
whole by the time the worker could ask for their lean parts (0.8 s more for each worker to start
and load the model; measured).
"""

from __future__ import annotations

import atexit
import ctypes
import os
import signal
import sys
import threading
import time

from coprod.core.lean_imports import load_scipy_parts
from coprod.core.mesa_core import load_mesa_core

# prctl(2) option: the signal the kernel sends this process when its parent dies (Linux).
PR_SET_PDEATHSIG = 1
# How often the fallback watchdog looks whether the parent is still there (seconds).
WATCHDOG_INTERVAL = 1.0


def start_worker(parent: int) -> None:
    """Pool workers end with their parent (``_die_with_parent``), leave Ctrl-C to the parent, which
    cancels, flushes and exits cleanly, and step on one numba thread each: the runs are the parallel
    unit, and a thread team per run would only oversubscribe the cores (results do not depend on
    the thread count). Mesa is imported without the sub-packages the model does not use
    (``mesa_core``)."""
    _die_with_parent(parent)
    atexit.register(_leave_at_once)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    load_mesa_core()  # before the first task's module imports the model (and mesa)
    load_scipy_parts()  # and SciPy's two parts a run reaches, not its packages
    os.environ["NUMBA_NUM_THREADS"] = "1"  # read when the worker first imports numba
    if "numba" in sys.modules:
        # Imported already (by the parent's main module, which 'spawn' imports again here), so numba
        # read the variable unset (one thread per core). Read it again before any thread starts:
        # numba's compiler re-reads it at every compile, and a value that differs from the running
        # team's is a RuntimeError (a worker that compiled a kernel, with a cold cache, failed so).
        sys.modules["numba"].core.config.reload_config()
        sys.modules["numba"].set_num_threads(1)


def _leave_at_once() -> None:
    """A worker's last act once the pool has closed it (its results sent, ``multiprocessing``'s own
    exit handlers run): exit without tearing the interpreter down. Freeing the model's modules,
    numba's and LLVM's among them, took 0.8 s a worker (2.2 s to close a pool of two under load,
    measured; 0.1 s so), time a command waited for after its results were written. It runs after
    the exit handlers registered later (those of modules the tasks imported, numba's) and instead
    of those registered before the pool started this worker (the standard library's: its
    ``multiprocessing`` ones have run already, and a worker writes no log)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


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
