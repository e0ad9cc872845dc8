"""Draw the initial citizens: unequal resources, need, trust, self-efficacy and motivation.

Resources (time, skills, education; Verba, Schlozman & Brady 1995) have a declared mean and Gini
(``resource_mean``, ``resource_gini``): raising the Gini at a fixed mean is a mean-preserving
spread, so inequality and level are separate knobs. Who is rich is drawn first (a latent score with
group differences, so advantage clusters in groups: Sampson 2012); each citizen then gets the
quantile of a Beta distribution with that mean and Gini at their rank. Need leans towards the
low-resourced; self-efficacy rises with resources but is mostly a citizen's own (Bandura 1997;
Parrado et al. 2013 find it a far stronger predictor of co-production than education); a latent
civic propensity, independent of both, makes some citizens the civic core (Mohan & Bulloch 2012).
Both engines start from these arrays, so they start from the same citizens.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
from numba.extending import register_jitable

from coprod.model.network import group_bounds


def group_membership(n: int, n_groups: int) -> np.ndarray:
    """Each citizen's group: citizens are numbered group by group (neighbours stay close in memory)."""
    return (np.searchsorted(group_bounds(n, n_groups), np.arange(n), side="right") - 1).astype(np.int32)


@register_jitable
def caseload_at(citizen, n, n_caseloads):
    """The caseload of ``citizen`` (an index or an array of them) among ``n``: caseloads are contiguous
    and near equal. Also called inside the numba engine's month, which computes each citizen's
    caseload instead of keeping an array of them (4 bytes a citizen at 10^7)."""
    return (citizen * n_caseloads) // n


@register_jitable
def caseload_without_division(citizen, n, n_caseloads, share):
    """``caseload_at`` for one citizen (unsigned integers, ``share`` = ``n_caseloads / n`` as a float)
    without an integer division, which made the month's citizens' pass 6-7% slower in cache: the
    float estimate is off by at most one (its error is below 1e-9 for the declared sizes) and exact
    integer comparisons correct it."""
    target = citizen * n_caseloads
    caseload = np.uint64(np.int64(np.float64(np.int64(citizen)) * share))
    if caseload * n > target:
        caseload -= np.uint64(1)
    elif (caseload + np.uint64(1)) * n <= target:
        caseload += np.uint64(1)
    return caseload


def caseload_membership(n: int, n_caseloads: int) -> np.ndarray:
    """Each citizen's caseload (``caseload_at``), as an int32 array."""
    return caseload_at(np.arange(n, dtype=np.int64), n, n_caseloads).astype(np.int32)


def initial_citizens(p: dict, group_of: np.ndarray, n_caseloads: int,
                     rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The citizens' starting state, given each citizen's group (``group_membership``). A citizen's
    starting efficacy and motivation are also the baselines they drift back to (``efficacy0``,
    ``motivation0``); the engines copy them."""
    n, n_groups = p["n_citizens"], p["n_groups"]
    caseload_of = caseload_membership(n, n_caseloads)

    # Groups differ in advantage: a group's offset spreads from -spread to +spread.
    offsets = np.linspace(-1.0, 1.0, n_groups) if n_groups > 1 else np.zeros(1)
    offsets = rng.permutation(offsets) * p["group_resource_spread"]
    # A latent score ranks citizens (with their group's advantage); its shape only sets the order.
    latent = rng.beta(2.0, 5.0, size=n) * (1.0 + offsets[group_of])
    ranks = np.argsort(np.argsort(latent, kind="stable"), kind="stable")
    resources = resources_at_ranks(ranks, p["resource_mean"], p["resource_gini"])
    need = np.clip(rng.beta(2.0, 2.0, size=n) + 0.4 * (0.3 - resources), 0.02, 1.0)
    trust = np.clip(p["initial_trust"] + 0.15 * rng.standard_normal(n), 0.0, 1.0)
    efficacy = np.clip(0.3 + p["efficacy_from_resources"] * (resources - 0.3) + 0.15 * rng.standard_normal(n), 0.0, 1.0)
    motivation = np.clip(rng.beta(2.0, 3.0, size=n), 0.0, 1.0)
    propensity = p["propensity_spread"] * rng.standard_normal(n)
    wellbeing = np.clip(1.0 - need * (1.0 - p["base_fit"]), 0.0, 1.0)
    quintile_of = ((ranks * 5) // n).astype(np.int8)
    return {
        "group_of": group_of, "caseload_of": caseload_of, "quintile_of": quintile_of,
        "resources": resources, "need": need, "trust": trust, "efficacy": efficacy,
        "motivation": motivation, "propensity": propensity,
        "wellbeing": wellbeing, "quintile": quintile_of,  # each quantity state.drawn_names() lists
    }


# Quantiles at which the resource distribution is tabulated; a population no larger uses its own
# quantiles exactly, a larger one interpolates between them.
RESOURCE_GRID = 2049


def resources_at_ranks(ranks: np.ndarray, mean: float, gini: float) -> np.ndarray:
    """Resources for citizens of the given ranks (0 = poorest): the midpoint quantiles of
    Beta(mean k, (1 - mean) k) with k chosen so that their Gini is ``gini``, scaled to ``mean``."""
    n = ranks.shape[0]
    grid = min(n, RESOURCE_GRID)
    table = _resource_quantiles(float(mean), float(gini), grid)
    if grid == n:
        return table[ranks]
    return np.interp((ranks + 0.5) / n, (np.arange(grid) + 0.5) / grid, table)


def gini_coefficient(values: np.ndarray) -> float:
    """The Gini coefficient of non-negative ``values`` (0 = all equal)."""
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    n = ordered.shape[0]
    total = ordered.sum()
    if n == 0 or total <= 0.0:
        return 0.0
    return float((2.0 * np.arange(1, n + 1) - n - 1.0).dot(ordered) / (n * total))


# The bisection on log k: 60 halvings of [-8, 12] (nearly two-point to nearly equal), as drawn since
# Model 2; each needs the Gini of ``grid`` Beta quantiles (one ``betaincinv`` over the grid).
LOG_K_RANGE = (-8.0, 12.0)
HALVINGS = 60
# A halving's answer is taken from a point already evaluated, without evaluating the Gini again, only
# when that point's Gini was clearly (by this much) on the same side of the target and lies beyond the
# halving's point: over a grid of this many quantiles or more the Gini falls steadily with log k, and
# its rounding (1e-16 near the target) is far below the margin, so the answer is the one evaluating would give
# (tests/test_resource_quantiles.py compares both over the declared ranges). Smaller grids evaluate each halving.
CLEARLY = 1e-13
INFER_FROM_GRID = 64


@functools.lru_cache(maxsize=64)
def _resource_quantiles(mean: float, gini: float, grid: int) -> np.ndarray:
    """``grid`` midpoint quantiles of a Beta distribution with mean ``mean`` whose own Gini is
    ``gini`` (found by bisection on the concentration k: the Gini falls as k grows; a Beta with mean
    m reaches any Gini below 1 - m), rescaled to mean exactly ``mean`` within [0, 1].

    The bisection takes the same 60 steps to the same bits as evaluating the Gini at every step, but
    evaluates it at about half of them: a few secant steps (``_Sides.narrow``) first find the
    crossing, and every halving point clearly on one side of it is answered from the points
    evaluated (``_Sides.too_unequal``)."""
    # Imported here: only the set-up needs it, and ``coprod --help`` and ``params`` should not pay
    # for loading SciPy (``coprod run`` loads only this ufunc's module: ``core.lean_imports``).
    from scipy.special import betaincinv  # noqa: PLC0415

    if gini >= 1.0 - mean:
        raise ValueError(f"resource_gini: got {gini}; allowed: below 1 - resource_mean ({1.0 - mean:.2f})")
    levels = (np.arange(grid) + 0.5) / grid

    def quantiles(log_k: float) -> np.ndarray:
        k = np.exp(log_k)
        return betaincinv(mean * k, (1.0 - mean) * k, levels)

    sides = _Sides(lambda log_k: gini_coefficient(quantiles(log_k)) - gini, infer=grid >= INFER_FROM_GRID)
    low, high = LOG_K_RANGE
    sides.narrow(low, high)
    for _ in range(HALVINGS):
        middle = 0.5 * (low + high)
        if sides.too_unequal(middle):
            low = middle
        else:
            high = middle
    values = quantiles(0.5 * (low + high))
    values = np.clip(values * (mean / max(values.mean(), 1e-12)), 0.0, 1.0)
    values.setflags(write=False)
    return values


class _Sides:
    """Which side of the crossing a log k lies on: ``excess(log_k)`` (the Gini at log k minus the
    target, falling in log k) is positive below it. Remembers the largest point evaluated clearly
    positive and the smallest evaluated clearly negative (by ``CLEARLY``) and answers from them."""

    def __init__(self, excess: Callable[[float], float], infer: bool = True):
        self.excess = excess
        self.infer = infer
        self.positive_up_to = -np.inf  # the largest log k evaluated with excess > CLEARLY
        self.negative_from = np.inf  # the smallest log k evaluated with excess < -CLEARLY
        self.known: dict[float, float] = {}

    def evaluate(self, log_k: float) -> float:
        if log_k in self.known:  # the last halvings repeat a point once low and high are adjacent floats
            return self.known[log_k]
        value = self.known[log_k] = self.excess(log_k)
        if value > CLEARLY and self.infer:
            self.positive_up_to = max(self.positive_up_to, log_k)
        elif value < -CLEARLY and self.infer:
            self.negative_from = min(self.negative_from, log_k)
        return value

    def too_unequal(self, log_k: float) -> bool:
        """Whether the Gini at ``log_k`` is above the target (evaluated only near the crossing)."""
        if log_k <= self.positive_up_to:
            return True
        if log_k >= self.negative_from:
            return False
        return self.evaluate(log_k) > 0.0

    def narrow(self, low: float, high: float, halvings: int = 4, evaluations: int = 12) -> None:
        """Find the crossing between ``low`` and ``high`` in a few evaluations, then evaluate just
        clear of it on each side, so that the bisection answers every halving but the last ones,
        which lie between those two points. First the bisection's own first halvings (it asks for
        the same points next), then regula falsi (the Illinois variant) until the Gini is within
        ``CLEARLY`` of the target. Only a speed-up: the bisection gives the same bits without it."""
        if not self.infer:
            return
        f_low = f_high = None
        for _ in range(halvings):
            middle = 0.5 * (low + high)
            value = self.evaluate(middle)
            if value > 0.0:
                low, f_low = middle, value
            else:
                high, f_high = middle, value
        f_low = self.evaluate(low) if f_low is None else f_low
        f_high = self.evaluate(high) if f_high is None else f_high
        if not f_low > 0.0 >= f_high:
            return  # no crossing inside: the bisection alone walks to the end it should
        slope = (f_high - f_low) / (high - low)
        kept = 0  # +1 when the last point replaced the low end, -1 the high end
        for _ in range(evaluations):
            point = high - f_high * (high - low) / (f_high - f_low)
            if not low < point < high:
                return
            value = self.evaluate(point)
            slope = (value - f_low) / (point - low) if value > 0.0 else (f_high - value) / (high - point)
            if abs(value) < CLEARLY:
                self._clear_of(point, slope)
                return
            if value > 0.0:
                low, f_low = point, value
                f_high *= 0.5 if kept == 1 else 1.0  # the high end kept twice: halve its weight (Illinois)
                kept = 1
            else:
                high, f_high = point, value
                f_low *= 0.5 if kept == -1 else 1.0
                kept = -1

    def _clear_of(self, crossing: float, slope: float) -> None:
        """Evaluate on each side of ``crossing`` where the Gini should differ from the target by a few
        ``CLEARLY`` (by ``slope``), further out if it does not yet."""
        step = 4.0 * CLEARLY / max(abs(slope), 1e-6)
        for side in (-1.0, 1.0):
            for tries in range(4):
                point = crossing + side * step * 4.0**tries
                if abs(self.evaluate(point)) > CLEARLY:
                    break
