"""What every sensitivity design shares, tables in, tables out: the confidence level and bootstrap
of the indices, the sample means of replicated runs, how much of the outcomes' spread is seed noise,
and the warning when N is too small. Each design's own indices are in ``analysis/designs/``:

* sobol: ``sobol_indices``, ``sobol_s2``, ``sobol_convergence``; morris: ``morris_indices``;
  fast: ``fast_indices``; latin: ``latin_indices`` (see each module);
* every design: ``replication_noise``: per outcome, the mean standard deviation across
  replications of a sample, the standard deviation of the sample means, their ratio, and the
  ``noise_floor`` (the share of the sample means' variance that is seed noise); Sobol tables
  repeat the floor beside the indices and flag (``above_noise``) parameters that exceed it.

SALib's bootstrap is seeded (``bootstrap_seed``), so analysing a sweep twice gives the same intervals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CONF = 0.95
RESAMPLES = 200

# Intervals wider than this are too wide to rank parameters (a warning says so; each design
# declares the N below which they mean little, ``Design.small``).
WIDE_CONF = 0.25


def bootstrap_seed(seed: int) -> int:
    """The seed of SALib's bootstrap, derived from the sweep seed: never 0 (which SALib reads as
    'no seed'), below 2**32 (numpy's legacy seeding), so two analyses of a sweep agree exactly."""
    state = int(np.random.SeedSequence(int(seed), spawn_key=(0x5A11B,)).generate_state(1)[0])
    return state % (2**32 - 1) + 1


def sample_means(runs: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    return runs.groupby("sample", sort=True)[outcomes].mean()


def replication_noise(runs: pd.DataFrame, outcomes: list[str], replications: int) -> pd.DataFrame:
    means = sample_means(runs, outcomes)
    rows = []
    for name in outcomes:
        within = runs.groupby("sample")[name].std(ddof=1).mean() if replications > 1 else float("nan")
        within_var = runs.groupby("sample")[name].var(ddof=1).mean() if replications > 1 else float("nan")
        between = float(means[name].std(ddof=1))
        rows.append({"outcome": name, "replications": replications, "within_sample_sd": float(within),
                     "between_sample_sd": between,
                     "noise_ratio": float(within / between) if between > 0 else float("nan"),
                     "noise_floor": noise_floor(within_var, replications, between)})
    return pd.DataFrame(rows)


def noise_floor(within_var: float, replications: int, between_sd: float) -> float:
    """The share of the sample means' variance that is seed noise: (within-sample variance / R) /
    variance of the sample means. A parameter with no effect gets about this total index from seed
    noise when rows have independent seeds; with common seeds in a Saltelli block (this sweep's
    design) it is an upper bound. NaN with one replication (the noise cannot be measured)."""
    if replications < 2 or not np.isfinite(within_var) or not between_sd > 0:
        return float("nan")
    return float(min(1.0, within_var / replications / between_sd**2))


def small_sample_warnings(method: str, samples: int, tables: dict[str, pd.DataFrame], small: int) -> list[str]:
    """Say when N is too small (below the design's ``small``) for the intervals to mean anything."""
    found = []
    half_widths = [np.abs(t[c].to_numpy(dtype=float)) for t in tables.values() for c in t.columns
                   if c.endswith("_conf") and len(t)]
    # Latin's Spearman intervals are given by their ends (Fisher z): their half-width counts too.
    half_widths += [(t["rho_high"].to_numpy(dtype=float) - t["rho_low"].to_numpy(dtype=float)) / 2
                    for t in tables.values() if {"rho_low", "rho_high"} <= set(t.columns) and len(t)]
    widest = max((float(np.nanmax(w)) for w in half_widths if np.isfinite(w).any()), default=0.0)
    if samples and samples < small:
        found.append(f"N = {samples} is small for {method} (widest 95% interval +/-{widest:.3g}); "
                     f"indices mean little below N = {small}: rerun the sweep with a larger --samples")
    elif widest > WIDE_CONF:
        found.append(f"some 95% intervals are +/-{widest:.3g} wide: too wide to rank parameters; rerun the sweep "
                     "with a larger --samples")
    return found
