"""A Latin hypercube (McKay, Beckman & Conover 1979) with rank-based indices (Iman & Conover 1979).

Table: ``latin_indices``: standardized rank regression coefficients (SRRC: the ranks of the
outcome regressed on the ranks of the parameters, all scaled to unit variance; the R^2 of that
regression beside them) and Spearman rank correlations with Fisher-z 95% CIs. SALib is imported
inside ``sample`` (see ``sobol``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from coprod.analysis.designs.registry import Design, Plot, register
from coprod.analysis.sensitivity import CONF


def options(*, second_order: bool = True, levels: int = 4) -> dict:
    return {}


def sample(problem: dict, n: int, seed: int, options: dict) -> np.ndarray:
    from SALib.sample import latin  # noqa: PLC0415 - SALib's import cost, see sobol's docstring

    return latin.sample(problem, n, seed=seed)


def analyze_latin(problem, X, Y_by_outcome) -> dict[str, pd.DataFrame]:
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


def analyse(problem, X, Y_by_outcome, options, seed, floors) -> dict[str, pd.DataFrame]:
    return analyze_latin(problem, X, Y_by_outcome)


def plots(tables: dict[str, pd.DataFrame]) -> list[Plot]:
    frame = tables["latin_indices"].copy()
    frame["rho_err"] = (frame["rho_high"] - frame["rho_low"]) / 2
    return [Plot("latin_indices.png", "bars", frame,
                 "Standardized rank regression coefficients and Spearman rho (95% CI)",
                 columns=(("SRRC", None), ("spearman_rho", "rho_err")))]


register(Design("latin", sample, analyse, plots, options, small=20))
