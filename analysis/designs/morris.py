"""Morris elementary effects (Morris 1991; mu* after Campolongo, Cariboni & Saltelli 2007), through SALib.

Table: ``morris_indices`` (mu, mu*, mu*'s 95% CI, sigma). Integer parameters are rounded to run,
but the analysis uses the raw sampled values (``samples.parquet`` keeps them as ``<name>__raw``),
so every step of a trajectory stays one grid step. SALib is imported inside the functions (see
``sobol``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from coprod.analysis.designs.registry import Design, Plot, register, salib_table
from coprod.analysis.sensitivity import CONF, RESAMPLES
from coprod.core.errors import InputError


def options(*, second_order: bool = True, levels: int = 4) -> dict:
    if levels is not None and levels < 2:
        raise InputError(f"--levels: got {levels}; allowed: an integer >= 2")
    return {"num_levels": int(levels)}


def sample(problem: dict, n: int, seed: int, options: dict) -> np.ndarray:
    from SALib.sample import morris  # noqa: PLC0415 - SALib's import cost, see sobol's docstring

    if n < 2:
        raise InputError(f"--samples: got {n}; allowed for morris: at least 2 trajectories")
    return morris.sample(problem, n, num_levels=options["num_levels"], seed=seed)


def analyse(problem, X, Y_by_outcome, options, seed, floors) -> dict[str, pd.DataFrame]:
    from SALib.analyze import morris  # noqa: PLC0415 - SALib's import cost, see sobol's docstring

    def one(Y):
        return morris.analyze(problem, X, Y, num_resamples=RESAMPLES, conf_level=CONF,
                              num_levels=int(options.get("num_levels", 4)), seed=seed)

    return {"morris_indices": salib_table(Y_by_outcome, one, ["mu", "mu_star", "mu_star_conf", "sigma"])}


def plots(tables: dict[str, pd.DataFrame]) -> list[Plot]:
    return [Plot("morris_indices.png", "bars", tables["morris_indices"], "Morris mu* (bars: 95% CI) and sigma",
                 columns=(("mu_star", "mu_star_conf"), ("sigma", None)))]


register(Design("morris", sample, analyse, plots, options, small=10))
