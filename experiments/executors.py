"""Where sweep runs execute: a local process pool or a dask cluster, behind one interface.

Both give a ``concurrent.futures.Executor``: ``ProcessPoolExecutor`` locally, and for a cluster
``distributed.Client(address).get_executor()``, whose futures are plain
``concurrent.futures.Future`` objects. The sweep runner therefore has one code path
(``submit`` / ``concurrent.futures.wait`` / ``cancel``) whatever runs the work.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Iterator

from coprod.experiments.errors import InputError


def _ignore_sigint() -> None:
    """Pool workers leave Ctrl-C to the parent, which cancels, flushes and exits cleanly."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def open_executor(workers: int | None = None, scheduler: str | None = None) -> Iterator[tuple[Executor, int, str]]:
    """Yield ``(executor, slots, description)``.

    ``slots`` is how many runs execute at once (used to size the queue of submitted runs).
    Local pools use the 'spawn' start method: safe with numba's threads and identical on
    every platform.
    """
    if scheduler:
        try:
            from distributed import Client
        except ImportError as err:  # pragma: no cover - dask is a declared dependency
            raise InputError(f"--scheduler: dask.distributed is not importable ({err})") from None
        try:
            client = Client(scheduler, timeout="20s", set_as_default=False)
        except (OSError, TimeoutError) as err:
            raise InputError(f"--scheduler: cannot connect to {scheduler} ({err})") from None
        try:
            threads = sum(client.nthreads().values()) or 1
            # pure=False: every submission is its own task, never merged with an earlier one.
            executor = client.get_executor(pure=False)
            yield executor, threads, f"dask scheduler {scheduler} ({threads} worker threads)"
        finally:
            client.close()
        return
    if workers is not None and workers < 1:
        raise InputError(f"--workers: got {workers}; allowed: an integer >= 1")
    n = workers or os.cpu_count() or 1
    context = multiprocessing.get_context("spawn")
    executor = ProcessPoolExecutor(max_workers=n, mp_context=context, initializer=_ignore_sigint)
    try:
        yield executor, n, f"local process pool ({n} workers)"
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
