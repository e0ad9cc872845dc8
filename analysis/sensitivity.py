"""Sensitivity indices of a sweep's outcomes, tables in, tables out: the SALib analysis matching the
sampling method, and how much of the outcomes' spread is seed noise.

* sobol: ``sobol_indices`` (S1, ST with 95% CIs), ``sobol_s2`` (S2 with CIs, if sampled),
  ``sobol_convergence`` (S1/ST recomputed on the first N/8, N/4, N/2, N base samples);
* morris: ``morris_indices`` (mu, mu*, mu* CI, sigma);
* fast: ``fast_indices`` (S1, ST with CIs);
* latin: ``latin_indices``: standardized rank regression coefficients (SRRC, regression of
  the ranks of the outcome on the ranks of the parameters, all scaled to unit variance;
  R^2 of the rank regression alongside) and Spearman rank correlations with Fisher-z 95% CIs;
* every method: ``replication_noise``: per outcome, the mean standard deviation across
  replications of a sample, the standard deviation of the sample means, their ratio, and the
  ``noise_floor`` (the share of the sample means' variance that is seed noise); Sobol tables
  repeat the floor beside the indices and flag (``above_noise``) parameters that exceed it.

SALib's bootstrap is seeded (``bootstrap_seed``), so analysing a sweep twice gives the same intervals.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

CONF = 0.95
RESAMPLES = 200

# Below these sizes the indices' confidence intervals are too wide to read (a warning says so).
SMALL = {"sobol": 32, "morris": 10, "fast": 65, "latin": 20}
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


def _sobol(problem, Y, second_order, seed):
    from SALib.analyze import sobol

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return sobol.analyze(problem, Y, calc_second_order=second_order, conf_level=CONF,
                             num_resamples=RESAMPLES, seed=seed)


def _indices(res) -> pd.DataFrame:
    """SALib's first-order and total indices with their intervals, one row per parameter."""
    total, first = res.to_df()[:2]
    return first.join(total)[["S1", "S1_conf", "ST", "ST_conf"]]


def analyze_sobol(problem, Y_by_outcome: dict[str, np.ndarray], options, seed,
                  floors: dict[str, float] | None = None) -> dict[str, pd.DataFrame]:
    """S1/ST (+ S2) per outcome, the convergence table, and beside the indices each outcome's
    ``noise_floor`` with ``above_noise``: whether ST's lower 95% bound exceeds the floor (with one
    replication, whether it exceeds 0)."""
    second = bool(options.get("calc_second_order", True))
    d = problem["num_vars"]
    per_base = 2 * d + 2 if second else d + 2
    first, pairs, conv = [], [], []
    for outcome, Y in Y_by_outcome.items():
        res = _sobol(problem, Y, second, seed)
        floor = (floors or {}).get(outcome, float("nan"))
        for name, row in _indices(res).iterrows():
            low = row.ST - row.ST_conf
            first.append({"outcome": outcome, "parameter": str(name), **row.to_dict(), "noise_floor": floor,
                          "above_noise": bool(low > (floor if np.isfinite(floor) else 0.0))})
        if second:
            s2 = res.to_df()[2]
            for (a, b), row in zip(s2.index, s2[["S2", "S2_conf"]].to_dict("records")):
                pairs.append({"outcome": outcome, "parameter_1": str(a), "parameter_2": str(b), **row})
        n_base = len(Y) // per_base
        for n in sorted({max(1, n_base // 8), max(1, n_base // 4), max(1, n_base // 2), n_base}):
            if n < 4:
                continue
            part = res if n == n_base else _sobol(problem, Y[: n * per_base], second, seed)
            for name, row in _indices(part).iterrows():
                conv.append({"outcome": outcome, "parameter": str(name), "base_samples": n, **row.to_dict()})
    tables = {"sobol_indices": pd.DataFrame(first), "sobol_convergence": pd.DataFrame(conv)}
    if second:
        tables["sobol_s2"] = pd.DataFrame(pairs)
    return tables


def _table(outcome: str, frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """A SALib result's ``to_df()`` as rows of (outcome, parameter, columns...)."""
    frame = frame[columns].astype(float).rename_axis("parameter").reset_index()
    frame["parameter"] = frame["parameter"].map(str)
    frame.insert(0, "outcome", outcome)
    return frame


def analyze_morris(problem, X, Y_by_outcome, options, seed) -> dict[str, pd.DataFrame]:
    from SALib.analyze import morris

    tables = []
    for outcome, Y in Y_by_outcome.items():
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            res = morris.analyze(problem, X, Y, num_resamples=RESAMPLES, conf_level=CONF,
                                 num_levels=int(options.get("num_levels", 4)), seed=seed)
        tables.append(_table(outcome, res.to_df(), ["mu", "mu_star", "mu_star_conf", "sigma"]))
    return {"morris_indices": pd.concat(tables, ignore_index=True)}


def analyze_fast(problem, Y_by_outcome, options, seed) -> dict[str, pd.DataFrame]:
    from SALib.analyze import fast

    tables = []
    for outcome, Y in Y_by_outcome.items():
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            res = fast.analyze(problem, Y, M=int(options.get("M", 4)), num_resamples=RESAMPLES,
                               conf_level=CONF, seed=seed)
        tables.append(_table(outcome, res.to_df(), ["S1", "S1_conf", "ST", "ST_conf"]))
    return {"fast_indices": pd.concat(tables, ignore_index=True)}


def analyze_latin(problem, X, Y_by_outcome) -> dict[str, pd.DataFrame]:
    from scipy import stats

    n = len(X)
    ranks_x = np.column_stack([stats.rankdata(X[:, j]) for j in range(X.shape[1])])
    zx = (ranks_x - ranks_x.mean(axis=0)) / ranks_x.std(axis=0)
    z_crit = stats.norm.ppf(0.5 + CONF / 2)
    rows = []
    for outcome, Y in Y_by_outcome.items():
        ry = stats.rankdata(Y)
        sd = ry.std()
        zy = (ry - ry.mean()) / sd if sd > 0 else np.zeros(n)
        coef, *_ = np.linalg.lstsq(np.column_stack([np.ones(n), zx]), zy, rcond=None)
        fitted = np.column_stack([np.ones(n), zx]) @ coef
        r2 = 1.0 - float(((zy - fitted) ** 2).sum()) / max(float((zy ** 2).sum()), 1e-300) if sd > 0 else float("nan")
        for j, name in enumerate(problem["names"]):
            rho = float(np.corrcoef(ranks_x[:, j], ry)[0, 1]) if sd > 0 else float("nan")
            half = z_crit / np.sqrt(max(n - 3, 1))
            z = np.arctanh(np.clip(rho, -0.999999, 0.999999))
            rows.append({"outcome": outcome, "parameter": name, "SRRC": float(coef[j + 1]) if sd > 0 else float("nan"),
                         "rank_R2": r2, "spearman_rho": rho, "rho_low": float(np.tanh(z - half)),
                         "rho_high": float(np.tanh(z + half))})
    return {"latin_indices": pd.DataFrame(rows)}


def small_sample_warnings(method: str, samples: int, tables: dict[str, pd.DataFrame]) -> list[str]:
    """Say when N is too small for the intervals to mean anything."""
    found = []
    half_widths = [np.abs(t[c].to_numpy(dtype=float)) for t in tables.values() for c in t.columns
                   if c.endswith("_conf") and len(t)]
    # Latin's Spearman intervals are given by their ends (Fisher z): their half-width counts too.
    half_widths += [(t["rho_high"].to_numpy(dtype=float) - t["rho_low"].to_numpy(dtype=float)) / 2
                    for t in tables.values() if {"rho_low", "rho_high"} <= set(t.columns) and len(t)]
    widest = max((float(np.nanmax(w)) for w in half_widths if np.isfinite(w).any()), default=0.0)
    if samples and samples < SMALL.get(method, 0):
        found.append(f"N = {samples} is small for {method} (widest 95% interval +/-{widest:.3g}); "
                     f"indices mean little below N = {SMALL[method]}: rerun the sweep with a larger --samples")
    elif widest > WIDE_CONF:
        found.append(f"some 95% intervals are +/-{widest:.3g} wide: too wide to rank parameters; rerun the sweep "
                     "with a larger --samples")
    return found
