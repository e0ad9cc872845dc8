"""How many numba threads a population's kernels get: one below ``PARALLEL_FROM_CITIZENS``.

Results never depend on the thread count (every reduction is ordered), so this changes speed only.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

import numba

try:  # Numba's internals (`_thread_count_calls`); `import numba` has loaded them already
    from numba.np.ufunc import parallel as numba_parallel
except ImportError:  # a Numba that keeps them elsewhere: the public functions are used
    numba_parallel = None

# Below this many citizens kernels run on one thread: a thread team costs more than it saves on a
# small population, and on a busy machine (or in a pool of runs, where the runs are the parallel
# unit) it waits on itself: 20-50 times slower under load, measured (the network's build too).
PARALLEL_FROM_CITIZENS = 5_000


def _thread_count_calls():
    """Numba's own getter and setter of this thread's count, without the checks around them.

    ``numba.get_num_threads`` and ``set_num_threads`` take a process lock each call (~2 us; three
    calls a month were 8 us of a small run's month with the context manager); the C functions
    behind them, which they call after launching the threads, take 0.1-0.3 us. They are Numba
    internals, so if they are not where this Numba keeps them, the public functions are used."""
    numba.get_num_threads()  # launches the threading layer, which sets the C functions
    try:
        get, set_ = numba_parallel._get_num_threads, numba_parallel._set_num_threads
        if get() == numba.get_num_threads():
            return get, set_
    except (AttributeError, TypeError):
        pass
    return numba.get_num_threads, numba.set_num_threads


_get_threads = _set_threads = None


class _OneThread(AbstractContextManager):
    """Sets this thread's numba threads to one, and back on exit (nothing if it already is one)."""

    __slots__ = ("_previous",)

    def __enter__(self):
        global _get_threads, _set_threads
        if _get_threads is None:
            _get_threads, _set_threads = _thread_count_calls()
        self._previous = _get_threads()
        if self._previous != 1:
            _set_threads(1)
        return self

    def __exit__(self, *exc_info):
        if self._previous != 1:
            _set_threads(self._previous)
        return None


def threads_for(citizens: int) -> AbstractContextManager:
    """Run the enclosed kernels on one thread if the population is small, else as configured."""
    if citizens >= PARALLEL_FROM_CITIZENS:
        return nullcontext()
    return _OneThread()
