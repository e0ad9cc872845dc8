"""The citizens' social network: homophilous ties inside and across groups, in CSR form.

Each citizen draws ``mean_degree // 2`` ties; a tie stays inside the citizen's own group with
probability ``homophily`` (McPherson, Smith-Lovin & Cook 2001), otherwise it goes to anyone.
Ties inside a group are bonding, ties across groups bridging (Putnam 2000). Citizens are
numbered group by group and each row of neighbours is sorted, so most neighbours sit close in
memory. The builder is compiled (it draws 10^7 citizens' ties in seconds) and its random numbers
are counter-based, so both engines get the same network from the same seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from coprod.core import streams
from coprod.core.kernel_cache import drop_stale_kernels
from coprod.core.streams import counter_uniform
from coprod.core.threads import threads_for

# Row starts are int32 (4 bytes a citizen less than int64 at 10^7): the declared bounds allow at most
# 2 x 10^7 citizens drawing 20 ties each, 8 x 10^8 stored ends, well below this.
MAX_STORED_TIES = np.iinfo(np.int32).max
# The network's draws use their own 'step' so they never coincide with a month's draws.
NETWORK_STEP = np.uint64(0xFFFFFFFF00000001)
STREAM_TIE_KIND = np.uint64(100)
STREAM_TIE_TARGET = np.uint64(101)


@dataclass
class Network:
    """Undirected ties in compressed sparse row form (each tie stored once per end)."""

    indptr: np.ndarray  # int32 (MAX_STORED_TIES bounds the ties), length n + 1
    indices: np.ndarray  # int32, neighbours of citizen i at indices[indptr[i]:indptr[i + 1]]
    group_of: np.ndarray  # int32, each citizen's group (to tell bonding from bridging ties)

    @property
    def bonding(self) -> np.ndarray:
        """True where a stored tie stays inside the group (computed on demand: n·degree bytes)."""
        heads = np.repeat(np.arange(len(self.indptr) - 1), np.diff(self.indptr))
        return self.group_of[heads] == self.group_of[self.indices]


def group_bounds(n: int, n_groups: int) -> np.ndarray:
    """First citizen of each group (and n at the end): groups are contiguous and near equal."""
    return (np.arange(n_groups + 1, dtype=np.int64) * n) // n_groups


@njit(parallel=True, cache=True, error_model="numpy")
def _draw_targets(seed, group_of, bounds, per_citizen, homophily):
    n = group_of.shape[0]
    targets = np.empty(n * per_citizen, dtype=np.int32)
    for i in prange(n):
        g = group_of[i]
        start = bounds[g]
        size = bounds[g + 1] - start
        for d in range(per_citizen):
            k = np.uint64(i * per_citizen + d)
            inside = counter_uniform(seed, NETWORK_STEP, k, STREAM_TIE_KIND) < homophily
            u = counter_uniform(seed, NETWORK_STEP, k, STREAM_TIE_TARGET)
            if inside:
                targets[i * per_citizen + d] = start + min(int(u * size), size - 1)
            else:
                targets[i * per_citizen + d] = min(int(u * n), n - 1)
    return targets


@njit(cache=True)
def _fill_rows(n, per_citizen, targets):
    """Store every drawn tie at both ends (self-ties dropped); rows are not yet sorted."""
    degree = np.zeros(n + 1, dtype=np.int64)
    for k in range(targets.shape[0]):
        i = k // per_citizen
        j = targets[k]
        if i != j:
            degree[i + 1] += 1
            degree[j + 1] += 1
    indptr = np.cumsum(degree)
    indices = np.empty(indptr[n], dtype=np.int32)
    fill = indptr[:n].copy()
    for k in range(targets.shape[0]):
        i = k // per_citizen
        j = targets[k]
        if i != j:
            indices[fill[i]] = j
            fill[i] += 1
            indices[fill[j]] = i
            fill[j] += 1
    return indptr, indices


@njit(parallel=True, cache=True, error_model="numpy")
def _sort_and_dedupe_rows(indptr, indices):
    """Sort each row in place and drop repeated neighbours; returns each row's new length.
    Rows hold a handful of ties, so an insertion sort: same order as np.sort, no allocation per
    row, and about 2 s less to compile than NumPy's sort."""
    n = indptr.shape[0] - 1
    lengths = np.zeros(n, dtype=np.int64)
    for i in prange(n):
        lo, hi = indptr[i], indptr[i + 1]
        for k in range(lo + 1, hi):
            value = indices[k]
            j = k - 1
            while j >= lo and indices[j] > value:
                indices[j + 1] = indices[j]
                j -= 1
            indices[j + 1] = value
        kept = 0
        for k in range(lo, hi):
            if k == lo or indices[k] != indices[lo + kept - 1]:
                indices[lo + kept] = indices[k]
                kept += 1
        lengths[i] = kept
    return lengths


@njit(cache=True)
def _compact(indptr, indices, lengths):
    """Close the gaps the dedupe left, in place; returns the new indptr (int32: see MAX_STORED_TIES)."""
    n = lengths.shape[0]
    new_indptr = np.zeros(n + 1, dtype=np.int32)
    write = 0
    for i in range(n):
        read = indptr[i]
        for k in range(lengths[i]):
            indices[write + k] = indices[read + k]
        write += lengths[i]
        new_indptr[i + 1] = write
    return new_indptr


# The builder inlines the counter-based draws: recompile when they change.
drop_stale_kernels(_draw_targets, "network", [streams.__file__])


def build_network(group_of: np.ndarray, n_groups: int, mean_degree: int, homophily: float, seed: int) -> Network:
    """Draw the homophilous network for citizens numbered group by group."""
    n = len(group_of)
    group_of = np.ascontiguousarray(group_of, dtype=np.int32)
    bounds = group_bounds(n, n_groups)
    per_citizen = max(1, int(mean_degree) // 2)  # each citizen draws half its ties; the rest come to it
    if 2 * n * per_citizen > MAX_STORED_TIES:
        raise ValueError(f"network: {n} citizens x mean_degree {mean_degree} store {2 * n * per_citizen} tie ends; "
                         f"allowed: at most {MAX_STORED_TIES}")
    with threads_for(n):
        targets = _draw_targets(np.uint64(seed), group_of, bounds, per_citizen, float(homophily))
        indptr, indices = _fill_rows(n, per_citizen, targets)
        del targets
        lengths = _sort_and_dedupe_rows(indptr, indices)
    indptr = _compact(indptr, indices, lengths)
    indices = indices[: indptr[-1]].copy()
    return Network(indptr=indptr, indices=indices, group_of=group_of)
