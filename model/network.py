"""The citizens' social network: homophilous ties inside and across groups, in CSR form.

Each citizen draws ``mean_degree / 2`` ties; a tie stays inside the citizen's own group with
probability ``homophily`` (McPherson, Smith-Lovin & Cook 2001), otherwise it goes to anyone.
Ties inside a group are bonding, ties across groups bridging (Putnam 2000). Citizens are
numbered group by group, so most neighbours sit close in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Network:
    """Undirected ties in compressed sparse row form (each tie stored once per end)."""

    indptr: np.ndarray  # int64, length n + 1
    indices: np.ndarray  # int32, neighbours of citizen i at indices[indptr[i]:indptr[i + 1]]
    bonding: np.ndarray  # bool, True where the tie stays inside the group

    @property
    def n_ties(self) -> int:
        return len(self.indices) // 2


def group_bounds(n: int, n_groups: int) -> np.ndarray:
    """First citizen of each group (and n at the end): groups are contiguous and near equal."""
    return (np.arange(n_groups + 1, dtype=np.int64) * n) // n_groups


def build_network(group_of: np.ndarray, n_groups: int, mean_degree: int, homophily: float,
                  rng: np.random.Generator) -> Network:
    """Draw the homophilous network; duplicate ties and self-ties are dropped."""
    n = len(group_of)
    bounds = group_bounds(n, n_groups)
    per_citizen = max(1, mean_degree // 2)
    source = np.repeat(np.arange(n, dtype=np.int64), per_citizen)
    inside = rng.random(source.size) < homophily
    start = bounds[group_of[source]]
    size = bounds[group_of[source] + 1] - start
    target = np.where(inside, start + (rng.random(source.size) * size).astype(np.int64),
                      (rng.random(source.size) * n).astype(np.int64))
    keep = source != target
    a = np.minimum(source[keep], target[keep])
    b = np.maximum(source[keep], target[keep])
    pairs = np.unique(a * n + b)
    a, b = pairs // n, pairs % n
    heads = np.concatenate([a, b])
    tails = np.concatenate([b, a])
    order = np.lexsort((tails, heads))
    heads, tails = heads[order], tails[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(heads, minlength=n), out=indptr[1:])
    indices = tails.astype(np.int32)
    return Network(indptr=indptr, indices=indices, bonding=group_of[heads] == group_of[tails])
