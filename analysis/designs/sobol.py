"""Sobol indices from a Saltelli sample (Saltelli 2002; Saltelli et al. 2010), through SALib.

Tables: ``sobol_indices`` (S1, ST with 95% CIs, beside each outcome's ``noise_floor`` and whether
ST's lower bound exceeds it, ``above_noise``), ``sobol_s2`` (S2 with CIs, if sampled) and
``sobol_convergence`` (S1/ST recomputed on the first N/8, N/4, N/2 and N base samples). Every row
of one Saltelli base block (A, B and each AB_j, BA_j) shares its seeds, so f(A) - f(AB_j) measures
parameter j and not seed noise.

SALib is imported inside the functions (all four designs): ``claims`` and ``compare`` import the
designs through ``sweep`` but sample with SALib only on some paths, and importing SALib's samplers
and analysers took numpy + pandas' 8.7 s to 20.9 s on the loaded 2-core VM (2026-12-02).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from coprod.analysis.designs.registry import Design, Plot, register
from coprod.analysis.sensitivity import CONF, RESAMPLES
from coprod.core.errors import InputError


def options(*, second_order: bool = True, levels: int = 4) -> dict:
    return {"calc_second_order": bool(second_order)}


def sample(problem: dict, n: int, seed: int, options: dict) -> np.ndarray:
    from SALib.sample import sobol  # noqa: PLC0415 - SALib's import cost, see sobol's docstring

    if n & (n - 1):
        raise InputError(f"--samples: got {n}; allowed for sobol: a power of 2 (e.g. 64, 128, 256)")
    return sobol.sample(problem, n, calc_second_order=options["calc_second_order"], seed=seed)


def block_rows(num_vars: int, options: dict) -> int:
    """Rows of one Saltelli base block (SALib lays them out consecutively)."""
    return 2 * num_vars + 2 if options.get("calc_second_order", True) else num_vars + 2


def _sobol(problem, Y, second_order, seed):
    from SALib.analyze import sobol  # noqa: PLC0415 - SALib's import cost, see sobol's docstring

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
    per_base = block_rows(problem["num_vars"], options)
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
        conv += _convergence(problem, Y, outcome, res, second, seed, per_base)
    tables = {"sobol_indices": pd.DataFrame(first), "sobol_convergence": pd.DataFrame(conv)}
    if second:
        tables["sobol_s2"] = pd.DataFrame(pairs)
    return tables


def _convergence(problem, Y, outcome, res, second, seed, per_base) -> list[dict]:
    """S1/ST on the first N/8, N/4, N/2 and N base samples (prefixes of fewer than 4 are skipped)."""
    rows = []
    n_base = len(Y) // per_base
    for n in sorted({max(1, n_base // 8), max(1, n_base // 4), max(1, n_base // 2), n_base}):
        if n < 4:
            continue
        part = res if n == n_base else _sobol(problem, Y[: n * per_base], second, seed)
        for name, row in _indices(part).iterrows():
            rows.append({"outcome": outcome, "parameter": str(name), "base_samples": n, **row.to_dict()})
    return rows


def analyse(problem, X, Y_by_outcome, options, seed, floors) -> dict[str, pd.DataFrame]:
    return analyze_sobol(problem, Y_by_outcome, options, seed, floors)


def plots(tables: dict[str, pd.DataFrame]) -> list[Plot]:
    found = [Plot("sobol_indices.png", "bars", tables["sobol_indices"], "Sobol indices (bars: 95% CI)",
                  columns=(("S1", "S1_conf"), ("ST", "ST_conf")))]
    if len(tables["sobol_convergence"]):
        found.append(Plot("sobol_convergence.png", "convergence", tables["sobol_convergence"],
                          "Convergence: ST (solid) and S1 (dashed) on growing prefixes"))
    if "sobol_s2" in tables and len(tables["sobol_s2"]):
        names = tuple(dict.fromkeys(tables["sobol_indices"]["parameter"]))
        found.append(Plot("sobol_s2.png", "interactions", tables["sobol_s2"], "Second-order Sobol indices S2",
                          names=names))
    return found


register(Design("sobol", sample, analyse, plots, options, small=32, block_rows=block_rows,
                block_words="Saltelli base block: sample // (2 * num_vars + 2), or // (num_vars + 2) without "
                            "second order; all rows of a block share seeds"))
