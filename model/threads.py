"""How many numba threads a population's kernels get: one below ``PARALLEL_FROM_CITIZENS``.

Results never depend on the thread count (every reduction is ordered), so this changes speed only.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import numba

# Below this many citizens kernels run on one thread: a thread team costs more than it saves on a
# small population, and on a busy machine (or in a pool of runs, where the runs are the parallel
# unit) it waits on itself: 20-50 times slower under load, measured (the network's build too).
PARALLEL_FROM_CITIZENS = 5_000


@contextmanager
def threads_for(citizens: int) -> Iterator[None]:
    """Run the enclosed kernels on one thread if the population is small, else as configured."""
    if citizens >= PARALLEL_FROM_CITIZENS:
        yield
        return
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(threads)
