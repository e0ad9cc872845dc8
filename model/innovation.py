"""Public innovation as search on a rugged NK landscape (Kauffman 1993; Levinthal 1997).

The service design is N binary components whose contributions depend on K others. Professionals
search locally, one component at a time, and get stuck on local peaks. Each citizen group that
is heard in co-design or co-commissioning brings its own perspective, a set of components it
changes together (diverse heuristics, Hong & Page 2004): more distinct groups heard, more ways
off a local peak. Turbulence redraws contributions as needs change (Siggelkow & Rivkin 2005).

N is small (at most 16), so the fitness of every design is tabulated whenever the landscape
changes; a search step is then an XOR on the design's index and a table lookup.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numba import njit

from coprod.core import streams
from coprod.core.kernel_cache import drop_stale_kernels
from coprod.core.streams import PUBLIC_PROPOSAL, counter_uniform
from coprod.model import tally
from coprod.model.tally import block_sum


class ServiceDesign:
    """An NK landscape and the municipality's current position on it."""

    def __init__(self, n: int, k: int, n_groups: int, perspective_width: int, rng: np.random.Generator):
        """Draw the landscape and the starting design from ``rng`` (set-up only); monthly search and
        turbulence take their uniforms from the caller, who keys them (seed, month, purpose)."""
        k = min(k, n - 1)
        self.n, self.k = n, k
        self.dependencies = np.array(
            [[i] + list(rng.choice([j for j in range(n) if j != i], size=k, replace=False)) for i in range(n)],
            dtype=np.int64).reshape(n, k + 1)
        self.contributions = rng.random((n, 2 ** (k + 1)))
        start = rng.integers(0, 2, size=n)
        width = min(perspective_width, n)
        self.perspectives = np.array([rng.choice(n, size=width, replace=False) for _ in range(n_groups)],
                                     dtype=np.int64).reshape(n_groups, width)
        # Design d has index sum(d[i] << (n - 1 - i)): the row of itertools.product that lists it.
        self._all_designs = _binary_rows(n)
        self._bits = (1 << np.arange(n - 1, -1, -1)).astype(np.int64)
        # Every non-empty set of changes within a perspective, one row each, as XOR masks per group.
        flips = _binary_rows(width)[1:]
        self._group_masks = np.stack([flips @ self._bits[components] for components in self.perspectives])
        self._powers = 2 ** np.arange(k, -1, -1)
        # Which contribution each component of each design reads, as positions in the flattened
        # contributions table (a plain take is the fastest gather): fixed, since turbulence redraws
        # contributions, never dependencies; so a redraw only gathers and averages again.
        self._flat_keys = _contribution_positions(self.dependencies, n, self.contributions.shape[1])
        self._index = int(start @ self._bits)  # the current design; everything else derives from it
        self._rescale()

    def fitness_of(self, designs: np.ndarray) -> np.ndarray:
        """Mean contribution of the components for each design (rows of 0/1)."""
        designs = np.atleast_2d(designs)
        keys = designs[:, self.dependencies] @ self._powers  # (m, n)
        return self.contributions[np.arange(self.n), keys].mean(axis=1)

    def _rescale(self) -> None:
        """Tabulate the landscape: the fitness of every design, its worst and best."""
        self._every, self.low, self.high = _tabulate(self.contributions.ravel(), self._flat_keys)

    @property
    def design(self) -> np.ndarray:
        """The current design as 0/1 components."""
        return self._all_designs[self._index].copy()

    @property
    def fitness(self) -> float:
        """Fitness of the current design on today's landscape."""
        return float(self._every[self._index])

    @property
    def normalised_fitness(self) -> float:
        """Position between the worst (0) and the best (1) design on today's landscape."""
        return (self.fitness - self.low) / max(self.high - self.low, 1e-12)

    def local_search(self, uniforms: np.ndarray) -> int:
        """Professionals try single-component changes (one per uniform, which picks the component)
        and keep improvements; returns adoptions."""
        self._index, adopted = _local_search(self._index, self._every, self._bits,
                                             np.asarray(uniforms, dtype=np.float64))
        return int(adopted)

    def heard_groups_propose(self, planners: np.ndarray, seed: int, step: int, most: int) -> int:
        """Heard groups put proposals together and the best of each is adopted if it improves the
        design (``propose``); returns adoptions."""
        self._index, adopted = propose(self._index, self._every, self._group_masks,
                                       np.asarray(planners, dtype=np.float64),
                                       np.uint64(seed), np.uint64(step), most)
        return int(adopted)

    def group_proposals(self, groups: np.ndarray) -> int:
        """Each of ``groups`` in turn proposes the best change within its perspective, adopted if
        better (compiled); returns adoptions."""
        self._index, adopted = _adopt_proposals(self._index, self._every, self._group_masks,
                                                np.asarray(groups, dtype=np.int64))
        return int(adopted)

    def turbulence(self, rate: float, uniforms) -> None:
        """With chance ``rate``, one component's contributions are redrawn (needs change).

        ``uniforms(count)`` gives this month's draws for turbulence: the first decides whether it
        happens, the second which component, the rest the new contributions."""
        first = uniforms(2)
        if first[0] < rate:
            i = min(int(first[1] * self.n), self.n - 1)
            self.contributions[i] = uniforms(2 + self.contributions.shape[1])[2:]
            self._rescale()


@functools.cache
def _binary_rows(n: int) -> np.ndarray:
    """Every 0/1 row of length ``n`` in counting order (the rows of ``itertools.product((0, 1), repeat=n)``).
    Shared between models (read only)."""
    rows = (np.arange(2 ** n, dtype=np.int64)[:, None] >> np.arange(n - 1, -1, -1)) & 1
    rows.flags.writeable = False
    return rows


@njit(cache=True)
def _tabulate(contributions, positions):
    """The fitness of every design (the mean of the contributions at its row of ``positions``), the
    lowest and the highest. Means are summed as NumPy's ``mean`` sums (``tally.block_sum``: at most 16
    components, one block), so that the table is ``fitness_of`` every design to the bit."""
    designs, n = positions.shape
    every = np.empty(designs)
    values = np.empty(n)
    for d in range(designs):
        for i in range(n):
            values[i] = contributions[positions[d, i]]
        every[d] = (0.0 + block_sum(values, np.int64(0), n)) / n
    return every, every.min(), every.max()


@njit(cache=True)
def _contribution_positions(dependencies, n, width):
    """For every design d (an index, its bits the components) and component i, the position in the
    flattened contributions table of the contribution i reads: row i, column sum_j
    design[dependencies[i, j]] * 2^(k - j). (As NumPy, an integer matrix product that took a third of
    a small model's build.)"""
    k1 = dependencies.shape[1]
    positions = np.empty((1 << n, n), dtype=np.int64)
    for d in range(1 << n):
        for i in range(n):
            key = 0
            for j in range(k1):
                key = 2 * key + ((d >> (n - 1 - dependencies[i, j])) & 1)
            positions[d, i] = i * width + key
    return positions


@njit(cache=True)
def _local_search(index, every, bits, uniforms):
    n = bits.shape[0]
    adopted = 0
    for u in uniforms:
        trial = index ^ bits[min(int(u * n), n - 1)]
        if every[trial] > every[index]:
            index = trial
            adopted += 1
    return index, adopted


@njit(cache=True)
def propose(index, every, group_masks, planners, seed, step, most):
    """A group with more heard planners is more likely to put a proposal together (chance
    1 - e^(-planners/2)); at most ``most`` proposals are evaluated a month, chosen in an order keyed
    by (seed, month, group), and evaluated in the order of the groups (``_adopt_proposals``).
    Returns the new design index and the adoptions."""
    n_groups = planners.shape[0]
    proposing = np.empty(n_groups, dtype=np.int64)
    count = 0
    for g in range(n_groups):
        if counter_uniform(seed, step, np.uint64(g), np.uint64(PUBLIC_PROPOSAL)) < 1.0 - math.exp(-planners[g] / 2.0):
            proposing[count] = g
            count += 1
    if count > most:
        # The ``most`` lowest keys (the first of equals first), kept in the groups' order: a plain
        # selection, cheaper to compile than a sort for at most 64 picks.
        keys = np.empty(count)
        for k in range(count):
            keys[k] = counter_uniform(seed, step, np.uint64(proposing[k] + n_groups), np.uint64(PUBLIC_PROPOSAL))
        chosen = np.zeros(count, dtype=np.bool_)
        for _ in range(most):
            best = -1
            for k in range(count):
                if not chosen[k] and (best < 0 or keys[k] < keys[best]):
                    best = k
            chosen[best] = True
        kept = 0
        for k in range(count):
            if chosen[k]:
                proposing[kept] = proposing[k]
                kept += 1
        count = kept
    return _adopt_proposals(index, every, group_masks, proposing[:count])


@njit(cache=True)
def _adopt_proposals(index, every, group_masks, groups):
    """Each group in turn tries every change in its perspective from the current design and the
    best one (the first of equals, as ``np.argmax``) is adopted if it beats the current design."""
    adopted = 0
    for g in groups:
        masks = group_masks[g]
        best = index ^ masks[0]
        for k in range(1, masks.shape[0]):
            trial = index ^ masks[k]
            if every[trial] > every[best]:
                best = trial
        if every[best] > every[index]:
            index = best
            adopted += 1
    return index, adopted


# The kernels inline the public draws and NumPy's order of summation: recompile when they change.
drop_stale_kernels(propose, "innovation", [streams.__file__, tally.__file__])
