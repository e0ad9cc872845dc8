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

import numpy as np

from coprod.model.network import group_bounds


def group_membership(n: int, n_groups: int) -> np.ndarray:
    """Each citizen's group: citizens are numbered group by group (neighbours stay close in memory)."""
    return (np.searchsorted(group_bounds(n, n_groups), np.arange(n), side="right") - 1).astype(np.int32)


def initial_citizens(p: dict, group_of: np.ndarray, n_caseloads: int,
                     rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The citizens' starting state, given each citizen's group (``group_membership``). A citizen's
    starting efficacy and motivation are also the baselines they drift back to (``efficacy0``,
    ``motivation0``); the engines copy them."""
    n, n_groups = p["n_citizens"], p["n_groups"]
    caseload_of = ((np.arange(n, dtype=np.int64) * n_caseloads) // n).astype(np.int32)

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


@functools.lru_cache(maxsize=64)
def _resource_quantiles(mean: float, gini: float, grid: int) -> np.ndarray:
    """``grid`` midpoint quantiles of a Beta distribution with mean ``mean`` whose own Gini is
    ``gini`` (found by bisection on the concentration k: the Gini falls as k grows; a Beta with mean
    m reaches any Gini below 1 - m), rescaled to mean exactly ``mean`` within [0, 1]."""
    # Imported here: only the set-up needs it, and ``coprod --help`` and ``params`` should not pay
    # for loading SciPy (scipy.special ~0.2 s; scipy.stats, with the same inverse, several seconds).
    from scipy.special import betaincinv  # noqa: PLC0415

    if gini >= 1.0 - mean:
        raise ValueError(f"resource_gini: got {gini}; allowed: below 1 - resource_mean ({1.0 - mean:.2f})")
    levels = (np.arange(grid) + 0.5) / grid

    def quantiles(log_k: float) -> np.ndarray:
        k = np.exp(log_k)
        return betaincinv(mean * k, (1.0 - mean) * k, levels)

    low, high = -8.0, 12.0  # log k: nearly two-point (Gini near 1 - mean) to nearly equal
    for _ in range(60):
        middle = 0.5 * (low + high)
        if gini_coefficient(quantiles(middle)) > gini:
            low = middle
        else:
            high = middle
    values = quantiles(0.5 * (low + high))
    values = np.clip(values * (mean / max(values.mean(), 1e-12)), 0.0, 1.0)
    values.setflags(write=False)
    return values
