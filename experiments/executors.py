"""Where runs execute: a local process pool ('spawn', Ctrl-C left to the parent).

The runner (``coprod.experiments.runner.open_executor``) chooses between this process, this pool
and a dask cluster; all give a ``concurrent.futures.Executor`` (a dask ``Client.get_executor()``
returns plain ``concurrent.futures.Future`` objects), so the run loop has one code path.
"""

from __future__ import annotations

import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Iterator


def _ignore_sigint() -> None:
    """Pool workers leave Ctrl-C to the parent, which cancels, flushes and exits cleanly."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def local_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``workers`` processes using 'spawn': safe with numba's threads and the same on
    every platform."""
    context = multiprocessing.get_context("spawn")
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_ignore_sigint)
    try:
        yield executor
    finally:
        executor.shutdown(wait=True, cancel_futures=True)

