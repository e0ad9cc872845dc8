"""Draw the initial citizens: skewed resources, need, trust, self-efficacy and motivation.

Resources (time, skills, education) are Beta-skewed with group differences (Verba, Schlozman &
Brady 1995); need leans towards the low-resourced; self-efficacy rises with resources but is
mostly a citizen's own (Bandura 1997; Parrado et al. 2013 find it a far stronger predictor of
co-production than education); a latent civic propensity, independent of both, makes some
citizens the civic core (Mohan & Bulloch 2012). Both engines start from these arrays, so they
start from the same citizens.
"""

from __future__ import annotations

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
    base = rng.beta(2.0, 2.0 * p["resource_skew"], size=n)
    resources = np.clip(base * (1.0 + offsets[group_of]), 0.0, 1.0)
    need = np.clip(rng.beta(2.0, 2.0, size=n) + 0.4 * (0.3 - resources), 0.02, 1.0)
    trust = np.clip(p["initial_trust"] + 0.15 * rng.standard_normal(n), 0.0, 1.0)
    efficacy = np.clip(0.3 + p["efficacy_from_resources"] * (resources - 0.3) + 0.15 * rng.standard_normal(n), 0.0, 1.0)
    motivation = np.clip(rng.beta(2.0, 3.0, size=n), 0.0, 1.0)
    propensity = p["propensity_spread"] * rng.standard_normal(n)
    wellbeing = np.clip(1.0 - need * (1.0 - p["base_fit"]), 0.0, 1.0)
    ranks = np.argsort(np.argsort(resources, kind="stable"), kind="stable")
    quintile_of = ((ranks * 5) // n).astype(np.int8)
    return {
        "group_of": group_of, "caseload_of": caseload_of, "quintile_of": quintile_of,
        "resources": resources, "need": need, "trust": trust, "efficacy": efficacy,
        "motivation": motivation, "propensity": propensity,
        "wellbeing": wellbeing,
    }
