"""Extended FAST (Saltelli, Tarantola & Chan 1999), through SALib.

Table: ``fast_indices`` (S1, ST with 95% CIs). The interference factor M is fixed at SALib's 4,
so N must exceed 4 M^2 = 64. SALib is imported inside the functions (see ``sobol``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from coprod.analysis.designs.registry import Design, Plot, register, salib_table
from coprod.analysis.sensitivity import CONF, RESAMPLES
from coprod.core.errors import InputError

M = 4


def options(*, second_order: bool = True, levels: int = 4) -> dict:
    return {"M": M}


def sample(problem: dict, n: int, seed: int, options: dict) -> np.ndarray:
    from SALib.sample import fast_sampler  # noqa: PLC0415 - SALib's import cost, see sobol's docstring

    if n <= 4 * options["M"] ** 2:
        raise InputError(f"--samples: got {n}; allowed for fast: more than {4 * options['M'] ** 2}")
    return fast_sampler.sample(problem, n, M=options["M"], seed=seed)


def analyse(problem, X, Y_by_outcome, options, seed, floors) -> dict[str, pd.DataFrame]:
    from SALib.analyze import fast  # noqa: PLC0415 - SALib's import cost, see sobol's docstring

    def one(Y):
        return fast.analyze(problem, Y, M=int(options.get("M", M)), num_resamples=RESAMPLES, conf_level=CONF,
                            seed=seed)

    return {"fast_indices": salib_table(Y_by_outcome, one, ["S1", "S1_conf", "ST", "ST_conf"])}


def plots(tables: dict[str, pd.DataFrame]) -> list[Plot]:
    return [Plot("fast_indices.png", "bars", tables["fast_indices"], "eFAST indices (bars: 95% CI)",
                 columns=(("S1", "S1_conf"), ("ST", "ST_conf")))]


register(Design("fast", sample, analyse, plots, options, small=65))
